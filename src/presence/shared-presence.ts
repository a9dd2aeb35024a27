import { ChannelPattern } from '../channels';

/**
 * The option `presence` (README "Users and presence"): the channels whose subscribers are
 * told of joins and leaves and may ask for the list. Each answer is kept: channels are few
 * next to the transitions and requests that ask.
 */
export class SharedPresence {
  private readonly patterns: readonly ChannelPattern[];
  private readonly answers = new Map<string, boolean>();

  constructor(patterns: readonly string[]) {
    this.patterns = patterns.map((pattern) => new ChannelPattern(pattern));
  }

  get any(): boolean {
    return this.patterns.length > 0;
  }

  shares(channel: string): boolean {
    let answer = this.answers.get(channel);
    if (answer === undefined) {
      answer = this.patterns.some((pattern) => pattern.matches(channel));
      // Bounded: a name that stops being asked about costs one entry until the cap clears them.
      if (this.answers.size >= 10_000) this.answers.clear();
      this.answers.set(channel, answer);
    }
    return answer;
  }
}
