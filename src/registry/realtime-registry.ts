import type { Observable } from 'rxjs';
import type { GapReason } from '../history/channel-history';
import type { Positions, ResumeFailure } from '../protocol/resume';

/**
 * What a registry tells the instance it runs in. The gateway consumes this stream and
 * never learns which registry produced it.
 *
 * `json` is the payload serialized once by the publisher; frames are built from it
 * without parsing it again.
 */
export type RegistryEvent =
  /**
   * A push to `channel`, for the connections of this instance; with history, its
   * place in the channel's history (events of one channel come in offset order).
   */
  | {
      readonly type: 'push';
      readonly channel: string;
      readonly json: string;
      readonly epoch?: string;
      readonly offset?: number;
    }
  /**
   * A `pushMatching` push: every local channel `pattern` matches gets it. With
   * history, `stamped` lists the channels that also got it as a `push` with an
   * offset (the connections get those; this event is for server-side listeners).
   */
  | {
      readonly type: 'pushMatching';
      readonly pattern: string;
      readonly json: string;
      readonly stamped?: readonly string[];
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
    }
  /** A view revoked by `disconnect()`: its connections here close with 4001. */
  | {
      readonly type: 'revoke';
      readonly digest: string;
      readonly reason: string;
    }
  /**
   * README "Users and presence": a user joined or left `channel`, cluster-wide (every
   * instance's stream has each transition once); `instanceId` observed it.
   */
  | {
      readonly type: 'presence';
      readonly channel: string;
      readonly change: 'join' | 'leave';
      readonly user: string;
      /** The user's info as JSON text. */
      readonly info: string | undefined;
      readonly instanceId: string;
    }
  /**
   * With history: pushes of `channel` this instance missed and could not fill from the
   * history (README "Delivery guarantees"), or a new epoch; its connections are told.
   */
  | {
      readonly type: 'gap';
      readonly channel: string;
      readonly epoch: string;
      readonly reason: GapReason;
    };

/** How long a revoked view's id stays inert, on every registry (README "Revocation"). */
export const REVOKED_TTL = 24 * 60 * 60 * 1000;

/** Whose connections `disconnect()` closes (README "Revocation"). */
export type RevokeTarget =
  | { readonly user: string; readonly digest?: undefined }
  | { readonly digest: string; readonly user?: undefined };

/** One user of `presence()` (README "Users and presence"), its info as JSON text. */
export interface PresenceEntry {
  readonly user: string;
  readonly info: string | undefined;
  readonly connections: number;
}

/** What `presenceStats()` counts on a channel, across instances. */
export interface PresenceCounts {
  readonly users: number;
  readonly views: number;
  readonly connections: number;
}

/**
 * A registry's presence (README "Users and presence"): who has live connections of a view
 * subscribed to a channel, on every instance. Optional for a registry of the app's own:
 * without it `presence()` rejects naming the registry.
 */
export interface RegistryPresence {
  list(channel: string): Promise<PresenceEntry[]>;
  stats(channel: string): Promise<PresenceCounts>;
}

/** A message replayed to a connection: where it sits in its channel's history. */
export interface ReplayedPush {
  readonly channel: string;
  readonly offset: number;
  readonly json: string;
}

/**
 * What a connection is owed on some of its view's channels (README "Delivery
 * guarantees"): each channel's epoch, the channels that cannot be replayed whole and
 * why, the messages to replay (in offset order per channel), and each channel's newest
 * offset when the plan was made (live pushes up to it are in the plan already).
 */
export interface ResumePlan {
  readonly epochs: Readonly<Record<string, string>>;
  readonly failed: Readonly<Record<string, ResumeFailure>>;
  readonly replay: readonly ReplayedPush[];
  readonly heads: Readonly<Record<string, number>>;
  /**
   * Channels whose pushes up to their head may still reach this instance live after the
   * plan (a registry whose pushes travel apart from its history reads, like Redis
   * pub/sub): the connection drops those when they come.
   */
  readonly lagging?: Readonly<Record<string, number>>;
}

/** What `RealtimeService.history()` returns (README "Delivery guarantees"). */
export interface ChannelHistoryRead<T = unknown> {
  readonly epoch: string | null;
  readonly offset: number;
  readonly messages: ReadonlyArray<{
    readonly offset: number;
    readonly payload: T;
  }>;
}

/**
 * A registry's history (README "Delivery guarantees"), when the `history` option is on.
 * A registry of the app's own may leave it out: then the app must set `history: false`.
 */
export interface RegistryHistory {
  /**
   * What a connection of `digest` is owed on `channels`: from the positions in `since`
   * (offset 0: from where the view subscribed), else from the view's subscribe-time
   * positions when this is its first connection or the channels were just added
   * (`added`), else nothing (the epochs only). A view the registry does not know fails
   * every channel of `since` with `unknown_view`.
   */
  resume(
    digest: string,
    channels: readonly string[],
    since: Positions | undefined,
    added: boolean,
  ): Promise<ResumePlan>;
  /** The retained messages of `channel` (JSON text): after offset `since`, or the newest; at most `limit`. */
  read(
    channel: string,
    since: number | undefined,
    limit: number,
  ): Promise<RetainedMessages>;
}

/** What `RegistryHistory.read` finds: the channel's position and its kept messages as JSON text. */
export interface RetainedMessages {
  readonly epoch: string | null;
  readonly offset: number;
  readonly entries: ReadonlyArray<{ offset: number; json: string }>;
}

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
  /** The per-channel history, when this registry keeps one (README "Delivery guarantees"). */
  readonly history?: RegistryHistory;
  /**
   * Ties the view to an app user (README "Users and presence"), `info` as JSON text;
   * kept with the view (across reconnects within reconnectGrace). Optional for a
   * registry of the app's own: without it `identify()` rejects naming the registry.
   */
  identify?(
    digest: string,
    user: string,
    info: string | undefined,
  ): Promise<void>;
  /**
   * README "Revocation": emits `revoke` for every matching view on every instance,
   * removes their subscriptions, keeps them inert (attach and subscribe reject with
   * `revoked`), and resolves with the connections closed, once every instance holding
   * one did.
   */
  revoke?(target: RevokeTarget, reason: string): Promise<number>;
  /** Who is on a channel (README "Users and presence"); its transitions come as `presence` events. */
  readonly presence?: RegistryPresence;
  /** Releases timers and connections. */
  close(): Promise<void>;
}
