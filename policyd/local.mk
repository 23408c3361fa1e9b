# policyd/ -- postwarden-policyd, the Postfix policy server.

sbin_PROGRAMS += policyd/postwarden-policyd
policyd_postwarden_policyd_SOURCES = \
	policyd/policyd_main.c \
	policyd/policyd_conn.c policyd/policyd_conn.h \
	policyd/policyd_decide.c policyd/policyd_decide.h \
	policyd/policyd_identity.c policyd/policyd_identity.h \
	policyd/policyd_proto.c policyd/policyd_proto.h \
	policyd/policyd_rules.c policyd/policyd_rules.h \
	policyd/policyd_server.c policyd/policyd_server.h
nodist_policyd_postwarden_policyd_SOURCES = policyd/policyd_lua.c
policyd_postwarden_policyd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(HIREDIS_CFLAGS)
policyd_postwarden_policyd_LDADD = $(PW_LIB_LIBS)

# The Lua scripts are kept as .lua files and embedded as C strings, each
# with the shared prelude (calendar and rate limiter functions) in front
# of it.
PW_POLICYD_LUA = policyd/policyd_rcpt.lua policyd/policyd_eom.lua \
	policyd/policyd_event.lua policyd/policyd_release.lua
PW_POLICYD_LUA_PRELUDE = policyd/policyd_calendar.lua \
	policyd/policyd_gcra.lua
EXTRA_DIST += $(PW_POLICYD_LUA) $(PW_POLICYD_LUA_PRELUDE) \
	policyd/policyd_refund.lua
CLEANFILES += policyd/policyd_lua.c

policyd/policyd_lua.c: $(PW_POLICYD_LUA) $(PW_POLICYD_LUA_PRELUDE) \
    $(srcdir)/policyd/local.mk
	$(AM_V_GEN)$(MKDIR_P) policyd && { \
	echo '/* Generated from the policyd Lua scripts by policyd/local.mk. */'; \
	for f in $(PW_POLICYD_LUA); do \
		n=`basename $$f .lua | sed 's/^policyd_//'`; \
		echo "const char policyd_lua_$$n[] ="; \
		cat $(PW_POLICYD_LUA_PRELUDE:%=$(srcdir)/%) $(srcdir)/$$f | \
		$(PW_LUA2C); \
		echo ';'; \
	done; } >$@.tmp && mv $@.tmp $@
