-- lua/dkim_state.lua -- postwarden (the CLI) (cli/cli_domain_dkim.c):
-- move a DKIM key of a tenant's domain to another state (activate it),
-- in both hashes that hold the state, with the version the milters
-- watch.
--
-- KEYS[1] pw:{T}:dkim:<domain>, KEYS[2] pw:{T}:dkim:<domain>:<selector>,
-- KEYS[3] pw:{T}:tenant.
-- ARGV[1] the selector, ARGV[2] the new state, ARGV[3] the time field to
-- set with it ("" for none), ARGV[4] the time.
-- Reply: 1 changed (dkim_version incremented); 0 already in that state;
-- -1 no such selector.

if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 or
    redis.call('EXISTS', KEYS[2]) == 0 then
	return -1
end
if redis.call('HGET', KEYS[2], 'state') == ARGV[2] then return 0 end
redis.call('HSET', KEYS[2], 'state', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], ARGV[3], ARGV[4]) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[3], 'dkim_version', 1)
return 1
