import type { RedisClient } from './redis-clients';
import { fail, registryError } from './redis-errors';
import type { RedisNames } from './redis-names';
import { CHUNK, SCRIPTS } from './redis-scripts';

/** The scripts of redis-scripts.ts, defined on the command connection. */
interface ScriptCommands {
  rtSubscribe(
    channelsKey: string,
    liveKey: string,
    ...args: Array<string | number>
  ): Promise<string[]>;
  rtUnsubscribe(
    channelsKey: string,
    liveKey: string,
    ...channels: string[]
  ): Promise<string[]>;
  rtAttach(
    channelsKey: string,
    liveKey: string,
    ...args: Array<string | number>
  ): Promise<[size: number, members?: string[] | null]>;
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
  ): Promise<number>;
  rtLive(liveKey: string, ...instanceIds: string[]): Promise<string[]>;
}

export interface ViewStoreOptions {
  pendingTtl: number;
  reconnectGrace: number;
  maxChannelsPerView: number;
}

/**
 * The stored side of the client views (README "Registries and guarantees"): a SET of channels and a ZSET of live
 * leases per view, changed only through the atomic scripts. Every failure comes out as
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

  /** Adds distinct `channels` (or rejects with `too_many_channels`, adding none); resolves with the live holders. */
  subscribe(digest: string, channels: readonly string[]): Promise<string[]> {
    const max = this.options.maxChannelsPerView;
    return this.command
      .rtSubscribe(
        this.names.channelsKey(digest),
        this.names.liveKey(digest),
        this.options.pendingTtl,
        max,
        ...channels,
      )
      .catch((error: unknown) => {
        throw registryError(error, max);
      });
  }

  /** Removes `channels`; resolves with the live holders. */
  unsubscribe(digest: string, channels: readonly string[]): Promise<string[]> {
    return this.command
      .rtUnsubscribe(
        this.names.channelsKey(digest),
        this.names.liveKey(digest),
        ...channels,
      )
      .catch(fail);
  }

  /**
   * Takes (or renews) this instance's lease on the view and reads its channels. `copy`
   * is written back first only if Redis lost the view (no live ZSET).
   */
  async attach(
    digest: string,
    copy: readonly string[] = [],
  ): Promise<Set<string>> {
    const [size, members] = await this.command
      .rtAttach(
        this.names.channelsKey(digest),
        this.names.liveKey(digest),
        this.instanceId,
        this.options.pendingTtl,
        CHUNK,
        ...copy,
      )
      .catch(fail);
    return members && members.length === size
      ? new Set(members)
      : this.scan(digest);
  }

  detach(digest: string): Promise<unknown> {
    return this.command.rtDetach(
      this.names.channelsKey(digest),
      this.names.liveKey(digest),
      this.instanceId,
      this.options.reconnectGrace,
    );
  }

  /** Renews this instance's lease; false when its lease entry was gone (nothing written). */
  async renew(digest: string): Promise<boolean> {
    const renewed = await this.command.rtRenew(
      this.names.channelsKey(digest),
      this.names.liveKey(digest),
      this.instanceId,
      this.options.pendingTtl,
    );
    return renewed === 1;
  }

  /** Those of `instanceIds` whose lease on the view is still running. */
  live(digest: string, instanceIds: readonly string[]): Promise<string[]> {
    return this.command
      .rtLive(this.names.liveKey(digest), ...instanceIds)
      .catch(fail);
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
