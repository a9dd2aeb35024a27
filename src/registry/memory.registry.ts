import { Subject } from 'rxjs';
import { RealtimeError } from '../exceptions/realtime.error';
import { TOO_MANY_CHANNELS } from '../realtime.messages';
import type { RealtimeRegistry, RegistryEvent } from './realtime-registry';

interface ViewState {
  channels: Set<string>;
  /** Live connections of the view on this instance. */
  live: number;
  /** Expiry of a never-connected or disconnected view. */
  timer?: NodeJS.Timeout;
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

  constructor(
    private readonly options: {
      pendingTtl: number;
      reconnectGrace: number;
      maxChannelsPerView: number;
    },
  ) {}

  async subscribe(digest: string, channels: readonly string[]): Promise<void> {
    const view = this.views.get(digest) ?? { channels: new Set(), live: 0 };
    const added = new Set<string>();
    for (const channel of channels)
      if (!view.channels.has(channel)) added.add(channel);
    const max = this.options.maxChannelsPerView;
    if (view.channels.size + added.size > max)
      throw new RealtimeError('too_many_channels', TOO_MANY_CHANNELS(max));
    this.views.set(digest, view);
    for (const channel of added) view.channels.add(channel);
    if (view.live > 0) {
      if (added.size > 0)
        this.subject.next({ type: 'subscribe', digest, channels: [...added] });
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
      if (view.channels.delete(channel)) removed.push(channel);
    }
    if (view.live > 0 && removed.length > 0)
      this.subject.next({ type: 'unsubscribe', digest, channels: removed });
  }

  async publish(channels: readonly string[], json: string): Promise<void> {
    for (let i = 0; i < channels.length; i++)
      this.subject.next({ type: 'push', channel: channels[i], json });
  }

  async publishMatching(
    patterns: readonly string[],
    json: string,
  ): Promise<void> {
    for (let i = 0; i < patterns.length; i++)
      this.subject.next({ type: 'pushMatching', pattern: patterns[i], json });
  }

  async sendTo(digest: string, channel: string, json: string): Promise<void> {
    this.subject.next({ type: 'direct', digest, channel, json });
  }

  async attach(digest: string): Promise<readonly string[]> {
    let view = this.views.get(digest);
    if (!view) {
      view = { channels: new Set(), live: 0 };
      this.views.set(digest, view);
    }
    view.live++;
    if (view.timer) {
      clearTimeout(view.timer);
      view.timer = undefined;
    }
    return [...view.channels];
  }

  detach(digest: string): void {
    const view = this.views.get(digest);
    if (!view || view.live === 0) return;
    view.live--;
    if (view.live > 0) return;
    if (view.channels.size === 0) this.views.delete(digest);
    else this.expireAfter(digest, view, this.options.reconnectGrace);
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
    return view ? [...view.channels] : undefined;
  }

  async close(): Promise<void> {
    for (const view of this.views.values())
      if (view.timer) clearTimeout(view.timer);
    this.views.clear();
    this.subject.complete();
  }

  private expireAfter(digest: string, view: ViewState, ms: number): void {
    if (view.timer) clearTimeout(view.timer);
    view.timer = setTimeout(() => {
      if (this.views.get(digest) === view && view.live === 0)
        this.views.delete(digest);
    }, ms);
    view.timer.unref();
  }
}
