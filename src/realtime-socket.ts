import type { ChannelArgs } from './channels';
import type { RealtimeChannels } from './realtime-channels';

/** The socket context of one request: one client view (README "API"). Cheap to create. */
export class RealtimeSocket {
  constructor(
    /** The id of this client view. */
    readonly connectionId: string,
    /** Its digest: the key its subscriptions are stored under. */
    readonly digest: string,
    /** True when the request came over the socket (`call-route`). */
    readonly viaSocket: boolean,
    private readonly channels: RealtimeChannels,
  ) {}

  /** Subscribes this client view; in effect for its live connections before it resolves. */
  subscribe(...channels: ChannelArgs): Promise<void> {
    return this.channels.subscribe(this.digest, channels);
  }

  /** Unsubscribes this client view; its live connections stop receiving before it resolves. */
  unsubscribe(...channels: ChannelArgs): Promise<void> {
    return this.channels.unsubscribe(this.digest, channels);
  }

  /** Same as `RealtimeService.push`. */
  push(message: unknown, ...channels: ChannelArgs): Promise<void> {
    return this.channels.push(message, channels);
  }

  /** Targeted push to this client view only. */
  send(message: unknown, channel: string): Promise<void> {
    return this.channels.sendTo(this.digest, message, channel);
  }
}
