/*
 * test_milter_tenant.c -- milter/milter_tenant.c against a private
 * redis-server (redis_fixture.h), through the milter's real snapshot
 * loader (milter_runtime_load): every field good and bad, the warning
 * once per cache fill, identity_cache_ttl, Redis stopped (the last
 * answer stands; defaults when nothing was ever fetched), Redis back,
 * many threads at once; and the GeoIP database of the snapshot
 * (tests/policyd/mkmmdb.pl writes it; skipped without
 * libmaxmind-db-writer-perl).
 */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "geoip.h"
#include "milter.h"
#include "milter_tenant.h"
#include "redis_fixture.h"
#include "runtime.h"

#define TTL_MS		300

struct state {
	struct pw_redis_fixture	 f;
	struct pw_runtime	*rt;
};

/* --- helpers ------------------------------------------------------ */

/* A snapshot for the fixture's server, with more settings. */
static struct pw_runtime *
load(struct state *st, const char *more)
{
	char path[256], err[PW_RUNTIME_ERR_MAX];
	struct pw_runtime *rt = NULL;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/postwarden.conf", st->f.dir);
	if ((fp = fopen(path, "w")) == NULL)
		fail_msg("%s: cannot write", path);
	fprintf(fp, "redis_server = %s\nidentity_cache_ttl = %dms\n%s",
	    st->f.unix_endpoint, TTL_MS, more != NULL ? more : "");
	fclose(fp);
	if (pw_runtime_load(path, milter_runtime_load, &rt, err,
	    sizeof(err)) < 0)
		fail_msg("load: %s", err);
	return rt;
}

static void
hset(struct state *st, const char *tenant, const char *field,
    const char *value)
{
	char key[128];
	redisReply *reply;

	snprintf(key, sizeof(key), "pw:{%s}:tenant", tenant);
	reply = pw_redis_fixture_cmd(&st->f, "HSET", key, field, value, NULL);
	assert_non_null(reply);
	assert_int_equal(reply->type, REDIS_REPLY_INTEGER);
	freeReplyObject(reply);
}

/* Get tenant's settings; the return value must be want. */
static void
get(struct state *st, const char *tenant, struct milter_tenant *t,
    const char **why_r, int want)
{
	const char *why = NULL;
	int ret;

	ret = milter_tenant_get(st->rt, tenant, t, &why);
	if (ret != want)
		fail_msg("milter_tenant_get(%s): %d, want %d (%s)", tenant,
		    ret, want, why != NULL ? why : "-");
	assert_string_equal(t->name, tenant);
	if (why_r != NULL)
		*why_r = why;
}

/* The defaults, as milter_tenant.h documents them. */
static void
assert_defaults(const struct milter_tenant *t)
{
	assert_string_equal(t->pool, "");
	assert_int_equal(t->nstream_pools, 0);
	assert_int_equal(t->ngeo_pools, 0);
	assert_string_equal(t->streams, "transactional,bulk");
	assert_string_equal(t->default_stream, "transactional");
	assert_string_equal(t->bulk_streams, "bulk");
	assert_string_equal(t->unsubscribe_url, "");
	assert_string_equal(t->unsubscribe_mailto, "");
	assert_string_equal(t->bounce_domain, "");
	assert_string_equal(t->bounce_local, "bounce");
	assert_string_equal(t->dkim_domain, "");
}

static int
setup(void **state)
{
	struct state *st = calloc(1, sizeof(*st));

	if (st == NULL || pw_redis_fixture_init(&st->f, false, NULL) < 0 ||
	    pw_redis_fixture_start(&st->f) < 0) {
		if (st != NULL)
			pw_redis_fixture_stop(&st->f);
		free(st);
		return -1;
	}
	st->rt = load(st, NULL);
	*state = st;
	return 0;
}

static int
teardown(void **state)
{
	struct state *st = *state;

	pw_redis_fixture_capture_reset();
	if (st != NULL) {
		pw_runtime_release(&st->rt);
		pw_redis_fixture_stop(&st->f);
		free(st);
	}
	*state = NULL;
	return 0;
}

/* --- tests ---------------------------------------------------------- */

static void
test_no_record(void **state)
{
	struct state *st = *state;
	struct milter_tenant t;
	const char *why;

	get(st, "nobody", &t, &why, 0);
	assert_null(why);
	assert_defaults(&t);
	assert_true(milter_tenant_has_stream(&t, "bulk"));
	assert_true(milter_tenant_has_stream(&t, "transactional"));
	assert_false(milter_tenant_has_stream(&t, "news"));
	assert_false(milter_tenant_has_stream(&t, ""));
	assert_false(milter_tenant_has_stream(&t, "bul"));
	assert_true(milter_tenant_is_bulk(&t, "bulk"));
	assert_false(milter_tenant_is_bulk(&t, "transactional"));
}

static void
test_good_values(void **state)
{
	struct state *st = *state;
	struct milter_tenant t;
	const char *why;
	char *logs;

	hset(st, "acme", "status", "active");
	hset(st, "acme", "pool", "a");
	hset(st, "acme", "stream_pools", "bulk=pool_b,transactional=a");
	hset(st, "acme", "geo_pools", "CN=asia, ru=asia br=latam");
	hset(st, "acme", "streams", "transactional,bulk,news");
	hset(st, "acme", "default_stream", "news");
	hset(st, "acme", "bulk_streams", "bulk news");
	hset(st, "acme", "unsubscribe_url", "https://unsub.example.com/u/");
	hset(st, "acme", "unsubscribe_mailto", "Unsub@Lists.Example.COM");
	hset(st, "acme", "bounce_domain", "Bounces.Example.com");
	hset(st, "acme", "bounce_local", "b.ounce_15-char");
	hset(st, "acme", "dkim_domain", "acme.example");
	pw_redis_fixture_capture_start();
	get(st, "acme", &t, &why, 0);
	logs = pw_redis_fixture_capture_stop();
	assert_null(why);
	if (logs != NULL && *logs != '\0')
		fail_msg("good values logged: %s", logs);
	free(logs);
	assert_string_equal(t.pool, "a");
	assert_int_equal(t.nstream_pools, 2);
	assert_string_equal(t.stream_pools[0].key, "bulk");
	assert_string_equal(t.stream_pools[0].pool, "pool_b");
	assert_string_equal(t.stream_pools[1].key, "transactional");
	assert_string_equal(t.stream_pools[1].pool, "a");
	assert_int_equal(t.ngeo_pools, 3);
	assert_string_equal(t.geo_pools[0].key, "CN");
	assert_string_equal(t.geo_pools[1].key, "RU");	/* upper-cased */
	assert_string_equal(t.geo_pools[1].pool, "asia");
	assert_string_equal(t.geo_pools[2].key, "BR");
	assert_string_equal(t.geo_pools[2].pool, "latam");
	assert_string_equal(t.streams, "transactional,bulk,news");
	assert_string_equal(t.default_stream, "news");
	assert_string_equal(t.bulk_streams, "bulk,news");
	assert_true(milter_tenant_is_bulk(&t, "news"));
	assert_string_equal(t.unsubscribe_url, "https://unsub.example.com/u/");
	/* The domain is lower-cased, the local part kept. */
	assert_string_equal(t.unsubscribe_mailto, "Unsub@lists.example.com");
	assert_string_equal(t.bounce_domain, "bounces.example.com");
	assert_string_equal(t.bounce_local, "b.ounce_15-char");
	assert_string_equal(t.dkim_domain, "acme.example");
}

/* One bad value per field: each ignored, with one warning per fill. */
static const struct {
	const char	*field, *value;
} bad_values[] = {
	{ "pool", "Pool-A" },
	{ "stream_pools", "bulk:b" },
	{ "geo_pools", "CHN=asia" },
	{ "streams", "bulk,bulk" },
	{ "default_stream", "news" },		/* not in streams */
	{ "bulk_streams", "a b c d e f g h i j k l m n o p q" },
	{ "unsubscribe_url", "http://unsub.example.com/u/" },
	{ "unsubscribe_mailto", "mailto:unsub@example.com" },
	{ "bounce_domain", "-bad-.example" },
	{ "bounce_local", "bounce+x" },
	{ "dkim_domain", "a..example" },
};

static void
test_bad_values(void **state)
{
	struct state *st = *state;
	struct milter_tenant t;
	const char *why;
	char *logs;
	size_t i, n = sizeof(bad_values) / sizeof(bad_values[0]);
	int round;

	for (i = 0; i < n; i++)
		hset(st, "bad", bad_values[i].field, bad_values[i].value);
	for (round = 0; round < 2; round++) {
		pw_redis_fixture_capture_start();
		get(st, "bad", &t, &why, 0);
		/* Cached: no more warnings, however many messages. */
		for (i = 0; i < 5; i++)
			get(st, "bad", &t, &why, 0);
		logs = pw_redis_fixture_capture_stop();
		assert_null(why);
		assert_defaults(&t);
		assert_non_null(logs);
		assert_int_equal(pw_redis_fixture_count(logs, "\n"), (int)n);
		for (i = 0; i < n; i++) {
			char want[128];

			snprintf(want, sizeof(want), "tenant bad: %s \"",
			    bad_values[i].field);
			if (pw_redis_fixture_count(logs, want) != 1)
				fail_msg("no warning for %s in: %s",
				    bad_values[i].field, logs);
		}
		assert_int_equal(pw_redis_fixture_count(logs, "; ignored"),
		    (int)n);
		free(logs);
		/* Expired: a new fill warns again, once. */
		pw_redis_fixture_nap(TTL_MS + 50);
	}
}

/* Edges: lengths, counts, NUL bytes, "" (absent), default_stream. */
static void
test_edges(void **state)
{
	struct state *st = *state;
	struct milter_tenant t;
	char big[5000], geo[64 * 8 + 16];
	redisReply *reply;
	const char *why;
	size_t i, o = 0;

	/* 64 geo rules fit; 65 do not. */
	for (i = 0; i < 64; i++)
		o += (size_t)snprintf(geo + o, sizeof(geo) - o, "%s%c%c=p",
		    i > 0 ? "," : "", 'A' + (int)(i / 26), 'A' + (int)(i % 26));
	hset(st, "geo64", "geo_pools", geo);
	get(st, "geo64", &t, NULL, 0);
	assert_int_equal(t.ngeo_pools, 64);
	assert_string_equal(t.geo_pools[63].key, "CL");
	snprintf(geo + o, sizeof(geo) - o, ",ZZ=p");
	hset(st, "geo65", "geo_pools", geo);
	get(st, "geo65", &t, NULL, 0);
	assert_int_equal(t.ngeo_pools, 0);

	/* A 32-character pool name fits; 33 do not. */
	hset(st, "long", "pool", "pppppppppppppppppppppppppppppppp");
	hset(st, "long", "bounce_local", "bbbbbbbbbbbbbbbb");	/* 16 */
	get(st, "long", &t, NULL, 0);
	assert_string_equal(t.pool, "pppppppppppppppppppppppppppppppp");
	assert_string_equal(t.bounce_local, "bounce");
	hset(st, "long2", "pool", "ppppppppppppppppppppppppppppppppp");
	get(st, "long2", &t, NULL, 0);
	assert_string_equal(t.pool, "");

	/* Far too long; a NUL byte inside; empty means absent. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	hset(st, "odd", "pool", big);
	reply = pw_redis_fixture_cmd(&st->f, "EVAL",
	    "return redis.call('HSET', KEYS[1], 'dkim_domain', "
	    "'a.example\\0b.example')", "1", "pw:{odd}:tenant", NULL);
	assert_non_null(reply);
	freeReplyObject(reply);
	hset(st, "odd", "bounce_local", "");
	hset(st, "odd", "unsubscribe_url", "https:///nohost");
	get(st, "odd", &t, NULL, 0);
	assert_defaults(&t);

	/* Streams without transactional: the first is the default. */
	hset(st, "streams", "streams", "news, promo");
	get(st, "streams", &t, NULL, 0);
	assert_string_equal(t.streams, "news,promo");
	assert_string_equal(t.default_stream, "news");
	assert_false(milter_tenant_has_stream(&t, "transactional"));
	assert_false(milter_tenant_is_bulk(&t, "news"));

	/* A tenant name that is not one. */
	assert_int_equal(milter_tenant_get(st->rt, "Bad Name", &t, &why),
	    -1);
	assert_non_null(why);
}

static void
test_ttl(void **state)
{
	struct state *st = *state;
	struct milter_tenant t;

	hset(st, "acme", "pool", "a");
	get(st, "acme", &t, NULL, 0);
	assert_string_equal(t.pool, "a");
	hset(st, "acme", "pool", "b");
	get(st, "acme", &t, NULL, 0);
	assert_string_equal(t.pool, "a");	/* cached */
	pw_redis_fixture_nap(TTL_MS + 50);
	get(st, "acme", &t, NULL, 0);
	assert_string_equal(t.pool, "b");
}

static void
test_redis_down(void **state)
{
	struct state *st = *state;
	struct milter_tenant t;
	const char *why;

	hset(st, "acme", "pool", "a");
	hset(st, "acme", "dkim_domain", "acme.example");
	get(st, "acme", &t, &why, 0);
	assert_null(why);
	pw_redis_fixture_kill(&st->f);

	/* Within the TTL: the cache answers, nothing to tell. */
	get(st, "acme", &t, &why, 0);
	assert_null(why);
	assert_string_equal(t.pool, "a");

	/* Expired, Redis gone: the last answer stands, and why. */
	pw_redis_fixture_nap(TTL_MS + 50);
	get(st, "acme", &t, &why, 0);
	assert_non_null(why);
	assert_string_equal(t.pool, "a");
	assert_string_equal(t.dkim_domain, "acme.example");
	get(st, "acme", &t, &why, 0);		/* stale, retry later */
	assert_non_null(why);
	assert_string_equal(t.pool, "a");

	/* Never fetched: the defaults, and the caller is told. */
	get(st, "other", &t, &why, -1);
	assert_non_null(why);
	assert_defaults(&t);

	/* Redis back (empty: no persistence): fresh answers again. */
	assert_int_equal(pw_redis_fixture_start(&st->f), 0);
	pw_redis_fixture_nap(1100);		/* MILTER_TENANT_RETRY_MS */
	hset(st, "acme", "pool", "c");
	get(st, "acme", &t, &why, 0);
	assert_null(why);
	assert_string_equal(t.pool, "c");
	assert_string_equal(t.dkim_domain, "");
	get(st, "other", &t, &why, 0);
	assert_null(why);
}

static void
test_error_reply(void **state)
{
	struct state *st = *state;
	struct milter_tenant t;
	redisReply *reply;
	const char *why;

	/* Not a hash: WRONGTYPE, handled as no answer. */
	reply = pw_redis_fixture_cmd(&st->f, "SET", "pw:{str}:tenant", "x",
	    NULL);
	assert_non_null(reply);
	freeReplyObject(reply);
	get(st, "str", &t, &why, -1);
	assert_non_null(why);
	assert_defaults(&t);
}

/* --- threads ----------------------------------------------------------- */

#define NTENANTS	40
#define NTHREADS	8

static struct state *shared;

static void *
hammer(void *arg)
{
	struct milter_tenant t;
	char tenant[16], pool[16];
	const char *why;
	int i, n;

	for (i = 0; i < 1500; i++) {
		n = (i * 7 + (int)(intptr_t)arg) % NTENANTS;
		snprintf(tenant, sizeof(tenant), "t%d", n);
		snprintf(pool, sizeof(pool), "p%d", n);
		if (milter_tenant_get(shared->rt, tenant, &t, &why) != 0 ||
		    strcmp(t.name, tenant) != 0 || strcmp(t.pool, pool) != 0)
			return (void *)1;
	}
	return NULL;
}

static void
test_threads(void **state)
{
	pthread_t tids[NTHREADS];
	char tenant[16], pool[16];
	void *ret;
	int i;

	shared = *state;
	for (i = 0; i < NTENANTS; i++) {
		snprintf(tenant, sizeof(tenant), "t%d", i);
		snprintf(pool, sizeof(pool), "p%d", i);
		hset(shared, tenant, "pool", pool);
	}
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&tids[i], NULL, hammer,
		    (void *)(intptr_t)i), 0);
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(tids[i], &ret), 0);
		assert_null(ret);
	}
}

/* --- GeoIP -------------------------------------------------------------- */

static void
test_geoip(void **state)
{
	struct state *st = *state;
	struct pw_geoip_result res;
	struct pw_runtime *rt;
	const char *src = getenv("PW_SRCDIR");
	char cmd[1024], more[512];
	char *logs;

	if (src == NULL ||
	    system("perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null") != 0)
		skip();
	snprintf(cmd, sizeof(cmd), "perl %s/tests/policyd/mkmmdb.pl "
	    "%s/geo.mmdb", src, st->f.dir);
	assert_int_equal(system(cmd), 0);

	snprintf(more, sizeof(more), "milter_geoip_database = %s/geo.mmdb\n",
	    st->f.dir);
	rt = load(st, more);
	assert_int_equal(milter_geoip_lookup(rt, "192.0.2.1", &res), 1);
	assert_string_equal(res.country, "DE");
	assert_int_equal(res.asn, 64500);
	assert_int_equal(milter_geoip_lookup(rt, "198.51.100.7", &res), 1);
	assert_string_equal(res.country, "US");
	assert_int_equal(milter_geoip_lookup(rt, "10.1.2.3", &res), 0);
	assert_string_equal(res.country, "");
	assert_int_equal(milter_geoip_lookup(rt, "", &res), 0);
	pw_runtime_release(&rt);

	/* Missing or not a database: one warning, no GeoIP, no failure. */
	snprintf(more, sizeof(more), "milter_geoip_database = %s/none.mmdb\n",
	    st->f.dir);
	pw_redis_fixture_capture_start();
	rt = load(st, more);
	logs = pw_redis_fixture_capture_stop();
	assert_non_null(logs);
	assert_int_equal(pw_redis_fixture_count(logs,
	    "none.mmdb: "), 1);
	assert_int_equal(pw_redis_fixture_count(logs, "GeoIP is off"), 1);
	free(logs);
	assert_int_equal(milter_geoip_lookup(rt, "192.0.2.1", &res), 0);
	pw_runtime_release(&rt);

	snprintf(more, sizeof(more), "milter_geoip_database = %s/redis.log\n",
	    st->f.dir);
	pw_redis_fixture_capture_start();
	rt = load(st, more);
	logs = pw_redis_fixture_capture_stop();
	assert_int_equal(pw_redis_fixture_count(logs, "GeoIP is off"), 1);
	free(logs);
	assert_int_equal(milter_geoip_lookup(rt, "192.0.2.1", &res), 0);
	pw_runtime_release(&rt);

	/* Not configured: off, silently. */
	assert_int_equal(milter_geoip_lookup(st->rt, "192.0.2.1", &res), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_record, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_good_values, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_values, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ttl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redis_down, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_error_reply, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_geoip, setup, teardown),
	};

	/* hiredis 0.14 writes with write(2): a dead peer means SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("milter_tenant", tests, NULL,
	    NULL);
}
