/*
 * policyd_records.c -- the daemon's copy of a tenant's and key's records
 * under their generation, and the checks made from it (see
 * policyd_records.h).
 *
 * The checks and their order are lua/rcpt.lua's before they moved here:
 * a missing tenant or key record ("lost"); status, disabled first
 * (tenant, then key), then suspended; the sender's domain; a limit that
 * cannot be read (lib/limit.c), the tenant's fields then the key's in
 * pw_limit_fields order; the key's countries.  The verdict has the
 * script's reply shape, so policyd_rules.c turns it into the same reply.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "identity.h"
#include "policyd_records.h"
#include "xmalloc.h"

struct policyd_records_cache {
	struct pw_cache	*cache;
};

/* The cache key: tenant, a NUL, key id. */
static size_t
policyd_records_key(char *dst, size_t dstsize, const char *tenant,
    const char *key)
{
	int n = snprintf(dst, dstsize, "%s%c%s", tenant, '\0', key);

	return n < 0 ? 0 : (size_t)n < dstsize ? (size_t)n : dstsize - 1;
}

struct policyd_records_cache *
policyd_records_cache_new(size_t slots)
{
	struct policyd_records_cache *c = pw_xcalloc(1, sizeof(*c));

	c->cache = pw_cache_new(slots, sizeof(struct policyd_records), NULL);
	return c;
}

void
policyd_records_cache_free(struct policyd_records_cache **cp)
{
	struct policyd_records_cache *c = *cp;

	if (c == NULL)
		return;
	*cp = NULL;
	pw_cache_free(&c->cache);
	free(c);
}

bool
policyd_records_get(struct policyd_records_cache *c, const char *tenant,
    const char *key, int64_t now_ms, int64_t max_ms, struct policyd_records *r)
{
	char k[PW_IDENTITY_TENANT_MAX + PW_IDENTITY_KEY_MAX + 2];
	size_t n = policyd_records_key(k, sizeof(k), tenant, key);
	struct policyd_records *e;
	bool found = false;

	if (max_ms <= 0)
		return false;
	pw_cache_lock(c->cache);
	if ((e = pw_cache_find(c->cache, k, n)) != NULL && e->read_ms > 0 &&
	    now_ms - e->read_ms < max_ms) {
		memcpy(r, e, sizeof(*r));
		found = true;
	}
	pw_cache_unlock(c->cache);
	return found;
}

void
policyd_records_put(struct policyd_records_cache *c, const char *tenant,
    const char *key, const struct policyd_records *r)
{
	char k[PW_IDENTITY_TENANT_MAX + PW_IDENTITY_KEY_MAX + 2];
	size_t n = policyd_records_key(k, sizeof(k), tenant, key);

	pw_cache_lock(c->cache);
	memcpy(pw_cache_put(c->cache, k, n, NULL), r, sizeof(*r));
	pw_cache_unlock(c->cache);
}

void
policyd_records_forget(struct policyd_records_cache *c, const char *tenant,
    const char *key)
{
	char k[PW_IDENTITY_TENANT_MAX + PW_IDENTITY_KEY_MAX + 2];
	size_t n = policyd_records_key(k, sizeof(k), tenant, key);

	pw_cache_lock(c->cache);
	pw_cache_remove(c->cache, k, n);
	pw_cache_unlock(c->cache);
}

char
policyd_records_sender(const struct policyd_records *r, const char *sdom)
{
	size_t i;

	if (*sdom == '\0')
		return 'o';
	for (i = 0; i < POLICYD_RECORDS_DOMAINS; i++)
		if (r->dom_name[i][0] != '\0' &&
		    strcmp(r->dom_name[i], sdom) == 0)
			return r->dom_verdict[i];
	if (r->dom_long[0] != '\0' && strcmp(r->dom_long, sdom) == 0)
		return r->dom_long_verdict;
	return 0;
}

int
policyd_records_sender_args(const char *sdom, char *buf, const char **argv)
{
	int n = 0;
	char *p;

	if (*sdom == '\0' || strcmp(sdom, "@") == 0) {
		argv[n++] = sdom;
		return n;
	}
	argv[n++] = "d";
	snprintf(buf, PW_ADDRESS_DOMAIN_MAX + 2, "%s", sdom);
	argv[n++] = buf;
	if (buf[0] == '[')	/* a literal: itself only */
		return n;
	/* Each parent: the rest after a dot, in place (NUL, then next). */
	for (p = buf; (p = strchr(p, '.')) != NULL; ) {
		/*
		 * The names share buf: the parent starts after the dot, and
		 * the child keeps its full text because each argv entry is
		 * a suffix of the original string.
		 */
		p++;
		argv[n++] = p;
	}
	return n;
}

/* The field of a flat HGETALL reply, or NULL. */
static const char *
policyd_records_field(const redisReply *h, const char *name, size_t *len_r)
{
	size_t i;

	for (i = 0; i + 1 < h->elements; i += 2)
		if (h->element[i]->type == REDIS_REPLY_STRING &&
		    h->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(h->element[i]->str, name) == 0) {
			if (len_r != NULL)
				*len_r = h->element[i + 1]->len;
			return h->element[i + 1]->str;
		}
	return NULL;
}

/* A record (an HGETALL reply, not empty) into s; a key's countries into cs. */
static void
policyd_records_subject(const redisReply *h, struct policyd_records_subject *s,
    struct policyd_records_countries *cs)
{
	const char *v, *p;
	char norm[256 * 4];
	size_t i, o = 0, len = 0;
	long long n;

	memset(s, 0, sizeof(*s));
	if (cs != NULL)
		memset(cs, 0, sizeof(*cs));
	s->invalid = -1;
	v = policyd_records_field(h, "status", NULL);
	s->status = v == NULL ? 'a' : strcmp(v, "disabled") == 0 ? 'd' :
	    strcmp(v, "suspended") == 0 ? 's' : 'a';
	for (i = 0; i < PW_LIMIT_NFIELDS; i++) {
		v = policyd_records_field(h, pw_limit_fields[i], &len);
		/* A NUL inside is not digits, as Lua reads it. */
		switch (v != NULL && strlen(v) != len ? PW_LIMIT_INVALID :
		    pw_limit_parse(v, &n)) {
		case PW_LIMIT_SET:
			s->limit[i] = n;
			break;
		case PW_LIMIT_NONE:
			break;
		default:
			if (s->invalid < 0) {
				s->invalid = (int)i;
				snprintf(s->invalid_value,
				    sizeof(s->invalid_value), "%s", v);
			}
			break;
		}
	}
	if (cs == NULL ||
	    (v = policyd_records_field(h, "countries", &len)) == NULL)
		return;
	/*
	 * As lua/rcpt.lua read it: set when it has a non-space; the list
	 * is its text without white space, upper case, split at commas.
	 */
	for (p = v; p < v + len; p++)
		if (!isspace((unsigned char)*p))
			cs->set = true;
	if (!cs->set)
		return;
	for (p = v; p < v + len && o + 1 < sizeof(norm); p++)
		if (!isspace((unsigned char)*p))
			norm[o++] = (char)toupper((unsigned char)*p);
	norm[o] = '\0';
	memcpy(cs->norm, norm, o < sizeof(cs->norm) ? o : sizeof(cs->norm) - 1);
	for (p = norm; *p != '\0'; ) {
		const char *e = strchr(p, ',');
		size_t l = e != NULL ? (size_t)(e - p) : strlen(p);

		if (l == 2 && isupper((unsigned char)p[0]) &&
		    isupper((unsigned char)p[1])) {
			unsigned b = (unsigned)(p[0] - 'A') * 26 +
			    (unsigned)(p[1] - 'A');

			cs->codes[b / 8] |= (unsigned char)(1u << (b % 8));
		}
		p += l;
		if (*p == ',')
			p++;
	}
}

int
policyd_records_parse(const redisReply *reply, bool with_key,
    const char *sdom, int64_t now_ms, struct policyd_records *r)
{
	const redisReply *g, *t, *k, *v;
	char verdict;
	bool same;
	unsigned i;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4)
		return -1;
	g = reply->element[0];
	t = reply->element[1];
	k = reply->element[2];
	v = reply->element[3];
	if (g->type != REDIS_REPLY_STRING || g->len >= sizeof(r->gen) ||
	    t->type != REDIS_REPLY_ARRAY || k->type != REDIS_REPLY_ARRAY ||
	    v->type != REDIS_REPLY_STRING)
		return -1;
	same = r->read_ms > 0 && strcmp(r->gen, g->str) == 0;
	if (!same)
		memset(r, 0, sizeof(*r));
	r->read_ms = now_ms;
	snprintf(r->gen, sizeof(r->gen), "%s", g->str);
	r->lost_tenant = t->elements == 0;
	r->lost_key = with_key && k->elements == 0;
	if (!r->lost_tenant)
		policyd_records_subject(t, &r->tenant, NULL);
	if (with_key && !r->lost_key)
		policyd_records_subject(k, &r->key, &r->countries);
	verdict = strcmp(v->str, "owned") == 0 ? 'o' :
	    strcmp(v->str, "none") == 0 ? 'n' :
	    strcmp(v->str, "other") == 0 ? 'x' : 0;
	/* No verdict would read as "owned" later: fail closed. */
	if (*sdom != '\0' && verdict == 0)
		return -1;
	if (*sdom != '\0' && verdict != 0 &&
	    strlen(sdom) > POLICYD_RECORDS_DOMAIN_MAX) {
		/* Never a truncated name (one longer is not kept). */
		if (strlen(sdom) < sizeof(r->dom_long)) {
			memcpy(r->dom_long, sdom, strlen(sdom) + 1);
			r->dom_long_verdict = verdict;
		}
	} else if (*sdom != '\0' && verdict != 0) {
		for (i = 0; i < POLICYD_RECORDS_DOMAINS; i++)
			if (strcmp(r->dom_name[i], sdom) == 0)
				break;
		if (i == POLICYD_RECORDS_DOMAINS) {
			i = r->dom_next++ % POLICYD_RECORDS_DOMAINS;
			snprintf(r->dom_name[i], sizeof(r->dom_name[i]), "%s",
			    sdom);
		}
		r->dom_verdict[i] = verdict;
	}
	return 0;
}

/* Set fields[0..n) from the strings; returns n. */
static int
policyd_records_fields(char fields[][80], int n, const char **s)
{
	int i;

	for (i = 0; i < n; i++)
		snprintf(fields[i], 80, "%s", s[i] != NULL ? s[i] : "");
	return n;
}

int
policyd_records_verdict(const struct policyd_records *r, bool with_key,
    const char *sdom, bool domains_required, const char *country,
    char fields[][80])
{
	const struct policyd_records_subject *s[2];
	const char *f[7];
	static const char *const who[2] = { "tenant", "key" };
	char v;
	int n = with_key ? 2 : 1, i, st;
	unsigned b;

	if (r->lost_tenant || r->lost_key) {
		f[0] = "lost";
		f[1] = r->lost_tenant ? "tenant" : "key";
		return policyd_records_fields(fields, 2, f);
	}
	s[0] = &r->tenant;
	s[1] = &r->key;
	f[0] = "refuse";
	/* 1. status: disabled first (permanent), then suspended. */
	for (st = 0; st < 2; st++)
		for (i = 0; i < n; i++)
			if (s[i]->status == (st == 0 ? 'd' : 's')) {
				f[1] = "status";
				f[2] = who[i];
				f[3] = st == 0 ? "disabled" : "suspended";
				f[4] = f[5] = f[6] = "";
				return policyd_records_fields(fields, 7, f);
			}
	/* 1a. the sender's domain. */
	v = policyd_records_sender(r, sdom);
	if (v == 'n' && domains_required) {
		f[1] = "sender";
		f[2] = "tenant";
		f[3] = "none";
		f[4] = f[5] = f[6] = "";
		return policyd_records_fields(fields, 7, f);
	}
	if (v == 'x') {
		f[1] = "sender";
		f[2] = "tenant";
		f[3] = strcmp(sdom, "@") == 0 ? "bare" : "domain";
		f[4] = strcmp(sdom, "@") == 0 ? "" : sdom;
		f[5] = f[6] = "";
		return policyd_records_fields(fields, 7, f);
	}
	/* 1b. a limit that cannot be read. */
	for (i = 0; i < n; i++)
		if (s[i]->invalid >= 0) {
			f[1] = "invalid";
			f[2] = who[i];
			f[3] = pw_limit_fields[s[i]->invalid];
			f[4] = s[i]->invalid_value;
			f[5] = f[6] = "";
			return policyd_records_fields(fields, 7, f);
		}
	/* 2. GeoIP: the key's countries. */
	if (with_key && strcmp(country, "-") != 0 && r->countries.set) {
		bool ok = false;

		if (strlen(country) == 2 && isupper((unsigned char)country[0]) &&
		    isupper((unsigned char)country[1])) {
			b = (unsigned)(country[0] - 'A') * 26 +
			    (unsigned)(country[1] - 'A');
			ok = (r->countries.codes[b / 8] >> (b % 8)) & 1;
		}
		if (!ok) {
			f[1] = "country";
			f[2] = "key";
			f[3] = country;
			f[4] = r->countries.norm;
			f[5] = f[6] = "";
			return policyd_records_fields(fields, 7, f);
		}
	}
	return 0;
}

int
policyd_records_limits(const struct policyd_records *r, bool with_key,
    char fields[][24], const char **argv)
{
	/* lua/rcpt.lua's order, as indexes of pw_limit_fields. */
	static const int order[8] = { 6, 7, 3, 4, 5, 0, 1, 2 };
	const struct policyd_records_subject *s;
	int n = 0, i, j;

	for (j = 0; j < (with_key ? 2 : 1); j++) {
		s = j == 0 ? &r->tenant : &r->key;
		for (i = 0; i < 8; i++, n++) {
			if (s->limit[order[i]] > 0)
				snprintf(fields[n], 24, "%lld",
				    s->limit[order[i]]);
			else
				fields[n][0] = '\0';
			argv[n] = fields[n];
		}
	}
	return n;
}
