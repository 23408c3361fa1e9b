-- lua/record_update.lua -- postwarden (the CLI) (cli/cli_record.c).
--
-- KEYS[1] the record (a tenant's or a key's), KEYS[2] the tenant's
-- generation pw:{T}:gen (incremented with the write); ARGV[1] n, then n field/value pairs to set, then
-- fields to delete.  0 when the record does not exist (nothing written),
-- else 1.

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

if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = tonumber(ARGV[1])
if n > 0 then
  redis.call('HSET', KEYS[1], unpack(ARGV, 2, 1 + 2 * n))
end
if #ARGV > 1 + 2 * n then
  redis.call('HDEL', KEYS[1], unpack(ARGV, 2 + 2 * n))
end
gen_incr(KEYS[2])
return 1
