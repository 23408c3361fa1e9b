-- lua/gcra.lua -- the rate limiter's arithmetic (GCRA, the generic
-- cell rate algorithm), shared by the policyd scripts and tested alone
-- (tests/policyd/gcra.sh).  The build puts it in front of each script
-- (lua/local.mk).
--
-- Time is Redis's TIME to the microsecond.  A whole millisecond is far
-- coarser than the interval of a fast rate (300/s: 3.33 ms; 50,000/s:
-- 0.02 ms), and an arrival comes at or after its interval's end, so
-- rounding each interval up to the clock's tick lowered the rate (300/s
-- admitted 250/s).  The limiter's state (the theoretical arrival time,
-- tat) is kept as Unix milliseconds with six decimals; arithmetic is done
-- relative to the current second (a Lua number holding Unix time in
-- milliseconds keeps only a quarter of a microsecond, too coarse for an
-- interval of 20 microseconds added up over and over).

-- The TIME reply {seconds, microseconds}: the base (Unix ms of the
-- second, exact) and now relative to it (ms, 0 <= now < 1000).
local function gcra_clock(t)
	return tonumber(t[1]) * 1000, tonumber(t[2]) / 1000
end

-- A stored tat "1796000000123.456789" relative to base, or nil.
local function gcra_parse(v, base)
	local i, f = string.match(v or '', '^(%d+)%.?(%d*)$')
	if not i then return nil end
	return (tonumber(i) - base) + (f ~= '' and tonumber('0.' .. f) or 0)
end

-- base + rel as stored: whole ms, six decimals.
local function gcra_format(base, rel)
	local i = math.floor(rel)
	local f = math.floor((rel - i) * 1e6 + 0.5)
	if f >= 1e6 then i, f = i + 1, f - 1e6 end
	return string.format('%.0f.%06d', base + i, f)
end

-- One tick of the clock, ms: an arrival later than tat by less than
-- this is on time (the clock cannot say better), so the schedule keeps
-- its fraction rather than restarting from the tick.
local GCRA_TICK = 0.001

-- T and tau (ms) of a limiter admitting rate arrivals per period seconds
-- with burst: the interval between arrivals and how far ahead of now tat
-- may be for an arrival to pass.
local function gcra_interval(rate, period, burst)
	return period * 1000 / rate, burst * (period * 1000) / rate
end

-- tat: the theoretical arrival time (nil for an idle limiter); now; T =
-- period / rate; tau = burst * T; all ms on one base.  Returns true and
-- the new tat when an arrival at now is admitted (tat - now <= tau),
-- else false and when the next one would be.
local function gcra(tat, now, T, tau)
	if tat == nil or now - tat >= GCRA_TICK then tat = now end
	if tat - now > tau then
		return false, tat - tau
	end
	return true, tat + T
end

-- Read only (postwarden usage): how many arrivals at now gcra() would
-- admit one after another, and when the next is admitted (now when at
-- least one is; else the time gcra() returns).  The count is
-- (tau - (tat - now)) / T + 1, whole: it ignores the rounding of each
-- stored tat to the nanosecond, which a real arrival's elapsed time
-- exceeds.
local function gcra_admissible(tat, now, T, tau)
	local ok, when = gcra(tat, now, T, tau)
	if not ok then
		return 0, when
	end
	return math.floor((tau - (when - T - now)) / T) + 1, now
end
