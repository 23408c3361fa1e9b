/*
 * auth_verify.c -- check one SMTP AUTH login against Redis (see
 * auth_verify.h).
 *
 * Exports: auth_verify_new, auth_verify_start, auth_verify_free,
 * auth_verify_login.
 *
 * Steps of a login (each Redis step a callback of lib/redis_async):
 *   1. the form: user "apikey" or the token's own key id; the token
 *      parsed (malformed, mistyped) -- refused without Redis;
 *   2. the client address in the local record of throttled clients
 *      (auth_throttle.c) -- refused without Redis;
 *   3. GET pw:authfail:<addr>: at auth_fail_client_limit, refused (and
 *      recorded locally until the window ends);
 *   4. the key's tenant (policyd_identity: cache, else pw:key:<id>);
 *   5. lua/auth_login.lua in the tenant's slot: secret, key status,
 *      tenant status, the key's failed-login counter;
 *   6. a refusal of a login that was not already throttled counts
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
	char			 detail[96];	/* from Redis, escaped */
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
	if (auth_cache_get(j->v->cache, j->keyid, j->hash, pw_redis_now_ms(),
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
		    pw_redis_now_ms() + conf->auth_fail_window_ms);
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

/* The script's answer: {verdict, detail}. */
static void
auth_verify_script_reply(struct pw_redis_async *ra, const redisReply *reply,
    const char *why, void *arg)
{
	struct auth_verify_job *j = arg;
	struct auth_verify *v = j->v;
	const redisReply *verdict, *detail;
	char esc[32];

	(void)ra;
	if (reply == NULL) {
		auth_verify_redis_down(j, why);
		return;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_STRING) {
		auth_verify_redis_down(j, reply->type == REDIS_REPLY_ERROR ?
		    "redis: auth_login script error" :
		    "redis: malformed auth_login reply");
		return;
	}
	verdict = reply->element[0];
	detail = reply->element[1];
	pw_log_escape(esc, sizeof(esc), detail->str, detail->len);
	if (strcmp(verdict->str, "ok") == 0) {
		auth_cache_put(v->cache, j->keyid, j->hash, pw_redis_now_ms());
		auth_verify_done(j, AUTH_VERIFY_OK);
		return;
	}
	auth_cache_forget(v->cache, j->keyid, j->hash);
	if (strcmp(verdict->str, "wrong") == 0) {
		snprintf(j->detail, sizeof(j->detail), "the key's failure %s "
		    "in auth_fail_window", esc);
		auth_verify_fail(j, "wrong secret");
	} else if (strcmp(verdict->str, "throttled") == 0) {
		snprintf(j->detail, sizeof(j->detail), "%s s left", esc);
		auth_verify_fail(j, "key throttled: too many failed logins");
	} else if (strcmp(verdict->str, "key") == 0) {
		snprintf(j->detail, sizeof(j->detail), "%s", esc);
		auth_verify_fail(j, "key not active");
	} else if (strcmp(verdict->str, "tenant") == 0) {
		snprintf(j->detail, sizeof(j->detail), "%s", esc);
		auth_verify_fail(j, "tenant not active");
	} else if (strcmp(verdict->str, "unknown") == 0) {
		snprintf(j->detail, sizeof(j->detail), "no %s record", esc);
		auth_verify_fail(j, "unknown key");
	} else
		auth_verify_redis_down(j, "redis: unexpected auth_login verdict");
}

/* Run lua/auth_login.lua for the job's key in its tenant's slot. */
static void
auth_verify_script(struct auth_verify_job *j)
{
	struct pw_redis_async *ra = policyd_identity_redis(j->v->identity);
	const char *prefix = pw_redis_async_key_prefix(ra);
	const struct pw_conf *conf = j->rt->conf;
	char *keys[4], now[24], window[24], limit[24];
	const char *argv[9], *why;
	int i, rc;

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
		auth_verify_redis_down(j, why);
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

/* The client's failed logins: throttled, or on to the key's tenant. */
static void
auth_verify_client_reply(struct pw_redis_async *ra, const redisReply *reply,
    const char *why, void *arg)
{
	struct auth_verify_job *j = arg;
	const struct pw_conf *conf = j->rt->conf;
	long long n = 0;

	(void)ra;
	if (reply == NULL) {
		auth_verify_redis_down(j, why);
		return;
	}
	if (reply->type == REDIS_REPLY_STRING)
		n = strtoll(reply->str, NULL, 10);
	else if (reply->type != REDIS_REPLY_NIL) {
		auth_verify_redis_down(j, "redis: malformed failure counter");
		return;
	}
	if (n >= conf->auth_fail_client_limit) {
		auth_throttle_add(j->v->throttle, j->addr,
		    pw_redis_now_ms() + conf->auth_fail_window_ms);
		j->why = "client throttled: too many failed logins";
		auth_verify_done(j, AUTH_VERIFY_FAIL);
		return;
	}
	policyd_identity_resolve(j->v->identity, j->rt, j->keyid, NULL, NULL,
	    auth_verify_identity, j);
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
	struct pw_redis_async *ra;
	char key[512];
	const char *argv[2], *why;

	j->v = v;
	j->cb = cb;
	j->arg = arg;
	if ((j->rt = pw_runtime_current()) == NULL)
		pw_log_fatal("no configuration published");
	snprintf(j->mech, sizeof(j->mech), "%s", mech);
	auth_verify_addr(rip, j->addr, sizeof(j->addr));
	if (auth_verify_form(j, user, pass) < 0) {
		auth_verify_fail(j, j->why);
		return;
	}
	if (*j->addr != '\0' && auth_throttle_check(v->throttle, j->addr,
	    pw_redis_now_ms())) {
		j->why = "client throttled: too many failed logins";
		auth_verify_done(j, AUTH_VERIFY_FAIL);
		return;
	}
	ra = policyd_identity_redis(v->identity);
	if (*j->addr == '\0' || pw_schema_key(key, sizeof(key),
	    pw_redis_async_key_prefix(ra), PW_SCHEMA_AUTHFAIL_CLIENT, NULL,
	    j->addr, NULL) < 0) {
		policyd_identity_resolve(v->identity, j->rt, j->keyid, NULL,
		    NULL, auth_verify_identity, j);
		return;
	}
	argv[0] = "GET";
	argv[1] = key;
	if (pw_redis_async_command_argv(ra, 2, argv, NULL,
	    auth_verify_client_reply, j, &why) < 0)
		auth_verify_redis_down(j, why);
}
