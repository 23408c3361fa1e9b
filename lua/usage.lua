-- lua/usage.lua -- postwarden usage (cli/cli_usage.c): a subject's
-- counters in its quota windows and its rate limiter, computed by the
-- very functions postwarden-policyd decides with (lua/calendar.lua,
-- lua/gcra.lua, which the build puts in front of this script), so what
-- the command shows cannot drift from what the daemon enforces.
-- READ ONLY: it writes nothing (not even the pruning of expired
-- reservations rcpt.lua does); tests/cli/usage.sh checks that every key
-- and its TTL are the same after it ran.  See docs/redis-schema.md.
--
-- KEYS[1]  <P>gcra:<who>  the subject's rate limiter state (string)
-- Every other key is derived from ARGV[1] and lies in the same slot.
--
-- ARGV[1]  P, the tenant slot prefix: "pw:{acme}:"
-- ARGV[2]  who: "tenant" or "key:<keyid>"
-- ARGV[3]  the time whose windows to read, Unix seconds; "" for now
-- ARGV[4]  rate, the record's valid limit; "" for none
-- ARGV[5]  rate_period, seconds; "" for none (1)
-- ARGV[6]  burst; "" for none (0)
--
-- Returns { now_ms, at, windows, rate, msgs, bytes }:
--   now_ms   Redis's clock (TIME), whole ms, as rcpt.lua's now
--   at       ARGV[3], or now in seconds
--   windows  hour, day and month of at: { id, end (Unix s), used,
--            reserved (reservations live after at, in ms) } each
--   rate     {} without a rate; else { period (s), tat (whole ms; nil
--            when idle or unreadable), admissible now, next (ms, now
--            when admissible) }, always at now, as the daemon would
--            decide an arrival now
--   msgs, bytes  today's (the day of at) messages and bytes
-- or an error "<key>: not a counter" when a counter is not a whole number.

local P, who = ARGV[1], ARGV[2]
local t = redis.call('TIME')
local now_s = tonumber(t[1])
local now = now_s * 1000 + math.floor(tonumber(t[2]) / 1000)
local base, now_rel = gcra_clock(t)	-- for the rate, to the microsecond
local at = tonumber(ARGV[3]) or now_s
local at_ms = ARGV[3] ~= '' and at * 1000 or now

-- A counter's value, 0 when absent; one that is not a whole number
-- (where the daemons' scripts would fail to count) is named in bad and
-- the reply is an error.
local bad = nil
local function count(k)
	local v = redis.call('GET', k)
	if not v then return 0 end
	if not string.match(v, '^%d+$') or #v > 18 then
		bad = bad or k
		return 0
	end
	return tonumber(v)
end

-- The windows: hour_id and windows_of (lua/calendar.lua), as rcpt.lua
-- and eom.lua name and end them.
local windows = {}
local after = string.format('(%.0f', at_ms)
for i, w in ipairs(windows_of(hour_id(at))) do
	local window = schema_window(w[1], w[2])
	windows[i] = { w[2], w[3], count(schema_used(P, who, window)),
	    redis.call('ZCOUNT', schema_resv(P, who, window), after, '+inf') }
end

-- The rate limiter, as rcpt.lua reads and runs it (lua/gcra.lua).
local rate = {}
local r = tonumber(ARGV[4])
if r then
	local period = tonumber(ARGV[5]) or 1
	local burst = tonumber(ARGV[6]) or 0
	local tat = gcra_parse(redis.call('GET', KEYS[1]), base)
	local T, tau = gcra_interval(r, period, burst)
	local n, when = gcra_admissible(tat, now_rel, T, tau)
	rate = { period, tat and math.floor(base + tat) or false, n,
	    string.format('%.0f', base + math.ceil(when)) }
end

local day = windows[2][1]
local msgs = count(schema_msgs(P, who, day))
local bytes = count(schema_bytes(P, who, day))
if bad then
	return redis.error_reply(bad .. ': not a counter')
end
return { now, at, windows, rate, msgs, bytes }
