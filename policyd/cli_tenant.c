/*
 * cli_tenant.c -- `postwarden tenant`: tenants.
 *
 *   tenant add TENANT [LIMITS]
 *   tenant show TENANT
 *   tenant list
 *   tenant set TENANT LIMITS
 *   tenant suspend|disable|enable TENANT
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
 * completes it.
 *
 * Failures: unknown tenant exit 1, an existing tenant exit 3, bad input
 * exit 64, Redis trouble exit 2.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "identity.h"

#define CLI_TENANT_GROUP	"tenant"
#define CLI_TENANT_LIMITS	"[--rate N/s|N/m] [--burst N] " \
	"[--quota-hour N] [--quota-day N] [--quota-month N] " \
	"[--max-size N[K|M|G]] [--max-recipients N] [--description TEXT] " \
	"[--status STATUS]"

/* KEYS[1] the record; ARGV field/value pairs.  0 if it exists, else 1. */
static struct pw_redis_script cli_tenant_create_script = {
	"cli_tenant_create",
	"if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end\n"
	"redis.call('HSET', KEYS[1], unpack(ARGV))\n"
	"return 1\n",
	""
};

static const struct option cli_tenant_longopts[] = {
	CLI_LIMIT_LONGOPTS,
	{ "json", no_argument, NULL, CLI_OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

struct cli_tenant_args {
	const char		*tenant;
	bool			 json;
	struct cli_fields	 fields;
};

/*
 * Parse a subcommand's options and its TENANT (none for list): 0, or
 * CLI_EXIT_USAGE after printing why.
 */
static int
cli_tenant_args(int argc, char **argv, const char *usage, bool limits,
    bool want_tenant, struct cli_tenant_args *a)
{
	char cmd[32];
	int ch;

	memset(a, 0, sizeof(*a));
	snprintf(cmd, sizeof(cmd), "tenant %s", argv[0]);
	while ((ch = getopt_long(argc, argv, ":", cli_tenant_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case CLI_OPT_JSON:
			a->json = true;
			break;
		case '?':
		case ':':
			cli_util_badopt(cmd, ch, argv);
			return cli_util_usage(CLI_TENANT_GROUP, usage);
		default:
			if (!limits) {
				cli_error("%s: option %s does not apply", cmd,
				    argv[optind - 1]);
				return cli_util_usage(CLI_TENANT_GROUP, usage);
			}
			if (cli_util_limit_opt(ch, optarg, false,
			    &a->fields) != 0)
				return CLI_EXIT_USAGE;
			break;
		}
	}
	if (argc - optind != (want_tenant ? 1 : 0))
		return cli_util_usage(CLI_TENANT_GROUP, usage);
	if (want_tenant) {
		a->tenant = argv[optind];
		if (cli_util_check_tenant(a->tenant) < 0)
			return CLI_EXIT_USAGE;
	}
	return 0;
}

/*
 * Print a tenant: its record, how many keys and suppressions it has.
 * CLI_EXIT_OK, CLI_EXIT_NOTFOUND or CLI_EXIT_FAIL.
 */
static int
cli_tenant_print(struct cli_db *db, const char *tenant)
{
	redisReply *hash = NULL, *keys = NULL, *supp = NULL;
	char *rec, *set, *hk, num[24], num2[24];
	struct cli_table t;
	struct cli_json j;
	int rc = CLI_EXIT_FAIL;

	rec = cli_util_key(db, "{%s}:tenant", tenant);
	set = cli_util_key(db, "{%s}:keys", tenant);
	hk = cli_util_key(db, "{%s}:supp", tenant);
	if ((hash = cli_util_cmd(db, "HGETALL", rec, NULL)) == NULL ||
	    (keys = cli_util_cmd(db, "SCARD", set, NULL)) == NULL ||
	    (supp = cli_util_cmd(db, "HLEN", hk, NULL)) == NULL)
		goto out;
	if (hash->type != REDIS_REPLY_ARRAY || hash->elements == 0) {
		cli_error("unknown tenant: %s", tenant);
		rc = CLI_EXIT_NOTFOUND;
		goto out;
	}
	if (db->json) {
		cli_out_json_init(&j, stdout);
		cli_out_json_open(&j, '{');
		cli_out_json_key(&j, "tenant");
		cli_out_json_cstr(&j, tenant);
		cli_out_record_json(hash, &j);
		cli_out_json_key(&j, "keys");
		cli_out_json_int(&j, cli_util_reply_int(keys));
		cli_out_json_key(&j, "suppressions");
		cli_out_json_int(&j, cli_util_reply_int(supp));
		cli_out_json_close(&j, '}');
		putchar('\n');
	} else {
		cli_out_table_init(&t, 2);
		cli_out_table_row(&t, "tenant", tenant);
		cli_out_record_table(hash, &t);
		snprintf(num, sizeof(num), "%lld", cli_util_reply_int(keys));
		snprintf(num2, sizeof(num2), "%lld",
		    cli_util_reply_int(supp));
		cli_out_table_row(&t, "keys", num);
		cli_out_table_row(&t, "suppressions", num2);
		cli_out_table_print(&t, stdout);
		cli_out_table_free(&t);
	}
	rc = CLI_EXIT_OK;
out:
	if (hash != NULL)
		freeReplyObject(hash);
	if (keys != NULL)
		freeReplyObject(keys);
	if (supp != NULL)
		freeReplyObject(supp);
	free(rec);
	free(set);
	free(hk);
	return rc;
}

static int
cli_tenant_add(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] = "add TENANT " CLI_TENANT_LIMITS;
	const char *kv[1 + 2 * (CLI_FIELDS_MAX + 3)];
	struct cli_tenant_args a;
	char now[24], *rec = NULL, *list = NULL;
	struct cli_db db;
	redisReply *reply;
	size_t copied = 0;
	int rc, kc = 0, i;

	if ((rc = cli_tenant_args(argc, argv, usage, true, true, &a)) != 0)
		return rc;
	if ((rc = cli_util_open(opts, a.json, &db)) != CLI_EXIT_OK)
		return rc;
	switch (cli_util_tenant_exists(&db, a.tenant)) {
	case 0:
		break;
	case 1:
		cli_error("tenant %s exists already", a.tenant);
		rc = CLI_EXIT_EXISTS;
		goto out;
	default:
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	/* 1. Listed: global suppressions added from now on reach it. */
	list = cli_util_key(&db, "tenants");
	if ((reply = cli_util_cmd(&db, "SADD", list, a.tenant,
	    NULL)) == NULL) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	freeReplyObject(reply);
	/* 2. The global suppressions so far. */
	if (cli_suppress_copy_global(&db, a.tenant, &copied) < 0) {
		cli_error("tenant %s: not created (the global suppressions "
		    "could not be copied); run tenant add again", a.tenant);
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	/* 3. The record: the tenant exists. */
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	rec = cli_util_key(&db, "{%s}:tenant", a.tenant);
	kv[kc++] = rec;
	cli_util_fields_set(&a.fields, "created", now);
	cli_util_fields_set(&a.fields, "updated", now);
	for (i = 0; i < a.fields.nset; i++)
		if (strcmp(a.fields.set_name[i], "status") == 0)
			break;
	if (i == a.fields.nset)
		cli_util_fields_set(&a.fields, "status", "active");
	for (i = 0; i < a.fields.nset; i++) {
		kv[kc++] = a.fields.set_name[i];
		kv[kc++] = a.fields.set_value[i];
	}
	if ((reply = cli_util_eval(&db, &cli_tenant_create_script, 1, kc, kv,
	    NULL)) == NULL) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (cli_util_reply_int(reply) != 1) {
		cli_error("tenant %s exists already", a.tenant);
		rc = CLI_EXIT_EXISTS;
	} else if (db.json) {
		rc = cli_tenant_print(&db, a.tenant);
	} else {
		printf("tenant %s added (%zu global suppression%s copied)\n",
		    a.tenant, copied, copied == 1 ? "" : "s");
		rc = CLI_EXIT_OK;
	}
	freeReplyObject(reply);
out:
	free(rec);
	free(list);
	cli_util_close(&db);
	return rc;
}

static int
cli_tenant_show(const struct cli_opts *opts, int argc, char **argv)
{
	struct cli_tenant_args a;
	struct cli_db db;
	int rc;

	if ((rc = cli_tenant_args(argc, argv, "show TENANT", false, true,
	    &a)) != 0)
		return rc;
	if ((rc = cli_util_open(opts, a.json, &db)) != CLI_EXIT_OK)
		return rc;
	rc = cli_tenant_print(&db, a.tenant);
	cli_util_close(&db);
	return rc;
}

static int
cli_tenant_list(const struct cli_opts *opts, int argc, char **argv)
{
	struct cli_tenant_args a;
	struct cli_table t;
	struct cli_json j;
	struct cli_db db;
	redisReply *hash, *keys;
	char **tenants, *rec, *set, limits[256], num[24];
	size_t n = 0, i;
	int rc;

	if ((rc = cli_tenant_args(argc, argv, "list", false, false, &a)) != 0)
		return rc;
	if ((rc = cli_util_open(opts, a.json, &db)) != CLI_EXIT_OK)
		return rc;
	if ((tenants = cli_util_tenants(&db, &n)) == NULL) {
		cli_util_close(&db);
		return CLI_EXIT_FAIL;
	}
	cli_out_table_init(&t, 5);
	cli_out_table_row(&t, "TENANT", "STATUS", "KEYS", "LIMITS",
	    "DESCRIPTION");
	cli_out_json_init(&j, stdout);
	if (db.json)
		cli_out_json_open(&j, '[');
	for (i = 0; i < n; i++) {
		rec = cli_util_key(&db, "{%s}:tenant", tenants[i]);
		set = cli_util_key(&db, "{%s}:keys", tenants[i]);
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
		if (db.json) {
			cli_out_json_open(&j, '{');
			cli_out_json_key(&j, "tenant");
			cli_out_json_cstr(&j, tenants[i]);
			cli_out_record_json(hash, &j);
			cli_out_json_key(&j, "keys");
			cli_out_json_int(&j, cli_util_reply_int(keys));
			cli_out_json_close(&j, '}');
		} else {
			snprintf(num, sizeof(num), "%lld",
			    cli_util_reply_int(keys));
			cli_out_table_row(&t, tenants[i],
			    hash->elements == 0 ? "(no record)" :
			    cli_util_hash_get(hash, "status"), num,
			    cli_out_limits_brief(hash, limits,
			    sizeof(limits)),
			    cli_util_hash_get(hash, "description"));
		}
		freeReplyObject(hash);
		freeReplyObject(keys);
	}
	if (db.json) {
		cli_out_json_close(&j, ']');
		putchar('\n');
	} else if (rc == CLI_EXIT_OK) {
		cli_out_table_print(&t, stdout);
	}
	cli_out_table_free(&t);
	cli_util_free_strv(tenants, n);
	cli_util_close(&db);
	return rc;
}

/* Apply a->fields to an existing tenant; what says what happened. */
static int
cli_tenant_change(const struct cli_opts *opts, struct cli_tenant_args *a,
    const char *what)
{
	struct cli_db db;
	char *rec;
	int rc;

	if ((rc = cli_util_open(opts, a->json, &db)) != CLI_EXIT_OK)
		return rc;
	rec = cli_util_key(&db, "{%s}:tenant", a->tenant);
	switch (cli_util_update(&db, rec, &a->fields)) {
	case 1:
		if (db.json)
			rc = cli_tenant_print(&db, a->tenant);
		else
			printf("tenant %s %s\n", a->tenant, what);
		break;
	case 0:
		cli_error("unknown tenant: %s", a->tenant);
		rc = CLI_EXIT_NOTFOUND;
		break;
	default:
		rc = CLI_EXIT_FAIL;
		break;
	}
	free(rec);
	cli_util_close(&db);
	return rc;
}

static int
cli_tenant_set(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] = "set TENANT " CLI_TENANT_LIMITS;
	struct cli_tenant_args a;
	int rc;

	if ((rc = cli_tenant_args(argc, argv, usage, true, true, &a)) != 0)
		return rc;
	if (a.fields.nset == 0 && a.fields.ndel == 0) {
		cli_error("tenant set: nothing to change");
		return cli_util_usage(CLI_TENANT_GROUP, usage);
	}
	return cli_tenant_change(opts, &a, "updated");
}

/* tenant suspend|disable|enable TENANT: argv[0] says which. */
static int
cli_tenant_status(const struct cli_opts *opts, int argc, char **argv)
{
	char usage[32];
	const char *status, *what;
	struct cli_tenant_args a;
	int rc;

	snprintf(usage, sizeof(usage), "%s TENANT", argv[0]);
	if ((rc = cli_tenant_args(argc, argv, usage, false, true, &a)) != 0)
		return rc;
	cli_util_status_verb(argv[0], &status, &what);
	cli_util_fields_set(&a.fields, "status", status);
	return cli_tenant_change(opts, &a, what);
}

static const struct cli_sub cli_tenant_subs[] = {
	{ "add", cli_tenant_add, "add TENANT [LIMITS]" },
	{ "show", cli_tenant_show, "show TENANT" },
	{ "list", cli_tenant_list, "list" },
	{ "set", cli_tenant_set, "set TENANT LIMITS" },
	{ "suspend", cli_tenant_status, "suspend TENANT" },
	{ "disable", cli_tenant_status, "disable TENANT" },
	{ "enable", cli_tenant_status, "enable TENANT" },
};

int
cli_tenant(const struct cli_opts *opts, int argc, char **argv)
{
	return cli_util_dispatch(CLI_TENANT_GROUP, cli_tenant_subs,
	    sizeof(cli_tenant_subs) / sizeof(cli_tenant_subs[0]), opts, argc,
	    argv);
}
