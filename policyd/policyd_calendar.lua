-- policyd_calendar.lua -- UTC calendar arithmetic shared by the
-- policyd scripts (Redis Lua has no os library): days since 1970-01-01
-- from a civil date and back, H. Hinnant's algorithms.  The build
-- prepends this file to each script (policyd/local.mk).

local function days_from_civil(y, m, d)
	if m <= 2 then y = y - 1 end
	local era = math.floor(y / 400)
	local yoe = y - era * 400
	local mp = (m > 2) and (m - 3) or (m + 9)
	local doy = math.floor((153 * mp + 2) / 5) + d - 1
	local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) +
	    doy
	return era * 146097 + doe - 719468
end

local function civil_from_days(z)
	z = z + 719468
	local era = math.floor(z / 146097)
	local doe = z - era * 146097
	local yoe = math.floor((doe - math.floor(doe / 1460) +
	    math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
	local y = yoe + era * 400
	local doy = doe - (365 * yoe + math.floor(yoe / 4) -
	    math.floor(yoe / 100))
	local mp = math.floor((5 * doy + 2) / 153)
	local d = doy - math.floor((153 * mp + 2) / 5) + 1
	local m = (mp < 10) and (mp + 3) or (mp - 9)
	if m <= 2 then y = y + 1 end
	return y, m, d
end
