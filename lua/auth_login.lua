-- lua/auth_login.lua -- postwarden-policyd's SASL service: one SMTP AUTH
-- login with an API key secret, checked and recorded in one atomic step
-- (docs/redis-schema.md "API key secrets").  Every key is in KEYS, all in
-- the tenant's slot (Redis Cluster).
--
-- KEYS[1]  pw:{T}:tenant                the tenant record (hash)
-- KEYS[2]  pw:{T}:key:<keyid>           the key record (hash)
-- KEYS[3]  pw:{T}:key:<keyid>:secrets   the key's secrets (hash)
-- KEYS[4]  pw:{T}:authfail:<keyid>      the key's failed-login counter
--
-- ARGV[1]  sid, the secret's id from the token (8 lower-case hex digits)
-- ARGV[2]  the hash the caller computed of the token it was given
--          (lib/auth_secret.c: pw_auth_secret_hash, "v1:<pepper id>:<hex>")
-- ARGV[3]  now, Unix seconds (the caller's clock; recorded as last use)
-- ARGV[4]  auth_fail_window, seconds: the counter's lifetime
-- ARGV[5]  auth_fail_key_limit: failures in a window that block the key
--
-- Returns {verdict, detail}, both strings, decided in this order:
--   {"throttled", TTL}    the counter already reached the limit: nothing
--                         else is read or checked; TTL = seconds until
--                         the key may try again
--   {"unknown", "key"}    no key record (deleted, or Redis lost it)
--   {"unknown", "tenant"} no tenant record
--   {"wrong", N}          no secret with that sid, or its hash differs:
--                         the counter is incremented (its expiry set to
--                         the window by the first failure of a window,
--                         EXPIRE NX); N = the new count
--   {"tenant", STATUS}    the tenant's status is not active
--   {"key", STATUS}       the key's status is not active
--   {"ok", ""}            the field <sid>:used is set to now
-- Status, as lua/rcpt.lua decides it: a record without `status` or with
-- "active" is active; "disabled" is told before "suspended", the tenant
-- before the key; any other value is refused too (fail closed).  The
-- secret is checked before the status, so only a holder of the secret
-- learns that a key is suspended, and a wrong secret for a suspended key
-- still counts as a failure.
--
-- The hashes are compared with Lua's `==`, which is not constant-time.
-- That is acceptable here: both sides are HMAC-SHA256 outputs under the
-- pepper (auth_pepper_file), which lives on the nodes and never in
-- Redis; an attacker who measured how many leading characters of the
-- stored hash matched learns nothing that helps to forge a secret,
-- because it cannot compute the HMAC of a guess without the pepper.

local sid, hash = ARGV[1], ARGV[2]
local now = ARGV[3]
local window = tonumber(ARGV[4]) or 300
local limit = tonumber(ARGV[5]) or 10

-- 1. the key's failed-login counter.
local fails = tonumber(redis.call('GET', KEYS[4]) or '0') or 0
if fails >= limit then
	local ttl = redis.call('TTL', KEYS[4])
	if ttl < 0 then
		-- A counter without expiry would block the key for ever.
		redis.call('EXPIRE', KEYS[4], window)
		ttl = window
	end
	return { 'throttled', tostring(ttl) }
end

-- 2. the records.
if redis.call('EXISTS', KEYS[2]) == 0 then return { 'unknown', 'key' } end
if redis.call('EXISTS', KEYS[1]) == 0 then
	return { 'unknown', 'tenant' }
end

-- 3. the secret.  A sid that is not 8 hex digits never names a secret
-- (nor one of the :created / :used fields).
local stored = false
if string.match(sid, '^[0-9a-f]+$') and #sid == 8 then
	stored = redis.call('HGET', KEYS[3], sid)
end
if not stored or stored ~= hash then
	local n = redis.call('INCR', KEYS[4])
	redis.call('EXPIRE', KEYS[4], window, 'NX')
	return { 'wrong', tostring(n) }
end

-- 4. status: disabled first (permanent), then suspended (temporary),
-- then anything else that is not active; the tenant before the key.
local tstatus = redis.call('HGET', KEYS[1], 'status') or 'active'
local kstatus = redis.call('HGET', KEYS[2], 'status') or 'active'
for _, st in ipairs({ 'disabled', 'suspended' }) do
	if tstatus == st then return { 'tenant', st } end
	if kstatus == st then return { 'key', st } end
end
if tstatus ~= 'active' then return { 'tenant', tstatus } end
if kstatus ~= 'active' then return { 'key', kstatus } end

redis.call('HSET', KEYS[3], sid .. ':used', now)
return { 'ok', '' }
