-- lua/dkim_add.lua -- postwarden (the CLI) (cli/cli_domain_dkim.c):
-- store a new DKIM key of a tenant's sending domain, atomically with the
-- checks that it may be stored and with the version the milters watch.
--
-- KEYS[1] pw:{T}:domains, KEYS[2] pw:{T}:dkim:<domain>,
-- KEYS[3] pw:{T}:dkim:<domain>:<selector>, KEYS[4] pw:{T}:tenant.
-- ARGV[1] the domain, ARGV[2] the selector, ARGV[3] its state,
-- ARGV[4..] field/value pairs of the key's record (lib/dkim_store.h).
-- Reply: 1 stored (and the tenant's dkim_version incremented); 0 the
-- selector exists (nothing changed); -1 the tenant does not own the
-- domain; -2 the tenant has no record.

if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return -1 end
if redis.call('EXISTS', KEYS[4]) == 0 then return -2 end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 or
    redis.call('EXISTS', KEYS[3]) == 1 then
	return 0
end
redis.call('HSET', KEYS[3], unpack(ARGV, 4))
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('HINCRBY', KEYS[4], 'dkim_version', 1)
return 1
