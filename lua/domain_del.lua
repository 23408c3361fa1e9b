-- lua/domain_del.lua -- postwarden (the CLI) (cli/cli_domain.c,
-- cli/cli_tenant.c): a sending domain's records in its tenant's slot,
-- removed before the directory entry pw:domain:<domain> (outside the
-- slot), so that the daemons stop accepting it first.
--
-- KEYS[1] pw:{T}:domains, KEYS[2] the record pw:{T}:domain:<domain>,
-- KEYS[3] the tenant's generation pw:{T}:gen (incremented when the
-- domain was in pw:{T}:domains).
-- ARGV[1] the domain.
-- Reply: how many of the two existed (0, 1 or 2).

-- gen_incr: lua/gen.lua, put in front of this script by the build.

local n = redis.call('HDEL', KEYS[1], ARGV[1])
if n > 0 then gen_incr(KEYS[3]) end
return n + redis.call('DEL', KEYS[2])
