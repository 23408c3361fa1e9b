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

-- The subjects, checked in this order: 1 the tenant, 2 the key.  Their
-- limits in one array (fewer tables made per call: each costs more than
-- the arithmetic), 8 each: L[(n - 1) * 8 + f], nil for none.
local nsub = keyid ~= '' and 2 or 1
local WHO = { 'tenant', 'key' }			-- in replies
local NAME = { schema_who_tenant(), who_key }	-- in key names
local MAX_SIZE, MAX_RCPT, RATE, PERIOD, BURST = 1, 2, 3, 4, 5
local KIND = { 'h', 'd', 'm' }	-- limits 6, 7, 8
local L = { tonumber(A[17]), tonumber(A[18]), tonumber(A[19]),
    tonumber(A[20]), tonumber(A[21]), tonumber(A[22]), tonumber(A[23]),
    tonumber(A[24]), tonumber(A[25]), tonumber(A[26]), tonumber(A[27]),
    tonumber(A[28]), tonumber(A[29]), tonumber(A[30]), tonumber(A[31]),
    tonumber(A[32]) }

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
-- The rate limiters: subject, its state's place in the MGET.
local G = {}
for n = 1, nsub do
	if L[(n - 1) * 8 + RATE] then
		G[#G + 1] = n
		mkeys[#mkeys + 1] = KEYS[3 + n]
	end
end
-- The quotas, 6 fields each: subject, kind (1 h, 2 d, 3 m), limit,
-- reservations' key, the window's end (Unix s), the counter's place in
-- the MGET.
local Q = {}
local wins = nil
local ki = 4 + nsub	-- the first quota's keys
for n = 1, nsub do
	local b = (n - 1) * 8
	for k = 1, 3 do
		local q = L[b + 5 + k]
		if q then
			local uk, rk, wend
			if fast then
				uk, rk, wend = KEYS[ki], KEYS[ki + 1], A[12 + k]
			else
				wins = wins or windows_of(txn_windows)
				local w = wins[k]
				local win = schema_window(w[1], w[2])
				uk = schema_used(P, NAME[n], win)
				rk = schema_resv(P, NAME[n], win)
				wend = w[3]
			end
			ki = ki + 2
			local e = #Q
			mkeys[#mkeys + 1] = uk
			Q[e + 1], Q[e + 2], Q[e + 3], Q[e + 4], Q[e + 5],
			    Q[e + 6] = n, k, q, rk, wend, #mkeys
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
for n = 1, nsub do
	local ms = L[(n - 1) * 8 + MAX_SIZE]
	if ms and size > ms then
		return refuse('size', WHO[n], size, ms)
	end
end
local nrcpt = nil
for n = 1, nsub do
	local mr = L[(n - 1) * 8 + MAX_RCPT]
	if mr then
		if nrcpt == nil then
			nrcpt = 0
			if txn[2] then
				nrcpt = redis.call('HLEN', KEYS[2]) -
				    txn_other
			end
		end
		if nrcpt + 1 > mr then
			return refuse('recipients', WHO[n], nrcpt, mr)
		end
	end
end

-- 5. rate (GCRA, lua/gcra.lua): tat = theoretical arrival time (ms,
-- microseconds as the fraction); an arrival is admitted when
-- tat - now <= burst * T, T = period / rate.  G[i] becomes the new tat.
for i, n in ipairs(G) do
	local b = (n - 1) * 8
	local rate, period, burst = L[b + RATE], L[b + PERIOD] or 1,
	    L[b + BURST] or 0
	local ok, tat = gcra(gcra_parse(m[1 + i], base), now_rel,
	    gcra_interval(rate, period, burst))
	if not ok then
		return refuse('rate', WHO[n], rate, period, burst,
		    fmt(base + math.ceil(tat)))
	end
	G[i] = tat
end

-- 6. quotas: used + live reservations + 1 <= limit, in the windows of
-- the transaction.  A live reservation is one whose score (its expiry)
-- is still ahead; END-OF-MESSAGE removes a transaction's own, so expired
-- ones are only those of transactions that never got there, pruned now
-- and then (when the millisecond clock is a multiple of 16) rather than
-- before every count.
-- The quotas Q with what their windows billed (m): each one's live
-- reservations (its field 6 replaced), or the refusal of the first
-- quota one more recipient would pass.
local function quota_check(Q, m)
	local prune = now % 16 == 0
	local after = nil
	for e = 0, #Q - 1, 6 do
		local q, rk = Q[e + 3], Q[e + 4]
		if prune then
			redis.call('ZREMRANGEBYSCORE', rk, '-inf', now)
		end
		after = after or '(' .. fmt(now)
		local used = tonumber(m[Q[e + 6]] or '') or 0
		local live = redis.call('ZCOUNT', rk, after, '+inf')
		if used + live + 1 > q then
			return refuse('quota', WHO[Q[e + 1]], KIND[Q[e + 2]],
			    used + live, q, Q[e + 5])
		end
		Q[e + 6] = live
	end
	return nil
end
local refusal = quota_check(Q, m)
if refusal then return refusal end

-- Admitted: count the rate, reserve, record the transaction.
-- A limiter's state matters until its tat; it is kept a second longer,
-- as a key must not vanish before then: Redis expires keys by its own
-- cached clock, which may be behind TIME by a few milliseconds, and a
-- state gone early admits the next arrival at once (a past tat is read
-- as idle anyway).
for i, tat in ipairs(G) do
	redis.call('SET', mkeys[1 + i], gcra_format(base, tat), 'PX',
	    math.ceil(tat - now_rel) + 1000)
end
-- A reservation set's expiry (an hour after its window) never changes:
-- it is set when the set may be new, i.e. when it held nothing live.
local ttl = tonumber(A[10]) or 900000
local expiry = fmt(now + ttl)
for e = 0, #Q - 1, 6 do
	redis.call('ZADD', Q[e + 4], expiry, A[8])
	if Q[e + 6] == 0 then
		redis.call('EXPIREAT', Q[e + 4], Q[e + 5] + 3600)
	end
end
redis.call('HSET', KEYS[2], 'key', keyid, 'windows', txn_windows,
    A[7], expiry)
redis.call('PEXPIRE', KEYS[2], ttl)
return { 'ok', 'new' }
