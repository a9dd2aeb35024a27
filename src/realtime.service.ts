import { Inject, Injectable } from '@nestjs/common';
import { Observable } from 'rxjs';
import {
  type ChannelArgs,
  ChannelPattern,
  checkChannel,
  flattenChannels,
  isPattern,
} from './channels';
import { RealtimeError } from './exceptions/realtime.error';
import { ConnectionHub } from './gateway/connection-hub';
import { RealtimeSocket, type SocketBackend } from './http/realtime-socket';
import { type RealtimeRequest, SocketResolver } from './http/socket-resolver';
import { RealtimeIdentity } from './identity/realtime-identity';
import type { RealtimeEvent } from './interfaces/realtime-event';
import type { RealtimeStats } from './interfaces/realtime-stats';
import { REALTIME_OPTIONS, REALTIME_REGISTRY } from './realtime.constants';
import { INVALID_DIGEST, INVALID_MESSAGE } from './realtime.messages';
import type { ResolvedRealtimeOptions } from './realtime.options';
import { RealtimeStatsCounter } from './realtime-stats.counter';
import type { RealtimeRegistry } from './registry/realtime-registry';

/** Serializes a push payload once; anything that is not a JSON value is refused. */
function serialize(message: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(message);
  } catch {
    json = undefined;
  }
  if (json === undefined)
    throw new RealtimeError('invalid_message', INVALID_MESSAGE);
  return json;
}

/** The injectable API of SPEC §3: socket contexts, pushes, server-side channel streams, events and stats. */
@Injectable()
export class RealtimeService implements SocketBackend {
  private readonly maxChannelLength: number;

  constructor(
    @Inject(REALTIME_REGISTRY) private readonly registry: RealtimeRegistry,
    private readonly hub: ConnectionHub,
    private readonly resolver: SocketResolver,
    private readonly identity: RealtimeIdentity,
    private readonly counters: RealtimeStatsCounter,
    @Inject(REALTIME_OPTIONS) options: ResolvedRealtimeOptions,
  ) {
    this.maxChannelLength = options.maxChannelLength;
  }

  /** Connect and disconnect of connections on this instance. */
  get events$(): Observable<RealtimeEvent> {
    return this.hub.events.asObservable();
  }

  /** The socket context of an HTTP request (Express request or raw IncomingMessage). */
  socket(req: RealtimeRequest): RealtimeSocket {
    return this.resolver.resolve(req, this);
  }

  /** Pushes a JSON value to every connection subscribed to any of `channels` (literal names: `*` is refused). */
  push(message: unknown, ...channels: ChannelArgs): Promise<void> {
    try {
      const names = flattenChannels(channels, this.maxChannelLength);
      return this.registry.publish(names, serialize(message));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The wildcard push: every subscribed channel a pattern matches (`*` = any run except `;`) gets the message. */
  pushMatching(message: unknown, ...patterns: ChannelArgs): Promise<void> {
    try {
      const all = flattenChannels(patterns, this.maxChannelLength, true);
      const json = serialize(message);
      const literal = all.filter((name) => !isPattern(name));
      const wild = all.filter(isPattern);
      const sent: Array<Promise<void>> = [];
      if (literal.length > 0) sent.push(this.registry.publish(literal, json));
      if (wild.length > 0) sent.push(this.registry.publishMatching(wild, json));
      return Promise.all(sent).then(() => undefined);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Targeted push to the connections of one client view, on whatever instance holds them. */
  sendTo(digest: string, message: unknown, channel: string): Promise<void> {
    try {
      if (!this.identity.isDigest(digest))
        throw new RealtimeError('invalid_digest', INVALID_DIGEST);
      checkChannel(channel, this.maxChannelLength);
      return this.registry.sendTo(digest, channel, serialize(message));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Every payload pushed to `name` (including by `pushMatching` patterns that match it), on every instance. */
  channel<T = unknown>(name: string): Observable<T> {
    const channel = checkChannel(name, this.maxChannelLength);
    return new Observable<T>((subscriber) => {
      this.registry.listen(channel);
      const subscription = this.registry.events$.subscribe((event) => {
        if (
          (event.type === 'push' && event.channel === channel) ||
          (event.type === 'pushMatching' &&
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
    };
  }

  /** @internal SocketBackend for RealtimeSocket. */
  subscribe(digest: string, channels: ChannelArgs): Promise<void> {
    try {
      return this.registry.subscribe(
        digest,
        flattenChannels(channels, this.maxChannelLength),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** @internal SocketBackend for RealtimeSocket. */
  unsubscribe(digest: string, channels: ChannelArgs): Promise<void> {
    try {
      return this.registry.unsubscribe(
        digest,
        flattenChannels(channels, this.maxChannelLength),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
