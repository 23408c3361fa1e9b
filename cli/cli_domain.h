/*
 * cli_domain.h -- `postwarden domain`: a tenant's sending domains.  What
 * the files of the group share (cli_domain.c: add, list, show, remove,
 * and input; cli_domain_owner.c: who owns what; later cli_domain_dkim.c
 * and cli_domain_verify.c), and what other commands ask about domains
 * (cli_tenant.c: show, delete; cli_tenant_settings.c: --dkim-domain).
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
#include "cli.h"

#define CLI_DOMAIN_GROUP	"domain"

/* CLI_DOMAIN_SUB(name, function, usage): the subcommands, in order. */
#define CLI_DOMAIN_SUBS \
	CLI_DOMAIN_SUB("add", cli_domain_add, \
	    "add TENANT DOMAIN [--subdomains]") \
	CLI_DOMAIN_SUB("list", cli_domain_list, "list [TENANT]") \
	CLI_DOMAIN_SUB("show", cli_domain_show, "show DOMAIN") \
	CLI_DOMAIN_SUB("remove", cli_domain_remove, "remove DOMAIN") \
	CLI_DOMAIN_SUB("verify", cli_domain_verify, "verify DOMAIN [--json]")

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
