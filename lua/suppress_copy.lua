-- lua/suppress_copy.lua -- postwarden (the CLI) (cli/cli_suppress_global.c).
--
-- A global entry's copy into a tenant: KEYS[1] pw:{T}:supp, ARGV field,
-- value pairs.  Writes a pair unless the tenant has its own entry for
-- that address (source other than "global").  Returns how many it wrote.

local n = 0
for i = 1, #ARGV, 2 do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if not v or string.match(v, '^[^|]*|([^|]*)|') == 'global' then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    n = n + 1
  end
end
return n
