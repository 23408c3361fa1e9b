/*
 * cli_check.c -- `postwarden check`: the verdicts the daemons' /readyz
 * give, for a shell.
 *
 *   postwarden check [--json]
 *
 * One line per check: Redis (a PING with the redis_* settings), the
 * secret files the daemons load when set (tracking_secret_file,
 * auth_pepper_file, dkim_kek_file: cli_check_file.c, as the daemons'
 * user), and each HTTP endpoint of postwarden-policyd (http_listen) and
 * postwarden-milter (milter_http_listen): that daemon's own GET /readyz
 * over loopback (cli_check_http.c).  An empty setting is "not
 * configured", which is not a failure.
 *
 * Exit: CLI_EXIT_OK when nothing is "not ready", 1 when something is,
 * CLI_EXIT_USAGE for a bad command line, CLI_EXIT_FAIL when the
 * configuration does not load.  --json: {"ready": bool, "checks":
 * [{"check", "endpoint" (HTTP only), "status", "detail"}]}.
 *
 * Security: the details name paths and reasons, never a secret; a
 * daemon's answer is escaped (cli_check_http.c replaces control bytes,
 * JSON strings go through cli_out_json_*).
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_check.h"
#include "log.h"
#include "xmalloc.h"

#define CLI_CHECK_NOT_READY_EXIT	1

static const char *const cli_check_words[] = {
	[CLI_CHECK_READY] = "ready",
	[CLI_CHECK_NOT_READY] = "not ready",
	[CLI_CHECK_NOT_CONFIGURED] = "not configured",
};

struct cli_check_out {
	const struct pw_conf	*conf;
	struct cli_json		 j;
	bool			 json;
	bool			 failed;	/* something not ready */
	const char		*what;		/* HTTP: "policyd http" */
	size_t			 n;		/* HTTP: endpoints seen */
};

/* Print one verdict. */
static void
cli_check_print(struct cli_check_out *o, const char *check,
    const char *endpoint, const struct cli_check_verdict *v)
{
	char name[128];
	const char *p, *nl;

	if (v->status == CLI_CHECK_NOT_READY)
		o->failed = true;
	if (o->json) {
		cli_out_json_open(&o->j, '{');
		cli_out_json_key(&o->j, "check");
		cli_out_json_cstr(&o->j, check);
		if (endpoint != NULL) {
			cli_out_json_key(&o->j, "endpoint");
			cli_out_json_cstr(&o->j, endpoint);
		}
		cli_out_json_key(&o->j, "status");
		cli_out_json_cstr(&o->j, cli_check_words[v->status]);
		cli_out_json_key(&o->j, "detail");
		cli_out_json_cstr(&o->j, v->detail);
		cli_out_json_close(&o->j, '}');
		return;
	}
	snprintf(name, sizeof(name), "%s%s%s", check, endpoint != NULL ?
	    " " : "", endpoint != NULL ? endpoint : "");
	printf("%-36s %s", name, cli_check_words[v->status]);
	/* The detail after a colon; its further lines indented. */
	for (p = v->detail; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (p == v->detail)
			printf(": %.*s", (int)(nl - p), p);
		else
			printf("\n%38s%.*s", "", (int)(nl - p), p);
		if (*nl == '\0')
			break;
	}
	putchar('\n');
}

static void
cli_check_redis(struct cli_check_out *o)
{
	struct cli_check_verdict v = { .status = CLI_CHECK_NOT_READY };
	struct pw_redis *r;
	redisReply *reply = NULL;
	const char *why = NULL;

	if ((r = pw_redis_new(o->conf, &why)) != NULL)
		reply = pw_redis_command(r, &why, "PING", NULL);
	if (reply != NULL && reply->type == REDIS_REPLY_STATUS &&
	    strcmp(reply->str, "PONG") == 0) {
		v.status = CLI_CHECK_READY;
		snprintf(v.detail, sizeof(v.detail), "%s answers",
		    o->conf->redis_server);
	} else
		snprintf(v.detail, sizeof(v.detail), "%s: %s",
		    o->conf->redis_server, why != NULL ? why :
		    reply != NULL && reply->type == REDIS_REPLY_ERROR ?
		    reply->str : "unexpected answer to PING");
	if (reply != NULL)
		freeReplyObject(reply);
	pw_redis_free(&r);
	cli_check_print(o, "redis", NULL, &v);
}

/* pw_conf_list_foreach callback: one HTTP endpoint's /readyz. */
static int
cli_check_http_one(const char *item, size_t len, void *arg)
{
	struct cli_check_out *o = arg;
	struct cli_check_verdict v;
	char *endpoint = pw_xstrndup(item, len);

	cli_check_http(endpoint, o->conf->http_timeout_ms, &v);
	cli_check_print(o, o->what, endpoint, &v);
	free(endpoint);
	o->n++;
	return 0;
}

static void
cli_check_http_all(struct cli_check_out *o, const char *what,
    const char *list)
{
	struct cli_check_verdict v = { .status = CLI_CHECK_NOT_CONFIGURED,
	    .detail = "" };

	o->what = what;
	o->n = 0;
	(void)pw_conf_list_foreach(list, cli_check_http_one, o);
	if (o->n == 0) {
		*v.detail = '\0';
		cli_check_print(o, what, NULL, &v);
	}
}

static void
cli_check_file_one(struct cli_check_out *o, const char *what,
    const char *path)
{
	struct cli_check_verdict v;

	cli_check_file(o->conf, what, path, &v);
	cli_check_print(o, what, NULL, &v);
}

int
cli_check(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, CLI_OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_check_out o;
	struct pw_conf *conf = NULL;
	char err[PW_CONF_ERR_MAX];
	int ch;

	memset(&o, 0, sizeof(o));
	o.json = opts->json;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (ch) {
		case CLI_OPT_JSON:
			o.json = true;
			break;
		default:
			cli_cmd_badopt("check", ch, argv);
			return cli_cmd_usage("check", CLI_CHECK_USAGE);
		}
	}
	if (optind != argc)
		return cli_cmd_usage("check", CLI_CHECK_USAGE);
	signal(SIGPIPE, SIG_IGN);
	pw_log_set_level(PW_LOG_ERROR);	/* the verdicts say why */
	if (pw_conf_load(opts->conf_path, &conf, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return CLI_EXIT_FAIL;
	}
	o.conf = conf;
	if (o.json) {
		cli_out_json_init(&o.j, stdout);
		cli_out_json_open(&o.j, '{');
		cli_out_json_key(&o.j, "checks");
		cli_out_json_open(&o.j, '[');
	}
	cli_check_redis(&o);
	cli_check_file_one(&o, "tracking_secret_file",
	    conf->tracking_secret_file);
	cli_check_file_one(&o, "auth_pepper_file", conf->auth_pepper_file);
	cli_check_file_one(&o, "dkim_kek_file", conf->dkim_kek_file);
	cli_check_http_all(&o, "policyd http", conf->http_listen);
	cli_check_http_all(&o, "milter http", conf->milter_http_listen);
	if (o.json) {
		cli_out_json_close(&o.j, ']');
		cli_out_json_key(&o.j, "ready");
		cli_out_json_bool(&o.j, !o.failed);
		cli_out_json_close(&o.j, '}');
		putchar('\n');
	}
	pw_conf_release(&conf);
	return o.failed ? CLI_CHECK_NOT_READY_EXIT : CLI_EXIT_OK;
}
