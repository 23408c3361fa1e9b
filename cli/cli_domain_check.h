/*
 * cli_domain_check.h -- the checks of `postwarden domain verify`: one
 * DNS lookup each (a DKIM selector's record against our key, SPF, DMARC,
 * the VERP bounce domain's MX), its verdict, and the record to publish.
 *
 * Used by cli_domain_verify.c, which collects the keys, runs the checks
 * and stores the outcome.  A check belongs to one thread; what it holds
 * is freed by cli_domain_check_free().
 */
#ifndef PW_CLI_DOMAIN_CHECK_H
#define PW_CLI_DOMAIN_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "buf.h"
#include "cli.h"
#include "dkim_keys.h"
#include "dns.h"

#define CLI_DOMAIN_SELECTOR_MAX	63

/* One DKIM key of the domain. */
struct cli_domain_key {
	char		 selector[CLI_DOMAIN_SELECTOR_MAX + 1];
	enum pw_dkim_alg alg;
	EVP_PKEY	*pkey;		/* our reference */
	const char	*source;	/* "key table", ... */
};

/* What a check concludes (cli_domain_check.c names each). */
enum cli_domain_verdict {
	CLI_CHECK_VERIFIED,
	CLI_CHECK_FOUND,
	CLI_CHECK_MISSING,
	CLI_CHECK_WRONG_KEY,
	CLI_CHECK_REVOKED,
	CLI_CHECK_INVALID,
	CLI_CHECK_SEVERAL,
	CLI_CHECK_NULL_MX,
	CLI_CHECK_NOT_SET,
	CLI_CHECK_UNKNOWN,
	CLI_CHECK_DNS_FAILURE,
};

/* Which TXT records of the name a check shows. */
enum cli_domain_kind {
	CLI_CHECK_DKIM,
	CLI_CHECK_SPF,
	CLI_CHECK_DMARC,
	CLI_CHECK_MX,
};

/*
 * The resolver, and whether it stopped answering: after a timeout the
 * remaining lookups are not made (each would wait as long).
 */
struct cli_domain_check_dns {
	struct pw_dns	*dns;
	bool		 down;
};

/* One check: what was asked, what DNS said, the verdict. */
struct cli_domain_check {
	enum cli_domain_kind		 kind;
	const struct cli_domain_key	*key;		/* DKIM */
	char				 name[PW_DNS_NAME_MAX + 80]; /* "" */
	bool				 asked;		/* a lookup was made */
	enum pw_dns_status		 dns;
	enum cli_domain_verdict		 verdict;
	const char			*why;		/* static, or NULL */
	char				 policy[16];	/* DMARC p= */
	struct pw_dns_txt		 txt;
	struct pw_dns_mx		 mx;
	const char			*pub_type;	/* "TXT", "MX", NULL */
	struct pw_buf			 pub;		/* its value */
};

/* Start a check of that kind (nothing looked up yet). */
void	cli_domain_check_init(struct cli_domain_check *c,
	    enum cli_domain_kind kind);
void	cli_domain_check_free(struct cli_domain_check *c);

/* DKIM: does SELECTOR._domainkey.DOMAIN carry k (k outlives c)? */
void	cli_domain_check_dkim(struct cli_domain_check_dns *dns,
	    const char *domain, const struct cli_domain_key *k,
	    struct cli_domain_check *c);
/* SPF: exactly one v=spf1 record at the domain. */
void	cli_domain_check_spf(struct cli_domain_check_dns *dns,
	    const char *domain, struct cli_domain_check *c);
/* DMARC: one v=DMARC1 record at _dmarc.DOMAIN with a valid p=. */
void	cli_domain_check_dmarc(struct cli_domain_check_dns *dns,
	    const char *domain, struct cli_domain_check *c);
/*
 * The MX of the owner tenant's VERP bounce domain: tenant "" (no owner)
 * and bounce "" (none set) are verdicts of their own, not looked up.
 */
void	cli_domain_check_mx(struct cli_domain_check_dns *dns,
	    const char *tenant, const char *bounce, struct cli_domain_check *c);

/*
 * A check for humans: a line "WHAT NAME: VERDICT[: why]", the records
 * found, and what to publish in zone-file form.  safe is a buffer of size
 * bytes for escaping DNS text.
 */
void	cli_domain_check_print(const struct cli_domain_check *c, char *safe,
	    size_t size);
/* A check as a JSON object (see postwarden(1)). */
void	cli_domain_check_json(struct cli_json *j,
	    const struct cli_domain_check *c);

#endif
