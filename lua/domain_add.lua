-- lua/domain_add.lua -- postwarden (the CLI) (cli/cli_domain.c): a
-- sending domain's records in its tenant's slot, after the CLI claimed
-- the directory entry pw:domain:<domain> (outside the slot) for it.
--
-- KEYS[1] the tenant record pw:{T}:tenant, KEYS[2] pw:{T}:domains,
-- KEYS[3] the domain's record pw:{T}:domain:<domain>, KEYS[4] the
-- tenant's generation pw:{T}:gen (incremented when pw:{T}:domains changes).
-- ARGV[1] the domain (normal form), ARGV[2] `exact` or `subdomains`,
-- ARGV[3] the time (Unix seconds).
-- Reply: -1 the tenant does not exist (nothing written); 1 added;
-- 2 the tenant had it with the other scope, now ARGV[2] (record's
-- `subdomains` and `updated` set, `created` kept); 0 it had it as asked
-- (nothing written).  Other fields of the record (DKIM, verification)
-- are never touched.

-- gen_incr: lua/gen.lua, put in front of this script by the build.

if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local sub = 'no'
if ARGV[2] == 'subdomains' then sub = 'yes' end
local was = redis.call('HGET', KEYS[2], ARGV[1])
local exists = redis.call('EXISTS', KEYS[3]) == 1
if was == ARGV[2] and exists and
    redis.call('HGET', KEYS[3], 'subdomains') == sub then
  return 0
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if was ~= ARGV[2] then gen_incr(KEYS[4]) end
if exists then
  redis.call('HSET', KEYS[3], 'subdomains', sub, 'updated', ARGV[3])
  return 2
end
redis.call('HSET', KEYS[3], 'created', ARGV[3], 'subdomains', sub)
return 1
