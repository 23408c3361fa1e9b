# tests/ -- unit tests (cmocka, TAP output), daemon and end-to-end tests.
#
# Every test speaks TAP; `make check` counts test cases, not programs.

TEST_EXTENSIONS = .sh
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
SH_LOG_DRIVER = $(LOG_DRIVER)
SH_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT = \
	CMOCKA_MESSAGE_OUTPUT=TAP; export CMOCKA_MESSAGE_OUTPUT; \
	PW_SRCDIR='$(abs_top_srcdir)'; export PW_SRCDIR; \
	PW_BUILDDIR='$(abs_top_builddir)'; export PW_BUILDDIR;

PW_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(HIREDIS_CFLAGS)
PW_TEST_LIBS = $(PW_LIB_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_buf
tests_unit_test_buf_SOURCES = tests/unit/test_buf.c
tests_unit_test_buf_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_buf_LDADD = $(PW_TEST_LIBS)

TESTS += $(check_PROGRAMS)
