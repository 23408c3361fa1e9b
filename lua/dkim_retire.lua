-- lua/dkim_retire.lua -- postwarden (the CLI) (cli/cli_domain_dkim.c):
-- remove a DKIM key of a tenant's domain that no longer signs, with the
-- version the milters watch.
--
-- KEYS[1] pw:{T}:dkim:<domain>, KEYS[2] pw:{T}:dkim:<domain>:<selector>,
-- KEYS[3] pw:{T}:tenant.
-- ARGV[1] the selector, ARGV[2] the time, ARGV[3] "1" to remove a
-- retiring key before its keep_published_until.
-- A pending key (never signed) goes at once; a retiring one once its
-- record need no longer be published; an active one never (rotate it).
-- Reply: 1 removed (dkim_version incremented); -1 no such selector;
-- -2 it is active; -3 its record must stay published (nothing changed).

if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 or
    redis.call('EXISTS', KEYS[2]) == 0 then
	return -1
end
local st = redis.call('HMGET', KEYS[2], 'state', 'keep_published_until')
if st[1] ~= 'pending' and st[1] ~= 'retiring' then return -2 end
if st[1] == 'retiring' and ARGV[3] ~= '1' and
    tonumber(st[2] or '0') > tonumber(ARGV[2]) then
	return -3
end
redis.call('DEL', KEYS[2])
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HINCRBY', KEYS[3], 'dkim_version', 1)
return 1
