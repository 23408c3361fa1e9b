-- lua/refund.lua -- take back what lua/eom.lua billed for a
-- message that was then not accepted.  Run by postwarden-milter when it
-- rejects or tempfails a tenant's message at end of data: Postfix asks
-- the policy daemon (smtpd_end_of_data_restrictions) before the cleanup
-- server's milters, so by then the message is billed.  See
-- docs/redis-schema.md and postwarden-milter(8).
--
-- KEYS[1]  <P>billed:<queue id>  the billing record, written by
--                                lua/eom.lua: a string "count size
--                                windows key instance" (a hash with
--                                fields count, size, windows and key
--                                when an older version wrote it)
-- Every other key is derived from ARGV[1] and lies in the same slot
-- (lua/schema.lua; the windows: lua/calendar.lua, both put in front of
-- this script by the build).
--
-- ARGV[1]  P, the tenant slot prefix: "pw:{acme}:"
-- ARGV[2]  optional: a number of recipients the milter removed from a
--          message it then accepts (stream-scoped suppressions): only
--          that many recipients are taken back (at most the record's
--          count), the message and its bytes stay billed, and the
--          record stays with its count lowered, so that a refund of the
--          whole message after this one takes back only the rest.
--
-- Returns {"refunded", count, size} or {"none", 0, 0} when nothing was billed
-- under that queue id (or it was refunded already: the record goes with
-- the refund, so a second call changes nothing).  A counter is lowered
-- by at most its value and never created, so a window that has ended
-- and expired stays gone.  The rate limiter's admissions stand.

local P = ARGV[1]
-- The key id has no space (lib/identity); the instance, last, may.
local b = redis.pcall('GET', KEYS[1])
local hash = type(b) == 'table'		-- WRONGTYPE: the older hash
if hash then
	b = redis.call('HMGET', KEYS[1], 'count', 'size', 'windows', 'key')
elseif b then
	b = { string.match(b, '^(%d+) (%d+) (%d+) (%S*) (.*)$') }
else
	b = {}
end
local hid = b[3]
if not hid or not string.match(hid, '^%d%d%d%d%d%d%d%d%d%d$') then
	return { 'none', 0, 0 }
end
local count = math.floor(tonumber(b[1] or '') or 0)
local size = math.floor(tonumber(b[2] or '') or 0)
local keyid = b[4] or ''
local part = ARGV[2] and math.floor(tonumber(ARGV[2]) or 0) or nil
if part then
	if part <= 0 or count <= 0 then
		return { 'none', 0, 0 }
	end
	if part < count then count = part end
	if hash then
		redis.call('HINCRBY', KEYS[1], 'count', -count)
	else
		redis.call('SET', KEYS[1], string.format('%.0f %s %s %s %s',
		    math.floor(tonumber(b[1])) - count, b[2], hid, keyid,
		    b[5]), 'KEEPTTL')
	end
	size = 0
else
	redis.call('DEL', KEYS[1])
end

local function lower(k, n)
	if n <= 0 then return end
	local v = tonumber(redis.call('GET', k) or '')
	if v == nil or v <= 0 then return end
	redis.call('DECRBY', k, math.min(v, n))
end

local whos = { schema_who_tenant() }
if keyid ~= '' then whos[2] = schema_who_key(keyid) end
local day = string.sub(hid, 1, 8)
for _, who in ipairs(whos) do
	for _, w in ipairs(windows_of(hid)) do
		lower(schema_used(P, who, schema_window(w[1], w[2])), count)
	end
	if not part then
		lower(schema_msgs(P, who, day), 1)
		lower(schema_bytes(P, who, day), size)
	end
end
return { 'refunded', count, size }
