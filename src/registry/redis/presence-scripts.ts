import { NOW } from './redis-scripts';

// Presence on Redis (README "Users and presence"). Every key of it shares the hash tag
// `{p}`, so each script touches one Cluster slot and may (S)PUBLISH its events there:
//   i          ZSET   instance -> when its liveness runs out (Redis time)
//   x          ZSET   "<instance>\n<channel>" (lexicographic): where each instance has entries
//   c:<ch>     HASH   "<instance>\n<user>" -> "<connections>\n<info>"; "<instance>\n" -> "<views> <connections>"
//   n:<ch>     HASH   user -> how many instances have an entry for it (a join at 1, a leave at 0)
// An instance writes only its own fields; an event is published in the same script as the
// change it reports, so each join and leave goes out exactly once.

/** Lua: publishes `[channel, change, user, info, instance]` on ARGV[4] with ARGV[5] (PUBLISH or SPUBLISH). */
const EVENT = `
local function event(channel, change, user, info, instance)
  redis.call(ARGV[5], ARGV[4], cjson.encode({channel, change, user, info, instance}))
end
local function infoOf(value)
  local q = string.find(value, '\\n', 1, true)
  return string.sub(value, q + 1)
end`;

/**
 * KEYS: i, x, then c and n of each channel. ARGV: instance, liveness ttl, key ttl, event
 * channel, publish command, channel count, then per channel: name, held (0/1), views,
 * connections, user count, and per user: user, connections (-1: gone), info ('' for none).
 * Writes this instance's entries, renews its liveness, and returns
 * `{fresh, dead...}`: fresh is 1 when the instance was not registered (a first flush, a
 * sweep after it was thought dead, or Redis lost the data: it writes everything again);
 * dead lists up to 5 instances whose liveness ran out, each as `id, n, channels...`.
 */
const FLUSH_SCRIPT = `
${NOW}
${EVENT}
local me = ARGV[1]
local keyTtl = ARGV[3]
local a = 7
for g = 1, tonumber(ARGV[6]) do
  local c = KEYS[1 + 2 * g]
  local n = KEYS[2 + 2 * g]
  local channel = ARGV[a]
  local held = ARGV[a + 1]
  local views = tonumber(ARGV[a + 2])
  local users = tonumber(ARGV[a + 4])
  if views > 0 then
    redis.call('HSET', c, me .. '\\n', ARGV[a + 2] .. ' ' .. ARGV[a + 3])
  else
    redis.call('HDEL', c, me .. '\\n')
  end
  a = a + 5
  for u = 1, users do
    local user = ARGV[a]
    local field = me .. '\\n' .. user
    local old = redis.call('HGET', c, field)
    if tonumber(ARGV[a + 1]) >= 0 then
      redis.call('HSET', c, field, ARGV[a + 1] .. '\\n' .. ARGV[a + 2])
      if not old and redis.call('HINCRBY', n, user, 1) == 1 then
        event(channel, 'join', user, ARGV[a + 2], me)
      end
    elseif old then
      redis.call('HDEL', c, field)
      if redis.call('HINCRBY', n, user, -1) <= 0 then
        redis.call('HDEL', n, user)
        event(channel, 'leave', user, infoOf(old), me)
      end
    end
    a = a + 3
  end
  if held == '1' then
    redis.call('ZADD', KEYS[2], 0, me .. '\\n' .. channel)
    redis.call('PEXPIRE', c, keyTtl)
    redis.call('PEXPIRE', n, keyTtl)
  else
    redis.call('ZREM', KEYS[2], me .. '\\n' .. channel)
  end
end
local fresh = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), me)
redis.call('PEXPIRE', KEYS[1], keyTtl)
redis.call('PEXPIRE', KEYS[2], keyTtl)
local reply = {fresh}
for _, dead in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 5)) do
  local channels = redis.call('ZRANGEBYLEX', KEYS[2], '[' .. dead .. '\\n', '[' .. dead .. '\\n\\255')
  reply[#reply + 1] = dead
  reply[#reply + 1] = #channels
  for _, member in ipairs(channels) do
    reply[#reply + 1] = string.sub(member, #dead + 2)
  end
end
return reply`;

/**
 * KEYS: i, x, then c and n of each channel. ARGV: dead instance, sweeping instance,
 * unused, event channel, publish command, channels... Removes a dead instance's entries
 * (its users leave where no other instance has them, observed by the sweeper). Nothing
 * when it renewed its liveness meanwhile, or another sweep did it already.
 */
const SWEEP_SCRIPT = `
${NOW}
${EVENT}
local dead = ARGV[1]
local score = redis.call('ZSCORE', KEYS[1], dead)
if score and tonumber(score) > now then return 0 end
local prefix = dead .. '\\n'
for j = 6, #ARGV do
  local c = KEYS[3 + 2 * (j - 6)]
  local n = KEYS[4 + 2 * (j - 6)]
  for _, field in ipairs(redis.call('HKEYS', c)) do
    if string.sub(field, 1, #prefix) == prefix then
      local user = string.sub(field, #prefix + 1)
      local old = redis.call('HGET', c, field)
      redis.call('HDEL', c, field)
      if user ~= '' and redis.call('HINCRBY', n, user, -1) <= 0 then
        redis.call('HDEL', n, user)
        event(ARGV[j], 'leave', user, infoOf(old), ARGV[2])
      end
    end
  end
end
redis.call('ZREMRANGEBYLEX', KEYS[2], '[' .. prefix, '[' .. prefix .. '\\255')
redis.call('ZREM', KEYS[1], dead)
return 1`;

/**
 * KEYS: i, c of the channel. ARGV: '1' with the list, '0' counts only. Only instances
 * whose liveness runs count. Returns `{views, connections, users, [user, connections, info]...}`.
 */
const READ_SCRIPT = `
${NOW}
local alive = {}
local users = {}
local order = {}
local views = 0
local connections = 0
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local field = all[i]
  local value = all[i + 1]
  local p = string.find(field, '\\n', 1, true)
  local instance = string.sub(field, 1, p - 1)
  if alive[instance] == nil then
    local score = redis.call('ZSCORE', KEYS[1], instance)
    alive[instance] = (score and tonumber(score) > now) or false
  end
  if alive[instance] then
    local user = string.sub(field, p + 1)
    if user == '' then
      local s = string.find(value, ' ', 1, true)
      views = views + tonumber(string.sub(value, 1, s - 1))
      connections = connections + tonumber(string.sub(value, s + 1))
    else
      local q = string.find(value, '\\n', 1, true)
      local n = tonumber(string.sub(value, 1, q - 1))
      local entry = users[user]
      if entry then
        entry[1] = entry[1] + n
      else
        users[user] = {n, string.sub(value, q + 1)}
        order[#order + 1] = user
      end
    end
  end
end
local reply = {views, connections, #order}
if ARGV[1] == '1' then
  for _, user in ipairs(order) do
    reply[#reply + 1] = user
    reply[#reply + 1] = users[user][1]
    reply[#reply + 1] = users[user][2]
  end
end
return reply`;

/** The presence scripts (`rt<Name>` commands); the key count comes first in each call. */
export const PRESENCE_SCRIPTS = {
  rtPresenceFlush: { lua: FLUSH_SCRIPT },
  rtPresenceSweep: { lua: SWEEP_SCRIPT },
  rtPresenceRead: { numberOfKeys: 2, lua: READ_SCRIPT },
} as const;
