-- lua/unsubscribe.lua -- a verified one-click unsubscribe
-- (lib/unsub.h), for `postwarden unsubscribe` (cli/cli_track.c) and
-- postwarden-policyd's HTTP service (http/http_unsub.c).
--
-- KEYS[1] pw:{T}:tenant, KEYS[2] pw:{T}:supp; ARGV[1] the address
-- (normalized), ARGV[2] the entry "unsubscribe|SOURCE|TIME|0".
-- Returns -1 when the tenant does not exist (nothing written), 0 when
-- the address is already suppressed for good by the tenant's own entry
-- (left alone: doing it again changes nothing), 1 when the entry was
-- written (none before, a global copy, or an entry that expires).

if redis.call('EXISTS', KEYS[1]) == 0 then
  return -1
end
local v = redis.call('HGET', KEYS[2], ARGV[1])
if v then
  -- reason|source|time|expires; a missing or bad number reads as 0
  local f = {}
  for part in string.gmatch(v .. '|', '([^|]*)|') do
    f[#f + 1] = part
  end
  local expires = tonumber(f[4] or '') or 0
  if expires == 0 and (f[2] or '') ~= 'global' then
    return 0
  end
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
