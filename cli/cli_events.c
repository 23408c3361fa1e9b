/*
 * cli_events.c -- `postwarden events tail`: the event stream.
 *
 *   events tail [--tenant TENANT] [--count N] [--follow]
 *
 * Prints the last N events (default 10) of pw:events, oldest first, one
 * line each: "TIME TYPE field=value ...", or one JSON object per line
 * with --json ({"id": stream id, then every field as a string}).  With
 * --tenant only events whose tenant field is TENANT count.  --follow then
 * waits for new events (XREAD BLOCK, in slices shorter than
 * redis_command_timeout) until SIGINT or SIGTERM, which end it with
 * exit 0.
 *
 * --follow survives Redis going away: a lost connection, a timeout or a
 * Redis that is loading is retried with the reconnect backoff
 * (redis_reconnect_delay doubling up to redis_reconnect_max_delay), and
 * reading goes on after the last id printed, so that nothing the stream
 * still holds is skipped or printed twice.  One line on stderr says the
 * connection went, one that it is back.
 *
 * Exports: cli_events.
 *
 * Redis (docs/redis-schema.md): the stream pw:events, read only
 * (XREVRANGE, XREAD).
 *
 * Security: events carry text from the network (recipients, replies):
 * printed escaped (cli_out_safe, cli_out_json_escape).
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "identity.h"
#include "schema.h"
#include "xmalloc.h"

#define CLI_EVENTS_GROUP	"events"
#define CLI_EVENTS_USAGE	"tail [--tenant TENANT] [--count N] [--follow]"
#define CLI_EVENTS_PAGE		1000	/* entries per XREVRANGE, XREAD */
#define CLI_EVENTS_COUNT_MAX	1000000
#define CLI_EVENTS_ID_MAX	48

static volatile sig_atomic_t cli_events_stop;

static void
cli_events_on_signal(int sig)
{
	(void)sig;
	cli_events_stop = 1;
}

/* A field of a stream entry's field list, or NULL. */
static const redisReply *
cli_events_field(const redisReply *fields, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < fields->elements; i += 2)
		if (fields->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(fields->element[i]->str, name) == 0)
			return fields->element[i + 1];
	return NULL;
}

/* Whether a reply is a stream entry: [id, [field, value, ...]]. */
static bool
cli_events_is_entry(const redisReply *e)
{
	return e->type == REDIS_REPLY_ARRAY && e->elements == 2 &&
	    e->element[0]->type == REDIS_REPLY_STRING &&
	    e->element[1]->type == REDIS_REPLY_ARRAY;
}

/* Whether an entry is for tenant (NULL: every entry is). */
static bool
cli_events_match(const redisReply *e, const char *tenant)
{
	const redisReply *t;

	if (tenant == NULL)
		return true;
	t = cli_events_field(e->element[1], "tenant");
	return t != NULL && t->type == REDIS_REPLY_STRING &&
	    strcmp(t->str, tenant) == 0;
}

/* Print one entry: a line for humans or a JSON object. */
static void
cli_events_print(const redisReply *e, bool json)
{
	const redisReply *fields = e->element[1], *f, *v;
	char safe[1024], when[CLI_TIME_MAX];
	struct cli_json j;
	long long t;
	size_t i;

	if (json) {
		cli_out_json_init(&j, stdout);
		cli_out_json_open(&j, '{');
		cli_out_json_key(&j, "id");
		cli_out_json_str(&j, e->element[0]->str, e->element[0]->len);
		for (i = 0; i + 1 < fields->elements; i += 2) {
			f = fields->element[i];
			v = fields->element[i + 1];
			if (f->type != REDIS_REPLY_STRING ||
			    v->type != REDIS_REPLY_STRING ||
			    strcmp(f->str, "id") == 0)
				continue;
			cli_out_json_key(&j, f->str);
			cli_out_json_str(&j, v->str, v->len);
		}
		cli_out_json_close(&j, '}');
		putchar('\n');
		return;
	}
	/* The event's time, else the stream id's milliseconds. */
	t = cli_util_reply_int(cli_events_field(fields, "time"));
	if (t <= 0)
		t = strtoll(e->element[0]->str, NULL, 10) / 1000;
	fputs(cli_out_time(t, when), stdout);
	v = cli_events_field(fields, "type");
	printf(" %s", v != NULL && v->type == REDIS_REPLY_STRING ?
	    cli_out_safe(safe, sizeof(safe), v->str, v->len) : "event");
	for (i = 0; i + 1 < fields->elements; i += 2) {
		f = fields->element[i];
		v = fields->element[i + 1];
		if (f->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING ||
		    strcmp(f->str, "type") == 0 || strcmp(f->str, "time") == 0)
			continue;
		printf(" %s=", cli_out_safe(safe, sizeof(safe), f->str,
		    f->len));
		cli_out_safe(safe, sizeof(safe), v->str, v->len);
		if (safe[0] == '\0' || strpbrk(safe, " \"") != NULL) {
			const char *p;

			putchar('"');
			for (p = safe; *p != '\0'; p++) {
				if (*p == '"')
					putchar('\\');
				putchar(*p);
			}
			putchar('"');
		} else {
			fputs(safe, stdout);
		}
	}
	putchar('\n');
}

/*
 * Print the last count events for tenant, oldest first, and leave the
 * newest id of the stream in last.  0, or -1 after printing why.
 */
static int
cli_events_last(struct cli_db *db, const char *stream, const char *tenant,
    long count, bool json, char last[CLI_EVENTS_ID_MAX])
{
	redisReply **pages = NULL, *reply;
	char end[CLI_EVENTS_ID_MAX + 1] = "+", page[24];
	size_t npages = 0, i, k, pagesize;
	long found = 0, skip;
	int rc = 0;

	pagesize = tenant != NULL || count > CLI_EVENTS_PAGE ?
	    CLI_EVENTS_PAGE : (size_t)count;
	snprintf(page, sizeof(page), "%zu", pagesize);
	/* Newest first, a page at a time, until count matches are seen. */
	while (found < count) {
		reply = cli_util_cmd(db, "XREVRANGE", stream, end, "-",
		    "COUNT", page, NULL);
		if (reply == NULL) {
			rc = -1;
			break;
		}
		if (reply->type != REDIS_REPLY_ARRAY ||
		    reply->elements == 0) {
			freeReplyObject(reply);
			break;
		}
		pages = pw_xrealloc(pages, (npages + 1) * sizeof(*pages));
		pages[npages++] = reply;
		for (i = 0; i < reply->elements; i++) {
			const redisReply *e = reply->element[i];

			if (!cli_events_is_entry(e))
				continue;
			if (npages == 1 && i == 0)
				snprintf(last, CLI_EVENTS_ID_MAX, "%s",
				    e->element[0]->str);
			if (cli_events_match(e, tenant))
				found++;
			snprintf(end, sizeof(end), "(%s", e->element[0]->str);
		}
		if (reply->elements < pagesize)
			break;
	}
	/* Oldest first: pages backwards, each page backwards. */
	skip = found > count ? found - count : 0;
	for (k = npages; k-- > 0 && rc == 0; ) {
		reply = pages[k];
		for (i = reply->elements; i-- > 0; ) {
			const redisReply *e = reply->element[i];

			if (!cli_events_is_entry(e) ||
			    !cli_events_match(e, tenant))
				continue;
			if (skip > 0) {
				skip--;
				continue;
			}
			cli_events_print(e, json);
		}
	}
	for (k = 0; k < npages; k++)
		freeReplyObject(pages[k]);
	free(pages);
	return rc;
}

/* Sleep ms milliseconds, or less when a signal comes. */
static void
cli_events_nap(int64_t ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	(void)nanosleep(&ts, NULL);
}

/* Whether XREAD failed in a way that trying again can mend. */
static bool
cli_events_retry(const redisReply *reply)
{
	enum pw_redis_error_kind k;

	if (reply == NULL)
		return true;
	k = pw_redis_reply_error_kind(reply);
	return k == PW_REDIS_ERR_LOADING || k == PW_REDIS_ERR_BUSY;
}

/* Print the entries of an XREAD reply for tenant; remember the last id. */
static void
cli_events_read(const redisReply *reply, const char *tenant, bool json,
    char last[CLI_EVENTS_ID_MAX])
{
	const redisReply *entries;
	size_t i;

	/* nil: nothing new; else [[stream, [entries]]]. */
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 1 ||
	    reply->element[0]->type != REDIS_REPLY_ARRAY ||
	    reply->element[0]->elements != 2 ||
	    reply->element[0]->element[1]->type != REDIS_REPLY_ARRAY)
		return;
	entries = reply->element[0]->element[1];
	for (i = 0; i < entries->elements; i++) {
		const redisReply *e = entries->element[i];

		if (!cli_events_is_entry(e))
			continue;
		snprintf(last, CLI_EVENTS_ID_MAX, "%s", e->element[0]->str);
		if (cli_events_match(e, tenant))
			cli_events_print(e, json);
	}
}

/*
 * Print events newer than last as they come, until a signal; Redis
 * trouble is waited out (see the top of the file).  0, or -1 after
 * printing why (an error reply that trying again cannot mend).
 */
static int
cli_events_follow(struct cli_db *db, const char *stream, const char *tenant,
    bool json, char last[CLI_EVENTS_ID_MAX])
{
	struct sigaction sa;
	struct pw_redis_params *params;
	redisReply *reply;
	const char *argv[8], *why;
	char block[16], page[16], safe[256];
	unsigned failures = 0;
	int ms, rc = 0;

	if ((params = pw_redis_params_new(db->conf, &why)) == NULL) {
		cli_error("redis_server: %s", why);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cli_events_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Each read must end before the client gives up on it. */
	ms = db->conf->redis_command_timeout_ms / 2;
	snprintf(block, sizeof(block), "%d", ms > 1000 ? 1000 :
	    ms < 1 ? 1 : ms);
	snprintf(page, sizeof(page), "%d", CLI_EVENTS_PAGE);
	argv[0] = "XREAD";
	argv[1] = "COUNT";
	argv[2] = page;
	argv[3] = "BLOCK";
	argv[4] = block;
	argv[5] = "STREAMS";
	argv[6] = stream;
	argv[7] = last;
	while (!cli_events_stop) {
		if (fflush(stdout) != 0 || ferror(stdout))
			break;	/* the reader went away */
		why = "redis: no reply";
		reply = pw_redis_command_argv(db->redis, 8, argv, NULL, &why);
		if (cli_events_retry(reply) && cli_events_stop) {
			/* A signal cut the read short: not an outage. */
			if (reply != NULL)
				freeReplyObject(reply);
			break;
		}
		if (cli_events_retry(reply)) {
			if (reply != NULL)
				why = pw_redis_error_kind_name(
				    pw_redis_reply_error_kind(reply));
			else if (strncmp(why, "redis: ", 7) == 0)
				why += 7;
			if (failures++ == 0)
				cli_error("redis %s: %s; reconnecting, then "
				    "following on after %s", params->server,
				    why, last);
			if (reply != NULL)
				freeReplyObject(reply);
			cli_events_nap(pw_redis_backoff_ms(params, failures));
			continue;
		}
		if (reply->type == REDIS_REPLY_ERROR) {
			cli_error("redis %s: %s", params->server, cli_out_safe(
			    safe, sizeof(safe), reply->str, reply->len));
			freeReplyObject(reply);
			rc = -1;
			break;
		}
		if (failures > 0) {
			failures = 0;
			cli_error("redis %s: connection restored; following "
			    "on after %s", params->server, last);
		}
		cli_events_read(reply, tenant, json, last);
		freeReplyObject(reply);
	}
	pw_redis_params_free(&params);
	return rc;
}

static int
cli_events_tail(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tenant", required_argument, NULL, CLI_OPT_TENANT },
		{ "count", required_argument, NULL, CLI_OPT_COUNT },
		{ "follow", no_argument, NULL, CLI_OPT_FOLLOW },
		{ "json", no_argument, NULL, CLI_OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	char last[CLI_EVENTS_ID_MAX], safe[64], *stream;
	const char *tenant = NULL;
	bool follow = false, json = false;
	struct cli_db db;
	uint64_t count = 10;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, ":f", longopts, NULL)) != -1) {
		switch (ch) {
		case CLI_OPT_TENANT:
			if (cli_parse_tenant(optarg) < 0)
				return CLI_EXIT_USAGE;
			tenant = optarg;
			break;
		case CLI_OPT_COUNT:
			if (cli_parse_uint(optarg, CLI_EVENTS_COUNT_MAX,
			    &count) < 0) {
				cli_error("--count: expected a whole number "
				    "from 0 to %d; got '%s'",
				    CLI_EVENTS_COUNT_MAX, cli_out_safe(safe,
				    sizeof(safe), optarg, strlen(optarg)));
				return CLI_EXIT_USAGE;
			}
			break;
		case 'f':
		case CLI_OPT_FOLLOW:
			follow = true;
			break;
		case CLI_OPT_JSON:
			json = true;
			break;
		default:
			cli_cmd_badopt("events tail", ch, argv);
			return cli_cmd_usage(CLI_EVENTS_GROUP,
			    CLI_EVENTS_USAGE);
		}
	}
	if (optind != argc)
		return cli_cmd_usage(CLI_EVENTS_GROUP, CLI_EVENTS_USAGE);
	if ((rc = cli_util_open(opts, json, &db)) != CLI_EXIT_OK)
		return rc;
	stream = pw_schema_key_new(db.prefix, PW_SCHEMA_EVENTS,
	    NULL, NULL, NULL);
	rc = CLI_EXIT_OK;
	snprintf(last, sizeof(last), "0-0");
	if (count > 0 && cli_events_last(&db, stream, tenant, (long)count,
	    db.json, last) < 0)
		rc = CLI_EXIT_FAIL;
	if (rc == CLI_EXIT_OK && count == 0 && follow) {
		/* Only what comes: start after the newest entry. */
		redisReply *reply = cli_util_cmd(&db, "XREVRANGE", stream, "+",
		    "-", "COUNT", "1", NULL);

		if (reply == NULL)
			rc = CLI_EXIT_FAIL;
		else if (reply->type == REDIS_REPLY_ARRAY &&
		    reply->elements == 1 &&
		    cli_events_is_entry(reply->element[0]))
			snprintf(last, sizeof(last), "%s",
			    reply->element[0]->element[0]->str);
		if (reply != NULL)
			freeReplyObject(reply);
	}
	if (rc == CLI_EXIT_OK && follow &&
	    cli_events_follow(&db, stream, tenant, db.json, last) < 0)
		rc = CLI_EXIT_FAIL;
	fflush(stdout);
	free(stream);
	cli_util_close(&db);
	return rc;
}

static const struct cli_sub cli_events_subs[] = {
	{ "tail", cli_events_tail, CLI_EVENTS_USAGE },
};

int
cli_events(const struct cli_opts *opts, int argc, char **argv)
{
	return cli_cmd_dispatch(CLI_EVENTS_GROUP, cli_events_subs,
	    sizeof(cli_events_subs) / sizeof(cli_events_subs[0]), opts, argc,
	    argv);
}
