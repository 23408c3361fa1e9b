/*
 * milter_runtime.c -- the milter's part of a runtime snapshot (see
 * milter.h, lib/runtime.h): the identity state (Redis handles, key ->
 * tenant cache), the DKIM settings and keys, the cache of the tenants'
 * settings (milter_tenant.h), the GeoIP database and the tracking keyring.
 *
 * Start-up, -n and SIGHUP all load through here, so a key that does not
 * load stops a start and fails a reload, which keeps the running
 * snapshot (old keys included) and logs why.  Keys are read as whichever
 * user loads: root at start, the unprivileged user on SIGHUP.
 *
 * GeoIP is optional (milter_geoip.c): a database that does not open is
 * logged and the snapshot goes on without it.
 *
 * The caches (key -> tenant, tenant settings, domains owned, DKIM keys
 * kept in Redis) hold what Redis said.  A
 * reload that keeps the same Redis data (server, database, user, key
 * prefix) shares them with the new snapshot, so that a SIGHUP during a
 * Redis outage does not turn every tenant's mail to the defaults; the
 * tenant settings are made due, so a reload still picks up changed
 * settings at once when Redis answers.
 *
 * The tracking keyring (tracking_secret_file) is like a DKIM key: one
 * that does not load (missing, malformed, readable by others) stops a
 * start and fails a reload; a SIGHUP after `postwarden secret rotate`
 * makes ids and tokens with the new current secret.  None configured is
 * a notice, once per load.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "conf.h"
#include "geoip.h"
#include "log.h"
#include "milter.h"
#include "milter_dkim.h"
#include "milter_domain.h"
#include "milter_identity.h"
#include "milter_keys.h"
#include "milter_tenant.h"
#include "runtime.h"
#include "secret_file.h"
#include "track.h"
#include "xmalloc.h"

static void
milter_runtime_free(void *arg)
{
	struct milter_runtime *mr = arg;

	milter_dkim_conf_free(&mr->dkim);
	pw_cache_free(&mr->tenants);
	pw_cache_free(&mr->domains);
	pw_cache_free(&mr->keys);
	pw_geoip_close(&mr->geoip);
	if (mr->track != NULL) {
		pw_track_keyring_free(mr->track);
		free(mr->track);
	}
	if (mr->identity != NULL)
		milter_identity_free(mr->identity);
	free(mr);
}

/*
 * Load the keyring of tracking_secret_file (lib/track_keyring.h): 0, or
 * -1 with why in err.
 */
static int
milter_runtime_track(const struct pw_conf *conf, struct milter_runtime *mr,
    char *err, size_t errsize)
{
	const struct pw_track_secret *cur;
	struct pw_track_keyring *s;

	if (*conf->tracking_secret_file == '\0') {
		pw_log_notice("tracking_secret_file is empty: no tracking ids, "
		    "unsubscribe headers or VERP return paths");
		return 0;
	}
	s = pw_xcalloc(1, sizeof(*s));
	if (pw_track_keyring_load(conf->tracking_secret_file,
	    conf->dkim_key_mode_check, s, err, errsize) < 0) {
		free(s);
		return -1;
	}
	cur = pw_track_keyring_current(s);
	pw_log_info("tracking keyring %s: %zu secret%s, current id %u%s",
	    conf->tracking_secret_file, s->n, s->n == 1 ? "" : "s",
	    cur != NULL ? cur->id : 0, s->legacy ? " (a one-secret file)" :
	    "");
	mr->track = s;
	return 0;
}

/* Whether a and b name the same Redis data. */
static bool
milter_runtime_same_redis(const struct pw_conf *a, const struct pw_conf *b)
{
	return strcmp(a->redis_server, b->redis_server) == 0 &&
	    a->redis_database == b->redis_database &&
	    strcmp(a->redis_username, b->redis_username) == 0 &&
	    strcmp(a->redis_key_prefix, b->redis_key_prefix) == 0;
}

/*
 * One cache of the new snapshot: the running one's when it names the
 * same Redis data (same) and has the size now set, made due by expire;
 * else a new one of that size.
 */
static struct pw_cache *
milter_runtime_cache(struct pw_cache *running, bool same, int size,
    struct pw_cache *(*make)(size_t), void (*expire)(struct pw_cache *))
{
	struct pw_cache *c;

	if (running == NULL || !same ||
	    pw_cache_capacity(running) != (size_t)size)
		return make((size_t)size);
	c = pw_cache_ref(running);
	expire(c);
	return c;
}

/* The caches: new, or the running snapshot's (see the top). */
static void
milter_runtime_caches(const struct pw_runtime *rt, struct milter_runtime *mr)
{
	struct pw_runtime *old = pw_runtime_current();
	const struct milter_runtime *omr = old != NULL ? old->extra : NULL;
	const struct pw_conf *conf = rt->conf;
	bool same = omr != NULL &&
	    milter_runtime_same_redis(old->conf, rt->conf);

	mr->tenants = milter_runtime_cache(same ? omr->tenants : NULL, same,
	    conf->milter_tenant_cache_size, milter_tenant_cache_new,
	    milter_tenant_cache_expire);
	mr->domains = milter_runtime_cache(same ? omr->domains : NULL, same,
	    conf->milter_domain_cache_size, milter_domain_cache_new,
	    milter_domain_cache_expire);
	mr->keys = milter_runtime_cache(same ? omr->keys : NULL, same,
	    conf->milter_dkim_key_cache_size, milter_keys_cache_new,
	    milter_keys_cache_expire);
	if (same)
		milter_identity_share_cache(mr->identity, omr->identity);
	pw_runtime_release(&old);
}

int
milter_runtime_load(struct pw_runtime *rt, char *err, size_t errsize)
{
	struct milter_runtime *mr = pw_xcalloc(1, sizeof(*mr));

	/* Secret files may belong to root or to the user we run as. */
	pw_secret_file_owner(rt->conf->user);
	if (milter_identity_load(rt, &mr->identity, err, errsize) < 0 ||
	    milter_dkim_load(rt->conf, &mr->dkim, err, errsize) < 0 ||
	    milter_runtime_track(rt->conf, mr, err, errsize) < 0) {
		milter_runtime_free(mr);
		return -1;
	}
	milter_runtime_caches(rt, mr);
	milter_geoip_open(rt->conf, &mr->geoip);
	rt->extra = mr;
	rt->extra_free = milter_runtime_free;
	return 0;
}
