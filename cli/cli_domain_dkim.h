/*
 * cli_domain_dkim.h -- `postwarden domain dkim`, the DKIM keys of a
 * tenant's sending domain in Redis (cli_domain_dkim.c), for the
 * `postwarden domain` command group to call with argv[0] "dkim".
 */
#ifndef PW_CLI_DOMAIN_DKIM_H
#define PW_CLI_DOMAIN_DKIM_H

#include "cli.h"

/* domain dkim add|activate|list ...: argv[0] is "dkim"; an exit code. */
int	cli_domain_dkim(const struct cli_opts *opts, int argc, char **argv);

#endif
