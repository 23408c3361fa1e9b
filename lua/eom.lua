-- lua/eom.lua -- postwarden-policyd: END-OF-MESSAGE, the second step
-- of the accounting: the transaction's reservations become usage.  See
-- docs/redis-schema.md and postwarden-policyd(8).
--
-- KEYS[1]  <P>txn:<instance>  the transaction (hash)
-- KEYS[2]  <P>tenant          the tenant record (hash)
-- KEYS[3]  <P>key:<keyid>     the key record (hash); only with a key
-- Every other key is derived from ARGV[1] and lies in the same slot.
--
-- ARGV[1]  P, the tenant slot prefix: "pw:{acme}:"
-- ARGV[2]  key id, "" without one
-- ARGV[3]  instance
-- ARGV[4]  recipient_count: the RCPT commands Postfix accepted
-- ARGV[5]  message size, bytes
-- ARGV[6]  how long the billed transaction is remembered, ms
-- ARGV[7]  Postfix's queue id (pw_redis_queue_id_ok, "" when none)
--
-- Returns {"ok", billed, released} or {"again", 0, 0} for a repeated
-- request, or {"refuse", "quota", who, window, used, limit, reset} (as
-- lua/rcpt.lua) for a transaction whose reservations were released
-- (lua/release.lua: its connection closed, Postfix went on with it
-- on another) and whose recipients no longer fit: nothing is billed and
-- Postfix refuses the message (451), so a limit is never exceeded.
--
-- What is billed is what RCPT reserved: the transaction's distinct
-- recipients as the rules see them, or recipient_count when
-- that is fewer (a later restriction refused some).  recipient_count
-- alone counts a repeated RCPT TO (or a case variant of it) again,
-- which Postfix delivers once and RCPT reserved once, so billing it
-- could take a window past its limit.  Billing goes to the windows of
-- the transaction's first admitted recipient (so a window's usage never
-- exceeds what it admitted), or, when the transaction is not known (its
-- reservations expired, or RCPT was not decided here), recipient_count
-- to the current ones.
--
-- The transaction's hash goes.  With a queue id, what was billed is
-- recorded in <P>billed:<qid>, a string "count size windows key
-- instance" (docs/redis-schema.md), for `keep` ms: a retried
-- END-OF-MESSAGE finds its instance there, and
-- postwarden-milter, which sees the message after this (Postfix asks
-- smtpd_end_of_data_restrictions before the cleanup server's milters),
-- can take the charge back if it rejects the message: lua/refund.lua.
-- Without a queue id, the hash is written again with only "billed",
-- for `keep` ms, for a retry.

local P, keyid, inst = ARGV[1], ARGV[2], ARGV[3]
local count = math.floor(tonumber(ARGV[4]) or 0)
local size = math.floor(tonumber(ARGV[5]) or 0)
local keep = tonumber(ARGV[6]) or 900000
local qid = ARGV[7] or ''
local t = redis.call('TIME')
local now_s = tonumber(t[1])

if count < 0 then count = 0 end
if size < 0 then size = 0 end

-- hour_id and windows_of: lua/calendar.lua; the key names (schema_*):
-- lua/schema.lua; both put in front of this script by the build.

if redis.call('HEXISTS', KEYS[1], 'billed') == 1 then
	return { 'again', 0, 0 }
end

local hid = redis.call('HGET', KEYS[1], 'windows')
local known = hid and true or false
-- Billed already, and the transaction removed with it: its billing
-- record names the instance (last, after the key id, which has no
-- space).  pcall: a record an older version wrote is a hash, and its
-- transaction, still there, said "billed" above.
if not known and qid ~= '' then
	local b = redis.pcall('GET', schema_billed(P, qid))
	if type(b) == 'string' and
	    string.match(b, '^%d+ %d+ %d+ %S* (.*)$') == inst then
		return { 'again', 0, 0 }
	end
end
if not known then hid = hour_id(now_s) end
local wins = windows_of(hid)

local whos = { schema_who_tenant() }
if keyid ~= '' then whos[2] = schema_who_key(keyid) end

-- The transaction's reserved recipients.
local members = {}
local flat = redis.call('HKEYS', KEYS[1])
for _, f in ipairs(flat) do
	if string.sub(f, 1, 5) == 'rcpt:' then
		members[#members + 1] = inst .. ' ' .. string.sub(f, 6)
	end
end
if known and #members < count then count = #members end

-- A released transaction's recipients hold no reservation: bill them
-- only if every window with a limit still has room.
if known and redis.call('HEXISTS', KEYS[1], 'released') == 1 and
    count > 0 then
	for _, m in ipairs(members) do
		for _, who in ipairs(whos) do
			for _, w in ipairs(wins) do
				redis.call('ZREM', schema_resv(P, who,
				    schema_window(w[1], w[2])), m)
			end
		end
	end
	local recs = { [schema_who_tenant()] = KEYS[2] }
	if keyid ~= '' then recs[schema_who_key(keyid)] = KEYS[3] end
	local kinds = { h = 'quota_hour', d = 'quota_day', m = 'quota_month' }
	local now_ms = now_s * 1000 + math.floor(tonumber(t[2]) / 1000)
	for _, who in ipairs(whos) do
		for _, w in ipairs(wins) do
			local v = redis.call('HGET', recs[who], kinds[w[1]])
			local q = v and string.match(v, '^%d+$') and tonumber(v)
			if q and q > 0 then
				local win = schema_window(w[1], w[2])
				local used = tonumber(redis.call('GET',
				    schema_used(P, who, win)) or '') or 0
				local live = redis.call('ZCOUNT',
				    schema_resv(P, who, win), '(' ..
				    string.format('%.0f', now_ms), '+inf')
				if used + live + count > q then
					return { 'refuse', 'quota', who ==
					    schema_who_tenant() and 'tenant' or
					    'key',
					    w[1], used + live, q, w[3] }
				end
			end
		end
	end
end

local released = 0
for _, who in ipairs(whos) do
	for _, w in ipairs(wins) do
		local win = schema_window(w[1], w[2])
		if count > 0 then
			local uk = schema_used(P, who, win)
			redis.call('INCRBY', uk, count)
			redis.call('EXPIREAT', uk, w[3] + w[4])
		end
		local rk = schema_resv(P, who, win)
		for i = 1, #members, 500 do
			released = released + redis.call('ZREM', rk,
			    unpack(members, i, math.min(#members, i + 499)))
		end
	end
	local dw = wins[2]
	local mk = schema_msgs(P, who, dw[2])
	redis.call('INCR', mk)
	redis.call('EXPIREAT', mk, dw[3] + 86400)
	local bk = schema_bytes(P, who, dw[2])
	redis.call('INCRBY', bk, size)
	redis.call('EXPIREAT', bk, dw[3] + 86400)
end

-- What a retried END-OF-MESSAGE and a refund need, no more: the
-- recipients and their reservations are done with.  With a queue id,
-- the billing record, which names the instance; without one, the
-- transaction's hash with only "billed".
redis.call('DEL', KEYS[1])
if qid ~= '' then
	redis.call('SET', schema_billed(P, qid), string.format(
	    '%.0f %.0f %s %s %s', count, size, hid, keyid, inst), 'PX', keep)
else
	redis.call('HSET', KEYS[1], 'billed', count)
	redis.call('PEXPIRE', KEYS[1], keep)
end
return { 'ok', count, released }
