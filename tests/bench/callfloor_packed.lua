-- tests/bench/callfloor_packed.lua -- the Redis calls an every-rule RCPT
-- would make with the reservations packed: one hash of counters per
-- tenant (a field per subject and window, read and written once) and a
-- sorted set of open transactions (one member per transaction, checked
-- for an expired one per decision) instead of a sorted-set member per
-- recipient and window.  Constant arguments, no logic: the least Redis
-- could spend on one decision in that model.
-- KEYS[1] txn, [2] gen, [3..4] GCRA states, [5..10] used counters,
-- [11] suppressions, [12] reservation counters, [13] open transactions.
-- ARGV[1] the instance (its last 3 characters, as callfloor_now.lua),
-- ARGV[2] the txn's field.
local m = string.sub(ARGV[1], -3)
redis.call('TIME')
redis.call('HMGET', KEYS[1], ARGV[2], 'windows', 'released')
redis.call('MGET', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7],
    KEYS[8], KEYS[9], KEYS[10])
redis.call('HMGET', KEYS[11], 'r@example.com', '@example.com')
redis.call('HMGET', KEYS[12], 'k:h', 'k:d', 'k:m', 't:h', 't:d', 't:m')
redis.call('ZRANGEBYSCORE', KEYS[13], '-inf', '1', 'LIMIT', 0, 1)
redis.call('SET', KEYS[3], '1000.5', 'PX', 60000)
redis.call('SET', KEYS[4], '1000.5', 'PX', 60000)
redis.call('HSET', KEYS[12], 'k:h', '5', 'k:d', '5', 'k:m', '5',
    't:h', '5', 't:d', '5', 't:m', '5')
redis.call('ZADD', KEYS[13], 9e12, m)
redis.call('HSET', KEYS[1], 'key', 'k_bench1', 'windows', '2026120700',
    ARGV[2], '1765000000000')
redis.call('PEXPIRE', KEYS[1], 900000)
return { 'ok', 'new' }
