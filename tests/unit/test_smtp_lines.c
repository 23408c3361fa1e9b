/*
 * test_smtp_lines.c -- unit tests for lib/smtp_lines.c: the body stream
 * is broken exactly as a model of Postfix (smtpd's queue file records,
 * its SMTP client's smtp_text_out()) breaks each line, whatever the
 * chunks (every split of small bodies, random splits of large ones with
 * bare CRs and lines of every length around the limit and the record
 * size), the line of 1,550,336 bytes and its neighbours; header fields
 * by hand.
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

#define OUT_MAX	(1 << 22)

static void
collect(void *arg, const unsigned char *data, size_t len)
{
	assert_int_equal(pw_buf_append(arg, data, len), 0);
}

/*
 * Postfix, modelled from its source: smtpd stores a line in queue file
 * records (smtp_get() with a bound of record bytes on the wire, a
 * stuffed dot included, removed from the first record; a line that fills
 * its last record is followed by an empty one), and the SMTP client's
 * smtp_text_out() sends each record, breaking lines at limit.
 */
struct model {
	size_t	limit;
	size_t	record;
	size_t	space;		/* smtp_text_out()'s space_left */
};

static void
model_out(struct model *m, int cont, const char *d, size_t left,
    struct pw_buf *out)
{
	do {
		if (m->limit > 0 && left >= m->space) {
			pw_buf_append(out, d, m->space);
			pw_buf_append(out, "\r\n", 2);
			d += m->space;
			left -= m->space;
			m->space = m->limit;
			if (left > 0 || cont) {
				pw_buf_append(out, " ", 1);
				m->space--;
			}
		} else {
			pw_buf_append(out, d, left);
			if (!cont) {
				pw_buf_append(out, "\r\n", 2);
				m->space = m->limit;
			} else if (m->limit > 0) {
				m->space -= left;
			}
			break;
		}
	} while (left > 0);
}

/* One line of n bytes (its CRLF not counted). */
static void
model_line(struct model *m, const char *p, size_t n, struct pw_buf *out)
{
	size_t wire = n + (n > 0 && p[0] == '.'), take;
	int first = 1;

	while (m->record > 0 && wire >= m->record) {
		take = m->record - (first && p[0] == '.');
		model_out(m, 1, p, take, out);
		p += take;
		n -= take;
		wire -= m->record;
		first = 0;
	}
	model_out(m, 0, p, n, out);
}

/* The model over a body that ends with CRLF. */
static void
model(const char *body, size_t len, size_t limit, size_t record,
    struct pw_buf *out)
{
	struct model m = { limit, record, limit };
	const char *p = body, *end = body + len, *e;

	while (p < end) {
		e = memmem(p, (size_t)(end - p), "\r\n", 2);
		assert_non_null(e);
		model_line(&m, p, (size_t)(e - p), out);
		p = e + 2;
	}
}

/* The stream over body, cut at the offsets in cuts (ascending). */
static void
stream(const char *body, size_t len, size_t limit, size_t record,
    const size_t *cuts, size_t ncuts, struct pw_buf *out)
{
	struct pw_smtp_lines s;
	size_t at = 0, i;

	pw_smtp_lines_init(&s, limit, record);
	for (i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : len;

		pw_smtp_lines_update(&s, (const unsigned char *)body + at,
		    to - at, collect, out);
		at = to;
	}
	pw_smtp_lines_final(&s, collect, out);
}

static void
check(const char *body, size_t len, size_t limit, size_t record,
    const size_t *cuts, size_t ncuts)
{
	struct pw_buf want, got;

	pw_buf_init(&want, OUT_MAX);
	pw_buf_init(&got, OUT_MAX);
	model(body, len, limit, record, &want);
	stream(body, len, limit, record, cuts, ncuts, &got);
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
	stream(body, strlen(body), 5, 0, NULL, 0, &got);
	assert_string_equal(got.data, "abcde\r\n fghi\r\n j\r\n"
	    "abcde\r\n fghi\r\n jk\r\n\r\nab\rc\r\n");
	pw_buf_free(&got);
	/* A line of exactly the limit is left alone. */
	pw_buf_init(&got, OUT_MAX);
	stream("abcde\r\n", 7, 5, 0, NULL, 0, &got);
	assert_string_equal(got.data, "abcde\r\n");
	pw_buf_free(&got);
	/* No limit, or 1 (which could not hold a byte): as it came. */
	pw_buf_init(&got, OUT_MAX);
	stream(body, strlen(body), 0, 0, NULL, 0, &got);
	assert_string_equal(got.data, body);
	pw_buf_free(&got);
	pw_buf_init(&got, OUT_MAX);
	stream(body, strlen(body), 1, 0, NULL, 0, &got);
	assert_string_equal(got.data, body);
	pw_buf_free(&got);
	/* A CR at the very end is data. */
	pw_buf_init(&got, OUT_MAX);
	stream("abcde\r", 6, 5, 0, NULL, 0, &got);
	assert_string_equal(got.data, "abcde\r\n \r");
	pw_buf_free(&got);
}

/* body whole, and cut once and twice everywhere. */
static void
split(const char *body, size_t len, size_t limit, size_t record)
{
	size_t i, j, cuts[2];

	check(body, len, limit, record, NULL, 0);
	for (i = 0; i <= len; i++) {
		cuts[0] = i;
		check(body, len, limit, record, cuts, 1);
		for (j = i; j <= len; j++) {
			cuts[1] = j;
			check(body, len, limit, record, cuts, 2);
		}
	}
}

/* Every single and double cut of bodies around a small limit and record. */
static void
test_every_split(void **state)
{
	static const char *bodies[] = {
		"0123456789\r\n",
		"01234\r\n56789\r\n",
		"0123\r5678\r\r\n",
		"\r\n\r\n012345\r\n",
		"01234567890123456789012\r\n\r\r\n",
		".123456789\r\n.\r\n..\r\n",
		"\r0123456\r\n\r\r\n",
	};
	static const size_t records[] = { 0, 2, 3, 4, 5, 6, 8, 9, 2048 };
	size_t b, limit, len, r;

	(void)state;
	for (b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++) {
		len = strlen(bodies[b]);
		for (limit = 2; limit <= 7; limit++) {
			for (r = 0; r < sizeof(records) / sizeof(records[0]);
			    r++)
				split(bodies[b], len, limit, records[r]);
		}
	}
}

/*
 * Large random bodies, random cuts: lines of any length and lines around
 * limit and record multiples, for Postfix's defaults and for small
 * limits where breaks and record ends meet often.
 */
static void
test_random(void **state)
{
	static const char alphabet[] = "ab \t\rxyz.";
	static const struct {
		size_t	limit, record;
	} cfg[] = { { 998, 2048 }, { 10, 16 }, { 7, 12 }, { 5, 9 }, { 4, 0 } };
	char *body = malloc(200000);
	size_t cuts[64], ncuts, len, n, i, round, c;

	(void)state;
	assert_non_null(body);
	srand(4242);
	for (round = 0; round < 250; round++) {
		c = round % (sizeof(cfg) / sizeof(cfg[0]));
		len = 0;
		while (len < 150000) {
			n = (size_t)rand() % (3 * cfg[c].limit);
			if (rand() % 4 == 0)	/* around the limit */
				n = cfg[c].limit - 3 + (size_t)rand() % 8;
			else if (rand() % 3 == 0 && cfg[c].record > 0)
				n = cfg[c].record * (1 + (size_t)rand() % 8) -
				    2 + (size_t)rand() % 4;
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
		check(body, len, cfg[c].limit, cfg[c].record, cuts, ncuts);
	}
	free(body);
}

/*
 * Postfix's defaults (998, 2048): a body line of 1,550,336 bytes (757
 * records, 757 * 2048 = 998 + 1554 * 997) ends where a record and an
 * output line both end, so one more line, a space, follows it; not its
 * neighbours.  A line that starts with "." has its records one byte
 * earlier (the stuffed dot is counted): 517 * 2048 - 1 = 998 + 1061 * 997.
 */
static void
test_record_end(void **state)
{
	static const struct {
		size_t	len;
		char	first;
		int	extra;
	} cases[] = {
		{ 1550336, 'x', 1 }, { 1550335, 'x', 0 }, { 1550337, 'x', 0 },
		{ 1550335, '.', 0 }, { 1550336, '.', 0 },
		{ 1058815, '.', 1 }, { 1058815, 'x', 0 }, { 1058816, 'x', 0 },
		{ 8192, 'x', 0 },
	};
	size_t i, n, cut[1];
	char *body = malloc(1550340);
	struct pw_buf got;

	(void)state;
	assert_non_null(body);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = cases[i].len;
		memset(body, 'x', n);
		body[0] = cases[i].first;
		memcpy(body + n, "\r\n", 2);
		pw_buf_init(&got, OUT_MAX);
		/* Cut inside the CRLF: the CR held across calls. */
		cut[0] = n + 1;
		stream(body, n + 2, 998, 2048, cut, 1, &got);
		assert_true(got.len > 5);
		if (cases[i].extra)
			assert_memory_equal(got.data + got.len - 5,
			    "\r\n \r\n", 5);
		else
			assert_memory_not_equal(got.data + got.len - 5,
			    "\r\n \r\n", 5);
		pw_buf_free(&got);
		check(body, n + 2, 998, 2048, NULL, 0);
		check(body, n + 2, 998, 2048, cut, 1);
	}
	/* Without records (dkim_record_length_limit = 0): no extra line. */
	memset(body, 'x', 1550336);
	memcpy(body + 1550336, "\r\n", 2);
	pw_buf_init(&got, OUT_MAX);
	stream(body, 1550338, 998, 0, NULL, 0, &got);
	assert_memory_not_equal(got.data + got.len - 5, "\r\n \r\n", 5);
	pw_buf_free(&got);
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
		cmocka_unit_test(test_record_end),
		cmocka_unit_test(test_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
