package redis

import goredis "github.com/redis/go-redis/v9"

// The Lua scripts below keep a shard's data keys and its two index sorted sets
// in step. A shard's keys share one hash tag, so they live in one slot and a
// script touches them atomically, on a single server and on a cluster alike.
//
//	{tag}d<key>  the value of key (a Redis string, with PXAT when it expires)
//	{tag}i       the lexicographic index: every key, score 0 (ZRANGEBYLEX)
//	{tag}x       the expiry index: keys that expire, scored by expiry (Unix ms)
//
// Invariant: every live data key is in {tag}i. A member of {tag}i without its
// data key (it expired) is skipped by readers and removed by the next writes
// to the shard, through {tag}x ("reaping"), so the index does not grow with
// expired keys.

// writeLib is shared by the write scripts: KEYS[1] is {tag}i, KEYS[2] {tag}x.
// It asks for the time and touches {tag}x only when {tag}x is not empty, so
// that a put into a shard without expiring keys costs three calls: ZCARD,
// ZADD, SET.
const writeLib = `
local idx, exp = KEYS[1], KEYS[2]
local base = string.sub(idx, 1, -2) .. 'd'
local nexp = redis.call('ZCARD', exp) -- an upper bound from here on
local now
local function clock()
  if not now then
    local t = redis.call('TIME')
    now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return now
end
local function del(m)
  redis.call('DEL', base .. m)
  redis.call('ZREM', idx, m)
  if nexp > 0 then redis.call('ZREM', exp, m) end
end
-- op: 'p' no expiry; 't' expires ms milliseconds from now; 'a' at Unix ms.
local function put(op, m, v, ms)
  if op == 'p' then
    redis.call('ZADD', idx, 0, m)
    if nexp > 0 then redis.call('ZREM', exp, m) end
    redis.call('SET', base .. m, v)
    return
  end
  local at = tonumber(ms)
  if op == 't' then at = clock() + at end
  if at <= clock() then
    del(m)
    return
  end
  redis.call('ZADD', idx, 0, m)
  redis.call('ZADD', exp, at, m)
  nexp = nexp + 1
  redis.call('SET', base .. m, v, 'PXAT', at)
end
-- reap removes up to 16 expired keys from both indexes. A key expires when
-- the time passes its expiry, so only scores below now can be gone; and a key
-- still there stays in both: inside a script Redis expires keys by the time
-- the script started, while TIME goes on, so a key whose expiry fell between
-- the two is still there, and taking it out of the expiry index alone would
-- leave it listed after it expires (readers trust a key index whose expiry
-- index holds nothing past).
local function reap()
  if nexp == 0 then return end
  local gone = redis.call('ZRANGEBYSCORE', exp, '-inf', '(' .. clock(), 'LIMIT', 0, 16)
  for _, m in ipairs(gone) do
    if redis.call('EXISTS', base .. m) == 0 then
      redis.call('ZREM', idx, m)
      redis.call('ZREM', exp, m)
    end
  end
end
`

// applyScript applies a sequence of writes to one shard, in order. ARGV holds
// them back to back: 'd', key for a delete; op, key, value, ms for a put.
// Runs of puts without expiry, the bulk of a batch, go to Redis as one MSET,
// one ZADD and one ZREM each, instead of three calls per key; a run ends
// before any other write, so writes still apply in order.
var applyScript = goredis.NewScript(writeLib + `
local sets, members, plain = {}, {}, {}
local function flush()
  if #plain == 0 then return end
  redis.call('ZADD', idx, unpack(members))
  if nexp > 0 then redis.call('ZREM', exp, unpack(plain)) end
  redis.call('MSET', unpack(sets))
  sets, members, plain = {}, {}, {}
end
local i, n = 1, #ARGV
while i <= n do
  local op = ARGV[i]
  if op == 'd' then
    flush()
    del(ARGV[i + 1])
    i = i + 2
  elseif op == 'p' then
    local m = ARGV[i + 1]
    sets[#sets + 1] = base .. m
    sets[#sets + 1] = ARGV[i + 2]
    members[#members + 1] = 0
    members[#members + 1] = m
    plain[#plain + 1] = m
    i = i + 4
  else
    flush()
    put(op, ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
    i = i + 4
  end
end
flush()
reap()
return 1
`)

// casScript writes one key if its value is still what the caller read:
// ARGV[1] key, ARGV[2] ” if it was missing or else the SHA-1 (hex) of the
// value read, ARGV[3] op ('d' or a put op), ARGV[4] value, ARGV[5] ms. It
// returns 1 when it wrote, 0 when the value had changed.
var casScript = goredis.NewScript(writeLib + `
local m = ARGV[1]
local cur = redis.call('GET', base .. m)
if ARGV[2] == '' then
  if cur then return 0 end
elseif not cur or redis.sha1hex(cur) ~= ARGV[2] then
  return 0
end
if ARGV[3] == 'd' then del(m) else put(ARGV[3], m, ARGV[4], ARGV[5]) end
reap()
return 1
`)

// rangeScript reads one page of a shard's index: KEYS[1] {tag}i, KEYS[2]
// {tag}x; ARGV[1] and ARGV[2] the ZRANGEBYLEX bounds, ARGV[3] the page size,
// ARGV[4] '1' to read values too. It returns {last member read (empty if none), members
// read, live keys} where live keys are key, value pairs when values are read.
// It writes nothing.
//
// Keys only: a member whose data key is gone has expired, and then it is in
// {tag}x with a score before now (a write removes a key from both indexes at
// once, and a key in {tag}x expires at its score). So when {tag}x holds no
// score before now, the most common case, every member read is live, and the
// script checks none of them; otherwise it checks each with EXISTS.
var rangeScript = goredis.NewScript(`
local base = string.sub(KEYS[1], 1, -2) .. 'd'
local ms = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
if ARGV[4] == '1' then
  for _, m in ipairs(ms) do
    local v = redis.call('GET', base .. m)
    if v then
      out[#out + 1] = m
      out[#out + 1] = v
    end
  end
else
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if #redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now + 1), 'LIMIT', 0, 1) == 0 then
    out = ms
  else
    for _, m in ipairs(ms) do
      if redis.call('EXISTS', base .. m) == 1 then out[#out + 1] = m end
    end
  end
end
return {ms[#ms] or '', #ms, out}
`)

// dropScript deletes up to 1000 keys of a shard with their index entries, and
// the shard's sorted sets once they are empty: KEYS[1] {tag}i, KEYS[2]
// {tag}x. It returns 1 while keys remain.
var dropScript = goredis.NewScript(`
local base = string.sub(KEYS[1], 1, -2) .. 'd'
local ms = redis.call('ZRANGE', KEYS[1], 0, 999)
for _, m in ipairs(ms) do redis.call('DEL', base .. m) end
if #ms > 0 then
  redis.call('ZREM', KEYS[1], unpack(ms))
  redis.call('ZREM', KEYS[2], unpack(ms))
end
if #ms < 1000 then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 0
end
return 1
`)
