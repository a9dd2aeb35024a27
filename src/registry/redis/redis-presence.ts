import type { Logger } from '@nestjs/common';
import type { Subject } from 'rxjs';
import { LocalPresence } from '../../presence/local-presence';
import type {
  PresenceCounts,
  PresenceEntry,
  RegistryEvent,
  RegistryPresence,
} from '../realtime-registry';
import { PRESENCE_SCRIPTS } from './presence-scripts';
import type { RedisClient } from './redis-clients';
import { fail } from './redis-errors';
import type { RedisNames } from './redis-names';

interface PresenceCommands {
  rtPresenceFlush(
    keys: number,
    ...args: Array<string | number>
  ): Promise<Array<string | number>>;
  rtPresenceSweep(
    keys: number,
    ...args: Array<string | number>
  ): Promise<number>;
  rtPresenceRead(
    instances: string,
    channel: string,
    list: '0' | '1',
  ): Promise<Array<string | number>>;
}

interface PresenceLimits {
  grace: number;
  /** How often the registry renews (the flush runs at least that often). */
  interval: number;
  /** Lifetime of the presence keys past the last flush. */
  keyTtl: number;
  sharded: boolean;
}

/**
 * README "Users and presence" on Redis. This instance's local presence (LocalPresence)
 * is written out by one script call per flush: the channels and users that changed since
 * the last one, and this instance's liveness. A flush runs as soon as something changed
 * (one at a time: what changes meanwhile waits for the next) and every renew interval,
 * never per connection. The script decides joins and leaves across instances and
 * publishes them on `{p}:e`; an instance whose liveness ran out (two intervals) is swept
 * by the next flush of any other: its users leave, within pendingTtl.
 */
export class RedisPresence implements RegistryPresence {
  readonly local: LocalPresence;
  private readonly command: RedisClient & PresenceCommands;
  /** Changed since the last flush: channel -> its users whose entry changed. */
  private dirty = new Map<string, Set<string>>();
  private flushing = false;
  private again = false;
  /** The last flush found this instance registered (a later `fresh` means its entries were lost). */
  private registered = false;
  private closed = false;

  constructor(
    command: RedisClient,
    private readonly names: RedisNames,
    private readonly limits: PresenceLimits,
    private readonly instanceId: string,
    private readonly subject: Subject<RegistryEvent>,
    private readonly canWrite: () => boolean,
    private readonly logger: Logger,
  ) {
    this.command = command as RedisClient & PresenceCommands;
    for (const [name, definition] of Object.entries(PRESENCE_SCRIPTS))
      this.command.defineCommand(name, definition);
    this.local = new LocalPresence(limits.grace, {
      // Redis decides joins and leaves: an instance sees only its own side.
      joined: () => {},
      left: () => {},
      changed: (channel, user) => this.touch(channel, user),
    });
  }

  async list(channel: string): Promise<PresenceEntry[]> {
    const reply = await this.read(channel, '1');
    const entries: PresenceEntry[] = [];
    for (let i = 3; i < reply.length; i += 3)
      entries.push({
        user: String(reply[i]),
        connections: Number(reply[i + 1]),
        info: reply[i + 2] === '' ? undefined : String(reply[i + 2]),
      });
    return entries;
  }

  async stats(channel: string): Promise<PresenceCounts> {
    const [views, connections, users] = await this.read(channel, '0');
    return {
      users: Number(users),
      views: Number(views),
      connections: Number(connections),
    };
  }

  /** A message on `{p}:e`: a transition, for this instance's stream. */
  received(message: string): void {
    let channel, change, user, info, instanceId;
    try {
      [channel, change, user, info, instanceId] = JSON.parse(
        message,
      ) as string[];
    } catch {
      return;
    }
    this.subject.next({
      type: 'presence',
      channel,
      change: change === 'join' ? 'join' : 'leave',
      user,
      info: info === '' ? undefined : info,
      instanceId,
    });
  }

  /**
   * The renew interval: liveness, and every channel's counts and key lifetimes (one
   * call); `all` (a recovery) writes every user entry again too.
   */
  refresh(all = false): void {
    if (all) this.touchAll();
    else
      for (const [channel] of this.local.entries())
        this.touchLater(channel, undefined);
    this.schedule();
  }

  close(): void {
    this.closed = true;
    this.local.clear();
  }

  private read(
    channel: string,
    list: '0' | '1',
  ): Promise<Array<string | number>> {
    return this.command
      .rtPresenceRead(
        this.names.presence('i'),
        this.names.presenceChannel('c', channel),
        list,
      )
      .catch(fail);
  }

  private touch(channel: string, user: string | undefined): void {
    let users = this.dirty.get(channel);
    if (!users) {
      users = new Set();
      this.dirty.set(channel, users);
    }
    if (user !== undefined) users.add(user);
    this.schedule();
  }

  private touchAll(): void {
    for (const [channel, local] of this.local.entries())
      for (const user of [...local.users.keys(), undefined])
        this.touch(channel, user);
  }

  private schedule(): void {
    if (this.flushing) {
      this.again = true;
      return;
    }
    this.flushing = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    if (this.closed || !this.canWrite()) {
      this.flushing = false;
      return;
    }
    const dirty = this.dirty;
    this.dirty = new Map();
    const keys: string[] = [this.names.presence('i'), this.names.presence('x')];
    const args: Array<string | number> = [
      this.instanceId,
      2 * this.limits.interval,
      this.limits.keyTtl,
      this.names.presence('e'),
      this.limits.sharded ? 'SPUBLISH' : 'PUBLISH',
      dirty.size,
    ];
    for (const [channel, users] of dirty) {
      const local = this.local.channels.get(channel);
      keys.push(
        this.names.presenceChannel('c', channel),
        this.names.presenceChannel('n', channel),
      );
      args.push(
        channel,
        local ? 1 : 0,
        local?.views ?? 0,
        local?.connections ?? 0,
        users.size,
      );
      for (const user of users) {
        const entry = local?.users.get(user);
        args.push(user, entry ? entry.connections : -1, entry?.info ?? '');
      }
    }
    try {
      const reply = await this.command.rtPresenceFlush(
        keys.length,
        ...keys,
        ...args,
      );
      const fresh = reply[0] === 1;
      if (fresh && this.registered) {
        // Redis lost this instance's entries (restarted, or swept it as dead): all again.
        this.touchAll();
      }
      this.registered = true;
      this.sweep(reply);
    } catch (error) {
      // Written again with the next flush (the renew interval, or a recovery).
      for (const [channel, users] of dirty)
        for (const user of [...users, undefined])
          this.touchLater(channel, user);
      this.logger.warn(
        `Redis: could not write presence (${(error as Error).message}); retrying`,
      );
    } finally {
      this.flushing = false;
      if (this.again) {
        this.again = false;
        this.schedule();
      }
    }
  }

  /** Marks a change for the next flush without starting one (after a failure). */
  private touchLater(channel: string, user: string | undefined): void {
    let users = this.dirty.get(channel);
    if (!users) {
      users = new Set();
      this.dirty.set(channel, users);
    }
    if (user !== undefined) users.add(user);
  }

  /** Sweeps the dead instances a flush found (another instance may race us: the script makes it once). */
  private sweep(reply: ReadonlyArray<string | number>): void {
    for (let i = 1; i < reply.length;) {
      const dead = String(reply[i]);
      const count = Number(reply[i + 1]);
      const channels = reply.slice(i + 2, i + 2 + count).map(String);
      i += 2 + count;
      if (dead === this.instanceId) continue;
      const keys = [this.names.presence('i'), this.names.presence('x')];
      for (const channel of channels)
        keys.push(
          this.names.presenceChannel('c', channel),
          this.names.presenceChannel('n', channel),
        );
      this.command
        .rtPresenceSweep(
          keys.length,
          ...keys,
          dead,
          this.instanceId,
          '',
          this.names.presence('e'),
          this.limits.sharded ? 'SPUBLISH' : 'PUBLISH',
          ...channels,
        )
        .catch((error: Error) =>
          this.logger.warn(
            `Redis: could not sweep a dead instance's presence (${error.message})`,
          ),
        );
    }
  }
}
