/*
 * milter_keys.c -- a tenant's DKIM keys of one domain from Redis, opened
 * and cached (see milter_keys.h).
 *
 * Exports: milter_keys_cache_new/_expire, milter_keys_get,
 * milter_keys_list, milter_keys_release.
 *
 * Redis, per fill, on a handle borrowed from milter_identity.c's pool:
 * with dkim_require_verified, one HGET of the domain record's
 * verified_selectors; one HGETALL of <prefix>{T}:dkim:<domain> (selector
 * -> state), then one HMGET of pw_dkim_store_fields per active (and
 * verified) selector.  Any failure fails
 * the whole fill (the last entry stands).
 *
 * Logs: a record that does not open, and active selectors beyond
 * PW_DKIM_MAX_SIGS, are warned about when the entry is filled (once per
 * dkim_version, not per message), with tenant, domain and selector and
 * lib/dkim_store's reason, never key material.  Redis failures are the
 * caller's to log.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "cache.h"
#include "clock.h"
#include "dkim_store.h"
#include "identity.h"
#include "log.h"
#include "milter.h"
#include "milter_identity.h"
#include "milter_keys.h"
#include "milter_metrics.h"
#include "redis.h"
#include "schema.h"
#include "xmalloc.h"

#define MILTER_KEYS_RETRY_MS	1000

/* One (tenant, domain)'s keys as of one dkim_version; immutable. */
struct milter_keys {
	int			 refs;		/* atomic */
	char			 tenant[PW_IDENTITY_TENANT_MAX + 1];
	char			 domain[PW_ADDRESS_DOMAIN_MAX + 1];
	uint64_t		 version;
	enum milter_keys_result	 result;	/* NONE, FOUND or BROKEN */
	struct pw_dkim_key	*keys[PW_DKIM_MAX_SIGS];
	size_t			 nkeys;
};

/* The value of a (tenant, domain)'s cache entry (lib/cache.h). */
struct milter_keys_slot {
	struct milter_keys	*k;		/* never NULL */
	bool			 due;		/* read again at next use */
	bool			 refreshing;	/* one thread asks Redis */
	int64_t			 retry_ms;	/* Redis failed: not before */
};

/* A cache key: tenant, a NUL, domain. */
#define MILTER_KEYS_KEY_MAX (PW_IDENTITY_TENANT_MAX + 1 + PW_ADDRESS_DOMAIN_MAX)

/* --- entries ------------------------------------------------------------ */

static struct milter_keys *
milter_keys_ref(struct milter_keys *k)
{
	__atomic_add_fetch(&k->refs, 1, __ATOMIC_RELAXED);
	return k;
}

void
milter_keys_release(struct milter_keys **kp)
{
	struct milter_keys *k = *kp;
	size_t i;

	if (k == NULL)
		return;
	*kp = NULL;
	if (__atomic_sub_fetch(&k->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (i = 0; i < k->nkeys; i++)
		pw_dkim_store_key_free(&k->keys[i]);
	free(k);
}

size_t
milter_keys_list(const struct milter_keys *k,
    const struct pw_dkim_key *keys_r[PW_DKIM_MAX_SIGS])
{
	size_t i;

	for (i = 0; i < k->nkeys; i++)
		keys_r[i] = k->keys[i];
	return k->nkeys;
}

/* --- cache ------------------------------------------------------------ */

/* lib/cache's free_value: the cache's reference to the entry goes. */
static void
milter_keys_slot_free(void *value)
{
	milter_keys_release(&((struct milter_keys_slot *)value)->k);
}

struct pw_cache *
milter_keys_cache_new(size_t size)
{
	return pw_cache_new(size, sizeof(struct milter_keys_slot),
	    milter_keys_slot_free);
}

static void
milter_keys_slot_due(void *value, void *arg)
{
	(void)arg;
	((struct milter_keys_slot *)value)->due = true;
}

void
milter_keys_cache_expire(struct pw_cache *c)
{
	pw_cache_lock(c);
	pw_cache_foreach(c, milter_keys_slot_due, NULL);
	pw_cache_unlock(c);
}

/* --- Redis ------------------------------------------------------------ */

/*
 * Read and open one active selector's record into k (a record that does
 * not open is logged and skipped).  0, or -1 (Redis) with *why_r.
 */
static int
milter_keys_fetch_one(const struct pw_runtime *rt, struct pw_redis *r,
    const struct pw_seal_kek *kek, struct milter_keys *k,
    const char *selector, const char **why_r)
{
	const char *argv[2 + PW_DKIM_NFIELDS];
	const char *values[PW_DKIM_NFIELDS];
	char key[512], err[PW_DKIM_ERR_MAX];
	redisReply *reply, *e;
	size_t i;
	int ret = -1;

	if (pw_schema_key(key, sizeof(key), rt->conf->redis_key_prefix,
	    PW_SCHEMA_DKIM_KEY, k->tenant, k->domain, selector) < 0) {
		*why_r = "dkim key name too long";
		return -1;
	}
	argv[0] = "HMGET";
	argv[1] = key;
	for (i = 0; i < PW_DKIM_NFIELDS; i++)
		argv[2 + i] = pw_dkim_store_fields[i];
	reply = pw_redis_command_argv(r, 2 + PW_DKIM_NFIELDS, argv, NULL,
	    why_r);
	if (reply == NULL)
		return -1;
	if (reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != PW_DKIM_NFIELDS) {
		*why_r = "redis: unexpected reply to HMGET";
		goto out;
	}
	for (i = 0; i < PW_DKIM_NFIELDS; i++) {
		e = reply->element[i];
		if (e->type == REDIS_REPLY_NIL)
			values[i] = NULL;
		else if (e->type == REDIS_REPLY_STRING &&
		    memchr(e->str, '\0', e->len) == NULL)
			values[i] = e->str;
		else {
			*why_r = "redis: unexpected reply to HMGET";
			goto out;
		}
	}
	ret = 0;
	if (values[PW_DKIM_F_STATE] == NULL ||
	    strcmp(values[PW_DKIM_F_STATE], "active") != 0)
		pw_log_warnx("milter: dkim: tenant=%s domain=%s selector=%s: "
		    "the key's record is not active (its domain's list says "
		    "it is); not used", k->tenant, k->domain, selector);
	else if (pw_dkim_store_open(kek, k->tenant, k->domain, selector,
	    values, &k->keys[k->nkeys], err, sizeof(err)) < 0)
		pw_log_warnx("milter: dkim: tenant=%s domain=%s selector=%s: "
		    "the key in Redis does not open, not used: %s", k->tenant,
		    k->domain, selector, err);
	else
		k->nkeys++;
out:
	freeReplyObject(reply);
	return ret;
}

/*
 * The domain record's verified_selectors ("s1,s2", written by `postwarden
 * domain verify`) into buf ("" when absent, or too long to be ours).  0,
 * or -1 (Redis) with *why_r.
 */
static int
milter_keys_verified(const struct pw_runtime *rt, struct pw_redis *r,
    const struct milter_keys *k, char *buf, size_t bufsize,
    const char **why_r)
{
	const char *argv[3];
	char key[512];
	redisReply *reply;

	buf[0] = '\0';
	if (pw_schema_key(key, sizeof(key), rt->conf->redis_key_prefix,
	    PW_SCHEMA_DOMAIN, k->tenant, k->domain, NULL) < 0) {
		*why_r = "domain key name too long";
		return -1;
	}
	argv[0] = "HGET";
	argv[1] = key;
	argv[2] = "verified_selectors";
	if ((reply = pw_redis_command_argv(r, 3, argv, NULL, why_r)) == NULL)
		return -1;
	if (reply->type == REDIS_REPLY_STRING && reply->len < bufsize &&
	    memchr(reply->str, '\0', reply->len) == NULL)
		memcpy(buf, reply->str, reply->len + 1);
	else if (reply->type != REDIS_REPLY_NIL &&
	    reply->type != REDIS_REPLY_STRING) {
		freeReplyObject(reply);
		*why_r = "redis: unexpected reply to HGET";
		return -1;
	}
	freeReplyObject(reply);
	return 0;
}

/* Is sel one of the comma-separated list? */
static bool
milter_keys_listed(const char *list, const char *sel)
{
	size_t n = strlen(sel), len;

	while (*list != '\0') {
		len = strcspn(list, ",");
		if (len == n && memcmp(list, sel, n) == 0)
			return true;
		list += len;
		if (*list == ',')
			list++;
	}
	return false;
}

/*
 * Fill k (tenant, domain, version set) from Redis: 0, or -1 with a
 * static *why_r when Redis did not give every answer.
 */
static int
milter_keys_fetch(const struct pw_runtime *rt, const struct pw_seal_kek *kek,
    struct milter_keys *k, const char **why_r)
{
	const char *argv[2];
	char key[512];
	struct pw_redis *r;
	redisReply *reply = NULL, *sel, *state;
	char verified[1024];
	size_t i, nactive = 0, nunverified = 0;
	int ret = -1;

	if (pw_schema_key(key, sizeof(key), rt->conf->redis_key_prefix,
	    PW_SCHEMA_DKIM_SELECTORS, k->tenant, k->domain, NULL) < 0) {
		*why_r = "dkim key name too long";
		return -1;
	}
	if ((r = milter_identity_redis_take(rt)) == NULL) {
		*why_r = "redis: no handle";
		return -1;
	}
	if (rt->conf->dkim_require_verified &&
	    milter_keys_verified(rt, r, k, verified, sizeof(verified),
	    why_r) < 0)
		goto out;
	argv[0] = "HGETALL";
	argv[1] = key;
	if ((reply = pw_redis_command_argv(r, 2, argv, NULL, why_r)) == NULL)
		goto out;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements % 2 != 0) {
		*why_r = "redis: unexpected reply to HGETALL";
		goto out;
	}
	for (i = 0; i + 1 < reply->elements; i += 2) {
		sel = reply->element[i];
		state = reply->element[i + 1];
		if (sel->type != REDIS_REPLY_STRING ||
		    state->type != REDIS_REPLY_STRING) {
			*why_r = "redis: unexpected reply to HGETALL";
			goto out;
		}
		if (state->len != 6 || memcmp(state->str, "active", 6) != 0)
			continue;
		nactive++;
		if (sel->len > PW_DKIM_SELECTOR_MAX ||
		    memchr(sel->str, '\0', sel->len) != NULL ||
		    !pw_dkim_store_valid_selector(sel->str)) {
			pw_log_warnx("milter: dkim: tenant=%s domain=%s: an "
			    "active selector that is not a DNS label; not "
			    "used", k->tenant, k->domain);
			continue;
		}
		if (rt->conf->dkim_require_verified &&
		    !milter_keys_listed(verified, sel->str)) {
			nunverified++;
			pw_log_info("milter: dkim: tenant=%s domain=%s "
			    "selector=%s: active, but its DNS record is not "
			    "verified (postwarden domain verify; "
			    "dkim_require_verified); not used", k->tenant,
			    k->domain, sel->str);
			continue;
		}
		if (k->nkeys == PW_DKIM_MAX_SIGS) {
			pw_log_warnx("milter: dkim: tenant=%s domain=%s: more "
			    "than %d active keys; selector=%s not used",
			    k->tenant, k->domain, PW_DKIM_MAX_SIGS, sel->str);
			continue;
		}
		if (milter_keys_fetch_one(rt, r, kek, k, sel->str, why_r) < 0)
			goto out;
	}
	k->result = k->nkeys > 0 ? MILTER_KEYS_FOUND :
	    nactive > nunverified ? MILTER_KEYS_BROKEN :
	    nunverified > 0 ? MILTER_KEYS_UNVERIFIED : MILTER_KEYS_NONE;
	ret = 0;
out:
	if (reply != NULL)
		freeReplyObject(reply);
	milter_identity_redis_give(rt, r);
	return ret;
}

/* Hand out entry k: a reference in *keys_r when it has keys. */
static enum milter_keys_result
milter_keys_give(struct milter_keys *k, struct milter_keys **keys_r)
{
	enum milter_keys_result res = k->result;

	if (res == MILTER_KEYS_FOUND)
		*keys_r = milter_keys_ref(k);
	return res;
}

enum milter_keys_result
milter_keys_get(const struct pw_runtime *rt, const struct pw_seal_kek *kek,
    const char *tenant, const char *domain, uint64_t version,
    struct milter_keys **keys_r, const char **why_r)
{
	struct pw_cache *c = ((const struct milter_runtime *)rt->extra)->keys;
	struct milter_keys_slot *slot;
	struct milter_keys *k, *old = NULL;
	enum milter_keys_result res;
	int64_t now = pw_clock_ms();
	char ckey[MILTER_KEYS_KEY_MAX];
	size_t ckeylen;

	*keys_r = NULL;
	*why_r = NULL;
	if (strlen(tenant) > PW_IDENTITY_TENANT_MAX ||
	    strlen(domain) > PW_ADDRESS_DOMAIN_MAX || *domain == '\0')
		return MILTER_KEYS_NONE;
	ckeylen = pw_cache_key2(ckey, tenant, domain);
	pw_cache_lock(c);
	slot = pw_cache_find(c, ckey, ckeylen);
	if (slot != NULL && ((slot->k->version == version && !slot->due) ||
	    slot->refreshing || now < slot->retry_ms)) {
		/* Fresh; or being read; or Redis failed a moment ago. */
		res = milter_keys_give(slot->k, keys_r);
		pw_cache_unlock(c);
		milter_metrics_cache(MILTER_METRICS_CACHE_DKIM_KEYS,
		    MILTER_METRICS_HIT);
		return res;
	}
	if (slot != NULL)
		slot->refreshing = true;
	pw_cache_unlock(c);

	k = pw_xcalloc(1, sizeof(*k));
	k->refs = 1;		/* the cache's */
	snprintf(k->tenant, sizeof(k->tenant), "%s", tenant);
	snprintf(k->domain, sizeof(k->domain), "%s", domain);
	k->version = version;
	if (milter_keys_fetch(rt, kek, k, why_r) < 0) {
		milter_keys_release(&k);
		pw_cache_lock(c);
		res = MILTER_KEYS_UNKNOWN;
		if ((slot = pw_cache_find(c, ckey, ckeylen)) != NULL) {
			/* The last entry read stands: its keys sign. */
			slot->refreshing = false;
			slot->retry_ms = now + MILTER_KEYS_RETRY_MS;
			res = milter_keys_give(slot->k, keys_r);
			*why_r = NULL;
		}
		pw_cache_unlock(c);
		milter_metrics_cache(MILTER_METRICS_CACHE_DKIM_KEYS,
		    slot != NULL ? MILTER_METRICS_STALE :
		    MILTER_METRICS_UNKNOWN);
		return res;
	}
	pw_cache_lock(c);
	slot = pw_cache_put(c, ckey, ckeylen, NULL);
	old = slot->k;
	slot->k = k;
	slot->due = false;
	slot->refreshing = false;
	slot->retry_ms = 0;
	res = milter_keys_give(k, keys_r);
	pw_cache_unlock(c);
	milter_keys_release(&old);
	milter_metrics_cache(MILTER_METRICS_CACHE_DKIM_KEYS,
	    MILTER_METRICS_MISS);
	return res;
}
