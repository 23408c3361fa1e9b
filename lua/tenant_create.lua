-- lua/tenant_create.lua -- postwarden (the CLI) (cli/cli_tenant.c).
--
-- KEYS[1] the record, KEYS[2] the tenant's generation pw:{T}:gen
-- (docs/redis-schema.md); ARGV field/value pairs.  0 if it exists, else 1.

if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
-- A new generation starts from the clock (microseconds), not 1: a
-- tenant deleted by hand and made again never repeats one a daemon
-- holds records under (docs/redis-schema.md).
if redis.call('EXISTS', KEYS[2]) == 0 then
  local t = redis.call('TIME')
  redis.call('SET', KEYS[2], t[1] .. string.format('%06d', tonumber(t[2])))
end
redis.call('INCR', KEYS[2])
return 1
