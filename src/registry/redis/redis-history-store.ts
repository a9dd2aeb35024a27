import type { HistoryEntry, Replay } from '../../history/channel-history';
import type { HistoryPosition } from '../../history/channel-histories';
import type { RedisClient } from './redis-clients';
import { fail } from './redis-errors';
import { NOW } from './redis-scripts';

// The Redis side of a channel's history (README "Delivery guarantees"): a HASH `{e: epoch, o: newest offset}` and a Stream of
// the last `size` messages (ids `0-<offset>`, fields j = JSON, t = Redis time), both
// under the channel's hash tag `{h:<channel>}` so one script touches one Cluster slot.
// One script per push stamps, appends (exact MAXLEN) and publishes `<epoch> <offset>
// <json>` — `- 0 <json>` for a channel nobody subscribes to, which keeps no history —
// so the pub/sub order is the offset order on every instance. The keys live `keyTtl`
// after the last subscribe or holder's renewal (ENSURE), not after the last push.

/** KEYS: meta, stream. ARGV: newEpoch, keyTtl. The channel's position, made with a fresh epoch when it has none. */
const ENSURE = `
local e = redis.call('HGET', KEYS[1], 'e')
if not e then
  e = ARGV[1]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'e', e, 'o', 0)
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {e, tonumber(redis.call('HGET', KEYS[1], 'o'))}`;

/**
 * KEYS: meta, stream. ARGV: json, size, pub/sub channel, PUBLISH or SPUBLISH. Pushes do
 * not extend the keys' lifetime (only subscribers do: ENSURE); a Stream the first XADD
 * made gets the HASH's.
 */
const STAMP = `
${NOW}
local e = redis.call('HGET', KEYS[1], 'e')
if not e then
  redis.call(ARGV[4], ARGV[3], '- 0 ' .. ARGV[1])
  return false
end
local o = redis.call('HINCRBY', KEYS[1], 'o', 1)
if tonumber(ARGV[2]) > 0 then
  redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[2], '0-' .. o, 'j', ARGV[1], 't', now)
  if redis.call('PTTL', KEYS[2]) < 0 then redis.call('PEXPIRE', KEYS[2], redis.call('PTTL', KEYS[1])) end
end
redis.call(ARGV[4], ARGV[3], e .. ' ' .. o .. ' ' .. ARGV[1])
return {e, o}`;

/**
 * KEYS: meta, stream. ARGV: since (`-`: the newest), count.
 * `{now, epoch|false, head, id, j, t, id, j, t, …}`: at most count entries after offset since, oldest first.
 */
const READ = `
${NOW}
local e = redis.call('HGET', KEYS[1], 'e')
if not e then return {now, false, 0} end
local out = {now, e, tonumber(redis.call('HGET', KEYS[1], 'o'))}
local count = tonumber(ARGV[2])
if count == 0 then return out end
local entries
if ARGV[1] == '-' then
  entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', count)
  local n = #entries
  for i = 1, math.floor(n / 2) do entries[i], entries[n + 1 - i] = entries[n + 1 - i], entries[i] end
else
  entries = redis.call('XRANGE', KEYS[2], '(0-' .. ARGV[1], '+', 'COUNT', count)
end
for _, entry in ipairs(entries) do
  local fields = entry[2]
  local j, t
  for i = 1, #fields, 2 do
    if fields[i] == 'j' then j = fields[i + 1] else t = fields[i + 1] end
  end
  out[#out + 1] = entry[1]
  out[#out + 1] = j
  out[#out + 1] = t
end
return out`;

/**
 * KEYS: the list of channels with a history (ZSET, scored by when their keys expire).
 * ARGV: keyTtl, channels... Lists them until keyTtl from now, drops those past, and the
 * list itself lives keyTtl (it goes with the last subscriber).
 */
const LIST = `
${NOW}
local expires = now + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], expires, ARGV[i]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

const HISTORY_SCRIPTS = {
  rtHistoryList: { numberOfKeys: 1, lua: LIST },
  rtHistoryEnsure: { numberOfKeys: 2, lua: ENSURE },
  rtHistoryStamp: { numberOfKeys: 2, lua: STAMP },
  rtHistoryRead: { numberOfKeys: 2, lua: READ },
} as const;

interface HistoryCommands {
  rtHistoryList(
    list: string,
    ttl: number,
    ...channels: string[]
  ): Promise<number>;
  rtHistoryEnsure(
    meta: string,
    stream: string,
    epoch: string,
    ttl: number,
  ): Promise<[string, number]>;
  rtHistoryStamp(
    meta: string,
    stream: string,
    json: string,
    size: number,
    channel: string,
    publish: 'PUBLISH' | 'SPUBLISH',
  ): Promise<[string, number] | null>;
  rtHistoryRead(
    meta: string,
    stream: string,
    since: number | '-',
    count: number,
  ): Promise<Array<string | number | null>>;
}

/** What a read of a channel's history found, with Redis's clock. */
export interface StoredHistory {
  readonly now: number;
  readonly epoch: string | null;
  readonly offset: number;
  readonly entries: readonly HistoryEntry[];
}

/**
 * Whether the messages after `since` are all in `read` (at most `max` of them), as
 * ChannelHistory.replay says it for the memory registry: `epoch` for a position the
 * epoch never reached, `limit` when more are missed than `max` or the Stream dropped
 * the first one by size, `expired` when the first one is older than `ttl`.
 */
export function replayOf(
  read: StoredHistory,
  from: HistoryPosition,
  ttl: number,
  max: number,
): Replay {
  if (read.epoch === null || read.epoch !== from.epoch)
    return { ok: false, reason: 'epoch' };
  const since = from.offset;
  if (since > read.offset) return { ok: false, reason: 'epoch' };
  if (since === read.offset) return { ok: true, entries: [] };
  if (read.offset - since > max) return { ok: false, reason: 'limit' };
  const first = read.entries[0];
  if (!first || first.offset !== since + 1)
    return { ok: false, reason: 'limit' };
  if (first.at < read.now - ttl) return { ok: false, reason: 'expired' };
  return { ok: true, entries: read.entries };
}

/** The history keys and scripts of one app (`keyPrefix`). */
export class RedisHistoryStore {
  private readonly command: RedisClient & HistoryCommands;

  constructor(
    command: RedisClient,
    private readonly prefix: string,
    private readonly limits: { size: number; keyTtl: number },
  ) {
    this.command = command as RedisClient & HistoryCommands;
    for (const [name, definition] of Object.entries(HISTORY_SCRIPTS))
      this.command.defineCommand(name, definition);
  }

  /** The HASH and the Stream of `channel`, under its hash tag. */
  keys(channel: string): [meta: string, stream: string] {
    const tag = `${this.prefix}{h:${channel}}`;
    return [`${tag}:m`, `${tag}:s`];
  }

  /** Lists channels with a history (for pushMatching) until their keys would expire. */
  async list(listKey: string, channels: readonly string[]): Promise<void> {
    await this.command
      .rtHistoryList(listKey, this.limits.keyTtl, ...channels)
      .catch(fail);
  }

  /** A view subscribes: the channel's position now (a fresh epoch if it had none). */
  async ensure(channel: string, epoch: string): Promise<HistoryPosition> {
    const [meta, stream] = this.keys(channel);
    const [e, o] = await this.command
      .rtHistoryEnsure(meta, stream, epoch, this.limits.keyTtl)
      .catch(fail);
    return { epoch: e, offset: Number(o) };
  }

  /** Stamps, keeps and publishes one push; its place, or undefined when the channel keeps no history. */
  async stamp(
    channel: string,
    json: string,
    pubsubChannel: string,
    sharded: boolean,
  ): Promise<HistoryPosition | undefined> {
    const [meta, stream] = this.keys(channel);
    const stamped = await this.command
      .rtHistoryStamp(
        meta,
        stream,
        json,
        this.limits.size,
        pubsubChannel,
        sharded ? 'SPUBLISH' : 'PUBLISH',
      )
      .catch(fail);
    return stamped
      ? { epoch: stamped[0], offset: Number(stamped[1]) }
      : undefined;
  }

  /** The messages after offset `since` (`-`: the newest), at most `count`, with the channel's position and Redis's clock. */
  async read(
    channel: string,
    since: number | '-',
    count: number,
  ): Promise<StoredHistory> {
    const [meta, stream] = this.keys(channel);
    const reply = await this.command
      .rtHistoryRead(meta, stream, since, count)
      .catch(fail);
    const entries: HistoryEntry[] = [];
    for (let i = 3; i < reply.length; i += 3)
      entries.push({
        offset: Number(String(reply[i]).slice(2)),
        json: String(reply[i + 1]),
        at: Number(reply[i + 2]),
      });
    return {
      now: Number(reply[0]),
      epoch: reply[1] === null ? null : String(reply[1]),
      offset: Number(reply[2]),
      entries,
    };
  }
}

/** A pub/sub message of a channel with history: its place and its JSON (`- 0` when unstamped). */
export function parseStamped(message: string): {
  epoch: string | undefined;
  offset: number | undefined;
  json: string;
} {
  const a = message.indexOf(' ');
  const b = message.indexOf(' ', a + 1);
  const epoch = message.slice(0, a);
  if (epoch === '-')
    return { epoch: undefined, offset: undefined, json: message.slice(b + 1) };
  return {
    epoch,
    offset: Number(message.slice(a + 1, b)),
    json: message.slice(b + 1),
  };
}
