/*
 * identity.c -- (SASL user, client address, sender) -> (key, tenant);
 * see identity.h for the rules.
 *
 * Tables are small arrays: networks sorted by prefix length (longest
 * first, scanned linearly: there are a handful), sender domains sorted by
 * name and searched with bsearch.  All input from the network is bounded
 * and validated before it is used as a Redis key or logged.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cidr.h"
#include "identity.h"
#include "schema.h"
#include "table.h"
#include "xmalloc.h"

/* A table bigger than this is a mistake, not a configuration. */
#define PW_IDENTITY_TABLE_MAX	100000
#define PW_IDENTITY_LINE_MAX	1024
#define PW_IDENTITY_DOMAIN_MAX	253

struct pw_identity_net {
	struct pw_cidr	cidr;
	char		tenant[PW_IDENTITY_TENANT_MAX + 1];
};

struct pw_identity_domain {
	char	*domain;		/* lower case; leading "." = subdomains */
	char	 tenant[PW_IDENTITY_TENANT_MAX + 1];
};

struct pw_identity_tables {
	struct pw_identity_net		*nets;
	size_t				 nnets;
	struct pw_identity_domain	*domains;
	size_t				 ndomains;
};

int
pw_identity_valid_key(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > PW_IDENTITY_KEY_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '_' && c != '-' && c != '.' &&
		    c != '@' && c != '+')
			return 0;
	}
	return 1;
}

int
pw_identity_valid_tenant(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > PW_IDENTITY_TENANT_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(islower(c) || isdigit(c) || c == '_' || c == '-' ||
		    c == '.'))
			return 0;
	}
	return 1;
}

const char *
pw_identity_source_name(enum pw_identity_source source)
{
	switch (source) {
	case PW_IDENTITY_SASL:
		return "sasl";
	case PW_IDENTITY_NETWORK:
		return "network";
	case PW_IDENTITY_SENDER:
		return "sender";
	default:
		return "none";
	}
}

/* --- table loading ---------------------------------------------------------- */

static int
pw_identity_net_cmp(const void *a, const void *b)
{
	const struct pw_identity_net *x = a, *y = b;

	return (int)y->cidr.bits - (int)x->cidr.bits;
}

static int
pw_identity_domain_cmp(const void *a, const void *b)
{
	const struct pw_identity_domain *x = a, *y = b;

	return strcmp(x->domain, y->domain);
}

static int
pw_identity_valid_domain(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > PW_IDENTITY_DOMAIN_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.')
			return 0;
	return 1;
}

/* What the table reader hands each line to. */
struct pw_identity_reader {
	struct pw_identity_tables	*t;
	size_t				*count;
	int	(*add)(struct pw_identity_tables *, const char *,
		    const char *, const char **);
};

/* pw_table_line_fn for "key tenant" lines. */
static int
pw_identity_read_line(char **f, int nf, void *arg, const char **why_r,
    char *msg, size_t msgsize)
{
	struct pw_identity_reader *r = arg;

	if (nf != 2) {
		*why_r = "expected \"key tenant\"";
		return -1;
	}
	if (!pw_identity_valid_tenant(f[1], strlen(f[1]))) {
		*why_r = "bad tenant name (a-z 0-9 . _ -, at most 64)";
		return -1;
	}
	if (*r->count >= PW_IDENTITY_TABLE_MAX) {
		*why_r = "too many entries";
		return -1;
	}
	return r->add(r->t, f[0], f[1], why_r);
}

/*
 * Read "key tenant" lines from path, calling add() for each.  -1 with
 * "path:line: reason" in err on the first bad line.
 */
static int
pw_identity_read_table(const char *path,
    int (*add)(struct pw_identity_tables *, const char *, const char *,
    const char **), struct pw_identity_tables *t, size_t *count,
    char *err, size_t errsize)
{
	struct pw_identity_reader r = { t, count, add };

	return pw_table_read(path, PW_IDENTITY_LINE_MAX,
	    pw_identity_read_line, &r, err, errsize);
}

static int
pw_identity_add_net(struct pw_identity_tables *t, const char *key,
    const char *tenant, const char **why_r)
{
	struct pw_identity_net net;

	if (pw_cidr_parse(key, strlen(key), &net.cidr) < 0) {
		*why_r = "bad network (expected address/bits with host bits "
		    "zero)";
		return -1;
	}
	snprintf(net.tenant, sizeof(net.tenant), "%s", tenant);
	t->nets = pw_xrealloc(t->nets, (t->nnets + 1) * sizeof(*t->nets));
	t->nets[t->nnets++] = net;
	return 0;
}

static int
pw_identity_add_domain(struct pw_identity_tables *t, const char *key,
    const char *tenant, const char **why_r)
{
	struct pw_identity_domain *d;
	char *p;

	if (!pw_identity_valid_domain(key) ||
	    (key[0] == '.' && key[1] == '\0')) {
		*why_r = "bad domain";
		return -1;
	}
	t->domains = pw_xrealloc(t->domains,
	    (t->ndomains + 1) * sizeof(*t->domains));
	d = &t->domains[t->ndomains++];
	d->domain = pw_xstrdup(key);
	for (p = d->domain; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	snprintf(d->tenant, sizeof(d->tenant), "%s", tenant);
	return 0;
}

int
pw_identity_tables_load(const char *network_path, const char *sender_path,
    struct pw_identity_tables **tables_r, char *err, size_t errsize)
{
	struct pw_identity_tables *t = pw_xcalloc(1, sizeof(*t));
	size_t i;

	if (network_path != NULL && *network_path != '\0' &&
	    pw_identity_read_table(network_path, pw_identity_add_net, t,
	    &t->nnets, err, errsize) < 0)
		goto fail;
	if (sender_path != NULL && *sender_path != '\0' &&
	    pw_identity_read_table(sender_path, pw_identity_add_domain, t,
	    &t->ndomains, err, errsize) < 0)
		goto fail;
	/* qsort(NULL, 0, ...) is undefined: empty tables have no array. */
	if (t->nnets > 1)
		qsort(t->nets, t->nnets, sizeof(*t->nets),
		    pw_identity_net_cmp);
	if (t->ndomains > 1)
		qsort(t->domains, t->ndomains, sizeof(*t->domains),
		    pw_identity_domain_cmp);
	for (i = 1; i < t->ndomains; i++) {
		if (strcmp(t->domains[i - 1].domain, t->domains[i].domain) == 0) {
			snprintf(err, errsize, "%s: domain %s listed twice",
			    sender_path, t->domains[i].domain);
			goto fail;
		}
	}
	*tables_r = t;
	return 0;
fail:
	pw_identity_tables_free(&t);
	return -1;
}

void
pw_identity_tables_free(struct pw_identity_tables **tablesp)
{
	struct pw_identity_tables *t = *tablesp;
	size_t i;

	if (t == NULL)
		return;
	*tablesp = NULL;
	for (i = 0; i < t->ndomains; i++)
		free(t->domains[i].domain);
	free(t->domains);
	free(t->nets);
	free(t);
}

/* --- lookups -------------------------------------------------------------------- */

static const char *
pw_identity_match_net(const struct pw_identity_tables *t, const char *addr)
{
	struct pw_cidr_addr a;
	size_t i;

	if (pw_cidr_addr_parse(addr, &a) < 0)
		return NULL;
	/* Sorted longest prefix first: the first match is the best. */
	for (i = 0; i < t->nnets; i++)
		if (pw_cidr_match(&t->nets[i].cidr, &a))
			return t->nets[i].tenant;
	return NULL;
}

static const struct pw_identity_domain *
pw_identity_find_domain(const struct pw_identity_tables *t, const char *name)
{
	struct pw_identity_domain key = { .domain = (char *)name };

	return bsearch(&key, t->domains, t->ndomains, sizeof(*t->domains),
	    pw_identity_domain_cmp);
}

static const char *
pw_identity_match_sender(const struct pw_identity_tables *t,
    const char *sender)
{
	char domain[PW_IDENTITY_DOMAIN_MAX + 1];
	const struct pw_identity_domain *d;
	const char *at = strrchr(sender, '@');
	const char *p;
	size_t len, i;

	if (at == NULL || t->ndomains == 0)
		return NULL;
	len = strlen(at + 1);
	/* The MAIL FROM argument may still carry its angle brackets. */
	if (len > 0 && at[len] == '>')
		len--;
	if (len == 0 || len > PW_IDENTITY_DOMAIN_MAX)
		return NULL;
	for (i = 0; i < len; i++)
		domain[i] = (char)tolower((unsigned char)at[1 + i]);
	domain[len] = '\0';
	if (!pw_identity_valid_domain(domain))
		return NULL;
	if ((d = pw_identity_find_domain(t, domain)) != NULL)
		return d->tenant;
	/* ".example.com" entries match sub.example.com, a.b.example.com... */
	for (p = strchr(domain, '.'); p != NULL; p = strchr(p + 1, '.'))
		if ((d = pw_identity_find_domain(t, p)) != NULL)
			return d->tenant;
	return NULL;
}

enum pw_identity_result
pw_identity_resolve(const struct pw_identity_tables *t,
    const char *sasl_username, const char *client_address,
    const char *sender, struct pw_identity *id, const char **why_r)
{
	const char *tenant = NULL;

	memset(id, 0, sizeof(*id));
	if (sasl_username != NULL && *sasl_username != '\0') {
		size_t len = strlen(sasl_username);

		if (!pw_identity_valid_key(sasl_username, len)) {
			*why_r = "SASL user name is not a valid key id";
			return PW_IDENTITY_INVALID_KEY;
		}
		id->source = PW_IDENTITY_SASL;
		memcpy(id->key, sasl_username, len + 1);
		return PW_IDENTITY_OK;
	}
	if (t != NULL && client_address != NULL &&
	    (tenant = pw_identity_match_net(t, client_address)) != NULL)
		id->source = PW_IDENTITY_NETWORK;
	else if (t != NULL && sender != NULL &&
	    (tenant = pw_identity_match_sender(t, sender)) != NULL)
		id->source = PW_IDENTITY_SENDER;
	if (tenant != NULL)
		snprintf(id->tenant, sizeof(id->tenant), "%s", tenant);
	return PW_IDENTITY_OK;
}

void
pw_identity_key_argv(const char *prefix, const struct pw_identity *id,
    char *keybuf, size_t keybufsize, const char *argv[PW_IDENTITY_KEY_ARGC],
    size_t argvlen[PW_IDENTITY_KEY_ARGC])
{
	(void)pw_schema_key(keybuf, keybufsize, prefix, PW_SCHEMA_KEY_DIR,
	    NULL, id->key, NULL);	/* keybuf: sized for the longest */
	argv[0] = "HGET";
	argv[1] = keybuf;
	argv[2] = "tenant";
	argvlen[0] = 4;
	argvlen[1] = strlen(keybuf);
	argvlen[2] = 6;
}

enum pw_identity_result
pw_identity_key_reply(const redisReply *reply, struct pw_identity *id,
    const char **why_r)
{
	if (reply == NULL) {
		*why_r = "no reply from Redis";
		return PW_IDENTITY_FAILED;
	}
	switch (reply->type) {
	case REDIS_REPLY_NIL:
		return PW_IDENTITY_UNKNOWN_KEY;
	case REDIS_REPLY_STRING:
		if (!pw_identity_valid_tenant(reply->str, reply->len)) {
			*why_r = "key record names an invalid tenant";
			return PW_IDENTITY_FAILED;
		}
		memcpy(id->tenant, reply->str, reply->len);
		id->tenant[reply->len] = '\0';
		return PW_IDENTITY_OK;
	case REDIS_REPLY_ERROR:
		*why_r = "Redis error reading the key record";
		return PW_IDENTITY_FAILED;
	default:
		*why_r = "unexpected Redis reply type for the key record";
		return PW_IDENTITY_FAILED;
	}
}
