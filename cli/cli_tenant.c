/*
 * cli_tenant.c -- `postwarden tenant`: tenants.
 *
 *   tenant add TENANT [LIMITS] [SETTINGS]
 *   tenant show TENANT
 *   tenant list
 *   tenant set TENANT LIMITS|SETTINGS
 *   tenant suspend|disable|enable TENANT
 *   tenant delete TENANT
 *
 * SETTINGS are the milter's fields of the record (pool, stream_pools,
 * geo_pools, streams, ..., dkim_domain): cli_tenant_settings.c checks,
 * merges and writes them.  What tenants share with keys (options, show,
 * the status verbs, printing records) is in cli_record.c.
 *
 * Exports: cli_tenant.
 *
 * Redis (docs/redis-schema.md): the record pw:{T}:tenant and the tenant's
 * copy of the global suppressions pw:{T}:supp in its slot; the list
 * pw:tenants outside it.  Adding is three steps, in this order:
 *   1. SADD pw:tenants: from now on a global `suppress add` also writes
 *      to this tenant, so no global entry added meanwhile is missed;
 *   2. copy pw:supp:global into pw:{T}:supp (source "global");
 *   3. create the record (a script that refuses an existing one): only
 *      now can keys be added to it, with its suppressions in place.
 * A crash after 1 or 2 leaves a listed tenant without record (`tenant
 * list` shows "(no record)") and without keys; `tenant add` again
 * completes it.  Deleting is refused while the tenant has keys; else
 * the record first (lua/tenant_delete.lua: no key or domain can be
 * added any more), its sending domains (cli_domain.c), its listing,
 * its suppressions (the stream-scoped hashes too, found with SCAN);
 * running it again completes an interrupted one.
 *
 * Failures: unknown tenant exit 1, an existing tenant (or, for delete,
 * one that still has keys) exit 3, a --dkim-domain the tenant does not
 * own exit 1, bad input exit 64, Redis trouble exit 2.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_domain.h"
#include "cli_suppress.h"
#include "cli_tenant.h"
#include "lua.h"
#include "schema.h"

#define CLI_TENANT_GROUP	"tenant"
#define CLI_TENANT_LIMITS	"[--rate N/s|N/m] [--burst N] " \
	"[--quota-hour N] [--quota-day N] [--quota-month N] " \
	"[--max-size N[K|M|G]] [--max-recipients N] [--description TEXT] " \
	"[--status STATUS]"

/* KEYS[1] the record; ARGV field/value pairs.  0 if it exists, else 1. */
static struct pw_redis_script cli_tenant_create_script = {
	"cli_tenant_create", pw_lua_tenant_create, ""
};

/* KEYS[1] the record, KEYS[2] the key set: -keys, or records deleted. */
static struct pw_redis_script cli_tenant_delete_script = {
	"cli_tenant_delete", pw_lua_tenant_delete, ""
};

static const struct option cli_tenant_longopts[] = {
	CLI_LIMIT_LONGOPTS,
	CLI_TENANT_SETTINGS_LONGOPTS,
	{ "json", no_argument, NULL, CLI_OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

/* What a tenant subcommand was given on its command line. */
struct cli_tenant_args {
	struct cli_record_args		rec;
	struct cli_tenant_settings	settings;
};

static int	cli_tenant_opt(int, const char *, void *);
static int	cli_tenant_print(struct cli_db *, const char *);
static int	cli_tenant_change(const struct cli_opts *,
		    struct cli_record_args *, const char *);

static const struct cli_record_kind cli_tenant_kind = {
	CLI_TENANT_GROUP, "TENANT", false, cli_tenant_longopts,
	cli_tenant_opt, cli_tenant_print, cli_tenant_change,
};

/* cli_record_kind.opt: the settings options, into the cli_tenant_args. */
static int
cli_tenant_opt(int ch, const char *arg, void *ctx)
{
	struct cli_tenant_args *a = ctx;

	return cli_tenant_settings_opt(ch, arg, &a->settings);
}

/*
 * Parse a subcommand's options and its TENANT (none for list): 0, or
 * CLI_EXIT_USAGE after printing why.
 */
static int
cli_tenant_args(int argc, char **argv, const char *usage, bool limits,
    bool want_tenant, struct cli_tenant_args *a)
{
	memset(a, 0, sizeof(*a));
	return cli_record_args(&cli_tenant_kind, argc, argv, usage, limits,
	    want_tenant, &a->rec, a);
}

/*
 * Print a tenant: its record, how many keys and suppressions it has
 * (tenant-wide, and in its streams' hashes), its sending domains.
 * CLI_EXIT_OK, CLI_EXIT_NOTFOUND or CLI_EXIT_FAIL.
 */
static int
cli_tenant_print(struct cli_db *db, const char *tenant)
{
	struct cli_record_item items[] = {
		{ "tenant", tenant, 0, NULL, NULL, NULL },
		{ NULL, NULL, 0, NULL, NULL, NULL },
		{ "keys", NULL, 0, NULL, NULL, NULL },
		{ "suppressions", NULL, 0, NULL, NULL, NULL },
		{ "stream_suppressions", NULL, 0, NULL, NULL, NULL },
		{ "domains", NULL, 0, NULL, NULL, NULL },
	};
	redisReply *hash = NULL, *keys = NULL, *supp = NULL, *doms = NULL;
	char *rec, *set, *hk;
	int rc = CLI_EXIT_FAIL;

	rec = pw_schema_key_new(db->prefix, PW_SCHEMA_TENANT,
	    tenant, NULL, NULL);
	set = pw_schema_key_new(db->prefix, PW_SCHEMA_KEYS, tenant, NULL, NULL);
	hk = pw_schema_key_new(db->prefix, PW_SCHEMA_SUPP, tenant, NULL, NULL);
	if ((hash = cli_util_cmd(db, "HGETALL", rec, NULL)) == NULL ||
	    (keys = cli_util_cmd(db, "SCARD", set, NULL)) == NULL ||
	    (supp = cli_util_cmd(db, "HLEN", hk, NULL)) == NULL ||
	    (doms = cli_domain_owner_of_tenant(db, tenant)) == NULL ||
	    cli_suppress_entry_count_streams(db, tenant, &items[4].n) < 0)
		goto out;
	if (hash->type != REDIS_REPLY_ARRAY || hash->elements == 0) {
		cli_error("unknown tenant: %s", tenant);
		rc = CLI_EXIT_NOTFOUND;
		goto out;
	}
	items[2].n = cli_util_reply_int(keys);
	items[3].n = cli_util_reply_int(supp);
	items[5].map = doms;
	cli_record_print(db->json, hash, items, 6);
	rc = CLI_EXIT_OK;
out:
	if (hash != NULL)
		freeReplyObject(hash);
	if (keys != NULL)
		freeReplyObject(keys);
	if (supp != NULL)
		freeReplyObject(supp);
	if (doms != NULL)
		freeReplyObject(doms);
	free(rec);
	free(set);
	free(hk);
	return rc;
}

/* Say what happened to a tenant: a line, or its record with --json. */
static int
cli_tenant_done(struct cli_db *db, const char *tenant, const char *what)
{
	if (db->json)
		return cli_tenant_print(db, tenant);
	printf("tenant %s %s\n", tenant, what);
	return CLI_EXIT_OK;
}

static int
cli_tenant_add(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] = "add TENANT " CLI_TENANT_LIMITS " "
	    CLI_TENANT_SETTINGS;
	const char *kv[2 + 2 * (CLI_FIELDS_MAX + 3 + CLI_TENANT_NSETTINGS)];
	struct cli_tenant_args a;
	struct cli_record_args *r = &a.rec;
	char now[24], *rec = NULL, *list = NULL, *gen = NULL;
	struct cli_db db;
	redisReply *reply;
	size_t copied = 0;
	int rc, kc = 0, i;

	if ((rc = cli_tenant_args(argc, argv, usage, true, true, &a)) != 0)
		return rc;
	if ((rc = cli_tenant_settings_resolve(r->name, &a.settings,
	    NULL)) != 0)
		return rc;
	if ((rc = cli_util_open(opts, r->json, &db)) != CLI_EXIT_OK)
		return rc;
	cli_tenant_settings_check_pools(&db, &a.settings);
	switch (cli_lookup_tenant_exists(&db, r->name)) {
	case 0:
		break;
	case 1:
		cli_error("tenant %s exists already", r->name);
		rc = CLI_EXIT_EXISTS;
		goto out;
	default:
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	/* A new tenant owns no domain: --dkim-domain comes after them. */
	if ((rc = cli_tenant_settings_check_domains(&db, r->name,
	    &a.settings)) != 0)
		goto out;
	/* 0. The store holds postwarden's data from now on. */
	if (cli_record_mark_store(&db) < 0) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	/* 1. Listed: global suppressions added from now on reach it. */
	list = pw_schema_key_new(db.prefix, PW_SCHEMA_TENANTS,
	    NULL, NULL, NULL);
	if ((reply = cli_util_cmd(&db, "SADD", list, r->name,
	    NULL)) == NULL) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	freeReplyObject(reply);
	/* 2. The global suppressions so far. */
	if (cli_suppress_global_tenant(&db, r->name, &copied) < 0) {
		cli_error("tenant %s: not created (the global suppressions "
		    "could not be copied); run tenant add again", r->name);
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	/* 3. The record: the tenant exists. */
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	rec = pw_schema_key_new(db.prefix, PW_SCHEMA_TENANT,
	    r->name, NULL, NULL);
	gen = pw_schema_key_new(db.prefix, PW_SCHEMA_GEN, r->name, NULL, NULL);
	kv[kc++] = rec;
	kv[kc++] = gen;
	cli_fields_set(&r->fields, "created", now);
	cli_fields_set(&r->fields, "updated", now);
	for (i = 0; i < r->fields.nset; i++)
		if (strcmp(r->fields.set_name[i], "status") == 0)
			break;
	if (i == r->fields.nset)
		cli_fields_set(&r->fields, "status", "active");
	for (i = 0; i < r->fields.nset; i++) {
		kv[kc++] = r->fields.set_name[i];
		kv[kc++] = r->fields.set_value[i];
	}
	kc = cli_tenant_settings_kv(&a.settings, kv, kc);
	if ((reply = cli_util_eval(&db, &cli_tenant_create_script, 2, kc, kv,
	    NULL)) == NULL) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (cli_util_reply_int(reply) != 1) {
		cli_error("tenant %s exists already", r->name);
		rc = CLI_EXIT_EXISTS;
	} else if (db.json) {
		rc = cli_tenant_print(&db, r->name);
	} else {
		printf("tenant %s added (%zu global suppression%s copied)\n",
		    r->name, copied, copied == 1 ? "" : "s");
		rc = CLI_EXIT_OK;
	}
	freeReplyObject(reply);
out:
	free(rec);
	free(gen);
	free(list);
	cli_util_close(&db);
	return rc;
}

static int
cli_tenant_show(const struct cli_opts *opts, int argc, char **argv)
{
	return cli_record_show(&cli_tenant_kind, opts, argc, argv);
}

static int
cli_tenant_list(const struct cli_opts *opts, int argc, char **argv)
{
	static const char *header[] = {
		"TENANT", "STATUS", "KEYS", "LIMITS", "DESCRIPTION",
	};
	struct cli_record_item items[] = {
		{ "tenant", NULL, 0, NULL, NULL, NULL },
		{ NULL, NULL, 0, NULL, NULL, NULL },
		{ "keys", NULL, 0, NULL, NULL, NULL },
	};
	struct cli_tenant_args a;
	struct cli_record_list l;
	struct cli_db db;
	redisReply *hash, *keys;
	char **tenants, *rec, *set;
	size_t n = 0, i;
	int rc;

	if ((rc = cli_tenant_args(argc, argv, "list", false, false, &a)) != 0)
		return rc;
	if ((rc = cli_util_open(opts, a.rec.json, &db)) != CLI_EXIT_OK)
		return rc;
	if ((tenants = cli_lookup_tenants(&db, &n)) == NULL) {
		cli_util_close(&db);
		return CLI_EXIT_FAIL;
	}
	cli_record_list_init(&l, db.json, header, 5);
	for (i = 0; i < n; i++) {
		rec = pw_schema_key_new(db.prefix, PW_SCHEMA_TENANT,
		    tenants[i], NULL, NULL);
		set = pw_schema_key_new(db.prefix, PW_SCHEMA_KEYS,
		    tenants[i], NULL, NULL);
		hash = cli_util_cmd(&db, "HGETALL", rec, NULL);
		keys = hash != NULL ? cli_util_cmd(&db, "SCARD", set, NULL) :
		    NULL;
		free(rec);
		free(set);
		if (keys == NULL) {
			if (hash != NULL)
				freeReplyObject(hash);
			rc = CLI_EXIT_FAIL;
			break;
		}
		items[0].s = tenants[i];
		items[2].n = cli_util_reply_int(keys);
		cli_record_list_add(&l, hash, items, 3);
		freeReplyObject(hash);
		freeReplyObject(keys);
	}
	cli_record_list_end(&l, rc == CLI_EXIT_OK);
	cli_lookup_free(tenants, n);
	cli_util_close(&db);
	return rc;
}

/*
 * Apply a's limits, status and (unless NULL) settings to an existing
 * tenant; what says what happened.  An exit code.
 */
static int
cli_tenant_apply(const struct cli_opts *opts, struct cli_record_args *a,
    struct cli_tenant_settings *settings, const char *what)
{
	struct cli_db db;
	char *rec;
	int rc;

	if ((rc = cli_util_open(opts, a->json, &db)) != CLI_EXIT_OK)
		return rc;
	if (settings != NULL && (rc = cli_tenant_settings_check_domains(&db,
	    a->name, settings)) != 0) {
		cli_util_close(&db);
		return rc;
	}
	rec = pw_schema_key_new(db.prefix, PW_SCHEMA_TENANT,
	    a->name, NULL, NULL);
	if (settings != NULL)
		rc = cli_tenant_settings_update(&db, rec, a->name, &a->fields,
		    settings);
	else
		rc = cli_record_update(&db, a->name, rec, &a->fields);
	if (rc == CLI_EXIT_OK)
		rc = cli_tenant_done(&db, a->name, what);
	else if (rc == CLI_EXIT_NOTFOUND)
		cli_error("unknown tenant: %s", a->name);
	free(rec);
	cli_util_close(&db);
	return rc;
}

/* cli_record_kind.change: limits and status only. */
static int
cli_tenant_change(const struct cli_opts *opts, struct cli_record_args *a,
    const char *what)
{
	return cli_tenant_apply(opts, a, NULL, what);
}

static int
cli_tenant_set(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] = "set TENANT " CLI_TENANT_LIMITS " "
	    CLI_TENANT_SETTINGS;
	struct cli_tenant_args a;
	int rc;

	if ((rc = cli_tenant_args(argc, argv, usage, true, true, &a)) != 0)
		return rc;
	if (a.rec.fields.nset == 0 && a.rec.fields.ndel == 0 &&
	    !a.settings.given) {
		cli_error("tenant set: nothing to change");
		return cli_cmd_usage(CLI_TENANT_GROUP, usage);
	}
	return cli_tenant_apply(opts, &a.rec, a.settings.given ?
	    &a.settings : NULL, "updated");
}

/* tenant suspend|disable|enable TENANT: argv[0] says which. */
static int
cli_tenant_status(const struct cli_opts *opts, int argc, char **argv)
{
	return cli_record_status(&cli_tenant_kind, opts, argc, argv);
}

/*
 * tenant delete TENANT: refused while it has keys; else its record (so
 * that nothing can be added to it), its domains and their directory
 * entries, its listing, its suppressions.  Counters expire by
 * themselves.  An interrupted delete is completed by running it again.
 */
static int
cli_tenant_delete(const struct cli_opts *opts, int argc, char **argv)
{
	struct cli_tenant_args a;
	struct cli_json j;
	struct cli_db db;
	redisReply *reply;
	const char *kv[3];
	char *rec = NULL, *set = NULL, *list = NULL, *supp = NULL, *gen;
	size_t ndomains = 0;
	long long n, listed;
	int rc;

	if ((rc = cli_tenant_args(argc, argv, "delete TENANT", false, true,
	    &a)) != 0)
		return rc;
	if ((rc = cli_util_open(opts, a.rec.json, &db)) != CLI_EXIT_OK)
		return rc;
	rc = CLI_EXIT_FAIL;
	rec = pw_schema_key_new(db.prefix, PW_SCHEMA_TENANT, a.rec.name,
	    NULL, NULL);
	set = pw_schema_key_new(db.prefix, PW_SCHEMA_KEYS, a.rec.name,
	    NULL, NULL);
	list = pw_schema_key_new(db.prefix, PW_SCHEMA_TENANTS, NULL, NULL,
	    NULL);
	supp = pw_schema_key_new(db.prefix, PW_SCHEMA_SUPP, a.rec.name,
	    NULL, NULL);
	/* 1. The record, unless keys are left. */
	gen = pw_schema_key_new(db.prefix, PW_SCHEMA_GEN, a.rec.name, NULL,
	    NULL);
	kv[0] = rec;
	kv[1] = set;
	kv[2] = gen;
	reply = cli_util_eval(&db, &cli_tenant_delete_script, 3, 3, kv, NULL);
	free(gen);
	if (reply == NULL)
		goto out;
	n = cli_util_reply_int(reply);
	if (reply->type == REDIS_REPLY_INTEGER)
		n = reply->integer;
	freeReplyObject(reply);
	if (n < 0) {
		cli_error("tenant %s still has %lld key%s: delete %s first "
		    "(postwarden key list --tenant %s)", a.rec.name, -n,
		    n == -1 ? "" : "s", n == -1 ? "it" : "them", a.rec.name);
		rc = CLI_EXIT_EXISTS;
		goto out;
	}
	/* 2. Its domains: records, then directory entries. */
	if (cli_domain_owner_remove_tenant(&db, a.rec.name, &ndomains) < 0) {
		cli_error("tenant %s: not all of its domains were removed; "
		    "run tenant delete %s again", a.rec.name, a.rec.name);
		goto out;
	}
	/* 3. Not listed: the global suppressions stop reaching it. */
	if ((reply = cli_util_cmd(&db, "SREM", list, a.rec.name,
	    NULL)) == NULL)
		goto out;
	listed = cli_util_reply_int(reply);
	freeReplyObject(reply);
	/* 4. Its suppressions, the stream-scoped ones too. */
	if ((reply = cli_util_cmd(&db, "DEL", supp, NULL)) == NULL)
		goto out;
	freeReplyObject(reply);
	if (cli_suppress_entry_drop_streams(&db, a.rec.name) < 0)
		goto out;
	if (n == 0 && listed <= 0 && ndomains == 0) {
		cli_error("unknown tenant: %s", a.rec.name);
		rc = CLI_EXIT_NOTFOUND;
		goto out;
	}
	if (db.json) {
		cli_out_json_init(&j, stdout);
		cli_out_json_open(&j, '{');
		cli_out_json_key(&j, "tenant");
		cli_out_json_cstr(&j, a.rec.name);
		cli_out_json_key(&j, "deleted");
		cli_out_json_bool(&j, true);
		cli_out_json_key(&j, "domains");
		cli_out_json_int(&j, (long long)ndomains);
		cli_out_json_close(&j, '}');
		putchar('\n');
	} else {
		printf("tenant %s deleted (%zu domain%s removed)\n",
		    a.rec.name, ndomains, ndomains == 1 ? "" : "s");
	}
	rc = CLI_EXIT_OK;
out:
	free(rec);
	free(set);
	free(list);
	free(supp);
	cli_util_close(&db);
	return rc;
}

static const struct cli_sub cli_tenant_subs[] = {
	{ "add", cli_tenant_add, "add TENANT [LIMITS] [SETTINGS]" },
	{ "show", cli_tenant_show, "show TENANT" },
	{ "list", cli_tenant_list, "list" },
	{ "set", cli_tenant_set, "set TENANT LIMITS|SETTINGS" },
	{ "suspend", cli_tenant_status, "suspend TENANT" },
	{ "disable", cli_tenant_status, "disable TENANT" },
	{ "enable", cli_tenant_status, "enable TENANT" },
	{ "delete", cli_tenant_delete, "delete TENANT" },
};

int
cli_tenant(const struct cli_opts *opts, int argc, char **argv)
{
	return cli_cmd_dispatch(CLI_TENANT_GROUP, cli_tenant_subs,
	    sizeof(cli_tenant_subs) / sizeof(cli_tenant_subs[0]), opts, argc,
	    argv);
}
