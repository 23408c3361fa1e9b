-- lua/tenant_update.lua -- postwarden (the CLI) (cli/cli_tenant_settings.c).
--
-- KEYS[1] the record, KEYS[2] the tenant's generation pw:{T}:gen
-- (incremented with any write); ARGV[1] n, then n field/value pairs that must be as
-- they were read ("" = absent), then m, then m field/value pairs to set,
-- then fields to delete.  0 when the record does not exist, 2 when a
-- field changed since it was read (nothing written), else 1.

-- gen_incr: lua/gen.lua, put in front of this script by the build.

if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local i = 2
for _ = 1, tonumber(ARGV[1]) do
  local v = redis.call('HGET', KEYS[1], ARGV[i]) or ''
  if v ~= ARGV[i + 1] then return 2 end
  i = i + 2
end
local m = tonumber(ARGV[i])
i = i + 1
if m > 0 then
  redis.call('HSET', KEYS[1], unpack(ARGV, i, i + 2 * m - 1))
end
i = i + 2 * m
if #ARGV >= i then
  redis.call('HDEL', KEYS[1], unpack(ARGV, i))
end
gen_incr(KEYS[2])
return 1
