/*
 * test_milter_control.c -- unit tests for milter/milter_control.c: each
 * control header valid and malformed, folding and case, every limit at
 * and one past its bound, the client's tracking and route headers, the
 * exact error texts (the first one kept), the removal list, streams of
 * a tenant, the Feedback-ID and the event renderings (JSON escaping).
 *
 * Most cases are a table: header fields with the answer each must get,
 * then the first error and the stream, tags, metadata and tracking the
 * message ends up with.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "milter_control.h"

#define NHDRS	4

struct hdr {
	const char	*name, *value;
	int		 ret;
};

struct ctl_case {
	const char	*what;
	struct hdr	 h[NHDRS];
	const char	*err;		/* the first error, "" for none */
	const char	*stream;
	const char	*tags;		/* as milter_control_tags_str */
	const char	*meta;		/* as milter_control_metadata_json */
	int		 tracking;
};

static const struct milter_control_limits deflim = {
	10, 10, MILTER_CONTROL_TOTAL_MAX, "X-Postwarden-ID",
	"X-Postwarden-Route",
};

#define NOT_STREAM	\
	": not a stream name (1 to 32 of a-z, 0-9, \"-\", \"_\")"
#define NOT_TAG		\
	": not a tag (1 to 64 of A-Z, a-z, 0-9, \".\", \"-\", \"_\")"
#define NOT_KEY		\
	": not a metadata key (1 to 40 of A-Z, a-z, 0-9, \"-\", \"_\")"
#define S32		"abcdefghijklmnopqrstuvwxyz012345"
#define T64		\
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._"
#define K40		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij-_01"

static const struct ctl_case cases[] = {
	{ "other fields are left alone",
	    { { "Subject", "X-Postwarden-Stream: bulk", 0 },
	      { "X-Postwarden", "bulk", 0 },
	      { "X-Postwardens-Stream", "bulk", 0 },
	      { "List-Unsubscribe", "<mailto:u@example.com>", 0 } },
	    "", "", "", "{}", 1 },

	/* X-Postwarden-Stream */
	{ "stream",
	    { { "X-Postwarden-Stream", " transactional", 1 } },
	    "", "transactional", "", "{}", 1 },
	{ "stream: any case, lowered, white space and folding",
	    { { "x-POSTWARDEN-stream", "\t\n Bulk_2-X \r\n\t", 1 } },
	    "", "bulk_2-x", "", "{}", 1 },
	{ "stream: 32 characters",
	    { { "X-Postwarden-Stream", S32, 1 } },
	    "", S32, "", "{}", 1 },
	{ "stream: 33 characters",
	    { { "X-Postwarden-Stream", S32 "6", -1 } },
	    "X-Postwarden-Stream: \"" S32 "6\"" NOT_STREAM, "", "", "{}", 1 },
	{ "stream: a space inside",
	    { { "X-Postwarden-Stream", "bulk mail", -1 } },
	    "X-Postwarden-Stream: \"bulk mail\"" NOT_STREAM, "", "", "{}", 1 },
	{ "stream: folded inside keeps the tab",
	    { { "X-Postwarden-Stream", "bu\n\tlk", -1 } },
	    "X-Postwarden-Stream: \"bu\\x09lk\"" NOT_STREAM, "", "", "{}", 1 },
	{ "stream: a bare line feed is no folding",
	    { { "X-Postwarden-Stream", "bu\nlk", -1 } },
	    "X-Postwarden-Stream: \"bu\\x0alk\"" NOT_STREAM, "", "", "{}", 1 },
	{ "stream: empty",
	    { { "X-Postwarden-Stream", " \r\n ", -1 } },
	    "X-Postwarden-Stream: empty", "", "", "{}", 1 },
	{ "stream: given twice, the first stays",
	    { { "X-Postwarden-Stream", "bulk", 1 },
	      { "X-POSTWARDEN-STREAM", "bulk", -1 } },
	    "X-Postwarden-Stream: given twice", "bulk", "", "{}", 1 },
	{ "stream: a malformed one counts as given",
	    { { "X-Postwarden-Stream", "b!", -1 },
	      { "X-Postwarden-Stream", "bulk", -1 } },
	    "X-Postwarden-Stream: \"b!\"" NOT_STREAM, "", "", "{}", 1 },
	{ "stream: client text is escaped, '%' too",
	    { { "X-Postwarden-Stream", "50%\"\\\x01\xc3\xa9", -1 } },
	    "X-Postwarden-Stream: \"50\\x25\\x22\\x5c\\x01\\xc3\\xa9\""
	    NOT_STREAM, "", "", "{}", 1 },
	{ "stream: a long value is echoed cut",
	    { { "X-Postwarden-Stream", S32 S32, -1 } },
	    "X-Postwarden-Stream: \"" S32 "abcdefgh...\"" NOT_STREAM, "", "",
	    "{}", 1 },

	/* X-Postwarden-Tags */
	{ "tags",
	    { { "X-Postwarden-Tags", " welcome, Onboarding.v2 ,a_b-c", 1 } },
	    "", "", "welcome,Onboarding.v2,a_b-c", "{}", 1 },
	{ "tags: duplicates collapse, case counts",
	    { { "x-postwarden-tags", "a,b,a,A", 1 } },
	    "", "", "a,b,A", "{}", 1 },
	{ "tags: several fields accumulate",
	    { { "X-Postwarden-Tags", "a,b", 1 },
	      { "X-Postwarden-Tags", "b,\n\tc", 1 } },
	    "", "", "a,b,c", "{}", 1 },
	{ "tags: 64 characters",
	    { { "X-Postwarden-Tags", T64, 1 } },
	    "", "", T64, "{}", 1 },
	{ "tags: 65 characters",
	    { { "X-Postwarden-Tags", "x" T64, -1 } },
	    "X-Postwarden-Tags: \"xABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm...\""
	    NOT_TAG, "", "", "{}", 1 },
	{ "tags: a bad one drops the whole field",
	    { { "X-Postwarden-Tags", "a", 1 },
	      { "X-Postwarden-Tags", "b, c d, e", -1 } },
	    "X-Postwarden-Tags: \"c d\"" NOT_TAG, "", "a", "{}", 1 },
	{ "tags: a colon is no tag character",
	    { { "X-Postwarden-Tags", "a:b", -1 } },
	    "X-Postwarden-Tags: \"a:b\"" NOT_TAG, "", "", "{}", 1 },
	{ "tags: empty field",
	    { { "X-Postwarden-Tags", "  ", -1 } },
	    "X-Postwarden-Tags: empty", "", "", "{}", 1 },
	{ "tags: empty element",
	    { { "X-Postwarden-Tags", "a,,b", -1 } },
	    "X-Postwarden-Tags: an empty tag", "", "", "{}", 1 },
	{ "tags: trailing comma",
	    { { "X-Postwarden-Tags", "a, b, ", -1 } },
	    "X-Postwarden-Tags: an empty tag", "", "", "{}", 1 },
	{ "tags: 10",
	    { { "X-Postwarden-Tags", "t1,t2,t3,t4,t5,t6,t7,t8,t9,t10", 1 } },
	    "", "", "t1,t2,t3,t4,t5,t6,t7,t8,t9,t10", "{}", 1 },
	{ "tags: 10 distinct of 12",
	    { { "X-Postwarden-Tags", "t1,t2,t3,t4,t5,t1,t6,t7,t8,t9,t10,t2",
	      1 } },
	    "", "", "t1,t2,t3,t4,t5,t6,t7,t8,t9,t10", "{}", 1 },
	{ "tags: 11",
	    { { "X-Postwarden-Tags", "t1,t2,t3,t4,t5,t6,t7,t8,t9,t10,t11",
	      -1 } },
	    "X-Postwarden-Tags: 11 tags; at most 10 (milter_max_tags)", "", "",
	    "{}", 1 },
	{ "tags: 11 over two fields",
	    { { "X-Postwarden-Tags", "t1,t2,t3,t4,t5,t6", 1 },
	      { "X-Postwarden-Tags", "t6,t7,t8,t9,t10,t11", -1 },
	      { "X-Postwarden-Tags", "t7,t8,t9,t10", 1 } },
	    "X-Postwarden-Tags: 11 tags; at most 10 (milter_max_tags)", "",
	    "t1,t2,t3,t4,t5,t6,t7,t8,t9,t10", "{}", 1 },
	{ "tags: the count is of distinct tags",
	    { { "X-Postwarden-Tags", "a,b,c,d,e,f,g,h,i,j,k,a,k,l,l,b", -1 } },
	    "X-Postwarden-Tags: 12 tags; at most 10 (milter_max_tags)", "", "",
	    "{}", 1 },

	/* X-Postwarden-Metadata-<key> */
	{ "metadata",
	    { { "X-Postwarden-Metadata-Order", " 42 ", 1 },
	      { "x-postwarden-metadata-user_id", "u-7\r\n\tx", 1 },
	      { "X-Postwarden-Metadata-Note", "caf\xc3\xa9 \"\\", 1 },
	      { "X-Postwarden-Metadata-Empty", "", 1 } },
	    "", "", "",
	    "{\"Order\":\"42\",\"user_id\":\"u-7\\tx\","
	    "\"Note\":\"caf\xc3\xa9 \\\"\\\\\",\"Empty\":\"\"}", 1 },
	{ "metadata: key of 40",
	    { { "X-Postwarden-Metadata-" K40, "v", 1 } },
	    "", "", "", "{\"" K40 "\":\"v\"}", 1 },
	{ "metadata: key of 41",
	    { { "X-Postwarden-Metadata-" K40 "x", "v", -1 } },
	    "X-Postwarden-Metadata-" K40 "..." NOT_KEY, "", "", "{}", 1 },
	{ "metadata: no key",
	    { { "X-Postwarden-Metadata-", "v", -1 } },
	    "X-Postwarden-Metadata-" NOT_KEY, "", "", "{}", 1 },
	{ "metadata: a dot in the key",
	    { { "X-Postwarden-Metadata-a.b", "v", -1 } },
	    "X-Postwarden-Metadata-a.b" NOT_KEY, "", "", "{}", 1 },
	{ "metadata: given twice, in another case",
	    { { "X-Postwarden-Metadata-Order", "1", 1 },
	      { "X-Postwarden-Metadata-ORDER", "2", -1 } },
	    "X-Postwarden-Metadata-ORDER: given twice", "", "",
	    "{\"Order\":\"1\"}", 1 },
	{ "metadata: a bare line feed",
	    { { "X-Postwarden-Metadata-k", "a\nb", -1 } },
	    "X-Postwarden-Metadata-k: a control character in the value", "",
	    "", "{}", 1 },
	{ "metadata: DEL",
	    { { "X-Postwarden-Metadata-k", "a\x7f", -1 } },
	    "X-Postwarden-Metadata-k: a control character in the value", "",
	    "", "{}", 1 },
	{ "metadata: C1 control",
	    { { "X-Postwarden-Metadata-k", "a\xc2\x85", -1 } },
	    "X-Postwarden-Metadata-k: a control character in the value", "",
	    "", "{}", 1 },
	{ "metadata: not UTF-8",
	    { { "X-Postwarden-Metadata-k", "caf\xe9", -1 },
	      { "X-Postwarden-Metadata-l", "\xc0\xaf", -1 },
	      { "X-Postwarden-Metadata-m", "\xed\xa0\x80", -1 },
	      { "X-Postwarden-Metadata-n", "\xe2\x98", -1 } },
	    "X-Postwarden-Metadata-k: the value is not UTF-8", "", "", "{}",
	    1 },
	{ "metadata: four-byte UTF-8 and a tab",
	    { { "X-Postwarden-Metadata-k", "\xf0\x9f\x98\x80\tx", 1 } },
	    "", "", "", "{\"k\":\"\xf0\x9f\x98\x80\\tx\"}", 1 },

	/* X-Postwarden-Tracking */
	{ "tracking: off",
	    { { "X-Postwarden-Tracking", " OFF", 1 } },
	    "", "", "", "{}", 0 },
	{ "tracking: no",
	    { { "x-postwarden-tracking", "no", 1 } },
	    "", "", "", "{}", 0 },
	{ "tracking: yes",
	    { { "X-Postwarden-Tracking", "Yes", 1 } },
	    "", "", "", "{}", 1 },
	{ "tracking: on",
	    { { "X-Postwarden-Tracking", "on\r\n", 1 } },
	    "", "", "", "{}", 1 },
	{ "tracking: something else",
	    { { "X-Postwarden-Tracking", "maybe", -1 } },
	    "X-Postwarden-Tracking: \"maybe\": expected on, off, yes or no", "",
	    "", "{}", 1 },
	{ "tracking: given twice",
	    { { "X-Postwarden-Tracking", "off", 1 },
	      { "X-Postwarden-Tracking", "on", -1 } },
	    "X-Postwarden-Tracking: given twice", "", "", "{}", 0 },

	/* the milter's own headers, and unknown ones */
	{ "the client's tracking and route headers",
	    { { "x-postwarden-id", "forged", 2 },
	      { "X-Postwarden-Route", "pool_evil", 2 } },
	    "", "", "", "{}", 1 },
	{ "unknown control headers",
	    { { "X-Postwarden-Priority", "high", -1 },
	      { "X-Postwarden-Metadata", "x", -1 },
	      { "X-Postwarden-", "x", -1 } },
	    "X-Postwarden-Priority: unknown control header", "", "", "{}", 1 },
	{ "unknown: the name is escaped",
	    { { "X-Postwarden-%s\"", "x", -1 } },
	    "X-Postwarden-\\x25s\\x22: unknown control header", "", "", "{}",
	    1 },
	{ "the first error is kept, the rest still parsed",
	    { { "X-Postwarden-Tags", "a b", -1 },
	      { "X-Postwarden-Stream", "bulk", 1 },
	      { "X-Postwarden-Bogus", "x", -1 },
	      { "X-Postwarden-Tags", "c", 1 } },
	    "X-Postwarden-Tags: \"a b\"" NOT_TAG, "bulk", "c", "{}", 1 },
};

/* Feed a case's fields to c; the answers must be as listed. */
static void
feed(struct milter_control *c, const struct milter_control_limits *lim,
    const struct ctl_case *t)
{
	char err[MILTER_CONTROL_ERR_SIZE];
	size_t i;
	int ret;

	for (i = 0; i < NHDRS && t->h[i].name != NULL; i++) {
		strcpy(err, "junk");
		ret = milter_control_header(c, lim, t->h[i].name,
		    t->h[i].value, err, sizeof(err));
		if (ret != t->h[i].ret)
			fail_msg("%s: field %zu: got %d (%s), want %d", t->what,
			    i, ret, err, t->h[i].ret);
		if ((ret == -1) != (err[0] != '\0'))
			fail_msg("%s: field %zu: err \"%s\" with %d", t->what,
			    i, err, ret);
	}
}

static void
check_result(struct milter_control *c, const struct ctl_case *t)
{
	struct pw_buf b;

	if (strcmp(c->err, t->err) != 0)
		fail_msg("%s: error\n got  \"%s\"\n want \"%s\"", t->what,
		    c->err, t->err);
	if (strcmp(c->stream, t->stream) != 0)
		fail_msg("%s: stream \"%s\"", t->what, c->stream);
	pw_buf_init(&b, 65536);
	assert_int_equal(milter_control_tags_str(c, &b), 0);
	if (strcmp(b.data, t->tags) != 0)
		fail_msg("%s: tags \"%s\"", t->what, b.data);
	pw_buf_reset(&b);
	assert_int_equal(milter_control_metadata_json(c, &b), 0);
	if (strcmp(b.data, t->meta) != 0)
		fail_msg("%s: metadata %s", t->what, b.data);
	pw_buf_free(&b);
	if ((int)c->tracking != t->tracking)
		fail_msg("%s: tracking %d", t->what, c->tracking);
}

static void
test_cases(void **state)
{
	struct milter_control c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		milter_control_init(&c);
		feed(&c, &deflim, &cases[i]);
		check_result(&c, &cases[i]);
		milter_control_free(&c);
	}
}

/* The nth field of metadata, key k<n>, value v. */
static int
add_meta(struct milter_control *c, const struct milter_control_limits *lim,
    int n, const char *v, char *err, size_t errsize)
{
	char name[64];

	snprintf(name, sizeof(name), "X-Postwarden-Metadata-k%d", n);
	return milter_control_header(c, lim, name, v, err, errsize);
}

static void
test_metadata_limits(void **state)
{
	struct milter_control c;
	char err[MILTER_CONTROL_ERR_SIZE], v[300];
	int i;

	milter_control_init(&c);
	for (i = 0; i < 10; i++)
		assert_int_equal(add_meta(&c, &deflim, i, "x", err,
		    sizeof(err)), 1);
	assert_int_equal(add_meta(&c, &deflim, 10, "x", err, sizeof(err)),
	    -1);
	assert_string_equal(err, "X-Postwarden-Metadata-k10: 11 entries; "
	    "at most 10 (milter_max_metadata)");
	assert_int_equal(c.nmeta, 10);
	milter_control_free(&c);

	/* A value of 256 bytes after unfolding; 257 is one too many. */
	milter_control_init(&c);
	memset(v, 'a', 200);
	memcpy(v + 200, "\r\n\t", 3);
	memset(v + 203, 'b', 55);
	v[258] = '\0';
	assert_int_equal(add_meta(&c, &deflim, 1, v, err, sizeof(err)), 1);
	assert_int_equal(strlen(c.meta[0].value), 256);
	v[258] = 'c';
	v[259] = '\0';
	assert_int_equal(add_meta(&c, &deflim, 2, v, err, sizeof(err)), -1);
	assert_string_equal(err, "X-Postwarden-Metadata-k2: a value of 257 "
	    "bytes; at most 256");
	milter_control_free(&c);
}

static void
test_zero_limits(void **state)
{
	struct milter_control_limits lim = deflim;
	struct milter_control c;
	char err[MILTER_CONTROL_ERR_SIZE];

	lim.max_tags = 0;
	lim.max_metadata = 0;
	milter_control_init(&c);
	assert_int_equal(milter_control_header(&c, &lim, "X-Postwarden-Tags",
	    "a", err, sizeof(err)), -1);
	assert_string_equal(err,
	    "X-Postwarden-Tags: 1 tag; at most 0 (milter_max_tags)");
	assert_int_equal(add_meta(&c, &lim, 0, "x", err, sizeof(err)), -1);
	assert_string_equal(err, "X-Postwarden-Metadata-k0: 1 entry; at most 0 "
	    "(milter_max_metadata)");
	assert_int_equal(c.nerrors, 2);
	assert_int_equal(c.nfields, 2);
	milter_control_free(&c);
}

static void
test_total_limit(void **state)
{
	struct milter_control_limits lim = deflim;
	struct milter_control c;
	char err[MILTER_CONTROL_ERR_SIZE];

	/* stream 4 + tags 3 + key 1 + value 2 = 10, exactly the bound. */
	lim.max_total = 10;
	milter_control_init(&c);
	assert_int_equal(milter_control_header(&c, &lim, "X-Postwarden-Stream",
	    "bulk", err, sizeof(err)), 1);
	assert_int_equal(milter_control_header(&c, &lim, "X-Postwarden-Tags",
	    "a,bc,a", err, sizeof(err)), 1);
	assert_int_equal(milter_control_header(&c, &lim,
	    "X-Postwarden-Metadata-k", "vv", err, sizeof(err)), 1);
	assert_int_equal(c.total, 10);
	/* A repeated tag adds nothing; a new one is one byte too many. */
	assert_int_equal(milter_control_header(&c, &lim, "X-Postwarden-Tags",
	    "bc", err, sizeof(err)), 1);
	assert_int_equal(milter_control_header(&c, &lim, "X-Postwarden-Tags",
	    "d", err, sizeof(err)), -1);
	assert_string_equal(err,
	    "X-Postwarden-Tags: control data over 10 bytes");
	assert_int_equal(milter_control_header(&c, &lim,
	    "X-Postwarden-Metadata-l", "", err, sizeof(err)), -1);
	assert_string_equal(err,
	    "X-Postwarden-Metadata-l: control data over 10 bytes");
	assert_int_equal(c.total, 10);
	milter_control_free(&c);

	lim.max_total = 3;
	milter_control_init(&c);
	assert_int_equal(milter_control_header(&c, &lim, "X-Postwarden-Stream",
	    "bulk", err, sizeof(err)), -1);
	assert_string_equal(err,
	    "X-Postwarden-Stream: control data over 3 bytes");
	assert_string_equal(c.stream, "");
	milter_control_free(&c);
}

/* Every error text is printable ASCII, without '%', within bounds. */
static void
test_error_text_bounds(void **state)
{
	struct milter_control c;
	char err[MILTER_CONTROL_ERR_SIZE], small[16], name[600], v[600];
	size_t i;

	memcpy(name, "X-Postwarden-Metadata-", 22);
	for (i = 22; i < sizeof(name) - 1; i++)
		name[i] = (char)(0x80 + (i - 22) % 0x80);
	name[i] = '\0';
	memset(v, '%', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	milter_control_init(&c);
	assert_int_equal(milter_control_header(&c, &deflim, name, v, err,
	    sizeof(err)), -1);
	assert_true(strlen(err) < MILTER_CONTROL_ERR_SIZE);
	assert_true(strlen(err) <= 200);
	for (i = 0; err[i] != '\0'; i++)
		if (err[i] < 0x20 || err[i] > 0x7e || err[i] == '%')
			fail_msg("byte %zu of \"%s\"", i, err);
	assert_string_equal(err, "X-Postwarden-Metadata-\\x80\\x81\\x82\\x83"
	    "\\x84\\x85\\x86\\x87\\x88\\x89...: not a metadata key (1 to 40 "
	    "of A-Z, a-z, 0-9, \"-\", \"_\")");
	assert_int_equal(milter_control_header(&c, &deflim,
	    "X-Postwarden-Tracking", v, small, sizeof(small)), -1);
	assert_string_equal(small, "X-Postwarden-Tr");
	assert_int_equal(milter_control_header(&c, &deflim,
	    "X-Postwarden-Tracking", "on", NULL, 0), -1);
	/* c->err keeps the first, whole. */
	assert_int_equal(strncmp(c.err, "X-Postwarden-Metadata-\\x80", 26), 0);
	assert_int_equal(c.nerrors, 3);
	milter_control_free(&c);
}

static void
test_removals(void **state)
{
	static const char *fields[] = { "X-Postwarden-Tags", "Subject",
	    "x-postwarden-tags", "X-Postwarden-ID", "X-Postwarden-Foo",
	    "X-POSTWARDEN-TAGS", "x-postwarden-id", "X-Postwarden-Route" };
	static const struct milter_control_removal want[] = {
		{ "X-Postwarden-Tags", 1 }, { "X-Postwarden-Tags", 2 },
		{ "X-Postwarden-ID", 1 }, { "X-Postwarden-Foo", 1 },
		{ "X-Postwarden-Tags", 3 }, { "X-Postwarden-ID", 2 },
		{ "X-Postwarden-Route", 1 },
	};
	struct milter_control c;
	char name[64], err[MILTER_CONTROL_ERR_SIZE];
	size_t i;

	milter_control_init(&c);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		(void)milter_control_header(&c, &deflim, fields[i], "a", NULL,
		    0);
	assert_int_equal(c.nremove, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < c.nremove; i++) {
		assert_string_equal(c.remove[i].name, want[i].name);
		assert_int_equal(c.remove[i].index, want[i].index);
	}
	assert_int_equal(c.nfields, 4);
	assert_int_equal(c.nerrors, 1);

	assert_false(milter_control_too_many(&c, err, sizeof(err)));

	/* Up to the cap, distinct names, then each once more. */
	for (i = 0; c.nremove < MILTER_CONTROL_REMOVE_MAX; i++) {
		snprintf(name, sizeof(name), "X-Postwarden-U%zu", i % 40);
		assert_int_equal(milter_control_header(&c, &deflim, name, "",
		    NULL, 0), -1);
		assert_int_equal(c.remove[c.nremove - 1].index, 1 + i / 40);
	}
	assert_false(milter_control_too_many(&c, err, sizeof(err)));
	/* Past it, fields are counted (not parsed: no error), not kept. */
	for (i = 0; i < 30000; i++)
		assert_int_equal(milter_control_header(&c, &deflim,
		    i % 2 ? "X-Postwarden-ID" : "X-Postwarden-Bad", "",
		    NULL, 0), i % 2 ? 2 : 1);
	milter_control_remove_field(&c, "Feedback-ID");
	assert_int_equal(c.nremove, MILTER_CONTROL_REMOVE_MAX);
	assert_int_equal(c.nremove_all, MILTER_CONTROL_REMOVE_MAX + 30001);
	assert_int_equal(c.nerrors, 1 + MILTER_CONTROL_REMOVE_MAX - 7);
	assert_true(milter_control_too_many(&c, err, sizeof(err)));
	assert_string_equal(err, "30101 control, tracking and route header "
	    "fields; at most 100");
	milter_control_free(&c);
	assert_int_equal(c.nremove, 0);
	assert_null(c.remove);
	/* Freeing twice is harmless. */
	milter_control_free(&c);
}

/* Renamed tracking and route headers: the default names are still ours. */
static void
test_renamed_headers(void **state)
{
	struct milter_control_limits lim = deflim;
	struct milter_control c;
	char err[MILTER_CONTROL_ERR_SIZE];

	lim.tracking_header = "X-Mail-ID";
	lim.route_header = "X-Egress";
	milter_control_init(&c);
	assert_int_equal(milter_control_header(&c, &lim, "X-Mail-ID", "a",
	    err, sizeof(err)), 2);
	assert_int_equal(milter_control_header(&c, &lim, "X-Egress", "a",
	    err, sizeof(err)), 2);
	assert_int_equal(milter_control_header(&c, &lim, "x-postwarden-id",
	    "made-up", err, sizeof(err)), 2);
	assert_int_equal(milter_control_header(&c, &lim, "X-Postwarden-Route",
	    "b", err, sizeof(err)), 2);
	assert_int_equal(c.nremove, 4);
	assert_int_equal(c.nerrors, 0);
	assert_int_equal(c.nfields, 0);
	milter_control_free(&c);
}

static void
test_check_stream(void **state)
{
	struct milter_control c;
	char err[MILTER_CONTROL_ERR_SIZE], list[400];
	size_t i;

	milter_control_init(&c);
	assert_int_equal(milter_control_check_stream(&c, "bulk", err,
	    sizeof(err)), 0);
	assert_string_equal(err, "");
	(void)milter_control_header(&c, &deflim, "X-Postwarden-Stream", "Bulk",
	    NULL, 0);
	assert_int_equal(milter_control_check_stream(&c,
	    "transactional, bulk", err, sizeof(err)), 0);
	assert_int_equal(milter_control_check_stream(&c, "BULK,x", err,
	    sizeof(err)), 0);
	assert_int_equal(milter_control_check_stream(&c, " bulky ,bul", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "X-Postwarden-Stream: unknown stream "
	    "\"bulk\" (the tenant's: bulky, bul)");
	assert_string_equal(c.err, err);
	assert_string_equal(c.stream, "");
	assert_int_equal(c.total, 0);
	milter_control_free(&c);

	milter_control_init(&c);
	(void)milter_control_header(&c, &deflim, "X-Postwarden-Bad", "",
	    NULL, 0);
	(void)milter_control_header(&c, &deflim, "X-Postwarden-Stream", "bulk",
	    NULL, 0);
	assert_int_equal(milter_control_check_stream(&c, "", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "X-Postwarden-Stream: unknown stream "
	    "\"bulk\" (the tenant's: none)");
	assert_string_equal(c.err, "X-Postwarden-Bad: unknown control header");
	milter_control_free(&c);

	milter_control_init(&c);
	(void)milter_control_header(&c, &deflim, "X-Postwarden-Stream", "bulk",
	    NULL, 0);
	assert_int_equal(milter_control_check_stream(&c, NULL, err,
	    sizeof(err)), -1);
	list[0] = '\0';
	for (i = 0; i < 20; i++)
		strcat(list, "stream-number-x ");
	assert_int_equal(milter_control_check_stream(&c, list, err,
	    sizeof(err)), 0);	/* dropped by the first failure */
	milter_control_free(&c);

	milter_control_init(&c);
	(void)milter_control_header(&c, &deflim, "X-Postwarden-Stream", "bulk",
	    NULL, 0);
	assert_int_equal(milter_control_check_stream(&c, list, err,
	    sizeof(err)), -1);
	assert_true(strlen(err) <= 200);
	assert_string_equal(err + strlen(err) - 4, "...)");
	milter_control_free(&c);
}

static const struct {
	const char	*tags;		/* X-Postwarden-Tags, or NULL */
	const char	*tenant, *stream, *sender;
	int		 ret;
	const char	*want;
} fbl_cases[] = {
	{ "welcome,v2", "acme", "bulk", "postwarden", 0,
	    "welcome.v2:bulk:acme:postwarden" },
	{ NULL, "acme", "bulk", "postwarden", 0, "bulk:acme:postwarden" },
	{ NULL, "acme", "", "postwarden", 0, "acme:postwarden" },
	{ NULL, "acme", NULL, "pw", 0, "acme:pw" },
	{ NULL, "", "", "pw", 0, "pw" },
	{ NULL, NULL, NULL, "pw", 0, "pw" },
	{ "a", "acme", "", "pw", 0, "a::acme:pw" },
	{ "a", "", "", "pw", 0, "a:::pw" },
	{ "a", "ac:me/\xc3\xa9 x", "bu:lk", "p:w", 0,
	    "a:bu-lk:ac-me----x:p-w" },
	{ "a", "acme", "bulk", "", -1, "" },
	{ "a", "acme", "bulk", NULL, -1, "" },
};

static void
test_feedback_id(void **state)
{
	struct milter_control c;
	char out[MILTER_CONTROL_FEEDBACK_ID_MAX + 1];
	size_t i;
	int ret;

	for (i = 0; i < sizeof(fbl_cases) / sizeof(fbl_cases[0]); i++) {
		milter_control_init(&c);
		if (fbl_cases[i].tags != NULL)
			assert_int_equal(milter_control_header(&c, &deflim,
			    "X-Postwarden-Tags", fbl_cases[i].tags, NULL, 0),
			    1);
		strcpy(out, "junk");
		ret = milter_control_feedback_id(&c, fbl_cases[i].tenant,
		    fbl_cases[i].stream, fbl_cases[i].sender, out,
		    sizeof(out));
		if (ret != fbl_cases[i].ret || strcmp(out, fbl_cases[i].want))
			fail_msg("case %zu: %d \"%s\"", i, ret, out);
		milter_control_free(&c);
	}
	/* No control at all. */
	assert_int_equal(milter_control_feedback_id(NULL, "acme", "bulk", "pw",
	    out, sizeof(out)), 0);
	assert_string_equal(out, "bulk:acme:pw");
	/* Too small: nothing, rather than a cut field. */
	assert_int_equal(milter_control_feedback_id(NULL, "acme", "bulk", "pw",
	    out, 12), -1);
	assert_string_equal(out, "");
	assert_int_equal(milter_control_feedback_id(NULL, "acme", "bulk", "pw",
	    out, 13), 0);
	assert_string_equal(out, "bulk:acme:pw");
	assert_int_equal(milter_control_feedback_id(NULL, "acme", "bulk", "pw",
	    out, 0), -1);
}

static void
test_feedback_id_long(void **state)
{
	struct milter_control c;
	char out[512], tags[800], big[150];
	size_t i;

	/* Ten tags of 64: as many whole ones as fit in 200. */
	tags[0] = '\0';
	for (i = 0; i < 10; i++) {
		strcat(tags, i > 0 ? "," : "");
		strcat(tags, T64);
		tags[strlen(tags) - 1] = (char)('0' + i);
	}
	milter_control_init(&c);
	assert_int_equal(milter_control_header(&c, &deflim, "X-Postwarden-Tags",
	    tags, NULL, 0), 1);
	assert_int_equal(milter_control_feedback_id(&c, "acme", "bulk",
	    "postwarden", out, sizeof(out)), 0);
	/* 200 - 21 = 179: two tags and a dot (129), not three (194). */
	assert_int_equal(strlen(out), 129 + 21);
	assert_string_equal(out + 129, ":bulk:acme:postwarden");
	assert_int_equal(out[64], '.');

	/* Fields of 149: 64 each, 5 left for tags (none fits). */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(milter_control_feedback_id(&c, big, big, big, out,
	    sizeof(out)), 0);
	assert_int_equal(strlen(out), 64 * 3 + 2);
	assert_true(strchr(out, '.') == NULL);
	milter_control_free(&c);

	milter_control_init(&c);
	assert_int_equal(milter_control_header(&c, &deflim, "X-Postwarden-Tags",
	    "abcd,e", NULL, 0), 1);
	assert_int_equal(milter_control_feedback_id(&c, big, big, big, out,
	    sizeof(out)), 0);
	assert_int_equal(strlen(out), MILTER_CONTROL_FEEDBACK_ID_MAX - 1);
	assert_int_equal(strncmp(out, "abcd:", 5), 0);
	milter_control_free(&c);
}

/* A control holding metadata as given (bytes the parser would refuse). */
static void
raw_meta(struct milter_control *c, const char *key, const char *value)
{
	c->meta = realloc(c->meta, (c->nmeta + 1) * sizeof(*c->meta));
	c->meta[c->nmeta].key = strdup(key);
	c->meta[c->nmeta].value = strdup(value);
	c->nmeta++;
}

static void
test_json_escaping(void **state)
{
	struct milter_control c;
	struct pw_buf b;

	milter_control_init(&c);
	raw_meta(&c, "q\"k\\", "\"\\/\b\f\n\r\t\x01\x1f\x7f");
	raw_meta(&c, "u", "\xc2\x85\xc2\xa0\xe2\x98\x83\xf0\x9f\x98\x80");
	raw_meta(&c, "bad", "\xff\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xe2\x98");
	pw_buf_init(&b, 4096);
	assert_int_equal(milter_control_metadata_json(&c, &b), 0);
	assert_string_equal(b.data,
	    "{\"q\\\"k\\\\\":\"\\\"\\\\/\\u0008\\u000c\\n\\r\\t\\u0001\\u001f"
	    "\\u007f\","
	    "\"u\":\"\\u0085\xc2\xa0\xe2\x98\x83\xf0\x9f\x98\x80\","
	    "\"bad\":\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd"
	    "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"}");
	pw_buf_free(&b);
	milter_control_free(&c);
}

static void
test_render_caps(void **state)
{
	struct milter_control c;
	struct pw_buf b;

	milter_control_init(&c);
	assert_int_equal(milter_control_header(&c, &deflim, "X-Postwarden-Tags",
	    "alpha,beta", NULL, 0), 1);
	assert_int_equal(milter_control_header(&c, &deflim,
	    "X-Postwarden-Metadata-k", "value", NULL, 0), 1);
	pw_buf_init(&b, 12);
	pw_buf_puts(&b, "x=");
	assert_int_equal(milter_control_tags_str(&c, &b), 0);
	assert_string_equal(b.data, "x=alpha,beta");
	pw_buf_reset(&b);
	pw_buf_puts(&b, "x=");
	assert_int_equal(milter_control_metadata_json(&c, &b), -1);
	assert_string_equal(b.data, "x=");
	assert_int_equal(b.len, 2);
	pw_buf_free(&b);
	pw_buf_init(&b, 11);
	pw_buf_puts(&b, "x=");
	assert_int_equal(milter_control_tags_str(&c, &b), -1);
	assert_string_equal(b.data, "x=");
	pw_buf_reset(&b);
	assert_int_equal(milter_control_metadata_json(&c, &b), -1);
	assert_string_equal(b.data, "");
	pw_buf_free(&b);
	milter_control_free(&c);
}

static void
test_limits_from_conf(void **state)
{
	struct milter_control_limits lim;
	struct pw_conf *conf = pw_conf_defaults();

	milter_control_limits_init(&lim, conf);
	assert_int_equal(lim.max_tags, 10);
	assert_int_equal(lim.max_metadata, 10);
	assert_int_equal(lim.max_total, MILTER_CONTROL_TOTAL_MAX);
	assert_string_equal(lim.tracking_header, "X-Postwarden-ID");
	assert_string_equal(lim.route_header, "X-Postwarden-Route");
	pw_conf_release(&conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_metadata_limits),
		cmocka_unit_test(test_zero_limits),
		cmocka_unit_test(test_total_limit),
		cmocka_unit_test(test_error_text_bounds),
		cmocka_unit_test(test_removals),
		cmocka_unit_test(test_renamed_headers),
		cmocka_unit_test(test_check_stream),
		cmocka_unit_test(test_feedback_id),
		cmocka_unit_test(test_feedback_id_long),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_render_caps),
		cmocka_unit_test(test_limits_from_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
