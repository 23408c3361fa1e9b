/*
 * policyd_proto.c -- incremental parser of Postfix policy requests (see
 * policyd_proto.h for the rules).
 *
 * Exports: policyd_proto_init/free/feed/busy, policyd_request_str/free,
 * policyd_proto_attr_name/lookup.
 *
 * Threads: none of its own; a parser has one owner at a time.
 *
 * Ownership: the parser owns the request it is reading; a completed
 * request belongs to the caller, who frees it with policyd_request_free().
 *
 * Failures: malformed input makes the parser fail for good with a static
 * reason; memory exhaustion exits (pw_xmalloc).
 *
 * Security: every byte comes from the network.  Bytes are checked one at
 * a time against the bounds before anything is stored, so memory held is
 * at most max_line + max_request bytes per parser and the verdict does
 * not depend on how the input was split.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "policyd_proto.h"
#include "xmalloc.h"

#define POLICYD_PROTO_UNSET	SIZE_MAX

static const char *const policyd_proto_names[POLICYD_ATTR_COUNT] = {
	[POLICYD_ATTR_REQUEST] = "request",
	[POLICYD_ATTR_PROTOCOL_STATE] = "protocol_state",
	[POLICYD_ATTR_PROTOCOL_NAME] = "protocol_name",
	[POLICYD_ATTR_HELO_NAME] = "helo_name",
	[POLICYD_ATTR_QUEUE_ID] = "queue_id",
	[POLICYD_ATTR_SENDER] = "sender",
	[POLICYD_ATTR_RECIPIENT] = "recipient",
	[POLICYD_ATTR_RECIPIENT_COUNT] = "recipient_count",
	[POLICYD_ATTR_CLIENT_ADDRESS] = "client_address",
	[POLICYD_ATTR_CLIENT_NAME] = "client_name",
	[POLICYD_ATTR_REVERSE_CLIENT_NAME] = "reverse_client_name",
	[POLICYD_ATTR_INSTANCE] = "instance",
	[POLICYD_ATTR_SASL_METHOD] = "sasl_method",
	[POLICYD_ATTR_SASL_USERNAME] = "sasl_username",
	[POLICYD_ATTR_SASL_SENDER] = "sasl_sender",
	[POLICYD_ATTR_SIZE] = "size",
	[POLICYD_ATTR_CCERT_SUBJECT] = "ccert_subject",
	[POLICYD_ATTR_CCERT_ISSUER] = "ccert_issuer",
	[POLICYD_ATTR_CCERT_FINGERPRINT] = "ccert_fingerprint",
	[POLICYD_ATTR_CCERT_PUBKEY_FINGERPRINT] = "ccert_pubkey_fingerprint",
	[POLICYD_ATTR_ENCRYPTION_PROTOCOL] = "encryption_protocol",
	[POLICYD_ATTR_ENCRYPTION_CIPHER] = "encryption_cipher",
	[POLICYD_ATTR_ENCRYPTION_KEYSIZE] = "encryption_keysize",
	[POLICYD_ATTR_ETRN_DOMAIN] = "etrn_domain",
	[POLICYD_ATTR_STRESS] = "stress",
	[POLICYD_ATTR_CLIENT_PORT] = "client_port",
	[POLICYD_ATTR_POLICY_CONTEXT] = "policy_context",
	[POLICYD_ATTR_SERVER_ADDRESS] = "server_address",
	[POLICYD_ATTR_SERVER_PORT] = "server_port",
	[POLICYD_ATTR_COMPATIBILITY_LEVEL] = "compatibility_level",
	[POLICYD_ATTR_MAIL_VERSION] = "mail_version",
};

/* Numeric attributes: empty or decimal digits, up to a cap. */
static const struct {
	enum policyd_attr	 attr;
	unsigned long long	 max;
	const char		*why;
} policyd_proto_numeric[] = {
	{ POLICYD_ATTR_RECIPIENT_COUNT, POLICYD_PROTO_MAX_RECIPIENT_COUNT,
	    "recipient_count not a number up to 1000000" },
	{ POLICYD_ATTR_SIZE, POLICYD_PROTO_MAX_SIZE,
	    "size not a number up to 1000000000000000" },
};

/* NULL when value[0..len) suits attribute a, else the reason. */
static const char *
policyd_proto_check_value(int a, const char *value, size_t len)
{
	unsigned long long n = 0, max;
	size_t i, k;

	for (k = 0; k < sizeof(policyd_proto_numeric) /
	    sizeof(policyd_proto_numeric[0]); k++) {
		if ((int)policyd_proto_numeric[k].attr != a)
			continue;
		max = policyd_proto_numeric[k].max;
		for (i = 0; i < len; i++) {
			if (value[i] < '0' || value[i] > '9')
				return policyd_proto_numeric[k].why;
			/* No overflow: n <= max < ULLONG_MAX / 10 - 9. */
			n = n * 10 + (unsigned)(value[i] - '0');
			if (n > max)
				return policyd_proto_numeric[k].why;
		}
		return NULL;
	}
	return NULL;
}

const char *
policyd_proto_attr_name(enum policyd_attr attr)
{
	if ((unsigned)attr >= POLICYD_ATTR_COUNT)
		return "unknown";
	return policyd_proto_names[attr];
}

int
policyd_proto_attr_lookup(const char *name, size_t len)
{
	int a;

	for (a = 0; a < POLICYD_ATTR_COUNT; a++) {
		if (strlen(policyd_proto_names[a]) == len &&
		    memcmp(policyd_proto_names[a], name, len) == 0)
			return a;
	}
	return -1;
}

void
policyd_proto_init(struct policyd_proto_parser *p,
    const struct policyd_proto_limits *lim)
{
	memset(p, 0, sizeof(*p));
	p->lim = *lim;
	if (p->lim.max_line == 0)
		p->lim.max_line = 1;
	if (p->lim.max_request == 0)
		p->lim.max_request = 1;
	if (p->lim.max_attrs == 0)
		p->lim.max_attrs = 1;
	/* Room for a "\r" that is dropped before the "\n". */
	pw_buf_init(&p->line, p->lim.max_line + 1);
}

void
policyd_proto_free(struct policyd_proto_parser *p)
{
	pw_buf_free(&p->line);
	policyd_request_free(&p->req);
	p->failed = NULL;
}

bool
policyd_proto_busy(const struct policyd_proto_parser *p)
{
	return p->req != NULL;
}

/* A fresh request sized for the parser's bounds. */
static struct policyd_request *
policyd_proto_request_new(const struct policyd_proto_parser *p)
{
	struct policyd_request *req = pw_xcalloc(1, sizeof(*req));
	int a;

	/* Each stored value plus its NUL is shorter than its line. */
	pw_buf_init(&req->store, p->lim.max_request + 1);
	for (a = 0; a < POLICYD_ATTR_COUNT; a++)
		req->off[a] = POLICYD_PROTO_UNSET;
	return req;
}

void
policyd_request_free(struct policyd_request **reqp)
{
	struct policyd_request *req = *reqp;

	if (req == NULL)
		return;
	*reqp = NULL;
	pw_buf_free(&req->store);
	free(req);
}

const char *
policyd_request_str(const struct policyd_request *req, enum policyd_attr attr)
{
	if ((unsigned)attr >= POLICYD_ATTR_COUNT || req->attr[attr] == NULL)
		return "";
	return req->attr[attr];
}

/* Make the parser fail for good; returns -1. */
static int
policyd_proto_fail(struct policyd_proto_parser *p, const char *why,
    const char **why_r)
{
	p->failed = why;
	*why_r = why;
	return -1;
}

/*
 * Take the complete line in p->line (without its "\n").  Returns 1 when
 * it was the empty line that ends a valid request, 0 when it was an
 * attribute, -1 with *why_r when it is malformed.
 */
static int
policyd_proto_line(struct policyd_proto_parser *p, const char **why_r)
{
	struct policyd_request *req = p->req;
	const char *line = p->line.data, *eq, *req_type;
	size_t len = p->line.len, nlen;
	int a;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0) {
		if (req->off[POLICYD_ATTR_REQUEST] == POLICYD_PROTO_UNSET) {
			*why_r = "request without request attribute";
			return -1;
		}
		req_type = req->store.data + req->off[POLICYD_ATTR_REQUEST];
		if (strcmp(req_type, POLICYD_PROTO_REQUEST_TYPE) != 0) {
			*why_r = "unsupported request type";
			return -1;
		}
		for (a = 0; a < POLICYD_ATTR_COUNT; a++)
			req->attr[a] = req->off[a] == POLICYD_PROTO_UNSET ?
			    NULL : req->store.data + req->off[a];
		return 1;
	}
	if ((eq = memchr(line, '=', len)) == NULL) {
		*why_r = "line without '='";
		return -1;
	}
	if (eq == line) {
		*why_r = "empty attribute name";
		return -1;
	}
	if (++req->nattrs > p->lim.max_attrs) {
		*why_r = "too many attributes";
		return -1;
	}
	nlen = (size_t)(eq - line);
	if ((a = policyd_proto_attr_lookup(line, nlen)) < 0)
		return 0;
	if (req->off[a] != POLICYD_PROTO_UNSET) {
		*why_r = "repeated attribute";
		return -1;
	}
	if ((*why_r = policyd_proto_check_value(a, eq + 1,
	    len - nlen - 1)) != NULL)
		return -1;
	req->off[a] = req->store.len;
	/* Cannot fail: value + NUL fit in the line's share of the cap. */
	if (pw_buf_append(&req->store, eq + 1, len - nlen - 1) < 0 ||
	    pw_buf_append(&req->store, "", 1) < 0) {
		*why_r = "request too large";
		return -1;
	}
	return 0;
}

int
policyd_proto_feed(struct policyd_proto_parser *p, const char *data,
    size_t len, size_t *used_r, struct policyd_request **req_r,
    const char **why_r)
{
	size_t i = 0, j, linelen;
	unsigned char c;
	int ret;

	*used_r = 0;
	*req_r = NULL;
	if (p->failed != NULL)
		return policyd_proto_fail(p, p->failed, why_r);
	while (i < len) {
		if (p->req == NULL)
			p->req = policyd_proto_request_new(p);
		/* Check each byte of the line's next stretch. */
		for (j = i; j < len; j++) {
			c = (unsigned char)data[j];
			if (++p->req->size > p->lim.max_request)
				return policyd_proto_fail(p,
				    "request too large", why_r);
			if (c == '\0')
				return policyd_proto_fail(p,
				    "NUL byte in request", why_r);
			if (c == '\n')
				break;
			linelen = p->line.len + (j - i) + 1;
			/*
			 * One "\r" may follow a full line; whatever comes
			 * after it but "\n" then makes the line too long.
			 * No look-ahead, so the verdict never depends on
			 * where the input was split.
			 */
			if (linelen > p->lim.max_line &&
			    !(linelen == p->lim.max_line + 1 && c == '\r'))
				return policyd_proto_fail(p, "line too long",
				    why_r);
		}
		/* Cannot fail: the loop above kept the line within its cap. */
		if (pw_buf_append(&p->line, data + i, j - i) < 0)
			return policyd_proto_fail(p, "line too long", why_r);
		if (j == len) {
			*used_r = len;
			return 0;
		}
		i = j + 1;
		/* On error the line stays in p->line, for the log. */
		if ((ret = policyd_proto_line(p, why_r)) < 0)
			return policyd_proto_fail(p, *why_r, why_r);
		pw_buf_reset(&p->line);
		if (ret == 1) {
			*req_r = p->req;
			p->req = NULL;
			*used_r = i;
			return 1;
		}
	}
	*used_r = len;
	return 0;
}
