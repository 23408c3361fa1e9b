/*
 * auth_verify.c -- check one SMTP AUTH login against Redis (see
 * auth_verify.h).
 *
 * Exports: auth_verify_new, auth_verify_start, auth_verify_free,
 * auth_verify_login.
 *
 * Steps of a login (each Redis step a callback of lib/redis_async):
 *   1. the client address in the local record of throttled clients
 *      (auth_throttle.c) -- refused without Redis;
 *   2. the form: user "apikey" or the token's own key id; the token
 *      parsed (malformed, mistyped) -- refused without a check;
 *   3. the key's tenant (policyd_identity: cache, else pw:key:<id>);
 *   4. one round trip, pipelined: GET pw:authfail:<addr> (at
 *      auth_fail_client_limit the client is refused and recorded locally
 *      until the window ends) and lua/auth_login.lua in the tenant's
 *      slot (secret, key status, tenant status, the key's failed-login
 *      counter);
 *      With auth_refuse_quota_spent, the key's quota_day and today's use
 *      are read in the same round trip: a spent quota refuses the login
 *      (not counted as a failure: the secret was right);
 *   5. a refusal of a login that was not already throttled counts
 *      against the client: INCR pw:authfail:<addr> and EXPIRE ... NX
 *      (a key outside any tenant slot: its own commands, never inside
 *      the tenant-slot script); the answer waits for the INCR.
 * Any Redis failure (no connection, timeout, error reply) goes to the
 * cache of verified pairs: a pair verified within auth_cache_ttl logs
 * in, anything else is a temporary failure (the caller drops Postfix's
 * connection: 454).
 *
 * Threads: the event loop's only.
 * Ownership: a login is a struct auth_verify_job, freed after its
 * callback ran; it holds a runtime reference for its settings.
 * Failures: allocation failure exits; everything else is an answer.
 * Security: the token's secret is wiped once hashed; logs carry the
 * client address, key id and why, never the password.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/crypto.h>

#include "auth_cache.h"
#include "auth_throttle.h"
#include "auth_verify.h"
#include "clock.h"
#include "limit.h"
#include "log.h"
#include "lua.h"
#include "redis_async.h"
#include "redis_common.h"
#include "schema.h"
#include "secret_file.h"
#include "xmalloc.h"

/* The user name of the token-only form (SendGrid's). */
#define AUTH_VERIFY_APIKEY_USER	"apikey"

static struct pw_redis_script auth_verify_lua = {
	"auth_login", pw_lua_auth_login, ""
};

struct auth_verify {
	struct pw_auth_pepper		 pepper;
	struct policyd_identity		*identity;
	struct auth_cache		*cache;
	struct auth_throttle		*throttle;
};

struct auth_verify_job {
	struct auth_verify	*v;
	struct pw_runtime	*rt;
	auth_verify_cb		*cb;
	void			*arg;
	char			 keyid[PW_AUTH_KEYID_MAX + 1];
	char			 sid[PW_AUTH_SID_LEN + 1];
	char			 hash[PW_AUTH_HASH_MAX];
	char			 addr[AUTH_THROTTLE_ADDR_MAX + 1];
	char			 tenant[PW_IDENTITY_TENANT_MAX + 1];
	char			 mech[8];
	const char		*why;		/* a refusal's reason */
	char			 detail[96];	/* for the log line */
	/* The pipelined round trip (auth_verify_script). */
	int			 pending;	/* answers still to come */
	const char		*redis_why;	/* a Redis failure, static */
	long long		 client_n;	/* pw:authfail:<addr> */
	char			 verdict[16];	/* the script's, escaped */
	char			 vdetail[32];
	/* auth_refuse_quota_spent: the key's quota_day and its use today */
	bool			 quota_asked;
	long long		 quota_day;	/* 0: no limit */
	long long		 quota_used;
};

struct auth_verify *
auth_verify_new(const struct pw_conf *conf, char *err, size_t errsize)
{
	struct auth_verify *v;
	const char *why;

	if (*conf->auth_pepper_file == '\0') {
		snprintf(err, errsize, "auth_listen is set but "
		    "auth_pepper_file is not: no login could be checked");
		return NULL;
	}
	if (pw_redis_script_init(&auth_verify_lua, &why) < 0) {
		snprintf(err, errsize, "auth_login script: %s", why);
		return NULL;
	}
	v = pw_xcalloc(1, sizeof(*v));
	pw_secret_file_owner(conf->user);
	if (pw_auth_pepper_load(&v->pepper, conf->auth_pepper_file,
	    conf->dkim_key_mode_check, err, errsize) < 0) {
		free(v);
		return NULL;
	}
	v->cache = auth_cache_new((size_t)conf->auth_cache_size);
	v->throttle = auth_throttle_new();
	return v;
}

void
auth_verify_start(struct auth_verify *v, struct policyd_identity *identity)
{
	v->identity = identity;
}

void
auth_verify_free(struct auth_verify **vp)
{
	struct auth_verify *v = *vp;

	if (v == NULL)
		return;
	*vp = NULL;
	pw_auth_pepper_wipe(&v->pepper);
	auth_cache_free(&v->cache);
	auth_throttle_free(&v->throttle);
	free(v);
}

/* Answer, log a refusal once, free the job. */
static void
auth_verify_done(struct auth_verify_job *j, enum auth_verify_result res)
{
	const char *rip = *j->addr != '\0' ? j->addr : "unknown";

	switch (res) {
	case AUTH_VERIFY_OK:
		pw_log_debug("sasl login: rip=%s, mech=%s, key=%s", rip,
		    j->mech, j->keyid);
		break;
	case AUTH_VERIFY_FAIL:
		pw_log_info("sasl login failed: rip=%s, mech=%s, key=%s: %s%s%s%s",
		    rip, j->mech, *j->keyid != '\0' ? j->keyid : "(none)",
		    j->why, *j->detail != '\0' ? " (" : "", j->detail,
		    *j->detail != '\0' ? ")" : "");
		break;
	case AUTH_VERIFY_TEMP:
		pw_log_warnx("sasl login deferred: rip=%s, mech=%s, key=%s: "
		    "%s; dropping the connection (454)", rip, j->mech,
		    j->keyid, j->why);
		break;
	}
	j->cb(res, res == AUTH_VERIFY_OK ? j->keyid : "", j->arg);
	pw_runtime_release(&j->rt);
	OPENSSL_cleanse(j->hash, sizeof(j->hash));
	free(j);
}

/* Redis could not answer (why): the cache of verified pairs decides. */
static void
auth_verify_redis_down(struct auth_verify_job *j, const char *why)
{
	if (auth_cache_get(j->v->cache, j->keyid, j->hash, pw_clock_ms(),
	    j->rt->conf->auth_cache_ttl_ms)) {
		pw_log_info("sasl login: rip=%s, mech=%s, key=%s: verified "
		    "from the cache (%s)", *j->addr != '\0' ? j->addr :
		    "unknown", j->mech, j->keyid, why);
		auth_verify_done(j, AUTH_VERIFY_OK);
		return;
	}
	j->why = why;
	auth_verify_done(j, AUTH_VERIFY_TEMP);
}

/* The reply to the client's INCR: maybe throttle it locally; answer. */
static void
auth_verify_incr_reply(struct pw_redis_async *ra, const redisReply *reply,
    const char *why, void *arg)
{
	struct auth_verify_job *j = arg;
	const struct pw_conf *conf = j->rt->conf;

	(void)ra;
	(void)why;
	if (reply != NULL && reply->type == REDIS_REPLY_INTEGER &&
	    reply->integer >= conf->auth_fail_client_limit)
		auth_throttle_add(j->v->throttle, j->addr,
		    pw_clock_ms() + conf->auth_fail_window_ms);
	auth_verify_done(j, AUTH_VERIFY_FAIL);
}

static void
auth_verify_ignore_reply(struct pw_redis_async *ra, const redisReply *reply,
    const char *why, void *arg)
{
	(void)ra;
	(void)reply;
	(void)why;
	(void)arg;
}

/*
 * Refuse with why, counting the failure against the client address
 * first (when there is one and Redis takes the command).
 */
static void
auth_verify_fail(struct auth_verify_job *j, const char *why)
{
	struct pw_redis_async *ra = policyd_identity_redis(j->v->identity);
	char key[512], window[24];
	const char *argv[5], *rwhy;

	j->why = why;
	if (*j->addr == '\0' || pw_schema_key(key, sizeof(key),
	    pw_redis_async_key_prefix(ra), PW_SCHEMA_AUTHFAIL_CLIENT, NULL,
	    j->addr, NULL) < 0) {
		auth_verify_done(j, AUTH_VERIFY_FAIL);
		return;
	}
	argv[0] = "INCR";
	argv[1] = key;
	if (pw_redis_async_command_argv(ra, 2, argv, NULL,
	    auth_verify_incr_reply, j, &rwhy) < 0) {
		auth_verify_done(j, AUTH_VERIFY_FAIL);
		return;
	}
	snprintf(window, sizeof(window), "%d",
	    (j->rt->conf->auth_fail_window_ms + 999) / 1000);
	argv[0] = "EXPIRE";
	argv[2] = window;
	argv[3] = "NX";
	(void)pw_redis_async_command_argv(ra, 4, argv, NULL,
	    auth_verify_ignore_reply, NULL, &rwhy);
}

/*
 * Both answers are in (the client's counter and the script's verdict):
 * decide.  A Redis failure of either goes to the cache.
 */
static void
auth_verify_decide(struct auth_verify_job *j)
{
	struct auth_verify *v = j->v;
	const struct pw_conf *conf = j->rt->conf;

	if (j->redis_why != NULL) {
		auth_verify_redis_down(j, j->redis_why);
		return;
	}
	if (j->client_n >= conf->auth_fail_client_limit) {
		auth_throttle_add(v->throttle, j->addr,
		    pw_clock_ms() + conf->auth_fail_window_ms);
		j->why = "client throttled: too many failed logins";
		auth_verify_done(j, AUTH_VERIFY_FAIL);
		return;
	}
	if (strcmp(j->verdict, "ok") == 0) {
		auth_cache_put(v->cache, j->keyid, j->hash, pw_clock_ms());
		if (j->quota_asked && j->quota_day > 0 &&
		    j->quota_used >= j->quota_day) {
			/* The right secret: no failure to count. */
			snprintf(j->detail, sizeof(j->detail), "%lld of %lld "
			    "today", j->quota_used, j->quota_day);
			j->why = "daily quota spent (auth_refuse_quota_spent)";
			auth_verify_done(j, AUTH_VERIFY_FAIL);
			return;
		}
		auth_verify_done(j, AUTH_VERIFY_OK);
		return;
	}
	auth_cache_forget(v->cache, j->keyid, j->hash);
	if (strcmp(j->verdict, "wrong") == 0) {
		snprintf(j->detail, sizeof(j->detail), "the key's failure %s "
		    "in auth_fail_window", j->vdetail);
		auth_verify_fail(j, "wrong secret");
	} else if (strcmp(j->verdict, "throttled") == 0) {
		snprintf(j->detail, sizeof(j->detail), "%s s left", j->vdetail);
		auth_verify_fail(j, "key throttled: too many failed logins");
	} else if (strcmp(j->verdict, "key") == 0) {
		snprintf(j->detail, sizeof(j->detail), "%s", j->vdetail);
		auth_verify_fail(j, "key not active");
	} else if (strcmp(j->verdict, "tenant") == 0) {
		snprintf(j->detail, sizeof(j->detail), "%s", j->vdetail);
		auth_verify_fail(j, "tenant not active");
	} else if (strcmp(j->verdict, "unknown") == 0) {
		snprintf(j->detail, sizeof(j->detail), "no %s record",
		    j->vdetail);
		auth_verify_fail(j, "unknown key");
	} else
		auth_verify_redis_down(j, "redis: unexpected auth_login verdict");
}

/* One of the pipelined answers came; decide after the last. */
static void
auth_verify_settle(struct auth_verify_job *j)
{
	if (--j->pending == 0)
		auth_verify_decide(j);
}

/* The first reason a pipelined answer was unusable, for the log. */
static void
auth_verify_keep_why(struct auth_verify_job *j, const char *why)
{
	if (j->redis_why == NULL)
		j->redis_why = why;
}

/*
 * Did Redis answer?  When not, its reason is kept (the login then goes
 * the redis_down way once every answer is in).
 */
static bool
auth_verify_answered(struct auth_verify_job *j, const redisReply *reply,
    const char *why)
{
	if (reply == NULL)
		auth_verify_keep_why(j, why);
	return reply != NULL;
}

/* The client's failed logins (GET pw:authfail:<addr>). */
static void
auth_verify_client_reply(struct pw_redis_async *ra, const redisReply *reply,
    const char *why, void *arg)
{
	struct auth_verify_job *j = arg;

	(void)ra;
	if (auth_verify_answered(j, reply, why)) {
		if (reply->type == REDIS_REPLY_STRING)
			j->client_n = strtoll(reply->str, NULL, 10);
		else if (reply->type != REDIS_REPLY_NIL)
			auth_verify_keep_why(j,
			    "redis: malformed failure counter");
	}
	auth_verify_settle(j);
}

/* The key's quota_day (HGET), then its use today (GET): either order. */
static void
auth_verify_quota_reply(struct pw_redis_async *ra, const redisReply *reply,
    const char *why, void *arg, long long *out)
{
	struct auth_verify_job *j = arg;

	(void)ra;
	if (auth_verify_answered(j, reply, why)) {
		if (reply->type == REDIS_REPLY_STRING) {
			if (pw_limit_parse(reply->str, out) != PW_LIMIT_SET)
				*out = 0; /* none, or invalid: policyd decides */
		} else if (reply->type != REDIS_REPLY_NIL)
			auth_verify_keep_why(j, "redis: malformed quota reply");
	}
	auth_verify_settle(j);
}

static void
auth_verify_quota_day_reply(struct pw_redis_async *ra,
    const redisReply *reply, const char *why, void *arg)
{
	struct auth_verify_job *j = arg;

	auth_verify_quota_reply(ra, reply, why, arg, &j->quota_day);
}

static void
auth_verify_quota_used_reply(struct pw_redis_async *ra,
    const redisReply *reply, const char *why, void *arg)
{
	struct auth_verify_job *j = arg;

	auth_verify_quota_reply(ra, reply, why, arg, &j->quota_used);
}

/*
 * auth_refuse_quota_spent: ask for the key's quota_day and today's use
 * (the UTC day, as lua/calendar.lua counts it), pipelined with the rest.
 * 0, or -1 and a static reason (nothing more was sent).
 */
static int
auth_verify_quota(struct auth_verify_job *j, struct pw_redis_async *ra,
    const char *prefix, const char **why_r)
{
	char who[PW_AUTH_KEYID_MAX + 8], day[16], window[24], *key, *used;
	const char *argv[3];
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y%m%d", &tm);
	if (pw_schema_key(who, sizeof(who), prefix, PW_SCHEMA_WHO_KEY, NULL,
	    j->keyid, NULL) < 0 || pw_schema_key(window, sizeof(window),
	    prefix, PW_SCHEMA_WINDOW, NULL, "d", day) < 0) {
		*why_r = "key id too long";
		return -1;
	}
	key = pw_schema_key_new(prefix, PW_SCHEMA_KEY, j->tenant, j->keyid,
	    NULL);
	used = pw_schema_key_new(prefix, PW_SCHEMA_USED, j->tenant, who,
	    window);
	argv[0] = "HGET";
	argv[1] = key;
	argv[2] = "quota_day";
	rc = pw_redis_async_command_argv(ra, 3, argv, NULL,
	    auth_verify_quota_day_reply, j, why_r);
	if (rc == 0) {
		j->pending++;
		argv[0] = "GET";
		argv[1] = used;
		rc = pw_redis_async_command_argv(ra, 2, argv, NULL,
		    auth_verify_quota_used_reply, j, why_r);
		if (rc == 0)
			j->pending++;
	}
	free(key);
	free(used);
	if (rc == 0)
		j->quota_asked = true;
	return rc;
}

/* The script's answer: {verdict, detail}. */
static void
auth_verify_script_reply(struct pw_redis_async *ra, const redisReply *reply,
    const char *why, void *arg)
{
	struct auth_verify_job *j = arg;

	(void)ra;
	if (auth_verify_answered(j, reply, why)) {
		if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
		    reply->element[0]->type != REDIS_REPLY_STRING ||
		    reply->element[1]->type != REDIS_REPLY_STRING)
			auth_verify_keep_why(j,
			    reply->type == REDIS_REPLY_ERROR ?
			    "redis: auth_login script error" :
			    "redis: malformed auth_login reply");
		else {
			pw_log_escape(j->verdict, sizeof(j->verdict),
			    reply->element[0]->str, reply->element[0]->len);
			pw_log_escape(j->vdetail, sizeof(j->vdetail),
			    reply->element[1]->str, reply->element[1]->len);
		}
	}
	auth_verify_settle(j);
}

/*
 * One round trip, pipelined: GET pw:authfail:<addr> (outside any tenant
 * slot, so a command of its own) and lua/auth_login.lua in the key's
 * tenant slot.  The script runs even for a client whose counter turns
 * out to be at its limit: its answer is then ignored (a wrong secret
 * still counts against the key), and the client is refused locally from
 * then on, so this costs one script per throttled client and node.
 */
static void
auth_verify_script(struct auth_verify_job *j)
{
	struct pw_redis_async *ra = policyd_identity_redis(j->v->identity);
	const char *prefix = pw_redis_async_key_prefix(ra);
	const struct pw_conf *conf = j->rt->conf;
	char *keys[4], now[24], window[24], limit[24], ckey[512];
	const char *argv[9], *why;
	int i, rc;

	j->pending = 1;		/* held until both are sent */
	if (*j->addr != '\0' && pw_schema_key(ckey, sizeof(ckey), prefix,
	    PW_SCHEMA_AUTHFAIL_CLIENT, NULL, j->addr, NULL) == 0) {
		argv[0] = "GET";
		argv[1] = ckey;
		if (pw_redis_async_command_argv(ra, 2, argv, NULL,
		    auth_verify_client_reply, j, &why) < 0) {
			auth_verify_redis_down(j, why);
			return;
		}
		j->pending++;
	}
	keys[0] = pw_schema_key_new(prefix, PW_SCHEMA_TENANT, j->tenant,
	    NULL, NULL);
	keys[1] = pw_schema_key_new(prefix, PW_SCHEMA_KEY, j->tenant,
	    j->keyid, NULL);
	keys[2] = pw_schema_key_new(prefix, PW_SCHEMA_KEY_SECRETS, j->tenant,
	    j->keyid, NULL);
	keys[3] = pw_schema_key_new(prefix, PW_SCHEMA_AUTHFAIL_KEY, j->tenant,
	    j->keyid, NULL);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	snprintf(window, sizeof(window), "%d",
	    (conf->auth_fail_window_ms + 999) / 1000);
	snprintf(limit, sizeof(limit), "%d", conf->auth_fail_key_limit);
	for (i = 0; i < 4; i++)
		argv[i] = keys[i];
	argv[4] = j->sid;
	argv[5] = j->hash;
	argv[6] = now;
	argv[7] = window;
	argv[8] = limit;
	rc = pw_redis_async_evalsha(ra, &auth_verify_lua, 4, 9, argv,
	    NULL, auth_verify_script_reply, j, &why);
	for (i = 0; i < 4; i++)
		free(keys[i]);
	if (rc < 0)
		auth_verify_keep_why(j, why);
	else
		j->pending++;
	if (rc == 0 && conf->auth_refuse_quota_spent &&
	    auth_verify_quota(j, ra, prefix, &why) < 0)
		auth_verify_keep_why(j, why);
	auth_verify_settle(j);	/* the hold taken above */
}

/* The key's tenant is known (or not). */
static void
auth_verify_identity(const struct pw_identity *id,
    enum pw_identity_result res, const char *why, void *arg)
{
	struct auth_verify_job *j = arg;

	switch (res) {
	case PW_IDENTITY_OK:
		snprintf(j->tenant, sizeof(j->tenant), "%s", id->tenant);
		auth_verify_script(j);
		return;
	case PW_IDENTITY_UNKNOWN_KEY:
		auth_verify_fail(j, "unknown key");
		return;
	case PW_IDENTITY_INVALID_KEY:
		auth_verify_fail(j, "invalid key id");
		return;
	case PW_IDENTITY_FAILED:
	default:
		auth_verify_redis_down(j, why != NULL ? why :
		    "redis: key lookup failed");
		return;
	}
}

/* rip in its canonical text form into out, or "" when not an address. */
static void
auth_verify_addr(const char *rip, char *out, size_t outsize)
{
	unsigned char a[16];

	*out = '\0';
	if (rip == NULL || strlen(rip) >= INET6_ADDRSTRLEN)
		return;
	if (inet_pton(AF_INET, rip, a) == 1)
		(void)inet_ntop(AF_INET, a, out, (socklen_t)outsize);
	else if (inet_pton(AF_INET6, rip, a) == 1)
		(void)inet_ntop(AF_INET6, a, out, (socklen_t)outsize);
}

/* Take the login form and the token apart: 0, or -1 with j->why set. */
static int
auth_verify_form(struct auth_verify_job *j, const char *user,
    const char *pass)
{
	struct pw_auth_token tok;
	enum pw_auth_token_result tr;
	bool apikey = strcmp(user, AUTH_VERIFY_APIKEY_USER) == 0;

	if (!apikey)
		snprintf(j->keyid, sizeof(j->keyid), "%s", user);
	tr = pw_auth_token_parse(pass, strlen(pass), &tok);
	if (tr != PW_AUTH_TOKEN_OK) {
		j->why = tr == PW_AUTH_TOKEN_TYPO ?
		    "token checksum fails (a mistyped token)" :
		    "password is not an API key token";
		pw_auth_token_wipe(&tok);
		return -1;
	}
	if (!apikey && strcmp(tok.keyid, user) != 0) {
		j->why = "the token belongs to another key";
		pw_auth_token_wipe(&tok);
		return -1;
	}
	snprintf(j->keyid, sizeof(j->keyid), "%s", tok.keyid);
	snprintf(j->sid, sizeof(j->sid), "%s", tok.sid);
	pw_auth_secret_hash(&j->v->pepper, &tok, j->hash);
	pw_auth_token_wipe(&tok);
	return 0;
}

void
auth_verify_login(struct auth_verify *v, const char *user, const char *pass,
    const char *rip, const char *mech, auth_verify_cb *cb, void *arg)
{
	struct auth_verify_job *j = pw_xcalloc(1, sizeof(*j));
	int form;

	j->v = v;
	j->cb = cb;
	j->arg = arg;
	if ((j->rt = pw_runtime_current()) == NULL)
		pw_log_fatal("no configuration published");
	snprintf(j->mech, sizeof(j->mech), "%s", mech);
	auth_verify_addr(rip, j->addr, sizeof(j->addr));
	form = auth_verify_form(j, user, pass);
	/* A client known to be throttled costs no Redis round trip. */
	if (*j->addr != '\0' && auth_throttle_check(v->throttle, j->addr,
	    pw_clock_ms())) {
		j->why = "client throttled: too many failed logins";
		auth_verify_done(j, AUTH_VERIFY_FAIL);
		return;
	}
	if (form < 0) {
		auth_verify_fail(j, j->why);
		return;
	}
	policyd_identity_resolve(v->identity, j->rt, j->keyid, NULL, NULL,
	    auth_verify_identity, j);
}
