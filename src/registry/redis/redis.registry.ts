import type { Logger } from '@nestjs/common';
import { Subject } from 'rxjs';
import { RealtimeError } from '../../exceptions/realtime.error';
import type { HistoryOptions } from '../../options';
import { TOO_MANY_CHANNELS } from '../../realtime.messages';
import {
  REVOKED_TTL,
  type RealtimeRegistry,
  type RegistryEvent,
  type RegistryHistory,
  type RevokeTarget,
} from '../realtime-registry';
import { HeldPushes } from './held-pushes';
import { PendingAcks } from './pending-acks';
import { PubSubSubscriptions } from './pubsub-subscriptions';
import { pack, unpack } from './redis-codec';
import type { RedisClients } from './redis-clients';
import {
  fail,
  registryError,
  revokedView,
  toVoid,
  unavailable,
  unconfirmed,
} from './redis-errors';
import { RedisLink } from './redis-link';
import type { RedisNames } from './redis-names';
import { RedisPresence } from './redis-presence';
import { RedisViewStore } from './redis-view-store';
import { StampedPushes } from './stamped-pushes';

interface RedisRegistryOptions {
  pendingTtl: number;
  reconnectGrace: number;
  publishTimeout: number;
  maxChannelsPerView: number;
  history?: HistoryOptions | false;
  presenceGrace: number;
}

/** A view with live connections on this instance, mirrored from Redis. */
interface HeldView {
  connections: number;
  channels: Set<string>;
  /** Set while the view's channels are read (first load or recovery); control messages meanwhile are queued. */
  loading: Promise<void> | undefined;
  queued: Array<() => void>;
  /** Local time until which this instance's lease is known to run (last confirmed attach or renew + pendingTtl). */
  leaseUntil: number;
  /** The app user it was identified as (README "Users and presence"), and its info (JSON). */
  user: string | undefined;
  info: string | undefined;
  /** Revoked (README "Revocation") while held: a handshake still attaching to it opens inert. */
  revoked: boolean;
}

/** A revocation announced on a view's control channel. */
interface Revocation {
  q: number;
  r: string;
  reason: string;
}

interface Change {
  /** Request id, unique per requester. */
  q: number;
  /** Requester's instance id (where the confirmation goes). */
  r: string;
  c: string[];
}

/** Pushes held while recovering (see HeldPushes). */
const MAX_HELD_PUSHES = 10_000;

/**
 * README "Registries and guarantees" on Redis. Subscriptions live in a SET per view; a push is one PUBLISH per
 * channel, to `<prefix>c:<channel>`, which only instances with local subscribers
 * listen to; wildcard pushes go to one channel every instance listens to. A view's
 * subscription changes are announced on `<prefix>v:<digest>` — heard only by the
 * instances holding it — and subscribe()/unsubscribe() resolve once every instance
 * with a live lease on the view (its `live` ZSET) confirmed by name, or its lease ended.
 *
 * After a lost connection the instance is *stale* until it recovered: pushes wait in a
 * bounded buffer, every held view is read back from Redis (whose set is the truth when
 * it still has the view) and the differences are emitted as subscribe/unsubscribe
 * events; only then are the held pushes released and isReady() true again.
 */
export class RedisRegistry implements RealtimeRegistry {
  readonly kind = 'redis';
  private readonly subject = new Subject<RegistryEvent>();
  readonly events$ = this.subject.asObservable();
  private readonly views = new Map<string, HeldView>();
  /** Reference counts of the pub/sub channels this instance listens to. */
  private readonly subscriptions: PubSubSubscriptions;
  private readonly acks = new PendingAcks();
  private readonly store: RedisViewStore;
  private readonly held = new HeldPushes(MAX_HELD_PUSHES);
  private readonly link: RedisLink;
  private readonly ackChannel: string;
  private readonly presenceEvents: string;
  /** With history (README "Delivery guarantees"): stamped pushes, sequenced; undefined with `history: false`. */
  private readonly stamped: StampedPushes | undefined;
  /** README "Users and presence". */
  readonly presence: RedisPresence;
  private heartbeat: NodeJS.Timeout | undefined;
  /** Renew intervals since the user indexes were last extended (see usersDue). */
  private intervalsSinceUsers = 0;
  /** close() started: no renewal or recovery may take a lease again. */
  private closing = false;
  private closed = false;

  constructor(
    private readonly clients: RedisClients,
    private readonly names: RedisNames,
    private readonly options: RedisRegistryOptions,
    private readonly instanceId: string,
    private readonly logger: Logger,
  ) {
    this.ackChannel = names.instance(instanceId);
    this.presenceEvents = names.presence('e');
    this.subscriptions = new PubSubSubscriptions(
      clients.pubsub,
      logger,
      (name) => {
        if (name.startsWith(names.channelPrefix))
          this.stamped?.forget(names.channelOf(name));
      },
    );
    this.store = new RedisViewStore(
      clients.command,
      names,
      options,
      instanceId,
    );
    if (options.history)
      this.stamped = new StampedPushes(
        clients,
        names,
        this.store,
        {
          history: options.history,
          // A channel's history outlives its last subscriber's view (pending or in its grace).
          keyTtl: this.dataTtl,
          deliversOwn: (channel) =>
            this.subscriptions.has(names.channel(channel)) &&
            !this.link.isStale,
        },
        this.subject,
        logger,
      );
    this.presence = new RedisPresence(
      clients.command,
      names,
      {
        grace: options.presenceGrace,
        interval: this.renewInterval,
        // Every holder renews them each interval: a dead instance's go with its liveness.
        keyTtl: Math.max(options.pendingTtl, 3 * this.renewInterval),
        sharded: clients.pubsub.sharded,
      },
      instanceId,
      this.subject,
      () => !this.link.isStale && this.link.commandUp(),
      logger,
    );
    this.link = new RedisLink(clients, options.publishTimeout, logger, {
      recover: () => this.reconcileAll(),
      recovered: () => {
        this.releaseHeld();
        // Redis may have lost presence, or swept this instance meanwhile: all of it again.
        this.presence.refresh(true);
      },
    });
  }

  /** Connects (without waiting: boot must not hang on Redis) and starts listening. */
  init(): void {
    const { command, subscriber, pubsub } = this.clients;
    pubsub.onMessage((channel, message) => this.onMessage(channel, message));
    this.link.watch();
    // ioredis reports every failed reconnect: say each error once per outage, not every attempt.
    const told = new Set<string>();
    for (const client of [command, subscriber]) {
      client.on('error', (error: Error) => {
        if (told.has(error.message)) return;
        told.add(error.message);
        this.logger.warn(`Redis: ${error.message}`);
      });
      client.on('ready', () => told.clear());
      client.connect().catch(toVoid); // ioredis keeps retrying by itself
    }
    void this.subscriptions.acquire(this.names.wildcard);
    void this.subscriptions.acquire(this.ackChannel);
    void this.subscriptions.acquire(this.names.presence('e'));
    this.presence.refresh();
    this.heartbeat = setInterval(() => this.renew(), this.renewInterval);
    this.heartbeat.unref();
  }

  /** The channels' histories (README "Delivery guarantees"); undefined with `history: false`. */
  get history(): RegistryHistory | undefined {
    return this.stamped?.history;
  }

  /** How long a channel's history and a user's index of views live after the last subscribe, identify or holder's renewal: past every view that holds them. */
  private get dataTtl(): number {
    return (
      Math.max(
        this.options.pendingTtl,
        this.options.reconnectGrace + this.renewInterval,
      ) + 1000
    );
  }

  /**
   * Whether this interval extends the user indexes of held views: only as often as
   * their lifetime needs (dataTtl, set by every identify and extension), with an
   * interval's margin for the timer's drift — every interval only when reconnectGrace
   * is short next to pendingTtl, every 2nd with the defaults.
   */
  private usersDue(): boolean {
    const every = Math.max(
      1,
      Math.floor((this.dataTtl - 1000) / this.renewInterval) - 1,
    );
    if (++this.intervalsSinceUsers < every) return false;
    this.intervalsSinceUsers = 0;
    return true;
  }

  /** How often holders renew their leases (and their channels' histories). */
  private get renewInterval(): number {
    return Math.max(250, Math.floor(this.options.pendingTtl / 3));
  }

  /** Both connections up, the subscriber in sync and, after a reconnect, every live view recovered. */
  isReady(): boolean {
    return this.link.isReady();
  }

  async subscribe(digest: string, channels: readonly string[]): Promise<void> {
    const distinct = [...new Set(channels)];
    const max = this.options.maxChannelsPerView;
    // More distinct names than the maximum can never fit, whatever the view holds.
    if (distinct.length > max)
      throw new RealtimeError('too_many_channels', TOO_MANY_CHANNELS(max));
    await this.link.whenReady();
    const positions = this.stamped
      ? await this.stamped.positions(distinct)
      : undefined;
    const holders = await this.store.subscribe(digest, distinct, positions);
    await this.confirm(digest, 's', distinct, holders);
  }

  async unsubscribe(
    digest: string,
    channels: readonly string[],
  ): Promise<void> {
    const distinct = [...new Set(channels)];
    await this.link.whenReady();
    const holders = await this.store.unsubscribe(digest, distinct);
    await this.confirm(digest, 'u', distinct, holders);
  }

  publish(channels: readonly string[], json: string): Promise<void> {
    if (!this.link.commandUp())
      return this.link.whenReady().then(() => this.publish(channels, json));
    if (channels.length === 1)
      return this.publishOne(channels[0], json).then(toVoid, fail);
    const sent: Array<Promise<unknown>> = [];
    for (let i = 0; i < channels.length; i++)
      sent.push(this.publishOne(channels[i], json));
    return Promise.all(sent).then(toVoid, fail);
  }

  publishMatching(patterns: readonly string[], json: string): Promise<void> {
    if (!this.link.commandUp())
      return this.link
        .whenReady()
        .then(() => this.publishMatching(patterns, json));
    const stamped = this.stamped;
    if (stamped)
      return Promise.all(
        patterns.map((pattern) => stamped.stampMatching(pattern, json)),
      ).then(toVoid, fail);
    const sent: Array<Promise<number>> = [];
    for (let i = 0; i < patterns.length; i++)
      sent.push(
        this.clients.pubsub.publish(
          this.names.wildcard,
          pack(patterns[i], json),
        ),
      );
    return Promise.all(sent).then(toVoid, fail);
  }

  async sendTo(digest: string, channel: string, json: string): Promise<void> {
    await this.link.whenReady();
    await this.clients.pubsub
      .publish(this.names.view(digest), 'd' + pack(channel, json))
      .catch(fail);
  }

  async attach(digest: string): Promise<readonly string[]> {
    let view = this.views.get(digest);
    if (view) {
      view.connections++;
      if (!view.loading) this.present(digest, view);
    } else {
      view = {
        connections: 1,
        channels: new Set(),
        loading: undefined,
        queued: [],
        leaseUntil: 0,
        user: undefined,
        info: undefined,
        revoked: false,
      };
      this.views.set(digest, view);
      view.loading = this.load(digest, view);
    }
    try {
      await view.loading;
      // `loading` ends once the channels are read, before Redis confirmed their
      // SUBSCRIBEs (load() still waits for those): a later connection of the view, or one
      // during a recovery, waits for them too before its upgrade completes (README
      // "Registries and guarantees" 2).
      await this.subscriptions
        .ready([...view.channels].map((channel) => this.names.channel(channel)))
        .catch(fail);
    } catch (error) {
      this.detach(digest);
      throw error;
    }
    // Revoked after Redis read it, before this handshake completed: it gets no view.
    if (view.revoked) throw revokedView();
    return [...view.channels];
  }

  detach(digest: string): void {
    const view = this.views.get(digest);
    if (!view) return;
    if (--view.connections > 0) {
      if (!view.loading) this.present(digest, view);
      return;
    }
    this.views.delete(digest);
    this.presence.local.update(digest, undefined);
    for (const channel of view.channels)
      this.subscriptions.release(this.names.channel(channel));
    this.subscriptions.release(this.names.view(digest));
    if (this.closed) return;
    this.store
      .detach(digest)
      .catch((error: Error) =>
        this.logger.warn(
          `Redis: could not release a view (${error.message}); it expires after pendingTtl`,
        ),
      );
  }

  async identify(
    digest: string,
    user: string,
    info: string | undefined,
  ): Promise<void> {
    await this.link.whenReady();
    await this.store.identify(digest, user, info);
    const key = this.names.userKey(user);
    await Promise.all([
      this.clients.command.sadd(key, digest),
      this.clients.command.pexpire(key, this.dataTtl),
      this.clients.pubsub.publish(
        this.names.view(digest),
        'i' + pack(user, info ?? ''),
      ),
    ]).catch(fail);
  }

  /**
   * README "Revocation": each view is marked revoked and its keys deleted in one script;
   * then every holder with a live lease closes its connections and confirms with how
   * many (a holder that cannot confirm while its lease runs makes the call reject).
   */
  async revoke(target: RevokeTarget, reason: string): Promise<number> {
    await this.link.whenReady();
    const command = this.clients.command;
    const digests =
      target.user !== undefined
        ? await command.smembers(this.names.userKey(target.user)).catch(fail)
        : [target.digest];
    const counts = await Promise.all(
      digests.map(async (digest) => {
        const holders = await this.store.revoke(digest, REVOKED_TTL);
        if (holders.length === 0) return 0;
        const { id, done, sum } = this.acks.expect(
          holders,
          this.options.publishTimeout,
        );
        const revocation: Revocation = { q: id, r: this.instanceId, reason };
        this.clients.pubsub
          .publish(this.names.view(digest), 'r' + JSON.stringify(revocation))
          .catch((error: unknown) => this.acks.fail(id, registryError(error)));
        // The lease entries went with the view's keys: a holder that does not confirm may still deliver.
        if ((await done).length > 0) throw unconfirmed();
        return sum.value;
      }),
    );
    if (target.user !== undefined && digests.length > 0)
      await command
        .srem(this.names.userKey(target.user), ...digests)
        .catch(fail);
    return counts.reduce((a, b) => a + b, 0);
  }

  listen(channel: string): void {
    void this.subscriptions.acquire(this.names.channel(channel)).catch(toVoid);
  }

  unlisten(channel: string): void {
    this.subscriptions.release(this.names.channel(channel));
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.link.close();
    // Start the grace period of every live view now rather than waiting for pendingTtl.
    const released: Array<Promise<unknown>> = [];
    if (this.link.commandUp()) {
      for (const digest of this.views.keys())
        released.push(this.store.detach(digest).catch(toVoid));
    }
    await Promise.all(released);
    this.closed = true;
    this.presence.close();
    this.subscriptions.stop();
    this.views.clear();
    this.acks.rejectAll(unavailable());
    this.subject.complete();
    for (const client of [this.clients.command, this.clients.subscriber]) {
      // QUIT on a connection that is down would wait in the offline queue.
      if (client.status === 'ready')
        await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    }
  }

  private publishOne(channel: string, json: string): Promise<unknown> {
    if (this.stamped) return this.stamped.stamp(channel, json);
    return this.clients.pubsub.publish(this.names.channel(channel), json);
  }

  /**
   * Has every holder with a live lease on the view apply a change already written to
   * Redis (README "Registries and guarantees" 1). A holder that did not confirm within publishTimeout holds the
   * call up only while its lease still runs: then the call rejects — it never resolves
   * while a holder may still deliver the old set.
   */
  private async confirm(
    digest: string,
    kind: 's' | 'u',
    channels: readonly string[],
    holders: readonly string[],
  ): Promise<void> {
    if (holders.length === 0) return;
    const { id, done } = this.acks.expect(holders, this.options.publishTimeout);
    const change: Change = { q: id, r: this.instanceId, c: [...channels] };
    this.clients.pubsub
      .publish(this.names.view(digest), kind + JSON.stringify(change))
      .catch((error: unknown) => this.acks.fail(id, registryError(error)));
    const missing = await done;
    if (missing.length === 0) return;
    const live = await this.store.live(digest, missing);
    if (live.length > 0) throw unconfirmed();
  }

  /** Listen to the view's control channel first, then read its channels: no change falls in between. */
  private async load(digest: string, view: HeldView): Promise<void> {
    await this.link.whenReady();
    await this.subscriptions.acquire(this.names.view(digest)).catch(fail);
    const sentAt = Date.now();
    const { channels, user, info } = await this.store.attach(digest);
    if (this.views.get(digest) !== view) return;
    view.leaseUntil = sentAt + this.options.pendingTtl;
    view.user = user;
    view.info = info;
    for (const channel of channels) this.addChannel(view, channel);
    this.applyQueued(view);
    this.present(digest, view);
    await this.subscriptions
      .ready([...view.channels].map((channel) => this.names.channel(channel)))
      .catch(fail);
  }

  private applyQueued(view: HeldView): void {
    const queued = view.queued;
    view.queued = [];
    view.loading = undefined;
    for (const apply of queued) apply();
  }

  private onMessage(channel: string, message: string): void {
    if (channel === this.presenceEvents) {
      this.presence.received(message);
    } else if (channel === this.ackChannel) {
      // `<request> <instance>[ <count>]`
      const [id, instance, count] = message.split(' ');
      this.acks.ack(Number(id), instance, count ? Number(count) : 0);
    } else if (
      this.link.isStale &&
      (channel === this.names.wildcard ||
        channel.startsWith(this.names.channelPrefix))
    ) {
      this.held.hold(channel, message);
    } else {
      this.dispatch(channel, message);
    }
  }

  private dispatch(channel: string, message: string): void {
    const names = this.names;
    if (channel.startsWith(names.channelPrefix)) {
      const name = names.channelOf(channel);
      if (this.stamped) this.stamped.received(name, message);
      else this.subject.next({ type: 'push', channel: name, json: message });
    } else if (channel === names.wildcard) {
      const stamped = StampedPushes.wildcard(message);
      if (stamped) {
        this.subject.next(stamped);
        return;
      }
      const [pattern, json] = unpack(message, 0);
      this.subject.next({ type: 'pushMatching', pattern, json });
    } else if (channel.startsWith(names.viewPrefix)) {
      this.onViewMessage(channel.slice(names.viewPrefix.length), message);
    }
  }

  private onViewMessage(digest: string, message: string): void {
    if (message[0] === 'd') {
      const [channel, json] = unpack(message, 1);
      this.subject.next({ type: 'direct', digest, channel, json });
      return;
    }
    if (message[0] === 'i') {
      // identify() on any instance: a holder keeps the user's index alive while it holds the view.
      const view = this.views.get(digest);
      if (!view) return;
      const [user, info] = unpack(message, 1);
      view.user = user;
      view.info = info === '' ? undefined : info;
      if (!view.loading) this.present(digest, view);
      return;
    }
    if (message[0] === 'r') {
      let revocation: Revocation;
      try {
        revocation = JSON.parse(message.slice(1)) as Revocation;
      } catch {
        return;
      }
      this.revoked(digest, revocation);
      return;
    }
    let change: Change;
    try {
      change = JSON.parse(message.slice(1)) as Change;
    } catch {
      return;
    }
    const view = this.views.get(digest);
    const apply = () =>
      void this.applyChange(digest, message[0] === 's', change);
    if (view?.loading) view.queued.push(apply);
    else apply();
  }

  /** A view held here was revoked: its connections close (the gateway), its local state goes; then confirm with how many. */
  private revoked(digest: string, revocation: Revocation): void {
    const view = this.views.get(digest);
    let count = 0;
    if (view) {
      count = view.connections;
      this.dropView(digest, view);
      this.subject.next({ type: 'revoke', digest, reason: revocation.reason });
    }
    this.clients.pubsub
      .publish(
        this.names.instance(revocation.r),
        `${revocation.q} ${this.instanceId} ${count}`,
      )
      .catch(toVoid);
  }

  /** Forgets a held view here without touching Redis (it is gone there already). */
  private dropView(digest: string, view: HeldView): void {
    view.revoked = true;
    this.views.delete(digest);
    this.presence.local.update(digest, undefined);
    for (const channel of view.channels)
      this.subscriptions.release(this.names.channel(channel));
    this.subscriptions.release(this.names.view(digest));
  }

  /** Applies a change from any instance to a view held here, then confirms it by name. */
  private async applyChange(
    digest: string,
    added: boolean,
    change: Change,
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
        this.present(digest, view);
      }
      // Confirm only once pushes on the new channels will reach this instance.
      if (added)
        await this.subscriptions
          .ready(change.c.map((c) => this.names.channel(c)))
          .catch(toVoid);
    }
    // Also when the view is not (or no longer) held here: this instance delivers nothing of it.
    await this.clients.pubsub
      .publish(this.names.instance(change.r), `${change.q} ${this.instanceId}`)
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

  /** Presence follows the held view's connections, channels and user (README "Users and presence"). */
  private present(digest: string, view: HeldView): void {
    this.presence.local.update(digest, {
      user: view.user,
      info: view.info,
      connections: view.connections,
      channels: view.channels,
    });
  }

  /** Holders renew their lease and the lifetime of their views (README "Registries and guarantees" 3). */
  private renew(): void {
    if (this.link.isStale || !this.link.commandUp()) return;
    this.presence.refresh();
    this.keepHistories().catch(toVoid);
    // The leases of held views and, when due, their users' indexes (one PEXPIRE per
    // user) go out together: one pipeline per interval on a single Redis.
    const users = new Set<string>();
    const withUsers = this.usersDue();
    const held: Array<[string, HeldView]> = [];
    for (const entry of this.views) {
      if (withUsers && entry[1].user) users.add(entry[1].user);
      if (!entry[1].loading) held.push(entry);
    }
    const sentAt = Date.now();
    this.store
      .renewAll(
        held.map(([digest]) => digest),
        [...users].map((user) => this.names.userKey(user)),
        this.dataTtl,
      )
      .then((results) => {
        results.forEach((renewed, i) => {
          const [digest, view] = held[i];
          if (renewed === undefined) return;
          if (this.views.get(digest) !== view || this.closing) return;
          if (renewed) {
            view.leaseUntil = sentAt + this.options.pendingTtl;
            return;
          }
          // Our lease entry is gone while connected (Redis lost it, or it ran out): recover.
          this.logger.warn(
            'Redis: a live view lost its lease; registering again',
          );
          this.link.markStale();
        });
      }, toVoid);
  }

  /**
   * With history: the histories of every channel a held view holds live on (a lost one
   * gets a new epoch, which the connections are told of with the next push).
   */
  private async keepHistories(): Promise<void> {
    if (!this.stamped) return;
    const channels = new Set<string>();
    for (const view of this.views.values())
      for (const channel of view.channels) channels.add(channel);
    await this.stamped.positions([...channels]);
  }

  /**
   * README "Registries and guarantees" 1 after a reconnect: reconciles every held view that is not loading (a
   * loading view reads a fresh copy by itself). Held pushes wait for `releaseHeld`.
   */
  private async reconcileAll(): Promise<void> {
    const views = [...this.views].filter(([, view]) => !view.loading);
    const results = await Promise.allSettled(
      views.map(([digest, view]) => this.reconcile(digest, view)),
    );
    for (const result of results)
      if (result.status === 'rejected') throw result.reason;
    await this.keepHistories();
    this.logger.log(
      `Redis: reconnected; ${views.length} live views registered again`,
    );
  }

  /** Recovered: the pushes that arrived meanwhile go on, against the reconciled sets. */
  private releaseHeld(): void {
    const { items, dropped } = this.held.take();
    for (const [channel, message] of items) this.dispatch(channel, message);
    if (dropped > 0)
      this.logger.warn(
        `Redis: ${dropped} pushes that arrived during recovery were dropped (buffer full)`,
      );
  }

  /**
   * Takes the view's stored set as the truth and emits the differences, so the gateway's
   * index follows. This instance's own copy is written back only when Redis lost the
   * view: its live ZSET is gone (a holder always has a lease entry in it, renewed every
   * pendingTtl / 3, so only a restart without data — or every lease running out — removes
   * it), and only while our lease is known to run: once it may have ended, changes made
   * meanwhile resolved without us, and our copy is no record of anything.
   */
  private async reconcile(digest: string, view: HeldView): Promise<void> {
    let settle = toVoid;
    view.loading = new Promise<void>((resolve) => (settle = resolve));
    const added: string[] = [];
    try {
      const sentAt = Date.now();
      const copy = sentAt < view.leaseUntil ? [...view.channels] : [];
      let read;
      try {
        read = await this.store.attach(digest, copy);
      } catch (error) {
        if ((error as RealtimeError).code !== 'revoked') throw error;
        // Revoked while this instance was cut off: it missed the announcement.
        if (this.views.get(digest) === view) {
          this.dropView(digest, view);
          this.subject.next({ type: 'revoke', digest, reason: 'revoked' });
        }
        return;
      }
      const stored = read.channels;
      if (this.views.get(digest) !== view) return;
      view.leaseUntil = sentAt + this.options.pendingTtl;
      view.user = read.user;
      view.info = read.info;
      const removed: string[] = [];
      for (const channel of view.channels)
        if (!stored.has(channel)) removed.push(channel);
      for (const channel of stored)
        if (!view.channels.has(channel)) added.push(channel);
      for (const channel of removed) this.removeChannel(view, channel);
      for (const channel of added) this.addChannel(view, channel);
      if (removed.length > 0)
        this.subject.next({ type: 'unsubscribe', digest, channels: removed });
      if (added.length > 0)
        this.subject.next({ type: 'subscribe', digest, channels: added });
    } finally {
      // Changes heard meanwhile apply on top of what was read (and are confirmed then).
      this.applyQueued(view);
      settle();
      if (this.views.get(digest) === view) this.present(digest, view);
    }
    await this.subscriptions
      .ready(added.map((channel) => this.names.channel(channel)))
      .catch(fail);
  }
}
