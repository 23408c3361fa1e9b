-- lua/unsubscribe.lua -- a verified one-click unsubscribe
-- (lib/unsub.h), for `postwarden unsubscribe` (cli/cli_track.c) and
-- postwarden-policyd's HTTP service (http/http_unsub.c).
--
-- KEYS[1] pw:{T}:tenant, KEYS[2] pw:{T}:supp, KEYS[3]
-- pw:{T}:supp:stream:<stream> (or KEYS[2] again for a token without a
-- stream), KEYS[4] pw:{T}:supp:bulk; ARGV[1] the address (normalized),
-- ARGV[2] the entry "unsubscribe|SOURCE|TIME|0", ARGV[3] the token's
-- stream ("" for none).
--
-- Where it goes: a stream of the tenant's bulk_streams (its record's
-- field; "bulk" when it has none) is suppressed for that stream alone
-- (KEYS[3]), or for all of them (KEYS[4]) when the record's
-- unsubscribe_scope is "bulk"; no stream, or one that is not bulk, for
-- the whole tenant (KEYS[2]), as a token of version 1 always was.
--
-- Returns -1 when the tenant does not exist (nothing written), 0 when
-- the address is already suppressed for good by the tenant's own entry
-- in KEYS[2], or, for a stream, in the hash it would write or in
-- KEYS[4] (left alone: doing it again changes nothing), 1 when the entry
-- was written tenant-wide, 2 for the stream, 3 for every bulk stream
-- (none before, a global copy, or an entry that expires).

if redis.call('EXISTS', KEYS[1]) == 0 then
  return -1
end

-- reason|source|time|expires; a missing or bad number reads as 0
local function permanent(key)
  local v = redis.call('HGET', key, ARGV[1])
  if not v then
    return false
  end
  local f = {}
  for part in string.gmatch(v .. '|', '([^|]*)|') do
    f[#f + 1] = part
  end
  local expires = tonumber(f[4] or '') or 0
  return expires == 0 and (f[2] or '') ~= 'global'
end

local stream = ARGV[3] or ''
local target, added = KEYS[2], 1
if stream ~= '' then
  local t = redis.call('HMGET', KEYS[1], 'bulk_streams', 'unsubscribe_scope')
  local bulk = t[1]
  if not bulk or bulk == '' then
    bulk = 'bulk'
  end
  for s in string.gmatch(bulk, '[^,%s]+') do
    if s == stream then
      if t[2] == 'bulk' then
        target, added = KEYS[4], 3
      else
        target, added = KEYS[3], 2
      end
      break
    end
  end
end

if permanent(KEYS[2]) or permanent(target) or
    (added == 2 and permanent(KEYS[4])) then
  return 0
end
redis.call('HSET', target, ARGV[1], ARGV[2])
return added
