# tests/redis -- lib/redis*.c against a private redis-server (cmocka).
#
# Each test starts its own redis-server (tests/redis/redis_fixture.c) in a
# temporary directory: unix socket, and a free 127.0.0.1 port when needed.

PW_REDIS_TESTS = \
	tests/redis/test_redis \
	tests/redis/test_redis_async \
	tests/redis/test_milter_tenant \
	tests/redis/test_milter_domain \
	tests/redis/test_milter_events
check_PROGRAMS += $(PW_REDIS_TESTS)
TESTS += $(PW_REDIS_TESTS)

# lua/auth_login.lua through redis-cli EVAL (bash, TAP).
TESTS += tests/redis/auth_login.sh
dist_check_SCRIPTS += tests/redis/auth_login.sh

PW_REDIS_FIXTURE = tests/redis/redis_fixture.c tests/redis/redis_fixture.h

tests_redis_test_redis_SOURCES = tests/redis/test_redis.c \
	$(PW_REDIS_FIXTURE)
tests_redis_test_redis_CFLAGS = $(PW_TEST_CFLAGS)
tests_redis_test_redis_LDADD = $(PW_TEST_LIBS)

tests_redis_test_redis_async_SOURCES = tests/redis/test_redis_async.c \
	$(PW_REDIS_FIXTURE)
tests_redis_test_redis_async_CFLAGS = $(PW_TEST_CFLAGS)
tests_redis_test_redis_async_LDADD = $(PW_TEST_LIBS)

# The milter's event writer (its thread, queue and Redis handle).
tests_redis_test_milter_events_SOURCES = tests/redis/test_milter_events.c \
	milter/milter_events.c milter/milter_events.h $(PW_REDIS_FIXTURE)
tests_redis_test_milter_events_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter
tests_redis_test_milter_events_CFLAGS = $(PW_TEST_CFLAGS)
tests_redis_test_milter_events_LDADD = $(PW_TEST_LIBS)

# The milter's snapshot loader as the daemon has it, tenants and GeoIP.
tests_redis_test_milter_tenant_SOURCES = tests/redis/test_milter_tenant.c \
	milter/milter_dkim.c milter/milter_domain.c milter/milter_geoip.c \
	milter/milter_keys.c \
	milter/milter_identity.c milter/milter_metrics.c milter/milter_runtime.c \
	milter/milter_tenant.c \
	$(PW_REDIS_FIXTURE)
tests_redis_test_milter_tenant_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/milter
tests_redis_test_milter_tenant_CFLAGS = $(PW_TEST_CFLAGS) $(MILTER_CFLAGS) \
	$(LIBCRYPTO_CFLAGS)
tests_redis_test_milter_tenant_LDADD = $(PW_TEST_LIBS)

# Which domains a tenant owns (milter_domain.c), through the same loader.
tests_redis_test_milter_domain_SOURCES = tests/redis/test_milter_domain.c \
	milter/milter_dkim.c milter/milter_domain.c milter/milter_geoip.c \
	milter/milter_keys.c \
	milter/milter_identity.c milter/milter_metrics.c milter/milter_runtime.c \
	milter/milter_tenant.c \
	$(PW_REDIS_FIXTURE)
tests_redis_test_milter_domain_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/milter
tests_redis_test_milter_domain_CFLAGS = $(PW_TEST_CFLAGS) $(MILTER_CFLAGS) \
	$(LIBCRYPTO_CFLAGS)
tests_redis_test_milter_domain_LDADD = $(PW_TEST_LIBS)
