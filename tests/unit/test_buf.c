/*
 * test_buf.c -- unit tests for lib/buf.c: caps, growth, consume.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static void
test_append_within_cap(void **state)
{
	struct pw_buf b;

	pw_buf_init(&b, 10);
	assert_int_equal(pw_buf_append(&b, "hello", 5), 0);
	assert_int_equal(pw_buf_puts(&b, "world"), 0);
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "helloworld");
	pw_buf_free(&b);
}

static void
test_append_past_cap_leaves_buffer_unchanged(void **state)
{
	struct pw_buf b;

	pw_buf_init(&b, 8);
	assert_int_equal(pw_buf_puts(&b, "abcdef"), 0);
	assert_int_equal(pw_buf_puts(&b, "xyz"), -1);
	assert_int_equal(b.len, 6);
	assert_string_equal(b.data, "abcdef");
	assert_int_equal(pw_buf_printf(&b, "%d", 12345), -1);
	assert_string_equal(b.data, "abcdef");
	pw_buf_free(&b);
}

static void
test_growth_keeps_contents(void **state)
{
	struct pw_buf b;
	size_t i;

	pw_buf_init(&b, 100000);
	for (i = 0; i < 10000; i++)
		assert_int_equal(pw_buf_append(&b, "0123456789" + i % 10, 1), 0);
	assert_int_equal(b.len, 10000);
	for (i = 0; i < 10000; i++)
		assert_int_equal(b.data[i], '0' + (int)(i % 10));
	assert_int_equal(b.data[b.len], '\0');
	pw_buf_free(&b);
}

static void
test_printf_and_consume(void **state)
{
	struct pw_buf b;

	pw_buf_init(&b, 1024);
	assert_int_equal(pw_buf_printf(&b, "%s=%d\n", "count", 42), 0);
	assert_string_equal(b.data, "count=42\n");
	pw_buf_consume(&b, 6);
	assert_string_equal(b.data, "42\n");
	pw_buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	pw_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_within_cap),
		cmocka_unit_test(test_append_past_cap_leaves_buffer_unchanged),
		cmocka_unit_test(test_growth_keeps_contents),
		cmocka_unit_test(test_printf_and_consume),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
