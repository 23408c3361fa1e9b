/*
 * cli_domain.c -- `postwarden domain`: the sending domains of tenants.
 *
 *   domain add TENANT DOMAIN [--subdomains] [--dkim rsa,ed25519]
 *   domain list [TENANT]
 *   domain show DOMAIN
 *   domain remove DOMAIN
 *
 * add --dkim makes the domain's DKIM keys right after adding it, as
 * `domain dkim add` does (cli_domain_dkim_make), and prints the records
 * to publish.  The KEK is loaded first: without it nothing is added.
 * Keys that fail after the domain was added leave the domain with the
 * tenant (the daemons accept it, nothing signs for it) and say what
 * `domain dkim add` completes it; the exit code is the keys' failure.
 * show lists the domain's DKIM keys (cli_domain_dkim_records): state,
 * times, and for a retiring key until when its record stays published.
 *
 * A tenant sends only as domains it owns (the daemons read pw:{T}:domains:
 * the domain itself, or a parent marked `subdomains`).  A domain has at
 * most one owner, and no tenant may own a name that another tenant's
 * `subdomains` entry covers.
 *
 * Exports: the subcommands of CLI_DOMAIN_SUBS and cli_domain_parse
 * (cli_domain.h), the group's dispatch cli_domain (cli.h).  Who owns
 * what is cli_domain_owner.c.
 *
 * Redis (docs/redis-schema.md "Sending domains"): the directory entry
 * pw:domain:<d> {tenant} lies outside the tenant's slot; pw:{T}:domains
 * and the record pw:{T}:domain:<d> inside it.  No script may touch both
 * (Redis Cluster), so:
 *   add:    the conflicts are checked (cli_domain_owner_conflict: the
 *           domain's owner; each parent owned by another tenant with
 *           `subdomains`; with --subdomains, every directory entry below
 *           the domain, found with SCAN), the directory entry is claimed
 *           (HSETNX: of two tenants the first wins), lua/domain_add.lua
 *           writes pw:{T}:domains and the record if the tenant exists,
 *           and the conflicts are checked again (an add of a parent or
 *           child racing this one: each of two racing adds writes before
 *           it reads, so one at least sees the other); a conflict found
 *           then takes the add back (the records and the claim; a scope
 *           widened to subdomains goes back to exact), so a racing
 *           domain may be accepted by the daemons for a few
 *           milliseconds.  A refused or failed add takes back a claim it
 *           made.  The same tenant adding a domain again is no
 *           error: the scope becomes what this command says (exact, or
 *           with --subdomains), `created` is kept.
 *   remove: the tenant's records first (the daemons stop accepting the
 *           domain), then the directory entry, only while it names that
 *           tenant (cli_domain_owner_remove).
 * A crash between two steps leaves a directory entry without records:
 * the domain is then claimed but not usable; `domain add` by its owner
 * or `domain remove` completes either.
 *
 * Failures: unknown tenant or domain exit 1; a domain (or a parent or
 * child) owned by another tenant exit 3, naming the owner; bad input
 * exit 64; Redis trouble exit 2.
 *
 * Security: domains are checked and normalised (lib/address.c) before
 * they become part of a key name; text read from Redis is escaped.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_domain.h"
#include "identity.h"
#include "lua.h"
#include "schema.h"
#include "xmalloc.h"

/* The records in the tenant slot: -1 no tenant, 0 unchanged, 1, 2. */
static struct pw_redis_script cli_domain_add_script = {
	"cli_domain_add", pw_lua_domain_add, ""
};

/*
 * What keeps a domain in normal form from being a sending domain (RFC
 * 5321: letters, digits, hyphens; a host name, not an address), or NULL.
 */
static const char *
cli_domain_sending(const char *d)
{
	const char *last = strrchr(d, '.');

	if (last == NULL)
		return "a sending domain has two labels at least "
		    "(example.com)";
	if (strchr(d, '_') != NULL)
		return "a sending domain has only letters, digits, '-' and "
		    "dots (RFC 5321): no '_'";
	if (strspn(last + 1, "0123456789") == strlen(last + 1))
		return "the last label is a number: an IP address is not a "
		    "sending domain";
	return NULL;
}

int
cli_domain_parse(const char *in, char out[CLI_DOMAIN_SIZE])
{
	char buf[PW_ADDRESS_MAX + 1], norm[PW_ADDRESS_MAX + 1];
	char safe[PW_ADDRESS_MAX + 1];
	const char *why = NULL;
	size_t len = strlen(in);

	cli_out_safe(safe, sizeof(safe), in, len);
	if (strchr(in, '@') != NULL)
		why = "a domain, not an address (example.com)";
	else if (in[0] == '*')
		why = "no wildcards: give the parent with --subdomains";
	else if (in[0] == '[')
		why = "an address literal is not a sending domain";
	else if (len + 1 >= sizeof(buf))
		why = "domain: longer than 253 bytes";
	if (why == NULL) {
		buf[0] = '@';
		memcpy(buf + 1, in, len + 1);
		if (pw_address_normalize(buf, len + 1, PW_ADDRESS_F_DOMAIN,
		    norm, &why) == 0)
			why = cli_domain_sending(norm + 1);
	}
	if (why != NULL) {
		cli_error("domain %s: %s", safe, why);
		return -1;
	}
	memcpy(out, norm + 1, strlen(norm + 1) + 1);
	return 0;
}

/*
 * Fields of a domain's record that show and list do not print as they
 * are: printed in their own way, or never (a field holding key material,
 * even encrypted, belongs here).
 */
static const char *const cli_domain_unshown[] = {
	"created", "updated", "verified", "checked", "subdomains",
};

/* The record's times other than created, printed when present. */
static const char *const cli_domain_times[] = {
	"updated", "verified", "checked",
};
#define CLI_DOMAIN_NTIMES \
	(sizeof(cli_domain_times) / sizeof(cli_domain_times[0]))

/* Whether a record's field is printed as it is (text). */
static bool
cli_domain_shown(const redisReply *field)
{
	size_t i;

	if (field->type != REDIS_REPLY_STRING)
		return false;
	for (i = 0; i < sizeof(cli_domain_unshown) /
	    sizeof(cli_domain_unshown[0]); i++)
		if (strcmp(field->str, cli_domain_unshown[i]) == 0)
			return false;
	return true;
}

/* Where a domain's DKIM keys are printed: a JSON array or a table. */
struct cli_domain_keys {
	const char		*domain;
	struct cli_json		*j;	/* NULL: t */
	struct cli_table	*t;
	size_t			 n;
};

/* A number field of a DKIM key's record (bits, a time) as JSON, or null. */
static void
cli_domain_json_num(struct cli_json *j, const char *name, const char *v)
{
	cli_out_json_key(j, name);
	if (v != NULL && *v != '\0' && strtoll(v, NULL, 10) != 0)
		cli_out_json_int(j, strtoll(v, NULL, 10));
	else
		cli_out_json_null(j);
}

/* Append a and b to what (256 bytes, *n used) while it fits. */
static void
cli_domain_cat(char what[256], int *n, const char *a, const char *b)
{
	int m;

	if (*n < 0 || *n >= 256)
		return;
	m = snprintf(what + *n, 256 - (size_t)*n, "%s%s", a, b);
	*n = m < 0 ? -1 : *n + m;
}

/*
 * cli_domain_dkim_rec_fn: one DKIM key of the domain shown, its state
 * and times; for a retiring key, until when its record stays published.
 */
static int
cli_domain_key(void *ctx, const struct cli_domain_dkim_rec *rec)
{
	struct cli_domain_keys *k = ctx;
	char name[CLI_DOMAIN_SIZE + 80], what[256], tc[CLI_TIME_MAX];
	char ta[CLI_TIME_MAX], tk[CLI_TIME_MAX];
	const char *state = rec->state != NULL ? rec->state : "unknown";
	bool rsa = rec->algorithm != NULL && strcmp(rec->algorithm,
	    "rsa") == 0;
	int n;

	k->n++;
	if (k->j != NULL) {
		snprintf(name, sizeof(name), "%s._domainkey.%s",
		    rec->selector, k->domain);
		cli_out_json_open(k->j, '{');
		cli_out_json_key(k->j, "selector");
		cli_out_json_cstr(k->j, rec->selector);
		cli_out_json_key(k->j, "algorithm");
		cli_out_json_cstr(k->j, rec->algorithm);
		cli_domain_json_num(k->j, "bits", rec->bits);
		cli_out_json_key(k->j, "state");
		cli_out_json_cstr(k->j, rec->state);
		cli_domain_json_num(k->j, "created", rec->created);
		cli_domain_json_num(k->j, "activated", rec->activated);
		cli_domain_json_num(k->j, "keep_published_until",
		    rec->keep_until);
		cli_out_json_key(k->j, "name");
		cli_out_json_cstr(k->j, name);
		cli_out_json_key(k->j, "txt");
		cli_out_json_cstr(k->j, rec->public);
		cli_out_json_close(k->j, '}');
		return 0;
	}
	/* "rsa 2048 bits, active, created T, activated T" */
	if (rsa && rec->bits != NULL)
		n = snprintf(what, sizeof(what), "rsa %s bits", rec->bits);
	else
		n = snprintf(what, sizeof(what), "%s", rec->algorithm != NULL ?
		    rec->algorithm : "unknown algorithm");
	cli_domain_cat(what, &n, ", ", state);
	cli_domain_cat(what, &n, ", created ", cli_out_time(
	    rec->created != NULL ? atoll(rec->created) : 0, tc));
	if (rec->activated != NULL && atoll(rec->activated) != 0)
		cli_domain_cat(what, &n, ", activated ",
		    cli_out_time(atoll(rec->activated), ta));
	if (strcmp(state, "retiring") == 0 && rec->keep_until != NULL)
		cli_domain_cat(what, &n, ", keep published until ",
		    cli_out_time(atoll(rec->keep_until), tk));
	snprintf(name, sizeof(name), "dkim %s", rec->selector);
	cli_out_table_row(k->t, name, what);
	return 0;
}

/*
 * A domain as humans and programs see it: from the tenant's scope and
 * record (an HGETALL reply), and with db its DKIM keys (the "dkim"
 * array; rows "dkim SELECTOR").  One JSON object, or a two-column
 * table.  0, or -1 after printing why (the keys could not be read).
 */
static int
cli_domain_json(struct cli_json *j, const char *domain, const char *tenant,
    const char *scope, const redisReply *rec, struct cli_db *db)
{
	struct cli_domain_keys keys = { domain, j, NULL, 0 };
	int rc = 0;
	const char *v;
	size_t i;

	cli_out_json_open(j, '{');
	cli_out_json_key(j, "domain");
	cli_out_json_cstr(j, domain);
	cli_out_json_key(j, "tenant");
	cli_out_json_cstr(j, tenant);
	cli_out_json_key(j, "subdomains");
	cli_out_json_bool(j, strcmp(scope, "subdomains") == 0);
	cli_out_json_key(j, "created");
	if ((v = cli_util_hash_get(rec, "created")) != NULL)
		cli_out_json_int(j, strtoll(v, NULL, 10));
	else
		cli_out_json_null(j);
	for (i = 0; i < CLI_DOMAIN_NTIMES; i++)
		if ((v = cli_util_hash_get(rec, cli_domain_times[i])) != NULL) {
			cli_out_json_key(j, cli_domain_times[i]);
			cli_out_json_int(j, strtoll(v, NULL, 10));
		}
	/* Fields other commands add (DKIM, verification): as they are. */
	for (i = 0; i + 1 < rec->elements; i += 2) {
		if (!cli_domain_shown(rec->element[i]))
			continue;
		cli_out_json_key(j, rec->element[i]->str);
		cli_out_json_str(j, rec->element[i + 1]->str,
		    rec->element[i + 1]->len);
	}
	if (db != NULL) {
		cli_out_json_key(j, "dkim");
		cli_out_json_open(j, '[');
		rc = cli_domain_dkim_records(db, tenant, domain,
		    cli_domain_key, &keys);
		cli_out_json_close(j, ']');
	}
	cli_out_json_close(j, '}');
	return rc;
}

static int
cli_domain_table(const char *domain, const char *tenant, const char *scope,
    const redisReply *rec, struct cli_db *db)
{
	char when[CLI_TIME_MAX], none[CLI_DOMAIN_SIZE + 64];
	struct cli_domain_keys keys = { domain, NULL, NULL, 0 };
	struct cli_table t;
	int rc;
	const char *v;
	size_t i;

	cli_out_table_init(&t, 2);
	cli_out_table_row(&t, "domain", domain);
	cli_out_table_row(&t, "tenant", tenant);
	cli_out_table_row(&t, "subdomains",
	    strcmp(scope, "subdomains") == 0 ? "yes" : "no");
	v = cli_util_hash_get(rec, "created");
	cli_out_table_row(&t, "created", v == NULL ? NULL :
	    cli_out_time(strtoll(v, NULL, 10), when));
	for (i = 0; i < CLI_DOMAIN_NTIMES; i++)
		if ((v = cli_util_hash_get(rec, cli_domain_times[i])) != NULL)
			cli_out_table_row(&t, cli_domain_times[i],
			    cli_out_time(strtoll(v, NULL, 10), when));
	for (i = 0; i + 1 < rec->elements; i += 2) {
		if (!cli_domain_shown(rec->element[i]))
			continue;
		cli_out_table_row(&t, rec->element[i]->str,
		    rec->element[i + 1]->str);
	}
	keys.t = &t;
	rc = cli_domain_dkim_records(db, tenant, domain, cli_domain_key,
	    &keys);
	if (rc == 0 && keys.n == 0) {
		snprintf(none, sizeof(none), "no keys (postwarden domain dkim "
		    "add %s)", domain);
		cli_out_table_row(&t, "dkim", none);
	}
	if (rc == 0)
		cli_out_table_print(&t, stdout);
	cli_out_table_free(&t);
	return rc;
}

/*
 * Read and print the domain tenant owns: CLI_EXIT_OK, CLI_EXIT_NOTFOUND
 * (its records are missing) or CLI_EXIT_FAIL.
 */
static int
cli_domain_print(struct cli_db *db, const char *domain, const char *tenant)
{
	char scope[16];
	struct cli_json j;
	redisReply *rec;
	char *key;
	int rc;

	if (cli_domain_owner_scope(db, tenant, domain, scope,
	    sizeof(scope)) < 0)
		return CLI_EXIT_FAIL;
	key = pw_schema_key_new(db->prefix, PW_SCHEMA_DOMAIN, tenant,
	    domain, NULL);
	rec = cli_util_cmd(db, "HGETALL", key, NULL);
	if (rec == NULL) {
		free(key);
		return CLI_EXIT_FAIL;
	}
	if (scope[0] == '\0' || rec->type != REDIS_REPLY_ARRAY ||
	    rec->elements == 0) {
		cli_error("domain %s: the directory names tenant %s, but its "
		    "records are missing (%s; an interrupted add or "
		    "remove): run domain add %s %s, or domain remove %s",
		    domain, tenant, key, tenant, domain, domain);
		freeReplyObject(rec);
		free(key);
		return CLI_EXIT_NOTFOUND;
	}
	free(key);
	if (db->json) {
		cli_out_json_init(&j, stdout);
		rc = cli_domain_json(&j, domain, tenant, scope, rec, db);
		putchar('\n');
	} else {
		rc = cli_domain_table(domain, tenant, scope, rec, db);
	}
	freeReplyObject(rec);
	return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/*
 * Parse a subcommand's options (--json; --subdomains when sub_r is not
 * NULL, --dkim ALGORITHMS when dkim_r is not NULL) and nmin to nmax
 * operands into ops.  0, or CLI_EXIT_USAGE after printing why.
 */
static int
cli_domain_args(int argc, char **argv, const char *usage, bool *json_r,
    bool *sub_r, const char **dkim_r, int nmin, int nmax, char **ops,
    int *n_r)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, CLI_OPT_JSON },
		{ "subdomains", no_argument, NULL, 's' },
		{ "dkim", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	char cmd[32];
	int ch, n;

	snprintf(cmd, sizeof(cmd), "%s %s", CLI_DOMAIN_GROUP, argv[0]);
	*json_r = false;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (ch) {
		case CLI_OPT_JSON:
			*json_r = true;
			break;
		case 's':
			if (sub_r != NULL) {
				*sub_r = true;
				break;
			}
			cli_error("%s: option --subdomains does not apply",
			    cmd);
			return cli_cmd_usage(CLI_DOMAIN_GROUP, usage);
		case 'k':
			if (dkim_r != NULL) {
				*dkim_r = optarg;
				break;
			}
			cli_error("%s: option --dkim does not apply", cmd);
			return cli_cmd_usage(CLI_DOMAIN_GROUP, usage);
		default:
			cli_cmd_badopt(cmd, ch, argv);
			return cli_cmd_usage(CLI_DOMAIN_GROUP, usage);
		}
	}
	n = argc - optind;
	if (n < nmin || n > nmax) {
		cli_error("%s: %s", cmd, n < nmin ? "missing operand" :
		    "too many operands");
		return cli_cmd_usage(CLI_DOMAIN_GROUP, usage);
	}
	memcpy(ops, argv + optind, (size_t)n * sizeof(*ops));
	*n_r = n;
	return 0;
}

/*
 * `domain add --dkim`: the domain is the tenant's (added, or kept), its
 * keys are not all made.  Say what is left and what completes it.
 */
static void
cli_domain_add_dkim_failed(const char *domain, const char *tenant,
    bool added, const struct cli_domain_dkim_spec *spec,
    const struct cli_domain_dkim_new *keys)
{
	char rest[32] = "";
	int i;

	for (i = keys->n; i < spec->nalg; i++)
		snprintf(rest + strlen(rest), sizeof(rest) - strlen(rest),
		    "%s%s", i > keys->n ? "," : "",
		    spec->algs[i] == PW_DKIM_RSA_SHA256 ? "rsa" : "ed25519");
	if (keys->n == 0)
		cli_error("domain %s %s tenant %s, but without DKIM keys "
		    "(none was stored); make them with: postwarden domain "
		    "dkim add %s --algorithm %s", domain, added ?
		    "was added to" : "stays with", tenant, domain, rest);
	else
		cli_error("domain %s %s tenant %s, but only DKIM selector %s "
		    "was stored (pending); make the rest with: postwarden "
		    "domain dkim add %s --algorithm %s", domain, added ?
		    "was added to" : "stays with", tenant,
		    keys->selectors[0], domain, rest);
}

int
cli_domain_add(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] = "add TENANT DOMAIN [--subdomains] "
	    "[--dkim rsa,ed25519] [--json]";
	char domain[CLI_DOMAIN_SIZE], owner[PW_IDENTITY_TENANT_MAX + 1];
	char now[24], *ops[2], *dir = NULL, *tkey = NULL, *dkey = NULL;
	char *rkey = NULL, *gen = NULL;
	const char *kv[7], *tenant, *dkim = NULL;
	struct cli_domain_dkim_spec spec;
	struct cli_domain_dkim_new keys;
	struct pw_seal_kek kek;
	bool json, sub = false, claimed = false;
	struct cli_db db;
	redisReply *reply;
	long long n;
	int rc, prc, nops;

	memset(&spec, 0, sizeof(spec));
	memset(&keys, 0, sizeof(keys));
	memset(&kek, 0, sizeof(kek));
	if ((rc = cli_domain_args(argc, argv, usage, &json, &sub, &dkim, 2, 2,
	    ops, &nops)) != 0)
		return rc;
	tenant = ops[0];
	if (cli_parse_tenant(tenant) < 0 ||
	    cli_domain_parse(ops[1], domain) < 0)
		return cli_cmd_usage(CLI_DOMAIN_GROUP, usage);
	if (dkim != NULL) {
		if (cli_domain_dkim_algs("--dkim", dkim, &spec) < 0)
			return cli_cmd_usage(CLI_DOMAIN_GROUP, usage);
		if ((rc = cli_domain_dkim_check(domain)) != 0)
			return rc;
		spec.bits = CLI_DOMAIN_DKIM_BITS;
	}
	if ((rc = cli_util_open(opts, json, &db)) != CLI_EXIT_OK)
		return rc;
	switch (cli_lookup_tenant_exists(&db, tenant)) {
	case 1:
		break;
	case 0:
		cli_error("unknown tenant: %s", tenant);
		rc = CLI_EXIT_NOTFOUND;
		goto out;
	default:
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	/* 0. With --dkim, the KEK: without it nothing is added. */
	if (dkim != NULL && (rc = cli_domain_dkim_kek(&db, &kek)) != 0)
		goto out;
	/* 1. No other tenant's claim stands in the way. */
	if ((rc = cli_domain_owner_conflict(&db, tenant, domain, sub)) != 0) {
		rc = rc > 0 ? CLI_EXIT_EXISTS : CLI_EXIT_FAIL;
		goto out;
	}
	/* 2. The claim: of two tenants, the first wins. */
	dir = pw_schema_key_new(db.prefix, PW_SCHEMA_DOMAIN_DIR, NULL,
	    domain, NULL);
	if ((reply = cli_util_cmd(&db, "HSETNX", dir, "tenant", tenant,
	    NULL)) == NULL) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	claimed = cli_util_reply_int(reply) == 1;
	freeReplyObject(reply);
	if (!claimed) {
		switch (cli_domain_owner_get(&db, domain, owner,
		    sizeof(owner))) {
		case 0:
			if (strcmp(owner, tenant) == 0)
				break;
			cli_error("domain %s belongs to tenant %s", domain,
			    owner);
			rc = CLI_EXIT_EXISTS;
			goto out;
		case 1:
			cli_error("domain %s: its directory entry went away "
			    "meanwhile (a domain remove?); try again", domain);
			rc = CLI_EXIT_FAIL;
			goto out;
		default:
			rc = CLI_EXIT_FAIL;
			goto out;
		}
	}
	/* 3. The tenant's records: the daemons accept the domain now. */
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	tkey = pw_schema_key_new(db.prefix, PW_SCHEMA_TENANT, tenant, NULL,
	    NULL);
	dkey = pw_schema_key_new(db.prefix, PW_SCHEMA_DOMAINS, tenant, NULL,
	    NULL);
	rkey = pw_schema_key_new(db.prefix, PW_SCHEMA_DOMAIN, tenant, domain,
	    NULL);
	gen = pw_schema_key_new(db.prefix, PW_SCHEMA_GEN, tenant, NULL, NULL);
	kv[0] = tkey;
	kv[1] = dkey;
	kv[2] = rkey;
	kv[3] = gen;
	kv[4] = domain;
	kv[5] = sub ? "subdomains" : "exact";
	kv[6] = now;
	if ((reply = cli_util_eval(&db, &cli_domain_add_script, 4, 7, kv,
	    NULL)) == NULL) {
		rc = CLI_EXIT_FAIL;
		goto undo;
	}
	n = cli_util_reply_int(reply);
	freeReplyObject(reply);
	if (n == -1) {
		cli_error("unknown tenant: %s (deleted meanwhile)", tenant);
		rc = CLI_EXIT_NOTFOUND;
		goto undo;
	}
	/*
	 * 4. Again, now that this add is visible: a parent or child that
	 * another tenant added meanwhile.  Each of two racing adds writes
	 * before it reads, so at least one of them sees the other and
	 * takes its own back (both may).
	 */
	if ((n == 1 || (n == 2 && sub)) &&
	    (rc = cli_domain_owner_conflict(&db, tenant, domain, sub)) != 0) {
		rc = rc > 0 ? CLI_EXIT_EXISTS : CLI_EXIT_FAIL;
		if (n == 1) {
			if (cli_domain_owner_remove(&db, tenant, domain) < 0)
				cli_error("domain %s: refused, but left with "
				    "tenant %s; run domain remove %s", domain,
				    tenant, domain);
		} else {
			kv[5] = "exact";
			if ((reply = cli_util_eval(&db,
			    &cli_domain_add_script, 4, 7, kv, NULL)) != NULL)
				freeReplyObject(reply);
			else
				cli_error("domain %s: refused, but tenant %s "
				    "now has it with its subdomains; run "
				    "domain add %s %s", domain, tenant,
				    tenant, domain);
		}
		goto out;
	}
	/* 5. With --dkim, its keys, as `domain dkim add` makes them. */
	rc = CLI_EXIT_OK;
	if (dkim != NULL && (rc = cli_domain_dkim_make(&db, tenant, domain,
	    &spec, &kek, &keys)) != CLI_EXIT_OK)
		cli_domain_add_dkim_failed(domain, tenant, n == 1, &spec,
		    &keys);
	if (db.json) {
		prc = cli_domain_print(&db, domain, tenant);
		if (rc == CLI_EXIT_OK)
			rc = prc;
	} else {
		if (n == 1)
			printf("domain %s added to tenant %s%s\n", domain,
			    tenant, sub ? " with its subdomains" : "");
		else if (n == 2)
			printf("domain %s (tenant %s) now %s\n", domain,
			    tenant, sub ? "covers its subdomains" :
			    "exact: its subdomains are no longer covered");
		else
			printf("domain %s (tenant %s) unchanged: it has it "
			    "already%s\n", domain, tenant,
			    sub ? " with its subdomains" : "");
		cli_domain_dkim_new_print(tenant, domain, &keys, false);
	}
	goto out;
undo:
	if (claimed && cli_domain_owner_release(&db, tenant, domain) < 0)
		cli_error("domain %s: claimed for tenant %s but not added; "
		    "run domain remove %s", domain, tenant, domain);
out:
	cli_domain_dkim_new_free(&keys);
	pw_seal_kek_wipe(&kek);
	free(dir);
	free(tkey);
	free(dkey);
	free(rkey);
	free(gen);
	cli_util_close(&db);
	return rc;
}

/* Add one tenant's domains to a table or JSON array: 0 or -1. */
static int
cli_domain_list_tenant(struct cli_db *db, const char *tenant,
    struct cli_table *t, struct cli_json *j)
{
	char when[CLI_TIME_MAX], verified[CLI_TIME_MAX];
	redisReply *names, *rec;
	const char *scope, *v, *ver;
	char *key, **d;
	size_t i, n = 0;

	if ((names = cli_domain_owner_of_tenant(db, tenant)) == NULL)
		return -1;
	d = pw_xcalloc(names->elements / 2 + 1, sizeof(*d));
	for (i = 0; i + 1 < names->elements; i += 2)
		if (names->element[i]->type == REDIS_REPLY_STRING)
			d[n++] = names->element[i]->str;
	qsort(d, n, sizeof(*d), cli_lookup_strcmp);
	for (i = 0; i < n; i++) {
		scope = cli_util_hash_get(names, d[i]);
		key = pw_schema_key_new(db->prefix, PW_SCHEMA_DOMAIN, tenant,
		    d[i], NULL);
		rec = cli_util_cmd(db, "HGETALL", key, NULL);
		free(key);
		if (rec == NULL) {
			free(d);
			freeReplyObject(names);
			return -1;
		}
		if (db->json) {
			(void)cli_domain_json(j, d[i], tenant, scope, rec,
			    NULL);
		} else {
			v = cli_util_hash_get(rec, "created");
			ver = cli_util_hash_get(rec, "verified");
			cli_out_table_row(t, d[i], tenant,
			    strcmp(scope, "subdomains") == 0 ? "yes" : "no",
			    v == NULL ? NULL :
			    cli_out_time(strtoll(v, NULL, 10), when),
			    ver == NULL ? "no" :
			    cli_out_time(strtoll(ver, NULL, 10), verified));
		}
		freeReplyObject(rec);
	}
	free(d);
	freeReplyObject(names);
	return 0;
}

int
cli_domain_list(const struct cli_opts *opts, int argc, char **argv)
{
	char **tenants = NULL, *ops[1];
	struct cli_table t;
	struct cli_json j;
	struct cli_db db;
	bool json;
	size_t n = 0, i;
	int rc, nops;

	if ((rc = cli_domain_args(argc, argv, "list [TENANT] [--json]", &json,
	    NULL, NULL, 0, 1, ops, &nops)) != 0)
		return rc;
	if (nops == 1 && cli_parse_tenant(ops[0]) < 0)
		return cli_cmd_usage(CLI_DOMAIN_GROUP,
		    "list [TENANT] [--json]");
	if ((rc = cli_util_open(opts, json, &db)) != CLI_EXIT_OK)
		return rc;
	if (nops == 1) {
		switch (cli_lookup_tenant_exists(&db, ops[0])) {
		case 1:
			break;
		case 0:
			cli_error("unknown tenant: %s", ops[0]);
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
	cli_out_table_init(&t, 5);
	cli_out_table_row(&t, "DOMAIN", "TENANT", "SUBDOMAINS", "CREATED",
	    "VERIFIED");
	cli_out_json_init(&j, stdout);
	if (db.json)
		cli_out_json_open(&j, '[');
	for (i = 0; i < (nops == 1 ? 1 : n); i++) {
		if (cli_domain_list_tenant(&db, nops == 1 ? ops[0] :
		    tenants[i], &t, &j) < 0) {
			rc = CLI_EXIT_FAIL;
			break;
		}
	}
	if (db.json) {
		cli_out_json_close(&j, ']');
		putchar('\n');
	} else if (rc == CLI_EXIT_OK) {
		cli_out_table_print(&t, stdout);
	}
	cli_out_table_free(&t);
out:
	cli_lookup_free(tenants, n);
	cli_util_close(&db);
	return rc;
}

int
cli_domain_show(const struct cli_opts *opts, int argc, char **argv)
{
	char domain[CLI_DOMAIN_SIZE], owner[PW_IDENTITY_TENANT_MAX + 1];
	char *ops[1];
	struct cli_db db;
	bool json;
	int rc, nops;

	if ((rc = cli_domain_args(argc, argv, "show DOMAIN [--json]", &json,
	    NULL, NULL, 1, 1, ops, &nops)) != 0)
		return rc;
	if (cli_domain_parse(ops[0], domain) < 0)
		return cli_cmd_usage(CLI_DOMAIN_GROUP, "show DOMAIN [--json]");
	if ((rc = cli_util_open(opts, json, &db)) != CLI_EXIT_OK)
		return rc;
	switch (cli_domain_owner_get(&db, domain, owner, sizeof(owner))) {
	case 0:
		rc = cli_domain_print(&db, domain, owner);
		break;
	case 1:
		cli_error("unknown domain: %s", domain);
		rc = CLI_EXIT_NOTFOUND;
		break;
	default:
		rc = CLI_EXIT_FAIL;
		break;
	}
	cli_util_close(&db);
	return rc;
}
int
cli_domain_remove(const struct cli_opts *opts, int argc, char **argv)
{
	char domain[CLI_DOMAIN_SIZE], owner[PW_IDENTITY_TENANT_MAX + 1];
	char *ops[1];
	struct cli_json j;
	struct cli_db db;
	bool json;
	int rc, nops;

	if ((rc = cli_domain_args(argc, argv, "remove DOMAIN [--json]", &json,
	    NULL, NULL, 1, 1, ops, &nops)) != 0)
		return rc;
	if (cli_domain_parse(ops[0], domain) < 0)
		return cli_cmd_usage(CLI_DOMAIN_GROUP,
		    "remove DOMAIN [--json]");
	if ((rc = cli_util_open(opts, json, &db)) != CLI_EXIT_OK)
		return rc;
	switch (cli_domain_owner_get(&db, domain, owner, sizeof(owner))) {
	case 0:
		break;
	case 1:
		cli_error("unknown domain: %s", domain);
		rc = CLI_EXIT_NOTFOUND;
		goto out;
	default:
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (cli_domain_owner_remove(&db, owner, domain) < 0) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (db.json) {
		cli_out_json_init(&j, stdout);
		cli_out_json_open(&j, '{');
		cli_out_json_key(&j, "domain");
		cli_out_json_cstr(&j, domain);
		cli_out_json_key(&j, "tenant");
		cli_out_json_cstr(&j, owner);
		cli_out_json_key(&j, "removed");
		cli_out_json_bool(&j, true);
		cli_out_json_close(&j, '}');
		putchar('\n');
	} else {
		printf("domain %s removed from tenant %s\n", domain, owner);
	}
out:
	cli_util_close(&db);
	return rc;
}

#undef CLI_DOMAIN_SUB
#define CLI_DOMAIN_SUB(name, fn, usage)	{ name, fn, usage },
static const struct cli_sub cli_domain_subs[] = {
	CLI_DOMAIN_SUBS
};

int
cli_domain(const struct cli_opts *opts, int argc, char **argv)
{
	return cli_cmd_dispatch(CLI_DOMAIN_GROUP, cli_domain_subs,
	    sizeof(cli_domain_subs) / sizeof(cli_domain_subs[0]), opts, argc,
	    argv);
}
