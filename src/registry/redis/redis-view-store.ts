import { isCluster, type RedisClient } from './redis-clients';
import { fail, registryError, revokedView, toVoid } from './redis-errors';
import type { RedisNames } from './redis-names';
import { CHUNK, SCRIPTS } from './redis-scripts';

/** The scripts of redis-scripts.ts, defined on the command connection. */
interface ScriptCommands {
  rtSubscribe(
    channelsKey: string,
    liveKey: string,
    positionsKey: string,
    revokedKey: string,
    ...args: Array<string | number>
  ): Promise<string[]>;
  rtUnsubscribe(
    channelsKey: string,
    liveKey: string,
    positionsKey: string,
    ...channels: string[]
  ): Promise<string[]>;
  rtAttach(
    channelsKey: string,
    liveKey: string,
    positionsKey: string,
    revokedKey: string,
    ...args: Array<string | number>
  ): Promise<
    [
      size: number,
      members?: string[] | null,
      user?: string | null,
      info?: string | null,
    ]
  >;
  rtIdentify(
    positionsKey: string,
    revokedKey: string,
    user: string,
    info: string,
    ttl: number,
  ): Promise<number>;
  rtRevoke(
    channelsKey: string,
    liveKey: string,
    positionsKey: string,
    revokedKey: string,
    ttl: number,
  ): Promise<string[]>;
  rtDetach(
    channelsKey: string,
    liveKey: string,
    positionsKey: string,
    instanceId: string,
    grace: number,
  ): Promise<unknown>;
  rtRenew(
    channelsKey: string,
    liveKey: string,
    positionsKey: string,
    instanceId: string,
    ttl: number,
  ): Promise<number>;
  rtLive(liveKey: string, ...instanceIds: string[]): Promise<string[]>;
  rtResume(
    positionsKey: string,
    added: '0' | '1',
    ...channels: string[]
  ): Promise<
    [known: 0] | [known: 1, first: number, positions: Array<string | null>]
  >;
}

export interface ViewStoreOptions {
  pendingTtl: number;
  reconnectGrace: number;
  maxChannelsPerView: number;
}

/** What the store knows of a view when one of its connections resumes. */
export type StoredResume =
  | { readonly known: false }
  | {
      readonly known: true;
      /** Its first resume (later connections replay only what they present). */
      readonly first: boolean;
      /** Per asked channel, where the view subscribed to it (`<epoch> <offset>`), if recorded. */
      readonly positions: ReadonlyArray<string | null>;
    };

/**
 * The stored side of the client views (README "Registries and guarantees"): a SET of channels, a ZSET of live
 * leases and, with history, a HASH of subscribe-time positions per view, changed only through the atomic scripts. Every failure comes out as
 * the RealtimeError it means (redis-errors.ts).
 */
export class RedisViewStore {
  private readonly command: RedisClient & ScriptCommands;

  constructor(
    command: RedisClient,
    private readonly names: RedisNames,
    private readonly options: ViewStoreOptions,
    private readonly instanceId: string,
  ) {
    this.command = command as RedisClient & ScriptCommands;
    for (const [name, definition] of Object.entries(SCRIPTS))
      this.command.defineCommand(name, definition);
  }

  /**
   * Adds distinct `channels` (or rejects with `too_many_channels`, adding none), with
   * history each one's `<epoch> <offset>` (kept for the channels the view did not hold
   * yet); resolves with the live holders.
   */
  subscribe(
    digest: string,
    channels: readonly string[],
    positions: readonly string[] = [],
  ): Promise<string[]> {
    const max = this.options.maxChannelsPerView;
    return this.command
      .rtSubscribe(
        ...this.keys(digest),
        this.names.revokedKey(digest),
        this.options.pendingTtl,
        max,
        channels.length,
        ...channels,
        ...positions,
      )
      .catch((error: unknown) => {
        throw registryError(error, max);
      });
  }

  /** Removes `channels`; resolves with the live holders. */
  unsubscribe(digest: string, channels: readonly string[]): Promise<string[]> {
    return this.command
      .rtUnsubscribe(...this.keys(digest), ...channels)
      .catch(fail);
  }

  /**
   * Takes (or renews) this instance's lease on the view and reads its channels. `copy`
   * is written back first only if Redis lost the view (no live ZSET).
   */
  async attach(
    digest: string,
    copy: readonly string[] = [],
  ): Promise<{
    channels: Set<string>;
    user: string | undefined;
    info: string | undefined;
  }> {
    const [size, members, user, info] = await this.command
      .rtAttach(
        ...this.keys(digest),
        this.names.revokedKey(digest),
        this.instanceId,
        this.options.pendingTtl,
        CHUNK,
        ...copy,
      )
      .catch(fail);
    // README "Revocation": a revoked view stays inert.
    if (size === -1) throw revokedView();
    const channels =
      members && members.length === size
        ? new Set(members)
        : await this.scan(digest);
    return {
      channels,
      user: user ?? undefined,
      info: info ? info : undefined,
    };
  }

  /** Records the view's user (rejects with `revoked` for a revoked view). */
  async identify(
    digest: string,
    user: string,
    info: string | undefined,
  ): Promise<void> {
    await this.command
      .rtIdentify(
        this.names.positionsKey(digest),
        this.names.revokedKey(digest),
        user,
        info ?? '',
        this.options.pendingTtl,
      )
      .catch(fail);
  }

  /** Revokes the view (inert for `ttl`, keys gone); resolves with the holders whose lease still runs. */
  revoke(digest: string, ttl: number): Promise<string[]> {
    return this.command
      .rtRevoke(...this.keys(digest), this.names.revokedKey(digest), ttl)
      .catch(fail);
  }

  detach(digest: string): Promise<unknown> {
    return this.command.rtDetach(
      ...this.keys(digest),
      this.instanceId,
      this.options.reconnectGrace,
    );
  }

  /**
   * One renew interval: this instance's lease on each of `digests` and the lifetime of
   * `keys` (the user indexes), `ttl` ms. On a single Redis one pipeline (one write, one
   * round trip); on a Cluster, whose pipelines may hold one node's slots only, a command
   * each. Per digest: whether its lease entry was still there (false: nothing was
   * written), undefined when the renewal failed (the next interval tries again).
   */
  async renewAll(
    digests: readonly string[],
    keys: readonly string[],
    ttl: number,
  ): Promise<Array<boolean | undefined>> {
    const renew = (batch: ScriptCommands, digest: string) =>
      batch.rtRenew(
        ...this.keys(digest),
        this.instanceId,
        this.options.pendingTtl,
      );
    if (isCluster(this.command)) {
      for (const key of keys) this.command.pexpire(key, ttl).catch(toVoid);
      return Promise.all(
        digests.map((digest) =>
          renew(this.command, digest).then(
            (renewed) => renewed === 1,
            () => undefined,
          ),
        ),
      );
    }
    const pipeline = this.command.pipeline();
    for (const key of keys) pipeline.pexpire(key, ttl);
    for (const digest of digests)
      renew(pipeline as unknown as ScriptCommands, digest);
    const results = await pipeline.exec().catch(() => null);
    return digests.map((_, i) => {
      const [error, renewed] = results?.[keys.length + i] ?? [true];
      return error ? undefined : renewed === 1;
    });
  }

  /** Those of `instanceIds` whose lease on the view is still running. */
  live(digest: string, instanceIds: readonly string[]): Promise<string[]> {
    return this.command
      .rtLive(this.names.liveKey(digest), ...instanceIds)
      .catch(fail);
  }

  /** A connection of the view resumes `channels`: whether the view is known, its first resume, and where it subscribed to them. */
  async resume(
    digest: string,
    channels: readonly string[],
    added: boolean,
  ): Promise<StoredResume> {
    const reply = await this.command
      .rtResume(this.names.positionsKey(digest), added ? '1' : '0', ...channels)
      .catch(fail);
    if (reply[0] === 0) return { known: false };
    return { known: true, first: reply[1] === 1, positions: reply[2] ?? [] };
  }

  private keys(digest: string): [string, string, string] {
    return [
      this.names.channelsKey(digest),
      this.names.liveKey(digest),
      this.names.positionsKey(digest),
    ];
  }

  /** A large SET, read CHUNK members at a time (no single reply too large, README "Scaling with Redis"). */
  private async scan(digest: string): Promise<Set<string>> {
    const key = this.names.channelsKey(digest);
    const channels = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = await this.command
        .sscan(key, cursor, 'COUNT', CHUNK)
        .catch(fail);
      for (const channel of batch) channels.add(channel);
      cursor = next;
    } while (cursor !== '0');
    return channels;
  }
}
