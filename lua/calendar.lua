-- lua/calendar.lua -- UTC calendar arithmetic shared by the
-- policyd scripts (Redis Lua has no os library): days since 1970-01-01
-- from a civil date and back (H. Hinnant's algorithms), and the quota
-- windows of an hour.  The build prepends this file to each script
-- (lua/local.mk).

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

-- The hour id "YYYYMMDDHH" of Unix time s.
local function hour_id(s)
	local y, m, d = civil_from_days(math.floor(s / 86400))
	return string.format('%04d%02d%02d%02d', y, m, d,
	    math.floor((s % 86400) / 3600))
end

-- The windows of an hour id: {kind, id, end (Unix s), how long a count
-- of it is kept after its end (s)}, hour, day and month.
local function windows_of(hid)
	local y = tonumber(string.sub(hid, 1, 4))
	local m = tonumber(string.sub(hid, 5, 6))
	local d = tonumber(string.sub(hid, 7, 8))
	local h = tonumber(string.sub(hid, 9, 10))
	local day = days_from_civil(y, m, d)
	local ny, nm = y, m + 1
	if nm > 12 then ny, nm = y + 1, 1 end
	return {
		{ 'h', hid, day * 86400 + (h + 1) * 3600, 3600 },
		{ 'd', string.sub(hid, 1, 8), (day + 1) * 86400, 86400 },
		{ 'm', string.sub(hid, 1, 6),
		    days_from_civil(ny, nm, 1) * 86400, 7 * 86400 },
	}
end
