/*
 * cli_config.c -- `postwarden config`: print the settings, like postconf.
 *
 *   postwarden config       every setting with its value
 *   postwarden config -n    only settings that differ from the default
 *   postwarden config -d    the built-in defaults
 *
 * Secrets are printed as <redacted>.  The configuration is checked the
 * same way the daemons check it; an error exits CLI_EXIT_FAIL.
 */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "conf.h"

int
cli_config(const struct cli_opts *opts, int argc, char **argv)
{
	struct pw_conf *conf = NULL;
	char err[PW_CONF_ERR_MAX];
	bool changed_only = false, defaults = false;
	int ch;

	while ((ch = getopt(argc, argv, "nd")) != -1) {
		switch (ch) {
		case 'n':
			changed_only = true;
			break;
		case 'd':
			defaults = true;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc || (changed_only && defaults)) {
		cli_error("usage: postwarden config [-n | -d]");
		return CLI_EXIT_USAGE;
	}
	if (defaults) {
		conf = pw_conf_defaults();
	} else if (pw_conf_load(opts->conf_path, &conf, err,
	    sizeof(err)) < 0) {
		cli_error("%s", err);
		return CLI_EXIT_FAIL;
	}
	pw_conf_dump(conf, stdout, changed_only);
	pw_conf_release(&conf);
	return CLI_EXIT_OK;
}
