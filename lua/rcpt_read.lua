-- lua/rcpt_read.lua -- postwarden-policyd: what a decision reads of a
-- tenant and key, under one generation (pw:{T}:gen), atomically, for the
-- daemon's cache (policyd/policyd_records.c).  Run when the daemon has
-- no fresh copy, or lua/rcpt.lua answered that its copy is stale.
--
-- KEYS[1] <P>gen, KEYS[2] <P>tenant, KEYS[3] <P>domains, KEYS[4]
-- <P>key:<keyid> (only with a key).
-- ARGV[1] the sender check: "" none (the null sender), "@" a sender
-- without a domain, else "d" and ARGV[2..] the sender's domain in normal
-- form and its parents ("a.b.example", "b.example", "example"; a literal
-- "[...]" alone).
--
-- Returns {gen ("" while none: no tenant record either), tenant record (HGETALL), key record
-- (HGETALL; {} without a key), sender verdict}: "" not asked, "owned"
-- (the domain, or a parent with the value "subdomains"), "none" (the
-- tenant owns no domain at all), "other" (it owns some, not this one).

local gen = redis.call('GET', KEYS[1])
local tenant = redis.call('HGETALL', KEYS[2])
-- A tenant without a generation (records written by hand, or by a
-- postwarden before pw:{T}:gen existed) gets one: gen_init, lua/gen.lua,
-- put in front of this script by the build.
if not gen then
	gen = ''
	if #tenant > 0 then gen = gen_init(KEYS[1]) end
end
local key = {}
if KEYS[4] then key = redis.call('HGETALL', KEYS[4]) end
local verdict = ''
if ARGV[1] ~= '' then
	local owned = false
	if ARGV[1] == 'd' then
		local v = redis.call('HMGET', KEYS[3], unpack(ARGV, 2))
		-- The domain itself: any value (what is not "subdomains" is
		-- exact), as the milter reads it (milter_domain.c).
		owned = v[1] ~= false
		for i = 2, #v do
			if v[i] == 'subdomains' then owned = true end
		end
	end
	if owned then
		verdict = 'owned'
	elseif redis.call('HLEN', KEYS[3]) == 0 then
		verdict = 'none'
	else
		verdict = 'other'
	end
end
return { gen, tenant, key, verdict }
