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
 * check has a verdict (a table below) and, when something is missing or
 * wrong, the record to publish.
 *
 * The domain is verified when it has at least one DKIM key and every
 * selector's record carries its key; SPF, DMARC and MX are reports.  The
 * outcome is stored in the domain's record pw:{T}:domain:<d> (T the owner
 * of pw:domain:<d>): `verified` (Unix time, removed when not verified),
 * `verified_selectors` (the selectors whose record matched) and `checked`
 * (docs/redis-schema.md).  Nothing is stored when a DKIM lookup failed:
 * a failure says nothing about the record.
 *
 * Keys come from cli_domain_verify_keys(): today the milter's key table
 * (dkim_key_table, every key with d= the domain); a source that holds
 * keys elsewhere (Redis) adds itself there with one call.
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
#include "cli_domain_verify.h"
#include "dkim_dns.h"
#include "dkim_keys.h"
#include "dns.h"
#include "identity.h"
#include "schema.h"
#include "secret_file.h"
#include "tenant_fields.h"

#define CLI_DV_GROUP		"domain"
#define CLI_DV_KEYS_MAX		16
#define CLI_DV_SELECTOR_MAX	63
#define CLI_DV_PUBLISH_MAX	4096

/* One DKIM key of the domain. */
struct cli_dv_key {
	char		 selector[CLI_DV_SELECTOR_MAX + 1];
	enum pw_dkim_alg alg;
	EVP_PKEY	*pkey;		/* our reference */
	const char	*source;	/* "key table", ... */
};

struct cli_dv_keys {
	size_t			n;
	struct cli_dv_key	k[CLI_DV_KEYS_MAX];
};

/* What a check concludes; the JSON name and the words for humans. */
enum cli_dv_verdict {
	CLI_DV_VERIFIED,
	CLI_DV_FOUND,
	CLI_DV_MISSING,
	CLI_DV_WRONG_KEY,
	CLI_DV_REVOKED,
	CLI_DV_INVALID,
	CLI_DV_SEVERAL,
	CLI_DV_NULL_MX,
	CLI_DV_NOT_SET,
	CLI_DV_UNKNOWN,
	CLI_DV_DNS_FAILURE,
};

static const struct {
	const char	*json;
	const char	*text;
} cli_dv_verdicts[] = {
	[CLI_DV_VERIFIED] =	{ "verified", "verified" },
	[CLI_DV_FOUND] =	{ "found", "found" },
	[CLI_DV_MISSING] =	{ "missing", "missing" },
	[CLI_DV_WRONG_KEY] =	{ "wrong_key", "another key" },
	[CLI_DV_REVOKED] =	{ "revoked", "revoked" },
	[CLI_DV_INVALID] =	{ "invalid", "invalid record" },
	[CLI_DV_SEVERAL] =	{ "several", "several records" },
	[CLI_DV_NULL_MX] =	{ "null_mx", "null MX" },
	[CLI_DV_NOT_SET] =	{ "not_set", "not set" },
	[CLI_DV_UNKNOWN] =	{ "unknown", "unknown" },
	[CLI_DV_DNS_FAILURE] =	{ "dns_failure", "DNS failure" },
};

/* Which TXT records of the name a check shows. */
enum cli_dv_kind {
	CLI_DV_DKIM,
	CLI_DV_SPF,
	CLI_DV_DMARC,
	CLI_DV_MX,
};

/*
 * The resolver, and whether it stopped answering: after a timeout the
 * remaining lookups are not made (each would wait as long).
 */
struct cli_dv_dns {
	struct pw_dns	*dns;
	bool		 down;
};

/* One check: what was asked, what DNS said, the verdict. */
struct cli_dv_check {
	enum cli_dv_kind	 kind;
	const struct cli_dv_key	*key;		/* DKIM */
	char			 name[PW_DNS_NAME_MAX + 80];	/* "" none */
	bool			 asked;		/* a lookup was made */
	enum pw_dns_status	 dns;
	enum cli_dv_verdict	 verdict;
	const char		*why;		/* static, or NULL */
	char			 policy[16];	/* DMARC p= */
	struct pw_dns_txt	 txt;
	struct pw_dns_mx	 mx;
	const char		*pub_type;	/* "TXT", "MX", NULL: none */
	struct pw_buf		 pub;		/* its value */
};

/* --- keys ----------------------------------------------------------------- */

/* Add a key (a reference to pkey) unless its selector is there. */
static void
cli_dv_keys_add(struct cli_dv_keys *ks, const char *selector,
    enum pw_dkim_alg alg, EVP_PKEY *pkey, const char *source)
{
	struct cli_dv_key *k;
	size_t i;

	if (ks->n == CLI_DV_KEYS_MAX || strlen(selector) > CLI_DV_SELECTOR_MAX)
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
cli_dv_keys_free(struct cli_dv_keys *ks)
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
cli_dv_keys_file(const struct pw_conf *conf, const char *domain,
    struct cli_dv_keys *ks)
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
			cli_dv_keys_add(ks, k->selector, k->alg, k->pkey,
			    "key table");
	pw_dkim_keyset_free(&set);
	return 0;
}

/*
 * Every DKIM key of domain (owned by tenant, "" when none does), from
 * every source; a selector found twice counts once (the first source
 * wins).  0, or -1 after printing why.
 */
static int
cli_domain_verify_keys(struct cli_db *db, const char *tenant,
    const char *domain, struct cli_dv_keys *ks)
{
	(void)tenant;	/* the Redis key source will need it */
	if (cli_dv_keys_file(db->conf, domain, ks) < 0)
		return -1;
	/* More sources here: cli_dv_keys_add() for each of their keys. */
	return 0;
}

/* --- checks --------------------------------------------------------------- */

static void
cli_dv_check_init(struct cli_dv_check *c, enum cli_dv_kind kind)
{
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	pw_buf_init(&c->pub, CLI_DV_PUBLISH_MAX);
}

static void
cli_dv_check_free(struct cli_dv_check *c)
{
	pw_dns_txt_free(&c->txt);
	pw_buf_free(&c->pub);
}

/* Was the lookup answered?  false with the verdict set when not. */
static bool
cli_dv_answered(struct cli_dv_dns *d, struct cli_dv_check *c)
{
	if (pw_dns_status_final(c->dns))
		return true;
	c->verdict = CLI_DV_DNS_FAILURE;
	c->why = pw_dns_status_name(c->dns);
	if (c->dns == PW_DNS_TIMEOUT)
		d->down = true;
	return false;
}

/* Skip a lookup once the resolver has timed out: true when skipped. */
static bool
cli_dv_skip(const struct cli_dv_dns *d, struct cli_dv_check *c)
{
	if (!d->down)
		return false;
	c->verdict = CLI_DV_DNS_FAILURE;
	c->why = "not asked: an earlier lookup timed out";
	return true;
}

/* Look up the TXT records of c->name; false when DNS did not answer. */
static bool
cli_dv_txt(struct cli_dv_dns *d, struct cli_dv_check *c)
{
	if (cli_dv_skip(d, c))
		return false;
	c->asked = true;
	c->dns = pw_dns_txt(d->dns, c->name, &c->txt);
	return cli_dv_answered(d, c);
}

/* Is record i of c->txt one this check is about? */
static bool
cli_dv_relevant(const struct cli_dv_check *c, size_t i)
{
	switch (c->kind) {
	case CLI_DV_SPF:
		return pw_dkim_dns_is_spf(c->txt.rr[i], c->txt.len[i]);
	case CLI_DV_DMARC:
		return pw_dkim_dns_is_dmarc(c->txt.rr[i], c->txt.len[i]);
	default:
		return true;
	}
}

static size_t
cli_dv_count(const struct cli_dv_check *c, size_t *which_r)
{
	size_t i, n = 0;

	for (i = 0; i < c->txt.n; i++)
		if (cli_dv_relevant(c, i)) {
			*which_r = i;
			n++;
		}
	return n;
}

/* DKIM: does SELECTOR._domainkey.DOMAIN carry key k? */
static void
cli_dv_dkim(struct cli_dv_dns *dns, const char *domain,
    const struct cli_dv_key *k, struct cli_dv_check *c)
{
	struct pw_dkim_txt rec;
	const char *why = NULL;
	int m;

	c->key = k;
	snprintf(c->name, sizeof(c->name), "%s._domainkey.%s", k->selector,
	    domain);
	if (!cli_dv_txt(dns, c))
		return;
	if (c->dns != PW_DNS_FOUND || c->txt.n == 0) {
		c->verdict = c->txt.dropped > 0 ? CLI_DV_INVALID :
		    CLI_DV_MISSING;
		c->why = c->txt.dropped > 0 ? "a malformed or too long record" :
		    NULL;
	} else if (c->txt.n > 1) {
		c->verdict = CLI_DV_SEVERAL;
		c->why = "a verifier may use any of them: publish one";
	} else if (pw_dkim_txt_parse(c->txt.rr[0], c->txt.len[0], &rec,
	    &why) < 0) {
		c->verdict = CLI_DV_INVALID;
		c->why = why;
	} else if ((m = pw_dkim_txt_match(&rec, k->pkey, &why)) == 1) {
		c->verdict = CLI_DV_VERIFIED;
		c->why = rec.testing ? "t=y: verifiers treat it as a test" :
		    NULL;
	} else {
		c->verdict = m < 0 ? CLI_DV_INVALID : rec.revoked ?
		    CLI_DV_REVOKED : CLI_DV_WRONG_KEY;
		c->why = why;
	}
	if (c->verdict != CLI_DV_VERIFIED &&
	    pw_dkim_key_txt(k->pkey, &c->pub, &why) == 0)
		c->pub_type = "TXT";
}

/* SPF: exactly one v=spf1 record at the domain. */
static void
cli_dv_spf(struct cli_dv_dns *dns, const char *domain, struct cli_dv_check *c)
{
	size_t which, n;

	snprintf(c->name, sizeof(c->name), "%s", domain);
	if (!cli_dv_txt(dns, c))
		return;
	n = cli_dv_count(c, &which);
	if (n == 1) {
		c->verdict = CLI_DV_FOUND;
		return;
	}
	if (n == 0) {
		c->verdict = CLI_DV_MISSING;
		c->why = c->dns == PW_DNS_NXDOMAIN ?
		    "the domain does not exist in DNS" : NULL;
		c->pub_type = "TXT";
		pw_buf_puts(&c->pub, "v=spf1 ip4:ADDRESS -all");
		return;
	}
	c->verdict = CLI_DV_SEVERAL;
	c->why = "two SPF records are a permanent error (RFC 7208 4.5): "
	    "merge them into one";
}

/* DMARC: one v=DMARC1 record at _dmarc.DOMAIN with a valid p=. */
static void
cli_dv_dmarc(struct cli_dv_dns *dns, const char *domain, struct cli_dv_check *c)
{
	size_t which = 0, n;

	snprintf(c->name, sizeof(c->name), "_dmarc.%s", domain);
	if (!cli_dv_txt(dns, c))
		return;
	n = cli_dv_count(c, &which);
	if (n == 0) {
		c->verdict = CLI_DV_MISSING;
		c->why = "receivers may apply the organizational domain's "
		    "record";
		c->pub_type = "TXT";
		pw_buf_puts(&c->pub, "v=DMARC1; p=none");
	} else if (n > 1) {
		c->verdict = CLI_DV_SEVERAL;
		c->why = "receivers ignore a name with several DMARC records "
		    "(RFC 7489 6.6.3): keep one";
	} else if (pw_dkim_dns_dmarc_policy(c->txt.rr[which],
	    c->txt.len[which], c->policy, &c->why) < 0) {
		c->verdict = CLI_DV_INVALID;
		c->pub_type = "TXT";
		pw_buf_puts(&c->pub, "v=DMARC1; p=none");
	} else
		c->verdict = CLI_DV_FOUND;
}

/* The MX of the owner tenant's VERP bounce domain ("" none set). */
static void
cli_dv_mx(struct cli_dv_dns *dns, const char *tenant, const char *bounce,
    struct cli_dv_check *c)
{
	size_t i;

	if (tenant[0] == '\0') {
		c->verdict = CLI_DV_UNKNOWN;
		c->why = "no tenant owns the domain";
		return;
	}
	if (bounce[0] == '\0') {
		c->verdict = CLI_DV_NOT_SET;
		c->why = "the tenant has no bounce_domain: no VERP return path";
		return;
	}
	snprintf(c->name, sizeof(c->name), "%s", bounce);
	if (cli_dv_skip(dns, c))
		return;
	c->asked = true;
	c->dns = pw_dns_mx(dns->dns, bounce, &c->mx);
	if (!cli_dv_answered(dns, c))
		return;
	if (c->dns == PW_DNS_FOUND && c->mx.n > 0) {
		c->verdict = CLI_DV_FOUND;
		for (i = 0; i < c->mx.n; i++)
			if (strcmp(c->mx.rr[i].host, ".") == 0) {
				c->verdict = CLI_DV_NULL_MX;
				c->why = "it accepts no mail (RFC 7505): "
				    "bounces cannot come back";
			}
		if (c->verdict == CLI_DV_FOUND)
			return;
	} else {
		c->verdict = CLI_DV_MISSING;
		c->why = c->dns == PW_DNS_NXDOMAIN ?
		    "the bounce domain does not exist in DNS" :
		    "bounces go to its address record, if any";
	}
	c->pub_type = "MX";
	pw_buf_puts(&c->pub, "10 MTA-HOST.");
}

/* --- storing --------------------------------------------------------------- */

/*
 * Store the outcome in the domain's record: 0 stored, 1 no record to
 * store in, -1 after printing why.
 */
static int
cli_dv_store(struct cli_db *db, const char *tenant, const char *domain,
    bool verified, const char *selectors, long long now)
{
	char *rec, nowbuf[32];
	redisReply *r;
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
	rc = 0;
out:
	free(rec);
	return rc;
}

/* --- output --------------------------------------------------------------- */

static const char *
cli_dv_title(const struct cli_dv_check *c, char *buf, size_t size)
{
	switch (c->kind) {
	case CLI_DV_DKIM:
		snprintf(buf, size, "DKIM %s (%s, %s)", c->key->selector,
		    pw_dkim_alg_name(c->key->alg), c->key->source);
		break;
	case CLI_DV_SPF:
		snprintf(buf, size, "SPF");
		break;
	case CLI_DV_DMARC:
		snprintf(buf, size, "DMARC");
		break;
	case CLI_DV_MX:
		snprintf(buf, size, "bounce MX");
		break;
	}
	return buf;
}

/* A TXT value as a zone file line wants it: strings of at most 255. */
static void
cli_dv_print_txt_value(const char *v, size_t len)
{
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = len - off > 255 ? 255 : len - off;
		printf("%s\"%.*s\"", off > 0 ? " " : "", (int)n, v + off);
	}
}

static void
cli_dv_print_check(const struct cli_dv_check *c, char *safe, size_t size)
{
	char title[160];
	size_t i;

	printf("%s", cli_dv_title(c, title, sizeof(title)));
	if (c->name[0] != '\0')
		printf(" %s", c->name);
	printf(": %s", cli_dv_verdicts[c->verdict].text);
	if (c->kind == CLI_DV_DMARC && c->verdict == CLI_DV_FOUND)
		printf(" (p=%s)", c->policy);
	if (c->why != NULL)
		printf(": %s", c->why);
	putchar('\n');
	for (i = 0; i < c->txt.n; i++)
		if (cli_dv_relevant(c, i))
			printf("  record: %s\n", cli_out_safe(safe, size,
			    c->txt.rr[i], c->txt.len[i]));
	for (i = 0; i < c->mx.n; i++)
		printf("  MX: %u %s\n", c->mx.rr[i].pref, c->mx.rr[i].host);
	if (c->pub_type != NULL) {
		printf("  publish: %s. IN %s ", c->name, c->pub_type);
		if (strcmp(c->pub_type, "TXT") == 0)
			cli_dv_print_txt_value(c->pub.data, c->pub.len);
		else
			printf("%s", c->pub.data);
		putchar('\n');
		if (c->kind == CLI_DV_SPF)
			puts("  (ADDRESS: each address your MTAs send from, "
			    "ip4: or ip6:)");
		else if (c->kind == CLI_DV_MX)
			puts("  (MTA-HOST: a host whose Postfix accepts the "
			    "bounces)");
	}
}

static void
cli_dv_json_check(struct cli_json *j, const struct cli_dv_check *c)
{
	size_t i;

	cli_out_json_open(j, '{');
	if (c->kind == CLI_DV_DKIM) {
		cli_out_json_key(j, "selector");
		cli_out_json_cstr(j, c->key->selector);
		cli_out_json_key(j, "algorithm");
		cli_out_json_cstr(j, pw_dkim_alg_name(c->key->alg));
		cli_out_json_key(j, "source");
		cli_out_json_cstr(j, c->key->source);
	}
	cli_out_json_key(j, "name");
	cli_out_json_cstr(j, c->name[0] != '\0' ? c->name : NULL);
	cli_out_json_key(j, "verdict");
	cli_out_json_cstr(j, cli_dv_verdicts[c->verdict].json);
	cli_out_json_key(j, "reason");
	cli_out_json_cstr(j, c->why);
	cli_out_json_key(j, "dns");
	cli_out_json_cstr(j, c->asked ? pw_dns_status_name(c->dns) : NULL);
	cli_out_json_key(j, "dnssec");
	cli_out_json_bool(j, c->kind == CLI_DV_MX ? c->mx.secure :
	    c->txt.secure);
	if (c->kind == CLI_DV_DMARC) {
		cli_out_json_key(j, "policy");
		cli_out_json_cstr(j, c->verdict == CLI_DV_FOUND ? c->policy :
		    NULL);
	}
	if (c->kind == CLI_DV_MX) {
		cli_out_json_key(j, "mx");
		cli_out_json_open(j, '[');
		for (i = 0; i < c->mx.n; i++) {
			cli_out_json_open(j, '{');
			cli_out_json_key(j, "preference");
			cli_out_json_int(j, c->mx.rr[i].pref);
			cli_out_json_key(j, "host");
			cli_out_json_cstr(j, c->mx.rr[i].host);
			cli_out_json_close(j, '}');
		}
		cli_out_json_close(j, ']');
	} else {
		cli_out_json_key(j, "records");
		cli_out_json_open(j, '[');
		for (i = 0; i < c->txt.n; i++)
			if (cli_dv_relevant(c, i))
				cli_out_json_str(j, c->txt.rr[i],
				    c->txt.len[i]);
		cli_out_json_close(j, ']');
	}
	cli_out_json_key(j, "publish");
	if (c->pub_type == NULL)
		cli_out_json_null(j);
	else {
		cli_out_json_open(j, '{');
		cli_out_json_key(j, "name");
		cli_out_json_cstr(j, c->name);
		cli_out_json_key(j, "type");
		cli_out_json_cstr(j, c->pub_type);
		cli_out_json_key(j, "value");
		cli_out_json_str(j, c->pub.data, c->pub.len);
		cli_out_json_close(j, '}');
	}
	cli_out_json_close(j, '}');
}

/* Everything verify found out, for one printing function. */
struct cli_dv_report {
	const char		*domain;
	const char		*tenant;	/* "" none */
	bool			 verified;
	long long		 verified_at;	/* 0: not */
	const char		*stored;	/* "yes", or why not */
	struct cli_dv_check	*dkim;
	size_t			 ndkim;
	struct cli_dv_check	*other;		/* SPF, DMARC, MX */
	size_t			 nother;
};

static void
cli_dv_print(bool json, const struct cli_dv_report *r)
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
			cli_dv_json_check(&j, &r->dkim[i]);
		cli_out_json_close(&j, ']');
		for (i = 0; i < r->nother; i++) {
			static const char *const names[] = {
				[CLI_DV_SPF] = "spf", [CLI_DV_DMARC] = "dmarc",
				[CLI_DV_MX] = "bounce_mx",
			};
			cli_out_json_key(&j, names[r->other[i].kind]);
			cli_dv_json_check(&j, &r->other[i]);
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
		cli_dv_print_check(&r->dkim[i], safe, size);
	for (i = 0; i < r->nother; i++)
		cli_dv_print_check(&r->other[i], safe, size);
	if (strcmp(r->stored, "yes") != 0)
		printf("not stored: %s\n", r->stored);
	free(safe);
}

/* --- the command ------------------------------------------------------------ */

/*
 * The owner tenant of domain (tenant_r "" when none) and its VERP bounce
 * domain (bounce_r "" when none).  0, or -1 after printing why.
 */
static int
cli_dv_owner(struct cli_db *db, const char *domain,
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
cli_dv_domain(const char *arg, char out[PW_ADDRESS_DOMAIN_MAX + 1])
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
	struct cli_dv_check dkim[CLI_DV_KEYS_MAX], other[3];
	struct cli_dv_keys ks = { 0 };
	struct cli_dv_report rep = { 0 };
	struct cli_dv_dns dns = { 0 };
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
			return cli_cmd_usage(CLI_DV_GROUP,
			    CLI_DOMAIN_VERIFY_USAGE);
		}
	}
	if (argc - optind != 1)
		return cli_cmd_usage(CLI_DV_GROUP, CLI_DOMAIN_VERIFY_USAGE);
	if (cli_dv_domain(argv[optind], domain) < 0)
		return CLI_EXIT_USAGE;
	if ((rc = cli_util_open(opts, json, &db)) != CLI_EXIT_OK)
		return rc;
	rc = CLI_EXIT_FAIL;
	if (cli_dv_owner(&db, domain, tenant, bounce) < 0 ||
	    cli_domain_verify_keys(&db, tenant, domain, &ks) < 0)
		goto out;
	if (pw_dns_open(db.conf->dns_resolver, db.conf->dns_trust_anchor_file,
	    db.conf->dns_timeout_ms, &dns.dns, errbuf, sizeof(errbuf)) < 0) {
		cli_error("%s", errbuf);
		goto out;
	}

	pw_buf_init(&sels, CLI_DV_KEYS_MAX * (CLI_DV_SELECTOR_MAX + 1));
	rep.verified = ks.n > 0;
	for (i = 0; i < ks.n; i++) {
		cli_dv_check_init(&dkim[i], CLI_DV_DKIM);
		cli_dv_dkim(&dns, domain, &ks.k[i], &dkim[i]);
		if (dkim[i].verdict == CLI_DV_VERIFIED)
			(void)pw_buf_printf(&sels, "%s%s",
			    sels.len > 0 ? "," : "", ks.k[i].selector);
		else
			rep.verified = false;
		if (dkim[i].verdict == CLI_DV_DNS_FAILURE)
			dkim_final = false;
	}
	cli_dv_check_init(&other[0], CLI_DV_SPF);
	cli_dv_spf(&dns, domain, &other[0]);
	cli_dv_check_init(&other[1], CLI_DV_DMARC);
	cli_dv_dmarc(&dns, domain, &other[1]);
	cli_dv_check_init(&other[2], CLI_DV_MX);
	cli_dv_mx(&dns, tenant, bounce, &other[2]);
	for (i = 0; i < 3; i++)
		if (other[i].verdict == CLI_DV_DNS_FAILURE)
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
		switch (cli_dv_store(&db, tenant, domain, rep.verified,
		    sels.data, now)) {
		case 0:
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
	cli_dv_print(json, &rep);

	if (dns_failed)
		rc = CLI_EXIT_FAIL;
	else if (rep.verified && tenant[0] != '\0')
		rc = CLI_EXIT_OK;
	else
		rc = CLI_EXIT_NOTFOUND;
	for (i = 0; i < ks.n; i++)
		cli_dv_check_free(&dkim[i]);
	for (i = 0; i < 3; i++)
		cli_dv_check_free(&other[i]);
	pw_buf_free(&sels);
out:
	pw_dns_close(&dns.dns);
	cli_dv_keys_free(&ks);
	cli_util_close(&db);
	return rc;
}
