-- lua/record_update.lua -- postwarden (the CLI) (cli/cli_record.c).
--
-- KEYS[1] the record (a tenant's or a key's), KEYS[2] the tenant's
-- generation pw:{T}:gen (incremented with the write); ARGV[1] n, then n field/value pairs to set, then
-- fields to delete.  0 when the record does not exist (nothing written),
-- else 1.

-- gen_incr: lua/gen.lua, put in front of this script by the build.

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
