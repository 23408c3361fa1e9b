/*
 * milter_domain.c -- whether a tenant owns a domain, cached, and the
 * replies of the domain rules (see milter_domain.h).
 *
 * Exports: milter_domain_cache_new/_expire,
 * milter_domain_owned, milter_domain_reply, milter_domain_reply_text.
 *
 * Redis: one HMGET <prefix>{T}:domains D P1 P2 ... (D's parents, most
 * specific first) per fill, and an HLEN of the same hash only when no
 * field answers; on a handle borrowed from milter_identity.c's pool.
 * When Redis fails, a pair's entry is kept, and Redis is asked again
 * MILTER_DOMAIN_RETRY_MS later at the earliest, so that a Redis that
 * hangs delays one message a second, not every message.
 *
 * Threads: the cache's one mutex (lib/cache.h), held to copy an entry in
 * or out, never across a Redis command.
 *
 * Failures and logs: the caller logs (with the queue id); nothing here
 * logs per message.  Values in Redis other than "exact" and "subdomains"
 * count as "exact" for the field itself and never cover subdomains.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "cache.h"
#include "clock.h"
#include "identity.h"
#include "milter.h"
#include "milter_domain.h"
#include "milter_identity.h"
#include "milter_metrics.h"
#include "redis.h"
#include "schema.h"
#include "xmalloc.h"

#define MILTER_DOMAIN_RETRY_MS	1000
#define MILTER_DOMAIN_LABELS	128	/* a 253-byte name has at most 127 */

/* The value of a (tenant, domain)'s cache entry (lib/cache.h). */
struct milter_domain_slot {
	bool				 stale;		/* Redis failed */
	enum milter_domain_verdict	 verdict;
	int64_t				 expires_ms;
};

/* A cache key: tenant, a NUL, domain (normal form, or ""). */
#define MILTER_DOMAIN_KEY_MAX \
	(PW_IDENTITY_TENANT_MAX + 1 + PW_ADDRESS_DOMAIN_MAX)

static const struct milter_domain_reply
    milter_domain_replies[MILTER_DOMAIN_RULE_COUNT] = {
	[MILTER_DOMAIN_RULE_FROM] = { "from_domain", "550", "5.7.1",
	    "From domain %s is not a sending domain of tenant %s" },
	[MILTER_DOMAIN_RULE_NO_FROM] = { "from_domain", "550", "5.7.1",
	    "No single From domain (one From field with one mailbox); "
	    "tenant %s sends only from its sending domains" },
	[MILTER_DOMAIN_RULE_NONE] = { "from_domain", "550", "5.7.1",
	    "Tenant %s has no sending domain; add one with "
	    "postwarden domain add" },
};

const struct milter_domain_reply *
milter_domain_reply(enum milter_domain_rule r)
{
	return &milter_domain_replies[r < MILTER_DOMAIN_RULE_COUNT ? r : 0];
}

char *
milter_domain_reply_text(enum milter_domain_rule r, const char *tenant,
    const char *domain, char *buf, size_t bufsize)
{
	const char *t = milter_domain_reply(r)->text, *s;
	const char *args[2] = { tenant, tenant };
	size_t o = 0, n = 0;

	if (r == MILTER_DOMAIN_RULE_FROM)
		args[0] = domain;
	/* Each "%s" is the next argument (the templates have no other %). */
	for (; *t != '\0' && o + 1 < bufsize; t++) {
		if (t[0] == '%' && t[1] == 's') {
			s = n < 2 && args[n] != NULL ? args[n] : "";
			n++;
			t++;
			for (; *s != '\0' && o + 1 < bufsize; s++)
				buf[o++] = *s;
		} else
			buf[o++] = *t;
	}
	buf[o] = '\0';
	return buf;
}

/* --- cache ------------------------------------------------------------ */

struct pw_cache *
milter_domain_cache_new(size_t size)
{
	return pw_cache_new(size, sizeof(struct milter_domain_slot), NULL);
}

static void
milter_domain_slot_due(void *value, void *arg)
{
	(void)arg;
	((struct milter_domain_slot *)value)->expires_ms = 0;
}

void
milter_domain_cache_expire(struct pw_cache *c)
{
	pw_cache_lock(c);
	pw_cache_foreach(c, milter_domain_slot_due, NULL);
	pw_cache_unlock(c);
}

/* --- Redis ------------------------------------------------------------ */

/*
 * Ask Redis whether tenant owns domain ("" for none): 0 and *verdict_r,
 * or -1 and a static reason.
 */
static int
milter_domain_fetch(const struct pw_runtime *rt, const char *tenant,
    const char *domain, enum milter_domain_verdict *verdict_r,
    const char **why_r)
{
	const char *argv[2 + MILTER_DOMAIN_LABELS];
	const char *p;
	char key[256];
	struct pw_redis *r;
	redisReply *reply = NULL, *e;
	size_t i;
	int argc = 0, ret = -1;

	if (pw_schema_key(key, sizeof(key), rt->conf->redis_key_prefix,
	    PW_SCHEMA_DOMAINS, tenant, NULL, NULL) < 0) {
		*why_r = "domains key name too long";
		return -1;
	}
	if ((r = milter_identity_redis_take(rt)) == NULL) {
		*why_r = "redis: no handle";
		return -1;
	}
	if (*domain != '\0') {
		argv[argc++] = "HMGET";
		argv[argc++] = key;
		/* D, then each parent: "a.b.c" -> "b.c" -> "c". */
		for (p = domain; p != NULL && argc < 2 + MILTER_DOMAIN_LABELS;
		    p = strchr(p, '.'), p = p != NULL ? p + 1 : NULL)
			argv[argc++] = p;
		reply = pw_redis_command_argv(r, argc, argv, NULL, why_r);
		if (reply == NULL)
			goto out;
		if (reply->type != REDIS_REPLY_ARRAY ||
		    reply->elements != (size_t)(argc - 2)) {
			*why_r = "redis: unexpected reply to HMGET";
			goto out;
		}
		for (i = 0; i < reply->elements; i++) {
			e = reply->element[i];
			if (e->type == REDIS_REPLY_NIL)
				continue;
			if (e->type != REDIS_REPLY_STRING) {
				*why_r = "redis: unexpected reply to HMGET";
				goto out;
			}
			if (i == 0 || (e->len == 10 &&
			    memcmp(e->str, "subdomains", 10) == 0)) {
				*verdict_r = MILTER_DOMAIN_OWNED;
				ret = 0;
				goto out;
			}
		}
		freeReplyObject(reply);
		reply = NULL;
	}
	argv[0] = "HLEN";
	argv[1] = key;
	if ((reply = pw_redis_command_argv(r, 2, argv, NULL, why_r)) == NULL)
		goto out;
	if (reply->type != REDIS_REPLY_INTEGER) {
		*why_r = "redis: unexpected reply to HLEN";
		goto out;
	}
	*verdict_r = reply->integer > 0 ? MILTER_DOMAIN_NOT_OWNED :
	    MILTER_DOMAIN_NONE;
	ret = 0;
out:
	if (reply != NULL)
		freeReplyObject(reply);
	milter_identity_redis_give(rt, r);
	return ret;
}

enum milter_domain_verdict
milter_domain_owned(const struct pw_runtime *rt, const char *tenant,
    const char *domain, bool *stale_r, const char **why_r)
{
	struct pw_cache *c = ((const struct milter_runtime *)rt->extra)->domains;
	char norm[PW_ADDRESS_MAX + 1], at[PW_ADDRESS_DOMAIN_MAX + 2];
	char ckey[MILTER_DOMAIN_KEY_MAX];
	size_t ckeylen;
	struct milter_domain_slot *slot;
	enum milter_domain_verdict v = MILTER_DOMAIN_UNKNOWN, fresh;
	int64_t now = pw_clock_ms();
	bool found = false;

	*stale_r = false;
	*why_r = NULL;
	if (tenant == NULL ||
	    !pw_identity_valid_tenant(tenant, strlen(tenant))) {
		*why_r = "not a valid tenant name";
		return MILTER_DOMAIN_UNKNOWN;
	}
	/*
	 * lib/address's normal form, as `postwarden domain add` writes.  A
	 * domain without one ("-x.example") is in no tenant's hash: it is
	 * asked as no domain at all (NOT_OWNED or NONE).
	 */
	norm[0] = '\0';
	if (domain != NULL && *domain != '\0' &&
	    strlen(domain) <= PW_ADDRESS_DOMAIN_MAX) {
		snprintf(at, sizeof(at), "@%s", domain);
		if (pw_address_normalize(at, strlen(at), PW_ADDRESS_F_DOMAIN,
		    norm, why_r) < 0 || norm[0] != '@' ||
		    strlen(norm + 1) > PW_ADDRESS_DOMAIN_MAX)
			norm[0] = '\0';
		else
			memmove(norm, norm + 1, strlen(norm));
		*why_r = NULL;
	}
	ckeylen = pw_cache_key2(ckey, tenant, norm);
	pw_cache_lock(c);
	if ((slot = pw_cache_find(c, ckey, ckeylen)) != NULL) {
		found = true;
		v = slot->verdict;
		*stale_r = slot->stale;
		if (now < slot->expires_ms) {
			pw_cache_unlock(c);
			milter_metrics_cache(MILTER_METRICS_CACHE_DOMAIN,
			    MILTER_METRICS_HIT);
			return v;
		}
	}
	pw_cache_unlock(c);
	if (milter_domain_fetch(rt, tenant, norm, &fresh, why_r) == 0) {
		pw_cache_lock(c);
		slot = pw_cache_put(c, ckey, ckeylen, NULL);
		slot->verdict = fresh;
		slot->stale = false;
		slot->expires_ms = now + rt->conf->identity_cache_ttl_ms;
		pw_cache_unlock(c);
		*stale_r = false;
		milter_metrics_cache(MILTER_METRICS_CACHE_DOMAIN,
		    MILTER_METRICS_MISS);
		return fresh;
	}
	/* Redis failed: the last answer stands; ask again a bit later. */
	pw_cache_lock(c);
	if ((slot = pw_cache_find(c, ckey, ckeylen)) != NULL) {
		v = slot->verdict;
		found = true;
		slot->stale = true;
		slot->expires_ms = now + MILTER_DOMAIN_RETRY_MS;
	}
	pw_cache_unlock(c);
	milter_metrics_cache(MILTER_METRICS_CACHE_DOMAIN, found ?
	    MILTER_METRICS_STALE : MILTER_METRICS_UNKNOWN);
	if (!found)
		return MILTER_DOMAIN_UNKNOWN;
	*stale_r = true;
	return v;
}
