/*
 * cli_domain.h -- `postwarden domain`: a tenant's sending domains.  What
 * the files of the group share (cli_domain.c: add, list, show, remove,
 * and input; cli_domain_owner.c: who owns what; cli_domain_dkim.c: the
 * DKIM keys; later cli_domain_verify.c), and what other commands ask
 * about domains (cli_tenant.c: show, delete; cli_tenant_settings.c:
 * --dkim-domain).
 *
 * The group's subcommands are one table, CLI_DOMAIN_SUBS: each line
 * names a subcommand, the function that runs it and its usage, and that
 * one line both declares the function and lists it (an "X macro": this
 * header defines CLI_DOMAIN_SUB as a prototype, cli_domain.c as an entry
 * of its struct cli_sub table).  A new subcommand is one line here and
 * its file in cli/local.mk.
 *
 * Domains are in lib/address.c's normal form (A-labels, lower case, no
 * trailing dot); key names come from lib/schema (docs/redis-schema.md
 * "Sending domains").
 */
#ifndef PW_CLI_DOMAIN_H
#define PW_CLI_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "address.h"
#include "dkim_keys.h"
#include "dkim_store.h"
#include "seal.h"
#include "cli.h"

#define CLI_DOMAIN_GROUP	"domain"

/* CLI_DOMAIN_SUB(name, function, usage): the subcommands, in order. */
#define CLI_DOMAIN_SUBS \
	CLI_DOMAIN_SUB("add", cli_domain_add, \
	    "add TENANT DOMAIN [--subdomains] [--dkim rsa,ed25519]") \
	CLI_DOMAIN_SUB("list", cli_domain_list, "list [TENANT]") \
	CLI_DOMAIN_SUB("show", cli_domain_show, "show DOMAIN") \
	CLI_DOMAIN_SUB("remove", cli_domain_remove, "remove DOMAIN") \
	CLI_DOMAIN_SUB("verify", cli_domain_verify, "verify DOMAIN [--json]") \
	CLI_DOMAIN_SUB("dkim", cli_domain_dkim, \
	    "dkim add|rotate|activate|retire|list DOMAIN ...")

#define CLI_DOMAIN_SUB(name, fn, usage) \
	int fn(const struct cli_opts *, int, char **);
CLI_DOMAIN_SUBS
#undef CLI_DOMAIN_SUB

/* A domain in normal form, NUL included. */
#define CLI_DOMAIN_SIZE		(PW_ADDRESS_DOMAIN_MAX + 1)

/*
 * A domain given on the command line in normal form: IDN to A-labels,
 * lower case, the trailing dot off; at least two labels of letters,
 * digits and '-', the last not a number; no address, wildcard or
 * address literal.  0, or -1 after printing why ("domain
 * bad..example: domain: empty label").
 */
int	cli_domain_parse(const char *in, char out[CLI_DOMAIN_SIZE]);

/* --- cli_domain_dkim.c: the DKIM keys ----------------------------------- */

#define CLI_DOMAIN_DKIM_MAX_ALGS	2	/* rsa, ed25519 */
#define CLI_DOMAIN_DKIM_BITS		2048	/* RSA, by default */

/* New DKIM keys to make (`domain dkim add|rotate`, `domain add --dkim`). */
struct cli_domain_dkim_spec {
	enum pw_dkim_alg algs[CLI_DOMAIN_DKIM_MAX_ALGS];
	int		 nalg;		/* 0: those of the active keys */
	const char	*selector;	/* the base; NULL: pw<date> */
	int		 bits;		/* RSA */
	bool		 rotate;	/* says so when printed */
};

/* The keys cli_domain_dkim_make stored, n of them, in order. */
struct cli_domain_dkim_new {
	int				n;
	char				selectors[CLI_DOMAIN_DKIM_MAX_ALGS]
					    [PW_DKIM_SELECTOR_MAX + 1];
	struct pw_dkim_store_made	made[CLI_DOMAIN_DKIM_MAX_ALGS];
};

/*
 * Parse the algorithms "rsa", "ed25519" or "rsa,ed25519" given with
 * option into spec: 0, or -1 after printing why.
 */
int	cli_domain_dkim_algs(const char *option, const char *s,
	    struct cli_domain_dkim_spec *spec);
/*
 * Whether a domain in normal form can be a DKIM signing domain: 0, or
 * CLI_EXIT_USAGE after printing why.
 */
int	cli_domain_dkim_check(const char *domain);
/* Load dkim_kek_file into kek: 0, or CLI_EXIT_FAIL after printing why. */
int	cli_domain_dkim_kek(struct cli_db *db, struct pw_seal_kek *kek);
/*
 * What `domain dkim add|rotate` does once it knows the owner: make one
 * key per algorithm of spec under free selectors, seal each under kek
 * (loaded here unless kek->set), store them pending, into out (free it
 * with cli_domain_dkim_new_free, also after a failure).  Every key is
 * made before any is stored; a key stored before a failure is said, and
 * counted in out->n.  An exit code, after printing why when not
 * CLI_EXIT_OK; nothing printed on stdout.
 */
int	cli_domain_dkim_make(struct cli_db *db, const char *tenant,
	    const char *domain, const struct cli_domain_dkim_spec *spec,
	    struct pw_seal_kek *kek, struct cli_domain_dkim_new *out);
/*
 * The stored keys of out as `domain dkim add --json` prints them: one
 * JSON array of {domain, tenant, selector, algorithm, state, name, txt}.
 */
void	cli_domain_dkim_new_json(struct cli_json *j, const char *tenant,
	    const char *domain, const struct cli_domain_dkim_new *keys);
/*
 * The same for humans: what to do on stderr, the records to publish in
 * zone-file form on stdout.  Nothing when none was stored.
 */
void	cli_domain_dkim_new_print(const char *tenant, const char *domain,
	    const struct cli_domain_dkim_new *keys, bool rotate);
void	cli_domain_dkim_new_free(struct cli_domain_dkim_new *keys);

/* A DKIM key's record as `domain dkim list` reads it (NULL: absent). */
struct cli_domain_dkim_rec {
	const char	*selector;
	const char	*algorithm, *bits, *state, *created, *activated;
	const char	*keep_until;	/* keep_published_until */
	const char	*public;	/* the TXT record */
};
/* Called with each key, by selector: 0 goes on, -1 stops. */
typedef int cli_domain_dkim_rec_fn(void *ctx,
	    const struct cli_domain_dkim_rec *rec);
/*
 * Every DKIM key of tenant's domain, sorted by selector, to fn (never
 * the sealed key).  0, or -1 after printing why (Redis, or fn's -1).
 */
int	cli_domain_dkim_records(struct cli_db *db, const char *tenant,
	    const char *domain, cli_domain_dkim_rec_fn *fn, void *ctx);

/*
 * Remove every DKIM key of domain from tenant's slot (the domain leaves
 * the tenant): 0, or -1 after printing why.
 */
int	cli_domain_dkim_remove(struct cli_db *db, const char *tenant,
	    const char *domain);

/* Called with each DKIM key of a domain: pkey is lent (up_ref it). */
typedef void cli_domain_dkim_key_fn(void *ctx, const char *selector,
	    enum pw_dkim_alg alg, EVP_PKEY *pkey, const char *state);
/*
 * The public halves of domain's DKIM keys in Redis, every state, from
 * their records' public fields (no KEK needed): add(ctx, ...) for each.
 * 0, or -1 after printing why (Redis, a record that does not parse).
 */
int	cli_domain_dkim_keys(struct cli_db *db, const char *tenant,
	    const char *domain, cli_domain_dkim_key_fn *add, void *ctx);
/*
 * Activate the pending keys among selectors (comma-separated: the ones
 * whose DNS record `domain verify` found to carry their key), saying so
 * on stderr: the keys they replace become retiring.  0, or -1 after
 * printing why.
 */
int	cli_domain_dkim_activate_verified(struct cli_db *db,
	    const char *tenant, const char *domain, const char *selectors);

/* --- cli_domain_owner.c: who owns what ---------------------------------- */

/*
 * Who owns a domain (its directory entry pw:domain:<d>): 0 and tenant_r
 * filled, 1 nobody, -1 after printing why.
 */
int	cli_domain_owner_get(struct cli_db *db, const char *domain,
	    char *tenant_r, size_t size);

/*
 * The scope tenant holds domain with in pw:{T}:domains: "exact",
 * "subdomains", or "" when it does not hold it.  0, or -1 after
 * printing why.
 */
int	cli_domain_owner_scope(struct cli_db *db, const char *tenant,
	    const char *domain, char *scope_r, size_t size);

/*
 * Whether tenant may use domain as the daemons decide it: the domain
 * itself in pw:{T}:domains, or a parent there as `subdomains`.  1 yes,
 * 0 no, -1 after printing why.
 */
int	cli_domain_owner_covers(struct cli_db *db, const char *tenant,
	    const char *domain);

/*
 * Does another tenant's claim stand in the way of tenant owning domain
 * (with its subdomains when sub): the domain's owner; a parent another
 * tenant owns with its subdomains; with sub, a name below it that
 * another tenant owns (SCAN)?  0 no; 1 yes, after saying which and
 * whose (exit 3); -1 after printing why.
 */
int	cli_domain_owner_conflict(struct cli_db *db, const char *tenant,
	    const char *domain, bool sub);

/* Delete the directory entry of domain while it names tenant: 0 or -1. */
int	cli_domain_owner_release(struct cli_db *db, const char *tenant,
	    const char *domain);

/*
 * Remove a domain tenant owns: its records (lua/domain_del.lua), then
 * its directory entry while it names tenant.  0, or -1 after printing
 * why.
 */
int	cli_domain_owner_remove(struct cli_db *db, const char *tenant,
	    const char *domain);

/*
 * A tenant's pw:{T}:domains (HGETALL: domain, scope, ...), or NULL
 * after printing why.  The caller frees it.
 */
redisReply *cli_domain_owner_of_tenant(struct cli_db *db,
	    const char *tenant);

/*
 * Remove every domain of a tenant, as cli_domain_owner_remove.  0 and
 * how many in *n_r, or -1 after printing why.
 */
int	cli_domain_owner_remove_tenant(struct cli_db *db, const char *tenant,
	    size_t *n_r);

#endif
