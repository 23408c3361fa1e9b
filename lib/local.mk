# lib/ -- code both daemons and the CLI share.

noinst_LIBRARIES += lib/libpostwarden.a
lib_libpostwarden_a_SOURCES = \
	lib/buf.c lib/buf.h \
	lib/cidr.c lib/cidr.h \
	lib/conf.c lib/conf.h \
	lib/cmdline.c lib/cmdline.h \
	lib/daemon.c lib/daemon.h \
	lib/dkim_canon.c lib/dkim_canon.h \
	lib/dkim_keys.c lib/dkim_keys.h \
	lib/dkim_sign.c lib/dkim_sign.h \
	lib/geoip.c lib/geoip.h \
	lib/identity.c lib/identity.h \
	lib/identity_cache.c lib/identity_cache.h \
	lib/json.c lib/json.h \
	lib/log.c lib/log.h \
	lib/redis.c lib/redis.h \
	lib/redis_async.c lib/redis_async.h \
	lib/redis_common.c lib/redis_common.h \
	lib/runtime.c lib/runtime.h \
	lib/rfc5322_addr.c lib/rfc5322_addr.h \
	lib/secret_file.c lib/secret_file.h \
	lib/smtp_lines.c lib/smtp_lines.h \
	lib/table.c lib/table.h \
	lib/tenant_fields.c lib/tenant_fields.h \
	lib/track.c lib/track.h \
	lib/xmalloc.c lib/xmalloc.h
lib_libpostwarden_a_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS) \
	$(LIBEVENT_CFLAGS) $(LIBCRYPTO_CFLAGS) $(MAXMINDDB_CFLAGS)

# Everything a program linking lib/libpostwarden.a needs.
PW_LIB_LIBS = lib/libpostwarden.a $(HIREDIS_LIBS) $(LIBEVENT_LIBS) \
	$(LIBCRYPTO_LIBS) $(MAXMINDDB_LIBS) -lpthread
