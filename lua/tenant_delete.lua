-- lua/tenant_delete.lua -- postwarden (the CLI) (cli/cli_tenant.c):
-- `tenant delete`, the step in the tenant's slot: its record goes, so
-- that no key or domain can be added to it any more, unless it still
-- has keys (they must be deleted first: their directory entries lie
-- outside the slot).
--
-- KEYS[1] the record pw:{T}:tenant, KEYS[2] the key set pw:{T}:keys,
-- KEYS[3] the generation pw:{T}:gen (incremented when the record goes).
-- Reply: -n when the tenant has n keys (nothing deleted), else how
-- many records existed (0 or 1).

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

local n = redis.call('SCARD', KEYS[2])
if n > 0 then return -n end
local d = redis.call('DEL', KEYS[1])
if d > 0 then gen_incr(KEYS[3]) end
return d
