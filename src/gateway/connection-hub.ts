import { Inject, Injectable, Logger } from '@nestjs/common';
import { Subject, type Subscription } from 'rxjs';
import { ChannelPattern } from '../channels';
import type { RealtimeEvent } from '../interfaces/realtime-event';
import {
  REALTIME_INSTANCE_ID,
  REALTIME_OPTIONS,
  REALTIME_REGISTRY,
} from '../realtime.constants';
import { CloseCode, presenceFrame, pushFrame } from '../protocol';
import { SharedPresence } from '../presence/shared-presence';
import {
  offsetPushFrame,
  resumeFrame,
  type Positions,
} from '../protocol/resume';
import { RealtimeStatsCounter } from '../realtime-stats.counter';
import type {
  RealtimeRegistry,
  RegistryEvent,
  RegistryHistory,
  ResumePlan,
} from '../registry/realtime-registry';
import {
  LocalView,
  type Outlet,
  type RealtimeConnection,
} from './realtime-connection';
import { unknownViewPlan } from '../history/resume-plan';
import { OutboundFrame } from './outbound-frame';
import { finishResume, holdForResume } from './resumes';
import { TurnCork } from './turn-cork';

/** How long a slow consumer's closing handshake may take before the socket is dropped. */
export const SLOW_CONSUMER_CLOSE_TIMEOUT = 10_000;

/**
 * The local side of the registry: client views held by this instance, the index
 * channel -> connections, and the fan-out. It consumes the registry's event stream,
 * and is the outlet every connection's writes are counted in.
 */
@Injectable()
export class ConnectionHub implements Outlet {
  readonly events = new Subject<RealtimeEvent>();
  private readonly views = new Map<string, LocalView>();
  private readonly index = new Map<string, Set<RealtimeConnection>>();
  private readonly connections = new Set<RealtimeConnection>();
  private readonly subscription: Subscription;
  readonly maxBufferedBytes: number;
  readonly cork: TurnCork;
  private readonly logger = new Logger('Realtime');
  /** The registry's history (README "Delivery guarantees"); undefined with `history: false`. */
  private readonly history: RegistryHistory | undefined;
  /** The channels whose subscribers hear joins and leaves (option `presence`). */
  private readonly sharedPresence: SharedPresence;

  constructor(
    @Inject(REALTIME_INSTANCE_ID) readonly instanceId: string,
    @Inject(REALTIME_REGISTRY) private readonly registry: RealtimeRegistry,
    private readonly stats: RealtimeStatsCounter,
    @Inject(REALTIME_OPTIONS)
    options: {
      maxBufferedBytes: number;
      history?: object | false;
      presence?: readonly string[];
    },
  ) {
    this.maxBufferedBytes = options.maxBufferedBytes;
    this.cork = new TurnCork(options.maxBufferedBytes);
    this.sharedPresence = new SharedPresence(options.presence ?? []);
    this.history = options.history === false ? undefined : registry.history;
    this.subscription = registry.events$.subscribe((event) =>
      this.onRegistryEvent(event),
    );
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Client views with an open (or opening) connection here. */
  get viewCount(): number {
    return this.views.size;
  }

  get channelCount(): number {
    return this.index.size;
  }

  get inertCount(): number {
    let inert = 0;
    for (const connection of this.connections) if (connection.inert) inert++;
    return inert;
  }

  /**
   * A valid handshake is about to complete: reserve the view, then load its
   * subscriptions from the registry, so they are in effect before the client sees
   * the socket open (README "Registries and guarantees" 2). Events for the view that arrive meanwhile are kept.
   */
  async open(digest: string): Promise<LocalView> {
    let view = this.views.get(digest);
    if (!view) {
      view = new LocalView(digest);
      this.views.set(digest, view);
    }
    view.opening++;
    try {
      const channels = await this.registry.attach(digest);
      for (const channel of channels) view.channels.add(channel);
      return view;
    } catch (error) {
      view.opening--;
      this.dropIfEmpty(view);
      throw error;
    }
  }

  /** The handshake of a view opened with `open` did not turn into a connection. */
  abandon(view: LocalView): void {
    view.opening--;
    this.registry.detach(view.digest);
    this.dropIfEmpty(view);
  }

  /**
   * A connection opened. With history its view's channels resume first (from the
   * positions the client presented in `since`, or as its view's first connection);
   * an inert one is told at once that nothing can be recovered.
   */
  add(connection: RealtimeConnection, since?: Positions): void {
    this.connections.add(connection);
    const view = connection.view;
    const history = this.history;
    if (!view) {
      // Inert: nothing is known for it, whatever it presents.
      if (history) {
        const plan = unknownViewPlan(since);
        finishResume(connection, plan, [], false);
        this.stats.resumed(plan.failed);
      }
      return;
    }
    view.opening--;
    view.connections.add(connection);
    for (const channel of view.channels) this.indexAdd(channel, connection);
    if (history) {
      const channels = [...view.channels];
      holdForResume(connection, channels, true);
      this.resume(history, view, [connection], channels, since, false);
    }
    this.events.next({
      type: 'connect',
      digest: view.digest,
      connectionId: connection.connectionId as string,
      instanceId: this.instanceId,
    });
  }

  remove(connection: RealtimeConnection): void {
    if (!this.connections.delete(connection)) return;
    const view = connection.view;
    if (!view) return;
    view.connections.delete(connection);
    for (const channel of view.channels) this.indexDelete(channel, connection);
    this.registry.detach(view.digest);
    this.dropIfEmpty(view);
    this.events.next({
      type: 'disconnect',
      digest: view.digest,
      connectionId: connection.connectionId as string,
      instanceId: this.instanceId,
    });
  }

  /** Whether a connection of `digest` here may ask for `channel`'s presence: the option shares it and the view holds it. */
  shares(digest: string, channel: string): boolean {
    const view = this.views.get(digest);
    return (
      view !== undefined &&
      view.channels.has(channel) &&
      this.sharedPresence.shares(channel)
    );
  }

  /** Every open connection (heartbeat, shutdown). */
  all(): IterableIterator<RealtimeConnection> {
    return this.connections.values();
  }

  sent(): void {
    this.stats.messagesOut++;
  }

  /**
   * README "Security and limits" slow consumer: a socket whose outbound backlog passed maxBufferedBytes gets
   * nothing more (it leaves the index at once, so its buffer stops growing and the
   * others are not held up) and is closed with 4000, so its client reconnects.
   */
  slowConsumer(connection: RealtimeConnection): void {
    const backlog = connection.ws.bufferedAmount;
    if (!this.connections.has(connection)) return;
    this.stats.slowConsumerCloses++;
    this.logger.warn(
      `Closed a slow consumer${connection.connectionId ? ` (${connection.connectionId})` : ''} from ${connection.address || '?'}: outbound backlog of ${backlog} bytes above maxBufferedBytes (${this.maxBufferedBytes})`,
    );
    this.remove(connection);
    connection.closeWith(
      CloseCode.SlowConsumer,
      'slow_consumer',
      'slow consumer',
    );
    // Its closing handshake waits behind the backlog; do not wait forever.
    setTimeout(
      () => connection.terminate('slow_consumer'),
      SLOW_CONSUMER_CLOSE_TIMEOUT,
    ).unref();
  }

  /** Asks the registry what `connections` missed on `channels`, then sends it (a registry that cannot say closes them with 1011, so they reconnect). */
  private resume(
    history: RegistryHistory,
    view: LocalView,
    connections: readonly RealtimeConnection[],
    channels: readonly string[],
    since: Positions | undefined,
    added: boolean,
  ): void {
    history.resume(view.digest, channels, since, added).then(
      (plan: ResumePlan) => {
        for (const connection of connections)
          if (this.connections.has(connection)) {
            finishResume(connection, plan, channels, !added);
            this.stats.resumed(plan.failed);
          }
      },
      (error: unknown) => {
        this.stats.registryError('resume');
        this.logger.warn(
          `Could not resume a connection's channels: ${String(error)}; closing it so it reconnects`,
        );
        for (const connection of connections)
          if (this.connections.has(connection))
            connection.closeWith(
              CloseCode.ServerError,
              'resume_failed',
              'resume failed',
            );
      },
    );
  }

  /** After shutdown: stop listening to the registry. */
  dispose(): void {
    this.subscription.unsubscribe();
    this.events.complete();
  }

  private onRegistryEvent(event: RegistryEvent): void {
    switch (event.type) {
      case 'push': {
        const connections = this.index.get(event.channel);
        if (connections === undefined) break;
        if (event.offset === undefined)
          this.write(connections, pushFrame(event.channel, event.json));
        else
          this.writeStamped(
            connections,
            event.channel,
            event.json,
            event.epoch,
            event.offset,
          );
        break;
      }
      case 'pushMatching':
        // With history the matched channels came as stamped pushes already.
        if (event.stamped === undefined)
          this.deliverMatching(event.pattern, event.json);
        break;
      case 'direct': {
        const view = this.views.get(event.digest);
        if (view && view.connections.size > 0)
          this.write(view.connections, pushFrame(event.channel, event.json));
        break;
      }
      case 'subscribe': {
        const view = this.views.get(event.digest);
        if (!view) return;
        const added: string[] = [];
        for (const channel of event.channels) {
          if (view.channels.has(channel)) continue;
          view.channels.add(channel);
          added.push(channel);
          for (const connection of view.connections)
            this.indexAdd(channel, connection);
        }
        // Live connections are told the new channels' epochs and get what was pushed since subscribe().
        if (this.history && added.length > 0 && view.connections.size > 0) {
          const connections = [...view.connections];
          for (const connection of connections)
            holdForResume(connection, added, false);
          this.resume(this.history, view, connections, added, undefined, true);
        }
        break;
      }
      case 'unsubscribe': {
        const view = this.views.get(event.digest);
        if (!view) return;
        for (const channel of event.channels) {
          if (!view.channels.delete(channel)) continue;
          for (const connection of view.connections)
            this.indexDelete(channel, connection);
        }
        break;
      }
      case 'revoke': {
        // README "Revocation": nothing more reaches them; the client does not reconnect.
        const view = this.views.get(event.digest);
        if (!view) break;
        for (const connection of [...view.connections]) {
          this.remove(connection);
          connection.closeWith(CloseCode.Revoked, 'revoked', event.reason);
        }
        break;
      }
      case 'presence': {
        this.stats.presenceChanged(event.change);
        const connections = this.index.get(event.channel);
        if (connections && this.sharedPresence.shares(event.channel))
          this.write(
            connections,
            presenceFrame(event.channel, event.change, event.user, event.info),
          );
        break;
      }
      case 'gap': {
        // Told at once, per channel, without disconnecting (README "Delivery guarantees").
        const connections = this.index.get(event.channel);
        if (connections === undefined) break;
        this.stats.resumed({ [event.channel]: event.reason }, connections.size);
        this.write(
          connections,
          resumeFrame(
            0,
            { [event.channel]: event.epoch },
            { [event.channel]: event.reason },
          ),
        );
        break;
      }
    }
  }

  /** Wildcard fan-out: one frame per matching local channel, carrying the subscribed name. */
  private deliverMatching(source: string, json: string): void {
    const pattern = new ChannelPattern(source);
    for (const [name, connections] of this.index) {
      if (pattern.matches(name)) this.write(connections, pushFrame(name, json));
    }
  }

  /** One frame, serialized once (README "Registries and guarantees" 5), through each connection's send path. */
  private write(connections: Iterable<RealtimeConnection>, text: string): void {
    const frame = new OutboundFrame(Buffer.from(text));
    let dropped = 0;
    for (const connection of connections)
      if (!connection.send(frame)) dropped++;
    this.stats.framesDropped += dropped;
  }

  /** A push with its place in the channel's history: one frame, held by connections whose channel resumes. */
  private writeStamped(
    connections: Set<RealtimeConnection>,
    channel: string,
    json: string,
    epoch: string | undefined,
    offset: number,
  ): void {
    const frame = new OutboundFrame(
      Buffer.from(offsetPushFrame(channel, json, offset)),
    );
    let dropped = 0;
    for (const connection of connections)
      if (!connection.deliver(frame, channel, epoch, offset)) dropped++;
    this.stats.framesDropped += dropped;
  }

  private indexAdd(channel: string, connection: RealtimeConnection): void {
    let set = this.index.get(channel);
    if (!set) {
      set = new Set();
      this.index.set(channel, set);
    }
    set.add(connection);
  }

  private indexDelete(channel: string, connection: RealtimeConnection): void {
    const set = this.index.get(channel);
    if (set && set.delete(connection) && set.size === 0)
      this.index.delete(channel);
  }

  private dropIfEmpty(view: LocalView): void {
    if (
      view.opening === 0 &&
      view.connections.size === 0 &&
      this.views.get(view.digest) === view
    )
      this.views.delete(view.digest);
  }
}
