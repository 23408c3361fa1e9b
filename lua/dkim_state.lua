-- lua/dkim_state.lua -- postwarden (the CLI) (cli/cli_domain_dkim.c):
-- activate a DKIM key of a tenant's domain: its state in both hashes
-- that hold it, the retirement of the keys it replaces, and the version
-- the milters watch, at once.
--
-- KEYS[1] pw:{T}:dkim:<domain>, KEYS[2] pw:{T}:dkim:<domain>:<selector>,
-- KEYS[3] pw:{T}:tenant, KEYS[4..] the records of the domain's other
-- selectors (pw:{T}:dkim:<domain>:<other>).
-- ARGV[1] the selector, ARGV[2] the time (activated), ARGV[3] until when
-- a replaced key's record stays published (keep_published_until),
-- ARGV[4..] the other selectors, in the order of KEYS[4..].
-- An other key that is active and of the same algorithm becomes
-- retiring: a domain signs with one key per algorithm, the newest.
-- Reply: { n, retired... }: n 1 changed (dkim_version incremented) and
-- the selectors retired; 0 already active; -1 no such selector.

if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 or
    redis.call('EXISTS', KEYS[2]) == 0 then
	return { -1 }
end
if redis.call('HGET', KEYS[2], 'state') == 'active' then return { 0 } end
local alg = redis.call('HGET', KEYS[2], 'algorithm')
local reply = { 1 }
for i = 4, #KEYS do
	local sel = ARGV[i]
	local st = redis.call('HMGET', KEYS[i], 'state', 'algorithm')
	if st[1] == 'active' and st[2] == alg and sel ~= ARGV[1] then
		redis.call('HSET', KEYS[i], 'state', 'retiring',
		    'keep_published_until', ARGV[3])
		redis.call('HSET', KEYS[1], sel, 'retiring')
		reply[#reply + 1] = sel
	end
end
redis.call('HSET', KEYS[2], 'state', 'active', 'activated', ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], 'active')
redis.call('HINCRBY', KEYS[3], 'dkim_version', 1)
return reply
