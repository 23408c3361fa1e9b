-- lua/tenant_create.lua -- postwarden (the CLI) (cli/cli_tenant.c).
--
-- KEYS[1] the record, KEYS[2] the tenant's generation pw:{T}:gen
-- (docs/redis-schema.md); ARGV field/value pairs.  0 if it exists, else 1.

if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
-- gen_incr: lua/gen.lua, put in front of this script by the build.
gen_incr(KEYS[2])
return 1
