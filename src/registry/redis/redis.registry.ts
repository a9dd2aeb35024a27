import type { Logger } from '@nestjs/common';
import { Subject } from 'rxjs';
import { RealtimeError } from '../../exceptions/realtime.error';
import type { RealtimeRegistry, RegistryEvent } from '../realtime-registry';
import { PendingAcks } from './pending-acks';
import { PubSubSubscriptions } from './pubsub-subscriptions';
import { pack, unpack } from './redis-codec';
import type { RedisClient, RedisClients } from './redis-clients';
import type { RedisNames } from './redis-names';
import { SCRIPTS } from './redis-scripts';

export interface RedisRegistryOptions {
  pendingTtl: number;
  reconnectGrace: number;
  publishTimeout: number;
}

/** A view with live connections on this instance, mirrored from Redis. */
interface HeldView {
  connections: number;
  channels: Set<string>;
  /** Set while the view's channels load; control messages meanwhile are queued. */
  loading: Promise<void> | undefined;
  queued: Array<() => void>;
}

/** The scripts of redis-scripts.ts, defined on the command connection. */
interface ScriptCommands {
  rtSubscribe(key: string, ...args: Array<string | number>): Promise<unknown>;
  rtUnsubscribe(key: string, ...args: string[]): Promise<unknown>;
  rtAttach(
    channelsKey: string,
    liveKey: string,
    ...args: Array<string | number>
  ): Promise<string[]>;
  rtDetach(
    channelsKey: string,
    liveKey: string,
    instanceId: string,
    grace: number,
  ): Promise<unknown>;
  rtRenew(
    channelsKey: string,
    liveKey: string,
    instanceId: string,
    ttl: number,
  ): Promise<unknown>;
}

const UNAVAILABLE = 'the registry could not reach Redis within publishTimeout';
const unavailable = (): RealtimeError =>
  new RealtimeError('registry_unavailable', UNAVAILABLE);
function toVoid(): void {}
function toUnavailable(error: unknown): never {
  throw error instanceof RealtimeError ? error : unavailable();
}

/**
 * SPEC §6 on Redis. Subscriptions live in a SET per view; a push is one PUBLISH per
 * channel, to `<prefix>c:<channel>`, which only instances with local subscribers
 * listen to; wildcard pushes go to one channel every instance listens to. A view's
 * subscription changes are announced on `<prefix>v:<digest>` — heard only by the
 * instances holding it — and `subscribe()` resolves once every one of them confirmed.
 */
export class RedisRegistry implements RealtimeRegistry {
  readonly kind = 'redis';
  private readonly subject = new Subject<RegistryEvent>();
  readonly events$ = this.subject.asObservable();
  private readonly views = new Map<string, HeldView>();
  /** Reference counts of the pub/sub channels this instance listens to. */
  private readonly subscriptions: PubSubSubscriptions;
  private readonly acks = new PendingAcks();
  private readonly command: RedisClient & ScriptCommands;
  private readonly ackChannel: string;
  private heartbeat: NodeJS.Timeout | undefined;
  private recovering = false;
  /** The subscriber answered a PING after (re)connecting: its re-subscriptions are in effect. */
  private subscriberSynced = false;
  private closed = false;

  constructor(
    private readonly clients: RedisClients,
    private readonly names: RedisNames,
    private readonly options: RedisRegistryOptions,
    private readonly instanceId: string,
    private readonly logger: Logger,
  ) {
    this.command = clients.command as RedisClient & ScriptCommands;
    this.ackChannel = names.instance(instanceId);
    this.subscriptions = new PubSubSubscriptions(clients.pubsub, logger);
    for (const [name, definition] of Object.entries(SCRIPTS))
      this.command.defineCommand(name, definition);
  }

  /** Connects (without waiting: boot must not hang on Redis) and starts listening. */
  init(): void {
    const { command, subscriber, pubsub } = this.clients;
    pubsub.onMessage((channel, message) => this.onMessage(channel, message));
    let first = true;
    command.on('ready', () => {
      if (first) first = false;
      else void this.recover();
    });
    subscriber.on('close', () => (this.subscriberSynced = false));
    subscriber.on('ready', () => {
      // Replies come in order: once PING answers, every re-subscription before it is active.
      subscriber
        .ping()
        .then(
          () => (this.subscriberSynced = subscriber.status === 'ready'),
          toVoid,
        );
    });
    for (const client of [command, subscriber]) {
      client.on('error', (error: Error) =>
        this.logger.warn(`Redis: ${error.message}`),
      );
      client.connect().catch(toVoid); // ioredis keeps retrying by itself
    }
    void this.subscriptions.acquire(this.names.wildcard);
    void this.subscriptions.acquire(this.ackChannel);
    const interval = Math.max(250, Math.floor(this.options.pendingTtl / 3));
    this.heartbeat = setInterval(() => this.renew(), interval);
    this.heartbeat.unref();
  }

  /** Both connections up and, after a reconnect, the live views registered again. */
  isReady(): boolean {
    return (
      this.clients.command.status === 'ready' &&
      this.clients.subscriber.status === 'ready' &&
      !this.recovering
    );
  }

  async subscribe(digest: string, channels: readonly string[]): Promise<void> {
    await this.change(digest, 's', channels, () =>
      this.command.rtSubscribe(
        this.names.channelsKey(digest),
        this.options.pendingTtl,
        ...channels,
      ),
    );
  }

  async unsubscribe(
    digest: string,
    channels: readonly string[],
  ): Promise<void> {
    await this.change(digest, 'u', channels, () =>
      this.command.rtUnsubscribe(this.names.channelsKey(digest), ...channels),
    );
  }

  publish(channels: readonly string[], json: string): Promise<void> {
    if (this.clients.command.status !== 'ready')
      return this.whenReady().then(() => this.publish(channels, json));
    if (channels.length === 1)
      return this.publishOne(channels[0], json).then(toVoid, toUnavailable);
    const sent: Array<Promise<number>> = [];
    for (let i = 0; i < channels.length; i++)
      sent.push(this.publishOne(channels[i], json));
    return Promise.all(sent).then(toVoid, toUnavailable);
  }

  publishMatching(patterns: readonly string[], json: string): Promise<void> {
    if (this.clients.command.status !== 'ready')
      return this.whenReady().then(() => this.publishMatching(patterns, json));
    const sent: Array<Promise<number>> = [];
    for (let i = 0; i < patterns.length; i++)
      sent.push(
        this.clients.pubsub.publish(
          this.names.wildcard,
          pack(patterns[i], json),
        ),
      );
    return Promise.all(sent).then(toVoid, toUnavailable);
  }

  async sendTo(digest: string, channel: string, json: string): Promise<void> {
    await this.whenReady();
    await this.clients.pubsub
      .publish(this.names.view(digest), 'd' + pack(channel, json))
      .catch(toUnavailable);
  }

  async attach(digest: string): Promise<readonly string[]> {
    let view = this.views.get(digest);
    if (view) {
      view.connections++;
    } else {
      view = {
        connections: 1,
        channels: new Set(),
        loading: undefined,
        queued: [],
      };
      this.views.set(digest, view);
      view.loading = this.load(digest, view);
    }
    try {
      await view.loading;
    } catch (error) {
      this.detach(digest);
      throw error;
    }
    return [...view.channels];
  }

  detach(digest: string): void {
    const view = this.views.get(digest);
    if (!view || --view.connections > 0) return;
    this.views.delete(digest);
    for (const channel of view.channels)
      this.subscriptions.release(this.names.channel(channel));
    this.subscriptions.release(this.names.view(digest));
    if (this.closed) return;
    this.command
      .rtDetach(
        this.names.channelsKey(digest),
        this.names.liveKey(digest),
        this.instanceId,
        this.options.reconnectGrace,
      )
      .catch((error: Error) =>
        this.logger.warn(
          `Redis: could not release a view (${error.message}); it expires after pendingTtl`,
        ),
      );
  }

  listen(channel: string): void {
    void this.subscriptions.acquire(this.names.channel(channel)).catch(toVoid);
  }

  unlisten(channel: string): void {
    this.subscriptions.release(this.names.channel(channel));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.heartbeat) clearInterval(this.heartbeat);
    // Start the grace period of every live view now rather than waiting for pendingTtl.
    const released: Array<Promise<unknown>> = [];
    if (this.clients.command.status === 'ready') {
      for (const digest of this.views.keys()) {
        released.push(
          this.command
            .rtDetach(
              this.names.channelsKey(digest),
              this.names.liveKey(digest),
              this.instanceId,
              this.options.reconnectGrace,
            )
            .catch(toVoid),
        );
      }
    }
    await Promise.all(released);
    this.closed = true;
    this.subscriptions.stop();
    this.views.clear();
    this.acks.rejectAll(unavailable());
    this.subject.complete();
    for (const client of [this.clients.command, this.clients.subscriber]) {
      await client.quit().catch(() => client.disconnect());
    }
  }

  private publishOne(channel: string, json: string): Promise<number> {
    return this.clients.pubsub.publish(this.names.channel(channel), json);
  }

  /** Waits up to publishTimeout for the command connection; then `registry_unavailable`. */
  private whenReady(): Promise<void> {
    const command = this.clients.command;
    if (command.status === 'ready') return Promise.resolve();
    if (this.closed) return Promise.reject(unavailable());
    return new Promise((resolve, reject) => {
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        command.off('ready', onReady);
        reject(unavailable());
      }, this.options.publishTimeout);
      command.once('ready', onReady);
    });
  }

  /** Listen to the view's control channel first, then read its channels: no change falls in between. */
  private async load(digest: string, view: HeldView): Promise<void> {
    await this.whenReady();
    await this.subscriptions
      .acquire(this.names.view(digest))
      .catch(toUnavailable);
    const channels = await this.command
      .rtAttach(
        this.names.channelsKey(digest),
        this.names.liveKey(digest),
        this.instanceId,
        this.options.pendingTtl,
      )
      .catch(toUnavailable);
    if (this.views.get(digest) !== view) return;
    for (const channel of channels) this.addChannel(view, channel);
    const queued = view.queued;
    view.queued = [];
    view.loading = undefined;
    for (const apply of queued) apply();
    await this.subscriptions
      .ready([...view.channels].map((channel) => this.names.channel(channel)))
      .catch(toUnavailable);
  }

  /** Writes a subscription change to Redis, then has every holder of the view apply it. */
  private async change(
    digest: string,
    kind: 's' | 'u',
    channels: readonly string[],
    write: () => Promise<unknown>,
  ): Promise<void> {
    await this.whenReady();
    await write().catch(toUnavailable);
    await this.announce(digest, kind, channels);
  }

  /** Publishes a subscription change to the view's holders and waits for each to confirm. */
  private async announce(
    digest: string,
    kind: 's' | 'u',
    channels: readonly string[],
  ): Promise<void> {
    const { id, done } = this.acks.expect(
      this.options.publishTimeout,
      unavailable,
    );
    try {
      const holders = await this.clients.pubsub.publish(
        this.names.view(digest),
        kind + JSON.stringify({ q: id, r: this.instanceId, c: channels }),
      );
      this.acks.arm(id, holders);
    } catch {
      this.acks.fail(id, unavailable());
    }
    await done;
  }

  private onMessage(channel: string, message: string): void {
    const names = this.names;
    if (channel.startsWith(names.channelPrefix)) {
      this.subject.next({
        type: 'push',
        channel: channel.slice(names.channelPrefix.length),
        json: message,
      });
    } else if (channel === names.wildcard) {
      const [pattern, json] = unpack(message, 0);
      this.subject.next({ type: 'pushMatching', pattern, json });
    } else if (channel.startsWith(names.viewPrefix)) {
      this.onViewMessage(channel.slice(names.viewPrefix.length), message);
    } else if (channel === this.ackChannel) {
      this.acks.ack(Number(message));
    }
  }

  private onViewMessage(digest: string, message: string): void {
    if (message[0] === 'd') {
      const [channel, json] = unpack(message, 1);
      this.subject.next({ type: 'direct', digest, channel, json });
      return;
    }
    let change: { q: number; r: string; c: string[] };
    try {
      change = JSON.parse(message.slice(1));
    } catch {
      return;
    }
    const view = this.views.get(digest);
    const apply = () =>
      void this.applyChange(digest, message[0] === 's', change);
    if (view?.loading) view.queued.push(apply);
    else apply();
  }

  /** Applies a change from any instance to a view held here, then confirms to the sender. */
  private async applyChange(
    digest: string,
    added: boolean,
    change: { q: number; r: string; c: string[] },
  ): Promise<void> {
    const view = this.views.get(digest);
    if (view) {
      const changed: string[] = [];
      for (const channel of change.c) {
        if (
          added
            ? this.addChannel(view, channel)
            : this.removeChannel(view, channel)
        )
          changed.push(channel);
      }
      if (changed.length > 0 && !view.loading) {
        this.subject.next({
          type: added ? 'subscribe' : 'unsubscribe',
          digest,
          channels: changed,
        });
      }
      // Acknowledge only once pushes on the new channels will reach this instance.
      if (added)
        await this.subscriptions
          .ready(change.c.map((c) => this.names.channel(c)))
          .catch(toVoid);
    }
    await this.clients.pubsub
      .publish(this.names.instance(change.r), String(change.q))
      .catch(toVoid);
  }

  private addChannel(view: HeldView, channel: string): boolean {
    if (view.channels.has(channel)) return false;
    view.channels.add(channel);
    void this.subscriptions.acquire(this.names.channel(channel)).catch(toVoid);
    return true;
  }

  private removeChannel(view: HeldView, channel: string): boolean {
    if (!view.channels.delete(channel)) return false;
    this.subscriptions.release(this.names.channel(channel));
    return true;
  }

  /** Holders renew their lease and the lifetime of their views (SPEC §6.3, §6.7). */
  private renew(): void {
    if (this.clients.command.status !== 'ready') return;
    for (const digest of this.views.keys()) {
      this.command
        .rtRenew(
          this.names.channelsKey(digest),
          this.names.liveKey(digest),
          this.instanceId,
          this.options.pendingTtl,
        )
        .catch(toVoid);
    }
  }

  /** After a reconnect (Redis may have restarted empty): register every live view again (SPEC §6.6). */
  private async recover(): Promise<void> {
    this.recovering = true;
    try {
      const registered: Array<Promise<unknown>> = [];
      for (const [digest, view] of this.views) {
        registered.push(
          this.command.rtAttach(
            this.names.channelsKey(digest),
            this.names.liveKey(digest),
            this.instanceId,
            this.options.pendingTtl,
            ...view.channels,
          ),
        );
      }
      await Promise.all(registered);
      this.logger.log(
        `Redis: reconnected; ${registered.length} live views registered again`,
      );
    } catch (error) {
      this.logger.warn(
        `Redis: re-registering live views failed (${(error as Error).message}); retrying on the next reconnect`,
      );
    } finally {
      this.recovering = false;
    }
  }
}
