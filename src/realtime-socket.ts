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

  /**
   * Ties this client view to `user` of the app, with optional JSON `info`, on every
   * instance (README "Users and presence"): call it after the app's own authentication,
   * never with what the client sent. `RealtimeService.disconnect({ user })` then closes it.
   */
  identify(user: string, info?: unknown): Promise<void> {
    return this.channels.identify(this.digest, user, info);
  }

  /** Targeted push to this client view only. */
  send(message: unknown, channel: string): Promise<void> {
    return this.channels.sendTo(this.digest, message, channel);
  }
}
