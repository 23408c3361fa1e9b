-- milter_bomb.lua -- miltertest script for tests/daemon/milter.sh: a
-- header bomb is refused before the milter deletes anything.
-- Message 1 carries 101 X-Postwarden-ID fields (one over
-- MILTER_CONTROL_REMOVE_MAX): end of message must be a reply code (the
-- milter's log says 550 5.6.0: miltertest's MT_SMTPREPLY check exits)
-- and no header deletion at all.  Message 2 carries 100: accepted, and
-- they are deleted.  The socket comes from PW_MILTER_SOCK.

local conn = mt.connect("unix:" .. os.getenv("PW_MILTER_SOCK"), 40, 0.05)
if conn == nil then error("mt.connect() failed") end
if mt.conninfo(conn, "client.example", "192.0.2.10") ~= nil then
	error("mt.conninfo() failed")
end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("connect not continued") end

local function message(qid, n)
	mt.macro(conn, SMFIC_MAIL, "i", qid, "{auth_authen}", "k_test_1",
	    "{mail_addr}", "app@acme.example")
	if mt.mailfrom(conn, "<app@acme.example>") ~= nil then
		error("mt.mailfrom() failed")
	end
	if mt.getreply(conn) ~= SMFIR_CONTINUE then
		error("MAIL not continued")
	end
	if mt.header(conn, "From", "<app@acme.example>") ~= nil then
		error("mt.header() failed")
	end
	for i = 1, n do
		if mt.header(conn, "X-Postwarden-ID", "f") ~= nil then
			error("mt.header() failed")
		end
	end
	if mt.eom(conn) ~= nil then error("mt.eom() failed") end
	return mt.getreply(conn)
end

if message("4BBBBBBBB1", 101) ~= SMFIR_REPLYCODE then
	error("101 fields: not refused with a reply code")
end
if mt.eom_check(conn, MT_HDRDELETE) then
	error("101 fields: a header was deleted before the refusal")
end

if message("4BBBBBBBB2", 100) ~= SMFIR_CONTINUE then
	error("100 fields: not accepted")
end
if not mt.eom_check(conn, MT_HDRDELETE, "X-Postwarden-ID") then
	error("100 fields: X-Postwarden-ID not deleted")
end

mt.disconnect(conn)
