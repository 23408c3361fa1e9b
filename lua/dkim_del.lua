-- lua/dkim_del.lua -- postwarden (the CLI) (cli/cli_domain_dkim.c, for
-- `domain remove` and `tenant delete` through cli/cli_domain_owner.c):
-- every DKIM key of a domain that leaves its tenant, removed with the
-- version the milters watch, so that a domain added again starts without
-- keys instead of with the old ones.
--
-- KEYS[1] pw:{T}:dkim:<domain>, KEYS[2] pw:{T}:tenant,
-- KEYS[3..] the key records pw:{T}:dkim:<domain>:<selector>.
-- Reply: how many keys existed.  dkim_version is incremented when one
-- did and the tenant record still exists (tenant delete removes it
-- first: never make a record of nothing but dkim_version).

local n = 0
for i = 3, #KEYS do n = n + redis.call('DEL', KEYS[i]) end
redis.call('DEL', KEYS[1])
if n > 0 and redis.call('EXISTS', KEYS[2]) == 1 then
	redis.call('HINCRBY', KEYS[2], 'dkim_version', 1)
end
return n
