/*
 * cli_main.c -- postwarden, the admin command line: global options and
 * command dispatch.
 *
 *   postwarden [-c FILE] [--json] COMMAND [ARGS...]
 *
 * One command per cli_<command>.c; this file only finds it.  Output is
 * for humans by default and JSON with --json (also accepted after the
 * command).  "--help" or "-h" anywhere after a command prints its usage
 * (or its subcommand's) on standard output and exits 0, doing nothing
 * else.  Exit status: CLI_EXIT_* in cli.h, documented in postwarden(1).
 */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "conf.h"

static const struct {
	const char	*name;
	int		(*run)(const struct cli_opts *, int, char **);
	const char	*summary;
	/* Its usage for --help; NULL: it has subcommands, and
	   cli_cmd_dispatch() answers --help. */
	const char	*usage;
} cli_commands[] = {
	{ "auth", cli_auth,
	    "auth pepper-generate FILE  the pepper of API key secrets",
	    NULL },
	{ "check", cli_check,
	    "check [--json]         Redis, secret files, daemons: ready?",
	    CLI_CHECK_USAGE },
	{ "config", cli_config,
	    "config [-n|-d]         print the settings (like postconf)",
	    CLI_CONFIG_USAGE },
	{ "dkim", cli_dkim,
	    "dkim keygen|txt|kek-generate  DKIM keys, DNS records, the KEK",
	    NULL },
	{ "domain", cli_domain,
	    "domain add|list|show|remove|verify|dkim  sending domains",
	    NULL },
	{ "key", cli_key,
	    "key add|show|list|set|suspend|disable|enable|delete|secret  "
	    "API keys",
	    NULL },
	{ "tenant", cli_tenant,
	    "tenant add|show|list|set|suspend|disable|enable|delete  tenants",
	    NULL },
	{ "usage", cli_usage,
	    "usage KEY|TENANT       counters against limits, reset times",
	    CLI_USAGE_USAGE },
	{ "suppress", cli_suppress,
	    "suppress add|remove|check|list|import|export  suppressions",
	    NULL },
	{ "events", cli_events,
	    "events tail [--follow] the event stream", NULL },
	{ "track", cli_track,
	    "track verify ID        whose tracking id it is, and when", NULL },
	{ "secret", cli_secret,
	    "secret rotate|list     the tracking keyring", NULL },
	{ "unsubscribe", cli_unsubscribe,
	    "unsubscribe TOKEN|--mail  one-click and mailto unsubscribes",
	    CLI_UNSUB_USAGE },
};

#define CLI_NCOMMANDS	(sizeof(cli_commands) / sizeof(cli_commands[0]))

void
cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("postwarden: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
cli_help(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: postwarden [-c config_file] [--json] command "
	    "[args...]\n"
	    "       postwarden -V | -h\n"
	    "commands:\n");
	for (i = 0; i < CLI_NCOMMANDS; i++)
		fprintf(fp, "  %s\n", cli_commands[i].summary);
	fprintf(fp, "default config file: %s\n", pw_conf_default_path);
}

/*
 * Take every "--help" and "-h" out of a command's arguments (up to a
 * "--"); true if there was one.  No command has an -h option of its own.
 */
static bool
cli_help_wanted(int *argc, char **argv)
{
	bool help = false;
	int i, n = 1;

	for (i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < *argc)
				argv[n++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			help = true;
		else
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	*argc = n;
	return help;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_opts opts = { .conf_path = pw_conf_default_path };
	size_t i;
	int ch;

	/* "+": stop at the command, its options are its own. */
	while ((ch = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			opts.conf_path = optarg;
			break;
		case 'j':
			opts.json = true;
			break;
		case 'V':
			printf("postwarden %s\n", PACKAGE_VERSION);
			return CLI_EXIT_OK;
		case 'h':
			cli_help(stdout);
			return CLI_EXIT_OK;
		default:
			cli_help(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		cli_help(stderr);
		return CLI_EXIT_USAGE;
	}
	for (i = 0; i < CLI_NCOMMANDS; i++) {
		if (strcmp(argv[optind], cli_commands[i].name) == 0) {
			argc -= optind;
			argv += optind;
			optind = 1;
			opts.help = cli_help_wanted(&argc, argv);
			if (opts.help && cli_commands[i].usage != NULL) {
				printf("usage: postwarden %s %s\n",
				    cli_commands[i].name, cli_commands[i].usage);
				return CLI_EXIT_OK;
			}
			return cli_commands[i].run(&opts, argc, argv);
		}
	}
	cli_error("unknown command: %s (see postwarden -h)", argv[optind]);
	return CLI_EXIT_USAGE;
}
