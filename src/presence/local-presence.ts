/** What a view held by this instance contributes to presence (README "Users and presence"). */
export interface PresentView {
  readonly user: string | undefined;
  /** The user's info as JSON text. */
  readonly info: string | undefined;
  /** Its live connections here (0: it contributes nothing). */
  readonly connections: number;
  readonly channels: Iterable<string>;
}

/** One user on one channel, on this instance. */
export interface LocalUser {
  connections: number;
  info: string | undefined;
  /** Set while the user's last connection here is gone, until presenceGrace ends. */
  leaving: NodeJS.Timeout | undefined;
}

/** One channel's presence on this instance. */
export interface LocalChannel {
  views: number;
  connections: number;
  readonly users: Map<string, LocalUser>;
}

/** Told of every change, so a registry can emit it (memory) or write it out (Redis). */
export interface PresenceSink {
  /** `user` has its first connection on `channel` here (not back within its grace). */
  joined(channel: string, user: string, info: string | undefined): void;
  /** `user`'s grace on `channel` ended with no connection here. */
  left(channel: string, user: string, info: string | undefined): void;
  /** The channel's counts here changed; `user`, when one of its users' entry did. */
  changed(channel: string, user: string | undefined): void;
}

interface Contribution {
  readonly user: string | undefined;
  readonly info: string | undefined;
  readonly connections: number;
  readonly channels: readonly string[];
}

/**
 * This instance's side of presence: per channel, the users with live connections of a
 * view subscribed to it (a user whose last one went stays for `grace`), and the views'
 * and connections' counts. Registries feed it each held view's state; it works out what
 * changed. Nothing here is per push: only connects, disconnects and subscription changes.
 */
export class LocalPresence {
  private readonly views = new Map<string, Contribution>();
  readonly channels = new Map<string, LocalChannel>();

  constructor(
    private readonly grace: number,
    private readonly sink: PresenceSink,
  ) {}

  /** The view's state now (undefined: gone from this instance). */
  update(digest: string, state: PresentView | undefined): void {
    const before = this.views.get(digest);
    const after: Contribution | undefined =
      state && state.connections > 0
        ? {
            user: state.user,
            info: state.info,
            connections: state.connections,
            channels: [...state.channels],
          }
        : undefined;
    if (after) this.views.set(digest, after);
    else if (before) this.views.delete(digest);
    else return;
    // Add first, then remove: a user present before and after never reaches zero.
    if (after) this.apply(after, 1);
    if (before) this.apply(before, -1);
  }

  /** Every channel and user held here (a registry writing all of it again after a loss). */
  *entries(): IterableIterator<[string, LocalChannel]> {
    yield* this.channels;
  }

  /** Stops the grace timers (the app is closing). */
  clear(): void {
    for (const channel of this.channels.values())
      for (const user of channel.users.values())
        if (user.leaving) clearTimeout(user.leaving);
    this.channels.clear();
    this.views.clear();
  }

  private apply(view: Contribution, sign: 1 | -1): void {
    const n = view.connections * sign;
    for (const name of view.channels) {
      let channel = this.channels.get(name);
      if (!channel) {
        channel = { views: 0, connections: 0, users: new Map() };
        this.channels.set(name, channel);
      }
      channel.views += sign;
      channel.connections += n;
      if (view.user !== undefined) this.applyUser(name, channel, view, n);
      this.sink.changed(name, view.user);
      if (channel.views === 0 && channel.users.size === 0)
        this.channels.delete(name);
    }
  }

  private applyUser(
    name: string,
    channel: LocalChannel,
    view: Contribution,
    n: number,
  ): void {
    const user = view.user as string;
    let entry = channel.users.get(user);
    if (!entry) {
      if (n <= 0) return;
      entry = { connections: 0, info: view.info, leaving: undefined };
      channel.users.set(user, entry);
      entry.connections = n;
      this.sink.joined(name, user, view.info);
      return;
    }
    entry.connections += n;
    if (n > 0) {
      entry.info = view.info;
      if (entry.leaving) {
        clearTimeout(entry.leaving);
        entry.leaving = undefined;
      }
      return;
    }
    if (entry.connections > 0) return;
    if (this.grace === 0) return this.leave(name, channel, user, entry);
    entry.leaving = setTimeout(
      () => this.leave(name, channel, user, entry),
      this.grace,
    );
    entry.leaving.unref();
  }

  private leave(
    name: string,
    channel: LocalChannel,
    user: string,
    entry: LocalUser,
  ): void {
    channel.users.delete(user);
    if (channel.views === 0 && channel.users.size === 0)
      this.channels.delete(name);
    this.sink.left(name, user, entry.info);
    this.sink.changed(name, user);
  }
}
