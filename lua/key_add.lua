-- lua/key_add.lua -- postwarden (the CLI) (cli/cli_key.c).
--
-- KEYS[1] the tenant record, KEYS[2] the key record, KEYS[3] the
-- tenant's key set, KEYS[4] the key's secrets, KEYS[5] its failed-login
-- counter, KEYS[6] the tenant's generation pw:{T}:gen (incremented
-- when the record is written); ARGV[1] the key id, then field/value pairs of the record.
-- Record + set in the tenant slot: 1 done, -1 when the tenant does not
-- exist, 0 when the record does.  Secrets or a counter left under the
-- same id (by a key deleted before secrets existed, or by hand) are
-- removed: a new key never inherits a secret.

-- gen_incr: lua/gen.lua, put in front of this script by the build.

if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('DEL', KEYS[4], KEYS[5])
redis.call('HSET', KEYS[2], unpack(ARGV, 2))
redis.call('SADD', KEYS[3], ARGV[1])
gen_incr(KEYS[6])
return 1
