/*
 * cli_key.c -- `postwarden key`: API keys.
 *
 *   key add KEYID --tenant TENANT [LIMITS] [--countries CC,..]
 *   key show KEYID
 *   key list [--tenant TENANT]
 *   key set KEYID [LIMITS] [--countries CC,..]
 *   key suspend|disable|enable KEYID
 *   key delete KEYID [--tenant TENANT]
 *   key secret add|list|revoke KEYID ...   (cli_key_secret.c)
 *
 * Exports: cli_key.
 *
 * key add also makes the key's first SMTP AUTH secret and prints its
 * token once, when auth_pepper_file is set (cli_key_secret_make); key
 * show lists the secrets (never their hashes); key delete removes them
 * with the record, and key add removes any left under the same id.
 *
 * Redis (docs/redis-schema.md): the directory entry pw:key:<id> (field
 * tenant) lies outside the tenant's slot; the record pw:{T}:key:<id> and
 * the set pw:{T}:keys inside it.  No script may touch both slots (Redis
 * Cluster), so adding and deleting are two steps, ordered so that a crash
 * between them leaves nothing a sender can use:
 *   add:    record + set (one script, atomic, refused when the record
 *           exists), then the directory entry (HSETNX: of two racing adds
 *           into different tenants the first wins, the other undoes its
 *           record).  A record without directory entry is unreachable
 *           (identity finds no tenant); add refuses to replace it, so
 *           that an add racing a delete of the same id can never leave a
 *           directory entry without record (which the daemons would take
 *           for a key without limits): `key delete --tenant` removes it.
 *   delete: the directory entry first (the key stops resolving at once,
 *           give or take identity_cache_ttl), then record + set.  A record
 *           left behind is removed by `key delete KEYID --tenant TENANT`.
 * Status and limit changes are one script on the record, which refuses
 * to recreate a record deleted meanwhile.
 *
 * What keys share with tenants (options, show, the status verbs, printing
 * records) is in cli_record.c.
 *
 * Failures: unknown key or tenant exit 1, an existing key exit 3, bad
 * input exit 64, Redis trouble exit 2 (messages from cli_util); key add
 * with auth_pepper_file set but unusable adds the key, makes no secret
 * and exits 2.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "identity.h"
#include "lua.h"
#include "schema.h"
#include "xmalloc.h"

#define CLI_KEY_GROUP	"key"
#define CLI_KEY_LIMITS	"[--rate N/s|N/m] [--burst N] [--quota-hour N] " \
	"[--quota-day N] [--quota-month N] [--max-size N[K|M|G]] " \
	"[--max-recipients N] [--countries CC,..] [--description TEXT] " \
	"[--status STATUS]"

/*
 * Record + set in the tenant slot (and any secrets and failure counter
 * left under the id removed): 1 done, -1 when the tenant does not exist,
 * 0 when the record does.
 */
static struct pw_redis_script cli_key_add_script = {
	"cli_key_add", pw_lua_key_add, ""
};

/*
 * Record + set in the tenant slot, with the secrets and the failure
 * counter; how many of the first two existed.
 */
static struct pw_redis_script cli_key_del_script = {
	"cli_key_del", pw_lua_key_del, ""
};

/* The directory entry, only while it names ARGV[1]: 1 deleted, else 0. */
static struct pw_redis_script cli_key_dir_del_script = {
	"cli_key_dir_del", pw_lua_key_dir_del, ""
};

static const struct option cli_key_longopts[] = {
	CLI_LIMIT_LONGOPTS,
	{ "countries", required_argument, NULL, CLI_OPT_COUNTRIES },
	{ "tenant", required_argument, NULL, CLI_OPT_TENANT },
	{ "json", no_argument, NULL, CLI_OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

static int	cli_key_find_print(struct cli_db *, const char *);
static int	cli_key_change(const struct cli_opts *,
		    struct cli_record_args *, const char *);

static const struct cli_record_kind cli_key_kind = {
	CLI_KEY_GROUP, "KEYID", true, cli_key_longopts, NULL,
	cli_key_find_print, cli_key_change,
};

/* Say that the directory names a tenant whose record of the key is gone. */
static void
cli_key_missing(const char *keyid, const char *tenant, const char *rec)
{
	cli_error("key %s: the directory names tenant %s, but %s is "
	    "missing", keyid, tenant, rec);
}

/*
 * Print a key's record and its secrets: a table, or a JSON object with
 * the key and its tenant; with token (not NULL, key add) that too.
 * CLI_EXIT_OK, CLI_EXIT_NOTFOUND or CLI_EXIT_FAIL.
 */
static int
cli_key_print(struct cli_db *db, const char *keyid, const char *tenant,
    const char *token)
{
	struct cli_key_secrets secrets;
	const struct cli_record_item items[] = {
		{ "key", keyid, 0, NULL, NULL, NULL },
		{ "tenant", tenant, 0, NULL, NULL, NULL },
		{ NULL, NULL, 0, NULL, NULL, NULL },
		{ "secrets", NULL, 0, NULL, cli_key_secret_emit, &secrets },
		{ "token", token, 0, NULL, NULL, NULL },
	};
	redisReply *hash;
	char *rec;

	rec = pw_schema_key_new(db->prefix, PW_SCHEMA_KEY, tenant, keyid, NULL);
	hash = cli_util_cmd(db, "HGETALL", rec, NULL);
	if (hash == NULL) {
		free(rec);
		return CLI_EXIT_FAIL;
	}
	if (cli_key_secret_read(db, tenant, keyid, &secrets) < 0) {
		freeReplyObject(hash);
		free(rec);
		return CLI_EXIT_FAIL;
	}
	if (hash->type != REDIS_REPLY_ARRAY || hash->elements == 0) {
		cli_key_missing(keyid, tenant, rec);
		freeReplyObject(hash);
		free(rec);
		return CLI_EXIT_NOTFOUND;
	}
	free(rec);
	cli_record_print(db->json, hash, items, token != NULL ? 5 : 4);
	freeReplyObject(hash);
	return CLI_EXIT_OK;
}

/* Find a key's tenant, saying so when it is unknown: 0, or an exit code. */
static int
cli_key_find(struct cli_db *db, const char *keyid, char *tenant, size_t size)
{
	switch (cli_lookup_key_tenant(db, keyid, tenant, size)) {
	case 0:
		return 0;
	case 1:
		cli_error("unknown key: %s", keyid);
		return CLI_EXIT_NOTFOUND;
	default:
		return CLI_EXIT_FAIL;
	}
}

/* key show: find the key's tenant, print the key.  An exit code. */
static int
cli_key_find_print(struct cli_db *db, const char *keyid)
{
	char tenant[PW_IDENTITY_TENANT_MAX + 1];
	int rc;

	if ((rc = cli_key_find(db, keyid, tenant, sizeof(tenant))) != 0)
		return rc;
	return cli_key_print(db, keyid, tenant, NULL);
}

/* Say what happened to a key: a line, or its record with --json. */
static int
cli_key_done(struct cli_db *db, const char *keyid, const char *tenant,
    const char *what)
{
	if (db->json)
		return cli_key_print(db, keyid, tenant, NULL);
	printf("key %s (tenant %s) %s\n", keyid, tenant, what);
	return CLI_EXIT_OK;
}

/*
 * key add, once the key is usable: its first secret, when
 * auth_pepper_file is set.  Prints what key add says; an exit code.
 */
static int
cli_key_add_secret(struct cli_db *db, const char *keyid, const char *tenant)
{
	char token[PW_AUTH_TOKEN_MAX], sid[PW_AUTH_SID_LEN + 1];
	int rc;

	if (db->conf->auth_pepper_file[0] == '\0') {
		rc = cli_key_done(db, keyid, tenant, "added");
		cli_error("key %s: no secret made: auth_pepper_file is not "
		    "set (postwarden auth pepper-generate FILE, set "
		    "auth_pepper_file, then: postwarden key secret add %s)",
		    keyid, keyid);
		return rc;
	}
	if ((rc = cli_key_secret_make(db, tenant, keyid, token, sid)) !=
	    CLI_EXIT_OK) {
		cli_key_done(db, keyid, tenant, "added");
		cli_error("key %s is added, but without a secret; once "
		    "auth_pepper_file is usable: postwarden key secret add %s",
		    keyid, keyid);
		return CLI_EXIT_FAIL;
	}
	if (db->json)
		rc = cli_key_print(db, keyid, tenant, token);
	else {
		printf("key %s (tenant %s) added\n", keyid, tenant);
		printf("secret %s: %s\n", sid, token);
		rc = CLI_EXIT_OK;
	}
	fflush(stdout);
	cli_key_secret_note(keyid, sid);
	OPENSSL_cleanse(token, sizeof(token));
	return rc;
}

static int
cli_key_add(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] = "add KEYID --tenant TENANT " CLI_KEY_LIMITS;
	const char *kv[7 + 2 * (CLI_FIELDS_MAX + 3)];
	char tenant[PW_IDENTITY_TENANT_MAX + 1], now[24];
	char *rec = NULL, *set = NULL, *dir = NULL, *tkey = NULL;
	char *secrets = NULL, *fails = NULL, *gen = NULL;
	struct cli_record_args a;
	struct cli_db db;
	redisReply *reply;
	int rc, kc = 0, i;
	long long n;

	if ((rc = cli_record_args(&cli_key_kind, argc, argv, usage, true,
	    true, &a, NULL)) != 0)
		return rc;
	if (a.tenant == NULL) {
		cli_error("key add: --tenant is required");
		return cli_cmd_usage(CLI_KEY_GROUP, usage);
	}
	if ((rc = cli_util_open(opts, a.json, &db)) != CLI_EXIT_OK)
		return rc;
	switch (cli_lookup_key_tenant(&db, a.name, tenant, sizeof(tenant))) {
	case 0:
		cli_error("key %s exists already (tenant %s)", a.name,
		    tenant);
		rc = CLI_EXIT_EXISTS;
		goto out;
	case 1:
		break;
	default:
		rc = CLI_EXIT_FAIL;
		goto out;
	}

	/* Step 1: the record and the tenant's key set, atomically. */
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	tkey = pw_schema_key_new(db.prefix, PW_SCHEMA_TENANT,
	    a.tenant, NULL, NULL);
	rec = pw_schema_key_new(db.prefix, PW_SCHEMA_KEY,
	    a.tenant, a.name, NULL);
	set = pw_schema_key_new(db.prefix, PW_SCHEMA_KEYS,
	    a.tenant, NULL, NULL);
	secrets = pw_schema_key_new(db.prefix, PW_SCHEMA_KEY_SECRETS,
	    a.tenant, a.name, NULL);
	fails = pw_schema_key_new(db.prefix, PW_SCHEMA_AUTHFAIL_KEY,
	    a.tenant, a.name, NULL);
	kv[kc++] = tkey;
	kv[kc++] = rec;
	kv[kc++] = set;
	kv[kc++] = secrets;
	gen = pw_schema_key_new(db.prefix, PW_SCHEMA_GEN,
	    a.tenant, NULL, NULL);
	kv[kc++] = fails;
	kv[kc++] = gen;
	kv[kc++] = a.name;
	for (i = 0; i < a.fields.nset; i++) {
		if (strcmp(a.fields.set_name[i], "status") == 0)
			continue;
		kv[kc++] = a.fields.set_name[i];
		kv[kc++] = a.fields.set_value[i];
	}
	kv[kc++] = "status";
	kv[kc++] = "active";
	for (i = 0; i < a.fields.nset; i++) {
		if (strcmp(a.fields.set_name[i], "status") == 0)
			kv[kc - 1] = a.fields.set_value[i];
	}
	kv[kc++] = "created";
	kv[kc++] = now;
	kv[kc++] = "updated";
	kv[kc++] = now;
	if (cli_record_mark_store(&db) < 0 ||
	    (reply = cli_util_eval(&db, &cli_key_add_script, 6, kc, kv,
	    NULL)) == NULL) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	n = cli_util_reply_int(reply);
	freeReplyObject(reply);
	if (n == -1) {
		cli_error("unknown tenant: %s", a.tenant);
		rc = CLI_EXIT_NOTFOUND;
		goto out;
	}
	if (n == 0) {
		cli_error("key %s: %s exists without directory entry (an "
		    "interrupted add or delete); remove it with: postwarden "
		    "key delete %s --tenant %s", a.name, rec, a.name,
		    a.tenant);
		rc = CLI_EXIT_EXISTS;
		goto out;
	}

	/* Step 2: the directory entry, which makes the key usable. */
	dir = pw_schema_key_new(db.prefix, PW_SCHEMA_KEY_DIR,
	    NULL, a.name, NULL);
	if ((reply = cli_util_cmd(&db, "HSETNX", dir, "tenant", a.tenant,
	    NULL)) == NULL) {
		cli_error("key %s: the record is written but not the "
		    "directory entry %s; run key delete %s --tenant %s, then "
		    "key add again", a.name, dir, a.name, a.tenant);
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	n = cli_util_reply_int(reply);
	freeReplyObject(reply);
	if (n != 1) {
		/* Another add, into another tenant, won the race. */
		rc = cli_lookup_key_tenant(&db, a.name, tenant, sizeof(tenant));
		if (rc == 0 && strcmp(tenant, a.tenant) != 0) {
			kv[0] = rec;
			kv[1] = set;
			kv[2] = secrets;
			kv[3] = fails;
			kv[4] = gen;
			kv[5] = a.name;
			reply = cli_util_eval(&db, &cli_key_del_script, 5, 6,
			    kv, NULL);
			if (reply != NULL)
				freeReplyObject(reply);
		}
		cli_error("key %s exists already (tenant %s)", a.name,
		    rc == 0 ? tenant : "?");
		rc = CLI_EXIT_EXISTS;
		goto out;
	}
	rc = cli_key_add_secret(&db, a.name, a.tenant);
out:
	free(tkey);
	free(rec);
	free(set);
	free(secrets);
	free(fails);
	free(gen);
	free(dir);
	cli_util_close(&db);
	return rc;
}

/* Add one tenant's keys to the list: 0 or -1. */
static int
cli_key_list_tenant(struct cli_db *db, const char *tenant,
    struct cli_record_list *l)
{
	struct cli_record_item items[] = {
		{ "key", NULL, 0, NULL, NULL, NULL },
		{ "tenant", tenant, 0, NULL, NULL, NULL },
		{ NULL, NULL, 0, NULL, NULL, NULL },
	};
	redisReply *ids, *hash;
	char *set, *rec, **v;
	size_t i, n = 0;

	set = pw_schema_key_new(db->prefix, PW_SCHEMA_KEYS, tenant, NULL, NULL);
	ids = cli_util_cmd(db, "SMEMBERS", set, NULL);
	free(set);
	if (ids == NULL)
		return -1;
	v = pw_xcalloc(ids->elements + 1, sizeof(*v));
	for (i = 0; ids->type == REDIS_REPLY_ARRAY && i < ids->elements; i++)
		if (pw_identity_valid_key(ids->element[i]->str,
		    ids->element[i]->len))
			v[n++] = ids->element[i]->str;
	qsort(v, n, sizeof(*v), cli_lookup_strcmp);
	for (i = 0; i < n; i++) {
		rec = pw_schema_key_new(db->prefix, PW_SCHEMA_KEY,
		    tenant, v[i], NULL);
		hash = cli_util_cmd(db, "HGETALL", rec, NULL);
		free(rec);
		if (hash == NULL) {
			free(v);
			freeReplyObject(ids);
			return -1;
		}
		items[0].s = v[i];
		cli_record_list_add(l, hash, items, 3);
		freeReplyObject(hash);
	}
	free(v);
	freeReplyObject(ids);
	return 0;
}

static int
cli_key_list(const struct cli_opts *opts, int argc, char **argv)
{
	static const char *header[] = {
		"KEY", "TENANT", "STATUS", "LIMITS", "DESCRIPTION",
	};
	struct cli_record_args a;
	struct cli_record_list l;
	struct cli_db db;
	char **tenants = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = cli_record_args(&cli_key_kind, argc, argv,
	    "list [--tenant TENANT]", false, false, &a, NULL)) != 0)
		return rc;
	if ((rc = cli_util_open(opts, a.json, &db)) != CLI_EXIT_OK)
		return rc;
	if (a.tenant != NULL) {
		switch (cli_lookup_tenant_exists(&db, a.tenant)) {
		case 1:
			break;
		case 0:
			cli_error("unknown tenant: %s", a.tenant);
			rc = CLI_EXIT_NOTFOUND;
			goto out;
		default:
			rc = CLI_EXIT_FAIL;
			goto out;
		}
	} else if ((tenants = cli_lookup_tenants(&db, &n)) == NULL) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	cli_record_list_init(&l, db.json, header, 5);
	rc = CLI_EXIT_OK;
	for (i = 0; i < (a.tenant != NULL ? 1 : n); i++) {
		if (cli_key_list_tenant(&db, a.tenant != NULL ? a.tenant :
		    tenants[i], &l) < 0) {
			rc = CLI_EXIT_FAIL;
			break;
		}
	}
	cli_record_list_end(&l, rc == CLI_EXIT_OK);
out:
	cli_lookup_free(tenants, n);
	cli_util_close(&db);
	return rc;
}

/* Apply a->fields to an existing key; what says what happened. */
static int
cli_key_change(const struct cli_opts *opts, struct cli_record_args *a,
    const char *what)
{
	char tenant[PW_IDENTITY_TENANT_MAX + 1];
	struct cli_db db;
	char *rec;
	int rc;

	if ((rc = cli_util_open(opts, a->json, &db)) != CLI_EXIT_OK)
		return rc;
	if ((rc = cli_key_find(&db, a->name, tenant, sizeof(tenant))) != 0)
		goto out;
	rec = pw_schema_key_new(db.prefix, PW_SCHEMA_KEY,
	    tenant, a->name, NULL);
	if ((rc = cli_record_update(&db, tenant, rec, &a->fields)) == CLI_EXIT_OK)
		rc = cli_key_done(&db, a->name, tenant, what);
	else if (rc == CLI_EXIT_NOTFOUND)
		cli_key_missing(a->name, tenant, rec);
	free(rec);
out:
	cli_util_close(&db);
	return rc;
}

static int
cli_key_set(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] = "set KEYID " CLI_KEY_LIMITS;
	struct cli_record_args a;
	int rc;

	if ((rc = cli_record_args(&cli_key_kind, argc, argv, usage, true,
	    true, &a, NULL)) != 0)
		return rc;
	if (a.fields.nset == 0 && a.fields.ndel == 0) {
		cli_error("key set: nothing to change");
		return cli_cmd_usage(CLI_KEY_GROUP, usage);
	}
	return cli_key_change(opts, &a, "updated");
}

static int
cli_key_show(const struct cli_opts *opts, int argc, char **argv)
{
	return cli_record_show(&cli_key_kind, opts, argc, argv);
}

/* key suspend|disable|enable KEYID: argv[0] says which. */
static int
cli_key_status(const struct cli_opts *opts, int argc, char **argv)
{
	return cli_record_status(&cli_key_kind, opts, argc, argv);
}

static int
cli_key_delete(const struct cli_opts *opts, int argc, char **argv)
{
	char tenant[PW_IDENTITY_TENANT_MAX + 1];
	const char *kv[6];
	char *dir = NULL, *rec = NULL, *set = NULL, *secrets = NULL;
	char *fails = NULL, *gen = NULL;
	struct cli_record_args a;
	struct cli_db db;
	struct cli_json j;
	redisReply *reply;
	bool had_dir;
	int rc;
	long long n;

	if ((rc = cli_record_args(&cli_key_kind, argc, argv,
	    "delete KEYID [--tenant TENANT]", false, true, &a, NULL)) != 0)
		return rc;
	if ((rc = cli_util_open(opts, a.json, &db)) != CLI_EXIT_OK)
		return rc;
	switch (cli_lookup_key_tenant(&db, a.name, tenant, sizeof(tenant))) {
	case 0:
		had_dir = true;
		if (a.tenant != NULL && strcmp(a.tenant, tenant) != 0) {
			cli_error("key %s belongs to tenant %s, not %s",
			    a.name, tenant, a.tenant);
			rc = CLI_EXIT_NOTFOUND;
			goto out;
		}
		break;
	case 1:
		/* Only a record left by an interrupted add or delete. */
		had_dir = false;
		if (a.tenant == NULL) {
			cli_error("unknown key: %s", a.name);
			rc = CLI_EXIT_NOTFOUND;
			goto out;
		}
		snprintf(tenant, sizeof(tenant), "%s", a.tenant);
		break;
	default:
		rc = CLI_EXIT_FAIL;
		goto out;
	}

	/* Step 1: the directory entry, so that the key stops working. */
	dir = pw_schema_key_new(db.prefix, PW_SCHEMA_KEY_DIR,
	    NULL, a.name, NULL);
	if (had_dir) {
		kv[0] = dir;
		kv[1] = tenant;
		reply = cli_util_eval(&db, &cli_key_dir_del_script, 1, 2, kv,
		    NULL);
		if (reply == NULL) {
			rc = CLI_EXIT_FAIL;
			goto out;
		}
		freeReplyObject(reply);
	}
	/* Step 2: the record and the set member. */
	rec = pw_schema_key_new(db.prefix, PW_SCHEMA_KEY, tenant, a.name, NULL);
	set = pw_schema_key_new(db.prefix, PW_SCHEMA_KEYS, tenant, NULL, NULL);
	secrets = pw_schema_key_new(db.prefix, PW_SCHEMA_KEY_SECRETS, tenant,
	    a.name, NULL);
	fails = pw_schema_key_new(db.prefix, PW_SCHEMA_AUTHFAIL_KEY, tenant,
	    a.name, NULL);
	kv[0] = rec;
	kv[1] = set;
	kv[2] = secrets;
	gen = pw_schema_key_new(db.prefix, PW_SCHEMA_GEN, tenant, NULL, NULL);
	kv[3] = fails;
	kv[4] = gen;
	kv[5] = a.name;
	if ((reply = cli_util_eval(&db, &cli_key_del_script, 5, 6, kv,
	    NULL)) == NULL) {
		cli_error("key %s: the directory entry is gone (the key no "
		    "longer works) but %s is left; run key delete %s "
		    "--tenant %s", a.name, rec, a.name, tenant);
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	n = cli_util_reply_int(reply);
	freeReplyObject(reply);
	if (!had_dir && n <= 0) {
		cli_error("unknown key: %s (nothing in tenant %s)", a.name,
		    tenant);
		rc = CLI_EXIT_NOTFOUND;
		goto out;
	}
	if (db.json) {
		cli_out_json_init(&j, stdout);
		cli_out_json_open(&j, '{');
		cli_out_json_key(&j, "key");
		cli_out_json_cstr(&j, a.name);
		cli_out_json_key(&j, "tenant");
		cli_out_json_cstr(&j, tenant);
		cli_out_json_key(&j, "deleted");
		cli_out_json_bool(&j, true);
		cli_out_json_close(&j, '}');
		putchar('\n');
	} else {
		printf("key %s (tenant %s) deleted\n", a.name, tenant);
	}
	rc = CLI_EXIT_OK;
out:
	free(gen);
	free(dir);
	free(rec);
	free(set);
	free(secrets);
	free(fails);
	cli_util_close(&db);
	return rc;
}

static const struct cli_sub cli_key_subs[] = {
	{ "add", cli_key_add, "add KEYID --tenant TENANT [LIMITS]" },
	{ "show", cli_key_show, "show KEYID" },
	{ "list", cli_key_list, "list [--tenant TENANT]" },
	{ "set", cli_key_set, "set KEYID LIMITS" },
	{ "suspend", cli_key_status, "suspend KEYID" },
	{ "disable", cli_key_status, "disable KEYID" },
	{ "enable", cli_key_status, "enable KEYID" },
	{ "delete", cli_key_delete, "delete KEYID [--tenant TENANT]" },
	{ "secret", cli_key_secret,
	    "secret add|list|revoke KEYID [SID] [--json]" },
};

int
cli_key(const struct cli_opts *opts, int argc, char **argv)
{
	return cli_cmd_dispatch(CLI_KEY_GROUP, cli_key_subs,
	    sizeof(cli_key_subs) / sizeof(cli_key_subs[0]), opts, argc, argv);
}
