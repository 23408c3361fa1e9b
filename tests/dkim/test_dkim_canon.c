/*
 * test_dkim_canon.c -- unit tests for lib/dkim_canon.c: the RFC 6376
 * 3.4.5 example, body and header edge cases in both algorithms, and the
 * streaming property: every way of splitting a body into chunks gives
 * the same canonical bytes (and so the same body hash) as one chunk, and
 * the same as a straightforward whole-buffer implementation written here.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "dkim_canon.h"

static void
collect(void *arg, const unsigned char *data, size_t len)
{
	assert_int_equal(pw_buf_append(arg, data, len), 0);
}

/* Canonicalize body in chunks of the given sizes (0-terminated, cycled). */
static void
canon_split(enum pw_dkim_canon c, const char *body, size_t len,
    const size_t *sizes, struct pw_buf *out)
{
	struct pw_dkim_canon_body cb;
	size_t pos = 0, k = 0, n;

	pw_buf_reset(out);
	pw_dkim_canon_body_init(&cb, c, collect, out);
	while (pos < len) {
		n = sizes != NULL && sizes[k] != 0 ? sizes[k++] : len - pos;
		if (sizes != NULL && sizes[k] == 0)
			k = 0;
		if (n > len - pos)
			n = len - pos;
		pw_dkim_canon_body_update(&cb,
		    (const unsigned char *)body + pos, n);
		pos += n;
	}
	pw_dkim_canon_body_final(&cb);
	assert_int_equal(cb.len, out->len);
}

static void
check_body(enum pw_dkim_canon c, const char *in, size_t inlen,
    const char *want, size_t wantlen)
{
	static const size_t one[] = { 1, 0 };
	struct pw_buf out;

	pw_buf_init(&out, 1 << 24);
	canon_split(c, in, inlen, NULL, &out);
	assert_int_equal(out.len, wantlen);
	assert_memory_equal(out.data, want, wantlen);
	canon_split(c, in, inlen, one, &out);
	assert_int_equal(out.len, wantlen);
	assert_memory_equal(out.data, want, wantlen);
	pw_buf_free(&out);
}

#define BODY(c, in, want) \
	check_body(c, in, sizeof(in) - 1, want, sizeof(want) - 1)
#define S	PW_DKIM_CANON_SIMPLE
#define R	PW_DKIM_CANON_RELAXED

static void
test_rfc6376_example_body(void **state)
{
	/* RFC 6376 3.4.5. */
	BODY(R, " C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n");
	BODY(S, " C \r\nD \t E\r\n\r\n\r\n", " C \r\nD \t E\r\n");
}

static void
check_header(enum pw_dkim_canon c, const char *name, const char *value,
    const char *want)
{
	struct pw_buf out;

	pw_buf_init(&out, 4096);
	assert_int_equal(pw_dkim_canon_header(c, name, strlen(name), value,
	    strlen(value), 1, &out), 0);
	assert_string_equal(out.data, want);
	pw_buf_free(&out);
}

static void
test_rfc6376_example_headers(void **state)
{
	check_header(R, "A", " X", "a:X\r\n");
	check_header(R, "B ", " Y\t\r\n\tZ  ", "b:Y Z\r\n");
	check_header(S, "A", " X", "A: X\r\n");
	check_header(S, "B ", " Y\t\r\n\tZ  ", "B : Y\t\r\n\tZ  \r\n");
}

static void
test_empty_body(void **state)
{
	BODY(S, "", "\r\n");
	BODY(R, "", "");
}

static void
test_only_empty_lines(void **state)
{
	BODY(S, "\r\n\r\n\r\n", "\r\n");
	BODY(R, "\r\n\r\n\r\n", "");
	BODY(R, "  \r\n\t\r\n", "");
	BODY(S, "  \r\n\t\r\n", "  \r\n\t\r\n");
}

static void
test_no_final_crlf(void **state)
{
	BODY(S, "abc", "abc\r\n");
	BODY(R, "abc", "abc\r\n");
	BODY(R, "abc  \t", "abc\r\n");
	BODY(S, "abc  \t", "abc  \t\r\n");
	BODY(S, "a\r\nb", "a\r\nb\r\n");
}

static void
test_trailing_empty_lines(void **state)
{
	BODY(S, "abc\r\n\r\n\r\n", "abc\r\n");
	BODY(R, "abc\r\n\r\n\r\n", "abc\r\n");
	BODY(S, "a\r\n\r\nb\r\n\r\n", "a\r\n\r\nb\r\n");
	BODY(R, "a\r\n\r\nb\r\n\r\n", "a\r\n\r\nb\r\n");
}

static void
test_whitespace_only_lines(void **state)
{
	BODY(R, "a\r\n \t \r\nb\r\n", "a\r\n\r\nb\r\n");
	BODY(R, "a\r\n \t \r\n \r\n", "a\r\n");
	BODY(S, "a\r\n \t \r\n", "a\r\n \t \r\n");
}

static void
test_tabs_and_space_runs(void **state)
{
	BODY(R, "a \t  b\t\r\n", "a b\r\n");
	BODY(R, "\t\tindented\r\n", " indented\r\n");
	BODY(R, "x \t y \t z \r\n", "x y z\r\n");
	BODY(S, "a \t  b\t\r\n", "a \t  b\t\r\n");
}

static void
test_eight_bit(void **state)
{
	BODY(S, "caf\xc3\xa9 \xff\xfe\r\n", "caf\xc3\xa9 \xff\xfe\r\n");
	BODY(R, "caf\xc3\xa9  \xff\xfe \r\n", "caf\xc3\xa9 \xff\xfe\r\n");
	/* A NUL byte is data too. */
	check_body(R, "a\0b\r\n", 5, "a\0b\r\n", 5);
}

static void
test_bare_cr_and_lf(void **state)
{
	BODY(S, "a\rb\r\n", "a\rb\r\n");
	BODY(R, "a\r b\r\n", "a\r b\r\n");
	BODY(S, "a\r", "a\r\r\n");
	BODY(R, "a\r", "a\r\r\n");
	BODY(S, "a\nb\r\n", "a\nb\r\n");
	BODY(S, "a\r\r\n", "a\r\r\n");
	BODY(R, "\r\r\n\r\n", "\r\r\n");
}

static void
test_long_lines(void **state)
{
	size_t n = 100000;
	char *in = malloc(n + 2), *want = malloc(n + 2);

	memset(in, 'x', n);
	memcpy(in + n, "\r\n", 2);
	check_body(S, in, n + 2, in, n + 2);
	/* A long run of white space inside a line is one SP. */
	memset(in, ' ', n);
	in[0] = 'a';
	in[n - 1] = 'b';
	check_body(R, in, n + 2, "a b\r\n", 5);
	memcpy(want, in, n + 2);
	check_body(S, in, n + 2, want, n + 2);
	free(in);
	free(want);
}

static void
test_folded_headers(void **state)
{
	/* libmilter's form: bare LF before the continuation. */
	check_header(R, "Subject", "  hello \n\t world  ",
	    "subject:hello world\r\n");
	check_header(S, "Subject", "  hello \n\t world  ",
	    "Subject:  hello \r\n\t world  \r\n");
	check_header(S, "X", " a\r\n b", "X: a\r\n b\r\n");
	check_header(R, "X-Mixed-CASE", "\tv", "x-mixed-case:v\r\n");
	check_header(R, "X", "", "x:\r\n");
	check_header(R, "X", " \t ", "x:\r\n");
	check_header(R, "X", " caf\xc3\xa9", "x:caf\xc3\xa9\r\n");
}

static void
test_header_without_crlf_and_cap(void **state)
{
	struct pw_buf out;

	pw_buf_init(&out, 10);
	assert_int_equal(pw_dkim_canon_header(R, "A", 1, " b", 2, 0, &out), 0);
	assert_string_equal(out.data, "a:b");
	/* Past the cap: -1 and the buffer as it was. */
	assert_int_equal(pw_dkim_canon_header(S, "Subject", 7, " 0123456789",
	    11, 1, &out), -1);
	assert_string_equal(out.data, "a:b");
	pw_buf_free(&out);
}

static void
test_split(void **state)
{
	const char *v, *why;
	size_t nl, vl;

	assert_int_equal(pw_dkim_canon_split("Subject: hi\r\n", 13, &nl, &v,
	    &vl, &why), 0);
	assert_int_equal(nl, 7);
	assert_int_equal(vl, 3);
	assert_memory_equal(v, " hi", 3);
	assert_int_equal(pw_dkim_canon_split("B : Y\n\tZ\n", 9, &nl, &v,
	    &vl, &why), 0);
	assert_int_equal(nl, 2);
	assert_int_equal(vl, 5);
	assert_int_equal(pw_dkim_canon_split("no colon", 8, &nl, &v, &vl,
	    &why), -1);
	assert_int_equal(pw_dkim_canon_split(": x", 3, &nl, &v, &vl, &why),
	    -1);
	assert_int_equal(pw_dkim_canon_split("a b: x", 6, &nl, &v, &vl, &why),
	    -1);
	assert_int_equal(pw_dkim_canon_split(" a: x", 5, &nl, &v, &vl, &why),
	    -1);
}

static void
test_parse_pair(void **state)
{
	enum pw_dkim_canon h, b;
	const char *why;

	assert_int_equal(pw_dkim_canon_parse_pair("relaxed/simple", &h, &b,
	    &why), 0);
	assert_int_equal(h, R);
	assert_int_equal(b, S);
	assert_int_equal(pw_dkim_canon_parse_pair("relaxed", &h, &b, &why), 0);
	assert_int_equal(b, S);
	assert_int_equal(pw_dkim_canon_parse_pair("relaxed/x", &h, &b, &why),
	    -1);
	assert_int_equal(pw_dkim_canon_parse_pair("", &h, &b, &why), -1);
}

/* --- the streaming property --------------------------------------------- */

/* Whole-buffer reference implementation, written from RFC 6376 directly. */
static void
reference(enum pw_dkim_canon c, const char *in, size_t len,
    struct pw_buf *out)
{
	struct pw_buf line;
	size_t i = 0, start, end, empties = 0, j;
	int any = 0;

	pw_buf_reset(out);
	pw_buf_init(&line, 1 << 24);
	while (i < len) {
		/* One line: up to CRLF (or the end). */
		start = i;
		end = len;
		for (j = i; j + 1 < len; j++)
			if (in[j] == '\r' && in[j + 1] == '\n') {
				end = j;
				break;
			}
		i = end == len ? len : end + 2;
		pw_buf_reset(&line);
		if (c == R) {
			int wsp = 0;

			for (j = start; j < end; j++) {
				if (in[j] == ' ' || in[j] == '\t') {
					wsp = 1;
					continue;
				}
				if (wsp)
					pw_buf_append(&line, " ", 1);
				wsp = 0;
				pw_buf_append(&line, in + j, 1);
			}
		} else
			pw_buf_append(&line, in + start, end - start);
		if (line.len == 0) {
			empties++;
			continue;
		}
		for (; empties > 0; empties--)
			pw_buf_append(out, "\r\n", 2);
		/* The previous line's CRLF is written with it, below. */
		pw_buf_append(out, line.data, line.len);
		pw_buf_append(out, "\r\n", 2);
		any = 1;
		empties = 0;
	}
	if (!any && c == S)
		pw_buf_append(out, "\r\n", 2);
	pw_buf_free(&line);
}

static void
test_every_split_same_output(void **state)
{
	static const char alphabet[] = "ab \t\r\n\r\n\xff";
	struct pw_buf whole, ref, part;
	char body[48];
	size_t sizes[8], len, i, a, b, round;
	int c;

	pw_buf_init(&whole, 1 << 20);
	pw_buf_init(&ref, 1 << 20);
	pw_buf_init(&part, 1 << 20);
	srand(6376);
	for (round = 0; round < 3000; round++) {
		len = (size_t)rand() % sizeof(body);
		for (i = 0; i < len; i++)
			body[i] = alphabet[rand() % (sizeof(alphabet) - 1)];
		for (c = S; c <= R; c++) {
			canon_split(c, body, len, NULL, &whole);
			reference(c, body, len, &ref);
			assert_int_equal(whole.len, ref.len);
			assert_memory_equal(whole.data, ref.data, ref.len);
			/* Every split into two and into three chunks. */
			for (a = 1; a < len; a++) {
				for (b = 0; b + a < len; b++) {
					sizes[0] = a;
					sizes[1] = b == 0 ? len : b;
					sizes[2] = len;
					sizes[3] = 0;
					canon_split(c, body, len, sizes, &part);
					assert_int_equal(part.len, whole.len);
					assert_memory_equal(part.data,
					    whole.data, whole.len);
				}
			}
			/* Random chunk sizes. */
			for (i = 0; i < 7; i++)
				sizes[i] = (size_t)rand() % 5 + 1;
			sizes[7] = 0;
			canon_split(c, body, len, sizes, &part);
			assert_int_equal(part.len, whole.len);
			assert_memory_equal(part.data, whole.data, whole.len);
		}
	}
	pw_buf_free(&whole);
	pw_buf_free(&ref);
	pw_buf_free(&part);
}

/*
 * Lines long enough for the 16-byte scan of already-canonical lines
 * (lib/dkim_canon.c), with a double space, a tab, or a space before the
 * CRLF at every position: each must come out as the reference says.
 */
static void
test_white_space_at_every_position(void **state)
{
	static const char *const marks[] = { "  ", "\t", " \t", "\t " };
	struct pw_buf out, ref;
	char line[80];
	size_t len, pos, m, k;

	pw_buf_init(&out, 1 << 20);
	pw_buf_init(&ref, 1 << 20);
	for (len = 2; len + 2 <= sizeof(line); len++) {
		for (m = 0; m < sizeof(marks) / sizeof(marks[0]); m++) {
			k = strlen(marks[m]);
			for (pos = 0; pos + k <= len; pos++) {
				memset(line, 'a', len);
				memcpy(line + pos, marks[m], k);
				memcpy(line + len, "\r\n", 2);
				canon_split(R, line, len + 2, NULL, &out);
				reference(R, line, len + 2, &ref);
				assert_int_equal(out.len, ref.len);
				assert_memory_equal(out.data, ref.data,
				    ref.len);
			}
		}
	}
	pw_buf_free(&out);
	pw_buf_free(&ref);
}

/*
 * Bodies of many lines, most of them canonical as they stand (the scan
 * of lib/dkim_canon.c that takes a run of such lines at once), some with
 * what ends a run: a double space, a tab, a space before the CRLF, a
 * bare CR or LF, an empty line; in random chunks, against the reference.
 */
static void
test_runs_of_lines(void **state)
{
	static const char *const marks[] = { "  ", "\t", " ", "\r", "\n",
	    "\r\r", "\n\r" };
	struct pw_buf out, ref;
	char body[4096];
	size_t sizes[8], len, n, i, k, round;
	int c;

	pw_buf_init(&out, 1 << 20);
	pw_buf_init(&ref, 1 << 20);
	srand(8463);
	for (round = 0; round < 4000; round++) {
		len = 0;
		while (len + 200 < sizeof(body) && rand() % 40 != 0) {
			n = (size_t)rand() % 90;
			for (i = 0; i < n; i++)
				body[len++] = i % 7 == 3 ? ' ' :
				    (char)('a' + rand() % 26);
			if (rand() % 4 == 0) {
				k = (size_t)rand() %
				    (sizeof(marks) / sizeof(marks[0]));
				i = strlen(marks[k]);
				memcpy(body + len - (n > 0 && rand() % 2 ?
				    (size_t)rand() % n : 0), marks[k], i);
				if (n == 0 || rand() % 2)
					len += i;
			}
			body[len++] = '\r';
			body[len++] = '\n';
		}
		for (c = S; c <= R; c++) {
			reference(c, body, len, &ref);
			for (i = 0; i < 7; i++)
				sizes[i] = rand() % 3 == 0 ? len :
				    (size_t)rand() % 300 + 1;
			sizes[7] = 0;
			canon_split(c, body, len, round % 2 ? sizes : NULL,
			    &out);
			assert_int_equal(out.len, ref.len);
			assert_memory_equal(out.data, ref.data, ref.len);
		}
	}
	pw_buf_free(&out);
	pw_buf_free(&ref);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6376_example_body),
		cmocka_unit_test(test_rfc6376_example_headers),
		cmocka_unit_test(test_empty_body),
		cmocka_unit_test(test_only_empty_lines),
		cmocka_unit_test(test_no_final_crlf),
		cmocka_unit_test(test_trailing_empty_lines),
		cmocka_unit_test(test_whitespace_only_lines),
		cmocka_unit_test(test_tabs_and_space_runs),
		cmocka_unit_test(test_eight_bit),
		cmocka_unit_test(test_bare_cr_and_lf),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_folded_headers),
		cmocka_unit_test(test_header_without_crlf_and_cap),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_parse_pair),
		cmocka_unit_test(test_every_split_same_output),
		cmocka_unit_test(test_white_space_at_every_position),
		cmocka_unit_test(test_runs_of_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
