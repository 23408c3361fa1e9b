/*
 * cli_domain_verify.h -- `postwarden domain verify DOMAIN [--json]`.
 *
 * For the `domain` command group's table (cli/cli_domain.c): the function
 * has struct cli_sub's shape, argv[0] being "verify".  Exit codes:
 * CLI_EXIT_OK verified, CLI_EXIT_NOTFOUND (1) not verified,
 * CLI_EXIT_FAIL (2) a DNS, Redis or configuration failure,
 * CLI_EXIT_USAGE (64) a bad command line.
 */
#ifndef PW_CLI_DOMAIN_VERIFY_H
#define PW_CLI_DOMAIN_VERIFY_H

#include "cli.h"

#define CLI_DOMAIN_VERIFY_USAGE	"verify DOMAIN [--json]"

int	cli_domain_verify(const struct cli_opts *opts, int argc, char **argv);

#endif
