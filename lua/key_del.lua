-- lua/key_del.lua -- postwarden (the CLI) (cli/cli_key.c).
--
-- KEYS[1] the key record, KEYS[2] the tenant's key set, KEYS[3] the
-- key's secrets, KEYS[4] its failed-login counter, KEYS[5] the tenant's
-- generation pw:{T}:gen (incremented when the record existed); ARGV[1]
-- the key id.
-- All four go; the reply is how many of the record and the set member
-- existed.

-- gen_incr: lua/gen.lua, put in front of this script by the build.

redis.call('DEL', KEYS[3], KEYS[4])
local d = redis.call('DEL', KEYS[1])
if d > 0 then gen_incr(KEYS[5]) end
return d + redis.call('SREM', KEYS[2], ARGV[1])
