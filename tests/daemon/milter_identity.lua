-- milter_identity.lua -- miltertest script for tests/daemon/milter.sh:
-- on one connection, a message authenticated with a known API key, one
-- from a mapped sender domain, and one with an unknown API key.
-- The socket comes from the environment (PW_MILTER_SOCK).  miltertest
-- cannot send end-of-message macros; libmilter keeps the MAIL ones, so
-- the queue id given at MAIL is what the milter sees at the end.

local conn = mt.connect("unix:" .. os.getenv("PW_MILTER_SOCK"), 40, 0.05)
if conn == nil then error("mt.connect() failed") end

if mt.conninfo(conn, "client.example", "192.0.2.10") ~= nil then
	error("mt.conninfo() failed")
end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("connect not continued") end

-- Message 1: authenticated as API key k_test_1.
mt.macro(conn, SMFIC_MAIL, "i", "4AAAAAAAA1", "{auth_authen}", "k_test_1",
    "{mail_addr}", "app@acme.example")
if mt.mailfrom(conn, "<app@acme.example>") ~= nil then
	error("mt.mailfrom() failed")
end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("MAIL not continued") end
if mt.eom(conn) ~= nil then error("mt.eom() failed") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("EOM not continued") end

-- Message 2: no AUTH, sender domain mapped by the sender table.
mt.macro(conn, SMFIC_MAIL, "i", "4AAAAAAAA2", "{mail_addr}",
    "news@lists.acme.example")
if mt.mailfrom(conn, "<news@lists.acme.example>") ~= nil then
	error("mt.mailfrom() failed")
end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("MAIL not continued") end
if mt.eom(conn) ~= nil then error("mt.eom() failed") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("EOM not continued") end

-- Message 3: an API key Redis does not know.
mt.macro(conn, SMFIC_MAIL, "i", "4AAAAAAAA3", "{auth_authen}", "k_nobody",
    "{mail_addr}", "app@acme.example")
if mt.mailfrom(conn, "<app@acme.example>") ~= nil then
	error("mt.mailfrom() failed")
end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("MAIL not continued") end
if mt.eom(conn) ~= nil then error("mt.eom() failed") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("EOM not continued") end

mt.disconnect(conn)
