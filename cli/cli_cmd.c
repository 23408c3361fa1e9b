/*
 * cli_cmd.c -- the shape of a postwarden command group: dispatch to a
 * subcommand (struct cli_sub), usage lines, errors about options.
 *
 * Exports: cli_cmd_* (cli.h).
 *
 * Failures: usage goes to stderr with CLI_EXIT_USAGE, or to stdout with
 * CLI_EXIT_OK for --help.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int
cli_cmd_usage(const char *group, const char *usage)
{
	fprintf(stderr, "usage: postwarden %s %s\n", group, usage);
	return CLI_EXIT_USAGE;
}

int
cli_cmd_dispatch(const char *group, const struct cli_sub *subs,
    size_t nsubs, const struct cli_opts *opts, int argc, char **argv)
{
	FILE *fp = opts->help ? stdout : stderr;
	char safe[64];
	size_t i;

	if (argc >= 2) {
		for (i = 0; i < nsubs; i++) {
			if (strcmp(argv[1], subs[i].name) != 0)
				continue;
			if (opts->help) {
				printf("usage: postwarden %s %s\n", group,
				    subs[i].usage);
				return CLI_EXIT_OK;
			}
			optind = 0;	/* glibc: a full getopt reset */
			opterr = 0;
			return subs[i].run(opts, argc - 1, argv + 1);
		}
		cli_error("%s: unknown subcommand '%s'", group,
		    cli_out_safe(safe, sizeof(safe), argv[1],
		    strlen(argv[1])));
		fp = stderr;
	}
	fprintf(fp, "usage:\n");
	for (i = 0; i < nsubs; i++)
		fprintf(fp, "  postwarden %s %s\n", group, subs[i].usage);
	return fp == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

int
cli_cmd_badopt(const char *cmd, int ch, char **argv)
{
	char safe[64];
	const char *arg = optind > 0 ? argv[optind - 1] : "";

	if (ch == ':')
		cli_error("%s: option %s needs a value", cmd,
		    cli_out_safe(safe, sizeof(safe), arg, strlen(arg)));
	else if (optopt != 0 && optopt < 256)
		cli_error("%s: unknown option -%c", cmd, optopt);
	else
		cli_error("%s: unknown option %s", cmd,
		    cli_out_safe(safe, sizeof(safe), arg, strlen(arg)));
	return CLI_EXIT_USAGE;
}
