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

-- A missing generation starts from the clock (microseconds), as in
-- lua/tenant_create.lua, never from 1: a tenant written without one (by
-- hand, or by a postwarden older than pw:{T}:gen) must not count 1, 2,
-- ... again after Redis lost its data (docs/redis-schema.md).
local function gen_incr(k)
  if redis.call('EXISTS', k) == 0 then
    local t = redis.call('TIME')
    redis.call('SET', k, t[1] .. string.format('%06d', tonumber(t[2])))
  end
  redis.call('INCR', k)
end

local n = redis.call('HDEL', KEYS[1], ARGV[1])
if n > 0 then gen_incr(KEYS[3]) end
return n + redis.call('DEL', KEYS[2])
