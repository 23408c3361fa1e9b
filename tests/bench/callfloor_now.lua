-- tests/bench/callfloor_now.lua -- the Redis calls an every-rule RCPT
-- makes today (lua/rcpt.lua, key and tenant, hour/day/month quotas), with
-- constant arguments and no logic: the least Redis can spend on one
-- decision in this data model.  bench-policyd.sh's floor part runs it
-- with redis-benchmark.
-- KEYS[1] txn, [2] gen, [3..4] GCRA states, [5..10] used counters,
-- [11] suppressions, [12..17] reservation sorted sets.
-- ARGV[1] a member (instance and recipient; its last 3 characters are
-- used, so that each set holds at most 1,000 members, as the benchmark's
-- sets hold about 1,200 live ones), ARGV[2] the txn's field.
local m = string.sub(ARGV[1], -3)
redis.call('TIME')
redis.call('HMGET', KEYS[1], ARGV[2], 'windows', 'released')
redis.call('MGET', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7],
    KEYS[8], KEYS[9], KEYS[10])
redis.call('HMGET', KEYS[11], 'r@example.com', '@example.com')
for i = 12, 17 do redis.call('ZCOUNT', KEYS[i], '(1', '+inf') end
redis.call('SET', KEYS[3], '1000.5', 'PX', 60000)
redis.call('SET', KEYS[4], '1000.5', 'PX', 60000)
for i = 12, 17 do redis.call('ZADD', KEYS[i], 9e12, m) end
redis.call('HSET', KEYS[1], 'key', 'k_bench1', 'windows', '2026120700',
    ARGV[2], '1765000000000')
redis.call('PEXPIRE', KEYS[1], 900000)
return { 'ok', 'new' }
