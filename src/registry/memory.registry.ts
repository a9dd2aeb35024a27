import { Subject } from 'rxjs';
import { ChannelPattern } from '../channels';
import { SmallMap } from '../collections/small-map';
import { RealtimeError } from '../exceptions/realtime.error';
import {
  ChannelHistories,
  type HistoryPosition,
} from '../history/channel-histories';
import { planResume, unknownViewPlan } from '../history/resume-plan';
import type { HistoryOptions } from '../options';
import { LocalPresence } from '../presence/local-presence';
import type { Positions } from '../protocol/resume';
import { REVOKED_VIEW, TOO_MANY_CHANNELS } from '../realtime.messages';
import {
  REVOKED_TTL,
  type RealtimeRegistry,
  type RegistryEvent,
  type RegistryHistory,
  type RegistryPresence,
  type ResumePlan,
  type RevokeTarget,
} from './realtime-registry';

interface ViewState {
  /** Its channels, each with where the view subscribed in the channel's history (null: history off). */
  channels: SmallMap<string, HistoryPosition | null>;
  /** Live connections of the view on this instance. */
  live: number;
  /** Expiry of a never-connected or disconnected view. */
  timer?: NodeJS.Timeout;
  /** A subscribe made it (a connection alone does not): a resume for it is not `unknown_view`. */
  known: boolean;
  /** Its first connection resumed already (later ones replay only what they present). */
  resumed: boolean;
  /** The app user it was identified as (README "Users and presence"), with its info as JSON. */
  user?: string;
  info?: string;
}

function newView(): ViewState {
  return { channels: new SmallMap(), live: 0, known: false, resumed: false };
}

/**
 * One-process registry: subscriptions in a Map, pushes handed straight to the gateway.
 * Views without live connections expire after `pendingTtl` (never connected) or
 * `reconnectGrace` (disconnected), so nothing grows without bound.
 */
export class MemoryRegistry implements RealtimeRegistry {
  readonly kind: string = 'memory';
  private readonly subject = new Subject<RegistryEvent>();
  readonly events$ = this.subject.asObservable();
  private readonly views = new Map<string, ViewState>();
  /** Identified views by user. */
  private readonly users = new Map<string, Set<string>>();
  /** Revoked views: when each stops being inert (README "Revocation"). */
  private readonly revoked = new Map<string, number>();
  /** The channels' histories (README "Delivery guarantees"); undefined with `history: false`. */
  private readonly histories: ChannelHistories | undefined;
  readonly history: RegistryHistory | undefined;
  /** Presence (README "Users and presence"): one process, so its transitions are the cluster's. */
  private readonly local: LocalPresence;
  readonly presence: RegistryPresence;

  constructor(
    private readonly options: {
      pendingTtl: number;
      reconnectGrace: number;
      maxChannelsPerView: number;
      history?: HistoryOptions | false;
      presenceGrace?: number;
      instanceId?: string;
    },
  ) {
    const instanceId = options.instanceId ?? 'memory';
    const presenceEvent = (
      change: 'join' | 'leave',
      channel: string,
      user: string,
      info: string | undefined,
    ) =>
      this.subject.next({
        type: 'presence',
        channel,
        change,
        user,
        info,
        instanceId,
      });
    this.local = new LocalPresence(options.presenceGrace ?? 15_000, {
      joined: (channel, user, info) =>
        presenceEvent('join', channel, user, info),
      left: (channel, user, info) =>
        presenceEvent('leave', channel, user, info),
      changed: () => {},
    });
    this.presence = {
      list: async (channel) => {
        const users = this.local.channels.get(channel)?.users;
        if (!users) return [];
        return [...users].map(([user, entry]) => ({
          user,
          info: entry.info,
          connections: entry.connections,
        }));
      },
      stats: async (channel) => {
        const local = this.local.channels.get(channel);
        return {
          users: local?.users.size ?? 0,
          views: local?.views ?? 0,
          connections: local?.connections ?? 0,
        };
      },
    };
    const history = options.history;
    if (history) {
      const histories = new ChannelHistories(history);
      this.histories = histories;
      this.history = {
        resume: async (digest, channels, since, added) =>
          this.resume(
            histories,
            history.maxReplay,
            digest,
            channels,
            since,
            added,
          ),
        read: async (channel, since, limit) =>
          histories.read(channel, Date.now(), since, limit),
      };
    }
  }

  async subscribe(digest: string, channels: readonly string[]): Promise<void> {
    this.refuseRevoked(digest);
    const view = this.views.get(digest) ?? newView();
    view.known = true;
    const added = new Set<string>();
    for (const channel of channels)
      if (!view.channels.has(channel)) added.add(channel);
    const max = this.options.maxChannelsPerView;
    if (view.channels.size + added.size > max)
      throw new RealtimeError('too_many_channels', TOO_MANY_CHANNELS(max));
    this.views.set(digest, view);
    for (const channel of added)
      view.channels.set(channel, this.histories?.retain(channel) ?? null);
    if (view.live > 0) {
      if (added.size > 0) {
        this.subject.next({ type: 'subscribe', digest, channels: [...added] });
        this.present(digest, view);
      }
    } else {
      this.expireAfter(digest, view, this.options.pendingTtl);
    }
  }

  async unsubscribe(
    digest: string,
    channels: readonly string[],
  ): Promise<void> {
    const view = this.views.get(digest);
    if (!view) return;
    const removed: string[] = [];
    for (const channel of channels) {
      if (view.channels.delete(channel)) {
        removed.push(channel);
        this.histories?.release(channel);
      }
    }
    if (view.live > 0 && removed.length > 0) {
      this.subject.next({ type: 'unsubscribe', digest, channels: removed });
      this.present(digest, view);
    }
  }

  async publish(channels: readonly string[], json: string): Promise<void> {
    const histories = this.histories;
    if (!histories) {
      for (let i = 0; i < channels.length; i++)
        this.subject.next({ type: 'push', channel: channels[i], json });
      return;
    }
    const now = Date.now();
    for (let i = 0; i < channels.length; i++) {
      const channel = channels[i];
      const at = histories.stamp(channel, json, now);
      this.subject.next({
        type: 'push',
        channel,
        json,
        epoch: at?.epoch,
        offset: at?.offset,
      });
    }
  }

  /** With history, each subscribed channel a pattern matches is stamped and pushed on its own. */
  async publishMatching(
    patterns: readonly string[],
    json: string,
  ): Promise<void> {
    const histories = this.histories;
    const now = Date.now();
    for (let i = 0; i < patterns.length; i++) {
      const pattern = patterns[i];
      if (!histories) {
        this.subject.next({ type: 'pushMatching', pattern, json });
        continue;
      }
      const matcher = new ChannelPattern(pattern);
      const stamped: string[] = [];
      for (const channel of histories.channels())
        if (matcher.matches(channel)) stamped.push(channel);
      for (const channel of stamped) {
        const at = histories.stamp(channel, json, now) as HistoryPosition;
        this.subject.next({
          type: 'push',
          channel,
          json,
          epoch: at.epoch,
          offset: at.offset,
        });
      }
      this.subject.next({ type: 'pushMatching', pattern, json, stamped });
    }
  }

  async sendTo(digest: string, channel: string, json: string): Promise<void> {
    this.subject.next({ type: 'direct', digest, channel, json });
  }

  async identify(
    digest: string,
    user: string,
    info: string | undefined,
  ): Promise<void> {
    this.refuseRevoked(digest);
    let view = this.views.get(digest);
    if (!view) {
      view = newView();
      this.views.set(digest, view);
      this.expireAfter(digest, view, this.options.pendingTtl);
    }
    if (view.user !== undefined) this.unindex(digest, view.user);
    view.user = user;
    view.info = info;
    let digests = this.users.get(user);
    if (!digests) {
      digests = new Set();
      this.users.set(user, digests);
    }
    digests.add(digest);
    if (view.live > 0) this.present(digest, view);
  }

  async revoke(target: RevokeTarget, reason: string): Promise<number> {
    const now = Date.now();
    for (const [digest, until] of this.revoked)
      if (until <= now) this.revoked.delete(digest);
    const digests =
      target.user !== undefined
        ? [...(this.users.get(target.user) ?? [])]
        : [target.digest];
    let closed = 0;
    for (const digest of digests) {
      this.revoked.set(digest, now + REVOKED_TTL);
      const view = this.views.get(digest);
      if (!view) continue;
      closed += view.live;
      if (view.timer) clearTimeout(view.timer);
      this.forget(digest, view);
      this.subject.next({ type: 'revoke', digest, reason });
    }
    return closed;
  }

  async attach(digest: string): Promise<readonly string[]> {
    this.refuseRevoked(digest);
    let view = this.views.get(digest);
    if (!view) {
      view = newView();
      this.views.set(digest, view);
    }
    view.live++;
    if (view.timer) {
      clearTimeout(view.timer);
      view.timer = undefined;
    }
    this.present(digest, view);
    return [...view.channels.keys()];
  }

  detach(digest: string): void {
    const view = this.views.get(digest);
    if (!view || view.live === 0) return;
    view.live--;
    this.present(digest, view);
    if (view.live > 0) return;
    // An identified view keeps its user through the grace too (a reconnect is not a new view).
    if (view.channels.size === 0 && view.user === undefined)
      this.views.delete(digest);
    else this.expireAfter(digest, view, this.options.reconnectGrace);
  }

  private resume(
    histories: ChannelHistories,
    maxReplay: number,
    digest: string,
    channels: readonly string[],
    since: Positions | undefined,
    added: boolean,
  ): ResumePlan {
    const view = this.views.get(digest);
    if (!view || !view.known) return unknownViewPlan(since);
    const first = !added && !view.resumed;
    if (!added) view.resumed = true;
    const now = Date.now();
    return planResume(
      { channels, since, fromRecorded: added || first, maxReplay },
      (channel) => {
        const recorded = view.channels.get(channel);
        const current = histories.position(channel);
        return recorded && current ? { recorded, current } : undefined;
      },
      (channel, from, max) => histories.replay(channel, from, now, max),
    );
  }

  isReady(): boolean {
    return true;
  }

  listen(): void {
    // Every push already reaches this process.
  }

  unlisten(): void {}

  /** Number of client views holding subscriptions (for tests and stats). */
  get size(): number {
    return this.views.size;
  }

  /** Channels of a view, or undefined when it holds none (for tests). */
  channelsOf(digest: string): readonly string[] | undefined {
    const view = this.views.get(digest);
    return view ? [...view.channels.keys()] : undefined;
  }

  async close(): Promise<void> {
    for (const view of this.views.values())
      if (view.timer) clearTimeout(view.timer);
    this.views.clear();
    this.users.clear();
    this.local.clear();
    this.subject.complete();
  }

  private refuseRevoked(digest: string): void {
    const until = this.revoked.get(digest);
    if (until === undefined) return;
    if (until > Date.now()) throw new RealtimeError('revoked', REVOKED_VIEW);
    this.revoked.delete(digest);
  }

  /** Presence follows the view's live connections, channels and user. */
  private present(digest: string, view: ViewState): void {
    this.local.update(digest, {
      user: view.user,
      info: view.info,
      connections: view.live,
      channels: view.channels.keys(),
    });
  }

  private unindex(digest: string, user: string): void {
    const digests = this.users.get(user);
    if (digests?.delete(digest) && digests.size === 0) this.users.delete(user);
  }

  /** Drops a view and its hold on its channels' histories. */
  private forget(digest: string, view: ViewState): void {
    this.views.delete(digest);
    this.local.update(digest, undefined);
    if (view.user !== undefined) this.unindex(digest, view.user);
    if (this.histories)
      for (const channel of view.channels.keys())
        this.histories.release(channel);
  }

  private expireAfter(digest: string, view: ViewState, ms: number): void {
    if (view.timer) clearTimeout(view.timer);
    view.timer = setTimeout(() => {
      if (this.views.get(digest) === view && view.live === 0)
        this.forget(digest, view);
    }, ms);
    view.timer.unref();
  }
}
