// Lua scripts: each view update is one atomic step, so concurrent subscribes from many
// instances never race (no read-modify-write in the app). Times come from Redis TIME,
// so instance clocks do not matter. KEYS[1] = channels SET, KEYS[2] = live ZSET.

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** ARGV: pendingTtl, channels... Adds channels; the view lives pendingTtl from now (or its holders renew it). */
export const SUBSCRIBE_SCRIPT = `
redis.call('SADD', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

/** ARGV: channels... */
export const UNSUBSCRIBE_SCRIPT = `
redis.call('SREM', KEYS[1], unpack(ARGV))
return 1`;

/**
 * ARGV: instanceId, pendingTtl, channels... Registers this instance as a holder of the
 * view (lease = pendingTtl), re-adds the given channels (recovery after data loss),
 * renews both keys and returns the view's channels.
 */
export const ATTACH_SCRIPT = `
${NOW}
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
if #ARGV > 2 then redis.call('SADD', KEYS[1], unpack(ARGV, 3)) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('SMEMBERS', KEYS[1])`;

/**
 * ARGV: instanceId, reconnectGrace. This instance no longer holds the view; when no
 * holder with a live lease is left, the view keeps its channels for reconnectGrace.
 */
export const DETACH_SCRIPT = `
${NOW}
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[2])
  if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) else redis.call('DEL', KEYS[1]) end
end
return 1`;

/** ARGV: instanceId, pendingTtl. A holder renews its lease and the view's lifetime. */
export const RENEW_SCRIPT = `
${NOW}
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** Every script with its key count, as defined on the command connection (`rt<Name>` commands). */
export const SCRIPTS = {
  rtSubscribe: { numberOfKeys: 1, lua: SUBSCRIBE_SCRIPT },
  rtUnsubscribe: { numberOfKeys: 1, lua: UNSUBSCRIBE_SCRIPT },
  rtAttach: { numberOfKeys: 2, lua: ATTACH_SCRIPT },
  rtDetach: { numberOfKeys: 2, lua: DETACH_SCRIPT },
  rtRenew: { numberOfKeys: 2, lua: RENEW_SCRIPT },
} as const;
