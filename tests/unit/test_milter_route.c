/*
 * test_milter_route.c -- unit tests for milter/milter_route.c: which rule
 * wins (geo over stream over tenant pool over default), pools that are
 * not in milter_pools, routing off, no tenant, and the reasons given.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "milter_route.h"

/* acme: pool a; bulk -> b, news -> nowhere; CN, RU -> asia, BR -> gone. */
static void
make_acme(struct milter_tenant *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "acme");
	snprintf(t->pool, sizeof(t->pool), "a");
	snprintf(t->stream_pools[0].key, sizeof(t->stream_pools[0].key),
	    "bulk");
	snprintf(t->stream_pools[0].pool, sizeof(t->stream_pools[0].pool),
	    "b");
	snprintf(t->stream_pools[1].key, sizeof(t->stream_pools[1].key),
	    "news");
	snprintf(t->stream_pools[1].pool, sizeof(t->stream_pools[1].pool),
	    "nowhere");
	t->nstream_pools = 2;
	snprintf(t->geo_pools[0].key, sizeof(t->geo_pools[0].key), "CN");
	snprintf(t->geo_pools[0].pool, sizeof(t->geo_pools[0].pool), "asia");
	snprintf(t->geo_pools[1].key, sizeof(t->geo_pools[1].key), "RU");
	snprintf(t->geo_pools[1].pool, sizeof(t->geo_pools[1].pool), "asia");
	snprintf(t->geo_pools[2].key, sizeof(t->geo_pools[2].key), "BR");
	snprintf(t->geo_pools[2].pool, sizeof(t->geo_pools[2].pool), "gone");
	t->ngeo_pools = 3;
}

static const struct {
	const char		*name;
	const char		*pools;
	int			 tenant;	/* 0 none, 1 acme, 2 bare */
	const char		*stream, *country;
	int			 ret;
	const char		*pool;
	enum milter_route_rule	 rule;
	const char		*reason;
	const char		*fallback;	/* "" none */
} cases[] = {
	{ "geo rule wins over stream and tenant pool", "a b asia default",
	    1, "bulk", "CN", 1, "asia", MILTER_ROUTE_GEO, "geo rule CN", "" },
	{ "second geo rule", "a,b,asia", 1, "", "RU", 1, "asia",
	    MILTER_ROUTE_GEO, "geo rule RU", "" },
	{ "stream rule without a geo rule for the country", "a b asia", 1,
	    "bulk", "DE", 1, "b", MILTER_ROUTE_STREAM, "stream bulk", "" },
	{ "stream rule when the country is unknown", "a b asia", 1, "bulk",
	    "", 1, "b", MILTER_ROUTE_STREAM, "stream bulk", "" },
	{ "stream rule with NULL country", "a b", 1, "bulk", NULL, 1, "b",
	    MILTER_ROUTE_STREAM, "stream bulk", "" },
	{ "tenant pool for a stream without a rule", "a b", 1,
	    "transactional", "DE", 1, "a", MILTER_ROUTE_TENANT, "tenant pool",
	    "" },
	{ "tenant pool without a stream", "a b", 1, NULL, NULL, 1, "a",
	    MILTER_ROUTE_TENANT, "tenant pool", "" },
	{ "bare tenant: default", "a b", 2, "bulk", "CN", 1, "default",
	    MILTER_ROUTE_DEFAULT, "default", "" },
	{ "no tenant: default", "a b", 0, "bulk", "CN", 1, "default",
	    MILTER_ROUTE_DEFAULT, "default", "" },
	{ "geo pool not in milter_pools: default, said", "a b", 1, "bulk",
	    "BR", 1, "default", MILTER_ROUTE_DEFAULT, "default",
	    "tenant acme names pool gone (geo rule BR), which is not in "
	    "milter_pools" },
	{ "stream pool not in milter_pools: default, not the tenant pool",
	    "a b", 1, "news", "", 1, "default", MILTER_ROUTE_DEFAULT,
	    "default", "tenant acme names pool nowhere (stream news), which "
	    "is not in milter_pools" },
	{ "tenant pool not in milter_pools", "b asia", 1, "", "", 1,
	    "default", MILTER_ROUTE_DEFAULT, "default",
	    "tenant acme names pool a (tenant pool), which is not in "
	    "milter_pools" },
	{ "a pool name is matched whole, not as a prefix", "aa, ab", 1, "",
	    "", 1, "default", MILTER_ROUTE_DEFAULT, "default",
	    "tenant acme names pool a (tenant pool), which is not in "
	    "milter_pools" },
	{ "geo rule for a lower-case country does not match", "a asia", 1,
	    "", "cn", 1, "a", MILTER_ROUTE_TENANT, "tenant pool", "" },
	{ "milter_pools empty: no routing", "", 1, "bulk", "CN", 0, "",
	    MILTER_ROUTE_DEFAULT, "", "" },
	{ "milter_pools only separators: no routing", " , ", 1, "bulk", "CN",
	    0, "", MILTER_ROUTE_DEFAULT, "", "" },
};

static void
test_choose(void **state)
{
	struct milter_tenant acme, bare;
	const struct milter_tenant *t;
	struct milter_route r;
	size_t i;
	int ret;

	make_acme(&acme);
	memset(&bare, 0, sizeof(bare));
	snprintf(bare.name, sizeof(bare.name), "bare");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = cases[i].tenant == 1 ? &acme : cases[i].tenant == 2 ?
		    &bare : NULL;
		memset(&r, 'x', sizeof(r));
		ret = milter_route_choose(cases[i].pools, "default", t,
		    cases[i].stream, cases[i].country, &r);
		if (ret != cases[i].ret ||
		    strcmp(r.pool, cases[i].pool) != 0 ||
		    r.rule != cases[i].rule ||
		    strcmp(r.reason, cases[i].reason) != 0 ||
		    strcmp(r.fallback, cases[i].fallback) != 0)
			fail_msg("%s: got %d pool \"%s\" rule %d reason \"%s\" "
			    "fallback \"%s\"", cases[i].name, ret, r.pool,
			    r.rule, r.reason, r.fallback);
	}
}

/* Longest names and reasons fit their buffers, untruncated. */
static void
test_long_names(void **state)
{
	struct milter_tenant t;
	struct milter_route r;
	char pool[PW_TENANT_NAME_MAX + 1], want[512];

	memset(&t, 0, sizeof(t));
	memset(t.name, 'n', PW_IDENTITY_TENANT_MAX);
	memset(pool, 'p', PW_TENANT_NAME_MAX);
	pool[PW_TENANT_NAME_MAX] = '\0';
	memset(t.stream_pools[0].key, 's', PW_TENANT_NAME_MAX);
	memcpy(t.stream_pools[0].pool, pool, sizeof(pool));
	t.nstream_pools = 1;
	assert_int_equal(milter_route_choose(pool, "default", &t,
	    t.stream_pools[0].key, "", &r), 1);
	assert_string_equal(r.pool, pool);
	assert_int_equal(strlen(r.reason), 7 + PW_TENANT_NAME_MAX);
	assert_int_equal(milter_route_choose("other", "default", &t,
	    t.stream_pools[0].key, "", &r), 1);
	snprintf(want, sizeof(want), "tenant %s names pool %s (stream %s), "
	    "which is not in milter_pools", t.name, pool,
	    t.stream_pools[0].key);
	assert_string_equal(r.fallback, want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_choose),
		cmocka_unit_test(test_long_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
