// Lua scripts: each view update is one atomic step, so concurrent subscribes from many
// instances never race (no read-modify-write in the app). Times come from Redis TIME,
// so instance clocks do not matter. KEYS[1] = channels SET, KEYS[2] = live ZSET,
// KEYS[3] = positions HASH (with history: where the view subscribed to each channel),
// all under the view's hash tag, so every script touches one Cluster slot.
//
// Sizes never break a script (README "Scaling with Redis"): Lua's `unpack` fails past ~8,000 values, so
// every variadic call goes out in chunks of CHUNK arguments, and a large SET is read
// with SSCAN rather than returned whole.

/** Arguments per variadic SADD/SREM call inside a script. */
export const CHUNK = 1000;

/** Error code of the subscribe script's reply when the view would pass maxChannelsPerView. */
export const TOO_MANY_CHANNELS_REPLY = 'REALTIME_TOO_MANY_CHANNELS';

/** Lua: `now` in ms from Redis TIME (instance clocks do not matter). */
export const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** `chunked(command, key, from[, to])`: command key ARGV[from..to (#ARGV)], CHUNK arguments a call. */
const CHUNKED = `
local function chunked(command, key, from, to)
  to = to or #ARGV
  for i = from, to, ${CHUNK} do
    redis.call(command, key, unpack(ARGV, i, math.min(i + ${CHUNK - 1}, to)))
  end
end`;

/** Field of the positions HASH set by the view's first subscribe (no channel name has a `*`). */
export const KNOWN_FIELD = '*k';
/** Field set by the view's first resume: later connections replay only what they present. */
export const RESUMED_FIELD = '*r';
/** Fields of the app user the view was identified as, and its info (README "Users and presence"). */
export const USER_FIELD = '*u';
export const INFO_FIELD = '*i';

/** Error code of a script's reply for a view revoked by disconnect(). */
export const REVOKED_REPLY = 'REALTIME_REVOKED';

/** The instances whose lease on the view is still running: they must confirm a change. */
const LIVE_HOLDERS = `redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf')`;

/**
 * ARGV: pendingTtl, maxChannelsPerView, n, channels... (n, distinct), positions... (n,
 * with history; none without). Adds the channels unless the view would then hold more
 * than the maximum (then an error reply, nothing applied), records the position of each
 * channel it did not hold yet, and the view lives pendingTtl from now (or its holders
 * renew it). Returns the live holders.
 */
const SUBSCRIBE_SCRIPT = `
${NOW}
${CHUNKED}
if redis.call('EXISTS', KEYS[4]) == 1 then
  return redis.error_reply('${REVOKED_REPLY} the view was revoked')
end
local n = tonumber(ARGV[3])
local fresh = 0
for i = 4, 3 + n do
  if redis.call('SISMEMBER', KEYS[1], ARGV[i]) == 0 then fresh = fresh + 1 end
end
if fresh > 0 and redis.call('SCARD', KEYS[1]) + fresh > tonumber(ARGV[2]) then
  return redis.error_reply('${TOO_MANY_CHANNELS_REPLY} the view would pass maxChannelsPerView')
end
if fresh > 0 then chunked('SADD', KEYS[1], 4, 3 + n) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
if #ARGV > 3 + n then
  for i = 4, 3 + n do redis.call('HSETNX', KEYS[3], ARGV[i], ARGV[i + n]) end
  redis.call('HSET', KEYS[3], '${KNOWN_FIELD}', 1)
  redis.call('PEXPIRE', KEYS[3], ARGV[1])
end
return ${LIVE_HOLDERS}`;

/** ARGV: channels... Removes them; returns the live holders. */
const UNSUBSCRIBE_SCRIPT = `
${NOW}
${CHUNKED}
chunked('SREM', KEYS[1], 1)
chunked('HDEL', KEYS[3], 1)
return ${LIVE_HOLDERS}`;

/**
 * ARGV: instanceId, pendingTtl, inlineMax, channels... Registers this instance as a
 * holder of the view (lease = pendingTtl) and renews both keys. The channels are this
 * instance's copy, given only when it recovers after a reconnect: they are written back
 * only when the live ZSET is gone, i.e. Redis lost the view (see RedisRegistry.recover),
 * with the view marked known in its positions HASH (its old positions are gone).
 * Returns `{ size, members }`, members only when size <= inlineMax (else read with SSCAN).
 */
const ATTACH_SCRIPT = `
${NOW}
${CHUNKED}
if redis.call('EXISTS', KEYS[4]) == 1 then return {-1} end
if #ARGV > 3 and redis.call('EXISTS', KEYS[2]) == 0 then
  chunked('SADD', KEYS[1], 4)
  -- Its positions went with the data: the view is known (and resumed), its channels' epochs are new.
  redis.call('HSET', KEYS[3], '${KNOWN_FIELD}', 1, '${RESUMED_FIELD}', 1)
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
local size = redis.call('SCARD', KEYS[1])
local user = redis.call('HGET', KEYS[3], '${USER_FIELD}')
local info = redis.call('HGET', KEYS[3], '${INFO_FIELD}')
if size > tonumber(ARGV[3]) then return {size, false, user, info} end
return {size, redis.call('SMEMBERS', KEYS[1]), user, info}`;

/**
 * ARGV: instanceId, reconnectGrace. This instance no longer holds the view; when no
 * holder with a live lease is left, the view keeps its channels for reconnectGrace.
 */
const DETACH_SCRIPT = `
${NOW}
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[2])
  if tonumber(ARGV[2]) > 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    redis.call('PEXPIRE', KEYS[3], ARGV[2])
  else
    redis.call('DEL', KEYS[1], KEYS[3])
  end
end
return 1`;

/**
 * ARGV: instanceId, pendingTtl. A holder renews its lease and the view's lifetime.
 * Returns 0 (and writes nothing) when its lease entry is gone — Redis lost it, or it ran
 * out — so the holder registers the view again instead of hiding the loss.
 */
const RENEW_SCRIPT = `
${NOW}
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
return 1`;

/** KEYS[1] = live ZSET; ARGV: instanceIds... Those of them whose lease is still running. */
const LIVE_SCRIPT = `
${NOW}
local live = {}
for i = 1, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) > now then live[#live + 1] = ARGV[i] end
end
return live`;

/**
 * KEYS[1] = positions HASH; ARGV: added ('1' for channels just added to a live view, else
 * '0'), channels... `{0}` for a view that never subscribed (or that Redis lost); else
 * `{1, first, {position|false, ...}}`: first is 1 for the view's first resume (marked now).
 */
const RESUME_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], '${KNOWN_FIELD}') == 0 then return {0} end
local first = 0
if ARGV[1] == '0' then first = redis.call('HSETNX', KEYS[1], '${RESUMED_FIELD}', 1) end
local positions = {}
for i = 2, #ARGV do positions[i - 1] = redis.call('HGET', KEYS[1], ARGV[i]) end
return {1, first, positions}`;

/**
 * KEYS[1] = positions HASH, KEYS[2] = revoked marker; ARGV: user, info ('' for none),
 * pendingTtl. Records the view's user (README "Users and presence"); a view without a
 * lifetime yet (identified before it subscribed) gets pendingTtl.
 */
const IDENTIFY_SCRIPT = `
if redis.call('EXISTS', KEYS[2]) == 1 then
  return redis.error_reply('${REVOKED_REPLY} the view was revoked')
end
redis.call('HSET', KEYS[1], '${USER_FIELD}', ARGV[1], '${INFO_FIELD}', ARGV[2])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1`;

/**
 * KEYS: channels SET, live ZSET, positions HASH, revoked marker; ARGV: revokedTtl.
 * README "Revocation": marks the view revoked (attach and subscribe refuse it from now
 * on), deletes its keys, and returns the holders whose lease still runs (they close its
 * connections and confirm).
 */
const REVOKE_SCRIPT = `
${NOW}
redis.call('SET', KEYS[4], 1, 'PX', ARGV[1])
local holders = ${LIVE_HOLDERS}
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return holders`;

/** Every script with its key count, as defined on the command connection (`rt<Name>` commands). */
export const SCRIPTS = {
  rtSubscribe: { numberOfKeys: 4, lua: SUBSCRIBE_SCRIPT },
  rtUnsubscribe: { numberOfKeys: 3, lua: UNSUBSCRIBE_SCRIPT },
  rtAttach: { numberOfKeys: 4, lua: ATTACH_SCRIPT },
  rtDetach: { numberOfKeys: 3, lua: DETACH_SCRIPT },
  rtRenew: { numberOfKeys: 3, lua: RENEW_SCRIPT },
  rtLive: { numberOfKeys: 1, lua: LIVE_SCRIPT },
  rtResume: { numberOfKeys: 1, lua: RESUME_SCRIPT },
  rtIdentify: { numberOfKeys: 2, lua: IDENTIFY_SCRIPT },
  rtRevoke: { numberOfKeys: 4, lua: REVOKE_SCRIPT },
} as const;
