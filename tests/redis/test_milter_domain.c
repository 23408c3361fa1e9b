/*
 * test_milter_domain.c -- milter/milter_domain.c against a private
 * redis-server (redis_fixture.h), through the milter's real snapshot
 * loader: which domains a tenant owns (exact, a parent with subdomains,
 * a parent without, values that are neither), "owns none" apart from
 * "owns others", the normal form of the domain asked, identity_cache_ttl,
 * Redis stopped (the last answer stands; UNKNOWN when there is none),
 * Redis back; and the reply texts.
 */
#include "config.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "milter.h"
#include "milter_domain.h"
#include "redis_fixture.h"
#include "runtime.h"

#define TTL_MS		300

struct state {
	struct pw_redis_fixture	 f;
	struct pw_runtime	*rt;
};

/* --- helpers ------------------------------------------------------ */

static struct pw_runtime *
load(struct state *st)
{
	char path[256], err[PW_RUNTIME_ERR_MAX];
	struct pw_runtime *rt = NULL;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/postwarden.conf", st->f.dir);
	if ((fp = fopen(path, "w")) == NULL)
		fail_msg("%s: cannot write", path);
	fprintf(fp, "redis_server = %s\nidentity_cache_ttl = %dms\n",
	    st->f.unix_endpoint, TTL_MS);
	fclose(fp);
	if (pw_runtime_load(path, milter_runtime_load, &rt, err,
	    sizeof(err)) < 0)
		fail_msg("load: %s", err);
	return rt;
}

/* pw:{tenant}:domains domain -> value, as `postwarden domain add` does. */
static void
own(struct state *st, const char *tenant, const char *domain,
    const char *value)
{
	char key[128];
	redisReply *reply;

	snprintf(key, sizeof(key), "pw:{%s}:domains", tenant);
	reply = pw_redis_fixture_cmd(&st->f, "HSET", key, domain, value,
	    NULL);
	assert_non_null(reply);
	assert_int_equal(reply->type, REDIS_REPLY_INTEGER);
	freeReplyObject(reply);
}

/* The verdict for (tenant, domain) must be want; *stale_r as found. */
static void
check(struct state *st, const char *tenant, const char *domain,
    enum milter_domain_verdict want, bool *stale_r)
{
	const char *why = NULL;
	bool stale;
	enum milter_domain_verdict v;

	v = milter_domain_owned(st->rt, tenant, domain, &stale, &why);
	if (v != want)
		fail_msg("milter_domain_owned(%s, %s): %d, want %d (%s)",
		    tenant, domain, (int)v, (int)want, why != NULL ? why : "-");
	if (stale_r != NULL)
		*stale_r = stale;
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
	st->rt = load(st);
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
test_owned(void **state)
{
	struct state *st = *state;

	own(st, "acme", "canon.test", "exact");
	own(st, "acme", "parent.test", "subdomains");
	own(st, "acme", "odd.test", "everything");
	check(st, "acme", "canon.test", MILTER_DOMAIN_OWNED, NULL);
	check(st, "acme", "parent.test", MILTER_DOMAIN_OWNED, NULL);
	check(st, "acme", "news.parent.test", MILTER_DOMAIN_OWNED, NULL);
	check(st, "acme", "a.b.c.parent.test", MILTER_DOMAIN_OWNED, NULL);
	/* Normal form: lower case before the lookup. */
	check(st, "acme", "News.PARENT.test", MILTER_DOMAIN_OWNED, NULL);
	/* exact covers no subdomain; a value of neither kind is exact. */
	check(st, "acme", "sub.canon.test", MILTER_DOMAIN_NOT_OWNED, NULL);
	check(st, "acme", "odd.test", MILTER_DOMAIN_OWNED, NULL);
	check(st, "acme", "x.odd.test", MILTER_DOMAIN_NOT_OWNED, NULL);
	/* A name that only ends like an owned one. */
	check(st, "acme", "notparent.test", MILTER_DOMAIN_NOT_OWNED, NULL);
	check(st, "acme", "test", MILTER_DOMAIN_NOT_OWNED, NULL);
	/* No From domain: owns others. */
	check(st, "acme", "", MILTER_DOMAIN_NOT_OWNED, NULL);
	/* Another tenant: what acme owns is not beta's. */
	own(st, "beta", "beta.test", "exact");
	check(st, "beta", "canon.test", MILTER_DOMAIN_NOT_OWNED, NULL);
	check(st, "beta", "news.parent.test", MILTER_DOMAIN_NOT_OWNED, NULL);
	check(st, "beta", "beta.test", MILTER_DOMAIN_OWNED, NULL);
}

static void
test_none(void **state)
{
	struct state *st = *state;

	check(st, "newbie", "canon.test", MILTER_DOMAIN_NONE, NULL);
	check(st, "newbie", "", MILTER_DOMAIN_NONE, NULL);
	check(st, "newbie", NULL, MILTER_DOMAIN_NONE, NULL);
	/* Not a tenant name: unknown; no normal form: no domain. */
	check(st, "Bad Name", "canon.test", MILTER_DOMAIN_UNKNOWN, NULL);
	check(st, "newbie", "bad..test", MILTER_DOMAIN_NONE, NULL);
	own(st, "acme", "canon.test", "exact");
	check(st, "acme", "-canon.test", MILTER_DOMAIN_NOT_OWNED, NULL);
}

static void
test_ttl(void **state)
{
	struct state *st = *state;

	own(st, "acme", "other.test", "exact");
	check(st, "acme", "canon.test", MILTER_DOMAIN_NOT_OWNED, NULL);
	own(st, "acme", "canon.test", "exact");
	check(st, "acme", "canon.test", MILTER_DOMAIN_NOT_OWNED, NULL);
	pw_redis_fixture_nap(TTL_MS + 50);
	check(st, "acme", "canon.test", MILTER_DOMAIN_OWNED, NULL);
}

static void
test_redis_down(void **state)
{
	struct state *st = *state;
	enum milter_domain_verdict v = MILTER_DOMAIN_UNKNOWN;
	const char *why;
	bool stale = true;
	int i;

	own(st, "acme", "canon.test", "exact");
	check(st, "acme", "canon.test", MILTER_DOMAIN_OWNED, &stale);
	assert_false(stale);
	check(st, "acme", "evil.test", MILTER_DOMAIN_NOT_OWNED, &stale);
	pw_redis_fixture_kill(&st->f);

	/* Expired, Redis gone: the last answers stand, marked stale. */
	pw_redis_fixture_nap(TTL_MS + 50);
	check(st, "acme", "canon.test", MILTER_DOMAIN_OWNED, &stale);
	assert_true(stale);
	check(st, "acme", "canon.test", MILTER_DOMAIN_OWNED, &stale);
	assert_true(stale);
	check(st, "acme", "evil.test", MILTER_DOMAIN_NOT_OWNED, &stale);
	assert_true(stale);
	/* Never asked: unknown, never owned. */
	check(st, "acme", "new.test", MILTER_DOMAIN_UNKNOWN, NULL);
	check(st, "other", "canon.test", MILTER_DOMAIN_UNKNOWN, NULL);

	/*
	 * Redis back (empty: no persistence): fresh answers again, once
	 * the handle has reconnected (lib/redis may spend one command on
	 * the dead connection) and the retry delay has passed.
	 */
	assert_int_equal(pw_redis_fixture_start(&st->f), 0);
	for (i = 0; i < 5; i++) {
		pw_redis_fixture_nap(1100);	/* MILTER_DOMAIN_RETRY_MS */
		v = milter_domain_owned(st->rt, "acme", "canon.test", &stale,
		    &why);
		if (!stale)
			break;
	}
	assert_false(stale);
	assert_int_equal(v, MILTER_DOMAIN_NONE);
}

static void
test_replies(void **state)
{
	char buf[512];

	(void)state;
	assert_string_equal(milter_domain_reply_text(MILTER_DOMAIN_RULE_FROM,
	    "beta", "canon.test", buf, sizeof(buf)),
	    "From domain canon.test is not a sending domain of tenant beta");
	assert_string_equal(milter_domain_reply_text(
	    MILTER_DOMAIN_RULE_NO_FROM, "beta", "", buf, sizeof(buf)),
	    "No single From domain (one From field with one mailbox); "
	    "tenant beta sends only from its sending domains");
	assert_string_equal(milter_domain_reply_text(MILTER_DOMAIN_RULE_NONE,
	    "newbie", "", buf, sizeof(buf)),
	    "Tenant newbie has no sending domain; add one with "
	    "postwarden domain add");
	/* Cut, never overrun. */
	assert_string_equal(milter_domain_reply_text(MILTER_DOMAIN_RULE_FROM,
	    "beta", "canon.test", buf, 12), "From domain");
	assert_string_equal(milter_domain_reply(MILTER_DOMAIN_RULE_FROM)->code,
	    "550");
	assert_string_equal(
	    milter_domain_reply(MILTER_DOMAIN_RULE_NONE)->status, "5.7.1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_owned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_none, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ttl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redis_down, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_replies, setup,
		    teardown),
	};

	/* hiredis 0.14 writes with write(2): a dead peer means SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("milter_domain", tests, NULL,
	    NULL);
}
