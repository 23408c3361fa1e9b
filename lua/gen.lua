-- lua/gen.lua -- the prelude of the scripts that change what a policy
-- decision reads (a tenant or key record, a tenant's domains): put in
-- front of them by lua/local.mk.  See docs/redis-schema.md, pw:{T}:gen.

-- Increment the tenant's generation k.  A missing one starts from the
-- clock (microseconds), never from 1: a tenant written without one (by
-- hand, or by a postwarden older than pw:{T}:gen) must not count 1, 2,
-- ... again after Redis lost its data and give back a generation a
-- daemon holds records under.
local function gen_incr(k)
  if redis.call('EXISTS', k) == 0 then
    local t = redis.call('TIME')
    redis.call('SET', k, t[1] .. string.format('%06d', tonumber(t[2])))
  end
  redis.call('INCR', k)
end

