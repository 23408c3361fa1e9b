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

-- gen_incr: lua/gen.lua, put in front of this script by the build.

local n = redis.call('SCARD', KEYS[2])
if n > 0 then return -n end
local d = redis.call('DEL', KEYS[1])
if d > 0 then gen_incr(KEYS[3]) end
return d
