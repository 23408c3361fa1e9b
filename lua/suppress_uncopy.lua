-- lua/suppress_uncopy.lua -- postwarden (the CLI) (cli/cli_suppress_global.c).
--
-- Removing a global entry from a tenant: KEYS[1] pw:{T}:supp, ARGV
-- fields; deletes those whose source is "global".  Returns how many.

local n = 0
for i = 1, #ARGV do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if v and string.match(v, '^[^|]*|([^|]*)|') == 'global' then
    n = n + redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return n
