/*
 * dns.c -- TXT and MX lookups through libunbound (see dns.h).
 *
 * Each lookup is ub_resolve_async() followed by poll() on ub_fd() until
 * the callback has run or the deadline passed; then ub_cancel(), so a
 * resolver that never answers costs at most the timeout.  The context
 * runs its queries in a thread of its own (ub_ctx_async(ctx, 1)).
 *
 * Ownership: the handle owns its context; a lookup's result is copied
 * into the caller's struct and freed (ub_resolve_free) in the callback.
 *
 * Failures: a setting libunbound refuses fails pw_dns_open with its
 * reason; a failed query is SERVFAIL, never a crash.  Answers are
 * untrusted: see the rdata parsers below, bounded by dns.h's limits.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unbound.h>

#include "clock.h"
#include "conf.h"
#include "dns.h"
#include "xmalloc.h"

#define PW_DNS_TYPE_TXT		16
#define PW_DNS_TYPE_MX		15
#define PW_DNS_CLASS_IN		1
#define PW_DNS_RCODE_NXDOMAIN	3

struct pw_dns {
	struct ub_ctx	*ctx;
	int		 timeout_ms;
};

/* One query in flight: what the callback fills. */
struct pw_dns_query {
	bool		 done;
	int		 err;
	int		 type;
	enum pw_dns_status st;
	struct pw_dns_txt *txt;
	struct pw_dns_mx *mx;
};

const char *
pw_dns_status_name(enum pw_dns_status st)
{
	switch (st) {
	case PW_DNS_FOUND:	return "found";
	case PW_DNS_NXDOMAIN:	return "NXDOMAIN";
	case PW_DNS_NODATA:	return "no data";
	case PW_DNS_SERVFAIL:	return "SERVFAIL";
	case PW_DNS_BOGUS:	return "DNSSEC bogus";
	case PW_DNS_TIMEOUT:	return "timeout";
	}
	return "?";
}

bool
pw_dns_status_final(enum pw_dns_status st)
{
	return st == PW_DNS_FOUND || st == PW_DNS_NXDOMAIN ||
	    st == PW_DNS_NODATA;
}

const char *
pw_dns_resolver_check(const char *s, size_t len)
{
	char addr[INET6_ADDRSTRLEN + 1];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *at = memchr(s, '@', len);
	size_t alen = at != NULL ? (size_t)(at - s) : len;

	if (alen == 0 || alen >= sizeof(addr))
		return "not an IP address (IP or IP@PORT)";
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, bin) != 1 &&
	    inet_pton(AF_INET6, addr, bin) != 1)
		return "not an IP address (IP or IP@PORT)";
	if (at != NULL) {
		const char *p = at + 1, *end = s + len;
		unsigned long port = 0;

		if (p == end || end - p > 5)
			return "bad port after @";
		for (; p < end; p++) {
			if (!isdigit((unsigned char)*p))
				return "bad port after @";
			port = port * 10 + (unsigned long)(*p - '0');
		}
		if (port == 0 || port > 65535)
			return "bad port after @";
	}
	return NULL;
}

/* pw_conf_list_foreach callback: forward to one resolver. */
static int
pw_dns_add_fwd(const char *item, size_t len, void *arg)
{
	struct ub_ctx *ctx = arg;
	char addr[INET6_ADDRSTRLEN + 8];

	if (pw_dns_resolver_check(item, len) != NULL || len >= sizeof(addr))
		return -1;
	memcpy(addr, item, len);
	addr[len] = '\0';
	return ub_ctx_set_fwd(ctx, addr) == 0 ? 0 : -1;
}

int
pw_dns_open(const char *resolvers, const char *trust_anchor,
    int timeout_ms, struct pw_dns **dns_r, char *err, size_t errsize)
{
	struct pw_dns *dns;
	int rc;

	*dns_r = NULL;
	dns = pw_xcalloc(1, sizeof(*dns));
	dns->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
	if ((dns->ctx = ub_ctx_create()) == NULL) {
		snprintf(err, errsize, "cannot create a libunbound context");
		free(dns);
		return -1;
	}
	if ((rc = ub_ctx_async(dns->ctx, 1)) != 0) {
		snprintf(err, errsize, "libunbound: %s", ub_strerror(rc));
		goto fail;
	}
	if (resolvers != NULL && *resolvers != '\0') {
		if (pw_conf_list_foreach(resolvers, pw_dns_add_fwd,
		    dns->ctx) != 0) {
			snprintf(err, errsize, "dns_resolver: cannot use %s",
			    resolvers);
			goto fail;
		}
	} else if ((rc = ub_ctx_resolvconf(dns->ctx, NULL)) != 0) {
		snprintf(err, errsize, "/etc/resolv.conf: %s",
		    ub_strerror(rc));
		goto fail;
	}
	if (trust_anchor != NULL && *trust_anchor != '\0' &&
	    (rc = ub_ctx_add_ta_file(dns->ctx, trust_anchor)) != 0) {
		snprintf(err, errsize, "%s: %s", trust_anchor,
		    ub_strerror(rc));
		goto fail;
	}
	*dns_r = dns;
	return 0;
fail:
	ub_ctx_delete(dns->ctx);
	free(dns);
	return -1;
}

void
pw_dns_close(struct pw_dns **dnsp)
{
	struct pw_dns *dns = *dnsp;

	if (dns == NULL)
		return;
	*dnsp = NULL;
	ub_ctx_delete(dns->ctx);
	free(dns);
}

int
pw_dns_txt_rdata(const unsigned char *rd, size_t len,
    char out[PW_DNS_TXT_MAX + 1], size_t *len_r)
{
	size_t off = 0, n = 0, l;

	while (off < len) {
		l = rd[off++];
		if (l > len - off || l > PW_DNS_TXT_MAX - n)
			return -1;
		memcpy(out + n, rd + off, l);
		n += l;
		off += l;
	}
	out[n] = '\0';
	*len_r = n;
	return 0;
}

int
pw_dns_mx_rdata(const unsigned char *rd, size_t len, unsigned *pref,
    char host[PW_DNS_NAME_MAX + 2])
{
	size_t off = 2, n = 0, l, i;

	if (len < 3)
		return -1;
	*pref = (unsigned)rd[0] << 8 | rd[1];
	for (;;) {
		if (off >= len)
			return -1;
		l = rd[off++];
		if (l == 0)
			break;
		if (l > 63 || l > len - off ||
		    n + l + (n > 0) > PW_DNS_NAME_MAX)
			return -1;
		if (n > 0)
			host[n++] = '.';
		for (i = 0; i < l; i++) {
			unsigned char c = rd[off + i];

			if (!isalnum(c) && c != '-' && c != '_')
				return -1;
			host[n++] = (char)tolower(c);
		}
		off += l;
	}
	if (off != len)
		return -1;
	if (n == 0)
		host[n++] = '.';	/* the null MX, RFC 7505 */
	host[n] = '\0';
	return 0;
}

/* Copy a result's records into the query's output. */
static void
pw_dns_take(struct pw_dns_query *q, const struct ub_result *res)
{
	char *buf;
	size_t i, len;

	if (q->type == PW_DNS_TYPE_TXT) {
		q->txt->secure = res->secure != 0;
		buf = pw_xmalloc(PW_DNS_TXT_MAX + 1);
		for (i = 0; res->data[i] != NULL; i++) {
			if (q->txt->n == PW_DNS_RR_MAX || res->len[i] < 0 ||
			    pw_dns_txt_rdata((unsigned char *)res->data[i],
			    (size_t)res->len[i], buf, &len) < 0) {
				q->txt->dropped++;
				continue;
			}
			q->txt->rr[q->txt->n] = pw_xmalloc(len + 1);
			memcpy(q->txt->rr[q->txt->n], buf, len + 1);
			q->txt->len[q->txt->n++] = len;
		}
		free(buf);
		return;
	}
	q->mx->secure = res->secure != 0;
	for (i = 0; res->data[i] != NULL; i++) {
		if (q->mx->n == PW_DNS_RR_MAX || res->len[i] < 0 ||
		    pw_dns_mx_rdata((unsigned char *)res->data[i],
		    (size_t)res->len[i], &q->mx->rr[q->mx->n].pref,
		    q->mx->rr[q->mx->n].host) < 0) {
			q->mx->dropped++;
			continue;
		}
		q->mx->n++;
	}
}

/* libunbound's callback: the verdict, and the records when found. */
static void
pw_dns_done(void *arg, int err, struct ub_result *res)
{
	struct pw_dns_query *q = arg;

	q->done = true;
	q->err = err;
	if (err != 0 || res == NULL)
		q->st = PW_DNS_SERVFAIL;
	else if (res->bogus)
		q->st = PW_DNS_BOGUS;
	else if (res->havedata) {
		q->st = PW_DNS_FOUND;
		pw_dns_take(q, res);
	} else if (res->nxdomain || res->rcode == PW_DNS_RCODE_NXDOMAIN)
		q->st = PW_DNS_NXDOMAIN;
	else if (res->rcode == 0)
		q->st = PW_DNS_NODATA;
	else
		q->st = PW_DNS_SERVFAIL;
	if (res != NULL)
		ub_resolve_free(res);
}

/* Run one query to its end or the deadline. */
static enum pw_dns_status
pw_dns_query(struct pw_dns *dns, const char *name, struct pw_dns_query *q)
{
	long long deadline = pw_clock_ms() + dns->timeout_ms, left;
	struct pollfd pfd;
	int id, rc;

	q->done = false;
	if (ub_resolve_async(dns->ctx, name, q->type, PW_DNS_CLASS_IN, q,
	    pw_dns_done, &id) != 0)
		return PW_DNS_SERVFAIL;
	pfd.fd = ub_fd(dns->ctx);
	pfd.events = POLLIN;
	while (!q->done) {
		left = deadline - pw_clock_ms();
		if (left <= 0)
			break;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno != EINTR)
			break;
		if (rc > 0 && ub_process(dns->ctx) != 0)
			break;
	}
	if (!q->done) {
		/* The callback will not be called after a successful cancel. */
		if (ub_cancel(dns->ctx, id) != 0)
			(void)ub_wait(dns->ctx);
		if (!q->done)
			return PW_DNS_TIMEOUT;
	}
	return q->st;
}

enum pw_dns_status
pw_dns_txt(struct pw_dns *dns, const char *name, struct pw_dns_txt *out)
{
	struct pw_dns_query q = { .type = PW_DNS_TYPE_TXT, .txt = out };

	memset(out, 0, sizeof(*out));
	return pw_dns_query(dns, name, &q);
}

void
pw_dns_txt_free(struct pw_dns_txt *out)
{
	size_t i;

	for (i = 0; i < out->n; i++) {
		free(out->rr[i]);
		out->rr[i] = NULL;
	}
	out->n = 0;
}

enum pw_dns_status
pw_dns_mx(struct pw_dns *dns, const char *name, struct pw_dns_mx *out)
{
	struct pw_dns_query q = { .type = PW_DNS_TYPE_MX, .mx = out };

	memset(out, 0, sizeof(*out));
	return pw_dns_query(dns, name, &q);
}
