# tests/dkim -- DKIM signing: canonicalization and key/table unit tests
# (cmocka), signatures checked by independent verifiers (python3-dkim,
# Mail::DKIM, opendkim; verify.sh), and end to end through a real Postfix
# (e2e.sh; keys in Redis: redis_keys.sh, a rotation under load:
# rotation_load.sh).

PW_DKIM_UNIT_TESTS = \
	tests/dkim/test_dkim_canon \
	tests/dkim/test_dkim_keys \
	tests/dkim/test_dkim_store
check_PROGRAMS += $(PW_DKIM_UNIT_TESTS) tests/dkim/dkim_signmsg \
	tests/dkim/milter_load
TESTS += $(PW_DKIM_UNIT_TESTS)

tests_dkim_test_dkim_canon_SOURCES = tests/dkim/test_dkim_canon.c
tests_dkim_test_dkim_canon_CFLAGS = $(PW_TEST_CFLAGS) $(LIBCRYPTO_CFLAGS)
tests_dkim_test_dkim_canon_LDADD = $(PW_TEST_LIBS)

tests_dkim_test_dkim_keys_SOURCES = tests/dkim/test_dkim_keys.c
tests_dkim_test_dkim_keys_CFLAGS = $(PW_TEST_CFLAGS) $(LIBCRYPTO_CFLAGS)
tests_dkim_test_dkim_keys_LDADD = $(PW_TEST_LIBS)

tests_dkim_test_dkim_store_SOURCES = tests/dkim/test_dkim_store.c
tests_dkim_test_dkim_store_CFLAGS = $(PW_TEST_CFLAGS) $(LIBCRYPTO_CFLAGS)
tests_dkim_test_dkim_store_LDADD = $(PW_TEST_LIBS)

tests_dkim_dkim_signmsg_SOURCES = tests/dkim/dkim_signmsg.c
tests_dkim_dkim_signmsg_CFLAGS = $(AM_CFLAGS) $(LIBCRYPTO_CFLAGS)
tests_dkim_dkim_signmsg_LDADD = $(PW_LIB_LIBS)

# The benchmark's milter load generator, for protocol.sh.
tests_dkim_milter_load_SOURCES = tests/bench/milter_load.c
tests_dkim_milter_load_CFLAGS = $(AM_CFLAGS) -Wno-missing-prototypes
tests_dkim_milter_load_LDADD = -lpthread

PW_DKIM_SH_TESTS = \
	tests/dkim/cli.sh \
	tests/dkim/protocol.sh \
	tests/dkim/verify.sh \
	tests/dkim/e2e.sh \
	tests/dkim/hardening.sh \
	tests/dkim/eightbit.sh \
	tests/dkim/tenant_domains.sh \
	tests/dkim/redis_keys.sh \
	tests/dkim/rotation_load.sh
TESTS += $(PW_DKIM_SH_TESTS)
dist_check_SCRIPTS += $(PW_DKIM_SH_TESTS)
EXTRA_DIST += tests/dkim/verify.py tests/dkim/verify.pl \
	tests/bench/milter_null.c tests/bench/milter_bench.sh \
	tests/bench/opendkim.sh docs/bench-milter.md
