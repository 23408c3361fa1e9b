/*
 * cli_suppress.c -- `postwarden suppress`: suppression lists.
 *
 *   suppress add ADDRESS... SCOPE [--reason R] [--expires WHEN]
 *   suppress remove ADDRESS... SCOPE
 *   suppress check ADDRESS SCOPE          exit 0 suppressed, 1 not
 *   suppress list SCOPE
 *   suppress import FILE|- SCOPE [--skip-bad]
 *   suppress export [FILE|-] SCOPE
 *   SCOPE is --tenant TENANT [--stream STREAM | --bulk] or --global
 *
 * Exports: cli_suppress.
 *
 * The lists (docs/redis-schema.md, cli_suppress.h): hash pw:{T}:supp per
 * tenant and the global master pw:supp:global; with --stream, a tenant's
 * pw:{T}:supp:stream:<stream> (that stream only), with --bulk its
 * pw:{T}:supp:bulk (every bulk stream), which postwarden-milter applies
 * at end of data.  A global entry is
 * written to the master first and then copied into every tenant's hash
 * (cli_suppress_global.c); removal goes the same way: master first, then
 * the copies.  Entries go out in batches (cli_suppress_entry.c), so an
 * import is a few hundred round trips for 100,000 entries, not 100,000.
 *
 * Import: the whole file is read and checked (cli_suppress_csv.c) before
 * anything is written.  A bad line refuses the whole import (exit 64,
 * nothing written) unless --skip-bad, which reports each bad line with
 * its number and imports the rest.
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
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_suppress.h"
#include "identity.h"
#include "schema.h"
#include "tenant_fields.h"

#define CLI_SUPPRESS_GROUP	"suppress"
#define CLI_SUPPRESS_SCOPE	"--tenant TENANT [--stream S|--bulk]|--global"

/* What a suppress subcommand was given. */
struct cli_suppress_args {
	const char	*tenant;	/* --tenant */
	bool		 global;	/* --global */
	const char	*stream;	/* --stream, with --tenant */
	bool		 bulk;		/* --bulk, with --tenant */
	bool		 json;
	bool		 skip_bad;
	const char	*reason;
	const char	*expires;
	char		**rest;		/* operands */
	int		 nrest;
	char		*hash;		/* the hash of the scope */
	char		 scope[PW_IDENTITY_TENANT_MAX + 64];
};

static const struct option cli_suppress_longopts[] = {
	{ "tenant", required_argument, NULL, CLI_OPT_TENANT },
	{ "global", no_argument, NULL, CLI_OPT_GLOBAL },
	{ "stream", required_argument, NULL, CLI_OPT_SUPP_STREAM },
	{ "bulk", no_argument, NULL, CLI_OPT_SUPP_BULK },
	{ "json", no_argument, NULL, CLI_OPT_JSON },
	{ "reason", required_argument, NULL, CLI_OPT_REASON },
	{ "expires", required_argument, NULL, CLI_OPT_EXPIRES },
	{ "skip-bad", no_argument, NULL, CLI_OPT_SKIP_BAD },
	{ NULL, 0, NULL, 0 },
};

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
		case CLI_OPT_SUPP_STREAM:
			if (!pw_tenant_name_ok(optarg, strlen(optarg))) {
				cli_error("--stream: expected a stream name "
				    "(1 to 32 of a-z 0-9 _ -)");
				return CLI_EXIT_USAGE;
			}
			a->stream = optarg;
			break;
		case CLI_OPT_SUPP_BULK:
			a->bulk = true;
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
	if ((a->stream != NULL || a->bulk) && a->tenant == NULL) {
		cli_error("%s: --stream and --bulk go with --tenant", cmd);
		return cli_cmd_usage(CLI_SUPPRESS_GROUP, usage);
	}
	if (a->stream != NULL && a->bulk) {
		cli_error("%s: give --stream STREAM or --bulk, not both", cmd);
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
	if (a->reason != NULL && !cli_suppress_entry_valid_reason(a->reason)) {
		cli_error("--reason: expected bounce, complaint, unsubscribe "
		    "or manual; got '%s'", a->reason);
		return CLI_EXIT_USAGE;
	}
	if (a->global)
		snprintf(a->scope, sizeof(a->scope), "the global list");
	else if (a->stream != NULL)
		snprintf(a->scope, sizeof(a->scope), "stream %s of tenant %s",
		    a->stream, a->tenant);
	else if (a->bulk)
		snprintf(a->scope, sizeof(a->scope), "the bulk streams of "
		    "tenant %s", a->tenant);
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
		a->hash = pw_schema_key_new(db->prefix, PW_SCHEMA_SUPP_GLOBAL,
		    NULL, NULL, NULL);
		return CLI_EXIT_OK;
	}
	switch (cli_lookup_tenant_exists(db, a->tenant)) {
	case 1:
		if (a->stream != NULL)
			a->hash = pw_schema_key_new(db->prefix,
			    PW_SCHEMA_SUPP_STREAM, a->tenant, a->stream, NULL);
		else if (a->bulk)
			a->hash = pw_schema_key_new(db->prefix,
			    PW_SCHEMA_SUPP_BULK, a->tenant, NULL, NULL);
		else
			a->hash = pw_schema_key_new(db->prefix, PW_SCHEMA_SUPP,
			    a->tenant, NULL, NULL);
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
		cli_suppress_entry_free(l);
}

/*
 * Write entries into a's scope: the tenant's own hash, or the global
 * master and then a copy in every tenant.  0, or -1 after printing why.
 */
static int
cli_suppress_write_scope(struct cli_db *db,
    const struct cli_suppress_args *a, const struct cli_suppress_list *l)
{
	if (cli_suppress_entry_write(db, a->hash, l, NULL, NULL) < 0)
		return -1;
	return a->global ? cli_suppress_global_add(db, l) : 0;
}

/* One entry as a JSON object. */
static void
cli_suppress_json_entry(struct cli_json *j, const char *address,
    const char *value)
{
	struct cli_suppress_val v;

	cli_suppress_entry_parse(value, &v);
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
		cli_suppress_entry_parse(l->v[i].value, &v);
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
		cli_suppress_entry_add(l, addr, value);
	}
	return 0;
}

static int
cli_suppress_add(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] = "add ADDRESS... " CLI_SUPPRESS_SCOPE " "
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
	cli_suppress_entry_format(value, sizeof(value),
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

static int
cli_suppress_remove(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] =
	    "remove ADDRESS... " CLI_SUPPRESS_SCOPE;
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
	if (a.global && cli_suppress_global_remove(&db, &l) < 0) {
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
	static const char usage[] = "check ADDRESS " CLI_SUPPRESS_SCOPE;
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
		cli_suppress_entry_parse(reply->element[i]->str, &v);
		if (cli_suppress_entry_expired(&v, now)) {
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
		if (a.stream != NULL) {
			cli_out_json_key(&j, "stream");
			cli_out_json_cstr(&j, a.stream);
		} else if (a.bulk) {
			cli_out_json_key(&j, "bulk");
			cli_out_json_bool(&j, true);
		}
		cli_out_json_key(&j, "suppressed");
		cli_out_json_bool(&j, match != NULL);
		if (match != NULL) {
			cli_out_json_key(&j, "entry");
			cli_suppress_json_entry(&j, match, value);
		}
		cli_out_json_close(&j, '}');
		putchar('\n');
	} else if (match != NULL) {
		cli_suppress_entry_parse(value, &v);
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
	static const char usage[] = "list " CLI_SUPPRESS_SCOPE;
	struct cli_suppress_list l = { NULL, 0, 0 };
	struct cli_suppress_args a;
	struct cli_db db;
	int rc;

	if ((rc = cli_suppress_args(argc, argv, usage, 0, 0, &a)) != 0)
		return rc;
	if ((rc = cli_suppress_open(opts, &a, &db)) != CLI_EXIT_OK)
		return rc;
	if (cli_suppress_entry_read(&db, a.hash, (int64_t)time(NULL), &l) < 0) {
		rc = CLI_EXIT_FAIL;
	} else {
		cli_suppress_entry_sort(&l);
		cli_suppress_print(&db, &l);
	}
	cli_suppress_close(&a, &db, &l);
	return rc;
}

static int
cli_suppress_import(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] = "import FILE|- " CLI_SUPPRESS_SCOPE " "
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
	    "export [FILE|-] " CLI_SUPPRESS_SCOPE;
	struct cli_suppress_list l = { NULL, 0, 0 };
	struct cli_suppress_args a;
	struct cli_db db;
	const char *name = "-";
	FILE *fp = stdout;
	int rc, fd;

	if ((rc = cli_suppress_args(argc, argv, usage, 0, 1, &a)) != 0)
		return rc;
	if (a.nrest == 1)
		name = a.rest[0];
	if ((rc = cli_suppress_open(opts, &a, &db)) != CLI_EXIT_OK)
		return rc;
	if (cli_suppress_entry_read(&db, a.hash, (int64_t)time(NULL), &l) < 0) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	cli_suppress_entry_sort(&l);
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
	cli_suppress_csv_write(fp, &l);
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
	{ "add", cli_suppress_add, "add ADDRESS... " CLI_SUPPRESS_SCOPE " "
	    "[--reason REASON] [--expires WHEN]" },
	{ "remove", cli_suppress_remove,
	    "remove ADDRESS... " CLI_SUPPRESS_SCOPE },
	{ "check", cli_suppress_check,
	    "check ADDRESS " CLI_SUPPRESS_SCOPE },
	{ "list", cli_suppress_list, "list " CLI_SUPPRESS_SCOPE },
	{ "import", cli_suppress_import,
	    "import FILE|- " CLI_SUPPRESS_SCOPE " [--skip-bad]" },
	{ "export", cli_suppress_export,
	    "export [FILE|-] " CLI_SUPPRESS_SCOPE },
};

int
cli_suppress(const struct cli_opts *opts, int argc, char **argv)
{
	return cli_cmd_dispatch(CLI_SUPPRESS_GROUP, cli_suppress_subs,
	    sizeof(cli_suppress_subs) / sizeof(cli_suppress_subs[0]), opts,
	    argc, argv);
}
