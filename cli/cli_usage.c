/*
 * cli_usage.c -- `postwarden usage`: live counters against limits.
 *
 *   usage NAME [--key | --tenant] [--at TIME]
 *
 * NAME is a key id or a tenant name (--key or --tenant when it is both).
 * For the UTC hour, day and month windows holding TIME (default now):
 * recipients billed (the used counters), reserved (live members of the
 * reservation sets: score > TIME in ms), the limit, what is left and when
 * the window resets; then the rate limiter (GCRA) state and today's
 * messages and bytes.  The rate limiter is shown as it is now, also with
 * --at.
 *
 * Exports: cli_usage.
 *
 * Redis (docs/redis-schema.md), read only, all in the tenant's slot:
 * pw:{T}:used:<who>:<h|d|m>:<id>, pw:{T}:resv:<who>:<h|d|m>:<id>,
 * pw:{T}:gcra:<who>, pw:{T}:msgs:<who>:d:<id>, pw:{T}:bytes:<who>:d:<id>
 * and the record for the limits; <who> is "tenant" or "key:<id>".
 *
 * Failures: unknown name exit 1, ambiguous or bad input exit 64, Redis
 * trouble exit 2.
 */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "identity.h"

#define CLI_USAGE_GROUP	"usage"

/* One calendar window of TIME. */
struct cli_usage_window {
	const char	*name;		/* hour, day, month */
	char		 kind;		/* h, d, m */
	const char	*limit_field;	/* quota_hour, ... */
	char		 id[16];	/* 2026112705 */
	int64_t		 end;		/* Unix time it resets */
	long long	 used, reserved;
	long long	 limit;	/* or CLI_USAGE_NONE, _INVALID */
};

/* Fill the hour, day and month windows that hold t. */
static void
cli_usage_windows(int64_t t, struct cli_usage_window w[3])
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	w[0].name = "hour";
	w[0].kind = 'h';
	w[0].limit_field = "quota_hour";
	strftime(w[0].id, sizeof(w[0].id), "%Y%m%d%H", &tm);
	w[0].end = t - t % 3600 + 3600;
	w[1].name = "day";
	w[1].kind = 'd';
	w[1].limit_field = "quota_day";
	strftime(w[1].id, sizeof(w[1].id), "%Y%m%d", &tm);
	w[1].end = t - t % 86400 + 86400;
	w[2].name = "month";
	w[2].kind = 'm';
	w[2].limit_field = "quota_month";
	strftime(w[2].id, sizeof(w[2].id), "%Y%m", &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mon++;		/* timegm carries into the next year */
	w[2].end = (int64_t)timegm(&tm);
}

/* GET a counter: its value, 0 when absent, -1 after printing why. */
static long long
cli_usage_get(struct cli_db *db, const char *key)
{
	redisReply *reply;
	long long n;

	if ((reply = cli_util_cmd(db, "GET", key, NULL)) == NULL)
		return -1;
	n = reply->type == REDIS_REPLY_NIL ? 0 : cli_util_reply_int(reply);
	if (n < 0) {
		cli_error("%s: not a counter", key);
		n = -1;
	}
	freeReplyObject(reply);
	return n;
}

/* A limit that is not set, and one postwarden-policyd cannot read. */
#define CLI_USAGE_NONE		(-1)
#define CLI_USAGE_INVALID	(-2)

/*
 * A limit field as lua/rcpt.lua reads it: absent, empty or 0 is
 * CLI_USAGE_NONE; decimal digits (at most 15) the limit; anything else
 * CLI_USAGE_INVALID (the daemon defers the subject's mail).
 */
static long long
cli_usage_limit(const redisReply *hash, const char *field)
{
	const char *v = cli_util_hash_get(hash, field);
	uint64_t n;

	if (v == NULL || *v == '\0')
		return CLI_USAGE_NONE;
	if (strlen(v) > 15 || cli_util_uint(v, UINT64_MAX, &n) < 0)
		return CLI_USAGE_INVALID;
	return n == 0 ? CLI_USAGE_NONE : (long long)n;
}

/* The limit fields lua/rcpt.lua validates (LIMITS there). */
static const char *const cli_usage_limit_fields[] = {
	"quota_hour", "quota_day", "quota_month", "rate", "rate_period",
	"burst", "max_size", "max_recipients",
};
#define CLI_USAGE_NLIMITS	\
	(sizeof(cli_usage_limit_fields) / sizeof(cli_usage_limit_fields[0]))

/* The rate limiter: its settings and how many it admits at now_ms. */
struct cli_usage_rate {
	long long	 rate, period, burst;	/* rate CLI_USAGE_NONE */
	bool		 has_tat;
	double		 tat_ms;
	long long	 admissible;	/* now */
	double		 next_ms;	/* when the next one passes */
};

/*
 * GCRA as postwarden-policyd runs it: T = period / rate; an arrival at
 * now passes when max(tat, now) - now <= burst * T.
 */
static void
cli_usage_gcra(struct cli_usage_rate *r, double now_ms)
{
	double T, ahead, tat;

	if (r->rate <= 0)
		return;
	T = (double)r->period * 1000.0 / (double)r->rate;
	tat = r->has_tat && r->tat_ms > now_ms ? r->tat_ms : now_ms;
	ahead = tat - now_ms;
	if (ahead <= (double)r->burst * T) {
		r->admissible = (long long)floor(((double)r->burst * T -
		    ahead) / T) + 1;
		r->next_ms = now_ms;
	} else {
		r->admissible = 0;
		r->next_ms = tat - (double)r->burst * T;
	}
}

/*
 * Read a subject's counters in the windows of at and print them; live
 * reservations are those expiring after at_ms, the rate limiter is
 * always evaluated at now_ms, the real time.  An exit code.
 */
static int
cli_usage_show(struct cli_db *db, const char *tenant, const char *keyid,
    int64_t at, double at_ms, double now_ms)
{
	struct cli_usage_window w[3];
	struct cli_usage_rate rate;
	char who[PW_IDENTITY_KEY_MAX + 8], *k, *rec, ms[32];
	char t1[CLI_TIME_MAX], t2[CLI_TIME_MAX];
	char used[24], resv[24], lim[24], left[24];
	redisReply *hash, *reply;
	struct cli_table t;
	struct cli_json j;
	long long msgs, bytes;
	const char *invalid[CLI_USAGE_NLIMITS];
	size_t ninvalid = 0, f;
	int i, rc = CLI_EXIT_FAIL;

	memset(&rate, 0, sizeof(rate));
	if (keyid != NULL) {
		snprintf(who, sizeof(who), "key:%s", keyid);
		rec = cli_util_key(db, "{%s}:key:%s", tenant, keyid);
	} else {
		snprintf(who, sizeof(who), "tenant");
		rec = cli_util_key(db, "{%s}:tenant", tenant);
	}
	hash = cli_util_cmd(db, "HGETALL", rec, NULL);
	free(rec);
	if (hash == NULL)
		return CLI_EXIT_FAIL;
	cli_usage_windows(at, w);
	snprintf(ms, sizeof(ms), "(%.0f", at_ms);
	for (i = 0; i < 3; i++) {
		k = cli_util_key(db, "{%s}:used:%s:%c:%s", tenant, who,
		    w[i].kind, w[i].id);
		w[i].used = cli_usage_get(db, k);
		free(k);
		if (w[i].used < 0)
			goto out;
		k = cli_util_key(db, "{%s}:resv:%s:%c:%s", tenant, who,
		    w[i].kind, w[i].id);
		reply = cli_util_cmd(db, "ZCOUNT", k, ms, "+inf", NULL);
		free(k);
		if (reply == NULL)
			goto out;
		w[i].reserved = cli_util_reply_int(reply);
		freeReplyObject(reply);
		w[i].limit = cli_usage_limit(hash, w[i].limit_field);
	}
	/* Any unreadable limit defers every recipient: show which. */
	for (f = 0; f < CLI_USAGE_NLIMITS; f++)
		if (cli_usage_limit(hash, cli_usage_limit_fields[f]) ==
		    CLI_USAGE_INVALID)
			invalid[ninvalid++] = cli_usage_limit_fields[f];
	rate.rate = cli_usage_limit(hash, "rate");
	rate.period = cli_usage_limit(hash, "rate_period") == 60 ? 60 : 1;
	rate.burst = cli_usage_limit(hash, "burst");
	if (rate.burst < 0)
		rate.burst = 0;
	if (ninvalid > 0)
		rate.rate = CLI_USAGE_NONE;
	k = cli_util_key(db, "{%s}:gcra:%s", tenant, who);
	reply = cli_util_cmd(db, "GET", k, NULL);
	free(k);
	if (reply == NULL)
		goto out;
	if (reply->type == REDIS_REPLY_STRING) {
		char *end;

		rate.tat_ms = strtod(reply->str, &end);
		rate.has_tat = *end == '\0' && end != reply->str;
	}
	freeReplyObject(reply);
	cli_usage_gcra(&rate, now_ms);
	k = cli_util_key(db, "{%s}:msgs:%s:d:%s", tenant, who, w[1].id);
	msgs = cli_usage_get(db, k);
	free(k);
	k = cli_util_key(db, "{%s}:bytes:%s:d:%s", tenant, who, w[1].id);
	bytes = msgs < 0 ? -1 : cli_usage_get(db, k);
	free(k);
	if (bytes < 0)
		goto out;

	if (db->json) {
		cli_out_json_init(&j, stdout);
		cli_out_json_open(&j, '{');
		cli_out_json_key(&j, "subject");
		cli_out_json_cstr(&j, keyid != NULL ? "key" : "tenant");
		cli_out_json_key(&j, "key");
		cli_out_json_cstr(&j, keyid);
		cli_out_json_key(&j, "tenant");
		cli_out_json_cstr(&j, tenant);
		cli_out_json_key(&j, "time");
		cli_out_json_cstr(&j, cli_out_time(at, t1));
		cli_out_json_key(&j, "windows");
		cli_out_json_open(&j, '[');
		for (i = 0; i < 3; i++) {
			cli_out_json_open(&j, '{');
			cli_out_json_key(&j, "window");
			cli_out_json_cstr(&j, w[i].name);
			cli_out_json_key(&j, "period");
			cli_out_json_cstr(&j, w[i].id);
			cli_out_json_key(&j, "used");
			cli_out_json_int(&j, w[i].used);
			cli_out_json_key(&j, "reserved");
			cli_out_json_int(&j, w[i].reserved);
			cli_out_json_key(&j, "limit");
			if (w[i].limit == CLI_USAGE_INVALID)
				cli_out_json_cstr(&j, "invalid");
			else if (w[i].limit < 0)
				cli_out_json_null(&j);
			else
				cli_out_json_int(&j, w[i].limit);
			cli_out_json_key(&j, "remaining");
			if (ninvalid > 0) {
				cli_out_json_int(&j, 0);
			} else if (w[i].limit < 0) {
				cli_out_json_null(&j);
			} else {
				long long r = w[i].limit - w[i].used -
				    w[i].reserved;

				cli_out_json_int(&j, r > 0 ? r : 0);
			}
			cli_out_json_key(&j, "resets");
			cli_out_json_cstr(&j, cli_out_time(w[i].end, t1));
			cli_out_json_close(&j, '}');
		}
		cli_out_json_close(&j, ']');
		cli_out_json_key(&j, "rate");
		if (rate.rate < 0) {
			cli_out_json_null(&j);
		} else {
			cli_out_json_open(&j, '{');
			cli_out_json_key(&j, "rate");
			cli_out_json_int(&j, rate.rate);
			cli_out_json_key(&j, "period");
			cli_out_json_int(&j, rate.period);
			cli_out_json_key(&j, "burst");
			cli_out_json_int(&j, rate.burst);
			cli_out_json_key(&j, "tat_ms");
			if (rate.has_tat)
				cli_out_json_int(&j, (long long)rate.tat_ms);
			else
				cli_out_json_null(&j);
			cli_out_json_key(&j, "admissible_now");
			cli_out_json_int(&j, rate.admissible);
			cli_out_json_key(&j, "next_ms");
			cli_out_json_int(&j, (long long)ceil(rate.next_ms));
			cli_out_json_close(&j, '}');
		}
		cli_out_json_key(&j, "invalid");
		cli_out_json_open(&j, '[');
		for (f = 0; f < ninvalid; f++)
			cli_out_json_cstr(&j, invalid[f]);
		cli_out_json_close(&j, ']');
		cli_out_json_key(&j, "messages_today");
		cli_out_json_int(&j, msgs);
		cli_out_json_key(&j, "bytes_today");
		cli_out_json_int(&j, bytes);
		cli_out_json_close(&j, '}');
		putchar('\n');
		rc = CLI_EXIT_OK;
		goto out;
	}
	if (keyid != NULL)
		printf("key %s (tenant %s) at %s\n", keyid, tenant,
		    cli_out_time(at, t1));
	else
		printf("tenant %s at %s\n", tenant, cli_out_time(at, t1));
	cli_out_table_init(&t, 7);
	cli_out_table_row(&t, "WINDOW", "PERIOD", "USED", "RESERVED", "LIMIT",
	    "LEFT", "RESETS");
	for (i = 0; i < 3; i++) {
		long long r = w[i].limit - w[i].used - w[i].reserved;

		snprintf(used, sizeof(used), "%lld", w[i].used);
		snprintf(resv, sizeof(resv), "%lld", w[i].reserved);
		snprintf(lim, sizeof(lim), "%lld", w[i].limit);
		snprintf(left, sizeof(left), "%lld", r > 0 ? r : 0);
		cli_out_table_row(&t, w[i].name, w[i].id, used, resv,
		    w[i].limit == CLI_USAGE_INVALID ? "invalid" :
		    w[i].limit < 0 ? "none" : lim,
		    ninvalid > 0 ? "0" : w[i].limit < 0 ? "-" : left,
		    cli_out_time(w[i].end, t1));
	}
	cli_out_table_print(&t, stdout);
	cli_out_table_free(&t);
	if (ninvalid > 0) {
		for (f = 0; f < ninvalid; f++)
			printf("invalid: %s is not a valid limit (decimal "
			    "digits; 0 or none for no limit): "
			    "postwarden-policyd defers every recipient until "
			    "it is corrected\n", invalid[f]);
	} else if (rate.rate < 0)
		printf("rate: no limit\n");
	else if (rate.admissible > 0)
		printf("rate: %lld/%s, burst %lld: %lld recipient%s may pass "
		    "now\n", rate.rate, rate.period == 60 ? "m" : "s",
		    rate.burst, rate.admissible,
		    rate.admissible == 1 ? "" : "s");
	else
		printf("rate: %lld/%s, burst %lld: limited, the next "
		    "recipient may pass at %s (in %.0f ms)\n", rate.rate,
		    rate.period == 60 ? "m" : "s", rate.burst,
		    cli_out_time((int64_t)(rate.next_ms / 1000.0), t2),
		    ceil(rate.next_ms - now_ms));
	printf("today: %lld message%s, %lld byte%s\n", msgs,
	    msgs == 1 ? "" : "s", bytes, bytes == 1 ? "" : "s");
	rc = CLI_EXIT_OK;
out:
	freeReplyObject(hash);
	return rc;
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
	int64_t at = 0;
	double now_ms, at_ms;
	struct timespec ts;
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
			if (cli_util_time(optarg, &at) < 0 || at == 0) {
				cli_error("--at: expected Unix seconds or "
				    "YYYY-MM-DD[THH:MM[:SS]Z]; got '%s'",
				    cli_out_safe(safe, sizeof(safe), optarg,
				    strlen(optarg)));
				return CLI_EXIT_USAGE;
			}
			break;
		default:
			cli_util_badopt("usage", ch, argv);
			return cli_util_usage(CLI_USAGE_GROUP,
			    CLI_USAGE_USAGE);
		}
	}
	if (argc - optind != 1 || (want_key && want_tenant))
		return cli_util_usage(CLI_USAGE_GROUP, CLI_USAGE_USAGE);
	name = argv[optind];
	if (want_tenant ? cli_util_check_tenant(name) < 0 :
	    cli_util_check_key(name) < 0)
		return CLI_EXIT_USAGE;
	clock_gettime(CLOCK_REALTIME, &ts);
	now_ms = (double)ts.tv_sec * 1000.0 + (double)(ts.tv_nsec / 1000000);
	if (at != 0) {
		at_ms = (double)at * 1000.0;
	} else {
		at = (int64_t)ts.tv_sec;
		at_ms = now_ms;
	}
	if ((rc = cli_util_open(opts, json, &db)) != CLI_EXIT_OK)
		return rc;
	if (!want_tenant) {
		is_key = cli_util_key_tenant(&db, name, tenant,
		    sizeof(tenant));
		if (is_key < 0) {
			rc = CLI_EXIT_FAIL;
			goto out;
		}
		is_key = is_key == 0;
	}
	if (!want_key && pw_identity_valid_tenant(name, strlen(name))) {
		if ((is_tenant = cli_util_tenant_exists(&db, name)) < 0) {
			rc = CLI_EXIT_FAIL;
			goto out;
		}
	}
	if (is_key && is_tenant) {
		cli_error("%s is both a key and a tenant: say --key or "
		    "--tenant", name);
		rc = CLI_EXIT_USAGE;
	} else if (is_key) {
		rc = cli_usage_show(&db, tenant, name, at, at_ms, now_ms);
	} else if (is_tenant) {
		rc = cli_usage_show(&db, name, NULL, at, at_ms, now_ms);
	} else {
		cli_error("unknown %s: %s", want_key ? "key" : want_tenant ?
		    "tenant" : "key or tenant", name);
		rc = CLI_EXIT_NOTFOUND;
	}
out:
	cli_util_close(&db);
	return rc;
}
