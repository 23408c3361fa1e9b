/*
 * cli_usage.c -- `postwarden usage`: live counters against limits.
 *
 *   usage NAME [--key | --tenant] [--at TIME]
 *
 * NAME is a key id or a tenant name (--key or --tenant when it is both).
 * For the UTC hour, day and month windows holding TIME (default now,
 * Redis's clock): recipients billed (the used counters), reserved (live
 * members of the reservation sets: score > TIME in ms), the limit, what
 * is left and when the window resets; then the rate limiter (GCRA) state,
 * today's messages and bytes, and today's refusals by rule (the policy
 * daemon's and the milter's: quota, rate, sender_domain, from_domain,
 * ...; counted from the event stream by cli_usage_refused.c).  The rate
 * limiter is shown as it is now, also with --at.
 *
 * The windows, the counters and the rate limiter are read by the
 * read-only script lua/usage.lua, which runs the daemon's own calendar
 * and rate code (lua/calendar.lua, lua/gcra.lua): nothing here computes
 * a window or a rate.  The limits are read from the record here
 * (cli_usage_limits, the daemon's definition of a valid limit).
 *
 * Exports: cli_usage.
 *
 * Redis (docs/redis-schema.md), read only, all in the tenant's slot: the
 * record (HGETALL), then lua/usage.lua for pw:{T}:used:*, pw:{T}:resv:*,
 * pw:{T}:gcra:<who>, pw:{T}:msgs:* and pw:{T}:bytes:*; <who> is "tenant"
 * or "key:<id>".  Refusals: the stream pw:events (XRANGE of the day).
 *
 * Failures: unknown name exit 1, ambiguous or bad input exit 64, Redis
 * trouble exit 2.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "identity.h"
#include "limit.h"
#include "lua.h"
#include "schema.h"

#define CLI_USAGE_GROUP	"usage"

/* A limit that is not set, and one postwarden-policyd cannot read. */
#define CLI_USAGE_NONE		(-1)
#define CLI_USAGE_INVALID	(-2)

/* A record's limits as postwarden-policyd reads them. */
struct cli_usage_limits {
	long long	 quota[3];	/* hour, day, month; or CLI_USAGE_* */
	/* The rate limiter's fields, as text for the script ("" none). */
	char		 rate[24], rate_period[24], burst[24];
	const char	*invalid[PW_LIMIT_NFIELDS];	/* unreadable */
	size_t		 ninvalid;
};

/*
 * Read a record's (an HGETALL reply) limits as lua/rcpt.lua does
 * (lib/limit.h): no limit is CLI_USAGE_NONE, an invalid one
 * CLI_USAGE_INVALID, listed in l->invalid (the daemon then defers the
 * subject's mail, and has no rate to show).
 */
static void
cli_usage_limits(const redisReply *hash, struct cli_usage_limits *l)
{
	static const char *const quotas[3] = {
		"quota_hour", "quota_day", "quota_month",
	};
	static const char *const rate[3] = { "rate", "rate_period", "burst" };
	char *text[3] = { l->rate, l->rate_period, l->burst };
	const char *field;
	long long v, n;
	size_t f, i;

	memset(l, 0, sizeof(*l));
	for (f = 0; f < PW_LIMIT_NFIELDS; f++) {
		field = pw_limit_fields[f];
		switch (pw_limit_parse(cli_util_hash_get(hash, field), &n)) {
		case PW_LIMIT_SET:
			v = n;
			break;
		case PW_LIMIT_INVALID:
			v = CLI_USAGE_INVALID;
			l->invalid[l->ninvalid++] = field;
			break;
		default:
			v = CLI_USAGE_NONE;
			break;
		}
		for (i = 0; i < 3; i++) {
			if (strcmp(field, quotas[i]) == 0)
				l->quota[i] = v;
			/* Text for the script; none at all when invalid. */
			if (strcmp(field, rate[i]) == 0 &&
			    v > 0)
				snprintf(text[i], sizeof(l->rate), "%lld",
				    v);
		}
	}
	if (l->ninvalid > 0)
		l->rate[0] = l->rate_period[0] = l->burst[0] = '\0';
}

/* What lua/usage.lua read: one calendar window of the time asked for. */
struct cli_usage_window {
	char		 id[16];	/* 2026112705 */
	long long	 end;		/* Unix time it resets */
	long long	 used, reserved;
};

/* What lua/usage.lua read, in its reply's order. */
struct cli_usage_state {
	long long		 now_ms;	/* Redis's clock */
	long long		 at;		/* the windows' time */
	struct cli_usage_window	 w[3];		/* hour, day, month */
	bool			 has_rate;
	long long		 period;	/* seconds */
	bool			 has_tat;
	long long		 tat_ms;
	long long		 admissible;	/* now */
	long long		 next_ms;	/* when the next may pass */
	long long		 msgs, bytes;	/* today's */
};

/* The script's reply: lua/usage.lua's header says what it holds. */
static struct pw_redis_script cli_usage_script = {
	"usage", pw_lua_usage, ""
};

/* An integer element of an array reply, or -1. */
static long long
cli_usage_int(const redisReply *a, size_t i)
{
	if (a == NULL || a->type != REDIS_REPLY_ARRAY || i >= a->elements)
		return -1;
	return cli_util_reply_int(a->element[i]);
}

/*
 * Run lua/usage.lua for who ("tenant", "key:ID") of tenant, in the
 * windows of at_arg ("" now), with the limits l: 0 and s filled, or -1
 * after printing why.
 */
static int
cli_usage_read(struct cli_db *db, const char *tenant, const char *who,
    const char *at_arg, const struct cli_usage_limits *l,
    struct cli_usage_state *s)
{
	const char *argv[7];
	const redisReply *w, *rate;
	redisReply *reply;
	char *prefix, *gcra;
	size_t i;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	gcra = pw_schema_key_new(db->prefix, PW_SCHEMA_GCRA, tenant, who,
	    NULL);
	prefix = pw_schema_key_new(db->prefix, PW_SCHEMA_SLOT, tenant, NULL,
	    NULL);
	argv[0] = gcra;
	argv[1] = prefix;
	argv[2] = who;
	argv[3] = at_arg;
	argv[4] = l->rate;
	argv[5] = l->rate_period;
	argv[6] = l->burst;
	reply = cli_util_eval(db, &cli_usage_script, 1, 7, argv, NULL);
	free(gcra);
	free(prefix);
	if (reply == NULL)
		return -1;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 6 ||
	    reply->element[2]->type != REDIS_REPLY_ARRAY ||
	    reply->element[2]->elements != 3 ||
	    reply->element[3]->type != REDIS_REPLY_ARRAY)
		goto bad;
	s->now_ms = cli_usage_int(reply, 0);
	s->at = cli_usage_int(reply, 1);
	for (i = 0; i < 3; i++) {
		w = reply->element[2]->element[i];
		if (w->type != REDIS_REPLY_ARRAY || w->elements != 4 ||
		    w->element[0]->type != REDIS_REPLY_STRING ||
		    w->element[0]->len >= sizeof(s->w[i].id))
			goto bad;
		memcpy(s->w[i].id, w->element[0]->str, w->element[0]->len + 1);
		s->w[i].end = cli_usage_int(w, 1);
		s->w[i].used = cli_usage_int(w, 2);
		s->w[i].reserved = cli_usage_int(w, 3);
		if (s->w[i].end < 0 || s->w[i].used < 0 ||
		    s->w[i].reserved < 0)
			goto bad;
	}
	rate = reply->element[3];
	if (rate->elements == 4) {
		s->has_rate = true;
		s->period = cli_usage_int(rate, 0);
		s->has_tat = rate->element[1]->type != REDIS_REPLY_NIL;
		s->tat_ms = s->has_tat ? cli_usage_int(rate, 1) : 0;
		s->admissible = cli_usage_int(rate, 2);
		s->next_ms = cli_usage_int(rate, 3);
		if (s->period <= 0 || s->admissible < 0 || s->next_ms < 0)
			goto bad;
	} else if (rate->elements != 0) {
		goto bad;
	}
	s->msgs = cli_usage_int(reply, 4);
	s->bytes = cli_usage_int(reply, 5);
	if (s->now_ms > 0 && s->at > 0 && s->msgs >= 0 && s->bytes >= 0)
		rc = 0;
bad:
	if (rc < 0)
		cli_error("script %s: unexpected reply", cli_usage_script.name);
	freeReplyObject(reply);
	return rc;
}

/* The names of the windows, in the script's order. */
static const char *const cli_usage_window_names[3] = {
	"hour", "day", "month",
};

/* Print s and l as one JSON object. */
static void
cli_usage_print_json(const char *tenant, const char *keyid,
    const struct cli_usage_limits *l, const struct cli_usage_state *s,
    const struct cli_usage_refused *ref)
{
	char t1[CLI_TIME_MAX];
	struct cli_json j;
	size_t f;
	int i;

	cli_out_json_init(&j, stdout);
	cli_out_json_open(&j, '{');
	cli_out_json_key(&j, "subject");
	cli_out_json_cstr(&j, keyid != NULL ? "key" : "tenant");
	cli_out_json_key(&j, "key");
	cli_out_json_cstr(&j, keyid);
	cli_out_json_key(&j, "tenant");
	cli_out_json_cstr(&j, tenant);
	cli_out_json_key(&j, "time");
	cli_out_json_cstr(&j, cli_out_time(s->at, t1));
	cli_out_json_key(&j, "windows");
	cli_out_json_open(&j, '[');
	for (i = 0; i < 3; i++) {
		cli_out_json_open(&j, '{');
		cli_out_json_key(&j, "window");
		cli_out_json_cstr(&j, cli_usage_window_names[i]);
		cli_out_json_key(&j, "period");
		cli_out_json_cstr(&j, s->w[i].id);
		cli_out_json_key(&j, "used");
		cli_out_json_int(&j, s->w[i].used);
		cli_out_json_key(&j, "reserved");
		cli_out_json_int(&j, s->w[i].reserved);
		cli_out_json_key(&j, "limit");
		if (l->quota[i] == CLI_USAGE_INVALID)
			cli_out_json_cstr(&j, "invalid");
		else if (l->quota[i] < 0)
			cli_out_json_null(&j);
		else
			cli_out_json_int(&j, l->quota[i]);
		cli_out_json_key(&j, "remaining");
		if (l->ninvalid > 0) {
			cli_out_json_int(&j, 0);
		} else if (l->quota[i] < 0) {
			cli_out_json_null(&j);
		} else {
			long long r = l->quota[i] - s->w[i].used -
			    s->w[i].reserved;

			cli_out_json_int(&j, r > 0 ? r : 0);
		}
		cli_out_json_key(&j, "resets");
		cli_out_json_cstr(&j, cli_out_time(s->w[i].end, t1));
		cli_out_json_close(&j, '}');
	}
	cli_out_json_close(&j, ']');
	cli_out_json_key(&j, "rate");
	if (!s->has_rate) {
		cli_out_json_null(&j);
	} else {
		cli_out_json_open(&j, '{');
		cli_out_json_key(&j, "rate");
		cli_out_json_int(&j, strtoll(l->rate, NULL, 10));
		cli_out_json_key(&j, "period");
		cli_out_json_int(&j, s->period);
		cli_out_json_key(&j, "burst");
		cli_out_json_int(&j, strtoll(l->burst, NULL, 10));
		cli_out_json_key(&j, "tat_ms");
		if (s->has_tat)
			cli_out_json_int(&j, s->tat_ms);
		else
			cli_out_json_null(&j);
		cli_out_json_key(&j, "admissible_now");
		cli_out_json_int(&j, s->admissible);
		cli_out_json_key(&j, "next_ms");
		cli_out_json_int(&j, s->next_ms);
		cli_out_json_close(&j, '}');
	}
	cli_out_json_key(&j, "invalid");
	cli_out_json_open(&j, '[');
	for (f = 0; f < l->ninvalid; f++)
		cli_out_json_cstr(&j, l->invalid[f]);
	cli_out_json_close(&j, ']');
	cli_out_json_key(&j, "messages_today");
	cli_out_json_int(&j, s->msgs);
	cli_out_json_key(&j, "bytes_today");
	cli_out_json_int(&j, s->bytes);
	cli_out_json_key(&j, "refused_today");
	cli_out_json_open(&j, '{');
	cli_out_json_key(&j, "total");
	cli_out_json_int(&j, ref->total);
	cli_out_json_key(&j, "rules");
	cli_out_json_open(&j, '{');
	for (f = 0; f < ref->nrules; f++) {
		cli_out_json_key(&j, ref->rules[f].rule);
		cli_out_json_int(&j, ref->rules[f].n);
	}
	cli_out_json_close(&j, '}');
	cli_out_json_key(&j, "since");
	if (ref->since_ms > 0)
		cli_out_json_cstr(&j, cli_out_time(ref->since_ms / 1000, t1));
	else
		cli_out_json_null(&j);
	cli_out_json_close(&j, '}');
	cli_out_json_close(&j, '}');
	putchar('\n');
}

/* Print s and l for humans: a line, a table of the windows, lines. */
static void
cli_usage_print_text(const char *tenant, const char *keyid,
    const struct cli_usage_limits *l, const struct cli_usage_state *s,
    const struct cli_usage_refused *ref)
{
	char t1[CLI_TIME_MAX], per[24];
	char used[24], resv[24], lim[24], left[24];
	struct cli_table t;
	long long rate, burst;
	size_t f;
	int i;

	if (keyid != NULL)
		printf("key %s (tenant %s) at %s\n", keyid, tenant,
		    cli_out_time(s->at, t1));
	else
		printf("tenant %s at %s\n", tenant, cli_out_time(s->at, t1));
	cli_out_table_init(&t, 7);
	cli_out_table_row(&t, "WINDOW", "PERIOD", "USED", "RESERVED", "LIMIT",
	    "LEFT", "RESETS");
	for (i = 0; i < 3; i++) {
		long long r = l->quota[i] - s->w[i].used - s->w[i].reserved;

		snprintf(used, sizeof(used), "%lld", s->w[i].used);
		snprintf(resv, sizeof(resv), "%lld", s->w[i].reserved);
		snprintf(lim, sizeof(lim), "%lld", l->quota[i]);
		snprintf(left, sizeof(left), "%lld", r > 0 ? r : 0);
		cli_out_table_row(&t, cli_usage_window_names[i], s->w[i].id,
		    used, resv,
		    l->quota[i] == CLI_USAGE_INVALID ? "invalid" :
		    l->quota[i] < 0 ? "none" : lim,
		    l->ninvalid > 0 ? "0" : l->quota[i] < 0 ? "-" : left,
		    cli_out_time(s->w[i].end, t1));
	}
	cli_out_table_print(&t, stdout);
	cli_out_table_free(&t);
	rate = strtoll(l->rate, NULL, 10);
	burst = strtoll(l->burst, NULL, 10);
	/* As postwarden-policyd's reply names the period. */
	if (s->period == 1)
		snprintf(per, sizeof(per), "s");
	else if (s->period == 60)
		snprintf(per, sizeof(per), "m");
	else
		snprintf(per, sizeof(per), "%llds", s->period);
	if (l->ninvalid > 0) {
		for (f = 0; f < l->ninvalid; f++)
			printf("invalid: %s is not a valid limit (decimal "
			    "digits; 0 or none for no limit): "
			    "postwarden-policyd defers every recipient until "
			    "it is corrected\n", l->invalid[f]);
	} else if (!s->has_rate)
		printf("rate: no limit\n");
	else if (s->admissible > 0)
		printf("rate: %lld/%s, burst %lld: %lld recipient%s may pass "
		    "now\n", rate, per, burst, s->admissible,
		    s->admissible == 1 ? "" : "s");
	else	/* the second it may pass, rounded up as the daemon's */
		printf("rate: %lld/%s, burst %lld: limited, the next "
		    "recipient may pass at %s (in %lld ms)\n", rate, per,
		    burst, cli_out_time((s->next_ms + 999) / 1000, t1),
		    s->next_ms - s->now_ms);
	printf("today: %lld message%s, %lld byte%s\n", s->msgs,
	    s->msgs == 1 ? "" : "s", s->bytes, s->bytes == 1 ? "" : "s");
	/* "refused today: 3 (sender_domain 2, quota 1)" */
	printf("refused today: %lld", ref->total);
	for (f = 0; f < ref->nrules; f++)
		printf("%s%s %lld", f == 0 ? " (" : ", ", ref->rules[f].rule,
		    ref->rules[f].n);
	printf("%s", ref->nrules > 0 ? ")" : "");
	if (ref->since_ms > 0)
		printf("; the event stream holds events since %s only",
		    cli_out_time(ref->since_ms / 1000, t1));
	putchar('\n');
}

/*
 * Read a subject's record and, through lua/usage.lua, its counters in
 * the windows of at_arg ("" now) and its rate limiter now; print them.
 * An exit code.
 */
static int
cli_usage_show(struct cli_db *db, const char *tenant, const char *keyid,
    const char *at_arg)
{
	char who[PW_IDENTITY_KEY_MAX + 8], *rec;
	struct cli_usage_refused ref;
	struct cli_usage_limits l;
	struct cli_usage_state s;
	redisReply *hash;

	if (keyid != NULL) {
		(void)pw_schema_key(who, sizeof(who), "", PW_SCHEMA_WHO_KEY,
		    NULL, keyid, NULL);
		rec = pw_schema_key_new(db->prefix, PW_SCHEMA_KEY, tenant,
		    keyid, NULL);
	} else {
		(void)pw_schema_key(who, sizeof(who), "", PW_SCHEMA_WHO_TENANT,
		    NULL, NULL, NULL);
		rec = pw_schema_key_new(db->prefix, PW_SCHEMA_TENANT, tenant,
		    NULL, NULL);
	}
	hash = cli_util_cmd(db, "HGETALL", rec, NULL);
	free(rec);
	if (hash == NULL)
		return CLI_EXIT_FAIL;
	cli_usage_limits(hash, &l);
	freeReplyObject(hash);
	if (cli_usage_read(db, tenant, who, at_arg, &l, &s) < 0)
		return CLI_EXIT_FAIL;
	/* The day of the windows: it ends when the day window resets. */
	if (cli_usage_refused_read(db, tenant, keyid, s.w[1].end - 86400,
	    s.w[1].end, &ref) < 0)
		return CLI_EXIT_FAIL;
	if (db->json)
		cli_usage_print_json(tenant, keyid, &l, &s, &ref);
	else
		cli_usage_print_text(tenant, keyid, &l, &s, &ref);
	return CLI_EXIT_OK;
}

int
cli_usage(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key", no_argument, NULL, CLI_OPT_KEY },
		{ "tenant", no_argument, NULL, CLI_OPT_TENANT },
		{ "at", required_argument, NULL, CLI_OPT_AT },
		{ "json", no_argument, NULL, CLI_OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	char tenant[PW_IDENTITY_TENANT_MAX + 1], safe[64];
	bool want_key = false, want_tenant = false, json = false;
	const char *name;
	char at_arg[24] = "";
	int64_t at = 0;
	struct cli_db db;
	int ch, rc, is_key = 0, is_tenant = 0;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (ch) {
		case CLI_OPT_KEY:
			want_key = true;
			break;
		case CLI_OPT_TENANT:
			want_tenant = true;
			break;
		case CLI_OPT_JSON:
			json = true;
			break;
		case CLI_OPT_AT:
			if (cli_parse_time(optarg, &at) < 0 || at == 0) {
				cli_error("--at: expected Unix seconds or "
				    "YYYY-MM-DD[THH:MM[:SS]Z]; got '%s'",
				    cli_out_safe(safe, sizeof(safe), optarg,
				    strlen(optarg)));
				return CLI_EXIT_USAGE;
			}
			snprintf(at_arg, sizeof(at_arg), "%lld",
			    (long long)at);
			break;
		default:
			cli_cmd_badopt("usage", ch, argv);
			return cli_cmd_usage(CLI_USAGE_GROUP,
			    CLI_USAGE_USAGE);
		}
	}
	if (argc - optind != 1 || (want_key && want_tenant))
		return cli_cmd_usage(CLI_USAGE_GROUP, CLI_USAGE_USAGE);
	name = argv[optind];
	if (want_tenant ? cli_parse_tenant(name) < 0 :
	    cli_parse_key(name) < 0)
		return CLI_EXIT_USAGE;
	if ((rc = cli_util_open(opts, json, &db)) != CLI_EXIT_OK)
		return rc;
	if (!want_tenant) {
		is_key = cli_lookup_key_tenant(&db, name, tenant,
		    sizeof(tenant));
		if (is_key < 0) {
			rc = CLI_EXIT_FAIL;
			goto out;
		}
		is_key = is_key == 0;
	}
	if (!want_key && pw_identity_valid_tenant(name, strlen(name))) {
		if ((is_tenant = cli_lookup_tenant_exists(&db, name)) < 0) {
			rc = CLI_EXIT_FAIL;
			goto out;
		}
	}
	if (is_key && is_tenant) {
		cli_error("%s is both a key and a tenant: say --key or "
		    "--tenant", name);
		rc = CLI_EXIT_USAGE;
	} else if (is_key) {
		rc = cli_usage_show(&db, tenant, name, at_arg);
	} else if (is_tenant) {
		rc = cli_usage_show(&db, name, NULL, at_arg);
	} else {
		cli_error("unknown %s: %s", want_key ? "key" : want_tenant ?
		    "tenant" : "key or tenant", name);
		rc = CLI_EXIT_NOTFOUND;
	}
out:
	cli_util_close(&db);
	return rc;
}
