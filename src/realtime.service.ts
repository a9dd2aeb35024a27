import { Inject, Injectable } from '@nestjs/common';
import { Observable } from 'rxjs';
import { type ChannelArgs, ChannelPattern } from './channels';
import { ConnectionHub } from './gateway/connection-hub';
import { SocketContexts } from './http/socket-contexts';
import type { RealtimeRequest } from './identity/presented-identity';
import type { RealtimeEvent } from './interfaces/realtime-event';
import type { RealtimeStats } from './interfaces/realtime-stats';
import { RealtimeError } from './exceptions/realtime.error';
import type { ResolvedRealtimeOptions } from './options';
import { REALTIME_OPTIONS, REALTIME_REGISTRY } from './realtime.constants';
import { BAD_HISTORY_QUERY, HISTORY_OFF } from './realtime.messages';
import {
  type PresenceChange,
  RealtimePresence,
  type PresenceUser,
} from './presence/realtime-presence';
import { RealtimeChannels } from './realtime-channels';
import type { RealtimeSocket } from './realtime-socket';
import { RealtimeStatsCounter } from './realtime-stats.counter';
import type {
  ChannelHistoryRead,
  PresenceCounts,
  RealtimeRegistry,
} from './registry/realtime-registry';

/** The injectable API of README "API": socket contexts, pushes, server-side channel streams, events and stats. */
@Injectable()
export class RealtimeService {
  constructor(
    @Inject(REALTIME_REGISTRY) private readonly registry: RealtimeRegistry,
    private readonly hub: ConnectionHub,
    private readonly contexts: SocketContexts,
    private readonly channels: RealtimeChannels,
    private readonly counters: RealtimeStatsCounter,
    private readonly presenceOf: RealtimePresence,
    @Inject(REALTIME_OPTIONS)
    private readonly options: Pick<ResolvedRealtimeOptions, 'history'>,
  ) {}

  /** Connect and disconnect of connections on this instance. */
  get events$(): Observable<RealtimeEvent> {
    return this.hub.events.asObservable();
  }

  /** The socket context of an HTTP request (Express request or raw IncomingMessage). */
  socket(req: RealtimeRequest): RealtimeSocket {
    return this.contexts.resolve(req);
  }

  /** Pushes a JSON value to every connection subscribed to any of `channels` (literal names: `*` is refused). */
  push(message: unknown, ...channels: ChannelArgs): Promise<void> {
    return this.channels.push(message, channels);
  }

  /** The wildcard push: every subscribed channel a pattern matches (`*` = any run except `;`) gets the message. */
  pushMatching(message: unknown, ...patterns: ChannelArgs): Promise<void> {
    return this.channels.pushMatching(message, patterns);
  }

  /** Targeted push to the connections of one client view, on whatever instance holds them. */
  /**
   * README "Revocation": closes every connection of the user's views (or of one view) on
   * every instance with 4001 (the browser client does not reconnect), removes their
   * subscriptions and keeps their ids inert; resolves with the number closed.
   */
  disconnect(
    target: { user: string } | { digest: string },
    reason = 'revoked',
  ): Promise<number> {
    return this.channels.revoke(target, reason);
  }

  sendTo(digest: string, message: unknown, channel: string): Promise<void> {
    return this.channels.sendTo(digest, message, channel);
  }

  /** Every payload pushed to `name` (including by `pushMatching` patterns that match it), on every instance. */
  channel<T = unknown>(name: string): Observable<T> {
    const channel = this.channels.name(name);
    return new Observable<T>((subscriber) => {
      this.registry.listen(channel);
      const subscription = this.registry.events$.subscribe((event) => {
        if (
          (event.type === 'push' && event.channel === channel) ||
          (event.type === 'pushMatching' &&
            // A channel stamped on its own (history) came as a push already.
            !event.stamped?.includes(channel) &&
            new ChannelPattern(event.pattern).matches(channel))
        )
          subscriber.next(JSON.parse(event.json) as T);
      });
      return () => {
        subscription.unsubscribe();
        this.registry.unlisten(channel);
      };
    });
  }

  /**
   * README "Delivery guarantees": the retained messages of `channel` with their offsets,
   * oldest first — after offset `since`, or the newest — at most `limit` (default: all
   * kept). Render them and subscribe: the page's socket replays exactly what followed.
   */
  async history<T = unknown>(
    channel: string,
    query: { since?: number; limit?: number } = {},
  ): Promise<ChannelHistoryRead<T>> {
    const name = this.channels.name(channel);
    const history = this.options.history;
    if (history === false || !this.registry.history)
      throw new RealtimeError('history_off', HISTORY_OFF);
    const { since, limit = history.size } = query ?? {};
    if (
      (since !== undefined && !(Number.isSafeInteger(since) && since >= 0)) ||
      !(Number.isSafeInteger(limit) && limit >= 1)
    )
      throw new RealtimeError('bad_request', BAD_HISTORY_QUERY);
    const read = await this.registry.history.read(name, since, limit);
    return {
      epoch: read.epoch,
      offset: read.offset,
      messages: read.entries.map((entry) => ({
        offset: entry.offset,
        payload: JSON.parse(entry.json) as T,
      })),
    };
  }

  /**
   * README "Users and presence": the identified users with a live connection of a view
   * subscribed to `channel`, on every instance, one entry per user (a user whose last
   * connection went stays for presenceGrace, with 0 connections).
   */
  presence<I = unknown>(channel: string): Promise<PresenceUser<I>[]> {
    return this.presenceOf.list<I>(channel);
  }

  /** The counts behind `presence()` without the list: users, and every live view and connection (identified or not). */
  presenceStats(channel: string): Promise<PresenceCounts> {
    return this.presenceOf.stats(channel);
  }

  /** Each join and leave of `channel`, once, whichever instance observed it. */
  presence$<I = unknown>(channel: string): Observable<PresenceChange<I>> {
    return this.presenceOf.changes<I>(channel);
  }

  /** Counters of this instance since boot. */
  stats(): RealtimeStats {
    const c = this.counters;
    return {
      instanceId: this.hub.instanceId,
      registry: { kind: this.registry.kind, ready: this.registry.isReady() },
      connections: this.hub.connectionCount,
      inertConnections: this.hub.inertCount,
      channels: this.hub.channelCount,
      messagesIn: c.messagesIn,
      messagesOut: c.messagesOut,
      framesDropped: c.framesDropped,
      slowConsumerCloses: c.slowConsumerCloses,
      rejections: { ...c.rejections },
      closes: { ...c.closes },
      history: {
        recovered: c.recoveries.true,
        failed: { ...c.recoveries.false },
      },
      presence: { ...c.presence },
    };
  }
}
