/*
 * cli_domain_check.c -- the checks of `postwarden domain verify` (see
 * cli_domain_check.h): a lookup each through lib/dns.c, a verdict from
 * the table below, and the record to publish when something is missing
 * or wrong.
 *
 * DKIM records are parsed and compared with our key by lib/dkim_dns.c
 * (RFC 6376 3.6.1: the DER SubjectPublicKeyInfo for RSA, the raw 32 bytes
 * for Ed25519).  Once a lookup timed out the resolver counts as down and
 * later checks are not asked (each would wait as long).
 *
 * Security: DNS answers are untrusted: bounded by lib/dns.h, escaped for
 * the terminal (cli_out_safe) and for JSON.  Only public keys are printed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_domain_check.h"
#include "dkim_dns.h"

#define CLI_DOMAIN_CHECK_PUBLISH_MAX	4096

/* Each verdict: its name in JSON, its words for humans. */
static const struct {
	const char	*json;
	const char	*text;
} cli_domain_check_verdicts[] = {
	[CLI_CHECK_VERIFIED] =	{ "verified", "verified" },
	[CLI_CHECK_FOUND] =	{ "found", "found" },
	[CLI_CHECK_MISSING] =	{ "missing", "missing" },
	[CLI_CHECK_WRONG_KEY] =	{ "wrong_key", "another key" },
	[CLI_CHECK_REVOKED] =	{ "revoked", "revoked" },
	[CLI_CHECK_INVALID] =	{ "invalid", "invalid record" },
	[CLI_CHECK_SEVERAL] =	{ "several", "several records" },
	[CLI_CHECK_NULL_MX] =	{ "null_mx", "null MX" },
	[CLI_CHECK_NOT_SET] =	{ "not_set", "not set" },
	[CLI_CHECK_UNKNOWN] =	{ "unknown", "unknown" },
	[CLI_CHECK_DNS_FAILURE] =	{ "dns_failure", "DNS failure" },
};

/* --- checks --------------------------------------------------------------- */

void
cli_domain_check_init(struct cli_domain_check *c, enum cli_domain_kind kind)
{
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	pw_buf_init(&c->pub, CLI_DOMAIN_CHECK_PUBLISH_MAX);
}

void
cli_domain_check_free(struct cli_domain_check *c)
{
	pw_dns_txt_free(&c->txt);
	pw_buf_free(&c->pub);
}

/* Was the lookup answered?  false with the verdict set when not. */
static bool
cli_domain_check_answered(struct cli_domain_check_dns *d,
    struct cli_domain_check *c)
{
	if (pw_dns_status_final(c->dns))
		return true;
	c->verdict = CLI_CHECK_DNS_FAILURE;
	c->why = pw_dns_status_name(c->dns);
	if (c->dns == PW_DNS_TIMEOUT)
		d->down = true;
	return false;
}

/* Skip a lookup once the resolver has timed out: true when skipped. */
static bool
cli_domain_check_skip(const struct cli_domain_check_dns *d,
    struct cli_domain_check *c)
{
	if (!d->down)
		return false;
	c->verdict = CLI_CHECK_DNS_FAILURE;
	c->why = "not asked: an earlier lookup timed out";
	return true;
}

/* Look up the TXT records of c->name; false when DNS did not answer. */
static bool
cli_domain_check_txt(struct cli_domain_check_dns *d, struct cli_domain_check *c)
{
	if (cli_domain_check_skip(d, c))
		return false;
	c->asked = true;
	c->dns = pw_dns_txt(d->dns, c->name, &c->txt);
	return cli_domain_check_answered(d, c);
}

/* Is record i of c->txt one this check is about? */
static bool
cli_domain_check_relevant(const struct cli_domain_check *c, size_t i)
{
	switch (c->kind) {
	case CLI_CHECK_SPF:
		return pw_dkim_dns_is_spf(c->txt.rr[i], c->txt.len[i]);
	case CLI_CHECK_DMARC:
		return pw_dkim_dns_is_dmarc(c->txt.rr[i], c->txt.len[i]);
	default:
		return true;
	}
}

static size_t
cli_domain_check_count(const struct cli_domain_check *c, size_t *which_r)
{
	size_t i, n = 0;

	for (i = 0; i < c->txt.n; i++)
		if (cli_domain_check_relevant(c, i)) {
			*which_r = i;
			n++;
		}
	return n;
}

/* DKIM: does SELECTOR._domainkey.DOMAIN carry key k? */
void
cli_domain_check_dkim(struct cli_domain_check_dns *dns, const char *domain,
    const struct cli_domain_key *k, struct cli_domain_check *c)
{
	struct pw_dkim_txt rec;
	const char *why = NULL;
	int m;

	c->key = k;
	snprintf(c->name, sizeof(c->name), "%s._domainkey.%s", k->selector,
	    domain);
	if (!cli_domain_check_txt(dns, c))
		return;
	if (c->dns != PW_DNS_FOUND || c->txt.n == 0) {
		c->verdict = c->txt.dropped > 0 ? CLI_CHECK_INVALID :
		    CLI_CHECK_MISSING;
		c->why = c->txt.dropped > 0 ? "a malformed or too long record" :
		    NULL;
	} else if (c->txt.n > 1) {
		c->verdict = CLI_CHECK_SEVERAL;
		c->why = "a verifier may use any of them: publish one";
	} else if (pw_dkim_txt_parse(c->txt.rr[0], c->txt.len[0], &rec,
	    &why) < 0) {
		c->verdict = CLI_CHECK_INVALID;
		c->why = why;
	} else if ((m = pw_dkim_txt_match(&rec, k->pkey, &why)) == 1) {
		c->verdict = CLI_CHECK_VERIFIED;
		c->why = rec.testing ? "t=y: verifiers treat it as a test" :
		    NULL;
	} else {
		c->verdict = m < 0 ? CLI_CHECK_INVALID : rec.revoked ?
		    CLI_CHECK_REVOKED : CLI_CHECK_WRONG_KEY;
		c->why = why;
	}
	if (c->verdict != CLI_CHECK_VERIFIED &&
	    pw_dkim_key_txt(k->pkey, &c->pub, &why) == 0)
		c->pub_type = "TXT";
}

/* SPF: exactly one v=spf1 record at the domain. */
void
cli_domain_check_spf(struct cli_domain_check_dns *dns, const char *domain,
    struct cli_domain_check *c)
{
	size_t which, n;

	snprintf(c->name, sizeof(c->name), "%s", domain);
	if (!cli_domain_check_txt(dns, c))
		return;
	n = cli_domain_check_count(c, &which);
	if (n == 1) {
		c->verdict = CLI_CHECK_FOUND;
		return;
	}
	if (n == 0) {
		c->verdict = CLI_CHECK_MISSING;
		c->why = c->dns == PW_DNS_NXDOMAIN ?
		    "the domain does not exist in DNS" : NULL;
		c->pub_type = "TXT";
		pw_buf_puts(&c->pub, "v=spf1 ip4:ADDRESS -all");
		return;
	}
	c->verdict = CLI_CHECK_SEVERAL;
	c->why = "two SPF records are a permanent error (RFC 7208 4.5): "
	    "merge them into one";
}

/* DMARC: one v=DMARC1 record at _dmarc.DOMAIN with a valid p=. */
void
cli_domain_check_dmarc(struct cli_domain_check_dns *dns, const char *domain,
    struct cli_domain_check *c)
{
	size_t which = 0, n;

	snprintf(c->name, sizeof(c->name), "_dmarc.%s", domain);
	if (!cli_domain_check_txt(dns, c))
		return;
	n = cli_domain_check_count(c, &which);
	if (n == 0) {
		c->verdict = CLI_CHECK_MISSING;
		c->why = "receivers may apply the organizational domain's "
		    "record";
		c->pub_type = "TXT";
		pw_buf_puts(&c->pub, "v=DMARC1; p=none");
	} else if (n > 1) {
		c->verdict = CLI_CHECK_SEVERAL;
		c->why = "receivers ignore a name with several DMARC records "
		    "(RFC 7489 6.6.3): keep one";
	} else if (pw_dkim_dns_dmarc_policy(c->txt.rr[which],
	    c->txt.len[which], c->policy, &c->why) < 0) {
		c->verdict = CLI_CHECK_INVALID;
		c->pub_type = "TXT";
		pw_buf_puts(&c->pub, "v=DMARC1; p=none");
	} else
		c->verdict = CLI_CHECK_FOUND;
}

/* The MX of the owner tenant's VERP bounce domain ("" none set). */
void
cli_domain_check_mx(struct cli_domain_check_dns *dns, const char *tenant,
    const char *bounce, struct cli_domain_check *c)
{
	size_t i;

	if (tenant[0] == '\0') {
		c->verdict = CLI_CHECK_UNKNOWN;
		c->why = "no tenant owns the domain";
		return;
	}
	if (bounce[0] == '\0') {
		c->verdict = CLI_CHECK_NOT_SET;
		c->why = "the tenant has no bounce_domain: no VERP return path";
		return;
	}
	snprintf(c->name, sizeof(c->name), "%s", bounce);
	if (cli_domain_check_skip(dns, c))
		return;
	c->asked = true;
	c->dns = pw_dns_mx(dns->dns, bounce, &c->mx);
	if (!cli_domain_check_answered(dns, c))
		return;
	if (c->dns == PW_DNS_FOUND && c->mx.n > 0) {
		c->verdict = CLI_CHECK_FOUND;
		for (i = 0; i < c->mx.n; i++)
			if (strcmp(c->mx.rr[i].host, ".") == 0) {
				c->verdict = CLI_CHECK_NULL_MX;
				c->why = "it accepts no mail (RFC 7505): "
				    "bounces cannot come back";
			}
		if (c->verdict == CLI_CHECK_FOUND)
			return;
	} else {
		c->verdict = CLI_CHECK_MISSING;
		c->why = c->dns == PW_DNS_NXDOMAIN ?
		    "the bounce domain does not exist in DNS" :
		    "bounces go to its address record, if any";
	}
	c->pub_type = "MX";
	pw_buf_puts(&c->pub, "10 MTA-HOST.");
}

/* --- output --------------------------------------------------------------- */

static const char *
cli_domain_check_title(const struct cli_domain_check *c, char *buf, size_t size)
{
	switch (c->kind) {
	case CLI_CHECK_DKIM:
		snprintf(buf, size, "DKIM %s (%s, %s)", c->key->selector,
		    pw_dkim_alg_name(c->key->alg), c->key->source);
		break;
	case CLI_CHECK_SPF:
		snprintf(buf, size, "SPF");
		break;
	case CLI_CHECK_DMARC:
		snprintf(buf, size, "DMARC");
		break;
	case CLI_CHECK_MX:
		snprintf(buf, size, "bounce MX");
		break;
	}
	return buf;
}

/* A TXT value as a zone file line wants it: strings of at most 255. */
static void
cli_domain_check_txt_value(const char *v, size_t len)
{
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = len - off > 255 ? 255 : len - off;
		printf("%s\"%.*s\"", off > 0 ? " " : "", (int)n, v + off);
	}
}

void
cli_domain_check_print(const struct cli_domain_check *c, char *safe,
    size_t size)
{
	char title[160];
	size_t i;

	printf("%s", cli_domain_check_title(c, title, sizeof(title)));
	if (c->name[0] != '\0')
		printf(" %s", c->name);
	printf(": %s", cli_domain_check_verdicts[c->verdict].text);
	if (c->kind == CLI_CHECK_DMARC && c->verdict == CLI_CHECK_FOUND)
		printf(" (p=%s)", c->policy);
	if (c->why != NULL)
		printf(": %s", c->why);
	putchar('\n');
	for (i = 0; i < c->txt.n; i++)
		if (cli_domain_check_relevant(c, i))
			printf("  record: %s\n", cli_out_safe(safe, size,
			    c->txt.rr[i], c->txt.len[i]));
	for (i = 0; i < c->mx.n; i++)
		printf("  MX: %u %s\n", c->mx.rr[i].pref, c->mx.rr[i].host);
	if (c->pub_type != NULL) {
		printf("  publish: %s. IN %s ", c->name, c->pub_type);
		if (strcmp(c->pub_type, "TXT") == 0)
			cli_domain_check_txt_value(c->pub.data, c->pub.len);
		else
			printf("%s", c->pub.data);
		putchar('\n');
		if (c->kind == CLI_CHECK_SPF)
			puts("  (ADDRESS: each address your MTAs send from, "
			    "ip4: or ip6:)");
		else if (c->kind == CLI_CHECK_MX)
			puts("  (MTA-HOST: a host whose Postfix accepts the "
			    "bounces)");
	}
}

void
cli_domain_check_json(struct cli_json *j, const struct cli_domain_check *c)
{
	size_t i;

	cli_out_json_open(j, '{');
	if (c->kind == CLI_CHECK_DKIM) {
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
	cli_out_json_cstr(j, cli_domain_check_verdicts[c->verdict].json);
	cli_out_json_key(j, "reason");
	cli_out_json_cstr(j, c->why);
	cli_out_json_key(j, "dns");
	cli_out_json_cstr(j, c->asked ? pw_dns_status_name(c->dns) : NULL);
	cli_out_json_key(j, "dnssec");
	cli_out_json_bool(j, c->kind == CLI_CHECK_MX ? c->mx.secure :
	    c->txt.secure);
	if (c->kind == CLI_CHECK_DMARC) {
		cli_out_json_key(j, "policy");
		cli_out_json_cstr(j, c->verdict == CLI_CHECK_FOUND ? c->policy :
		    NULL);
	}
	if (c->kind == CLI_CHECK_MX) {
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
			if (cli_domain_check_relevant(c, i))
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

