/*
 * test_cache.c -- unit tests for lib/cache.c: hits and misses, values in
 * place, the eviction order (least recently used first), no thrash (N
 * distinct keys, N at most the capacity, all stay), binary keys,
 * removal, free_value on every way out, and many threads at once.
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

#include "cache.h"

struct val {
	int	n;
	char	tag[24];
};

static int freed;

static void
count_free(void *v)
{
	(void)v;
	freed++;
}

static struct val *
put(struct pw_cache *c, const char *key, int n)
{
	struct val *v = pw_cache_put(c, key, strlen(key), NULL);

	v->n = n;
	return v;
}

static struct val *
find(struct pw_cache *c, const char *key)
{
	return pw_cache_find(c, key, strlen(key));
}

static void
test_hit_miss_and_in_place(void **state)
{
	struct pw_cache *c = pw_cache_new(8, sizeof(struct val), NULL);
	struct val *v;
	bool created;

	(void)state;
	pw_cache_lock(c);
	assert_null(find(c, "a"));
	v = pw_cache_put(c, "a", 1, &created);
	assert_true(created);
	assert_int_equal(v->n, 0);		/* zeroed */
	v->n = 7;
	v = pw_cache_put(c, "a", 1, &created);
	assert_false(created);
	assert_int_equal(v->n, 7);
	assert_int_equal(find(c, "a")->n, 7);
	assert_null(find(c, "b"));
	assert_int_equal(pw_cache_count(c), 1);
	pw_cache_unlock(c);
	assert_int_equal(pw_cache_capacity(c), 8);
	pw_cache_free(&c);
	assert_null(c);
}

static void
test_eviction_order(void **state)
{
	struct pw_cache *c = pw_cache_new(3, sizeof(struct val), count_free);

	(void)state;
	freed = 0;
	pw_cache_lock(c);
	put(c, "a", 1);
	put(c, "b", 2);
	put(c, "c", 3);
	/* a is used again: b is now the least recently used. */
	assert_non_null(find(c, "a"));
	put(c, "d", 4);
	assert_int_equal(freed, 1);
	assert_null(find(c, "b"));
	assert_non_null(find(c, "a"));
	assert_non_null(find(c, "c"));
	assert_non_null(find(c, "d"));
	/* Order now (most recent first): d c a; e evicts a. */
	put(c, "e", 5);
	assert_null(find(c, "a"));
	/* Order e d c; a put of an existing key is a use: c e d. */
	put(c, "c", 33);
	put(c, "f", 6);			/* evicts d */
	assert_int_equal(pw_cache_count(c), 3);
	assert_non_null(find(c, "e"));
	assert_non_null(find(c, "c"));
	assert_int_equal(find(c, "c")->n, 33);
	assert_non_null(find(c, "f"));
	assert_null(find(c, "d"));
	assert_int_equal(freed, 3);
	pw_cache_unlock(c);
	pw_cache_free(&c);
	assert_int_equal(freed, 6);
}

/* Which of a, b, c survive a fourth key tells the order exactly. */
static void
test_eviction_order_exact(void **state)
{
	static const char *const order[][3] = {
		{ "a", "b", "c" },	/* touch order; c most recent */
		{ "b", "c", "a" },
		{ "c", "a", "b" },
	};
	struct pw_cache *c;
	size_t i, j;

	(void)state;
	for (i = 0; i < 3; i++) {
		c = pw_cache_new(3, sizeof(struct val), NULL);
		pw_cache_lock(c);
		put(c, "a", 1);
		put(c, "b", 2);
		put(c, "c", 3);
		for (j = 0; j < 3; j++)
			assert_non_null(find(c, order[i][j]));
		put(c, "x", 9);
		/* The first touched is the one evicted. */
		assert_null(find(c, order[i][0]));
		assert_non_null(find(c, order[i][1]));
		assert_non_null(find(c, order[i][2]));
		pw_cache_unlock(c);
		pw_cache_free(&c);
	}
}

/*
 * 10,000 (tenant, domain) keys as the milter makes them, in a cache of
 * 10,000: every one stays, however their hashes fall (a direct-mapped
 * table of 16,384 slots kept only 7,305 of them).
 */
static void
test_no_collision_thrash(void **state)
{
	struct pw_cache *c = pw_cache_new(10000, sizeof(struct val),
	    count_free);
	char key[64];
	struct val *v;
	int i, len, round;

	(void)state;
	freed = 0;
	pw_cache_lock(c);
	for (round = 0; round < 3; round++)
		for (i = 0; i < 10000; i++) {
			len = snprintf(key, sizeof(key), "t%04d%cd%05d.example",
			    i / 10 + 1, '\0', i + 1);
			v = pw_cache_put(c, key, (size_t)len, NULL);
			if (round == 0)
				v->n = i;
			else
				assert_int_equal(v->n, i);
		}
	assert_int_equal(freed, 0);
	assert_int_equal(pw_cache_count(c), 10000);
	/* One more key evicts exactly one. */
	pw_cache_put(c, "one more", 8, NULL);
	assert_int_equal(freed, 1);
	assert_int_equal(pw_cache_count(c), 10000);
	pw_cache_unlock(c);
	pw_cache_free(&c);
}

/* Keys are bytes: "a\0b" and "a\0c" and "a" are three keys. */
static void
test_binary_keys(void **state)
{
	struct pw_cache *c = pw_cache_new(4, sizeof(struct val), NULL);
	struct val *v;

	(void)state;
	pw_cache_lock(c);
	v = pw_cache_put(c, "a\0b", 3, NULL);
	v->n = 1;
	v = pw_cache_put(c, "a\0c", 3, NULL);
	v->n = 2;
	v = pw_cache_put(c, "a", 1, NULL);
	v->n = 3;
	assert_int_equal(((struct val *)pw_cache_find(c, "a\0b", 3))->n, 1);
	assert_int_equal(((struct val *)pw_cache_find(c, "a\0c", 3))->n, 2);
	assert_int_equal(((struct val *)pw_cache_find(c, "a", 1))->n, 3);
	assert_null(pw_cache_find(c, "a\0", 2));
	pw_cache_unlock(c);
	pw_cache_free(&c);
}

static void
bump(void *value, void *arg)
{
	((struct val *)value)->n += *(int *)arg;
}

static void
test_remove_and_foreach(void **state)
{
	struct pw_cache *c = pw_cache_new(4, sizeof(struct val), count_free);
	int one = 1;

	(void)state;
	freed = 0;
	pw_cache_lock(c);
	put(c, "a", 10);
	put(c, "b", 20);
	pw_cache_remove(c, "a", 1);
	pw_cache_remove(c, "zz", 2);		/* absent: nothing */
	assert_int_equal(freed, 1);
	assert_null(find(c, "a"));
	assert_int_equal(pw_cache_count(c), 1);
	put(c, "c", 30);
	pw_cache_foreach(c, bump, &one);
	assert_int_equal(find(c, "b")->n, 21);
	assert_int_equal(find(c, "c")->n, 31);
	pw_cache_unlock(c);
	/* A second owner keeps it alive. */
	assert_ptr_equal(pw_cache_ref(c), c);
	{
		struct pw_cache *c2 = c;

		pw_cache_free(&c2);
		assert_null(c2);
	}
	assert_int_equal(freed, 1);
	pw_cache_free(&c);
	assert_int_equal(freed, 3);
}

/* Capacity 0 is taken as 1; 1 holds the last key. */
static void
test_capacity_one(void **state)
{
	struct pw_cache *c = pw_cache_new(0, sizeof(struct val), NULL);

	(void)state;
	assert_int_equal(pw_cache_capacity(c), 1);
	pw_cache_lock(c);
	put(c, "a", 1);
	put(c, "b", 2);
	assert_null(find(c, "a"));
	assert_int_equal(find(c, "b")->n, 2);
	pw_cache_unlock(c);
	pw_cache_free(&c);
}

static struct pw_cache *shared;

/* A pair's key keeps its two parts apart: ("ab", "c") is not ("a", "bc"). */
static void
test_key2(void **state)
{
	char k1[8], k2[8];
	size_t l1, l2;

	(void)state;
	l1 = pw_cache_key2(k1, "ab", "c");
	l2 = pw_cache_key2(k2, "a", "bc");
	assert_int_equal(l1, 4);
	assert_memory_equal(k1, "ab\0c", 4);
	assert_int_equal(l2, 4);
	assert_memory_not_equal(k1, k2, 4);
	assert_int_equal(pw_cache_key2(k1, "", ""), 1);
}

static void *
hammer(void *arg)
{
	char key[32];
	struct val *v;
	int i, k, t = (int)(intptr_t)arg;

	for (i = 0; i < 50000; i++) {
		k = (i * 7 + t) % 97;
		snprintf(key, sizeof(key), "k_%d", k);
		pw_cache_lock(shared);
		if ((i + t) % 2) {
			v = put(shared, key, k);
			snprintf(v->tag, sizeof(v->tag), "tag%d", k);
		} else if ((v = find(shared, key)) != NULL &&
		    v->n != k) {
			pw_cache_unlock(shared);
			return (void *)1;	/* a wrong entry */
		}
		pw_cache_unlock(shared);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	pthread_t tids[4];
	void *ret;
	int i;

	(void)state;
	shared = pw_cache_new(32, sizeof(struct val), NULL);
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&tids[i], NULL, hammer,
		    (void *)(intptr_t)i), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(tids[i], &ret), 0);
		assert_null(ret);
	}
	pw_cache_lock(shared);
	assert_true(pw_cache_count(shared) <= 32);
	pw_cache_unlock(shared);
	pw_cache_free(&shared);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_miss_and_in_place),
		cmocka_unit_test(test_key2),
		cmocka_unit_test(test_eviction_order),
		cmocka_unit_test(test_eviction_order_exact),
		cmocka_unit_test(test_no_collision_thrash),
		cmocka_unit_test(test_binary_keys),
		cmocka_unit_test(test_remove_and_foreach),
		cmocka_unit_test(test_capacity_one),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
