/*
 * test_policyd_proto.c -- unit tests of policyd/policyd_proto.c: real
 * Postfix 3.7 request dumps, every split point, pipelining, bounds and
 * malformed input.
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

#include "policyd_proto.h"

/* What Postfix 3.7 sends at RCPT for an authenticated client. */
static const char rcpt_req[] =
	"request=smtpd_access_policy\n"
	"protocol_state=RCPT\n"
	"protocol_name=ESMTP\n"
	"client_address=192.0.2.10\n"
	"client_name=mail.example.com\n"
	"client_port=53412\n"
	"reverse_client_name=mail.example.com\n"
	"server_address=192.0.2.1\n"
	"server_port=587\n"
	"helo_name=mail.example.com\n"
	"sender=alice@example.com\n"
	"recipient=bob@example.net\n"
	"recipient_count=0\n"
	"queue_id=\n"
	"instance=1a2b.6512c0f3.9d4e1.0\n"
	"size=1234\n"
	"etrn_domain=\n"
	"stress=\n"
	"sasl_method=PLAIN\n"
	"sasl_username=k_live_abc123\n"
	"sasl_sender=\n"
	"ccert_subject=\n"
	"ccert_issuer=\n"
	"ccert_fingerprint=\n"
	"ccert_pubkey_fingerprint=\n"
	"encryption_protocol=TLSv1.3\n"
	"encryption_cipher=TLS_AES_256_GCM_SHA384\n"
	"encryption_keysize=256\n"
	"policy_context=submission\n"
	"compatibility_level=3.6\n"
	"mail_version=3.7.11\n"
	"\n";

/* END-OF-MESSAGE from an unauthenticated TLS client with a certificate. */
static const char eom_req[] =
	"request=smtpd_access_policy\n"
	"protocol_state=END-OF-MESSAGE\n"
	"protocol_name=ESMTP\n"
	"client_address=198.51.100.7\n"
	"client_name=relay.example.org\n"
	"client_port=40022\n"
	"reverse_client_name=relay.example.org\n"
	"server_address=127.0.0.1\n"
	"server_port=25\n"
	"helo_name=relay.example.org\n"
	"sender=bounces+1234@example.org\n"
	"recipient=carol@example.net\n"
	"recipient_count=1\n"
	"queue_id=4XyZ1k0Q7vz9sT\n"
	"instance=2c41.6512c0f4.1b2a.0\n"
	"size=48213\n"
	"etrn_domain=\n"
	"stress=yes\n"
	"sasl_method=\n"
	"sasl_username=\n"
	"sasl_sender=\n"
	"ccert_subject=CN=relay.example.org,O=Example\n"
	"ccert_issuer=Example CA\n"
	"ccert_fingerprint=C2:9D:F4:87:71:73:73:D9:18:E7:C2:F3:C1:DA:6E:04\n"
	"ccert_pubkey_fingerprint="
	    "68:B3:29:DA:98:93:E3:40:99:C7:D8:AD:5C:B9:C9:40\n"
	"encryption_protocol=TLSv1.2\n"
	"encryption_cipher=ECDHE-RSA-AES256-GCM-SHA384\n"
	"encryption_keysize=256\n"
	"policy_context=\n"
	"compatibility_level=3.6\n"
	"mail_version=3.7.11\n"
	"\n";

static const struct policyd_proto_limits default_lim = { 8192, 65536, 128 };

/* Outcome of feeding a whole input. */
struct outcome {
	int			 nreq;
	struct policyd_request	*req[8];
	const char		*why;	/* NULL: no error */
	size_t			 consumed;
};

static void
outcome_free(struct outcome *o)
{
	int i;

	for (i = 0; i < o->nreq; i++)
		policyd_request_free(&o->req[i]);
	o->nreq = 0;
}

/*
 * Feed in[0..len) in pieces: split[] holds the piece boundaries, in
 * increasing order, nsplit of them.
 */
static void
feed_split(const struct policyd_proto_limits *lim, const char *in, size_t len,
    const size_t *split, size_t nsplit, struct outcome *o)
{
	struct policyd_proto_parser p;
	struct policyd_request *req;
	size_t start = 0, end, used, s;
	int ret;

	memset(o, 0, sizeof(*o));
	policyd_proto_init(&p, lim);
	for (s = 0; s <= nsplit; s++) {
		end = s < nsplit ? split[s] : len;
		while (start < end) {
			ret = policyd_proto_feed(&p, in + start, end - start,
			    &used, &req, &o->why);
			if (ret < 0)
				goto done;
			assert_true(used <= end - start);
			start += used;
			o->consumed = start;
			if (ret == 1) {
				assert_true(o->nreq < 8);
				o->req[o->nreq++] = req;
			} else {
				assert_int_equal(start, end);
			}
		}
	}
	o->why = NULL;
done:
	policyd_proto_free(&p);
}

static void
feed_all(const struct policyd_proto_limits *lim, const char *in, size_t len,
    struct outcome *o)
{
	feed_split(lim, in, len, NULL, 0, o);
}

static void
check_rcpt(const struct policyd_request *r)
{
	assert_non_null(r);
	assert_string_equal(policyd_request_str(r, POLICYD_ATTR_REQUEST),
	    "smtpd_access_policy");
	assert_string_equal(r->attr[POLICYD_ATTR_PROTOCOL_STATE], "RCPT");
	assert_string_equal(r->attr[POLICYD_ATTR_PROTOCOL_NAME], "ESMTP");
	assert_string_equal(r->attr[POLICYD_ATTR_CLIENT_ADDRESS],
	    "192.0.2.10");
	assert_string_equal(r->attr[POLICYD_ATTR_CLIENT_NAME],
	    "mail.example.com");
	assert_string_equal(r->attr[POLICYD_ATTR_CLIENT_PORT], "53412");
	assert_string_equal(r->attr[POLICYD_ATTR_REVERSE_CLIENT_NAME],
	    "mail.example.com");
	assert_string_equal(r->attr[POLICYD_ATTR_SERVER_ADDRESS],
	    "192.0.2.1");
	assert_string_equal(r->attr[POLICYD_ATTR_SERVER_PORT], "587");
	assert_string_equal(r->attr[POLICYD_ATTR_HELO_NAME],
	    "mail.example.com");
	assert_string_equal(r->attr[POLICYD_ATTR_SENDER],
	    "alice@example.com");
	assert_string_equal(r->attr[POLICYD_ATTR_RECIPIENT],
	    "bob@example.net");
	assert_string_equal(r->attr[POLICYD_ATTR_RECIPIENT_COUNT], "0");
	assert_string_equal(r->attr[POLICYD_ATTR_QUEUE_ID], "");
	assert_string_equal(r->attr[POLICYD_ATTR_INSTANCE],
	    "1a2b.6512c0f3.9d4e1.0");
	assert_string_equal(r->attr[POLICYD_ATTR_SIZE], "1234");
	assert_string_equal(r->attr[POLICYD_ATTR_ETRN_DOMAIN], "");
	assert_string_equal(r->attr[POLICYD_ATTR_STRESS], "");
	assert_string_equal(r->attr[POLICYD_ATTR_SASL_METHOD], "PLAIN");
	assert_string_equal(r->attr[POLICYD_ATTR_SASL_USERNAME],
	    "k_live_abc123");
	assert_string_equal(r->attr[POLICYD_ATTR_SASL_SENDER], "");
	assert_string_equal(r->attr[POLICYD_ATTR_CCERT_SUBJECT], "");
	assert_string_equal(r->attr[POLICYD_ATTR_CCERT_ISSUER], "");
	assert_string_equal(r->attr[POLICYD_ATTR_CCERT_FINGERPRINT], "");
	assert_string_equal(r->attr[POLICYD_ATTR_CCERT_PUBKEY_FINGERPRINT],
	    "");
	assert_string_equal(r->attr[POLICYD_ATTR_ENCRYPTION_PROTOCOL],
	    "TLSv1.3");
	assert_string_equal(r->attr[POLICYD_ATTR_ENCRYPTION_CIPHER],
	    "TLS_AES_256_GCM_SHA384");
	assert_string_equal(r->attr[POLICYD_ATTR_ENCRYPTION_KEYSIZE], "256");
	assert_string_equal(r->attr[POLICYD_ATTR_POLICY_CONTEXT],
	    "submission");
	assert_string_equal(r->attr[POLICYD_ATTR_COMPATIBILITY_LEVEL], "3.6");
	assert_string_equal(r->attr[POLICYD_ATTR_MAIL_VERSION], "3.7.11");
	assert_int_equal(r->nattrs, POLICYD_ATTR_COUNT);
}

static void
test_rcpt_every_attribute(void **state)
{
	struct outcome o;
	int a;

	feed_all(&default_lim, rcpt_req, sizeof(rcpt_req) - 1, &o);
	assert_null(o.why);
	assert_int_equal(o.nreq, 1);
	check_rcpt(o.req[0]);
	assert_int_equal(o.req[0]->size, sizeof(rcpt_req) - 1);
	for (a = 0; a < POLICYD_ATTR_COUNT; a++)
		assert_non_null(o.req[0]->attr[a]);
	outcome_free(&o);
}

static void
test_eom_values_with_equals_and_spaces(void **state)
{
	struct outcome o;
	const struct policyd_request *r;

	feed_all(&default_lim, eom_req, sizeof(eom_req) - 1, &o);
	assert_null(o.why);
	assert_int_equal(o.nreq, 1);
	r = o.req[0];
	assert_string_equal(r->attr[POLICYD_ATTR_PROTOCOL_STATE],
	    "END-OF-MESSAGE");
	assert_string_equal(r->attr[POLICYD_ATTR_QUEUE_ID], "4XyZ1k0Q7vz9sT");
	assert_string_equal(r->attr[POLICYD_ATTR_CCERT_SUBJECT],
	    "CN=relay.example.org,O=Example");
	assert_string_equal(r->attr[POLICYD_ATTR_CCERT_ISSUER], "Example CA");
	assert_string_equal(r->attr[POLICYD_ATTR_SASL_USERNAME], "");
	assert_string_equal(r->attr[POLICYD_ATTR_RECIPIENT_COUNT], "1");
	assert_string_equal(r->attr[POLICYD_ATTR_STRESS], "yes");
	outcome_free(&o);
}

/* Every single split point, and byte by byte, give the same request. */
static void
test_rcpt_every_split_point(void **state)
{
	size_t len = sizeof(rcpt_req) - 1, k, split[1024];
	struct outcome o;

	for (k = 0; k <= len; k++) {
		split[0] = k;
		feed_split(&default_lim, rcpt_req, len, split, 1, &o);
		assert_null(o.why);
		assert_int_equal(o.nreq, 1);
		check_rcpt(o.req[0]);
		outcome_free(&o);
	}
	assert_true(len < sizeof(split) / sizeof(split[0]));
	for (k = 0; k < len; k++)
		split[k] = k + 1;
	feed_split(&default_lim, rcpt_req, len, split, len, &o);
	assert_null(o.why);
	assert_int_equal(o.nreq, 1);
	check_rcpt(o.req[0]);
	outcome_free(&o);
}

/* Three requests in one buffer come out one at a time, in order. */
static void
test_pipelined_in_order(void **state)
{
	char buf[4096];
	size_t len = 0, k, split[1];
	struct outcome o;
	int i;

	memcpy(buf + len, rcpt_req, sizeof(rcpt_req) - 1);
	len += sizeof(rcpt_req) - 1;
	memcpy(buf + len, eom_req, sizeof(eom_req) - 1);
	len += sizeof(eom_req) - 1;
	memcpy(buf + len, rcpt_req, sizeof(rcpt_req) - 1);
	len += sizeof(rcpt_req) - 1;
	for (k = 0; k <= len; k += 7) {
		split[0] = k;
		feed_split(&default_lim, buf, len, split, 1, &o);
		assert_null(o.why);
		assert_int_equal(o.nreq, 3);
		check_rcpt(o.req[0]);
		assert_string_equal(o.req[1]->attr[POLICYD_ATTR_PROTOCOL_STATE],
		    "END-OF-MESSAGE");
		check_rcpt(o.req[2]);
		for (i = 0; i < 3; i++)
			assert_non_null(o.req[i]);
		outcome_free(&o);
	}
}

static void
test_unknown_attributes_ignored(void **state)
{
	static const char in[] =
	    "request=smtpd_access_policy\n"
	    "etc_restriction_classes=foo\n"
	    "some_future_attribute=x=y\n"
	    "some_future_attribute=again\n"
	    "sender=a@example.com\n"
	    "\n";
	struct outcome o;

	feed_all(&default_lim, in, sizeof(in) - 1, &o);
	assert_null(o.why);
	assert_int_equal(o.nreq, 1);
	assert_int_equal(o.req[0]->nattrs, 5);
	assert_string_equal(o.req[0]->attr[POLICYD_ATTR_SENDER],
	    "a@example.com");
	assert_null(o.req[0]->attr[POLICYD_ATTR_RECIPIENT]);
	assert_string_equal(policyd_request_str(o.req[0],
	    POLICYD_ATTR_RECIPIENT), "");
	outcome_free(&o);
}

static void
test_crlf_accepted(void **state)
{
	static const char in[] =
	    "request=smtpd_access_policy\r\n"
	    "protocol_state=RCPT\r\n"
	    "\r\n";
	struct outcome o;

	feed_all(&default_lim, in, sizeof(in) - 1, &o);
	assert_null(o.why);
	assert_int_equal(o.nreq, 1);
	assert_string_equal(o.req[0]->attr[POLICYD_ATTR_PROTOCOL_STATE],
	    "RCPT");
	outcome_free(&o);
}

/* Build "request=...\nsender=<fill>\n\n" with a sender line of linelen. */
static size_t
make_line_request(char *buf, size_t bufsize, size_t linelen, const char *eol)
{
	size_t len;

	len = (size_t)snprintf(buf, bufsize, "request=smtpd_access_policy\n"
	    "sender=");
	assert_true(linelen >= 7 && len + linelen + 8 < bufsize);
	memset(buf + len, 'a', linelen - 7);
	len += linelen - 7;
	len += (size_t)snprintf(buf + len, bufsize - len, "%s\n", eol);
	return len;
}

static void
test_line_length_bound(void **state)
{
	struct policyd_proto_limits lim = { 256, 65536, 128 };
	char buf[1024];
	struct outcome o;
	size_t len, k, split[1];

	/* Exactly max_line: fine, with "\n" or "\r\n". */
	len = make_line_request(buf, sizeof(buf), 256, "\n");
	feed_all(&lim, buf, len, &o);
	assert_null(o.why);
	assert_int_equal(o.nreq, 1);
	assert_int_equal(strlen(o.req[0]->attr[POLICYD_ATTR_SENDER]), 249);
	outcome_free(&o);
	len = make_line_request(buf, sizeof(buf), 256, "\r\n");
	for (k = 0; k <= len; k++) {
		split[0] = k;
		feed_split(&lim, buf, len, split, 1, &o);
		assert_null(o.why);
		assert_int_equal(o.nreq, 1);
		outcome_free(&o);
	}
	/* One more byte: refused, however it is split. */
	len = make_line_request(buf, sizeof(buf), 257, "\n");
	for (k = 0; k <= len; k++) {
		split[0] = k;
		feed_split(&lim, buf, len, split, 1, &o);
		assert_non_null(o.why);
		assert_string_equal(o.why, "line too long");
		assert_int_equal(o.nreq, 0);
	}
	/* A "\r" that is not followed by "\n" counts, however split. */
	len = make_line_request(buf, sizeof(buf), 256, "\rx");
	for (k = 0; k <= len; k++) {
		split[0] = k;
		feed_split(&lim, buf, len, split, 1, &o);
		assert_non_null(o.why);
		assert_string_equal(o.why, "line too long");
	}
	/* Found by the fuzzer: "\r" at the bound, then NUL. */
	len = make_line_request(buf, sizeof(buf), 256, "\r");
	buf[len - 1] = '\0';
	for (k = 0; k <= len; k++) {
		split[0] = k;
		feed_split(&lim, buf, len, split, 1, &o);
		assert_non_null(o.why);
		assert_string_equal(o.why, "NUL byte in request");
	}
}

static void
test_request_size_bound(void **state)
{
	struct policyd_proto_limits lim = { 8192, 1024, 128 };
	char buf[4096];
	struct outcome o;
	size_t len, k, split[1];

	/* 1024 bytes exactly, final "\n" included. */
	len = make_line_request(buf, sizeof(buf), 1024 - 28 - 2, "\n");
	assert_int_equal(len, 1024);
	feed_all(&lim, buf, len, &o);
	assert_null(o.why);
	assert_int_equal(o.nreq, 1);
	assert_int_equal(o.req[0]->size, 1024);
	outcome_free(&o);
	len = make_line_request(buf, sizeof(buf), 1024 - 28 - 1, "\n");
	for (k = 0; k <= len; k += 3) {
		split[0] = k;
		feed_split(&lim, buf, len, split, 1, &o);
		assert_non_null(o.why);
		assert_string_equal(o.why, "request too large");
	}
}

static void
test_attribute_count_bound(void **state)
{
	struct policyd_proto_limits lim = { 8192, 65536, 8 };
	char buf[1024];
	struct outcome o;
	size_t len;
	int i;

	len = (size_t)snprintf(buf, sizeof(buf),
	    "request=smtpd_access_policy\n");
	for (i = 0; i < 7; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    "x%d=%d\n", i, i);
	memcpy(buf + len, "\n", 2);
	feed_all(&lim, buf, len + 1, &o);
	assert_null(o.why);
	assert_int_equal(o.nreq, 1);
	assert_int_equal(o.req[0]->nattrs, 8);
	outcome_free(&o);
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "x7=7\n\n");
	feed_all(&lim, buf, len, &o);
	assert_non_null(o.why);
	assert_string_equal(o.why, "too many attributes");
}

/* The second request starts counting afresh. */
static void
test_bounds_are_per_request(void **state)
{
	struct policyd_proto_limits lim = { 256, 1024, 31 };
	char buf[4096];
	struct outcome o;
	size_t len;

	memcpy(buf, rcpt_req, sizeof(rcpt_req) - 1);
	len = sizeof(rcpt_req) - 1;
	memcpy(buf + len, rcpt_req, sizeof(rcpt_req) - 1);
	len += sizeof(rcpt_req) - 1;
	feed_all(&lim, buf, len, &o);
	assert_null(o.why);
	assert_int_equal(o.nreq, 2);
	outcome_free(&o);
}

static const struct {
	const char	*name;
	const char	*in;
	size_t		 len;	/* 0: strlen(in) */
	const char	*why;
} malformed[] = {
	{ "no equals sign", "request=smtpd_access_policy\nfoo\n\n", 0,
	    "line without '='" },
	{ "empty name", "request=smtpd_access_policy\n=value\n\n", 0,
	    "empty attribute name" },
	{ "repeated attribute", "request=smtpd_access_policy\nsender=a\n"
	    "sender=b\n\n", 0, "repeated attribute" },
	{ "repeated request", "request=smtpd_access_policy\n"
	    "request=smtpd_access_policy\n\n", 0, "repeated attribute" },
	{ "no request attribute", "protocol_state=RCPT\nsender=a\n\n", 0,
	    "request without request attribute" },
	{ "empty request", "\n", 0, "request without request attribute" },
	{ "empty request crlf", "\r\n", 0,
	    "request without request attribute" },
	{ "wrong request type", "request=junk\n\n", 0,
	    "unsupported request type" },
	{ "request type case", "request=SMTPD_ACCESS_POLICY\n\n", 0,
	    "unsupported request type" },
	{ "NUL in value", "request=smtpd_access_policy\nsender=a\0b\n\n", 40,
	    "NUL byte in request" },
	{ "NUL in name", "request=smtpd_access_policy\n\0=b\n\n", 33,
	    "NUL byte in request" },
	{ "NUL as line", "\0\n\n", 3, "NUL byte in request" },
	{ "good then bad", "request=smtpd_access_policy\n\nfoo\n\n", 0,
	    "line without '='" },
	{ "recipient_count above its cap", "request=smtpd_access_policy\n"
	    "recipient_count=999999999999\n\n", 0,
	    "recipient_count not a number up to 1000000" },
	{ "recipient_count just above", "request=smtpd_access_policy\n"
	    "recipient_count=1000001\n\n", 0,
	    "recipient_count not a number up to 1000000" },
	{ "recipient_count negative", "request=smtpd_access_policy\n"
	    "recipient_count=-1\n\n", 0,
	    "recipient_count not a number up to 1000000" },
	{ "size of 21 digits", "request=smtpd_access_policy\n"
	    "size=100000000000000000000\n\n", 0,
	    "size not a number up to 1000000000000000" },
	{ "size above 1 PB", "request=smtpd_access_policy\n"
	    "size=1000000000000001\n\n", 0,
	    "size not a number up to 1000000000000000" },
	{ "size not a number", "request=smtpd_access_policy\nsize=1e20\n\n",
	    0, "size not a number up to 1000000000000000" },
	{ "size with a space", "request=smtpd_access_policy\nsize= 1\n\n",
	    0, "size not a number up to 1000000000000000" },
};

/* Numeric attributes at their caps, empty, or with leading zeros. */
static void
test_numeric_caps(void **state)
{
	static const char in[] = "request=smtpd_access_policy\n"
	    "recipient_count=1000000\nsize=1000000000000000\n\n"
	    "request=smtpd_access_policy\nrecipient_count=\nsize=\n\n"
	    "request=smtpd_access_policy\n"
	    "size=0000000000000000000000000000042\n\n";
	struct outcome o;

	feed_split(&default_lim, in, strlen(in), NULL, 0, &o);
	assert_null(o.why);
	assert_int_equal(o.nreq, 3);
	assert_string_equal(policyd_request_str(o.req[0],
	    POLICYD_ATTR_RECIPIENT_COUNT), "1000000");
	assert_string_equal(policyd_request_str(o.req[0], POLICYD_ATTR_SIZE),
	    "1000000000000000");
	assert_string_equal(policyd_request_str(o.req[1], POLICYD_ATTR_SIZE),
	    "");
	outcome_free(&o);
}

static void
test_malformed_table(void **state)
{
	struct outcome o;
	size_t i, len, k, split[1];

	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		len = malformed[i].len != 0 ? malformed[i].len :
		    strlen(malformed[i].in);
		for (k = 0; k <= len; k++) {
			split[0] = k;
			feed_split(&default_lim, malformed[i].in, len, split, 1,
			    &o);
			if (o.why == NULL ||
			    strcmp(o.why, malformed[i].why) != 0)
				fail_msg("%s (split %zu): got \"%s\"",
				    malformed[i].name, k,
				    o.why != NULL ? o.why : "no error");
			outcome_free(&o);
		}
	}
}

static void
test_failure_is_sticky(void **state)
{
	struct policyd_proto_parser p;
	struct policyd_request *req;
	const char *why = NULL;
	size_t used;

	policyd_proto_init(&p, &default_lim);
	assert_int_equal(policyd_proto_feed(&p, "bad\n", 4, &used, &req, &why),
	    -1);
	assert_string_equal(why, "line without '='");
	why = NULL;
	assert_int_equal(policyd_proto_feed(&p, rcpt_req,
	    sizeof(rcpt_req) - 1, &used, &req, &why), -1);
	assert_string_equal(why, "line without '='");
	assert_null(req);
	policyd_proto_free(&p);
}

static void
test_busy_tracks_partial_request(void **state)
{
	struct policyd_proto_parser p;
	struct policyd_request *req;
	const char *why;
	size_t used;

	policyd_proto_init(&p, &default_lim);
	assert_false(policyd_proto_busy(&p));
	assert_int_equal(policyd_proto_feed(&p, rcpt_req, 10, &used, &req,
	    &why), 0);
	assert_int_equal(used, 10);
	assert_true(policyd_proto_busy(&p));
	assert_int_equal(policyd_proto_feed(&p, rcpt_req + 10,
	    sizeof(rcpt_req) - 11, &used, &req, &why), 1);
	assert_int_equal(used, sizeof(rcpt_req) - 11);
	assert_false(policyd_proto_busy(&p));
	check_rcpt(req);
	policyd_request_free(&req);
	assert_null(req);
	/* A parser freed mid-request leaks nothing (checked by ASan). */
	assert_int_equal(policyd_proto_feed(&p, rcpt_req, 100, &used, &req,
	    &why), 0);
	policyd_proto_free(&p);
}

static void
test_attr_names_round_trip(void **state)
{
	const char *name;
	int a;

	for (a = 0; a < POLICYD_ATTR_COUNT; a++) {
		name = policyd_proto_attr_name(a);
		assert_int_equal(policyd_proto_attr_lookup(name, strlen(name)),
		    a);
	}
	assert_int_equal(policyd_proto_attr_lookup("sende", 5), -1);
	assert_int_equal(policyd_proto_attr_lookup("senderx", 7), -1);
	assert_string_equal(policyd_proto_attr_name(POLICYD_ATTR_COUNT),
	    "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rcpt_every_attribute),
		cmocka_unit_test(test_eom_values_with_equals_and_spaces),
		cmocka_unit_test(test_rcpt_every_split_point),
		cmocka_unit_test(test_pipelined_in_order),
		cmocka_unit_test(test_unknown_attributes_ignored),
		cmocka_unit_test(test_crlf_accepted),
		cmocka_unit_test(test_line_length_bound),
		cmocka_unit_test(test_request_size_bound),
		cmocka_unit_test(test_attribute_count_bound),
		cmocka_unit_test(test_bounds_are_per_request),
		cmocka_unit_test(test_malformed_table),
		cmocka_unit_test(test_numeric_caps),
		cmocka_unit_test(test_failure_is_sticky),
		cmocka_unit_test(test_busy_tracks_partial_request),
		cmocka_unit_test(test_attr_names_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
