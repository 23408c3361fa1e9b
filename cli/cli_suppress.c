/*
 * cli_suppress.c -- `postwarden suppress`: suppression lists.
 *
 *   suppress add ADDRESS... SCOPE [--reason R] [--expires WHEN]
 *   suppress remove ADDRESS... SCOPE
 *   suppress check ADDRESS SCOPE          exit 0 suppressed, 1 not
 *   suppress list SCOPE
 *   suppress import FILE|- SCOPE [--skip-bad]
 *   suppress export [FILE|-] SCOPE
 *   SCOPE is --tenant TENANT or --global
 *
 * Exports: cli_suppress, cli_suppress_copy_global (for tenant add),
 * cli_suppress_add_one (for unsubscribe).
 *
 * Redis (docs/redis-schema.md): hash pw:{T}:supp per tenant and the
 * global master pw:supp:global; field "user@domain" or "@domain", value
 * "reason|source|time|expires".  A global entry is written to the master
 * first and then copied into every tenant's hash with source "global";
 * a tenant's own entry for the same address is left alone (and is not
 * removed when the global entry is).  Removal goes the same way: master
 * first, then the copies whose source is "global".
 *
 * Speed: entries go out in batches of CLI_SUPPRESS_BATCH (one HSET, or
 * one script per tenant for global copies), so an import is a few
 * hundred round trips for 100,000 entries, not 100,000.
 *
 * Import: the whole file is read and checked before anything is written.
 * A bad line refuses the whole import (exit 64, nothing written) unless
 * --skip-bad, which reports each bad line with its number and imports
 * the rest.
 *
 * Addresses: every one given (operands, import lines, unsubscribe) is
 * put in the normal form of lib/address.h, the one postwarden-policyd
 * compares recipients in, so "victim@OK.example." and "@bücher.example"
 * are stored as "victim@ok.example" and "@xn--bcher-kva.example".
 *
 * Security: addresses are checked and normalised; what Redis holds is
 * printed escaped; export files are created mode 0600 (personal data).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "identity.h"
#include "lua.h"
#include "xmalloc.h"

#define CLI_SUPPRESS_GROUP	"suppress"
#define CLI_SUPPRESS_BATCH	1000	/* entries per command */
#define CLI_SUPPRESS_SOURCE_MAX	32
#define CLI_SUPPRESS_VALUE_MAX	96
#define CLI_SUPPRESS_BAD_SHOWN	20	/* bad import lines printed */
#define CLI_SUPPRESS_LINE_MAX	4096
#define CLI_SUPPRESS_CSV_HEADER	"address,reason,source,time,expires"

static const char *const cli_suppress_reasons[] = {
	"bounce", "complaint", "unsubscribe", "manual",
};

/*
 * A global entry's copy into a tenant: KEYS[1] pw:{T}:supp, ARGV field,
 * value pairs.  Writes a pair unless the tenant has its own entry for
 * that address (source other than "global").  Returns how many it wrote.
 */
static struct pw_redis_script cli_suppress_copy_script = {
	"cli_suppress_copy", pw_lua_suppress_copy, ""
};

/*
 * Removing a global entry from a tenant: KEYS[1] pw:{T}:supp, ARGV
 * fields; deletes those whose source is "global".  Returns how many.
 */
static struct pw_redis_script cli_suppress_uncopy_script = {
	"cli_suppress_uncopy", pw_lua_suppress_uncopy, ""
};

/* One entry: the address and its stored value. */
struct cli_suppress_entry {
	char	*address;
	char	*value;		/* reason|source|time|expires */
};

/* A list of entries being built. */
struct cli_suppress_list {
	struct cli_suppress_entry	*v;
	size_t				 n, cap;
};

/* A stored value, taken apart (leniently: it may be hand-written). */
struct cli_suppress_val {
	char	 reason[16];
	char	 source[CLI_SUPPRESS_SOURCE_MAX + 1];
	int64_t	 time;
	int64_t	 expires;
};

/* What a suppress subcommand was given. */
struct cli_suppress_args {
	const char	*tenant;	/* --tenant */
	bool		 global;	/* --global */
	bool		 json;
	bool		 skip_bad;
	const char	*reason;
	const char	*expires;
	char		**rest;		/* operands */
	int		 nrest;
	char		*hash;		/* the hash of the scope */
	char		 scope[PW_IDENTITY_TENANT_MAX + 16];
};

static const struct option cli_suppress_longopts[] = {
	{ "tenant", required_argument, NULL, CLI_OPT_TENANT },
	{ "global", no_argument, NULL, CLI_OPT_GLOBAL },
	{ "json", no_argument, NULL, CLI_OPT_JSON },
	{ "reason", required_argument, NULL, CLI_OPT_REASON },
	{ "expires", required_argument, NULL, CLI_OPT_EXPIRES },
	{ "skip-bad", no_argument, NULL, CLI_OPT_SKIP_BAD },
	{ NULL, 0, NULL, 0 },
};

static bool
cli_suppress_valid_reason(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(cli_suppress_reasons) /
	    sizeof(cli_suppress_reasons[0]); i++)
		if (strcmp(s, cli_suppress_reasons[i]) == 0)
			return true;
	return false;
}

/* A source: [a-z0-9._-]{1,32}; it must not hold '|' or ','. */
static bool
cli_suppress_valid_source(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len <= CLI_SUPPRESS_SOURCE_MAX &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == len;
}

static void
cli_suppress_list_add(struct cli_suppress_list *l, const char *address,
    const char *value)
{
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 256 : l->cap * 2;
		l->v = pw_xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n].address = pw_xstrdup(address);
	l->v[l->n].value = pw_xstrdup(value);
	l->n++;
}

static void
cli_suppress_list_free(struct cli_suppress_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].address);
		free(l->v[i].value);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
cli_suppress_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cli_suppress_entry *)a)->address,
	    ((const struct cli_suppress_entry *)b)->address);
}

/* By address; an empty list has no array, and qsort(NULL, 0) is undefined. */
static void
cli_suppress_sort(struct cli_suppress_list *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cli_suppress_entry_cmp);
}

/* Take a stored value apart; missing parts stay empty or 0. */
static void
cli_suppress_parse_value(const char *v, struct cli_suppress_val *out)
{
	const char *p = v, *bar;
	char num[24];
	int64_t t;
	int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < 4 && p != NULL; i++) {
		size_t len;

		bar = strchr(p, '|');
		len = bar != NULL ? (size_t)(bar - p) : strlen(p);
		switch (i) {
		case 0:
			snprintf(out->reason, sizeof(out->reason), "%.*s",
			    (int)len, p);
			break;
		case 1:
			snprintf(out->source, sizeof(out->source), "%.*s",
			    (int)len, p);
			break;
		default:
			snprintf(num, sizeof(num), "%.*s", (int)len, p);
			if (cli_parse_time(num, &t) < 0)
				t = 0;
			if (i == 2)
				out->time = t;
			else
				out->expires = t;
			break;
		}
		p = bar != NULL ? bar + 1 : NULL;
	}
}

/* Format a value with another source ("global" for tenant copies). */
static void
cli_suppress_format(char *buf, size_t size, const char *reason,
    const char *source, int64_t when, int64_t expires)
{
	snprintf(buf, size, "%s|%s|%lld|%lld", reason, source,
	    (long long)when, (long long)expires);
}

static bool
cli_suppress_expired(const struct cli_suppress_val *v, int64_t now)
{
	return v->expires > 0 && v->expires <= now;
}

/*
 * Parse a subcommand's options and its min to max operands; scope is
 * required.  0, or CLI_EXIT_USAGE after printing why.
 */
static int
cli_suppress_args(int argc, char **argv, const char *usage, int min,
    int max, struct cli_suppress_args *a)
{
	char cmd[32];
	int ch;

	memset(a, 0, sizeof(*a));
	snprintf(cmd, sizeof(cmd), "suppress %s", argv[0]);
	while ((ch = getopt_long(argc, argv, ":", cli_suppress_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case CLI_OPT_TENANT:
			if (cli_parse_tenant(optarg) < 0)
				return CLI_EXIT_USAGE;
			a->tenant = optarg;
			break;
		case CLI_OPT_GLOBAL:
			a->global = true;
			break;
		case CLI_OPT_JSON:
			a->json = true;
			break;
		case CLI_OPT_REASON:
			a->reason = optarg;
			break;
		case CLI_OPT_EXPIRES:
			a->expires = optarg;
			break;
		case CLI_OPT_SKIP_BAD:
			a->skip_bad = true;
			break;
		default:
			cli_cmd_badopt(cmd, ch, argv);
			return cli_cmd_usage(CLI_SUPPRESS_GROUP, usage);
		}
	}
	if ((a->tenant != NULL) == a->global) {
		cli_error("%s: give either --tenant TENANT or --global", cmd);
		return cli_cmd_usage(CLI_SUPPRESS_GROUP, usage);
	}
	if ((a->reason != NULL || a->expires != NULL) &&
	    strcmp(argv[0], "add") != 0) {
		cli_error("%s: --reason and --expires apply to add only", cmd);
		return cli_cmd_usage(CLI_SUPPRESS_GROUP, usage);
	}
	if (a->skip_bad && strcmp(argv[0], "import") != 0) {
		cli_error("%s: --skip-bad applies to import only", cmd);
		return cli_cmd_usage(CLI_SUPPRESS_GROUP, usage);
	}
	if (a->reason != NULL && !cli_suppress_valid_reason(a->reason)) {
		cli_error("--reason: expected bounce, complaint, unsubscribe "
		    "or manual; got '%s'", a->reason);
		return CLI_EXIT_USAGE;
	}
	if (a->global)
		snprintf(a->scope, sizeof(a->scope), "the global list");
	else
		snprintf(a->scope, sizeof(a->scope), "tenant %s", a->tenant);
	a->rest = argv + optind;
	a->nrest = argc - optind;
	if (a->nrest < min || a->nrest > max)
		return cli_cmd_usage(CLI_SUPPRESS_GROUP, usage);
	return 0;
}

/*
 * Open Redis for a scope: the tenant must exist.  Sets a->hash.
 * CLI_EXIT_OK or an exit code after printing why.
 */
static int
cli_suppress_open(const struct cli_opts *opts, struct cli_suppress_args *a,
    struct cli_db *db)
{
	int rc;

	if ((rc = cli_util_open(opts, a->json, db)) != CLI_EXIT_OK)
		return rc;
	if (a->global) {
		a->hash = cli_util_key(db, "supp:global");
		return CLI_EXIT_OK;
	}
	switch (cli_lookup_tenant_exists(db, a->tenant)) {
	case 1:
		a->hash = cli_util_key(db, "{%s}:supp", a->tenant);
		return CLI_EXIT_OK;
	case 0:
		cli_error("unknown tenant: %s", a->tenant);
		rc = CLI_EXIT_NOTFOUND;
		break;
	default:
		rc = CLI_EXIT_FAIL;
		break;
	}
	cli_util_close(db);
	return rc;
}

/*
 * End a subcommand: close Redis if cli_suppress_open opened it (a->hash
 * set), free l unless NULL.
 */
static void
cli_suppress_close(struct cli_suppress_args *a, struct cli_db *db,
    struct cli_suppress_list *l)
{
	if (a->hash != NULL) {
		free(a->hash);
		a->hash = NULL;
		cli_util_close(db);
	}
	if (l != NULL)
		cli_suppress_list_free(l);
}

/*
 * Write entries into hash in batches: HSET, or with script (the global
 * copy) KEYS[1] = hash.  When global_copy, values get source "global".
 * 0, or -1 after printing why.
 */
static int
cli_suppress_write(struct cli_db *db, const char *hash,
    const struct cli_suppress_list *l, bool global_copy)
{
	const char **argv;
	char (*vals)[CLI_SUPPRESS_VALUE_MAX] = NULL;
	struct cli_suppress_val v;
	redisReply *reply;
	size_t i, j, n;
	int argc;

	argv = pw_xcalloc(2 + 2 * CLI_SUPPRESS_BATCH, sizeof(*argv));
	if (global_copy)
		vals = pw_xcalloc(CLI_SUPPRESS_BATCH, sizeof(*vals));
	for (i = 0; i < l->n; i += n) {
		n = l->n - i < CLI_SUPPRESS_BATCH ? l->n - i :
		    CLI_SUPPRESS_BATCH;
		argc = 0;
		if (!global_copy)
			argv[argc++] = "HSET";
		argv[argc++] = hash;
		for (j = 0; j < n; j++) {
			argv[argc++] = l->v[i + j].address;
			if (global_copy) {
				cli_suppress_parse_value(l->v[i + j].value,
				    &v);
				cli_suppress_format(vals[j], sizeof(vals[j]),
				    v.reason, "global", v.time, v.expires);
				argv[argc++] = vals[j];
			} else {
				argv[argc++] = l->v[i + j].value;
			}
		}
		if (global_copy)
			reply = cli_util_eval(db, &cli_suppress_copy_script, 1,
			    argc, argv, NULL);
		else
			reply = cli_util_cmdv(db, argc, argv, NULL);
		if (reply == NULL) {
			free(argv);
			free(vals);
			return -1;
		}
		freeReplyObject(reply);
	}
	free(argv);
	free(vals);
	return 0;
}

/*
 * Write entries into a's scope: the tenant's own hash, or the global
 * master and then a copy in every tenant.  0, or -1 after printing why.
 */
static int
cli_suppress_write_scope(struct cli_db *db,
    const struct cli_suppress_args *a, const struct cli_suppress_list *l)
{
	char **tenants, *hash;
	size_t n, i;
	int rc = 0;

	if (cli_suppress_write(db, a->hash, l, false) < 0)
		return -1;
	if (!a->global)
		return 0;
	if ((tenants = cli_lookup_tenants(db, &n)) == NULL)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		hash = cli_util_key(db, "{%s}:supp", tenants[i]);
		rc = cli_suppress_write(db, hash, l, true);
		if (rc < 0)
			cli_error("the global list is written but not all "
			    "tenant copies (stopped at tenant %s); run the "
			    "command again", tenants[i]);
		free(hash);
	}
	cli_lookup_free(tenants, n);
	return rc;
}

/*
 * Read a whole hash with HSCAN, skipping entries expired at now.  0, or
 * -1 after printing why.
 */
static int
cli_suppress_read(struct cli_db *db, const char *hash, int64_t now,
    struct cli_suppress_list *l)
{
	struct cli_suppress_val v;
	redisReply *reply, *items;
	char cursor[32] = "0";
	size_t i;

	do {
		reply = cli_util_cmd(db, "HSCAN", hash, cursor, "COUNT",
		    "1000", NULL);
		if (reply == NULL)
			return -1;
		if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
		    reply->element[0]->type != REDIS_REPLY_STRING ||
		    reply->element[1]->type != REDIS_REPLY_ARRAY) {
			cli_error("HSCAN %s: unexpected reply", hash);
			freeReplyObject(reply);
			return -1;
		}
		snprintf(cursor, sizeof(cursor), "%s",
		    reply->element[0]->str);
		items = reply->element[1];
		for (i = 0; i + 1 < items->elements; i += 2) {
			cli_suppress_parse_value(items->element[i + 1]->str,
			    &v);
			if (!cli_suppress_expired(&v, now))
				cli_suppress_list_add(l,
				    items->element[i]->str,
				    items->element[i + 1]->str);
		}
		freeReplyObject(reply);
	} while (strcmp(cursor, "0") != 0);
	return 0;
}

int
cli_suppress_copy_global(struct cli_db *db, const char *tenant, size_t *n_r)
{
	struct cli_suppress_list l = { NULL, 0, 0 };
	char *master, *hash;
	int rc = -1;

	master = cli_util_key(db, "supp:global");
	hash = cli_util_key(db, "{%s}:supp", tenant);
	if (cli_suppress_read(db, master, (int64_t)time(NULL), &l) == 0 &&
	    cli_suppress_write(db, hash, &l, true) == 0) {
		*n_r = l.n;
		rc = 0;
	}
	cli_suppress_list_free(&l);
	free(master);
	free(hash);
	return rc;
}

int
cli_suppress_add_one(struct cli_db *db, const char *tenant,
    const char *address, const char *reason, const char *source)
{
	struct cli_suppress_list l = { NULL, 0, 0 };
	char value[CLI_SUPPRESS_VALUE_MAX], *hash;
	struct cli_suppress_val v;
	redisReply *reply;
	int rc = -1;

	hash = cli_util_key(db, "{%s}:supp", tenant);
	if ((reply = cli_util_cmd(db, "HGET", hash, address, NULL)) == NULL)
		goto out;
	if (reply->type == REDIS_REPLY_STRING) {
		/* A global copy is replaced: its removal must not undo this. */
		cli_suppress_parse_value(reply->str, &v);
		if (v.expires == 0 && strcmp(v.source, "global") != 0)
			rc = 1;
	}
	freeReplyObject(reply);
	if (rc == 1)
		goto out;
	cli_suppress_format(value, sizeof(value), reason, source,
	    (int64_t)time(NULL), 0);
	cli_suppress_list_add(&l, address, value);
	rc = cli_suppress_write(db, hash, &l, false);
	cli_suppress_list_free(&l);
out:
	free(hash);
	return rc;
}

/* One entry as a JSON object. */
static void
cli_suppress_json_entry(struct cli_json *j, const char *address,
    const char *value)
{
	struct cli_suppress_val v;

	cli_suppress_parse_value(value, &v);
	cli_out_json_open(j, '{');
	cli_out_json_key(j, "address");
	cli_out_json_cstr(j, address);
	cli_out_json_key(j, "reason");
	cli_out_json_cstr(j, v.reason);
	cli_out_json_key(j, "source");
	cli_out_json_cstr(j, v.source);
	cli_out_json_key(j, "time");
	cli_out_json_int(j, v.time);
	cli_out_json_key(j, "expires");
	cli_out_json_int(j, v.expires);
	cli_out_json_close(j, '}');
}

/* Entries as a table (ADDRESS REASON SOURCE ADDED EXPIRES) or JSON. */
static void
cli_suppress_print(const struct cli_db *db, const struct cli_suppress_list *l)
{
	char added[CLI_TIME_MAX], expires[CLI_TIME_MAX];
	struct cli_suppress_val v;
	struct cli_table t;
	struct cli_json j;
	size_t i;

	if (db->json) {
		cli_out_json_init(&j, stdout);
		cli_out_json_open(&j, '[');
		for (i = 0; i < l->n; i++)
			cli_suppress_json_entry(&j, l->v[i].address,
			    l->v[i].value);
		cli_out_json_close(&j, ']');
		putchar('\n');
		return;
	}
	cli_out_table_init(&t, 5);
	cli_out_table_row(&t, "ADDRESS", "REASON", "SOURCE", "ADDED",
	    "EXPIRES");
	for (i = 0; i < l->n; i++) {
		cli_suppress_parse_value(l->v[i].value, &v);
		cli_out_table_row(&t, l->v[i].address, v.reason, v.source,
		    cli_out_time(v.time, added),
		    cli_out_time(v.expires, expires));
	}
	cli_out_table_print(&t, stdout);
	cli_out_table_free(&t);
}

/* Check the operands as addresses into l (value unset). 0 or 64. */
static int
cli_suppress_addresses(const struct cli_suppress_args *a, const char *value,
    struct cli_suppress_list *l)
{
	char addr[CLI_ADDRESS_MAX + 1], safe[80];
	const char *why;
	int i;

	for (i = 0; i < a->nrest; i++) {
		if (cli_parse_address(a->rest[i], addr, &why) < 0) {
			cli_error("bad address '%s': %s",
			    cli_out_safe(safe, sizeof(safe), a->rest[i],
			    strlen(a->rest[i])), why);
			return CLI_EXIT_USAGE;
		}
		cli_suppress_list_add(l, addr, value);
	}
	return 0;
}

static int
cli_suppress_add(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] = "add ADDRESS... --tenant TENANT|--global "
	    "[--reason bounce|complaint|unsubscribe|manual] "
	    "[--expires DURATION|TIME]";
	struct cli_suppress_list l = { NULL, 0, 0 };
	struct cli_suppress_args a;
	char value[CLI_SUPPRESS_VALUE_MAX], when[CLI_TIME_MAX], safe[64];
	struct cli_db db;
	int64_t now = (int64_t)time(NULL), expires = 0;
	size_t i;
	int rc;

	if ((rc = cli_suppress_args(argc, argv, usage, 1, INT_MAX, &a)) != 0)
		return rc;
	if (a.expires != NULL &&
	    cli_parse_expires(a.expires, now, &expires) < 0) {
		cli_error("--expires: expected never, a duration (90m, 12h, "
		    "30d, 2w) or a future time (2027-01-31, "
		    "2027-01-31T12:00:00Z, Unix seconds); got '%s'",
		    cli_out_safe(safe, sizeof(safe), a.expires,
		    strlen(a.expires)));
		return CLI_EXIT_USAGE;
	}
	cli_suppress_format(value, sizeof(value),
	    a.reason != NULL ? a.reason : "manual", "cli", now, expires);
	if ((rc = cli_suppress_addresses(&a, value, &l)) != 0)
		goto out;
	if ((rc = cli_suppress_open(opts, &a, &db)) != CLI_EXIT_OK)
		goto out;
	if (cli_suppress_write_scope(&db, &a, &l) < 0) {
		rc = CLI_EXIT_FAIL;
	} else if (db.json) {
		cli_suppress_print(&db, &l);
	} else {
		for (i = 0; i < l.n; i++)
			printf("suppressed %s in %s (%s, expires %s)\n",
			    l.v[i].address, a.scope,
			    a.reason != NULL ? a.reason : "manual",
			    cli_out_time(expires, when));
	}
out:
	cli_suppress_close(&a, &db, &l);
	return rc;
}

/*
 * Remove the global copies of l's addresses from every tenant: one
 * script per tenant and batch.  0, or -1 after printing why.
 */
static int
cli_suppress_uncopy(struct cli_db *db, const struct cli_suppress_list *l)
{
	const char **argv;
	char **tenants, *hash;
	redisReply *reply;
	size_t ntenants, k, i, j, n;
	int rc = 0;

	if ((tenants = cli_lookup_tenants(db, &ntenants)) == NULL)
		return -1;
	argv = pw_xcalloc(1 + CLI_SUPPRESS_BATCH, sizeof(*argv));
	for (k = 0; k < ntenants && rc == 0; k++) {
		hash = cli_util_key(db, "{%s}:supp", tenants[k]);
		argv[0] = hash;
		for (i = 0; i < l->n && rc == 0; i += n) {
			n = l->n - i < CLI_SUPPRESS_BATCH ? l->n - i :
			    CLI_SUPPRESS_BATCH;
			for (j = 0; j < n; j++)
				argv[1 + j] = l->v[i + j].address;
			reply = cli_util_eval(db, &cli_suppress_uncopy_script,
			    1, (int)n + 1, argv, NULL);
			if (reply == NULL) {
				cli_error("the global list is changed but not "
				    "all tenant copies (stopped at tenant "
				    "%s); run the command again", tenants[k]);
				rc = -1;
			} else {
				freeReplyObject(reply);
			}
		}
		free(hash);
	}
	free(argv);
	cli_lookup_free(tenants, ntenants);
	return rc;
}

static int
cli_suppress_remove(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] =
	    "remove ADDRESS... --tenant TENANT|--global";
	struct cli_suppress_list l = { NULL, 0, 0 };
	struct cli_suppress_args a;
	struct cli_db db;
	struct cli_json j;
	redisReply *reply;
	size_t i;
	int rc, missing = 0;

	if ((rc = cli_suppress_args(argc, argv, usage, 1, INT_MAX, &a)) != 0)
		return rc;
	if ((rc = cli_suppress_addresses(&a, "", &l)) != 0)
		goto out;
	if ((rc = cli_suppress_open(opts, &a, &db)) != CLI_EXIT_OK)
		goto out;
	/* The master (or the tenant's own hash) first. */
	for (i = 0; i < l.n; i++) {
		reply = cli_util_cmd(&db, "HDEL", a.hash, l.v[i].address,
		    NULL);
		if (reply == NULL) {
			rc = CLI_EXIT_FAIL;
			goto out;
		}
		if (cli_util_reply_int(reply) != 1) {
			cli_error("not suppressed in %s: %s", a.scope,
			    l.v[i].address);
			missing++;
		} else if (!db.json) {
			printf("removed %s from %s\n", l.v[i].address,
			    a.scope);
		}
		freeReplyObject(reply);
	}
	/* Then the global copies, also of addresses the master lacked. */
	if (a.global && cli_suppress_uncopy(&db, &l) < 0) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (db.json) {
		cli_out_json_init(&j, stdout);
		cli_out_json_open(&j, '{');
		cli_out_json_key(&j, "removed");
		cli_out_json_int(&j, (long long)l.n - missing);
		cli_out_json_key(&j, "not_found");
		cli_out_json_int(&j, missing);
		cli_out_json_close(&j, '}');
		putchar('\n');
	}
	rc = missing > 0 ? CLI_EXIT_NOTFOUND : CLI_EXIT_OK;
out:
	cli_suppress_close(&a, &db, &l);
	return rc;
}

static int
cli_suppress_check(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] = "check ADDRESS --tenant TENANT|--global";
	char addr[CLI_ADDRESS_MAX + 1], domain[CLI_ADDRESS_MAX + 1], safe[80];
	char added[CLI_TIME_MAX], expires[CLI_TIME_MAX];
	const char *kv[4], *why, *match = NULL, *value = NULL;
	struct cli_suppress_args a;
	struct cli_suppress_val v;
	struct cli_db db;
	struct cli_json j;
	redisReply *reply;
	int64_t now = (int64_t)time(NULL);
	bool expired_seen = false;
	size_t i;
	int rc, kc = 0;

	if ((rc = cli_suppress_args(argc, argv, usage, 1, 1, &a)) != 0)
		return rc;
	if (cli_parse_address(a.rest[0], addr, &why) < 0) {
		cli_error("bad address '%s': %s", cli_out_safe(safe,
		    sizeof(safe), a.rest[0], strlen(a.rest[0])), why);
		return CLI_EXIT_USAGE;
	}
	snprintf(domain, sizeof(domain), "%s", pw_address_domain(addr));
	if ((rc = cli_suppress_open(opts, &a, &db)) != CLI_EXIT_OK)
		return rc;
	kv[kc++] = "HMGET";
	kv[kc++] = a.hash;
	kv[kc++] = addr;
	if (strcmp(addr, domain) != 0)
		kv[kc++] = domain;
	if ((reply = cli_util_cmdv(&db, kc, kv, NULL)) == NULL) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	/* The address first, then its domain; expired entries are void. */
	for (i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements;
	    i++) {
		if (reply->element[i]->type != REDIS_REPLY_STRING)
			continue;
		cli_suppress_parse_value(reply->element[i]->str, &v);
		if (cli_suppress_expired(&v, now)) {
			expired_seen = true;
			continue;
		}
		match = kv[2 + i];
		value = reply->element[i]->str;
		break;
	}
	if (db.json) {
		cli_out_json_init(&j, stdout);
		cli_out_json_open(&j, '{');
		cli_out_json_key(&j, "address");
		cli_out_json_cstr(&j, addr);
		cli_out_json_key(&j, "scope");
		cli_out_json_cstr(&j, a.global ? "global" : a.tenant);
		cli_out_json_key(&j, "suppressed");
		cli_out_json_bool(&j, match != NULL);
		if (match != NULL) {
			cli_out_json_key(&j, "entry");
			cli_suppress_json_entry(&j, match, value);
		}
		cli_out_json_close(&j, '}');
		putchar('\n');
	} else if (match != NULL) {
		cli_suppress_parse_value(value, &v);
		printf("%s is suppressed in %s by %s: reason %s, source %s, "
		    "added %s, expires %s\n", addr, a.scope, match,
		    cli_out_safe(safe, sizeof(safe), v.reason,
		    strlen(v.reason)), v.source, cli_out_time(v.time, added),
		    cli_out_time(v.expires, expires));
	} else {
		printf("%s is not suppressed in %s%s\n", addr, a.scope,
		    expired_seen ? " (an expired entry is ignored)" : "");
	}
	rc = match != NULL ? CLI_EXIT_OK : CLI_EXIT_NOTFOUND;
	freeReplyObject(reply);
out:
	cli_suppress_close(&a, &db, NULL);
	return rc;
}

static int
cli_suppress_list(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] = "list --tenant TENANT|--global";
	struct cli_suppress_list l = { NULL, 0, 0 };
	struct cli_suppress_args a;
	struct cli_db db;
	int rc;

	if ((rc = cli_suppress_args(argc, argv, usage, 0, 0, &a)) != 0)
		return rc;
	if ((rc = cli_suppress_open(opts, &a, &db)) != CLI_EXIT_OK)
		return rc;
	if (cli_suppress_read(&db, a.hash, (int64_t)time(NULL), &l) < 0) {
		rc = CLI_EXIT_FAIL;
	} else {
		cli_suppress_sort(&l);
		cli_suppress_print(&db, &l);
	}
	cli_suppress_close(&a, &db, &l);
	return rc;
}

/*
 * Split a CSV line in place into at most nmax fields (RFC 4180 quoting:
 * "a,b" and "" for a quote).  The number of fields, or -1 when the line
 * has more or its quoting is broken.
 */
static int
cli_suppress_csv_split(char *line, char **fields, int nmax)
{
	char *r = line, *w;
	int n = 0;

	for (;;) {
		if (n == nmax)
			return -1;
		fields[n++] = w = r;
		if (*r == '"') {
			for (r++; ; r++) {
				if (*r == '\0')
					return -1;
				if (*r == '"') {
					if (r[1] != '"')
						break;
					r++;
				}
				*w++ = *r;
			}
			r++;
			if (*r != ',' && *r != '\0')
				return -1;
		} else {
			while (*r != ',' && *r != '\0') {
				if (*r == '"')
					return -1;
				*w++ = *r++;
			}
		}
		if (*r == '\0') {
			*w = '\0';
			return n;
		}
		r++;
		*w = '\0';
	}
}

/* Write one CSV field, quoted when it needs to be. */
static void
cli_suppress_csv_field(FILE *fp, const char *s, bool last)
{
	const char *p;

	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, fp);
	} else {
		fputc('"', fp);
		for (p = s; *p != '\0'; p++) {
			if (*p == '"')
				fputc('"', fp);
			fputc(*p, fp);
		}
		fputc('"', fp);
	}
	fputc(last ? '\n' : ',', fp);
}

/*
 * One data line of an import into an entry: 0 and value filled, 1 when
 * it expired already (skipped), -1 and a static reason.
 */
static int
cli_suppress_csv_entry(char *line, int64_t now,
    char addr[CLI_ADDRESS_MAX + 1], char value[CLI_SUPPRESS_VALUE_MAX],
    const char **why_r)
{
	char *f[5] = { NULL, NULL, NULL, NULL, NULL };
	const char *reason, *source;
	int64_t when = now, expires = 0;
	int n;

	if ((n = cli_suppress_csv_split(line, f, 5)) < 0) {
		*why_r = "more than 5 fields, or broken quoting";
		return -1;
	}
	if (cli_parse_address(f[0], addr, why_r) < 0)
		return -1;
	reason = f[1] != NULL && *f[1] != '\0' ? f[1] : "manual";
	if (!cli_suppress_valid_reason(reason)) {
		*why_r = "reason: expected bounce, complaint, unsubscribe or "
		    "manual";
		return -1;
	}
	source = f[2] != NULL && *f[2] != '\0' ? f[2] : "import";
	if (!cli_suppress_valid_source(source)) {
		*why_r = "source: expected 1 to 32 of a-z 0-9 . _ -";
		return -1;
	}
	if (f[3] != NULL && *f[3] != '\0' && cli_parse_time(f[3], &when) < 0) {
		*why_r = "time: expected Unix seconds or "
		    "YYYY-MM-DD[THH:MM:SSZ]";
		return -1;
	}
	if (f[4] != NULL && *f[4] != '\0' && strcmp(f[4], "0") != 0 &&
	    strcmp(f[4], "never") != 0 && cli_parse_time(f[4], &expires) < 0) {
		*why_r = "expires: expected 0, Unix seconds or "
		    "YYYY-MM-DD[THH:MM:SSZ]";
		return -1;
	}
	if (expires > 0 && expires <= now)
		return 1;
	cli_suppress_format(value, CLI_SUPPRESS_VALUE_MAX, reason, source,
	    when, expires);
	return 0;
}

/*
 * Read and check a whole CSV file into l.  0 (bad lines counted in
 * *bad_r, expired ones in *expired_r), or an exit code after printing
 * why.  Bad lines are printed, the first CLI_SUPPRESS_BAD_SHOWN of them.
 */
static int
cli_suppress_csv_read(FILE *fp, const char *name, int64_t now,
    struct cli_suppress_list *l, size_t *bad_r, size_t *expired_r)
{
	char addr[CLI_ADDRESS_MAX + 1], value[CLI_SUPPRESS_VALUE_MAX];
	char *line = NULL, *p;
	const char *why;
	size_t cap = 0, lineno = 0, bad = 0, expired = 0, len;
	ssize_t got;
	bool header = false;

	while ((got = getline(&line, &cap, fp)) >= 0) {
		lineno++;
		len = (size_t)got;
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		p = line;
		if (lineno == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0)
			p += 3;		/* a UTF-8 byte order mark */
		if (*p == '\0')
			continue;
		if (!header) {
			if (strcasecmp(p, CLI_SUPPRESS_CSV_HEADER) != 0) {
				cli_error("%s:%zu: expected the header line "
				    "%s", name, lineno,
				    CLI_SUPPRESS_CSV_HEADER);
				free(line);
				return CLI_EXIT_USAGE;
			}
			header = true;
			continue;
		}
		why = NULL;
		if (len > CLI_SUPPRESS_LINE_MAX || memchr(line, '\0',
		    len) != NULL)
			why = len > CLI_SUPPRESS_LINE_MAX ? "line too long" :
			    "a NUL byte";
		if (why == NULL) {
			switch (cli_suppress_csv_entry(p, now, addr, value,
			    &why)) {
			case 0:
				cli_suppress_list_add(l, addr, value);
				continue;
			case 1:
				expired++;
				continue;
			}
		}
		if (++bad <= CLI_SUPPRESS_BAD_SHOWN)
			cli_error("%s:%zu: %s", name, lineno, why);
	}
	if (ferror(fp)) {
		cli_error("%s: %s", name, strerror(errno));
		free(line);
		return CLI_EXIT_FAIL;
	}
	free(line);
	if (!header) {
		cli_error("%s: empty: expected the header line %s", name,
		    CLI_SUPPRESS_CSV_HEADER);
		return CLI_EXIT_USAGE;
	}
	if (bad > CLI_SUPPRESS_BAD_SHOWN)
		cli_error("%s: ... and %zu more bad lines", name,
		    bad - CLI_SUPPRESS_BAD_SHOWN);
	*bad_r = bad;
	*expired_r = expired;
	return 0;
}

static int
cli_suppress_import(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] = "import FILE|- --tenant TENANT|--global "
	    "[--skip-bad]";
	struct cli_suppress_list l = { NULL, 0, 0 };
	struct cli_suppress_args a;
	struct timespec t0, t1;
	struct cli_db db;
	struct cli_json j;
	const char *name;
	FILE *fp;
	size_t bad = 0, expired = 0;
	double secs;
	int rc;

	if ((rc = cli_suppress_args(argc, argv, usage, 1, 1, &a)) != 0)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	name = a.rest[0];
	if (strcmp(name, "-") == 0) {
		fp = stdin;
		name = "(stdin)";
	} else if ((fp = fopen(name, "r")) == NULL) {
		cli_error("%s: %s", name, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	rc = cli_suppress_csv_read(fp, name, (int64_t)time(NULL), &l, &bad,
	    &expired);
	if (fp != stdin)
		fclose(fp);
	if (rc != 0)
		goto out;
	if (bad > 0 && !a.skip_bad) {
		cli_error("%s: import refused: %zu bad line%s, nothing "
		    "written (fix %s, or use --skip-bad)", name, bad,
		    bad == 1 ? "" : "s", bad == 1 ? "it" : "them");
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if ((rc = cli_suppress_open(opts, &a, &db)) != CLI_EXIT_OK)
		goto out;
	if (cli_suppress_write_scope(&db, &a, &l) < 0) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (db.json) {
		cli_out_json_init(&j, stdout);
		cli_out_json_open(&j, '{');
		cli_out_json_key(&j, "imported");
		cli_out_json_int(&j, (long long)l.n);
		cli_out_json_key(&j, "bad_lines_skipped");
		cli_out_json_int(&j, (long long)bad);
		cli_out_json_key(&j, "expired_skipped");
		cli_out_json_int(&j, (long long)expired);
		cli_out_json_key(&j, "milliseconds");
		cli_out_json_int(&j, (long long)(secs * 1000));
		cli_out_json_close(&j, '}');
		putchar('\n');
	} else {
		printf("imported %zu entr%s into %s in %.2f s (%zu bad line%s "
		    "skipped, %zu expired entr%s skipped)\n", l.n,
		    l.n == 1 ? "y" : "ies", a.scope, secs, bad,
		    bad == 1 ? "" : "s", expired, expired == 1 ? "y" : "ies");
	}
out:
	cli_suppress_close(&a, &db, &l);
	return rc;
}

static int
cli_suppress_export(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] =
	    "export [FILE|-] --tenant TENANT|--global";
	struct cli_suppress_list l = { NULL, 0, 0 };
	struct cli_suppress_args a;
	struct cli_suppress_val v;
	struct cli_db db;
	char num[24];
	const char *name = "-";
	FILE *fp = stdout;
	size_t i;
	int rc, fd;

	if ((rc = cli_suppress_args(argc, argv, usage, 0, 1, &a)) != 0)
		return rc;
	if (a.nrest == 1)
		name = a.rest[0];
	if ((rc = cli_suppress_open(opts, &a, &db)) != CLI_EXIT_OK)
		return rc;
	if (cli_suppress_read(&db, a.hash, (int64_t)time(NULL), &l) < 0) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	cli_suppress_sort(&l);
	if (strcmp(name, "-") != 0) {
		fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600);
		if (fd < 0 || (fp = fdopen(fd, "w")) == NULL) {
			cli_error("%s: %s", name, strerror(errno));
			if (fd >= 0)
				close(fd);
			rc = CLI_EXIT_FAIL;
			goto out;
		}
	}
	fputs(CLI_SUPPRESS_CSV_HEADER "\n", fp);
	for (i = 0; i < l.n; i++) {
		cli_suppress_parse_value(l.v[i].value, &v);
		cli_suppress_csv_field(fp, l.v[i].address, false);
		cli_suppress_csv_field(fp, v.reason, false);
		cli_suppress_csv_field(fp, v.source, false);
		snprintf(num, sizeof(num), "%lld", (long long)v.time);
		cli_suppress_csv_field(fp, num, false);
		snprintf(num, sizeof(num), "%lld", (long long)v.expires);
		cli_suppress_csv_field(fp, num, true);
	}
	if (fflush(fp) != 0 || ferror(fp) ||
	    (fp != stdout && fclose(fp) != 0)) {
		cli_error("%s: %s", name, strerror(errno));
		rc = CLI_EXIT_FAIL;
	}
out:
	cli_suppress_close(&a, &db, &l);
	return rc;
}

static const struct cli_sub cli_suppress_subs[] = {
	{ "add", cli_suppress_add, "add ADDRESS... --tenant TENANT|--global "
	    "[--reason REASON] [--expires WHEN]" },
	{ "remove", cli_suppress_remove,
	    "remove ADDRESS... --tenant TENANT|--global" },
	{ "check", cli_suppress_check,
	    "check ADDRESS --tenant TENANT|--global" },
	{ "list", cli_suppress_list, "list --tenant TENANT|--global" },
	{ "import", cli_suppress_import,
	    "import FILE|- --tenant TENANT|--global [--skip-bad]" },
	{ "export", cli_suppress_export,
	    "export [FILE|-] --tenant TENANT|--global" },
};

int
cli_suppress(const struct cli_opts *opts, int argc, char **argv)
{
	return cli_cmd_dispatch(CLI_SUPPRESS_GROUP, cli_suppress_subs,
	    sizeof(cli_suppress_subs) / sizeof(cli_suppress_subs[0]), opts,
	    argc, argv);
}
