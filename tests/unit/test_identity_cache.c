/*
 * test_identity_cache.c -- unit tests for lib/identity_cache.c: hits,
 * expiry, replacement in a full slot, and many threads at once.
 */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "identity_cache.h"

static void
make_id(struct pw_identity *id, const char *key, const char *tenant)
{
	memset(id, 0, sizeof(*id));
	id->source = PW_IDENTITY_SASL;
	snprintf(id->key, sizeof(id->key), "%s", key);
	snprintf(id->tenant, sizeof(id->tenant), "%s", tenant);
}

static void
test_hit_and_expiry(void **state)
{
	struct pw_identity_cache *c = pw_identity_cache_new(64);
	struct pw_identity id, q;

	make_id(&id, "k_live_acme1", "acme");
	make_id(&q, "k_live_acme1", "");
	assert_int_equal(pw_identity_cache_get(c, &q, 1000), 0);
	pw_identity_cache_put(c, &id, 1000, 500);
	assert_int_equal(pw_identity_cache_get(c, &q, 1499), 1);
	assert_string_equal(q.tenant, "acme");
	make_id(&q, "k_live_acme1", "");
	assert_int_equal(pw_identity_cache_get(c, &q, 1500), 0);
	assert_string_equal(q.tenant, "");
	pw_identity_cache_free(&c);
	assert_null(c);
}

static void
test_collision_never_answers_for_another_key(void **state)
{
	/* One slot: every key collides. */
	struct pw_identity_cache *c = pw_identity_cache_new(1);
	struct pw_identity a, b, q;

	make_id(&a, "k_a", "alpha");
	make_id(&b, "k_b", "beta");
	pw_identity_cache_put(c, &a, 0, 1000);
	pw_identity_cache_put(c, &b, 0, 1000);
	make_id(&q, "k_a", "");
	assert_int_equal(pw_identity_cache_get(c, &q, 1), 0);
	make_id(&q, "k_b", "");
	assert_int_equal(pw_identity_cache_get(c, &q, 1), 1);
	assert_string_equal(q.tenant, "beta");
	pw_identity_cache_free(&c);
}

static void
test_zero_ttl_never_fresh(void **state)
{
	struct pw_identity_cache *c = pw_identity_cache_new(8);
	struct pw_identity a, q;

	make_id(&a, "k_a", "alpha");
	pw_identity_cache_put(c, &a, 0, 0);
	make_id(&q, "k_a", "");
	assert_int_equal(pw_identity_cache_get(c, &q, 0), 0);
	pw_identity_cache_free(&c);
}

/* Redis down: the last answer, however old; never another key's. */
static void
test_last_answer_outlives_ttl(void **state)
{
	struct pw_identity_cache *c = pw_identity_cache_new(1);
	struct pw_identity a, b, q;

	make_id(&a, "k_a", "alpha");
	make_id(&q, "k_a", "");
	assert_int_equal(pw_identity_cache_last(c, &q), 0);
	pw_identity_cache_put(c, &a, 0, 0);
	assert_int_equal(pw_identity_cache_get(c, &q, 86400000), 0);
	assert_int_equal(pw_identity_cache_last(c, &q), 1);
	assert_string_equal(q.tenant, "alpha");
	make_id(&b, "k_b", "beta");
	pw_identity_cache_put(c, &b, 0, 1000);
	make_id(&q, "k_a", "");
	assert_int_equal(pw_identity_cache_last(c, &q), 0);
	assert_string_equal(q.tenant, "");
	pw_identity_cache_free(&c);
}

/* A key Redis no longer has is not revived by an outage. */
static void
test_forget(void **state)
{
	struct pw_identity_cache *c = pw_identity_cache_new(8);
	struct pw_identity a, q;

	make_id(&a, "k_a", "alpha");
	pw_identity_cache_put(c, &a, 0, 1000);
	pw_identity_cache_forget(c, "k_other");
	make_id(&q, "k_a", "");
	assert_int_equal(pw_identity_cache_last(c, &q), 1);
	pw_identity_cache_forget(c, "k_a");
	make_id(&q, "k_a", "");
	assert_int_equal(pw_identity_cache_get(c, &q, 1), 0);
	assert_int_equal(pw_identity_cache_last(c, &q), 0);
	pw_identity_cache_free(&c);
}

static struct pw_identity_cache *shared;

static void *
hammer(void *arg)
{
	struct pw_identity id, q;
	char key[32], tenant[32];
	int i, t = (int)(intptr_t)arg;

	for (i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "k_%d", i % 97);
		snprintf(tenant, sizeof(tenant), "t%d", i % 97);
		make_id(&id, key, tenant);
		if ((i + t) % 2)
			pw_identity_cache_put(shared, &id, 0, 1000000);
		make_id(&q, key, "");
		if (pw_identity_cache_get(shared, &q, 1) &&
		    strcmp(q.tenant, tenant) != 0)
			return (void *)1;	/* a torn or wrong entry */
	}
	return NULL;
}

static void
test_threads(void **state)
{
	pthread_t tids[4];
	void *ret;
	int i;

	shared = pw_identity_cache_new(32);
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&tids[i], NULL, hammer,
		    (void *)(intptr_t)i), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(tids[i], &ret), 0);
		assert_null(ret);
	}
	pw_identity_cache_free(&shared);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_and_expiry),
		cmocka_unit_test(test_collision_never_answers_for_another_key),
		cmocka_unit_test(test_zero_ttl_never_fresh),
		cmocka_unit_test(test_last_answer_outlives_ttl),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
