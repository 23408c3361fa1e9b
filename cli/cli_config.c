/*
 * cli_config.c -- `postwarden config`: print the settings, like postconf.
 *
 *   postwarden config       every setting with its value
 *   postwarden config -n    only settings that differ from the default
 *   postwarden config -d    the built-in defaults
 *
 * With --json (before or after the command): one object, setting name ->
 * value as a string, in the same order.  Secrets are printed as
 * <redacted>.  The configuration is checked the
 * same way the daemons check it; an error exits CLI_EXIT_FAIL.
 */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "conf.h"

static void
cli_config_json_one(const char *name, const char *value, void *arg)
{
	struct cli_json *j = arg;

	cli_out_json_key(j, name);
	cli_out_json_cstr(j, value);
}

int
cli_config(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, CLI_OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	struct pw_conf *conf = NULL;
	struct cli_json j;
	char err[PW_CONF_ERR_MAX];
	bool changed_only = false, defaults = false, json = opts->json;
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":nd", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			changed_only = true;
			break;
		case 'd':
			defaults = true;
			break;
		case CLI_OPT_JSON:
			json = true;
			break;
		default:
			cli_cmd_badopt("config", ch, argv);
			return cli_cmd_usage("config", CLI_CONFIG_USAGE);
		}
	}
	if (optind != argc || (changed_only && defaults))
		return cli_cmd_usage("config", CLI_CONFIG_USAGE);
	if (defaults) {
		conf = pw_conf_defaults();
	} else if (pw_conf_load(opts->conf_path, &conf, err,
	    sizeof(err)) < 0) {
		cli_error("%s", err);
		return CLI_EXIT_FAIL;
	}
	if (json) {
		cli_out_json_init(&j, stdout);
		cli_out_json_open(&j, '{');
		pw_conf_foreach(conf, changed_only, cli_config_json_one, &j);
		cli_out_json_close(&j, '}');
		putchar('\n');
	} else
		pw_conf_dump(conf, stdout, changed_only);
	pw_conf_release(&conf);
	return CLI_EXIT_OK;
}
