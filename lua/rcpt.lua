-- lua/rcpt.lua -- postwarden-policyd: the decision for one recipient
-- (protocol_state RCPT), all checks and all counter changes in one
-- atomic step.  See docs/redis-schema.md and postwarden-policyd(8).
--
-- KEYS[1]  <P>tenant          the tenant record (hash)
-- KEYS[2]  <P>txn:<instance>  the transaction (hash)
-- KEYS[3]  <P>supp            the tenant's suppressions (hash)
-- KEYS[4]  <P>key:<keyid>     the key record (hash); only with a key
-- Every other key is derived from ARGV[1] and lies in the same slot.
--
-- ARGV[1]  P, the tenant slot prefix: "pw:{acme}:"
-- ARGV[2]  key id, "" without one
-- ARGV[3]  instance (Postfix's transaction id)
-- ARGV[4]  recipient, in normal form (lib/address.h)
-- ARGV[5]  declared message size, bytes ("0": unknown)
-- ARGV[6]  client country: "-" GeoIP off, "" unknown, else ISO code
-- ARGV[7]  reservation lifetime, ms
-- ARGV[8]  the envelope sender's domain in normal form (lib/address.h):
--          "" for the null sender (not checked), "@" for a sender
--          without a domain (a bare local part: owned by nobody)
-- ARGV[9]  tenant_domains_required: "yes" or "no"
--
-- Returns {"ok", "new"|"again"}, {"lost", "tenant"|"key"} when that
-- record does not exist, or {"refuse", rule, who, a, b, c, d} (strings;
-- see policyd_rules.c).
-- Time is Redis's own (TIME), so every node agrees.  A refusal writes
-- nothing (expired reservations are pruned, which changes no count).

local P, keyid, inst, rcpt = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local size = tonumber(ARGV[5]) or 0
local country = ARGV[6]
local ttl = tonumber(ARGV[7]) or 900000
local sdom, domains_required = ARGV[8] or '', ARGV[9] ~= 'no'
local t = redis.call('TIME')
local now_s = tonumber(t[1])
local now = now_s * 1000 + math.floor(tonumber(t[2]) / 1000)
local base, now_rel = gcra_clock(t)	-- for the rate, to the microsecond

local function fmt(n)
	return string.format('%.0f', n)
end

-- days_from_civil, civil_from_days, hour_id and windows_of come from
-- lua/calendar.lua, the gcra_* functions from lua/gcra.lua, the key
-- names (schema_*) from lua/schema.lua, which the build puts in front
-- of this script.

local function refuse(rule, who, a, b, c, d)
	return { 'refuse', rule, who, tostring(a or ''), tostring(b or ''),
	    tostring(c or ''), tostring(d or '') }
end

local function record(k)
	local r = {}
	local flat = redis.call('HGETALL', k)
	for i = 1, #flat, 2 do r[flat[i]] = flat[i + 1] end
	return r
end

-- The limit fields of a tenant or key record.  A valid limit is absent,
-- empty, or decimal digits only (at most 15: exact in a Lua number);
-- absent, empty and 0 mean "no limit".  Anything else ("1,000", "-5",
-- "ten", "1e1", "0x2", " 5") is invalid and refused below, never read
-- as "no limit" nor guessed at; lib/limit.c is the C side of the same
-- definition (postwarden-policyd, postwarden usage), and
-- tests/unit/test_limit.c checks the two lists agree.
local LIMITS = { 'quota_hour', 'quota_day', 'quota_month', 'rate',
    'rate_period', 'burst', 'max_size', 'max_recipients' }

local function valid(v)
	return v == nil or v == '' or
	    (#v <= 15 and string.match(v, '^%d+$') ~= nil)
end

-- A field that valid() accepted: its value, nil for "no limit".
local function limit(r, f)
	local n = tonumber(r[f] or '')
	if n == nil or n <= 0 then return nil end
	return n
end

-- A retried request (same instance and recipient) was admitted already.
-- The transaction's windows are fixed at its first admitted recipient.
local member = inst .. ' ' .. rcpt
local txn = redis.call('HMGET', KEYS[2], 'rcpt:' .. rcpt, 'windows',
    'released')
if txn[1] then
	return { 'ok', 'again' }
end
local txn_windows = txn[2]
-- Fields other than rcpt:*: key, windows and, once lua/release.lua
-- gave its reservations back, released.
local txn_other = txn[3] and 3 or 2

local tenant = record(KEYS[1])
local key = {}
if keyid ~= '' then key = record(KEYS[4]) end
-- 0. the records must exist.  postwarden creates a tenant's record
-- before its keys, and lib/identity found this key's tenant (perhaps in
-- its cache): a record missing now means Redis lost its data (restarted
-- without persistence, flushed) or the tenant or key was just deleted.
-- Deciding on nothing would admit without limits: the daemon answers
-- with its fail mode instead.
if next(tenant) == nil then return { 'lost', 'tenant' } end
if keyid ~= '' and next(key) == nil then return { 'lost', 'key' } end

-- Checked in this order; who is "tenant" or "key".
local subjects = {}
if keyid ~= '' then
	subjects[1] = { 'tenant', tenant, schema_who_tenant() }
	subjects[2] = { 'key', key, schema_who_key(keyid) }
else
	subjects[1] = { 'tenant', tenant, schema_who_tenant() }
end

-- 1. status: disabled first (permanent), then suspended (temporary).
for _, st in ipairs({ 'disabled', 'suspended' }) do
	for _, s in ipairs(subjects) do
		if s[2].status == st then
			return refuse('status', s[1], st)
		end
	end
end

-- 1a. the sender's domain: the tenant must own it, or a parent of it
-- with the value "subdomains" (docs/redis-schema.md, "Sending
-- domains"); one HMGET of the domain and its parents.  After the status
-- (a disabled or suspended sender is told that first), before anything
-- per recipient or anything counted: it is the same for every recipient
-- of the message and permanent.  Only a miss reads HLEN: a tenant that
-- owns no domain at all follows tenant_domains_required.
if sdom ~= '' then
	local owned = false
	if sdom ~= '@' then
		local names = { sdom }
		if string.sub(sdom, 1, 1) ~= '[' then	-- not a literal
			local rest = sdom
			local dot = string.find(rest, '.', 1, true)
			while dot do
				rest = string.sub(rest, dot + 1)
				names[#names + 1] = rest
				dot = string.find(rest, '.', 1, true)
			end
		end
		local dk = schema_domains(P)
		local v = redis.call('HMGET', dk, unpack(names))
		-- The domain itself: any value (what is not "subdomains"
		-- is exact), as the milter reads it (milter_domain.c).
		owned = v[1] ~= false
		for i = 2, #names do
			if v[i] == 'subdomains' then owned = true end
		end
	end
	if not owned then
		if redis.call('HLEN', schema_domains(P)) == 0 then
			if domains_required then
				return refuse('sender', 'tenant', 'none')
			end
		elseif sdom == '@' then
			return refuse('sender', 'tenant', 'bare')
		else
			return refuse('sender', 'tenant', 'domain', sdom)
		end
	end
end

-- 1b. a limit that cannot be read: fail closed for this tenant (or key)
-- rather than admit without it.  The value goes back for the log,
-- bounded.
for _, s in ipairs(subjects) do
	for _, f in ipairs(LIMITS) do
		if not valid(s[2][f]) then
			return refuse('invalid', s[1], f,
			    string.sub(s[2][f], 1, 64))
		end
	end
end

-- 2. GeoIP: the key's countries.
if keyid ~= '' and country ~= '-' then
	local allowed = key.countries or ''
	if string.find(allowed, '%S') then
		local ok = false
		local norm = string.upper(string.gsub(allowed, '%s', ''))
		if country ~= '' then
			for c in string.gmatch(norm, '[^,]+') do
				if c == country then ok = true end
			end
		end
		if not ok then
			return refuse('country', 'key', country, norm)
		end
	end
end

-- 3. suppression: the address, then "@domain"; expired entries are
-- removed lazily.
local at = string.find(rcpt, '@[^@]*$')
local fields = { rcpt }
if at then fields[2] = string.sub(rcpt, at) end
local vals = redis.call('HMGET', KEYS[3], unpack(fields))
for i, v in ipairs(fields) do
	local e = vals[i]
	if e then
		local reason, source, when, expires =
		    string.match(e, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
		local exp = tonumber(expires or '') or 0
		if exp > 0 and exp <= now_s then
			redis.call('HDEL', KEYS[3], v)
		else
			return refuse('suppressed', 'tenant',
			    i == 1 and 'address' or 'domain', reason or '?',
			    source or '?', (tonumber(when or '') or 0) ..
			    ' ' .. exp)
		end
	end
end

-- 4. per message: declared size, recipients in this transaction.
for _, s in ipairs(subjects) do
	local ms = limit(s[2], 'max_size')
	if ms and size > ms then
		return refuse('size', s[1], size, ms)
	end
end
local nrcpt = nil
for _, s in ipairs(subjects) do
	local mr = limit(s[2], 'max_recipients')
	if mr then
		if nrcpt == nil then
			nrcpt = 0
			if txn_windows then
				nrcpt = redis.call('HLEN', KEYS[2]) -
				    txn_other
			end
		end
		if nrcpt + 1 > mr then
			return refuse('recipients', s[1], nrcpt, mr)
		end
	end
end

-- 5. rate (GCRA, lua/gcra.lua): tat = theoretical arrival time (ms,
-- microseconds as the fraction); an arrival is admitted when
-- tat - now <= burst * T, T = period / rate.  The limiters' states are
-- read with one MGET.
local gcras, gkeys = {}, {}
for _, s in ipairs(subjects) do
	local rate = limit(s[2], 'rate')
	if rate then
		gcras[#gcras + 1] = { s, rate }
		gkeys[#gkeys + 1] = schema_gcra(P, s[3])
	end
end
local tats = #gkeys > 0 and redis.call('MGET', unpack(gkeys)) or {}
for i, g in ipairs(gcras) do
	local s, rate = g[1], g[2]
	local period = limit(s[2], 'rate_period') or 1
	local burst = limit(s[2], 'burst') or 0
	local ok, tat = gcra(gcra_parse(tats[i], base), now_rel,
	    gcra_interval(rate, period, burst))
	if not ok then
		return refuse('rate', s[1], rate, period, burst,
		    fmt(base + math.ceil(tat)))
	end
	gcras[i] = { gkeys[i], tat }
end

-- 6. quotas: used + live reservations + 1 <= limit, in the windows of
-- the transaction (fixed at its first admitted recipient).  A live
-- reservation is one whose score (its expiry) is still ahead; END-OF-
-- MESSAGE removes a transaction's own, so expired ones are only those of
-- transactions that never got there, pruned now and then (when the
-- millisecond clock is a multiple of 16) rather than before every count.
-- The hour, day and month quotas of every subject in the windows of
-- hour hid: the reservations one more recipient makes, or nil and the
-- refusal of the first quota it would pass.
local function quota_check(subjects, hid)
	local wins = windows_of(hid)
	local kinds = { h = 'quota_hour', d = 'quota_day', m = 'quota_month' }
	local quotas, ukeys = {}, {}
	for _, s in ipairs(subjects) do
		for _, w in ipairs(wins) do
			local q = limit(s[2], kinds[w[1]])
			if q then
				local win = schema_window(w[1], w[2])
				quotas[#quotas + 1] = { s, w, q,
				    schema_resv(P, s[3], win) }
				ukeys[#ukeys + 1] = schema_used(P, s[3], win)
			end
		end
	end
	-- What each window billed, with one MGET; then its live
	-- reservations.
	local useds = #ukeys > 0 and redis.call('MGET', unpack(ukeys)) or {}
	local resv = {}
	local prune = now % 16 == 0
	local after = '(' .. fmt(now)
	for i, e in ipairs(quotas) do
		local s, w, q, rk = e[1], e[2], e[3], e[4]
		if prune then
			redis.call('ZREMRANGEBYSCORE', rk, '-inf', now)
		end
		local used = tonumber(useds[i] or '') or 0
		local live = redis.call('ZCOUNT', rk, after, '+inf')
		if used + live + 1 > q then
			return nil, refuse('quota', s[1], w[1], used + live, q,
			    w[3])
		end
		resv[#resv + 1] = { rk, w[3], live }
	end
	return resv
end

if not txn_windows then txn_windows = hour_id(now_s) end
local resv, refusal = quota_check(subjects, txn_windows)
if refusal then return refusal end

-- Admitted: count the rate, reserve, record the transaction.
-- A limiter's state matters until its tat; it is kept a second longer,
-- as a key must not vanish before then: Redis expires keys by its own
-- cached clock, which may be behind TIME by a few milliseconds, and a
-- state gone early admits the next arrival at once (a past tat is read
-- as idle anyway).
for _, g in ipairs(gcras) do
	redis.call('SET', g[1], gcra_format(base, g[2]), 'PX',
	    math.ceil(g[2] - now_rel) + 1000)
end
-- A reservation set's expiry (an hour after its window) never changes:
-- it is set when the set may be new, i.e. when it held nothing live.
for _, r in ipairs(resv) do
	redis.call('ZADD', r[1], now + ttl, member)
	if r[3] == 0 then
		redis.call('EXPIREAT', r[1], r[2] + 3600)
	end
end
redis.call('HSET', KEYS[2], 'key', keyid, 'windows', txn_windows,
    'rcpt:' .. rcpt, fmt(now + ttl))
redis.call('PEXPIRE', KEYS[2], ttl)
return { 'ok', 'new' }
