/*
 * cli_key_secret.c -- `postwarden key secret`: an API key's SMTP AUTH
 * secrets (docs/redis-schema.md "API key secrets", lib/auth_secret.h).
 *
 *   key secret add KEYID          a new secret; its token printed once
 *   key secret list KEYID         id, created, last used
 *   key secret revoke KEYID SID   the secret stops working
 *
 * Exports: cli_key_secret (the subcommand group), cli_key_secret_make
 * (key add makes the first secret with it), cli_key_secret_read and
 * cli_key_secret_emit (key show lists the secrets).
 *
 * Redis: pw:{T}:key:<keyid>:secrets, fields <sid> (the hash),
 * <sid>:created, <sid>:used.  A new secret is stored by
 * lua/key_secret_add.lua, which refuses a third live one and a key whose
 * record is gone; revoking is one HDEL of the three fields.
 *
 * Failures: unknown key or secret exit 1, two live secrets already exit
 * 3, no usable auth_pepper_file or Redis trouble exit 2, bad input 64.
 *
 * Security: the token is printed once, on stdout, and wiped; Redis gets
 * only its HMAC under the pepper (auth_pepper_file), which this file
 * loads, uses and wipes.  Neither the token nor the hash is ever in an
 * error message, and list and show print no hash.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "auth_secret.h"
#include "cli.h"
#include "identity.h"
#include "lua.h"
#include "schema.h"
#include "secret_file.h"

#define CLI_KEY_SECRET_GROUP	"key secret"
#define CLI_KEY_SECRET_LIVE	2	/* live secrets per key, for rotation */

/* 1 stored, 0 the key has two, -1 no key record, -2 the sid exists. */
static struct pw_redis_script cli_key_secret_add_script = {
	"cli_key_secret_add", pw_lua_key_secret_add, ""
};

static const struct option cli_key_secret_longopts[] = {
	{ "json", no_argument, NULL, CLI_OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

/*
 * A subcommand's operands (nargs of them, after its name) and --json:
 * 0, or CLI_EXIT_USAGE after printing why.
 */
static int
cli_key_secret_args(int argc, char **argv, const char *usage, int nargs,
    bool *json_r, char **args_r)
{
	int ch, i;

	while ((ch = getopt_long(argc, argv, ":", cli_key_secret_longopts,
	    NULL)) != -1) {
		if (ch == CLI_OPT_JSON)
			*json_r = true;
		else {
			cli_cmd_badopt(CLI_KEY_SECRET_GROUP, ch, argv);
			return cli_cmd_usage(CLI_KEY_SECRET_GROUP, usage);
		}
	}
	if (argc - optind != nargs)
		return cli_cmd_usage(CLI_KEY_SECRET_GROUP, usage);
	for (i = 0; i < nargs; i++)
		args_r[i] = argv[optind + i];
	return cli_parse_key(args_r[0]) < 0 ? CLI_EXIT_USAGE : 0;
}

/*
 * Open the store and find the key's tenant, saying so when it is
 * unknown: 0 with db open (cli_util_close it), or an exit code with db
 * closed.
 */
static int
cli_key_secret_open(const struct cli_opts *opts, bool json,
    const char *keyid, struct cli_db *db, char *tenant, size_t size)
{
	int rc;

	if ((rc = cli_util_open(opts, json, db)) != CLI_EXIT_OK)
		return rc;
	switch (cli_lookup_key_tenant(db, keyid, tenant, size)) {
	case 0:
		return 0;
	case 1:
		cli_error("unknown key: %s", keyid);
		rc = CLI_EXIT_NOTFOUND;
		break;
	default:
		rc = CLI_EXIT_FAIL;
	}
	cli_util_close(db);
	return rc;
}

/* Is s (len bytes) a sid: 8 lower-case hex digits? */
static bool
cli_key_secret_is_sid(const char *s, size_t len)
{
	size_t i;

	if (len != PW_AUTH_SID_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return false;
	return true;
}

/* Sort secrets by creation time, then id. */
static int
cli_key_secret_cmp(const void *a, const void *b)
{
	const struct cli_key_secret *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->sid, y->sid);
}

int
cli_key_secret_read(struct cli_db *db, const char *tenant, const char *keyid,
    struct cli_key_secrets *out)
{
	redisReply *h;
	const char *v;
	char field[PW_AUTH_SID_LEN + 16];
	char *key;
	size_t i;

	memset(out, 0, sizeof(*out));
	key = pw_schema_key_new(db->prefix, PW_SCHEMA_KEY_SECRETS, tenant,
	    keyid, NULL);
	h = cli_util_cmd(db, "HGETALL", key, NULL);
	free(key);
	if (h == NULL)
		return -1;
	for (i = 0; h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements;
	    i += 2) {
		if (h->element[i]->type != REDIS_REPLY_STRING ||
		    !cli_key_secret_is_sid(h->element[i]->str,
		    h->element[i]->len))
			continue;
		if (out->n == CLI_KEY_SECRETS_SHOWN)
			break;
		memcpy(out->s[out->n].sid, h->element[i]->str,
		    PW_AUTH_SID_LEN + 1);
		snprintf(field, sizeof(field), "%s:created",
		    out->s[out->n].sid);
		v = cli_util_hash_get(h, field);
		out->s[out->n].created = v != NULL ? strtoll(v, NULL, 10) : 0;
		snprintf(field, sizeof(field), "%s:used", out->s[out->n].sid);
		v = cli_util_hash_get(h, field);
		out->s[out->n].used = v != NULL ? strtoll(v, NULL, 10) : 0;
		out->n++;
	}
	freeReplyObject(h);
	qsort(out->s, out->n, sizeof(out->s[0]), cli_key_secret_cmp);
	return 0;
}

void
cli_key_secret_emit(struct cli_json *j, struct cli_table *t, const void *arg)
{
	const struct cli_key_secrets *s = arg;
	char created[CLI_TIME_MAX], used[CLI_TIME_MAX], text[96];
	size_t i;

	if (j != NULL) {
		cli_out_json_open(j, '[');
		for (i = 0; i < s->n; i++) {
			cli_out_json_open(j, '{');
			cli_out_json_key(j, "id");
			cli_out_json_cstr(j, s->s[i].sid);
			cli_out_json_key(j, "created");
			cli_out_json_int(j, s->s[i].created);
			cli_out_json_key(j, "used");
			if (s->s[i].used != 0)
				cli_out_json_int(j, s->s[i].used);
			else
				cli_out_json_null(j);
			cli_out_json_close(j, '}');
		}
		cli_out_json_close(j, ']');
		return;
	}
	if (s->n == 0)
		cli_out_table_row(t, "secrets", "none");
	for (i = 0; i < s->n; i++) {
		snprintf(text, sizeof(text), "%s created %s, last used %s",
		    s->s[i].sid, cli_out_time(s->s[i].created, created),
		    cli_out_time(s->s[i].used, used));
		cli_out_table_row(t, "secret", text);
	}
}

int
cli_key_secret_make(struct cli_db *db, const char *tenant, const char *keyid,
    char token[PW_AUTH_TOKEN_MAX], char sid[PW_AUTH_SID_LEN + 1])
{
	struct pw_auth_pepper pepper;
	char hash[PW_AUTH_HASH_MAX], now[24], live[24], err[512];
	const char *kv[6];
	char *rec, *secrets;
	redisReply *reply;
	long long n = -2;
	int tries, rc = CLI_EXIT_FAIL;

	/* The daemons' user may own the pepper, as it may the KEK. */
	pw_secret_file_owner(db->conf->user);
	if (pw_auth_pepper_load(&pepper, db->conf->auth_pepper_file,
	    db->conf->dkim_key_mode_check, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return CLI_EXIT_FAIL;
	}
	rec = pw_schema_key_new(db->prefix, PW_SCHEMA_KEY, tenant, keyid, NULL);
	secrets = pw_schema_key_new(db->prefix, PW_SCHEMA_KEY_SECRETS, tenant,
	    keyid, NULL);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	snprintf(live, sizeof(live), "%d", CLI_KEY_SECRET_LIVE);
	/* A sid already taken (one chance in 2^31 per try): another one. */
	for (tries = 0; tries < 4 && n == -2; tries++) {
		if (pw_auth_secret_new(&pepper, keyid, token, sid, hash) < 0) {
			cli_error("key %s: no secret made (OpenSSL random "
			    "bytes)", keyid);
			goto out;
		}
		kv[0] = rec;
		kv[1] = secrets;
		kv[2] = sid;
		kv[3] = hash;
		kv[4] = now;
		kv[5] = live;
		reply = cli_util_eval(db, &cli_key_secret_add_script, 2, 6, kv,
		    NULL);
		if (reply == NULL)
			goto out;
		n = cli_util_reply_int(reply);
		freeReplyObject(reply);
	}
	switch (n) {
	case 1:
		rc = CLI_EXIT_OK;
		break;
	case 0:
		cli_error("key %s has %d live secrets already: revoke one "
		    "first (postwarden key secret list %s, then key secret "
		    "revoke %s SID)", keyid, CLI_KEY_SECRET_LIVE, keyid, keyid);
		rc = CLI_EXIT_EXISTS;
		break;
	case -1:
		cli_error("key %s: the directory names tenant %s, but %s is "
		    "missing", keyid, tenant, rec);
		rc = CLI_EXIT_NOTFOUND;
		break;
	default:
		cli_error("key %s: no free secret id", keyid);
		break;
	}
out:
	if (rc != CLI_EXIT_OK)
		OPENSSL_cleanse(token, PW_AUTH_TOKEN_MAX);
	OPENSSL_cleanse(hash, sizeof(hash));
	pw_auth_pepper_wipe(&pepper);
	free(rec);
	free(secrets);
	return rc;
}

void
cli_key_secret_note(const char *keyid, const char *sid)
{
	fprintf(stderr, "postwarden: key %s: secret %s is shown only this "
	    "once and cannot be shown again (Redis keeps only its hash): "
	    "store it now\n", keyid, sid);
}

/* key secret add KEYID: a new secret; the token on stdout, once. */
static int
cli_key_secret_add(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] = "add KEYID [--json]";
	char tenant[PW_IDENTITY_TENANT_MAX + 1], token[PW_AUTH_TOKEN_MAX];
	char sid[PW_AUTH_SID_LEN + 1];
	struct cli_db db;
	struct cli_json j;
	bool json = opts->json;
	char *args[1];
	int rc;

	if ((rc = cli_key_secret_args(argc, argv, usage, 1, &json,
	    args)) != 0)
		return rc;
	if ((rc = cli_key_secret_open(opts, json, args[0], &db, tenant,
	    sizeof(tenant))) != 0)
		return rc;
	if ((rc = cli_key_secret_make(&db, tenant, args[0], token, sid)) !=
	    CLI_EXIT_OK)
		goto out;
	if (json) {
		cli_out_json_init(&j, stdout);
		cli_out_json_open(&j, '{');
		cli_out_json_key(&j, "key");
		cli_out_json_cstr(&j, args[0]);
		cli_out_json_key(&j, "tenant");
		cli_out_json_cstr(&j, tenant);
		cli_out_json_key(&j, "secret_id");
		cli_out_json_cstr(&j, sid);
		cli_out_json_key(&j, "token");
		cli_out_json_cstr(&j, token);
		cli_out_json_close(&j, '}');
		putchar('\n');
	} else
		printf("%s\n", token);
	fflush(stdout);
	cli_key_secret_note(args[0], sid);
	OPENSSL_cleanse(token, sizeof(token));
out:
	cli_util_close(&db);
	return rc;
}

/* key secret list KEYID: id, created, last used; never the hash. */
static int
cli_key_secret_list(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] = "list KEYID [--json]";
	char tenant[PW_IDENTITY_TENANT_MAX + 1];
	char created[CLI_TIME_MAX], used[CLI_TIME_MAX];
	struct cli_key_secrets s;
	struct cli_table t;
	struct cli_json j;
	struct cli_db db;
	bool json = opts->json;
	char *args[1];
	size_t i;
	int rc;

	if ((rc = cli_key_secret_args(argc, argv, usage, 1, &json,
	    args)) != 0)
		return rc;
	if ((rc = cli_key_secret_open(opts, json, args[0], &db, tenant,
	    sizeof(tenant))) != 0)
		return rc;
	if (cli_key_secret_read(&db, tenant, args[0], &s) < 0) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (json) {
		cli_out_json_init(&j, stdout);
		cli_key_secret_emit(&j, NULL, &s);
		putchar('\n');
	} else {
		cli_out_table_init(&t, 3);
		cli_out_table_row(&t, "SECRET", "CREATED", "LAST USED");
		for (i = 0; i < s.n; i++)
			cli_out_table_row(&t, s.s[i].sid,
			    cli_out_time(s.s[i].created, created),
			    cli_out_time(s.s[i].used, used));
		cli_out_table_print(&t, stdout);
		cli_out_table_free(&t);
	}
	rc = CLI_EXIT_OK;
out:
	cli_util_close(&db);
	return rc;
}

/* key secret revoke KEYID SID: its three fields go. */
static int
cli_key_secret_revoke(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] = "revoke KEYID SID [--json]";
	char tenant[PW_IDENTITY_TENANT_MAX + 1], created[PW_AUTH_SID_LEN + 9];
	char used[PW_AUTH_SID_LEN + 6], safe[40];
	struct cli_db db;
	struct cli_json j;
	redisReply *reply;
	bool json = opts->json;
	char *args[2], *key = NULL;
	int rc;

	if ((rc = cli_key_secret_args(argc, argv, usage, 2, &json,
	    args)) != 0)
		return rc;
	if (!cli_key_secret_is_sid(args[1], strlen(args[1]))) {
		cli_error("bad secret id '%s': expected 8 of 0-9 a-f (key "
		    "secret list KEYID)", cli_out_safe(safe, sizeof(safe),
		    args[1], strlen(args[1])));
		return CLI_EXIT_USAGE;
	}
	if ((rc = cli_key_secret_open(opts, json, args[0], &db, tenant,
	    sizeof(tenant))) != 0)
		return rc;
	key = pw_schema_key_new(db.prefix, PW_SCHEMA_KEY_SECRETS, tenant,
	    args[0], NULL);
	snprintf(created, sizeof(created), "%s:created", args[1]);
	snprintf(used, sizeof(used), "%s:used", args[1]);
	if ((reply = cli_util_cmd(&db, "HDEL", key, args[1], created, used,
	    NULL)) == NULL) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	rc = cli_util_reply_int(reply) > 0 ? CLI_EXIT_OK : CLI_EXIT_NOTFOUND;
	freeReplyObject(reply);
	if (rc != CLI_EXIT_OK) {
		cli_error("key %s has no secret %s", args[0], args[1]);
		goto out;
	}
	if (json) {
		cli_out_json_init(&j, stdout);
		cli_out_json_open(&j, '{');
		cli_out_json_key(&j, "key");
		cli_out_json_cstr(&j, args[0]);
		cli_out_json_key(&j, "secret_id");
		cli_out_json_cstr(&j, args[1]);
		cli_out_json_key(&j, "revoked");
		cli_out_json_bool(&j, true);
		cli_out_json_close(&j, '}');
		putchar('\n');
	} else
		printf("key %s: secret %s revoked\n", args[0], args[1]);
out:
	free(key);
	cli_util_close(&db);
	return rc;
}

static const struct cli_sub cli_key_secret_subs[] = {
	{ "add", cli_key_secret_add, "add KEYID [--json]" },
	{ "list", cli_key_secret_list, "list KEYID [--json]" },
	{ "revoke", cli_key_secret_revoke, "revoke KEYID SID [--json]" },
};

int
cli_key_secret(const struct cli_opts *opts, int argc, char **argv)
{
	return cli_cmd_dispatch(CLI_KEY_SECRET_GROUP, cli_key_secret_subs,
	    sizeof(cli_key_secret_subs) / sizeof(cli_key_secret_subs[0]),
	    opts, argc, argv);
}
