import { RealtimeError } from './exceptions/realtime.error';
import { INVALID_CHANNEL, NO_CHANNELS } from './realtime.messages';

/** Arguments accepted where SPEC §3 takes `...channels`: strings or arrays of strings. */
export type ChannelArgs = ReadonlyArray<string | readonly string[]>;

/** Flattens and validates channel arguments; throws `no_channels` / `invalid_channel`. */
export function flattenChannels(args: ChannelArgs): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (Array.isArray(arg)) {
      for (let j = 0; j < arg.length; j++) out.push(checkChannel(arg[j]));
    } else {
      out.push(checkChannel(arg));
    }
  }
  if (out.length === 0) throw new RealtimeError('no_channels', NO_CHANNELS);
  return out;
}

function checkChannel(channel: unknown): string {
  if (typeof channel !== 'string' || channel.length === 0)
    throw new RealtimeError('invalid_channel', INVALID_CHANNEL);
  return channel;
}

export function isWildcard(channel: string): boolean {
  return channel.includes('*');
}

/** `*` matches any run of characters except `;` (Pakyow semantics). */
export function wildcardPattern(channel: string): RegExp {
  const body = channel
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^;]*');
  return new RegExp(`^${body}$`);
}

/** Whether a push to `pushed` (which may hold `*`) reaches subscribers of `subscribed`. */
export function channelMatches(pushed: string, subscribed: string): boolean {
  return (
    pushed === subscribed ||
    (isWildcard(pushed) && wildcardPattern(pushed).test(subscribed))
  );
}
