/*
 * cli_domain_dkim.c -- `postwarden domain dkim`: the DKIM keys of a
 * tenant's sending domain, kept in Redis for every milter of the fleet.
 *
 *   domain dkim add DOMAIN [--algorithm rsa,ed25519] [--selector S]
 *                          [--bits N]
 *   domain dkim rotate DOMAIN [--algorithm ...] [--selector S] [--bits N]
 *   domain dkim activate DOMAIN SELECTOR
 *   domain dkim retire DOMAIN SELECTOR [--force]
 *   domain dkim list DOMAIN
 *
 * add makes one key per algorithm (default rsa,ed25519), seals each
 * under dkim_kek_file (lib/seal.h), stores it in state pending and
 * prints the DNS TXT records to publish.  Selectors: S if one algorithm,
 * else S-rsa, S-ed25519; without --selector, pw<date>-rsa and
 * pw<date>-ed25519 (UTC date; pw<date>b-..., c ... when taken).  A pending key does not sign;
 * activate (which `domain verify` will call once the record is in DNS)
 * makes it sign, and makes the active key of the same algorithm it
 * replaces retiring, its record to stay published for
 * dkim_keep_published.  rotate is add with the algorithms of the active
 * keys as default: the old keys sign until the new ones are activated,
 * so no message goes unsigned.  retire removes a pending key, or a
 * retiring one whose time is up (--force: before), never an active one.
 * list shows every selector with its state and times (--json: with the
 * record to publish).
 *
 * The tenant is the domain's owner (pw:domain:<domain>); a domain
 * without owner is refused.  Redis (docs/redis-schema.md, "DKIM keys of
 * sending domains"): lua/dkim_add.lua, lua/dkim_state.lua and
 * lua/dkim_retire.lua write the key and its state and increment the
 * tenant's dkim_version in one script each.
 *
 * Exports: cli_domain_dkim, the "dkim" line of CLI_DOMAIN_SUBS
 * (cli_domain.h); cli_domain_dkim_remove, every key of a domain that
 * leaves its tenant (lua/dkim_del.lua), for cli_domain_owner_remove;
 * cli_domain_dkim_keys (the keys' public halves, no KEK needed) and
 * cli_domain_dkim_activate_verified (pending keys whose record matched
 * start signing), for `domain verify`.
 *
 * Failures: a domain without owner, an unknown selector, nothing to
 * rotate exit 1; no KEK, Redis trouble exit 2; an existing selector, a
 * retiring key still to be published exit 3 (keys stored before a
 * failure stay stored, and are said); bad input, retiring an active key
 * exit 64.  Security:
 * private keys leave this process only sealed; nothing secret is
 * printed.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_domain.h"
#include "dkim_store.h"
#include "lua.h"
#include "schema.h"
#include "seal.h"
#include "secret_file.h"
#include "xmalloc.h"

#define CLI_DD_GROUP	"domain dkim"
#define CLI_DD_ADD_USAGE \
	"add DOMAIN [--algorithm rsa,ed25519] [--selector S] [--bits N]"
#define CLI_DD_ROTATE_USAGE \
	"rotate DOMAIN [--algorithm rsa,ed25519] [--selector S] [--bits N]"
#define CLI_DD_ACTIVATE_USAGE	"activate DOMAIN SELECTOR"
#define CLI_DD_RETIRE_USAGE	"retire DOMAIN SELECTOR [--force]"
#define CLI_DD_LIST_USAGE	"list DOMAIN"
#define CLI_DD_MAX_ALGS		CLI_DOMAIN_DKIM_MAX_ALGS

static struct pw_redis_script cli_dd_add_script = {
	"dkim_add", pw_lua_dkim_add, ""
};
static struct pw_redis_script cli_dd_state_script = {
	"dkim_state", pw_lua_dkim_state, ""
};
static struct pw_redis_script cli_dd_retire_script = {
	"dkim_retire", pw_lua_dkim_retire, ""
};
static struct pw_redis_script cli_dd_del_script = {
	"dkim_del", pw_lua_dkim_del, ""
};

enum {
	CLI_DD_OPT_ALGORITHM = CLI_OPT_DKIM_DOMAIN + 100,
	CLI_DD_OPT_SELECTOR,
	CLI_DD_OPT_BITS,
};

/* A domain named on the command line, normalised, and its owner. */
struct cli_dd_domain {
	char	name[CLI_DOMAIN_SIZE];
	char	tenant[256];
};

/*
 * Normalise the domain as `domain add` does (cli_domain_parse): 0, or
 * CLI_EXIT_USAGE after printing why.
 */
static int
cli_dd_parse_domain(const char *arg, struct cli_dd_domain *d)
{
	if (cli_domain_parse(arg, d->name) < 0)
		return CLI_EXIT_USAGE;
	return cli_domain_dkim_check(d->name);
}

/*
 * The domain's owner (cli_domain_owner_get) into d->tenant: 0, or an
 * exit code after printing why.
 */
static int
cli_dd_owner(struct cli_db *db, struct cli_dd_domain *d)
{
	switch (cli_domain_owner_get(db, d->name, d->tenant,
	    sizeof(d->tenant))) {
	case 0:
		return CLI_EXIT_OK;
	case 1:
		cli_error("domain %s has no owner: add it to a tenant first "
		    "(postwarden domain add TENANT %s)", d->name, d->name);
		return CLI_EXIT_NOTFOUND;
	default:
		return CLI_EXIT_FAIL;
	}
}

/* Load dkim_kek_file: 0, or CLI_EXIT_FAIL after printing why. */
static int
cli_dd_kek(struct cli_db *db, struct pw_seal_kek *kek)
{
	char err[512];

	pw_secret_file_owner(db->conf->user);
	if (pw_seal_kek_load(db->conf->dkim_kek_file,
	    db->conf->dkim_key_mode_check, kek, err, sizeof(err)) < 0) {
		cli_error("%s (make one with: postwarden dkim kek-generate "
		    "FILE)", err);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

/* Parse "rsa,ed25519" into algs: how many, or -1 (printing nothing). */
static int
cli_dd_parse_algs(const char *s, enum pw_dkim_alg algs[CLI_DD_MAX_ALGS])
{
	char buf[64], *tok, *save;
	enum pw_dkim_alg a;
	int n = 0, i;

	if (strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save)) {
		if (pw_dkim_alg_parse(tok, &a) < 0)
			return -1;
		for (i = 0; i < n; i++)
			if (algs[i] == a)
				break;
		if (i < n)
			continue;
		if (n == CLI_DD_MAX_ALGS)
			return -1;
		algs[n++] = a;
	}
	return n > 0 ? n : -1;
}

/*
 * Store one made key under selector: an exit code after printing why
 * when it is not CLI_EXIT_OK.
 */
static int
cli_dd_store(struct cli_db *db, const struct cli_dd_domain *d,
    const char *selector, struct pw_dkim_store_made *made)
{
	const char *argv[3 + 2 * PW_DKIM_NFIELDS + 4];
	char *keys[4];
	redisReply *r;
	long long v;
	int argc = 0, rc, i;

	keys[0] = pw_schema_key_new(db->prefix, PW_SCHEMA_DOMAINS, d->tenant,
	    NULL, NULL);
	keys[1] = pw_schema_key_new(db->prefix, PW_SCHEMA_DKIM_SELECTORS,
	    d->tenant, d->name, NULL);
	keys[2] = pw_schema_key_new(db->prefix, PW_SCHEMA_DKIM_KEY,
	    d->tenant, d->name, selector);
	keys[3] = pw_schema_key_new(db->prefix, PW_SCHEMA_TENANT, d->tenant,
	    NULL, NULL);
	for (i = 0; i < 4; i++)
		argv[argc++] = keys[i];
	argv[argc++] = d->name;
	argv[argc++] = selector;
	argv[argc++] = made->values[PW_DKIM_F_STATE];
	for (i = 0; i < PW_DKIM_NFIELDS; i++) {
		argv[argc++] = pw_dkim_store_fields[i];
		argv[argc++] = made->values[i];
	}
	r = cli_util_eval(db, &cli_dd_add_script, 4, argc, argv, NULL);
	for (i = 0; i < 4; i++)
		free(keys[i]);
	if (r == NULL)
		return CLI_EXIT_FAIL;
	v = cli_util_reply_int(r);
	freeReplyObject(r);
	switch (v) {
	case 1:
		rc = CLI_EXIT_OK;
		break;
	case 0:
		cli_error("domain %s: selector %s exists already (choose "
		    "another with --selector)", d->name, selector);
		rc = CLI_EXIT_EXISTS;
		break;
	case -1:
		cli_error("domain %s: tenant %s does not own it (its "
		    "pw:domain record and the tenant's list disagree; "
		    "domain add it again)", d->name, d->tenant);
		rc = CLI_EXIT_NOTFOUND;
		break;
	case -2:
		cli_error("domain %s: its owner, tenant %s, has no record",
		    d->name, d->tenant);
		rc = CLI_EXIT_NOTFOUND;
		break;
	default:
		cli_error("domain %s: unexpected reply from Redis", d->name);
		rc = CLI_EXIT_FAIL;
	}
	return rc;
}

/*
 * The domain's selectors and states (HGETALL of pw:{T}:dkim:<domain>):
 * the reply (field, value pairs), or NULL after printing why.
 */
static redisReply *
cli_dd_selectors(struct cli_db *db, const struct cli_dd_domain *d)
{
	redisReply *r;
	char *key;

	key = pw_schema_key_new(db->prefix, PW_SCHEMA_DKIM_SELECTORS,
	    d->tenant, d->name, NULL);
	r = cli_util_cmd(db, "HGETALL", key, NULL);
	free(key);
	if (r != NULL && r->type != REDIS_REPLY_ARRAY) {
		cli_error("domain %s: unexpected reply from Redis", d->name);
		freeReplyObject(r);
		r = NULL;
	}
	return r;
}

/* The state of selector in a cli_dd_selectors reply, or NULL. */
static const char *
cli_dd_state_of(const redisReply *sel, const char *selector)
{
	size_t i;

	for (i = 0; i + 1 < sel->elements; i += 2)
		if (strcmp(sel->element[i]->str, selector) == 0)
			return sel->element[i + 1]->str;
	return NULL;
}

/* The selector for algorithm alg of base: base, or base-rsa|-ed25519. */
static int
cli_dd_selector(char *dst, size_t size, const char *base, int nalg,
    enum pw_dkim_alg alg)
{
	int n;

	if (nalg == 1)
		n = snprintf(dst, size, "%s", base);
	else
		n = snprintf(dst, size, "%s-%s", base,
		    alg == PW_DKIM_RSA_SHA256 ? "rsa" : "ed25519");
	return n >= 0 && (size_t)n < size && pw_dkim_store_valid_selector(dst) ?
	    0 : -1;
}

/*
 * The algorithms of the domain's active keys (rotate's default): how
 * many into algs, or -1 after printing why.
 */
static int
cli_dd_active_algs(struct cli_db *db, const struct cli_dd_domain *d,
    const redisReply *sel, enum pw_dkim_alg algs[CLI_DD_MAX_ALGS])
{
	enum pw_dkim_alg a;
	redisReply *r;
	char *key;
	size_t i;
	int n = 0, k;

	for (i = 0; i + 1 < sel->elements; i += 2) {
		if (strcmp(sel->element[i + 1]->str, "active") != 0)
			continue;
		key = pw_schema_key_new(db->prefix, PW_SCHEMA_DKIM_KEY,
		    d->tenant, d->name, sel->element[i]->str);
		r = cli_util_cmd(db, "HGET", key,
		    pw_dkim_store_fields[PW_DKIM_F_ALGORITHM], NULL);
		free(key);
		if (r == NULL)
			return -1;
		if (r->type == REDIS_REPLY_STRING &&
		    pw_dkim_alg_parse(r->str, &a) == 0) {
			for (k = 0; k < n; k++)
				if (algs[k] == a)
					break;
			if (k == n && n < CLI_DD_MAX_ALGS)
				algs[n++] = a;
		}
		freeReplyObject(r);
	}
	if (n == 0)
		cli_error("domain %s has no active DKIM key to rotate (add "
		    "one: postwarden domain dkim add %s)", d->name, d->name);
	return n > 0 ? n : -1;
}

int
cli_domain_dkim_algs(const char *option, const char *s,
    struct cli_domain_dkim_spec *spec)
{
	if ((spec->nalg = cli_dd_parse_algs(s, spec->algs)) > 0)
		return 0;
	cli_error("%s: expected rsa, ed25519 or rsa,ed25519", option);
	spec->nalg = 0;
	return -1;
}

int
cli_domain_dkim_check(const char *domain)
{
	if (pw_dkim_valid_domain(domain, strlen(domain)))
		return 0;
	cli_error("%s: %s: not a DKIM signing domain (letters, digits, "
	    "hyphens)", CLI_DD_GROUP, domain);
	return CLI_EXIT_USAGE;
}

int
cli_domain_dkim_kek(struct cli_db *db, struct pw_seal_kek *kek)
{
	return cli_dd_kek(db, kek);
}

int
cli_domain_dkim_make(struct cli_db *db, const char *tenant,
    const char *domain, const struct cli_domain_dkim_spec *spec,
    struct pw_seal_kek *kek, struct cli_domain_dkim_new *out)
{
	enum pw_dkim_alg algs[CLI_DOMAIN_DKIM_MAX_ALGS];
	char base[PW_DKIM_SELECTOR_MAX + 1];
	const char *why;
	struct cli_dd_domain d;
	redisReply *sel;
	struct tm tm;
	bool free_ok;
	time_t now = time(NULL);
	int nalg = spec->nalg, i, rc, suffix;

	memset(out, 0, sizeof(*out));
	snprintf(d.name, sizeof(d.name), "%s", domain);
	snprintf(d.tenant, sizeof(d.tenant), "%s", tenant);
	memcpy(algs, spec->algs, sizeof(algs));
	if ((sel = cli_dd_selectors(db, &d)) == NULL)
		return CLI_EXIT_FAIL;
	if (nalg == 0 &&
	    (nalg = cli_dd_active_algs(db, &d, sel, algs)) < 0) {
		freeReplyObject(sel);
		return CLI_EXIT_NOTFOUND;
	}
	/*
	 * The base: --selector, else pw<date>, then pw<date>b ... pw<date>z,
	 * the first whose selectors are all free (a second key on one day).
	 */
	gmtime_r(&now, &tm);
	for (suffix = 0; suffix < 26; suffix++) {
		if (spec->selector != NULL)
			snprintf(base, sizeof(base), "%s", spec->selector);
		else
			snprintf(base, sizeof(base), "pw%04d%02d%02d%.*s",
			    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			    suffix > 0 ? 1 : 0, &"abcdefghijklmnopqrstuvwxyz"[
			    suffix]);
		free_ok = true;
		for (i = 0; i < nalg; i++) {
			/* Default names always say their algorithm. */
			(void)cli_dd_selector(out->selectors[i],
			    sizeof(out->selectors[i]), base,
			    spec->selector != NULL ? nalg : 2, algs[i]);
			if (cli_dd_state_of(sel, out->selectors[i]) != NULL)
				free_ok = false;
		}
		if (free_ok || spec->selector != NULL)
			break;
	}
	freeReplyObject(sel);
	if (!kek->set && (rc = cli_dd_kek(db, kek)) != CLI_EXIT_OK)
		return rc;
	/* Make every key before storing any: a failure stores nothing. */
	for (i = 0; i < nalg; i++)
		if (pw_dkim_store_make(kek, d.tenant, d.name,
		    out->selectors[i], algs[i], spec->bits, (int64_t)now,
		    &out->made[i], &why) < 0) {
			cli_error("domain %s: %s", d.name, why);
			return CLI_EXIT_FAIL;
		}
	rc = CLI_EXIT_OK;
	for (i = 0; i < nalg; i++) {
		if ((rc = cli_dd_store(db, &d, out->selectors[i],
		    &out->made[i])) != CLI_EXIT_OK)
			break;
		out->n++;
	}
	if (out->n > 0 && out->n < nalg)
		cli_error("domain %s: selector %s was stored before the "
		    "failure", d.name, out->selectors[0]);
	return rc;
}

void
cli_domain_dkim_new_json(struct cli_json *j, const char *tenant,
    const char *domain, const struct cli_domain_dkim_new *keys)
{
	char name[PW_DKIM_SELECTOR_MAX + PW_ADDRESS_MAX + 16];
	int i;

	cli_out_json_open(j, '[');
	for (i = 0; i < keys->n; i++) {
		snprintf(name, sizeof(name), "%s._domainkey.%s",
		    keys->selectors[i], domain);
		cli_out_json_open(j, '{');
		cli_out_json_key(j, "domain");
		cli_out_json_cstr(j, domain);
		cli_out_json_key(j, "tenant");
		cli_out_json_cstr(j, tenant);
		cli_out_json_key(j, "selector");
		cli_out_json_cstr(j, keys->selectors[i]);
		cli_out_json_key(j, "algorithm");
		cli_out_json_cstr(j,
		    keys->made[i].values[PW_DKIM_F_ALGORITHM]);
		cli_out_json_key(j, "state");
		cli_out_json_cstr(j, keys->made[i].values[PW_DKIM_F_STATE]);
		cli_out_json_key(j, "name");
		cli_out_json_cstr(j, name);
		cli_out_json_key(j, "txt");
		cli_out_json_cstr(j, keys->made[i].values[PW_DKIM_F_PUBLIC]);
		cli_out_json_close(j, '}');
	}
	cli_out_json_close(j, ']');
}

void
cli_domain_dkim_new_print(const char *tenant, const char *domain,
    const struct cli_domain_dkim_new *keys, bool rotate)
{
	int i, n = keys->n;

	if (n == 0)
		return;
	fprintf(stderr, "postwarden: domain %s (tenant %s): %d key%s "
	    "stored, pending; publish %s, then activate %s "
	    "(postwarden domain dkim activate %s SELECTOR)%s:\n",
	    domain, tenant, n, n == 1 ? "" : "s",
	    n == 1 ? "this record" : "these records",
	    n == 1 ? "it" : "them", domain, rotate ?
	    "; the keys they replace keep signing until then" : "");
	for (i = 0; i < n; i++)
		cli_dkim_zone_print(stdout, domain, keys->selectors[i],
		    keys->made[i].values[PW_DKIM_F_PUBLIC]);
}

void
cli_domain_dkim_new_free(struct cli_domain_dkim_new *keys)
{
	int i;

	for (i = 0; i < CLI_DOMAIN_DKIM_MAX_ALGS; i++)
		pw_dkim_store_made_free(&keys->made[i]);
	keys->n = 0;
}

/* add and rotate: make, seal, store and print new keys. */
static int
cli_dd_make(const struct cli_opts *opts, int argc, char **argv,
    bool rotate)
{
	static const struct option longopts[] = {
		{ "algorithm", required_argument, NULL, CLI_DD_OPT_ALGORITHM },
		{ "selector", required_argument, NULL, CLI_DD_OPT_SELECTOR },
		{ "bits", required_argument, NULL, CLI_DD_OPT_BITS },
		{ "json", no_argument, NULL, CLI_OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = rotate ? "domain dkim rotate" : "domain dkim add";
	char check[PW_DKIM_SELECTOR_MAX + 1];
	struct cli_domain_dkim_spec spec;
	struct cli_domain_dkim_new keys;
	const char *algarg = NULL;
	struct cli_dd_domain d;
	struct pw_seal_kek kek;
	struct cli_db db;
	struct cli_json j;
	uint64_t bits = CLI_DOMAIN_DKIM_BITS;
	bool json = false;
	int ch, rc;

	memset(&spec, 0, sizeof(spec));
	memset(&keys, 0, sizeof(keys));
	memset(&kek, 0, sizeof(kek));
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (ch) {
		case CLI_DD_OPT_ALGORITHM:
			algarg = optarg;
			break;
		case CLI_DD_OPT_SELECTOR:
			spec.selector = optarg;
			break;
		case CLI_DD_OPT_BITS:
			if (cli_parse_uint(optarg, PW_DKIM_RSA_MAX, &bits) < 0 ||
			    bits < PW_DKIM_RSA_MIN) {
				cli_error("--bits: RSA keys have %d to %d bits "
				    "(2048 is the default)", PW_DKIM_RSA_MIN,
				    PW_DKIM_RSA_MAX);
				return CLI_EXIT_USAGE;
			}
			break;
		case CLI_OPT_JSON:
			json = true;
			break;
		default:
			return cli_cmd_badopt(cmd, ch, argv);
		}
	}
	if (optind + 1 != argc)
		return cli_cmd_usage(CLI_DD_GROUP, rotate ?
		    CLI_DD_ROTATE_USAGE : CLI_DD_ADD_USAGE);
	if ((rc = cli_dd_parse_domain(argv[optind], &d)) != 0)
		return rc;
	spec.bits = (int)bits;
	spec.rotate = rotate;
	if (algarg == NULL && !rotate)
		algarg = "rsa,ed25519";
	if (algarg != NULL &&
	    cli_domain_dkim_algs("--algorithm", algarg, &spec) < 0)
		return CLI_EXIT_USAGE;
	if (spec.selector != NULL && (strlen(spec.selector) >=
	    PW_DKIM_SELECTOR_MAX + 1 || cli_dd_selector(check, sizeof(check),
	    spec.selector, 2, PW_DKIM_ED25519_SHA256) < 0)) {
		cli_error("--selector: 1 to %d of a-z 0-9 -, no hyphen at "
		    "either end (-rsa and -ed25519 are added when there are "
		    "two algorithms)", PW_DKIM_SELECTOR_MAX - 8);
		return CLI_EXIT_USAGE;
	}
	if ((rc = cli_util_open(opts, json, &db)) != CLI_EXIT_OK)
		return rc;
	if ((rc = cli_dd_owner(&db, &d)) != CLI_EXIT_OK)
		goto out;
	rc = cli_domain_dkim_make(&db, d.tenant, d.name, &spec, &kek, &keys);
	if (db.json && (rc == CLI_EXIT_OK || keys.n > 0)) {
		cli_out_json_init(&j, stdout);
		cli_domain_dkim_new_json(&j, d.tenant, d.name, &keys);
		putchar('\n');
	} else if (!db.json) {
		cli_domain_dkim_new_print(d.tenant, d.name, &keys, rotate);
	}
out:
	cli_domain_dkim_new_free(&keys);
	pw_seal_kek_wipe(&kek);
	cli_util_close(&db);
	return rc;
}

static int
cli_dd_add(const struct cli_opts *opts, int argc, char **argv)
{
	return cli_dd_make(opts, argc, argv, false);
}

static int
cli_dd_rotate(const struct cli_opts *opts, int argc, char **argv)
{
	return cli_dd_make(opts, argc, argv, true);
}

/*
 * Parse "DOMAIN SELECTOR" and the options of activate and retire (--json,
 * --force when force_r is not NULL), open Redis, find the owner: 0, or
 * an exit code after printing why (db closed).
 */
static int
cli_dd_target(const struct cli_opts *opts, int argc, char **argv,
    const char *cmd, const char *usage, struct cli_db *db,
    struct cli_dd_domain *d, const char **selector_r, bool *force_r)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, CLI_OPT_JSON },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (ch == CLI_OPT_JSON)
			json = true;
		else if (ch == 'f' && force_r != NULL)
			*force_r = true;
		else
			return cli_cmd_badopt(cmd, ch, argv);
	}
	if (optind + 2 != argc)
		return cli_cmd_usage(CLI_DD_GROUP, usage);
	if ((rc = cli_dd_parse_domain(argv[optind], d)) != 0)
		return rc;
	if (!pw_dkim_store_valid_selector(argv[optind + 1])) {
		cli_error("%s: not a selector", cmd);
		return CLI_EXIT_USAGE;
	}
	*selector_r = argv[optind + 1];
	if ((rc = cli_util_open(opts, json, db)) != CLI_EXIT_OK)
		return rc;
	if ((rc = cli_dd_owner(db, d)) != CLI_EXIT_OK)
		cli_util_close(db);
	return rc;
}

/*
 * Activate selector of d (lua/dkim_state.lua): the script's reply
 * ({ n, retired selectors... }; the caller frees it) with *until_r the
 * retired keys' keep_published_until, or NULL after printing why.
 */
static redisReply *
cli_dd_activate_one(struct cli_db *db, const struct cli_dd_domain *d,
    const char *selector, long long *until_r)
{
	const char **av;
	char **keys, now[32], until[32];
	redisReply *r = NULL, *sel;
	size_t i, n = 0, nkeys = 0, nsel;

	if ((sel = cli_dd_selectors(db, d)) == NULL)
		return NULL;
	nsel = sel->elements / 2;
	keys = pw_xcalloc(3 + nsel, sizeof(*keys));
	av = pw_xcalloc(2 * (3 + nsel) + 4, sizeof(*av));
	keys[nkeys++] = pw_schema_key_new(db->prefix, PW_SCHEMA_DKIM_SELECTORS,
	    d->tenant, d->name, NULL);
	keys[nkeys++] = pw_schema_key_new(db->prefix, PW_SCHEMA_DKIM_KEY,
	    d->tenant, d->name, selector);
	keys[nkeys++] = pw_schema_key_new(db->prefix, PW_SCHEMA_TENANT,
	    d->tenant, NULL, NULL);
	for (i = 0; i < nsel; i++)
		keys[nkeys++] = pw_schema_key_new(db->prefix,
		    PW_SCHEMA_DKIM_KEY, d->tenant, d->name,
		    sel->element[2 * i]->str);
	for (i = 0; i < nkeys; i++)
		av[n++] = keys[i];
	*until_r = (long long)time(NULL) +
	    db->conf->dkim_keep_published_ms / 1000;
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	snprintf(until, sizeof(until), "%lld", *until_r);
	av[n++] = selector;
	av[n++] = now;
	av[n++] = until;
	for (i = 0; i < nsel; i++)
		av[n++] = sel->element[2 * i]->str;
	r = cli_util_eval(db, &cli_dd_state_script, (int)nkeys, (int)n, av,
	    NULL);
	if (r != NULL && (r->type != REDIS_REPLY_ARRAY || r->elements == 0)) {
		cli_error("domain %s: unexpected reply from Redis", d->name);
		freeReplyObject(r);
		r = NULL;
	}
	for (i = 0; i < nkeys; i++)
		free(keys[i]);
	free(keys);
	free(av);
	freeReplyObject(sel);
	return r;
}

static int
cli_dd_activate(const struct cli_opts *opts, int argc, char **argv)
{
	const char *selector;
	char tbuf[CLI_TIME_MAX];
	struct cli_dd_domain d;
	struct cli_db db;
	redisReply *r;
	long long v, until;
	size_t i;
	int rc;

	if ((rc = cli_dd_target(opts, argc, argv, "domain dkim activate",
	    CLI_DD_ACTIVATE_USAGE, &db, &d, &selector, NULL)) != CLI_EXIT_OK)
		return rc;
	if ((r = cli_dd_activate_one(&db, &d, selector, &until)) == NULL) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	v = cli_util_reply_int(r->element[0]);
	if (v == -1) {
		cli_error("domain %s has no DKIM selector %s", d.name,
		    selector);
		rc = CLI_EXIT_NOTFOUND;
	} else if (v != 0 && v != 1) {
		cli_error("domain %s: unexpected reply from Redis", d.name);
		rc = CLI_EXIT_FAIL;
	} else if (db.json) {
		struct cli_json j;

		cli_out_json_init(&j, stdout);
		cli_out_json_open(&j, '{');
		cli_out_json_key(&j, "domain");
		cli_out_json_cstr(&j, d.name);
		cli_out_json_key(&j, "selector");
		cli_out_json_cstr(&j, selector);
		cli_out_json_key(&j, "state");
		cli_out_json_cstr(&j, "active");
		cli_out_json_key(&j, "changed");
		cli_out_json_bool(&j, v == 1);
		cli_out_json_key(&j, "retiring");
		cli_out_json_open(&j, '[');
		for (i = 1; i < r->elements; i++)
			cli_out_json_cstr(&j, r->element[i]->str);
		cli_out_json_close(&j, ']');
		cli_out_json_close(&j, '}');
		putchar('\n');
	} else {
		printf("domain %s: selector %s %s\n", d.name, selector,
		    v == 1 ? "activated" : "was active already");
		for (i = 1; i < r->elements; i++)
			printf("domain %s: selector %s retiring: keep its "
			    "record published until %s, then retire it\n",
			    d.name, r->element[i]->str,
			    cli_out_time(until, tbuf));
	}
	freeReplyObject(r);
out:
	cli_util_close(&db);
	return rc;
}

static int
cli_dd_retire(const struct cli_opts *opts, int argc, char **argv)
{
	const char *av[6], *selector;
	char *keys[3], now[32];
	struct cli_dd_domain d;
	struct cli_db db;
	redisReply *r;
	bool force = false;
	long long v;
	int rc, i;

	if ((rc = cli_dd_target(opts, argc, argv, "domain dkim retire",
	    CLI_DD_RETIRE_USAGE, &db, &d, &selector, &force)) != CLI_EXIT_OK)
		return rc;
	keys[0] = pw_schema_key_new(db.prefix, PW_SCHEMA_DKIM_SELECTORS,
	    d.tenant, d.name, NULL);
	keys[1] = pw_schema_key_new(db.prefix, PW_SCHEMA_DKIM_KEY, d.tenant,
	    d.name, selector);
	keys[2] = pw_schema_key_new(db.prefix, PW_SCHEMA_TENANT, d.tenant,
	    NULL, NULL);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	for (i = 0; i < 3; i++)
		av[i] = keys[i];
	av[3] = selector;
	av[4] = now;
	av[5] = force ? "1" : "0";
	r = cli_util_eval(&db, &cli_dd_retire_script, 3, 6, av, NULL);
	for (i = 0; i < 3; i++)
		free(keys[i]);
	if (r == NULL) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	v = cli_util_reply_int(r);
	freeReplyObject(r);
	switch (v) {
	case 1:
		if (db.json)
			printf("{\"domain\": \"%s\", \"selector\": \"%s\", "
			    "\"retired\": true}\n", d.name, selector);
		else
			printf("domain %s: selector %s retired; remove its "
			    "record %s._domainkey.%s from DNS\n", d.name,
			    selector, selector, d.name);
		break;
	case -1:
		cli_error("domain %s has no DKIM selector %s", d.name,
		    selector);
		rc = CLI_EXIT_NOTFOUND;
		break;
	case -2:
		cli_error("domain %s: selector %s is active: rotate it first "
		    "(postwarden domain dkim rotate %s)", d.name, selector,
		    d.name);
		rc = CLI_EXIT_USAGE;
		break;
	case -3:
		cli_error("domain %s: selector %s must stay published until "
		    "its keep_published_until (domain dkim list; --force to "
		    "retire it anyway)", d.name, selector);
		rc = CLI_EXIT_EXISTS;
		break;
	default:
		cli_error("domain %s: unexpected reply from Redis", d.name);
		rc = CLI_EXIT_FAIL;
	}
out:
	cli_util_close(&db);
	return rc;
}

/* Compare two selectors (char *) for qsort. */
static int
cli_dd_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
cli_domain_dkim_records(struct cli_db *db, const char *tenant,
    const char *domain, cli_domain_dkim_rec_fn *fn, void *ctx)
{
	static const enum pw_dkim_store_field shown[] = {
		PW_DKIM_F_ALGORITHM, PW_DKIM_F_BITS, PW_DKIM_F_STATE,
		PW_DKIM_F_CREATED, PW_DKIM_F_ACTIVATED, PW_DKIM_F_KEEP_UNTIL,
		PW_DKIM_F_PUBLIC,
	};
#define CLI_DD_NSHOWN	(sizeof(shown) / sizeof(shown[0]))
	const char *hmget[2 + CLI_DD_NSHOWN], *v[CLI_DD_NSHOWN];
	struct cli_domain_dkim_rec rec;
	redisReply *sel, *r;
	char **names, *key;
	size_t i, k, nnames = 0;
	int rc = 0;

	key = pw_schema_key_new(db->prefix, PW_SCHEMA_DKIM_SELECTORS, tenant,
	    domain, NULL);
	sel = cli_util_cmd(db, "HKEYS", key, NULL);
	free(key);
	if (sel == NULL)
		return -1;
	if (sel->type != REDIS_REPLY_ARRAY) {
		cli_error("domain %s: unexpected reply from Redis", domain);
		freeReplyObject(sel);
		return -1;
	}
	names = pw_xcalloc(sel->elements + 1, sizeof(*names));
	for (i = 0; i < sel->elements; i++)
		if (sel->element[i]->type == REDIS_REPLY_STRING)
			names[nnames++] = sel->element[i]->str;
	qsort(names, nnames, sizeof(*names), cli_dd_cmp);
	for (i = 0; rc == 0 && i < nnames; i++) {
		key = pw_schema_key_new(db->prefix, PW_SCHEMA_DKIM_KEY,
		    tenant, domain, names[i]);
		hmget[0] = "HMGET";
		hmget[1] = key;
		for (k = 0; k < CLI_DD_NSHOWN; k++)
			hmget[2 + k] = pw_dkim_store_fields[shown[k]];
		r = cli_util_cmdv(db, 2 + CLI_DD_NSHOWN, hmget, NULL);
		free(key);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY ||
		    r->elements != CLI_DD_NSHOWN) {
			if (r != NULL) {
				cli_error("domain %s: unexpected reply from "
				    "Redis", domain);
				freeReplyObject(r);
			}
			rc = -1;
			break;
		}
		for (k = 0; k < CLI_DD_NSHOWN; k++)
			v[k] = r->element[k]->type == REDIS_REPLY_STRING ?
			    r->element[k]->str : NULL;
		rec.selector = names[i];
		rec.algorithm = v[0];
		rec.bits = v[1];
		rec.state = v[2];
		rec.created = v[3];
		rec.activated = v[4];
		rec.keep_until = v[5];
		rec.public = v[6];
		rc = fn(ctx, &rec);
		freeReplyObject(r);
	}
	free(names);
	freeReplyObject(sel);
	return rc;
#undef CLI_DD_NSHOWN
}

/* What `domain dkim list` prints to: a table or a JSON array. */
struct cli_dd_list_out {
	struct cli_table	 t;
	struct cli_json		 j;
	bool			 json;
};

/* A time field of a key's record, or NULL when absent or 0. */
static const char *
cli_dd_time(const char *v, char buf[CLI_TIME_MAX])
{
	return v != NULL && atoll(v) != 0 ? cli_out_time(atoll(v), buf) :
	    NULL;
}

/* cli_domain_dkim_rec_fn: one row of `domain dkim list`. */
static int
cli_dd_list_row(void *ctx, const struct cli_domain_dkim_rec *rec)
{
	struct cli_dd_list_out *o = ctx;
	char tc[CLI_TIME_MAX], ta[CLI_TIME_MAX], tk[CLI_TIME_MAX];
	const char *v[] = {
		rec->algorithm, rec->bits, rec->state, rec->created,
		rec->activated, rec->keep_until, rec->public,
	};
	static const enum pw_dkim_store_field f[] = {
		PW_DKIM_F_ALGORITHM, PW_DKIM_F_BITS, PW_DKIM_F_STATE,
		PW_DKIM_F_CREATED, PW_DKIM_F_ACTIVATED, PW_DKIM_F_KEEP_UNTIL,
		PW_DKIM_F_PUBLIC,
	};
	size_t k;

	if (o->json) {
		cli_out_json_open(&o->j, '{');
		cli_out_json_key(&o->j, "selector");
		cli_out_json_cstr(&o->j, rec->selector);
		for (k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
			cli_out_json_key(&o->j, pw_dkim_store_fields[f[k]]);
			cli_out_json_cstr(&o->j, v[k]);
		}
		cli_out_json_close(&o->j, '}');
	} else
		cli_out_table_row(&o->t, rec->selector, rec->algorithm,
		    rec->state, cli_out_time(rec->created != NULL ?
		    atoll(rec->created) : 0, tc),
		    cli_dd_time(rec->activated, ta),
		    cli_dd_time(rec->keep_until, tk));
	return 0;
}

static int
cli_dd_list(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, CLI_OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_dd_list_out o;
	struct cli_dd_domain d;
	struct cli_db db;
	bool json = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (ch == CLI_OPT_JSON)
			json = true;
		else
			return cli_cmd_badopt("domain dkim list", ch, argv);
	}
	if (optind + 1 != argc)
		return cli_cmd_usage(CLI_DD_GROUP, CLI_DD_LIST_USAGE);
	if ((rc = cli_dd_parse_domain(argv[optind], &d)) != 0)
		return rc;
	if ((rc = cli_util_open(opts, json, &db)) != CLI_EXIT_OK)
		return rc;
	if ((rc = cli_dd_owner(&db, &d)) != CLI_EXIT_OK)
		goto out;
	o.json = db.json;
	if (o.json) {
		cli_out_json_init(&o.j, stdout);
		cli_out_json_open(&o.j, '[');
	} else {
		cli_out_table_init(&o.t, 6);
		cli_out_table_row(&o.t, "SELECTOR", "ALGORITHM", "STATE",
		    "CREATED", "ACTIVATED", "KEEP_PUBLISHED_UNTIL");
	}
	if (cli_domain_dkim_records(&db, d.tenant, d.name, cli_dd_list_row,
	    &o) < 0)
		rc = CLI_EXIT_FAIL;
	if (o.json) {
		cli_out_json_close(&o.j, ']');
		putchar('\n');
	} else {
		if (rc == CLI_EXIT_OK)
			cli_out_table_print(&o.t, stdout);
		cli_out_table_free(&o.t);
	}
out:
	cli_util_close(&db);
	return rc;
}

int
cli_domain_dkim_keys(struct cli_db *db, const char *tenant,
    const char *domain, cli_domain_dkim_key_fn *add, void *ctx)
{
	const char *argv[2 + PW_DKIM_NFIELDS], *values[PW_DKIM_NFIELDS];
	struct cli_dd_domain d;
	enum pw_dkim_alg alg;
	redisReply *sel, *r;
	EVP_PKEY *pkey;
	const char *why;
	size_t i, k;
	char *key;
	int rc = 0;

	snprintf(d.name, sizeof(d.name), "%s", domain);
	snprintf(d.tenant, sizeof(d.tenant), "%s", tenant);
	if ((sel = cli_dd_selectors(db, &d)) == NULL)
		return -1;
	for (i = 0; rc == 0 && i + 1 < sel->elements; i += 2) {
		key = pw_schema_key_new(db->prefix, PW_SCHEMA_DKIM_KEY, tenant,
		    domain, sel->element[i]->str);
		argv[0] = "HMGET";
		argv[1] = key;
		for (k = 0; k < PW_DKIM_NFIELDS; k++)
			argv[2 + k] = pw_dkim_store_fields[k];
		r = cli_util_cmdv(db, 2 + PW_DKIM_NFIELDS, argv, NULL);
		free(key);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY ||
		    r->elements != PW_DKIM_NFIELDS) {
			if (r != NULL)
				freeReplyObject(r);
			rc = -1;
			break;
		}
		for (k = 0; k < PW_DKIM_NFIELDS; k++)
			values[k] = r->element[k]->type == REDIS_REPLY_STRING ?
			    r->element[k]->str : NULL;
		if ((pkey = pw_dkim_store_public(values, &alg, &why)) == NULL) {
			cli_error("domain %s: DKIM selector %s: %s", domain,
			    sel->element[i]->str, why);
			rc = -1;
		} else {
			add(ctx, sel->element[i]->str, alg, pkey,
			    sel->element[i + 1]->str);
			EVP_PKEY_free(pkey);
		}
		freeReplyObject(r);
	}
	freeReplyObject(sel);
	return rc;
}

int
cli_domain_dkim_activate_verified(struct cli_db *db, const char *tenant,
    const char *domain, const char *selectors)
{
	char list[1024], *tok, *save, tbuf[CLI_TIME_MAX];
	struct cli_dd_domain d;
	redisReply *sel, *r;
	const char *state;
	long long until;
	size_t i;
	int rc = 0;

	snprintf(d.name, sizeof(d.name), "%s", domain);
	snprintf(d.tenant, sizeof(d.tenant), "%s", tenant);
	if ((sel = cli_dd_selectors(db, &d)) == NULL)
		return -1;
	snprintf(list, sizeof(list), "%s", selectors);
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		state = cli_dd_state_of(sel, tok);
		if (state == NULL || strcmp(state, "pending") != 0)
			continue;
		if ((r = cli_dd_activate_one(db, &d, tok, &until)) == NULL) {
			rc = -1;
			continue;
		}
		if (cli_util_reply_int(r->element[0]) == 1) {
			fprintf(stderr, "postwarden: domain %s: DKIM selector "
			    "%s verified in DNS: activated\n", domain, tok);
			for (i = 1; i < r->elements; i++)
				fprintf(stderr, "postwarden: domain %s: DKIM "
				    "selector %s retiring: keep its record "
				    "published until %s\n", domain,
				    r->element[i]->str,
				    cli_out_time(until, tbuf));
		}
		freeReplyObject(r);
	}
	freeReplyObject(sel);
	return rc;
}

int
cli_domain_dkim_remove(struct cli_db *db, const char *tenant,
    const char *domain)
{
	struct cli_dd_domain d;
	redisReply *sel, *r;
	const char **av;
	char **keys;
	size_t i, n = 0, nsel;
	int rc = 0;

	snprintf(d.name, sizeof(d.name), "%s", domain);
	snprintf(d.tenant, sizeof(d.tenant), "%s", tenant);
	if ((sel = cli_dd_selectors(db, &d)) == NULL)
		return -1;
	nsel = sel->elements / 2;
	keys = pw_xcalloc(2 + nsel, sizeof(*keys));
	av = pw_xcalloc(2 + nsel, sizeof(*av));
	keys[n++] = pw_schema_key_new(db->prefix, PW_SCHEMA_DKIM_SELECTORS,
	    tenant, domain, NULL);
	keys[n++] = pw_schema_key_new(db->prefix, PW_SCHEMA_TENANT, tenant,
	    NULL, NULL);
	for (i = 0; i < nsel; i++)
		keys[n++] = pw_schema_key_new(db->prefix, PW_SCHEMA_DKIM_KEY,
		    tenant, domain, sel->element[2 * i]->str);
	for (i = 0; i < n; i++)
		av[i] = keys[i];
	if ((r = cli_util_eval(db, &cli_dd_del_script, (int)n, (int)n, av,
	    NULL)) == NULL)
		rc = -1;
	else
		freeReplyObject(r);
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	free(av);
	freeReplyObject(sel);
	return rc;
}

static const struct cli_sub cli_dd_subs[] = {
	{ "add", cli_dd_add, CLI_DD_ADD_USAGE },
	{ "rotate", cli_dd_rotate, CLI_DD_ROTATE_USAGE },
	{ "activate", cli_dd_activate, CLI_DD_ACTIVATE_USAGE },
	{ "retire", cli_dd_retire, CLI_DD_RETIRE_USAGE },
	{ "list", cli_dd_list, CLI_DD_LIST_USAGE },
};

int
cli_domain_dkim(const struct cli_opts *opts, int argc, char **argv)
{
	return cli_cmd_dispatch(CLI_DD_GROUP, cli_dd_subs,
	    sizeof(cli_dd_subs) / sizeof(cli_dd_subs[0]), opts, argc, argv);
}
