/*
 * test_smtp_lines.c -- unit tests for lib/smtp_lines.c: the body stream
 * is broken exactly as a model of Postfix's smtp_text_out() breaks each
 * line, whatever the chunks (every split of small bodies, random splits
 * of large ones with bare CRs and lines of every length around the
 * limit); header fields by hand.
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
#include "smtp_lines.h"

#define OUT_MAX	(1 << 20)

static void
collect(void *arg, const unsigned char *data, size_t len)
{
	assert_int_equal(pw_buf_append(arg, data, len), 0);
}

/* Postfix's loop for one line of n bytes (its CRLF not counted). */
static void
model_line(const char *p, size_t n, size_t limit, struct pw_buf *out)
{
	size_t space = limit;

	for (;;) {
		if (limit > 0 && n >= space) {
			pw_buf_append(out, p, space);
			pw_buf_append(out, "\r\n", 2);
			p += space;
			n -= space;
			space = limit;
			if (n == 0)
				break;
			pw_buf_append(out, " ", 1);
			space--;
		} else {
			pw_buf_append(out, p, n);
			pw_buf_append(out, "\r\n", 2);
			break;
		}
	}
}

/* The model over a body that ends with CRLF. */
static void
model(const char *body, size_t len, size_t limit, struct pw_buf *out)
{
	const char *p = body, *end = body + len, *e;

	while (p < end) {
		e = memmem(p, (size_t)(end - p), "\r\n", 2);
		assert_non_null(e);
		model_line(p, (size_t)(e - p), limit, out);
		p = e + 2;
	}
}

/* The stream over body, cut at the offsets in cuts (ascending). */
static void
stream(const char *body, size_t len, size_t limit, const size_t *cuts,
    size_t ncuts, struct pw_buf *out)
{
	struct pw_smtp_lines s;
	size_t at = 0, i;

	pw_smtp_lines_init(&s, limit);
	for (i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : len;

		pw_smtp_lines_update(&s, (const unsigned char *)body + at,
		    to - at, collect, out);
		at = to;
	}
	pw_smtp_lines_final(&s, collect, out);
}

static void
check(const char *body, size_t len, size_t limit, const size_t *cuts,
    size_t ncuts)
{
	struct pw_buf want, got;

	pw_buf_init(&want, OUT_MAX);
	pw_buf_init(&got, OUT_MAX);
	model(body, len, limit, &want);
	stream(body, len, limit, cuts, ncuts, &got);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.data, want.data, want.len);
	pw_buf_free(&want);
	pw_buf_free(&got);
}

static void
test_by_hand(void **state)
{
	struct pw_buf got;
	const char *body = "abcdefghij\r\nabcdefghijk\r\n\r\nab\rc\r\n";

	(void)state;
	pw_buf_init(&got, OUT_MAX);
	stream(body, strlen(body), 5, NULL, 0, &got);
	assert_string_equal(got.data, "abcde\r\n fghi\r\n j\r\n"
	    "abcde\r\n fghi\r\n jk\r\n\r\nab\rc\r\n");
	pw_buf_free(&got);
	/* A line of exactly the limit is left alone. */
	pw_buf_init(&got, OUT_MAX);
	stream("abcde\r\n", 7, 5, NULL, 0, &got);
	assert_string_equal(got.data, "abcde\r\n");
	pw_buf_free(&got);
	/* No limit, or 1 (which could not hold a byte): as it came. */
	pw_buf_init(&got, OUT_MAX);
	stream(body, strlen(body), 0, NULL, 0, &got);
	assert_string_equal(got.data, body);
	pw_buf_free(&got);
	pw_buf_init(&got, OUT_MAX);
	stream(body, strlen(body), 1, NULL, 0, &got);
	assert_string_equal(got.data, body);
	pw_buf_free(&got);
	/* A CR at the very end is data. */
	pw_buf_init(&got, OUT_MAX);
	stream("abcde\r", 6, 5, NULL, 0, &got);
	assert_string_equal(got.data, "abcde\r\n \r");
	pw_buf_free(&got);
}

/* Every single and double cut of bodies around a small limit. */
static void
test_every_split(void **state)
{
	static const char *bodies[] = {
		"0123456789\r\n",
		"01234\r\n56789\r\n",
		"0123\r5678\r\r\n",
		"\r\n\r\n012345\r\n",
		"01234567890123456789012\r\n\r\r\n",
	};
	size_t b, i, j, limit, len, cuts[2];

	(void)state;
	for (b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++) {
		len = strlen(bodies[b]);
		for (limit = 2; limit <= 7; limit++) {
			check(bodies[b], len, limit, NULL, 0);
			for (i = 0; i <= len; i++) {
				cuts[0] = i;
				check(bodies[b], len, limit, cuts, 1);
				for (j = i; j <= len; j++) {
					cuts[1] = j;
					check(bodies[b], len, limit, cuts, 2);
				}
			}
		}
	}
}

/* Large random bodies: lines of 0..3000 bytes, random cuts, limit 998. */
static void
test_random(void **state)
{
	static const char alphabet[] = "ab \t\rxyz.";
	char *body = malloc(200000);
	size_t cuts[64], ncuts, len, n, i, round;

	(void)state;
	assert_non_null(body);
	srand(4242);
	for (round = 0; round < 200; round++) {
		len = 0;
		while (len < 150000) {
			n = (size_t)rand() % 3000;
			if (rand() % 4 == 0)	/* around the limit */
				n = 995 + (size_t)rand() % 8;
			for (i = 0; i < n; i++)
				body[len++] = alphabet[rand() %
				    (int)(sizeof(alphabet) - 1)];
			body[len++] = '\r';
			body[len++] = '\n';
		}
		ncuts = (size_t)rand() % 64;
		for (i = 0; i < ncuts; i++)
			cuts[i] = (size_t)rand() % (len + 1);
		for (i = 1; i < ncuts; i++) {	/* ascending */
			size_t k = i, t;

			while (k > 0 && cuts[k - 1] > cuts[k]) {
				t = cuts[k];
				cuts[k] = cuts[k - 1];
				cuts[k - 1] = t;
				k--;
			}
		}
		check(body, len, 998, cuts, ncuts);
	}
	free(body);
}

static void
header_is(size_t limit, const char *name, const char *value,
    const char *want)
{
	struct pw_buf out;

	pw_buf_init(&out, OUT_MAX);
	assert_int_equal(pw_smtp_lines_header(limit, strlen(name), value,
	    strlen(value), &out), 0);
	assert_string_equal(out.data, want);
	pw_buf_free(&out);
}

static void
test_header(void **state)
{
	struct pw_buf small;

	(void)state;
	/* "Subj:" takes 5 columns of the first line. */
	header_is(10, "Subj", " abcdefghij", " abcd\n efghij");
	header_is(10, "Subj", " abcdefghijklmnopq", " abcd\n efghijklm\n nopq");
	header_is(10, "Subj", " abcd", " abcd");
	/* Each folded line counts from its start, LF or CRLF. */
	header_is(6, "S", " ab\n\t123456789", " ab\n\t12345\n 6789");
	header_is(6, "S", " ab\r\n\t123456789", " ab\r\n\t12345\n 6789");
	header_is(0, "S", " abcdefghijklmnop", " abcdefghijklmnop");
	/* The cap. */
	pw_buf_init(&small, 4);
	assert_int_equal(pw_smtp_lines_header(3, 1, " abcdef", 7, &small), -1);
	pw_buf_free(&small);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_hand),
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
