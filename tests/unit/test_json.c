/*
 * test_json.c -- unit tests for lib/json.c: the UTF-8 decoder (every
 * malformed form), and the JSON string escaper: quotes and backslashes,
 * C0 controls, DEL, C1 controls, well-formed UTF-8 kept, each bad byte
 * as U+FFFD, and the buffer's cap.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

/* in is len bytes (sizeof - 1 of a literal: NULs count). */
#define IN(s)	s, sizeof(s) - 1

static const struct {
	const char	*name;
	const char	*in;
	size_t		 len;
	const char	*out;
} cases[] = {
	{ "empty", IN(""), "\"\"" },
	{ "plain", IN("hello, world"), "\"hello, world\"" },
	{ "quote and backslash", IN("a\"b\\c"), "\"a\\\"b\\\\c\"" },
	{ "slash stays", IN("a/b"), "\"a/b\"" },
	{ "LF, CR, tab", IN("\n\r\t"), "\"\\n\\r\\t\"" },
	{ "backspace, form feed", IN("\b\f"), "\"\\u0008\\u000c\"" },
	{ "NUL", IN("a\0b"), "\"a\\u0000b\"" },
	{ "other C0", IN("\x01\x1b\x1f"), "\"\\u0001\\u001b\\u001f\"" },
	{ "space and tilde stay", IN(" ~"), "\" ~\"" },
	{ "DEL", IN("\x7f"), "\"\\u007f\"" },
	{ "C1: U+0080", IN("\xc2\x80"), "\"\\u0080\"" },
	{ "C1: U+0085 (NEL)", IN("\xc2\x85"), "\"\\u0085\"" },
	{ "C1: U+009F", IN("\xc2\x9f"), "\"\\u009f\"" },
	{ "U+00A0 stays", IN("\xc2\xa0"), "\"\xc2\xa0\"" },
	{ "two bytes", IN("caf\xc3\xa9"), "\"caf\xc3\xa9\"" },
	{ "three bytes", IN("\xe2\x98\x83"), "\"\xe2\x98\x83\"" },
	{ "U+FFFD itself", IN("\xef\xbf\xbd"), "\"\xef\xbf\xbd\"" },
	{ "four bytes", IN("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"" },
	{ "U+10FFFF", IN("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"" },
	{ "stray continuation byte", IN("a\x80z"), "\"a\\ufffdz\"" },
	{ "0xff", IN("\xff"), "\"\\ufffd\"" },
	{ "0xf5", IN("\xf5\x80\x80\x80"),
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
	{ "overlong two bytes", IN("\xc0\xaf"), "\"\\ufffd\\ufffd\"" },
	{ "overlong 0xc1", IN("\xc1\xbf"), "\"\\ufffd\\ufffd\"" },
	{ "overlong three bytes", IN("\xe0\x80\xaf"),
	    "\"\\ufffd\\ufffd\\ufffd\"" },
	{ "overlong four bytes", IN("\xf0\x80\x80\xaf"),
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
	{ "surrogate", IN("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"" },
	{ "past U+10FFFF", IN("\xf4\x90\x80\x80"),
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
	{ "cut short at the end", IN("x\xe2\x98"), "\"x\\ufffd\\ufffd\"" },
	{ "cut short by ASCII", IN("\xe2\x98" "A"), "\"\\ufffd\\ufffdA\"" },
	{ "cut short by a lead byte", IN("\xc3\xc3\xa9"),
	    "\"\\ufffd\xc3\xa9\"" },
	{ "Latin-1", IN("caf\xe9"), "\"caf\\ufffd\"" },
};

static void
test_escape(void **state)
{
	struct pw_buf b;
	size_t i;

	pw_buf_init(&b, 4096);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pw_buf_reset(&b);
		assert_int_equal(pw_json_escape(&b, cases[i].in, cases[i].len),
		    0);
		if (b.len != strlen(cases[i].out) ||
		    strcmp(b.data, cases[i].out) != 0)
			fail_msg("%s: got %s, expected %s", cases[i].name,
			    b.data, cases[i].out);
	}
	pw_buf_free(&b);
}

/* Appends to what is there; at the cap, out is left as it was. */
static void
test_cap(void **state)
{
	struct pw_buf b;
	size_t max;

	/* "x=" then "a\u0001b" quoted: 2 + 10 bytes. */
	for (max = 2; max <= 12; max++) {
		pw_buf_init(&b, max);
		pw_buf_puts(&b, "x=");
		if (max < 12) {
			assert_int_equal(pw_json_escape(&b, "a\x01" "b", 3),
			    -1);
			assert_string_equal(b.data, "x=");
			assert_int_equal(b.len, 2);
		} else {
			assert_int_equal(pw_json_escape(&b, "a\x01" "b", 3),
			    0);
			assert_string_equal(b.data, "x=\"a\\u0001b\"");
		}
		pw_buf_free(&b);
	}
}

static void
test_utf8(void **state)
{
	unsigned cp = 0;

	assert_int_equal(pw_json_utf8("A", 1, &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(pw_json_utf8("\0", 1, &cp), 1);
	assert_int_equal(cp, 0);
	assert_int_equal(pw_json_utf8("\xc2\x85", 2, &cp), 2);
	assert_int_equal(cp, 0x85);
	assert_int_equal(pw_json_utf8("\xdf\xbf", 2, &cp), 2);
	assert_int_equal(cp, 0x7ff);
	assert_int_equal(pw_json_utf8("\xe0\xa0\x80", 3, &cp), 3);
	assert_int_equal(cp, 0x800);
	assert_int_equal(pw_json_utf8("\xed\x9f\xbf", 3, &cp), 3);
	assert_int_equal(cp, 0xd7ff);
	assert_int_equal(pw_json_utf8("\xee\x80\x80", 3, &cp), 3);
	assert_int_equal(cp, 0xe000);
	assert_int_equal(pw_json_utf8("\xf0\x90\x80\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x10000);
	assert_int_equal(pw_json_utf8("\xf4\x8f\xbf\xbf", 4, &cp), 4);
	assert_int_equal(cp, 0x10ffff);

	/* Only len bytes count. */
	assert_int_equal(pw_json_utf8("\xe2\x98\x83", 2, &cp), 0);
	assert_int_equal(pw_json_utf8("\xf0\x9f\x98\x80", 3, &cp), 0);
	/* Malformed. */
	assert_int_equal(pw_json_utf8("\x80", 1, &cp), 0);
	assert_int_equal(pw_json_utf8("\xc0\x80", 2, &cp), 0);
	assert_int_equal(pw_json_utf8("\xe0\x9f\xbf", 3, &cp), 0);
	assert_int_equal(pw_json_utf8("\xed\xa0\x80", 3, &cp), 0);
	assert_int_equal(pw_json_utf8("\xed\xbf\xbf", 3, &cp), 0);
	assert_int_equal(pw_json_utf8("\xf0\x8f\xbf\xbf", 4, &cp), 0);
	assert_int_equal(pw_json_utf8("\xf4\x90\x80\x80", 4, &cp), 0);
	assert_int_equal(pw_json_utf8("\xf8\x88\x80\x80", 4, &cp), 0);
	assert_int_equal(pw_json_utf8("\xc3\x28", 2, &cp), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
