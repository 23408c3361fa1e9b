/*
 * test_auth_cache.c -- unit tests of auth/auth_cache.c and
 * auth/auth_throttle.c: what they promise (auth_cache.h,
 * auth_throttle.h) -- a pair verified within the ttl is found, a stale,
 * forgotten or never verified one is not, size 0 holds nothing, over-long
 * parts are not kept; an address is throttled until its time only; and
 * up to their size, distinct keys all stay (where the direct-mapped
 * tables they replaced lost some to shared slots).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "auth_cache.h"
#include "auth_secret.h"
#include "auth_throttle.h"

static void
test_cache_ttl_forget(void **state)
{
	struct auth_cache *c = auth_cache_new(16);

	(void)state;
	assert_int_equal(auth_cache_get(c, "k1", "v1:p:aa", 0, 1000), 0);
	auth_cache_put(c, "k1", "v1:p:aa", 100);
	assert_int_equal(auth_cache_get(c, "k1", "v1:p:aa", 1100, 1000), 1);
	assert_int_equal(auth_cache_get(c, "k1", "v1:p:aa", 1101, 1000), 0);
	/* Another hash of the same key, another key with the same hash. */
	assert_int_equal(auth_cache_get(c, "k1", "v1:p:bb", 200, 1000), 0);
	assert_int_equal(auth_cache_get(c, "k2", "v1:p:aa", 200, 1000), 0);
	/* (keyid, hash) is not confused with (keyid + hash prefix, rest). */
	auth_cache_put(c, "k", "1v1:p:aa", 100);
	assert_int_equal(auth_cache_get(c, "k1", "v1:p:aa", 200, 1000), 1);
	/* A newer verification refreshes the time. */
	auth_cache_put(c, "k1", "v1:p:aa", 5000);
	assert_int_equal(auth_cache_get(c, "k1", "v1:p:aa", 5500, 1000), 1);
	auth_cache_forget(c, "k1", "v1:p:aa");
	assert_int_equal(auth_cache_get(c, "k1", "v1:p:aa", 5500, 1000), 0);
	auth_cache_forget(c, "k9", "v1:p:zz");	/* absent: nothing */
	assert_int_equal(auth_cache_get(c, "k", "1v1:p:aa", 200, 1000), 1);
	auth_cache_free(&c);
	assert_null(c);
	auth_cache_free(&c);
}

static void
test_cache_bounds(void **state)
{
	struct auth_cache *c = auth_cache_new(0);
	char longid[PW_AUTH_KEYID_MAX + 2], longhash[PW_AUTH_HASH_MAX + 1];

	(void)state;
	auth_cache_put(c, "k1", "v1:p:aa", 0);
	assert_int_equal(auth_cache_get(c, "k1", "v1:p:aa", 0, 1000), 0);
	auth_cache_free(&c);

	c = auth_cache_new(4);
	memset(longid, 'k', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	memset(longhash, 'h', sizeof(longhash) - 1);
	longhash[sizeof(longhash) - 1] = '\0';
	auth_cache_put(c, longid, "v1:p:aa", 0);
	assert_int_equal(auth_cache_get(c, longid, "v1:p:aa", 0, 1000), 0);
	auth_cache_put(c, "k1", longhash, 0);
	assert_int_equal(auth_cache_get(c, "k1", longhash, 0, 1000), 0);
	/* Beyond its size, the pair least recently used goes. */
	auth_cache_put(c, "a", "h", 0);
	auth_cache_put(c, "b", "h", 0);
	auth_cache_put(c, "c", "h", 0);
	auth_cache_put(c, "d", "h", 0);
	assert_int_equal(auth_cache_get(c, "a", "h", 0, 1000), 1);
	auth_cache_put(c, "e", "h", 0);
	assert_int_equal(auth_cache_get(c, "b", "h", 0, 1000), 0);
	assert_int_equal(auth_cache_get(c, "a", "h", 0, 1000), 1);
	assert_int_equal(auth_cache_get(c, "e", "h", 0, 1000), 1);
	auth_cache_free(&c);
}

/* 1,000 pairs in a cache of 1,000: every one stays. */
static void
test_cache_all_stay(void **state)
{
	struct auth_cache *c = auth_cache_new(1000);
	char id[32], hash[32];
	int i, found = 0;

	(void)state;
	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "key%d", i);
		snprintf(hash, sizeof(hash), "v1:p:%08x", i * 2654435761U);
		auth_cache_put(c, id, hash, 0);
	}
	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "key%d", i);
		snprintf(hash, sizeof(hash), "v1:p:%08x", i * 2654435761U);
		found += auth_cache_get(c, id, hash, 1, 1000);
	}
	assert_int_equal(found, 1000);
	auth_cache_free(&c);
}

static void
test_throttle(void **state)
{
	struct auth_throttle *t = auth_throttle_new();
	char addr[AUTH_THROTTLE_ADDR_MAX + 2];
	int i, found = 0;

	(void)state;
	assert_int_equal(auth_throttle_check(t, "192.0.2.1", 0), 0);
	auth_throttle_add(t, "192.0.2.1", 1000);
	assert_int_equal(auth_throttle_check(t, "192.0.2.1", 999), 1);
	assert_int_equal(auth_throttle_check(t, "192.0.2.2", 999), 0);
	assert_int_equal(auth_throttle_check(t, "192.0.2.1", 1000), 0);
	/* Expired, then throttled again. */
	auth_throttle_add(t, "192.0.2.1", 3000);
	assert_int_equal(auth_throttle_check(t, "192.0.2.1", 2000), 1);
	/* The latest time wins, even a shorter one. */
	auth_throttle_add(t, "192.0.2.1", 2500);
	assert_int_equal(auth_throttle_check(t, "192.0.2.1", 2600), 0);
	/* Empty and over-long addresses are never kept. */
	auth_throttle_add(t, "", 9000);
	assert_int_equal(auth_throttle_check(t, "", 0), 0);
	memset(addr, 'a', sizeof(addr) - 1);
	addr[sizeof(addr) - 1] = '\0';
	auth_throttle_add(t, addr, 9000);
	assert_int_equal(auth_throttle_check(t, addr, 0), 0);
	/* AUTH_THROTTLE_SIZE addresses: all remembered. */
	for (i = 0; i < AUTH_THROTTLE_SIZE; i++) {
		snprintf(addr, sizeof(addr), "2001:db8::%x", i);
		auth_throttle_add(t, addr, 10000);
	}
	for (i = 0; i < AUTH_THROTTLE_SIZE; i++) {
		snprintf(addr, sizeof(addr), "2001:db8::%x", i);
		found += auth_throttle_check(t, addr, 5000);
	}
	assert_int_equal(found, AUTH_THROTTLE_SIZE);
	auth_throttle_free(&t);
	assert_null(t);
	auth_throttle_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_ttl_forget),
		cmocka_unit_test(test_cache_bounds),
		cmocka_unit_test(test_cache_all_stay),
		cmocka_unit_test(test_throttle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
