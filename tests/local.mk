# tests/ -- unit tests (cmocka), daemon, protocol and end-to-end tests.
#
# Every test speaks TAP, so `make check` counts test cases, not programs.
# Tests get PW_SRCDIR and PW_BUILDDIR (absolute) in their environment;
# shell tests source tests/harness/harness.sh for Redis and Postfix.

TEST_EXTENSIONS = .sh
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
SH_LOG_DRIVER = $(LOG_DRIVER)
SH_LOG_COMPILER = bash
AM_TESTS_ENVIRONMENT = \
	CMOCKA_MESSAGE_OUTPUT=TAP; export CMOCKA_MESSAGE_OUTPUT; \
	PW_SRCDIR='$(abs_top_srcdir)'; export PW_SRCDIR; \
	PW_BUILDDIR='$(abs_top_builddir)'; export PW_BUILDDIR;

PW_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(HIREDIS_CFLAGS) \
	$(LIBEVENT_CFLAGS)
PW_TEST_LIBS = $(PW_LIB_LIBS) $(CMOCKA_LIBS)

include $(srcdir)/tests/unit/local.mk
include $(srcdir)/tests/daemon/local.mk
include $(srcdir)/tests/redis/local.mk
include $(srcdir)/tests/policyd/local.mk
include $(srcdir)/tests/e2e/local.mk
include $(srcdir)/tests/auth/local.mk
include $(srcdir)/tests/http/local.mk
include $(srcdir)/tests/cli/local.mk
include $(srcdir)/tests/fuzz/local.mk
include $(srcdir)/tests/dkim/local.mk

EXTRA_DIST += tests/harness/harness.sh
EXTRA_DIST += tests/harness/dkim.sh
EXTRA_DIST += tests/harness/dns.sh

# The SMTP AUTH benchmark (not run by make check; bench-auth.sh builds
# auth_load itself) and its results.
EXTRA_DIST += tests/bench/auth_load.c tests/bench/bench-auth.sh \
	docs/bench-auth.md

# Benchmark tools that no test builds (each is described at its top).
EXTRA_DIST += tests/bench/bench-instr.sh tests/bench/cpu.sh \
	tests/bench/dkim_open_bench.c tests/bench/dkim_provision.c \
	tests/bench/milter_keys_bench.sh tests/bench/milter_load_go.go \
	tests/bench/milter_start.sh
