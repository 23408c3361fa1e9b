/*
 * fuzz_policy_request.c -- libFuzzer harness for the policy protocol
 * parser (policyd/policyd_proto.c).
 *
 * The first byte picks the bounds (small ones reach every limit quickly)
 * and the second how the rest is split into reads: every split gives the
 * same verdict and the same requests as one read, which is checked
 * against a second parser fed everything at once.  Every request handed
 * out must be valid: request=smtpd_access_policy, no NUL or newline in
 * values, within the size and attribute bounds, numeric attributes within
 * their caps.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policyd_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_REQ	64

struct fuzz_run {
	int			 nreq;
	size_t			 sizes[FUZZ_MAX_REQ];
	const char		*why;
};

/* v is NULL, or empty, or decimal digits worth at most max. */
static void
fuzz_check_number(const char *v, unsigned long long max)
{
	char *end;

	if (v == NULL || *v == '\0')
		return;
	if (strspn(v, "0123456789") != strlen(v) ||
	    strtoull(v, &end, 10) > max)
		abort();
}

/* Check one request against the bounds and the protocol rules. */
static void
fuzz_check(const struct policyd_request *r,
    const struct policyd_proto_limits *lim)
{
	size_t total = 0;
	int a;

	if (r->size > lim->max_request || r->nattrs > lim->max_attrs ||
	    r->attr[POLICYD_ATTR_REQUEST] == NULL ||
	    strcmp(r->attr[POLICYD_ATTR_REQUEST], "smtpd_access_policy") != 0)
		abort();
	for (a = 0; a < POLICYD_ATTR_COUNT; a++) {
		if (r->attr[a] == NULL)
			continue;
		if (strchr(r->attr[a], '\n') != NULL)
			abort();
		total += strlen(r->attr[a]) + 1;
		if (strlen(r->attr[a]) > lim->max_line)
			abort();
	}
	if (total > r->size)
		abort();
	/* Numbers handed out are digits within their caps. */
	fuzz_check_number(r->attr[POLICYD_ATTR_RECIPIENT_COUNT],
	    POLICYD_PROTO_MAX_RECIPIENT_COUNT);
	fuzz_check_number(r->attr[POLICYD_ATTR_SIZE], POLICYD_PROTO_MAX_SIZE);
}

/* Feed in[0..len) in pieces of `step` bytes (0: varying sizes). */
static void
fuzz_feed(const struct policyd_proto_limits *lim, const char *in, size_t len,
    unsigned step, struct fuzz_run *run)
{
	struct policyd_proto_parser p;
	struct policyd_request *req;
	size_t off = 0, piece, used, n = 0;
	int ret;

	memset(run, 0, sizeof(*run));
	policyd_proto_init(&p, lim);
	while (off < len) {
		piece = step != 0 ? step : 1 + (n++ * 7919) % 61;
		if (piece > len - off)
			piece = len - off;
		while (piece > 0) {
			ret = policyd_proto_feed(&p, in + off, piece, &used,
			    &req, &run->why);
			if (ret < 0)
				goto done;
			if (used > piece)
				abort();
			off += used;
			piece -= used;
			if (ret == 1) {
				fuzz_check(req, lim);
				if (run->nreq < FUZZ_MAX_REQ)
					run->sizes[run->nreq] = req->size;
				run->nreq++;
				policyd_request_free(&req);
			} else if (piece != 0) {
				abort();
			}
		}
	}
	run->why = NULL;
done:
	policyd_proto_free(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct policyd_proto_limits lims[4] = {
		{ 8192, 65536, 128 },
		{ 256, 1024, 8 },
		{ 16, 64, 3 },
		{ 1, 1, 1 },
	};
	const struct policyd_proto_limits *lim;
	struct fuzz_run whole, split;
	unsigned step;
	int i;

	if (size < 2)
		return 0;
	lim = &lims[data[0] & 3];
	step = data[1] & 0x3f;
	data += 2;
	size -= 2;
	fuzz_feed(lim, (const char *)data, size, (unsigned)size + 1, &whole);
	fuzz_feed(lim, (const char *)data, size, step, &split);
	/* The split must not change the verdict. */
	if (whole.nreq != split.nreq ||
	    (whole.why == NULL) != (split.why == NULL) ||
	    (whole.why != NULL && strcmp(whole.why, split.why) != 0))
		abort();
	for (i = 0; i < whole.nreq && i < FUZZ_MAX_REQ; i++)
		if (whole.sizes[i] != split.sizes[i])
			abort();
	return 0;
}
