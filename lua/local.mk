# lua/ -- every Redis script of postwarden, one file each, embedded at build time as C
# strings by the one rule below: lua/NAME.lua becomes pw_lua_NAME in
# lua/scripts.c (generated, part of lib/libpostwarden.a; declared in
# lib/lua.h).  The accounting scripts get the shared prelude (key names,
# UTC calendar, rate limiter) in front of them; each file's header says its
# KEYS, ARGV and reply.

PW_LUA_PRELUDE = lua/schema.lua lua/calendar.lua lua/gcra.lua
PW_LUA_WITH_PRELUDE = lua/rcpt.lua lua/eom.lua lua/event.lua \
	lua/release.lua lua/usage.lua
# The scripts that change what a policy decision reads, and rcpt_read.lua,
# get gen_init and gen_incr (lua/gen.lua) in front of them.
PW_LUA_GEN = lua/gen.lua
PW_LUA_WITH_GEN = lua/rcpt_read.lua lua/key_add.lua lua/key_del.lua \
	lua/domain_add.lua lua/domain_del.lua \
	lua/tenant_create.lua lua/tenant_delete.lua lua/tenant_update.lua \
	lua/record_update.lua
PW_LUA_PLAIN = lua/event_batch.lua lua/auth_login.lua \
	lua/key_dir_del.lua lua/key_secret_add.lua \
	lua/suppress_copy.lua lua/suppress_uncopy.lua lua/unsubscribe.lua \
	lua/dkim_add.lua lua/dkim_state.lua lua/dkim_retire.lua lua/dkim_del.lua
# The key names (lua/schema.lua, written from lib/schema.c's table by
# `make lua-schema`) are part of the prelude: a script that derives a
# name from its slot prefix needs it.
PW_LUA_WITH_PRELUDE += lua/refund.lua
EXTRA_DIST += $(PW_LUA_PRELUDE) $(PW_LUA_WITH_PRELUDE) $(PW_LUA_GEN) \
	$(PW_LUA_WITH_GEN) $(PW_LUA_PLAIN)
nodist_lib_libpostwarden_a_SOURCES += lua/scripts.c
CLEANFILES += lua/scripts.c

lua/scripts.c: $(PW_LUA_PRELUDE) $(PW_LUA_WITH_PRELUDE) $(PW_LUA_GEN) \
    $(PW_LUA_WITH_GEN) $(PW_LUA_PLAIN) $(srcdir)/lua/local.mk
	$(AM_V_GEN)$(MKDIR_P) lua && { \
	echo '/* lua/scripts.c -- generated from the lua/ scripts by lua/local.mk. */'; \
	echo '#include "lua.h"'; \
	for f in $(PW_LUA_WITH_PRELUDE); do \
		echo "const char pw_lua_`basename $$f .lua`[] ="; \
		cat $(PW_LUA_PRELUDE:%=$(srcdir)/%) $(srcdir)/$$f | \
		$(PW_LUA2C); \
		echo ';'; \
	done; \
	for f in $(PW_LUA_WITH_GEN); do \
		echo "const char pw_lua_`basename $$f .lua`[] ="; \
		cat $(srcdir)/$(PW_LUA_GEN) $(srcdir)/$$f | $(PW_LUA2C); \
		echo ';'; \
	done; \
	for f in $(PW_LUA_PLAIN); do \
		echo "const char pw_lua_`basename $$f .lua`[] ="; \
		$(PW_LUA2C) $(srcdir)/$$f; \
		echo ';'; \
	done; } >$@.tmp && mv $@.tmp $@
