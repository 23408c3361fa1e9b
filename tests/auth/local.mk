# tests/auth -- postwarden-policyd's SASL service (auth/): the protocol
# spoken directly, and SMTP AUTH through a real Postfix.

PW_AUTH_TESTS = \
	tests/auth/protocol.sh \
	tests/auth/limit.sh \
	tests/auth/postfix.sh
TESTS += $(PW_AUTH_TESTS)
dist_check_SCRIPTS += $(PW_AUTH_TESTS)
EXTRA_DIST += tests/auth/auth_client.py tests/auth/README.md

check_PROGRAMS += tests/auth/test_auth_proto
TESTS += tests/auth/test_auth_proto
tests_auth_test_auth_proto_SOURCES = tests/auth/test_auth_proto.c \
	auth/auth_proto.c auth/auth_proto.h auth/auth_mech.c auth/auth_mech.h
tests_auth_test_auth_proto_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/auth
tests_auth_test_auth_proto_CFLAGS = $(PW_TEST_CFLAGS)
tests_auth_test_auth_proto_LDADD = $(PW_TEST_LIBS)

check_PROGRAMS += tests/auth/auth_mint
tests_auth_auth_mint_SOURCES = tests/auth/auth_mint.c
tests_auth_auth_mint_LDADD = $(PW_LIB_LIBS)

check_PROGRAMS += tests/auth/test_auth_cache
TESTS += tests/auth/test_auth_cache
tests_auth_test_auth_cache_SOURCES = tests/auth/test_auth_cache.c \
	auth/auth_cache.c auth/auth_cache.h \
	auth/auth_throttle.c auth/auth_throttle.h
tests_auth_test_auth_cache_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/auth
tests_auth_test_auth_cache_CFLAGS = $(PW_TEST_CFLAGS)
tests_auth_test_auth_cache_LDADD = $(PW_TEST_LIBS)
