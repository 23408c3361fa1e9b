-- lua/gen.lua -- the prelude of the scripts that change what a policy
-- decision reads (a tenant or key record, a tenant's domains), and of
-- lua/rcpt_read.lua, which reads it: put in front of them by
-- lua/local.mk.  See docs/redis-schema.md, pw:{T}:gen.

-- Give the tenant's generation k a first value, the clock in
-- microseconds, never 1: a tenant written without one (by hand, or by a
-- postwarden older than pw:{T}:gen) must not count 1, 2, ... again after
-- Redis lost its data and give back a generation a daemon holds records
-- under.  Returns it.
local function gen_init(k)
  local t = redis.call('TIME')
  local g = t[1] .. string.format('%06d', tonumber(t[2]))
  redis.call('SET', k, g)
  return g
end

-- Increment the tenant's generation k (from gen_init's when missing).
local function gen_incr(k)
  if redis.call('EXISTS', k) == 0 then gen_init(k) end
  redis.call('INCR', k)
end

