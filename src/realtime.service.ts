import { Inject, Injectable } from '@nestjs/common';
import { Observable } from 'rxjs';
import { type ChannelArgs, channelMatches, flattenChannels } from './channels';
import { RealtimeError } from './exceptions/realtime.error';
import { ConnectionHub } from './gateway/connection-hub';
import { RealtimeSocket, type SocketBackend } from './http/realtime-socket';
import { type RealtimeRequest, SocketResolver } from './http/socket-resolver';
import { RealtimeIdentity } from './identity/realtime-identity';
import type { RealtimeEvent } from './interfaces/realtime-event';
import type { RealtimeStats } from './interfaces/realtime-stats';
import { REALTIME_REGISTRY } from './realtime.constants';
import {
  INVALID_CHANNEL,
  INVALID_DIGEST,
  INVALID_MESSAGE,
} from './realtime.messages';
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
  constructor(
    @Inject(REALTIME_REGISTRY) private readonly registry: RealtimeRegistry,
    private readonly hub: ConnectionHub,
    private readonly resolver: SocketResolver,
    private readonly identity: RealtimeIdentity,
    private readonly counters: RealtimeStatsCounter,
  ) {}

  /** Connect and disconnect of connections on this instance. */
  get events$(): Observable<RealtimeEvent> {
    return this.hub.events.asObservable();
  }

  /** The socket context of an HTTP request (Express request or raw IncomingMessage). */
  socket(req: RealtimeRequest): RealtimeSocket {
    return this.resolver.resolve(req, this);
  }

  /** Pushes a JSON value to every connection subscribed to any of `channels` (`*` wildcards allowed). */
  push(message: unknown, ...channels: ChannelArgs): Promise<void> {
    try {
      const names = flattenChannels(channels);
      return this.registry.publish(names, serialize(message));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Targeted push to the connections of one client view, on whatever instance holds them. */
  sendTo(digest: string, message: unknown, channel: string): Promise<void> {
    try {
      if (!this.identity.isDigest(digest))
        throw new RealtimeError('invalid_digest', INVALID_DIGEST);
      if (typeof channel !== 'string' || channel.length === 0)
        throw new RealtimeError('invalid_channel', INVALID_CHANNEL);
      return this.registry.sendTo(digest, channel, serialize(message));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Every payload pushed to `name` (including by matching wildcard pushes), on every instance. */
  channel<T = unknown>(name: string): Observable<T> {
    const [channel] = flattenChannels([name]);
    return new Observable<T>((subscriber) => {
      this.registry.listen(channel);
      const subscription = this.registry.events$.subscribe((event) => {
        if (event.type === 'push' && channelMatches(event.channel, channel))
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
      return this.registry.subscribe(digest, flattenChannels(channels));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** @internal SocketBackend for RealtimeSocket. */
  unsubscribe(digest: string, channels: ChannelArgs): Promise<void> {
    try {
      return this.registry.unsubscribe(digest, flattenChannels(channels));
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
