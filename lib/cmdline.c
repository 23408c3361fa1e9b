/*
 * cmdline.c -- the daemons' shared command line (see cmdline.h).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "cmdline.h"
#include "conf.h"

static void
pw_cmdline_usage(FILE *fp, const char *progname, const char *summary)
{
	fprintf(fp,
	    "usage: %s [-fnVh] [-c config_file]\n"
	    "%s\n"
	    "  -c FILE  configuration file (default %s)\n"
	    "  -f       run in the foreground, log to stderr\n"
	    "  -n       check the configuration and exit\n"
	    "  -V       print the version and exit\n"
	    "  -h       print this help and exit\n",
	    progname, summary, pw_conf_default_path);
}

void
pw_cmdline_parse(int argc, char **argv, const char *progname,
    const char *summary, struct pw_cmdline *cmd)
{
	int ch;

	cmd->conf_path = pw_conf_default_path;
	cmd->foreground = false;
	cmd->check_only = false;
	while ((ch = getopt(argc, argv, "c:fnVh")) != -1) {
		switch (ch) {
		case 'c':
			cmd->conf_path = optarg;
			break;
		case 'f':
			cmd->foreground = true;
			break;
		case 'n':
			cmd->check_only = true;
			break;
		case 'V':
			printf("%s %s\n", progname, PACKAGE_VERSION);
			exit(0);
		case 'h':
			pw_cmdline_usage(stdout, progname, summary);
			exit(0);
		default:
			pw_cmdline_usage(stderr, progname, summary);
			exit(EX_USAGE);
		}
	}
	/* A relative path would break a reload after detaching (cwd "/"). */
	if (cmd->conf_path[0] != '/' &&
	    realpath(cmd->conf_path, cmd->conf_abs) != NULL)
		cmd->conf_path = cmd->conf_abs;
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument: %s\n", progname,
		    argv[optind]);
		pw_cmdline_usage(stderr, progname, summary);
		exit(EX_USAGE);
	}
}
