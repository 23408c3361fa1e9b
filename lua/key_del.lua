-- lua/key_del.lua -- postwarden (the CLI) (cli/cli_key.c).
--
-- KEYS[1] the key record, KEYS[2] the tenant's key set, KEYS[3] the
-- key's secrets, KEYS[4] its failed-login counter, KEYS[5] the tenant's
-- generation pw:{T}:gen (incremented when the record existed); ARGV[1]
-- the key id.
-- All four go; the reply is how many of the record and the set member
-- existed.

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

redis.call('DEL', KEYS[3], KEYS[4])
local d = redis.call('DEL', KEYS[1])
if d > 0 then gen_incr(KEYS[5]) end
return d + redis.call('SREM', KEYS[2], ARGV[1])
