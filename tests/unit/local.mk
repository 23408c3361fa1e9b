# tests/unit -- cmocka unit tests of lib/.

PW_UNIT_TESTS = \
	tests/unit/test_buf
check_PROGRAMS += $(PW_UNIT_TESTS)
TESTS += $(PW_UNIT_TESTS)

tests_unit_test_buf_SOURCES = tests/unit/test_buf.c
tests_unit_test_buf_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_buf_LDADD = $(PW_TEST_LIBS)
