import type { Observable } from 'rxjs';

/**
 * What a registry tells the instance it runs in. The gateway consumes this stream and
 * never learns which registry produced it.
 *
 * `json` is the payload serialized once by the publisher; frames are built from it
 * without parsing it again.
 */
export type RegistryEvent =
  /** A push to `channel`, for the connections of this instance. */
  | { readonly type: 'push'; readonly channel: string; readonly json: string }
  /** A `pushMatching` push: every local channel `pattern` matches gets it. */
  | {
      readonly type: 'pushMatching';
      readonly pattern: string;
      readonly json: string;
    }
  /** A targeted push to the connections of one client view. */
  | {
      readonly type: 'direct';
      readonly digest: string;
      readonly channel: string;
      readonly json: string;
    }
  /** A view attached to this instance gained channels. */
  | {
      readonly type: 'subscribe';
      readonly digest: string;
      readonly channels: readonly string[];
    }
  /** A view attached to this instance lost channels. */
  | {
      readonly type: 'unsubscribe';
      readonly digest: string;
      readonly channels: readonly string[];
    };

/**
 * Where subscriptions live and how pushes travel (README "Registries and guarantees"), like Nest's
 * `ThrottlerStorage`: the module ships a memory and a Redis one, and `registry:` takes
 * an instance of your own (another broker). Every method that returns a promise
 * resolves once the change is in effect for live connections on every instance
 * (guarantee 1). The gateway only calls these methods and listens to `events$`.
 */
export interface RealtimeRegistry {
  /** Its name in `stats().registry.kind`: `'memory'`, `'redis'`, or your own. */
  readonly kind: string;
  readonly events$: Observable<RegistryEvent>;
  /** Whether it can accept changes and pushes right now. */
  isReady(): boolean;
  /** Adds channels; rejects with `too_many_channels` (applying nothing) past maxChannelsPerView. */
  subscribe(digest: string, channels: readonly string[]): Promise<void>;
  unsubscribe(digest: string, channels: readonly string[]): Promise<void>;
  /** Delivers `json` on every channel; resolves once the registry accepted it. */
  publish(channels: readonly string[], json: string): Promise<void>;
  /** Delivers `json` to every subscribed channel a pattern matches, on every instance. */
  publishMatching(patterns: readonly string[], json: string): Promise<void>;
  sendTo(digest: string, channel: string, json: string): Promise<void>;
  /**
   * A connection of `digest` is opening on this instance: stop its expiry, emit its
   * subscription changes from now on, and resolve with its current channels.
   * Called once per connection; balanced by `detach`.
   */
  attach(digest: string): Promise<readonly string[]>;
  /** A connection of `digest` on this instance closed; after the last one its grace period starts. */
  detach(digest: string): void;
  /** Server-side interest in a channel (`RealtimeService.channel()`); reference counted. */
  listen(channel: string): void;
  unlisten(channel: string): void;
  /** Releases timers and connections. */
  close(): Promise<void>;
}
