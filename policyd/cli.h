/*
 * cli.h -- what the postwarden command's files share.
 *
 * cli_main.c parses the global options and dispatches to one function per
 * command; each cli_<command>.c implements one command.  Commands return
 * the process exit status (see CLI_EXIT_*), and print errors to stderr as
 * "postwarden: what went wrong".
 */
#ifndef PW_CLI_H
#define PW_CLI_H

#include <stdbool.h>

/* Exit status, documented in postwarden(1). */
#define CLI_EXIT_OK		0	/* done */
#define CLI_EXIT_NOTFOUND	1	/* the thing asked about does not exist */
#define CLI_EXIT_FAIL		2	/* configuration or Redis failure */
#define CLI_EXIT_USAGE		64	/* bad command line (EX_USAGE) */

struct cli_opts {
	const char	*conf_path;
	bool		 json;
};

int	cli_config(const struct cli_opts *opts, int argc, char **argv);

void	cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
