-- lua/supp_stream.lua -- which recipients of a message are suppressed
-- for its stream: postwarden-milter at end of data
-- (milter/milter_supp.c), one round trip per message.  Read-only.  See
-- docs/redis-schema.md, "Suppressions".
--
-- KEYS[1]  <P>supp:stream:<stream>  the stream's suppressions (hash)
-- KEYS[2]  <P>supp:bulk             every bulk stream's; only when the
--                                   message's stream is a bulk stream
-- ARGV     the recipients, each in lib/address's normal form ("" for
--          one without: never suppressed)
--
-- Returns, for each recipient in order, three values: 0 (not
-- suppressed) or the number of the key that holds it (1 or 2), the field
-- that matched (the address, else "@" and its domain; "" when none), and
-- its entry "reason|source|time|expires" ("" when none).  An entry whose
-- expires is past Redis's clock does not count (left for the CLI to
-- remove); a bad number reads as 0 (never expires), as lua/rcpt.lua
-- reads the tenant's hash.

local now = tonumber(redis.call('TIME')[1])
local n = #ARGV

-- Fields to ask: address then @domain, for each recipient.
local fields = {}
for i = 1, n do
	local a = ARGV[i]
	local at = string.find(a, '@[^@]*$')
	fields[2 * i - 1] = a
	if at then
		fields[2 * i] = string.sub(a, at)
	else
		fields[2 * i] = ''
	end
end

local function live(v)
	if not v then
		return false
	end
	local f = {}
	for part in string.gmatch(v .. '|', '([^|]*)|') do
		f[#f + 1] = part
	end
	local expires = tonumber(f[4] or '') or 0
	return expires == 0 or expires > now
end

-- HMGET in chunks: unpack takes at most a few thousand values.
local got = {}
for k = 1, #KEYS do
	got[k] = {}
	for first = 1, #fields, 1000 do
		local last = math.min(first + 999, #fields)
		local r = redis.call('HMGET', KEYS[k],
		    unpack(fields, first, last))
		for j = first, last do
			got[k][j] = r[j - first + 1]
		end
	end
end

local out = {}
for i = 1, n do
	local kind, field, value = 0, '', ''
	if ARGV[i] ~= '' then
		for k = 1, #KEYS do
			for j = 2 * i - 1, 2 * i do
				if kind == 0 and fields[j] ~= '' and
				    live(got[k][j]) then
					kind, field, value = k, fields[j], got[k][j]
				end
			end
		end
	end
	out[3 * i - 2] = kind
	out[3 * i - 1] = field
	out[3 * i] = value
end
return out
