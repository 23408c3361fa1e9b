-- lua/release.lua -- postwarden-policyd: give back the reservations
-- of a transaction that will not reach END-OF-MESSAGE here: Postfix
-- started another transaction on the same connection (a new instance:
-- RSET, or the session ended), or closed the connection.  See
-- docs/redis-schema.md and postwarden-policyd(8).
--
-- KEYS[1]  <P>txn:<instance>  the transaction (hash)
-- Every other key is derived from ARGV[1] and lies in the same slot.
--
-- ARGV[1]  P, the tenant slot prefix: "pw:{acme}:"
-- ARGV[2]  instance
-- ARGV[3]  "over" when Postfix started another transaction on the
--          connection, "closed" (or absent) when it closed it
--
-- Returns {"released", n}: the reservations removed (0 when the
-- transaction is unknown or billed, or on a close released already).
-- A transaction that is over (smtpd went on with another on the same
-- connection: it never comes back to this one) is removed.  One whose
-- connection closed is kept, marked "released": when Postfix goes on
-- with it on another connection (its connection to us closed between
-- two requests), a retried RCPT is still recognised, and END-OF-MESSAGE
-- bills it only if the windows still have room (lua/eom.lua).

local P, inst, over = ARGV[1], ARGV[2], ARGV[3] == 'over'
local t = redis.call('HMGET', KEYS[1], 'windows', 'billed', 'released',
    'key')
local hid = t[1]
-- Released already (its connection closed) and now over: what it
-- reserved since on another connection goes too, and the hash.
if not hid or t[2] or (t[3] and not over) then
	return { 'released', 0 }
end

-- hour_id and windows_of: lua/calendar.lua; the key names (schema_*):
-- lua/schema.lua; both put in front of this script by the build.
local members = {}
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
	if string.sub(f, 1, 5) == 'rcpt:' then
		members[#members + 1] = inst .. ' ' .. string.sub(f, 6)
	end
end
local whos = { schema_who_tenant() }
if t[4] and t[4] ~= '' then whos[2] = schema_who_key(t[4]) end
local n = 0
for _, who in ipairs(whos) do
	for _, w in ipairs(windows_of(hid)) do
		local rk = schema_resv(P, who, schema_window(w[1], w[2]))
		for i = 1, #members, 500 do
			n = n + redis.call('ZREM', rk,
			    unpack(members, i, math.min(#members, i + 499)))
		end
	end
end
if over then
	redis.call('DEL', KEYS[1])
else
	redis.call('HSET', KEYS[1], 'released', 1)
end
return { 'released', n }
