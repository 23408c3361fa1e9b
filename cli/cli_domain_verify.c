/*
 * cli_domain_verify.c -- `postwarden domain verify DOMAIN [--json]`: is a
 * sending domain ready in DNS?
 *
 * For every DKIM selector of the domain's keys it looks up
 * SELECTOR._domainkey.DOMAIN and checks that the record carries the
 * public key of the private key we hold (lib/dkim_dns.c); it reports the
 * domain's SPF record, its DMARC record (_dmarc.DOMAIN) and the MX of the
 * owner tenant's VERP bounce domain (the tenant record's bounce_domain,
 * what postwarden-milter puts after the "@" of the return path).  Each
 * check (cli_domain_check.c) has a verdict and, when something is
 * missing or wrong, the record to publish.
 *
 * The domain is verified when it has at least one DKIM key and every
 * selector's record carries its key; SPF, DMARC and MX are reports.  The
 * outcome is stored in the domain's record pw:{T}:domain:<d> (T the owner
 * of pw:domain:<d>): `verified` (Unix time, removed when not verified),
 * `verified_selectors` (the selectors whose record matched) and `checked`
 * (docs/redis-schema.md); a changed `verified_selectors` increments the
 * tenant's dkim_version, so that milters re-read which keys may sign
 * (dkim_require_verified).  Nothing is stored when a DKIM lookup failed:
 * a failure says nothing about the record.
 *
 * Keys come from cli_domain_verify_keys(): the milter's key table
 * (dkim_key_table, every key with d= the domain), then the keys of
 * `domain dkim` in Redis (their public halves: no KEK needed).  A pending
 * Redis key whose record matched is activated (it starts signing; the
 * key of its algorithm it replaces becomes retiring).
 *
 * Exit: 0 verified, 1 not verified, 2 DNS/Redis/configuration failure
 * (any lookup without a final answer), 64 usage.
 *
 * Security: DNS answers and Redis values are untrusted: lengths are
 * bounded by lib/dns.h, text is escaped for the terminal and for JSON.
 * Private keys are only used to derive the public key; nothing secret
 * is printed or stored.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "buf.h"
#include "cli.h"
#include "cli_domain.h"
#include "cli_domain_check.h"
#include "dkim_keys.h"
#include "dns.h"
#include "identity.h"
#include "schema.h"
#include "secret_file.h"
#include "tenant_fields.h"

#define CLI_DOMAIN_VERIFY_GROUP		"domain"
#define CLI_DOMAIN_VERIFY_KEYS_MAX	16

/* The DKIM keys of the domain, from every source. */
struct cli_domain_verify_keyset {
	size_t			n;
	struct cli_domain_key	k[CLI_DOMAIN_VERIFY_KEYS_MAX];
};

/* --- keys ----------------------------------------------------------------- */

/* Add a key (a reference to pkey) unless its selector is there. */
static void
cli_domain_verify_keys_add(struct cli_domain_verify_keyset *ks,
    const char *selector, enum pw_dkim_alg alg, EVP_PKEY *pkey,
    const char *source)
{
	struct cli_domain_key *k;
	size_t i;

	if (ks->n == CLI_DOMAIN_VERIFY_KEYS_MAX ||
	    strlen(selector) > CLI_DOMAIN_SELECTOR_MAX)
		return;
	for (i = 0; i < ks->n; i++)
		if (strcmp(ks->k[i].selector, selector) == 0)
			return;
	k = &ks->k[ks->n++];
	snprintf(k->selector, sizeof(k->selector), "%s", selector);
	k->alg = alg;
	EVP_PKEY_up_ref(pkey);
	k->pkey = pkey;
	k->source = source;
}

static void
cli_domain_verify_keys_free(struct cli_domain_verify_keyset *ks)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		EVP_PKEY_free(ks->k[i].pkey);
	ks->n = 0;
}

/*
 * Source 1: the milter's key table, every key with d= domain.  0, or -1
 * after printing why (a table or key that does not load).
 */
static int
cli_domain_verify_keys_file(const struct pw_conf *conf, const char *domain,
    struct cli_domain_verify_keyset *ks)
{
	struct pw_dkim_keyset *set = NULL;
	const struct pw_dkim_key *k;
	char err[PW_DKIM_ERR_MAX];
	size_t i;

	if (conf->dkim_key_table == NULL || conf->dkim_key_table[0] == '\0')
		return 0;
	/* Keys owned by the daemons' user are as good as root's. */
	pw_secret_file_owner(conf->user);
	if (pw_dkim_keyset_load(conf->dkim_key_table, conf->dkim_signing_table,
	    conf->dkim_key_mode_check, &set, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return -1;
	}
	for (i = 0; (k = pw_dkim_keyset_key(set, i)) != NULL; i++)
		if (strcmp(k->domain, domain) == 0)
			cli_domain_verify_keys_add(ks, k->selector, k->alg,
			    k->pkey, "key table");
	pw_dkim_keyset_free(&set);
	return 0;
}

/* Source 2 (cli_domain_dkim_keys' callback): a key kept in Redis. */
static void
cli_domain_verify_keys_redis(void *ctx, const char *selector,
    enum pw_dkim_alg alg, EVP_PKEY *pkey, const char *state)
{
	(void)state;
	cli_domain_verify_keys_add(ctx, selector, alg, pkey, "redis");
}

/*
 * Every DKIM key of domain (owned by tenant, "" when none does), from
 * every source; a selector found twice counts once (the first source
 * wins).  0, or -1 after printing why.
 */
static int
cli_domain_verify_keys(struct cli_db *db, const char *tenant,
    const char *domain, struct cli_domain_verify_keyset *ks)
{
	if (cli_domain_verify_keys_file(db->conf, domain, ks) < 0)
		return -1;
	/* The keys of `domain dkim add`, public halves (no KEK needed). */
	if (tenant[0] != '\0' && cli_domain_dkim_keys(db, tenant, domain,
	    cli_domain_verify_keys_redis, ks) < 0)
		return -1;
	return 0;
}

/* --- storing ------------------------------------------------------------ */

/*
 * Store the outcome in the domain's record: 0 stored, 1 no record to
 * store in, -1 after printing why.
 */
static int
cli_domain_verify_store(struct cli_db *db, const char *tenant,
    const char *domain, bool verified, const char *selectors, long long now)
{
	char *rec, *trec, nowbuf[32];
	redisReply *r;
	bool changed;
	int rc = -1;

	rec = pw_schema_key_new(db->prefix, PW_SCHEMA_DOMAIN, tenant, domain,
	    NULL);
	snprintf(nowbuf, sizeof(nowbuf), "%lld", now);
	if ((r = cli_util_cmd(db, "EXISTS", rec, NULL)) == NULL)
		goto out;
	rc = cli_util_reply_int(r) == 1 ? 0 : 1;
	freeReplyObject(r);
	if (rc == 1)
		goto out;
	rc = -1;
	/* What the milters sign with depends on it (dkim_require_verified). */
	if ((r = cli_util_cmd(db, "HGET", rec, "verified_selectors",
	    NULL)) == NULL)
		goto out;
	changed = strcmp(r->type == REDIS_REPLY_STRING ? r->str : "",
	    selectors) != 0;
	freeReplyObject(r);
	if (verified)
		r = cli_util_cmd(db, "HSET", rec, "checked", nowbuf,
		    "verified", nowbuf, "verified_selectors", selectors, NULL);
	else if (selectors[0] != '\0')
		r = cli_util_cmd(db, "HSET", rec, "checked", nowbuf,
		    "verified_selectors", selectors, NULL);
	else
		r = cli_util_cmd(db, "HSET", rec, "checked", nowbuf, NULL);
	if (r == NULL)
		goto out;
	freeReplyObject(r);
	if (!verified) {
		r = selectors[0] != '\0' ?
		    cli_util_cmd(db, "HDEL", rec, "verified", NULL) :
		    cli_util_cmd(db, "HDEL", rec, "verified",
		    "verified_selectors", NULL);
		if (r == NULL)
			goto out;
		freeReplyObject(r);
	}
	/*
	 * The milters notice a changed list through the tenant's
	 * dkim_version; only while the tenant record exists (never make a
	 * record of nothing but dkim_version).
	 */
	if (changed) {
		trec = pw_schema_key_new(db->prefix, PW_SCHEMA_TENANT, tenant,
		    NULL, NULL);
		r = cli_util_cmd(db, "EXISTS", trec, NULL);
		if (r != NULL && cli_util_reply_int(r) == 1) {
			freeReplyObject(r);
			r = cli_util_cmd(db, "HINCRBY", trec, "dkim_version",
			    "1", NULL);
		}
		free(trec);
		if (r == NULL)
			goto out;
		freeReplyObject(r);
	}
	rc = 0;
out:
	free(rec);
	return rc;
}

/* --- output --------------------------------------------------------------- */

/* Everything verify found out, for one printing function. */
struct cli_domain_verify_report {
	const char		*domain;
	const char		*tenant;	/* "" none */
	bool			 verified;
	long long		 verified_at;	/* 0: not */
	const char		*stored;	/* "yes", or why not */
	struct cli_domain_check	*dkim;
	size_t			 ndkim;
	struct cli_domain_check	*other;		/* SPF, DMARC, MX */
	size_t			 nother;
};

static void
cli_domain_verify_print(bool json, const struct cli_domain_verify_report *r)
{
	struct cli_json j;
	char *safe;
	size_t i, size = PW_DNS_TXT_MAX * 4 + 1;

	if (json) {
		cli_out_json_init(&j, stdout);
		cli_out_json_open(&j, '{');
		cli_out_json_key(&j, "domain");
		cli_out_json_cstr(&j, r->domain);
		cli_out_json_key(&j, "tenant");
		cli_out_json_cstr(&j, r->tenant[0] != '\0' ? r->tenant : NULL);
		cli_out_json_key(&j, "verified");
		cli_out_json_bool(&j, r->verified);
		cli_out_json_key(&j, "verified_at");
		if (r->verified_at > 0)
			cli_out_json_int(&j, r->verified_at);
		else
			cli_out_json_null(&j);
		cli_out_json_key(&j, "stored");
		cli_out_json_cstr(&j, r->stored);
		cli_out_json_key(&j, "dkim");
		cli_out_json_open(&j, '[');
		for (i = 0; i < r->ndkim; i++)
			cli_domain_check_json(&j, &r->dkim[i]);
		cli_out_json_close(&j, ']');
		for (i = 0; i < r->nother; i++) {
			static const char *const names[] = {
				[CLI_CHECK_SPF] = "spf",
				[CLI_CHECK_DMARC] = "dmarc",
				[CLI_CHECK_MX] = "bounce_mx",
			};
			cli_out_json_key(&j, names[r->other[i].kind]);
			cli_domain_check_json(&j, &r->other[i]);
		}
		cli_out_json_close(&j, '}');
		putchar('\n');
		return;
	}
	safe = malloc(size);
	if (safe == NULL)
		return;
	printf("%s", r->domain);
	if (r->tenant[0] != '\0')
		printf(" (tenant %s)", r->tenant);
	printf(": %s\n", r->verified ? "verified" : "not verified");
	if (r->ndkim == 0)
		printf("DKIM: no keys for %s (dkim_key_table)\n", r->domain);
	for (i = 0; i < r->ndkim; i++)
		cli_domain_check_print(&r->dkim[i], safe, size);
	for (i = 0; i < r->nother; i++)
		cli_domain_check_print(&r->other[i], safe, size);
	if (strcmp(r->stored, "yes") != 0)
		printf("not stored: %s\n", r->stored);
	free(safe);
}

/* --- the command ---------------------------------------------------------- */

/*
 * The owner tenant of domain (tenant_r "" when none) and its VERP bounce
 * domain (bounce_r "" when none).  0, or -1 after printing why.
 */
static int
cli_domain_verify_owner(struct cli_db *db, const char *domain,
    char tenant_r[PW_IDENTITY_TENANT_MAX + 1],
    char bounce_r[PW_TENANT_HOST_MAX + 1])
{
	redisReply *r;
	char *key;
	size_t i;

	tenant_r[0] = bounce_r[0] = '\0';
	key = pw_schema_key_new(db->prefix, PW_SCHEMA_DOMAIN_DIR, NULL, domain,
	    NULL);
	r = cli_util_cmd(db, "HGET", key, "tenant", NULL);
	free(key);
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_STRING) {
		if (!pw_identity_valid_tenant(r->str, r->len)) {
			cli_error("%s: its owner entry holds no valid tenant",
			    domain);
			freeReplyObject(r);
			return -1;
		}
		memcpy(tenant_r, r->str, r->len + 1);
	}
	freeReplyObject(r);
	if (tenant_r[0] == '\0')
		return 0;
	key = pw_schema_key_new(db->prefix, PW_SCHEMA_TENANT, tenant_r, NULL,
	    NULL);
	r = cli_util_cmd(db, "HGET", key, "bounce_domain", NULL);
	free(key);
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_STRING && r->len > 0) {
		if (!pw_tenant_host_ok(r->str, r->len)) {
			cli_error("tenant %s: bounce_domain is not a domain "
			    "name", tenant_r);
			freeReplyObject(r);
			return -1;
		}
		for (i = 0; i <= r->len; i++)
			bounce_r[i] = (char)(r->str[i] >= 'A' &&
			    r->str[i] <= 'Z' ? r->str[i] + 32 : r->str[i]);
	}
	freeReplyObject(r);
	return 0;
}

/* The domain operand in its normal form (lib/address.h): 0, or -1. */
static int
cli_domain_verify_domain(const char *arg, char out[PW_ADDRESS_DOMAIN_MAX + 1])
{
	char in[PW_ADDRESS_DOMAIN_MAX + 8], norm[PW_ADDRESS_MAX + 1];
	const char *why = "too long";
	int n;

	n = snprintf(in, sizeof(in), "@%s", arg);
	if (n < 0 || (size_t)n >= sizeof(in) ||
	    pw_address_normalize(in, (size_t)n, PW_ADDRESS_F_DOMAIN, norm,
	    &why) < 0 || norm[0] != '@' ||
	    !pw_dkim_valid_domain(norm + 1, strlen(norm + 1))) {
		cli_error("%s: not a domain name (%s)", arg,
		    why != NULL ? why : "not a DNS name");
		return -1;
	}
	snprintf(out, PW_ADDRESS_DOMAIN_MAX + 1, "%s", norm + 1);
	return 0;
}

int
cli_domain_verify(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, CLI_OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	char domain[PW_ADDRESS_DOMAIN_MAX + 1];
	char tenant[PW_IDENTITY_TENANT_MAX + 1], bounce[PW_TENANT_HOST_MAX + 1];
	char errbuf[PW_DNS_ERR_MAX], stored[400];
	struct cli_domain_check dkim[CLI_DOMAIN_VERIFY_KEYS_MAX], other[3];
	struct cli_domain_verify_keyset ks = { 0 };
	struct cli_domain_verify_report rep = { 0 };
	struct cli_domain_check_dns dns = { 0 };
	struct pw_buf sels;
	struct cli_db db;
	bool json = opts->json, dns_failed = false, dkim_final = true;
	long long now = (long long)time(NULL);
	size_t i;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (ch) {
		case CLI_OPT_JSON:
			json = true;
			break;
		default:
			cli_cmd_badopt("domain verify", ch, argv);
			return cli_cmd_usage(CLI_DOMAIN_VERIFY_GROUP,
			    "verify DOMAIN [--json]");
		}
	}
	if (argc - optind != 1)
		return cli_cmd_usage(CLI_DOMAIN_VERIFY_GROUP,
		    "verify DOMAIN [--json]");
	if (cli_domain_verify_domain(argv[optind], domain) < 0)
		return CLI_EXIT_USAGE;
	if ((rc = cli_util_open(opts, json, &db)) != CLI_EXIT_OK)
		return rc;
	rc = CLI_EXIT_FAIL;
	if (cli_domain_verify_owner(&db, domain, tenant, bounce) < 0 ||
	    cli_domain_verify_keys(&db, tenant, domain, &ks) < 0)
		goto out;
	if (pw_dns_open(db.conf->dns_resolver, db.conf->dns_trust_anchor_file,
	    db.conf->dns_timeout_ms, &dns.dns, errbuf, sizeof(errbuf)) < 0) {
		cli_error("%s", errbuf);
		goto out;
	}

	pw_buf_init(&sels,
	    CLI_DOMAIN_VERIFY_KEYS_MAX * (CLI_DOMAIN_SELECTOR_MAX + 1));
	rep.verified = ks.n > 0;
	for (i = 0; i < ks.n; i++) {
		cli_domain_check_init(&dkim[i], CLI_CHECK_DKIM);
		cli_domain_check_dkim(&dns, domain, &ks.k[i], &dkim[i]);
		if (dkim[i].verdict == CLI_CHECK_VERIFIED)
			(void)pw_buf_printf(&sels, "%s%s",
			    sels.len > 0 ? "," : "", ks.k[i].selector);
		else
			rep.verified = false;
		if (dkim[i].verdict == CLI_CHECK_DNS_FAILURE)
			dkim_final = false;
	}
	cli_domain_check_init(&other[0], CLI_CHECK_SPF);
	cli_domain_check_spf(&dns, domain, &other[0]);
	cli_domain_check_init(&other[1], CLI_CHECK_DMARC);
	cli_domain_check_dmarc(&dns, domain, &other[1]);
	cli_domain_check_init(&other[2], CLI_CHECK_MX);
	cli_domain_check_mx(&dns, tenant, bounce, &other[2]);
	for (i = 0; i < 3; i++)
		if (other[i].verdict == CLI_CHECK_DNS_FAILURE)
			dns_failed = true;
	if (!dkim_final)
		dns_failed = true;
	if (tenant[0] == '\0')
		rep.verified = false;	/* not a sending domain */

	snprintf(stored, sizeof(stored), "yes");
	if (tenant[0] == '\0')
		snprintf(stored, sizeof(stored), "no tenant owns %s "
		    "(postwarden domain add)", domain);
	else if (!dkim_final)
		snprintf(stored, sizeof(stored), "a DKIM lookup failed");
	else {
		switch (cli_domain_verify_store(&db, tenant, domain,
		    rep.verified, sels.data, now)) {
		case 0:
			/* Keys in Redis whose record matched start signing. */
			if (cli_domain_dkim_activate_verified(&db, tenant,
			    domain, sels.data) < 0) {
				dns_failed = true;	/* exit 2: Redis */
				snprintf(stored, sizeof(stored), "Redis "
				    "failed");
			}
			break;
		case 1:
			/* An owner entry without its record: not a
			   sending domain the tenant can use. */
			rep.verified = false;
			snprintf(stored, sizeof(stored), "tenant %s has no "
			    "record of %s", tenant, domain);
			break;
		default:
			dns_failed = true;	/* exit 2: Redis */
			snprintf(stored, sizeof(stored), "Redis failed");
			break;
		}
	}
	rep.domain = domain;
	rep.tenant = tenant;
	rep.verified_at = rep.verified && strcmp(stored, "yes") == 0 ? now : 0;
	rep.stored = stored;
	rep.dkim = dkim;
	rep.ndkim = ks.n;
	rep.other = other;
	rep.nother = 3;
	cli_domain_verify_print(json, &rep);

	if (dns_failed)
		rc = CLI_EXIT_FAIL;
	else if (rep.verified && tenant[0] != '\0')
		rc = CLI_EXIT_OK;
	else
		rc = CLI_EXIT_NOTFOUND;
	for (i = 0; i < ks.n; i++)
		cli_domain_check_free(&dkim[i]);
	for (i = 0; i < 3; i++)
		cli_domain_check_free(&other[i]);
	pw_buf_free(&sels);
out:
	pw_dns_close(&dns.dns);
	cli_domain_verify_keys_free(&ks);
	cli_util_close(&db);
	return rc;
}
