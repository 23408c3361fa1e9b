-- lua/rcpt.lua -- postwarden-policyd: the counting for one recipient
-- (protocol_state RCPT) in one atomic step.  The daemon checked what is
-- the same for every recipient (status, the sender's domain, limits it
-- cannot read, country: policyd/policyd_records.c) against its copy of
-- the tenant and key records, read under the generation pw:{T}:gen
-- (lua/rcpt_read.lua); this script confirms that generation, then checks
-- and counts what changes per recipient.  See docs/redis-schema.md and
-- postwarden-policyd(8).
--
-- KEYS[1]  <P>gen             the tenant's generation (string)
-- KEYS[2]  <P>txn:<instance>  the transaction (hash)
-- KEYS[3]  <P>supp            the tenant's suppressions (hash)
-- KEYS[4]  <P>gcra:tenant     the tenant's rate limiter
-- KEYS[5]  <P>gcra:key:<id>   the key's; only with a key
-- then, for each quota set (the tenant's hour, day, month, then the
-- key's), <P>used:<who>:<window> and <P>resv:<who>:<window> of the
-- daemon's current hour (ARGV[11]); a transaction whose windows are
-- others (begun in another hour, or Redis's clock in another hour than
-- the daemon's) derives its names from ARGV[2] (same slot).
--
-- ARGV[1]  the generation the daemon decided with ("" for none)
-- ARGV[2]  P, the tenant slot prefix: "pw:{acme}:"
-- ARGV[3]  key id, "" without one
-- ARGV[4]  the key's <who> ("key:<id>"), "" without one
-- ARGV[5]  recipient, in normal form (lib/address.h)
-- ARGV[6]  its "@domain" ("" when it has none)
-- ARGV[7]  "rcpt:" .. recipient, its field in the transaction
-- ARGV[8]  instance .. " " .. recipient, its reservations' member
-- ARGV[9]  declared message size, bytes ("0": unknown)
-- ARGV[10] reservation lifetime, ms
-- ARGV[11] the daemon's hour id "YYYYMMDDHH" (UTC), ARGV[12] its start
--          (Unix s), ARGV[13..15] the ends of its hour, day and month
--          (Unix s), as lua/calendar.lua's windows_of computes them
-- ARGV[16] n, the length of the daemon's own verdict (0: none)
-- ARGV[17 .. 16 + n]  that verdict, {"refuse", ...} or {"lost", who}:
--          returned as it is once the generation is confirmed (a retry
--          of an admitted recipient is still "again")
-- then the tenant's limits and, with a key, the key's, eight each, in
-- the order max_size, max_recipients, rate, rate_period, burst,
-- quota_hour, quota_day, quota_month: decimal digits, "" for none (the
-- daemon passed only valid ones, 0 as "").
--
-- Returns {"ok", "new"|"again"}, {"stale"} when pw:{T}:gen is not
-- ARGV[1] (the daemon reads the records again), the daemon's verdict, or
-- {"refuse", rule, who, a, b, c, d} (see policyd_rules.c).
-- Time is Redis's own (TIME), so every node agrees.  A refusal writes
-- nothing (expired reservations are pruned, which changes no count).

local A = ARGV
local P, keyid, who_key, rcpt = A[2], A[3], A[4], A[5]
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

-- A retried request (same instance and recipient) was admitted already.
-- The transaction's windows are fixed at its first admitted recipient.
local txn = redis.call('HMGET', KEYS[2], A[7], 'windows', 'released')
if txn[1] then
	return { 'ok', 'again' }
end
local txn_windows = txn[2]
-- Fields other than rcpt:*: key, windows and, once lua/release.lua
-- gave its reservations back, released.
local txn_other = txn[3] and 3 or 2

-- The daemon's own verdict (status, sender, invalid limit, country, a
-- lost record), if the records it was made from are still current.
local npre = tonumber(A[16])
if npre > 0 then
	if (redis.call('GET', KEYS[1]) or '') ~= A[1] then
		return { 'stale' }
	end
	return { unpack(A, 17, 16 + npre) }
end

-- The subjects, checked in this order: {who (reply), <who> (names),
-- limits, gcra key}.  A limit is a number or nil.
local function limits(i)
	local l = {}
	for j = 1, 8 do
		local v = A[i + j - 1]
		if v ~= '' then l[j] = tonumber(v) end
	end
	return l
end
local L0 = 17
local subjects = { { 'tenant', schema_who_tenant(), limits(L0), KEYS[4] } }
if keyid ~= '' then
	subjects[2] = { 'key', who_key, limits(L0 + 8), KEYS[5] }
end
local MAX_SIZE, MAX_RCPT, RATE, PERIOD, BURST = 1, 2, 3, 4, 5
local KIND = { 'h', 'd', 'm' }	-- limits 6, 7, 8

-- What is read with one MGET: the generation, the rate limiters' states
-- and what each quota window billed.  Which windows: those of the
-- transaction (fixed at its first admitted recipient); for a new one,
-- the hour of Redis's clock (TIME).  When that is the daemon's hour,
-- the names and ends are the daemon's (KEYS, ARGV[13..15]).
if not txn_windows then
	local hs = tonumber(A[12])
	if now_s >= hs and now_s < hs + 3600 then
		txn_windows = A[11]
	else
		txn_windows = hour_id(now_s)
	end
end
local fast = txn_windows == A[11]
local mkeys = { KEYS[1] }
local gcras, quotas = {}, {}
for _, s in ipairs(subjects) do
	if s[3][RATE] then
		gcras[#gcras + 1] = { s, #mkeys + 1 }
		mkeys[#mkeys + 1] = s[4]
	end
end
local wins = nil
local ki = keyid ~= '' and 6 or 5	-- the first quota's keys
for _, s in ipairs(subjects) do
	local l = s[3]
	if l[6] or l[7] or l[8] then
		if not fast then wins = wins or windows_of(txn_windows) end
		for j = 1, 3 do
			local q = l[5 + j]
			if q then
				local w, uk, rk
				if fast then
					w = { KIND[j], txn_windows, A[12 + j] }
					uk, rk = KEYS[ki], KEYS[ki + 1]
				else
					w = wins[j]
					local win = schema_window(w[1], w[2])
					uk = schema_used(P, s[2], win)
					rk = schema_resv(P, s[2], win)
				end
				ki = ki + 2
				quotas[#quotas + 1] = { s, w, q, rk,
				    #mkeys + 1 }
				mkeys[#mkeys + 1] = uk
			end
		end
	end
end
local m = redis.call('MGET', unpack(mkeys))
if (m[1] or '') ~= A[1] then
	return { 'stale' }
end

-- 3. suppression: the address, then "@domain"; expired entries are
-- removed lazily.
local fields = { rcpt }
if A[6] ~= '' then fields[2] = A[6] end
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
local size = tonumber(A[9]) or 0
for _, s in ipairs(subjects) do
	local ms = s[3][MAX_SIZE]
	if ms and size > ms then
		return refuse('size', s[1], size, ms)
	end
end
local nrcpt = nil
for _, s in ipairs(subjects) do
	local mr = s[3][MAX_RCPT]
	if mr then
		if nrcpt == nil then
			nrcpt = 0
			if txn[2] then
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
-- tat - now <= burst * T, T = period / rate.
for i, g in ipairs(gcras) do
	local s = g[1]
	local l = s[3]
	local rate, period, burst = l[RATE], l[PERIOD] or 1, l[BURST] or 0
	local ok, tat = gcra(gcra_parse(m[g[2]], base), now_rel,
	    gcra_interval(rate, period, burst))
	if not ok then
		return refuse('rate', s[1], rate, period, burst,
		    fmt(base + math.ceil(tat)))
	end
	gcras[i] = { s[4], tat }
end

-- 6. quotas: used + live reservations + 1 <= limit, in the windows of
-- the transaction.  A live reservation is one whose score (its expiry)
-- is still ahead; END-OF-MESSAGE removes a transaction's own, so expired
-- ones are only those of transactions that never got there, pruned now
-- and then (when the millisecond clock is a multiple of 16) rather than
-- before every count.
-- The quotas listed above with what their windows billed (m): the
-- reservations one more recipient makes, or nil and the refusal of the
-- first quota it would pass.
local function quota_check(quotas, m)
	local resv = {}
	local prune = now % 16 == 0
	local after = nil
	for _, e in ipairs(quotas) do
		local s, w, q, rk = e[1], e[2], e[3], e[4]
		if prune then
			redis.call('ZREMRANGEBYSCORE', rk, '-inf', now)
		end
		after = after or '(' .. fmt(now)
		local used = tonumber(m[e[5]] or '') or 0
		local live = redis.call('ZCOUNT', rk, after, '+inf')
		if used + live + 1 > q then
			return nil, refuse('quota', s[1], w[1], used + live, q,
			    w[3])
		end
		resv[#resv + 1] = { rk, w[3], live }
	end
	return resv
end
local resv, refusal = quota_check(quotas, m)
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
local ttl = tonumber(A[10]) or 900000
local expiry = fmt(now + ttl)
for _, r in ipairs(resv) do
	redis.call('ZADD', r[1], expiry, A[8])
	if r[3] == 0 then
		redis.call('EXPIREAT', r[1], r[2] + 3600)
	end
end
redis.call('HSET', KEYS[2], 'key', keyid, 'windows', txn_windows,
    A[7], expiry)
redis.call('PEXPIRE', KEYS[2], ttl)
return { 'ok', 'new' }
