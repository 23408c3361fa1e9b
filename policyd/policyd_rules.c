/*
 * policyd_rules.c -- quota and suppression rules (see policyd_rules.h).
 *
 * Exports: policyd_rules_load, _init, _rcpt, _eom, _failed, _unknown,
 * _txn_note, _txn_end.
 *
 * Scripts: lua/rcpt_read.lua, lua/rcpt.lua, lua/eom.lua, lua/event.lua
 * and lua/release.lua, embedded at build time (lib/lua.h), all but the
 * release run with EVALSHA (EVAL on NOSCRIPT: lib/redis_async), the
 * release with EVAL so that it runs before the request sent after it.
 * One round trip per decision (two when the records are read first);
 * the billed/refused event is a second command pipelined behind it,
 * whose reply nobody waits for.  An unknown key costs one EXISTS of the store marker before it is
 * refused; it and a recipient or sender that has no normal form
 * (lib/address: too long, bad domain) append their event alone (no
 * decision script runs for them).
 *
 * Records: what a decision reads of the tenant and key records comes
 * from policyd/policyd_records.c's copy, read by lua/rcpt_read.lua
 * under the tenant's generation (pw:{T}:gen) when missing or older than
 * identity_cache_ttl; lua/rcpt.lua confirms the generation as it counts,
 * and answers "stale" when it changed: the records are read again and
 * the count retried once (then the fail mode).  The checks that are the
 * same for every recipient (a lost record, status, the sender's domain,
 * an invalid limit, country) are made here from that copy and passed to
 * the script, which returns them (after its retry check) once the
 * generation is confirmed: the order of the rules is unchanged.
 *
 * Senders: the envelope sender's domain in normal form (lib/address);
 * whether the tenant owns it is read with the records (tenant_domains_
 * required for a tenant that owns none).  A sender
 * without a normal form is refused (550 5.1.7) before Redis is asked,
 * like a recipient without one.
 *
 * Recipients: the script sees each in its normal form (lib/address), so
 * a suppression, a reservation and a retry match however the address
 * was written (case, a trailing dot, U-labels).  One that cannot be held
 * whole is refused (550 5.1.3), never cut into someone else.
 *
 * Ownership: each decision in flight is a struct policyd_rules_call,
 * freed by the reply callback (lib/redis_async calls it exactly once).
 * It copies what the event needs: the request may be answered and freed
 * before the event is sent.
 *
 * Failures: no reply, a timeout or an error reply is Redis trouble:
 * policyd_fail_mode decides, and the first failure of an outage and the
 * first success after it are logged (once each, not per request).  A
 * reply of the wrong shape is a bug: logged, then the fail mode.
 *
 * Replies: every action is made from its rule's row of lib/rule (code,
 * enhanced status, text, event name); the script's answer and the
 * check that refused are looked up in tables (enums from there on).
 *
 * Security: the action never contains peer text: key ids and tenant
 * names are validated by lib/identity, numbers are formatted here, and
 * text from Redis records (suppression reason and source, country list)
 * is reduced to a safe alphabet and bounded.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "address.h"
#include "clock.h"
#include "geoip.h"
#include "limit.h"
#include "log.h"
#include "lua.h"
#include "policyd_metrics.h"
#include "policyd_records.h"
#include "policyd_rules.h"
#include "redis_common.h"
#include "schema.h"
#include "rule.h"
#include "xmalloc.h"


static struct pw_redis_script policyd_rules_rcpt_script = {
	"rcpt", pw_lua_rcpt, ""
};
static struct pw_redis_script policyd_rules_read_script = {
	"rcpt_read", pw_lua_rcpt_read, ""
};
static struct pw_redis_script policyd_rules_eom_script = {
	"eom", pw_lua_eom, ""
};
static struct pw_redis_script policyd_rules_event_script = {
	"event", pw_lua_event, ""
};


/* Room for an action line; Postfix allows far more, we need less. */
#define POLICYD_RULES_ACTION_MAX	512
/* Room for one field of a script reply. */
#define POLICYD_RULES_FIELD_MAX		128
/* Room for a key name: prefix (64) + tag (64) + "txn:" + instance. */
#define POLICYD_RULES_KEY_MAX		(PW_IDENTITY_KEY_MAX + 512)
/* Room for a slot prefix: redis_key_prefix (64) + "{" tenant "}:". */
#define POLICYD_RULES_SLOT_MAX		(64 + PW_IDENTITY_TENANT_MAX + 8)
/* Longest instance attribute used as such (Postfix's are ~25 bytes). */
#define POLICYD_RULES_INSTANCE_MAX	255

/*
 * The records of the tenants and keys seen (policyd/policyd_records.h),
 * made anew by every load of the configuration (it may name another
 * Redis); calls in flight look it up when their reply comes.
 */
static struct policyd_records_cache *policyd_rules_records;

/*
 * What an RCPT decision needs after its first round trip: the records'
 * read (lua/rcpt_read.lua) and the counting (lua/rcpt.lua) are made
 * from it, and made again once when the counting finds the records
 * stale.
 */
struct policyd_rules_rcpt {
	char	slot[POLICYD_RULES_SLOT_MAX];
	char	k_gen[POLICYD_RULES_KEY_MAX], k_tenant[POLICYD_RULES_KEY_MAX];
	char	k_domains[POLICYD_RULES_KEY_MAX], k_key[POLICYD_RULES_KEY_MAX];
	char	k_txn[POLICYD_RULES_KEY_MAX], k_supp[POLICYD_RULES_KEY_MAX];
	char	k_gcra_tenant[POLICYD_RULES_KEY_MAX];
	char	k_gcra_key[POLICYD_RULES_KEY_MAX];
	char	who_tenant[16], who_key[PW_IDENTITY_KEY_MAX + 8];
	char	rdomain[PW_ADDRESS_DOMAIN_MAX + 2];	/* "@domain" */
	char	rfield[PW_ADDRESS_MAX + 8];		/* "rcpt:" rcpt */
	char	member[POLICYD_RULES_INSTANCE_MAX + PW_ADDRESS_MAX + 4];
	char	ttl[24];
	char	country[16];
	char	prefix[72];				/* redis_key_prefix */
	bool	domains_required;
	int64_t	max_age_ms;			/* identity_cache_ttl */
	bool	retried;			/* read again once */
	struct policyd_records	rec;
};

/* One Redis outage as the fail mode sees it. */
static bool policyd_rules_outage;

/*
 * A refusal "invalid" names one of the limit fields (lib/limit.h).  A
 * value it cannot read, or a record that is missing, is logged once (the
 * last few such (name, field, value) triples seen are remembered by
 * hash), not once per recipient.
 */
#define POLICYD_RULES_INVALID_SEEN	32
static uint64_t policyd_rules_invalid_seen[POLICYD_RULES_INVALID_SEEN];
static size_t policyd_rules_invalid_next;

struct policyd_rules_call {
	policyd_rules_cb	*cb;
	void			*arg;
	bool			 eom;
	int			 events_max;	/* events_max_length */
	char			 events_key[80];	/* prefix + "events" */
	enum pw_conf_fail_mode	 fail_mode;
	char			 tenant[PW_IDENTITY_TENANT_MAX + 1];
	char			 key[PW_IDENTITY_KEY_MAX + 1];
	char			 queue_id[64];
	char			 recipient[PW_ADDRESS_MAX + 1];	/* normal */
	/*
	 * A recipient without a normal form: why (static), and what was
	 * sent, for the refusal's event (the request's text: valid until
	 * the call back, which comes before the request is answered).
	 */
	const char		*rcpt_why;
	const char		*rcpt_sent;
	/*
	 * The envelope sender's domain (RCPT only) in normal form: "" for
	 * the null sender, "@" for a sender without a domain.  One without
	 * a normal form: why and what was sent, as for the recipient.
	 */
	char			 sender_domain[PW_ADDRESS_DOMAIN_MAX + 2];
	const char		*sender_why;
	const char		*sender_sent;
	char			 count[24];
	char			 size[24];
	struct policyd_rules_rcpt	*rcpt;	/* RCPT only */
};

/* Free c (and what an RCPT call carries). */
static void
policyd_rules_call_free(struct policyd_rules_call *c)
{
	free(c->rcpt);
	free(c);
}

/* --- loading ------------------------------------------------------------- */

static void
policyd_rules_runtime_free(void *p)
{
	struct policyd_rules_runtime *r = p;

	if (r == NULL)
		return;
	pw_geoip_close(&r->geoip);
	free(r);
}

int
policyd_rules_load(struct pw_runtime *rt, char *err, size_t errsize)
{
	struct policyd_rules_runtime *r = pw_xcalloc(1, sizeof(*r));
	const char *path = rt->conf->policyd_geoip_database, *why;

	(void)err;
	(void)errsize;
	if (*path != '\0') {
		if (pw_geoip_open(path, &r->geoip, &why) < 0)
			pw_log_warnx("policyd_geoip_database: %s: %s; the "
			    "country rule is off", path, why);
	}
	rt->extra = r;
	rt->extra_free = policyd_rules_runtime_free;
	policyd_records_cache_free(&policyd_rules_records);
	policyd_rules_records = policyd_records_cache_new(
	    (size_t)rt->conf->identity_cache_size);
	return 0;
}

int
policyd_rules_init(const char **why_r)
{
	if (pw_redis_script_init(&policyd_rules_rcpt_script, why_r) < 0 ||
	    pw_redis_script_init(&policyd_rules_read_script, why_r) < 0 ||
	    pw_redis_script_init(&policyd_rules_eom_script, why_r) < 0 ||
	    pw_redis_script_init(&policyd_rules_event_script, why_r) < 0)
		return -1;
	return 0;
}

/* --- text ---------------------------------------------------------------- */

/* Copy s into dst keeping only [A-Za-z0-9._-] (and extra), bounded. */
static const char *
policyd_rules_safe(char *dst, size_t dstsize, const char *s,
    const char *extra)
{
	size_t o = 0;

	for (; *s != '\0' && o + 1 < dstsize; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '.' || c == '_' || c == '-' ||
		    (extra != NULL && strchr(extra, c) != NULL))
			dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return o > 0 ? dst : "?";
}

/* Unix seconds as "2026-11-28T00:00:00Z". */
static const char *
policyd_rules_iso(char *dst, size_t dstsize, long long secs)
{
	struct tm tm;
	time_t t = (time_t)secs;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(dst, dstsize, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(dst, dstsize, "%lld", secs);
	return dst;
}

/* Field i of an array reply as text; "" when absent. */
static const char *
policyd_rules_field(const redisReply *r, size_t i, char *buf, size_t bufsize)
{
	const redisReply *e;

	buf[0] = '\0';
	if (r->type != REDIS_REPLY_ARRAY || i >= r->elements)
		return buf;
	e = r->element[i];
	if (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS)
		snprintf(buf, bufsize, "%.*s", (int)e->len, e->str);
	else if (e->type == REDIS_REPLY_INTEGER)
		snprintf(buf, bufsize, "%lld", e->integer);
	return buf;
}

/* FNV-1a over a string, continuing from h (start: 14695981039346656037). */
static uint64_t
policyd_rules_fnv(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h ^ 0xff;	/* a separator: "a" "bc" != "ab" "c" */
}

/*
 * True the first time (a, b, c) is seen while it is among the last
 * POLICYD_RULES_INVALID_SEEN seen: what to log once.
 */
static bool
policyd_rules_once(const char *a, const char *b, const char *c)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	h = policyd_rules_fnv(policyd_rules_fnv(policyd_rules_fnv(h, a), b),
	    c);
	for (i = 0; i < POLICYD_RULES_INVALID_SEEN; i++)
		if (policyd_rules_invalid_seen[i] == h)
			return false;
	policyd_rules_invalid_seen[policyd_rules_invalid_next] = h;
	policyd_rules_invalid_next = (policyd_rules_invalid_next + 1) %
	    POLICYD_RULES_INVALID_SEEN;
	return true;
}

/* Log that name's limit field holds value, which it cannot read; once. */
static void
policyd_rules_invalid_log(const char *name, const char *field,
    const char *value)
{
	char esc[POLICYD_RULES_FIELD_MAX * 4];

	if (!policyd_rules_once(name, field, value))
		return;
	pw_log_warnx("%s: %s = \"%s\" is not a valid limit (decimal digits; "
	    "0 or none for no limit): its mail is deferred (451 4.3.5) until "
	    "it is corrected", name, field,
	    pw_log_escape(esc, sizeof(esc), value, strlen(value)));
}

/* The quota windows of lua/rcpt.lua, as a reply names them. */
static const struct {
	const char	*window;	/* the script's: "h" */
	const char	*name;		/* the reply's: "Hourly" */
} policyd_rules_windows[] = {
	{ "h", "Hourly" }, { "d", "Daily" }, { "m", "Monthly" },
};

/* The reply's name of a quota window; NULL for one that is none. */
static const char *
policyd_rules_window(const char *window)
{
	size_t i;

	for (i = 0; i < sizeof(policyd_rules_windows) /
	    sizeof(policyd_rules_windows[0]); i++)
		if (strcmp(window, policyd_rules_windows[i].window) == 0)
			return policyd_rules_windows[i].name;
	return NULL;
}

/*
 * Turn a refusal {"refuse", check, who, a, b, c, d} of lua/rcpt.lua
 * into its rule (lib/rule.h) and that rule's action.  0, or -1 when the
 * reply makes no sense.
 */
static int
policyd_rules_refusal(const redisReply *r, const struct policyd_rules_call *c,
    char *action, size_t actionsize, enum pw_rule *rule_r)
{
	char check[POLICYD_RULES_FIELD_MAX], who[POLICYD_RULES_FIELD_MAX];
	char a[POLICYD_RULES_FIELD_MAX], b[POLICYD_RULES_FIELD_MAX];
	char cc[POLICYD_RULES_FIELD_MAX], d[POLICYD_RULES_FIELD_MAX];
	char name[PW_IDENTITY_KEY_MAX + 16], t1[40], t2[40], expires[52];
	char s1[40], s2[40], per[40];
	const char *args[5];
	enum pw_rule rule;
	long long since = 0, until = 0;
	bool key, disabled;
	size_t n = 0;

	policyd_rules_field(r, 1, check, sizeof(check));
	policyd_rules_field(r, 2, who, sizeof(who));
	policyd_rules_field(r, 3, a, sizeof(a));
	policyd_rules_field(r, 4, b, sizeof(b));
	policyd_rules_field(r, 5, cc, sizeof(cc));
	policyd_rules_field(r, 6, d, sizeof(d));
	key = strcmp(who, "key") == 0;
	if (key && c->key[0] == '\0')
		return -1;
	if (key)
		snprintf(name, sizeof(name), "API key %s", c->key);
	else
		snprintf(name, sizeof(name), "tenant %s", c->tenant);

	switch ((rule = pw_rule_by_check(check))) {
	case PW_RULE_INVALID_LIMIT:
		if (!pw_limit_field_is(a))
			return -1;
		policyd_rules_invalid_log(name, a, b);
		args[n++] = a;
		args[n++] = name;
		break;
	case PW_RULE_KEY_DISABLED:	/* "status": any of the four */
		disabled = strcmp(a, "disabled") == 0;
		rule = key ? (disabled ? PW_RULE_KEY_DISABLED :
		    PW_RULE_KEY_SUSPENDED) : (disabled ?
		    PW_RULE_TENANT_DISABLED : PW_RULE_TENANT_SUSPENDED);
		args[n++] = key ? c->key : c->tenant;
		break;
	case PW_RULE_SENDER_DOMAIN:	/* or without one, or none owned */
		if (strcmp(a, "none") == 0) {
			rule = PW_RULE_NO_DOMAINS;
		} else if (strcmp(a, "bare") == 0) {
			rule = PW_RULE_SENDER_BARE;
		} else if (strcmp(a, "domain") == 0) {
			/*
			 * What this call passed the script, in normal form
			 * (lib/address): a safe alphabet, up to 253 bytes.
			 */
			args[n++] = c->sender_domain;
		} else {
			return -1;
		}
		args[n++] = c->tenant;
		break;
	case PW_RULE_COUNTRY:		/* or the country unknown */
		args[n++] = c->key;
		if (a[0] == '\0')
			rule = PW_RULE_COUNTRY_UNKNOWN;
		else
			args[n++] = policyd_rules_safe(s1, sizeof(s1), a,
			    NULL);
		args[n++] = policyd_rules_safe(s2, sizeof(s2), b, ",");
		break;
	case PW_RULE_SUPPRESSED_ADDRESS:	/* or the domain */
		if (sscanf(d, "%lld %lld", &since, &until) != 2)
			return -1;
		if (strcmp(a, "domain") == 0)
			rule = PW_RULE_SUPPRESSED_DOMAIN;
		expires[0] = '\0';
		if (until > 0)
			snprintf(expires, sizeof(expires), "; expires %s",
			    policyd_rules_iso(t2, sizeof(t2), until));
		args[n++] = c->tenant;
		args[n++] = policyd_rules_safe(s1, sizeof(s1), b, NULL);
		args[n++] = policyd_rules_safe(s2, sizeof(s2), cc, NULL);
		args[n++] = policyd_rules_iso(t1, sizeof(t1), since);
		args[n++] = expires;
		break;
	case PW_RULE_SIZE:
		args[n++] = policyd_rules_safe(s1, sizeof(s1), a, NULL);
		args[n++] = name;
		args[n++] = s1;
		args[n++] = policyd_rules_safe(s2, sizeof(s2), b, NULL);
		break;
	case PW_RULE_RECIPIENTS:
		args[n++] = name;
		args[n++] = policyd_rules_safe(s1, sizeof(s1), a, NULL);
		args[n++] = policyd_rules_safe(s2, sizeof(s2), b, NULL);
		break;
	case PW_RULE_RATE:
		args[n++] = name;
		args[n++] = policyd_rules_safe(s1, sizeof(s1), a, NULL);
		if (strcmp(b, "1") == 0) {
			args[n++] = "second";
		} else if (strcmp(b, "60") == 0) {
			args[n++] = "minute";
		} else {
			snprintf(per, sizeof(per), "%ss",
			    policyd_rules_safe(t2, sizeof(t2), b, NULL));
			args[n++] = per;
		}
		args[n++] = policyd_rules_safe(s2, sizeof(s2), cc, NULL);
		args[n++] = policyd_rules_iso(t1, sizeof(t1),
		    (strtoll(d, NULL, 10) + 999) / 1000);
		break;
	case PW_RULE_QUOTA:
		if ((args[n++] = policyd_rules_window(a)) == NULL)
			return -1;
		args[n++] = name + (key ? 4 : 0);	/* "key K" */
		args[n++] = policyd_rules_safe(s1, sizeof(s1), b, NULL);
		args[n++] = policyd_rules_safe(s2, sizeof(s2), cc, NULL);
		args[n++] = policyd_rules_iso(t1, sizeof(t1),
		    strtoll(d, NULL, 10));
		break;
	default:
		return -1;
	}
	pw_rule_reply(rule, action, actionsize, args, n);
	*rule_r = rule;
	return 0;
}

/* --- fail mode ----------------------------------------------------------- */

/* The fail mode's verdict, not logged. */
static void
policyd_rules_fail_action(enum pw_conf_fail_mode fail_mode, const char *why,
    struct policyd_rules_verdict *v)
{
	static char action[POLICYD_RULES_ACTION_MAX];
	bool pass = fail_mode == PW_CONF_FAIL_PASS;

	v->refused = !pass;
	v->rule = PW_RULE_FAIL;
	v->detail = why;
	if (pass)
		v->action = "DUNNO";
	else
		v->action = pw_rule_reply(PW_RULE_FAIL, action,
		    sizeof(action), &why, 1);
}

/* The fail mode's verdict; logs the first failure of an outage. */
static void
policyd_rules_fail_verdict(enum pw_conf_fail_mode fail_mode, const char *why,
    struct policyd_rules_verdict *v)
{
	const struct pw_rule_entry *e = pw_rule_get(PW_RULE_FAIL);

	if (!policyd_rules_outage) {
		policyd_rules_outage = true;
		if (fail_mode == PW_CONF_FAIL_PASS)
			pw_log_warnx("policy decisions failing: %s; answering "
			    "DUNNO (policyd_fail_mode = %s) until Redis "
			    "answers again", why, pw_conf_enum_name(
			    "policyd_fail_mode", (int)fail_mode));
		else
			pw_log_warnx("policy decisions failing: %s; answering "
			    "%d %s (policyd_fail_mode = %s) until Redis "
			    "answers again", why, e->code, e->status,
			    pw_conf_enum_name("policyd_fail_mode",
			    (int)fail_mode));
	}
	policyd_rules_fail_action(fail_mode, why, v);
}

void
policyd_rules_failed(const struct pw_conf *conf, const char *why,
    struct policyd_rules_verdict *v)
{
	policyd_rules_fail_verdict(conf->policyd_fail_mode, why, v);
}

/* A decision came back from Redis: the outage, if any, is over. */
static void
policyd_rules_recovered(void)
{
	if (policyd_rules_outage) {
		policyd_rules_outage = false;
		pw_log_notice("policy decisions work again: Redis answers");
	}
}

/* --- events -------------------------------------------------------------- */

static void
policyd_rules_event_reply(struct pw_redis_async *ra, const redisReply *reply,
    const char *why, void *arg)
{
	(void)ra;
	(void)arg;
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
		policyd_metrics_event_dropped();
	if (reply == NULL)
		pw_log_debug("event not appended: %s", why);
	else if (reply->type == REDIS_REPLY_ERROR)
		pw_log_debug("event not appended: %s",
		    pw_redis_error_kind_name(pw_redis_reply_error_kind(reply)));
}

/*
 * Append an event for c: "billed" (END-OF-MESSAGE, what was charged) or
 * "refused" (a rule, or an unknown key).
 */
static void
policyd_rules_event(struct pw_redis_async *ra,
    const struct policyd_rules_call *c, const char *type, enum pw_rule rule,
    const char *reply)
{
	const char *argv[32], *why;
	char maxlen[24];
	int n = 0;

	if (c->events_max <= 0 || ra == NULL)
		return;
	snprintf(maxlen, sizeof(maxlen), "%d", c->events_max);
	/* lua/event.lua adds the time: Redis's clock, as the id's. */
	argv[n++] = c->events_key;
	argv[n++] = maxlen;
	argv[n++] = type;
	argv[n++] = "queue_id";	argv[n++] = c->queue_id;
	argv[n++] = "tenant";	argv[n++] = c->tenant;
	argv[n++] = "key";	argv[n++] = c->key;
	argv[n++] = "rule";	argv[n++] = pw_rule_event(rule);
	if (!c->eom) {
		argv[n++] = "recipient";
		argv[n++] = c->rcpt_sent != NULL ? c->rcpt_sent :
		    c->recipient;
		if (c->sender_sent != NULL || (pw_rule_get(rule)->check !=
		    NULL && strcmp(pw_rule_get(rule)->check, "sender") == 0)) {
			/* A refusal by the sender: which one. */
			argv[n++] = "sender";
			argv[n++] = c->sender_sent != NULL ? c->sender_sent :
			    c->sender_domain;
		}
	} else {
		argv[n++] = "count";
		argv[n++] = c->count;
		argv[n++] = "size";
		argv[n++] = c->size;
	}
	argv[n++] = "reply";	argv[n++] = reply;
	if (pw_redis_async_evalsha(ra, &policyd_rules_event_script, 1, n,
	    argv, NULL, policyd_rules_event_reply, NULL, &why) < 0) {
		policyd_metrics_event_dropped();
		pw_log_debug("event not appended: %s", why);
	}
}

/* --- the decisions ------------------------------------------------------- */

/* Copy at most dstsize - 1 bytes of s. */
static void
policyd_rules_copy(char *dst, size_t dstsize, const char *s)
{
	snprintf(dst, dstsize, "%s", s);
}

/* Digits only, else "0". */
static void
policyd_rules_number(char *dst, size_t dstsize, const char *s)
{
	const char *p;

	for (p = s; *p != '\0' && isdigit((unsigned char)*p); p++)
		;
	if (*s == '\0' || *p != '\0' || (size_t)(p - s) >= dstsize - 1)
		s = "0";
	snprintf(dst, dstsize, "%s", s);
}

/*
 * The sender's domain for lua/rcpt.lua: "" for the null sender (Postfix
 * sends "sender=" empty), "@" for a bare local part (MAIL FROM:<app>:
 * Postfix would append $myorigin, a domain no tenant owns), else the
 * domain of its normal form.  A sender without a normal form is refused
 * before Redis is asked (policyd_rules_bad_sender), never passed on.
 */
static void
policyd_rules_sender(struct policyd_rules_call *c, const char *sender)
{
	char normal[PW_ADDRESS_MAX + 1];
	const char *dom;

	if (*sender == '\0')
		return;
	if (pw_address_normalize(sender, strlen(sender), PW_ADDRESS_F_BARE,
	    normal, &c->sender_why) < 0) {
		c->sender_sent = sender;
		return;
	}
	dom = pw_address_domain(normal);
	snprintf(c->sender_domain, sizeof(c->sender_domain), "%s",
	    dom != NULL ? dom + 1 : "@");
}

static struct policyd_rules_call *
policyd_rules_call_new(const struct pw_runtime *rt,
    const struct policyd_request *req, const struct pw_identity *id,
    policyd_rules_cb *cb, void *arg, bool eom)
{
	struct policyd_rules_call *c = pw_xcalloc(1, sizeof(*c));
	const char *rcpt;

	c->cb = cb;
	c->arg = arg;
	c->eom = eom;
	c->events_max = rt->conf->events_max_length;
	(void)pw_schema_key(c->events_key, sizeof(c->events_key),
	    rt->conf->redis_key_prefix, PW_SCHEMA_EVENTS, NULL, NULL, NULL);
	c->fail_mode = rt->conf->policyd_fail_mode;
	policyd_rules_copy(c->tenant, sizeof(c->tenant), id->tenant);
	policyd_rules_copy(c->key, sizeof(c->key), id->key);
	policyd_rules_copy(c->queue_id, sizeof(c->queue_id),
	    policyd_request_str(req, POLICYD_ATTR_QUEUE_ID));
	/* Postfix sends "postmaster" unqualified as the client wrote it. */
	rcpt = policyd_request_str(req, POLICYD_ATTR_RECIPIENT);
	if (!eom && pw_address_normalize(rcpt, strlen(rcpt),
	    PW_ADDRESS_F_BARE, c->recipient, &c->rcpt_why) < 0)
		c->rcpt_sent = rcpt;
	if (!eom)
		policyd_rules_sender(c, policyd_request_str(req,
		    POLICYD_ATTR_SENDER));
	policyd_rules_number(c->count, sizeof(c->count),
	    policyd_request_str(req, POLICYD_ATTR_RECIPIENT_COUNT));
	policyd_rules_number(c->size, sizeof(c->size),
	    policyd_request_str(req, POLICYD_ATTR_SIZE));
	return c;
}

/*
 * The verdict for an unknown key (valid: a valid key id that has no
 * directory entry, else a user name that is no key id; pass:
 * policyd_unknown_key = pass), with its event.
 */
static void
policyd_rules_unknown_verdict(struct pw_redis_async *ra,
    struct policyd_rules_call *c, bool valid, bool pass,
    struct policyd_rules_verdict *v)
{
	static char action[POLICYD_RULES_ACTION_MAX];
	const char *key = c->key;

	v->rule = valid ? PW_RULE_UNKNOWN_KEY : PW_RULE_INVALID_USER;
	v->detail = valid ? "not a known key" : "not a valid key id";
	if (pass) {
		v->action = "DUNNO";
		v->refused = false;
		return;
	}
	v->action = pw_rule_reply(v->rule, action, sizeof(action), &key, 1);
	v->refused = true;
	/* The event: no script ran, so it goes out alone. */
	policyd_rules_event(ra, c, "refused", v->rule, action);
}

/* The store marker's reply: is the key unknown, or is the data gone? */
static void
policyd_rules_marker_reply(struct pw_redis_async *ra, const redisReply *reply,
    const char *why, void *arg)
{
	struct policyd_rules_call *c = arg;
	struct policyd_rules_verdict v = { "DUNNO", PW_RULE_NONE, "", false };

	if (reply == NULL) {
		policyd_rules_fail_verdict(c->fail_mode, why, &v);
	} else if (reply->type != REDIS_REPLY_INTEGER) {
		policyd_rules_fail_verdict(c->fail_mode, "redis: error", &v);
	} else if (reply->integer == 0) {
		/* Not an unknown key: a Redis without postwarden's data. */
		policyd_rules_fail_verdict(c->fail_mode, "redis: no postwarden "
		    "data (store marker missing: restarted without "
		    "persistence?)", &v);
	} else {
		policyd_rules_recovered();
		policyd_rules_unknown_verdict(ra, c, true, false, &v);
	}
	c->cb(&v, c->arg);
	policyd_rules_call_free(c);
}

void
policyd_rules_unknown(struct pw_redis_async *ra, const struct pw_runtime *rt,
    const struct policyd_request *req, const struct pw_identity *id,
    policyd_rules_cb *cb, void *arg)
{
	struct policyd_rules_verdict v = { "DUNNO", PW_RULE_NONE, "", false };
	struct policyd_rules_call *c;
	char marker[POLICYD_RULES_KEY_MAX];
	const char *argv[2], *why;
	bool eom, pass;

	eom = strcmp(policyd_request_str(req, POLICYD_ATTR_PROTOCOL_STATE),
	    "END-OF-MESSAGE") == 0;
	c = policyd_rules_call_new(rt, req, id, cb, arg, eom);
	pass = rt->conf->policyd_unknown_key == PW_CONF_UNKNOWN_PASS;
	/*
	 * A refusal is permanent: first make sure the key is unknown, not
	 * gone with the rest of the data (the store marker).
	 */
	if (id->source != PW_IDENTITY_NONE && !pass) {
		(void)pw_schema_key(marker, sizeof(marker),
		    rt->conf->redis_key_prefix, PW_SCHEMA_STORE, NULL, NULL,
		    NULL);
		argv[0] = "EXISTS";
		argv[1] = marker;
		if (ra == NULL)
			why = "redis: not connected";
		else if (pw_redis_async_command_argv(ra, 2, argv, NULL,
		    policyd_rules_marker_reply, c, &why) == 0)
			return;
		policyd_rules_fail_verdict(c->fail_mode, why, &v);
	} else {
		policyd_rules_unknown_verdict(ra, c,
		    id->source != PW_IDENTITY_NONE, pass, &v);
	}
	c->cb(&v, c->arg);
	policyd_rules_call_free(c);
}

/* The first field of a script's reply: what the script decided. */
enum policyd_rules_answer {
	POLICYD_RULES_BAD = 0,	/* none of these: a bug */
	POLICYD_RULES_OK,	/* admitted, or billed */
	POLICYD_RULES_AGAIN,	/* admitted or billed before */
	POLICYD_RULES_REFUSE,	/* {"refuse", check, ...} */
	POLICYD_RULES_LOST,	/* {"lost", "key" | "tenant"} */
};

static enum policyd_rules_answer
policyd_rules_answer(const char *s)
{
	static const struct {
		const char			*name;
		enum policyd_rules_answer	 answer;
	} answers[] = {
		{ "ok", POLICYD_RULES_OK }, { "again", POLICYD_RULES_AGAIN },
		{ "refuse", POLICYD_RULES_REFUSE },
		{ "lost", POLICYD_RULES_LOST },
	};
	size_t i;

	for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
		if (strcmp(s, answers[i].name) == 0)
			return answers[i].answer;
	return POLICYD_RULES_BAD;
}

/* The script's reply: build the verdict, append the event, call back. */
static void
policyd_rules_reply(struct pw_redis_async *ra, const redisReply *reply,
    const char *why, void *arg)
{
	struct policyd_rules_call *c = arg;
	struct policyd_rules_verdict v = { "DUNNO", PW_RULE_NONE, "", false };
	char action[POLICYD_RULES_ACTION_MAX], s0[32], s1[32], s2[32];
	char detail[96];
	enum pw_rule rule = PW_RULE_NONE;
	enum policyd_rules_answer answer;

	if (reply == NULL) {
		policyd_rules_fail_verdict(c->fail_mode, why, &v);
		goto done;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		enum pw_redis_error_kind k = pw_redis_reply_error_kind(reply);

		if (k == PW_REDIS_ERR_OTHER)
			pw_log_warnx("redis: the %s script failed: %.*s",
			    c->eom ? "eom" : "rcpt",
			    (int)(reply->len > 300 ? 300 : reply->len),
			    reply->str);
		policyd_rules_fail_verdict(c->fail_mode, k ==
		    PW_REDIS_ERR_BUSY ? "redis: busy" : k == PW_REDIS_ERR_OOM ?
		    "redis: out of memory" : k == PW_REDIS_ERR_LOADING ?
		    "redis: loading" : k == PW_REDIS_ERR_READONLY ?
		    "redis: read-only replica" : k == PW_REDIS_ERR_NOPERM ?
		    "redis: permission denied" : "redis: script error", &v);
		goto done;
	}
	answer = policyd_rules_answer(policyd_rules_field(reply, 0, s0,
	    sizeof(s0)));
	if (answer == POLICYD_RULES_LOST && !c->eom) {
		/* A tenant's data, not Redis: no outage, logged once. */
		policyd_rules_field(reply, 1, s1, sizeof(s1));
		if (strcmp(s1, "key") != 0 && strcmp(s1, "tenant") != 0)
			goto bad;
		if (policyd_rules_once("lost", c->tenant, c->key))
			pw_log_warnx("tenant %s%s%s: no %s record in Redis "
			    "(lost with a Redis restarted without "
			    "persistence, or just deleted): answering with "
			    "policyd_fail_mode = %s", c->tenant,
			    c->key[0] != '\0' ? ", key " : "", c->key, s1,
			    pw_conf_enum_name("policyd_fail_mode",
			    (int)c->fail_mode));
		policyd_rules_fail_action(c->fail_mode, strcmp(s1, "key") == 0 ?
		    "redis: no record of the key" :
		    "redis: no record of the tenant", &v);
	} else if (answer == POLICYD_RULES_REFUSE) {
		policyd_rules_recovered();
		if (policyd_rules_refusal(reply, c, action, sizeof(action),
		    &rule) < 0)
			goto bad;
		v.action = action;
		v.rule = rule;
		v.refused = true;
		policyd_rules_event(ra, c, "refused", rule, action);
	} else if ((answer == POLICYD_RULES_OK ||
	    answer == POLICYD_RULES_AGAIN) && reply->elements >= 2) {
		policyd_rules_recovered();
		policyd_rules_field(reply, 1, s1, sizeof(s1));
		policyd_rules_field(reply, 2, s2, sizeof(s2));
		if (c->eom && answer == POLICYD_RULES_OK) {
			snprintf(detail, sizeof(detail),
			    "billed=%s released=%s", s1, s2);
			policyd_rules_event(ra, c, "billed", PW_RULE_NONE,
			    "DUNNO");
		} else if (c->eom) {
			snprintf(detail, sizeof(detail), "already billed");
		} else {
			snprintf(detail, sizeof(detail), "%s", s1);
		}
		v.detail = detail;
	} else {
		goto bad;
	}
	goto done;
bad:
	pw_log_warnx("redis: unexpected reply from the %s script",
	    c->eom ? "eom" : "rcpt");
	v.action = "DUNNO";
	v.rule = PW_RULE_NONE;
	v.refused = false;
	v.detail = "";
	policyd_rules_fail_verdict(c->fail_mode, "redis: unexpected reply", &v);
done:
	c->cb(&v, c->arg);
	policyd_rules_call_free(c);
}

/* Run script with keys and args; on a submit failure call back now. */
static void
policyd_rules_run(struct pw_redis_async *ra, struct policyd_rules_call *c,
    const struct pw_redis_script *script, int nkeys, int argc,
    const char **argv)
{
	struct policyd_rules_verdict v;
	const char *why;

	if (ra == NULL) {
		why = "redis: not connected";
	} else if (pw_redis_async_evalsha(ra, script, nkeys, argc, argv,
	    NULL, policyd_rules_reply, c, &why) == 0) {
		return;
	}
	policyd_rules_fail_verdict(c->fail_mode, why, &v);
	c->cb(&v, c->arg);
	policyd_rules_call_free(c);
}

/*
 * A recipient without a normal form: refused without asking Redis (the
 * reason is a static string from lib/address, never peer text); the
 * event goes out alone.  Calls back and frees c.
 */
static void
policyd_rules_bad_recipient(struct pw_redis_async *ra,
    struct policyd_rules_call *c)
{
	struct policyd_rules_verdict v;
	char action[POLICYD_RULES_ACTION_MAX];

	v.action = pw_rule_reply(PW_RULE_ADDRESS, action, sizeof(action),
	    &c->rcpt_why, 1);
	v.rule = PW_RULE_ADDRESS;
	v.detail = c->rcpt_why;
	v.refused = true;
	policyd_rules_event(ra, c, "refused", PW_RULE_ADDRESS, action);
	c->cb(&v, c->arg);
	policyd_rules_call_free(c);
}

/*
 * A sender without a normal form: refused without asking Redis, like a
 * recipient without one (policyd_rules_bad_recipient).
 */
static void
policyd_rules_bad_sender(struct pw_redis_async *ra,
    struct policyd_rules_call *c)
{
	struct policyd_rules_verdict v;
	char action[POLICYD_RULES_ACTION_MAX];

	v.action = pw_rule_reply(PW_RULE_SENDER_ADDRESS, action,
	    sizeof(action), &c->sender_why, 1);
	v.rule = PW_RULE_SENDER_ADDRESS;
	v.detail = c->sender_why;
	v.refused = true;
	policyd_rules_event(ra, c, "refused", PW_RULE_SENDER_ADDRESS, action);
	c->cb(&v, c->arg);
	policyd_rules_call_free(c);
}

/*
 * Name n of tenant (arg: its hole, or NULL) into dst; the buffers are
 * sized for the longest prefix, tenant, key id and instance.
 */
static void
policyd_rules_key(char *dst, size_t dstsize, const struct pw_runtime *rt,
    enum pw_schema_name n, const char *tenant, const char *arg)
{
	(void)pw_schema_key(dst, dstsize, rt->conf->redis_key_prefix, n,
	    tenant, arg, NULL);
}

/* The instance, or a unique stand-in when Postfix sent none. */
static const char *
policyd_rules_instance(const struct policyd_request *req, char *buf,
    size_t bufsize)
{
	static unsigned long n;
	const char *s = policyd_request_str(req, POLICYD_ATTR_INSTANCE);

	if (*s != '\0' && strlen(s) <= POLICYD_RULES_INSTANCE_MAX)
		return s;
	snprintf(buf, bufsize, "none.%ld.%lu", (long)time(NULL), ++n);
	return buf;
}

static void policyd_rules_rcpt_read(struct pw_redis_async *,
    struct policyd_rules_call *);

/* Fail c with why (the fail mode), call back, free it. */
static void
policyd_rules_call_fail(struct policyd_rules_call *c, const char *why)
{
	struct policyd_rules_verdict v;

	policyd_rules_fail_verdict(c->fail_mode, why, &v);
	c->cb(&v, c->arg);
	policyd_rules_call_free(c);
}

/* lua/rcpt.lua's reply: "stale" reads the records again, once. */
static void
policyd_rules_count_reply(struct pw_redis_async *ra, const redisReply *reply,
    const char *why, void *arg)
{
	struct policyd_rules_call *c = arg;
	struct policyd_rules_rcpt *r = c->rcpt;

	if (reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
	    reply->elements == 1 &&
	    reply->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(reply->element[0]->str, "stale") == 0) {
		if (policyd_rules_records != NULL)
			policyd_records_forget(policyd_rules_records,
			    c->tenant, c->key);
		if (!r->retried) {
			r->retried = true;
			policyd_rules_rcpt_read(ra, c);
			return;
		}
		policyd_rules_call_fail(c, "redis: the records kept changing");
		return;
	}
	policyd_rules_reply(ra, reply, why, c);
}

/*
 * The quota windows of the daemon's hour (UTC), as lua/calendar.lua's
 * windows_of computes them: ids "YYYYMMDDHH", "YYYYMMDD", "YYYYMM", the
 * hour's start and each window's end (Unix seconds).
 */
struct policyd_rules_windows {
	char	id[3][16];
	char	start[24];
	char	end[3][24];
};

static void
policyd_rules_windows_now(struct policyd_rules_windows *w)
{
	time_t t = time(NULL), m;
	struct tm tm, next;

	(void)gmtime_r(&t, &tm);
	(void)strftime(w->id[0], sizeof(w->id[0]), "%Y%m%d%H", &tm);
	snprintf(w->id[1], sizeof(w->id[1]), "%.8s", w->id[0]);
	snprintf(w->id[2], sizeof(w->id[2]), "%.6s", w->id[0]);
	memset(&next, 0, sizeof(next));
	next.tm_year = tm.tm_year + (tm.tm_mon == 11 ? 1 : 0);
	next.tm_mon = (tm.tm_mon + 1) % 12;
	next.tm_mday = 1;
	m = timegm(&next);
	snprintf(w->start, sizeof(w->start), "%lld",
	    (long long)(t - t % 3600));
	snprintf(w->end[0], sizeof(w->end[0]), "%lld",
	    (long long)(t - t % 3600 + 3600));
	snprintf(w->end[1], sizeof(w->end[1]), "%lld",
	    (long long)(t - t % 86400 + 86400));
	snprintf(w->end[2], sizeof(w->end[2]), "%lld", (long long)m);
}

/*
 * Count c's recipient (lua/rcpt.lua) with the records in c->rcpt->rec:
 * the daemon's own verdict, if any, goes along (the script returns it
 * once the generation is confirmed).
 */
static void
policyd_rules_rcpt_count(struct pw_redis_async *ra,
    struct policyd_rules_call *c)
{
	static const char *const unit[3] = { "h", "d", "m" };
	struct policyd_rules_rcpt *r = c->rcpt;
	struct policyd_rules_windows w;
	const struct policyd_records_subject *s;
	char pre[7][80], lim[16][24], npre[8], win[32];
	char qkeys[12][POLICYD_RULES_KEY_MAX];
	const char *argv[5 + 12 + 16 + 7 + 16], *why, *who;
	bool with_key = c->key[0] != '\0';
	int nkeys, n = 0, np, i, j, nq = 0;

	np = policyd_records_verdict(&r->rec, with_key, c->sender_domain,
	    r->domains_required, r->country, pre);
	policyd_rules_windows_now(&w);
	argv[n++] = r->k_gen;
	argv[n++] = r->k_txn;
	argv[n++] = r->k_supp;
	argv[n++] = r->k_gcra_tenant;
	if (with_key)
		argv[n++] = r->k_gcra_key;
	/* The used and resv names of each quota set, in the script's order. */
	for (j = 0; np == 0 && j < (with_key ? 2 : 1); j++) {
		s = j == 0 ? &r->rec.tenant : &r->rec.key;
		who = j == 0 ? r->who_tenant : r->who_key;
		for (i = 0; i < 3; i++) {
			if (s->limit[i] <= 0)	/* quota_hour, _day, _month */
				continue;
			(void)pw_schema_key(win, sizeof(win), NULL,
			    PW_SCHEMA_WINDOW, NULL, unit[i], w.id[i]);
			(void)pw_schema_key(qkeys[nq], sizeof(qkeys[nq]),
			    r->prefix, PW_SCHEMA_USED, c->tenant, who, win);
			argv[n++] = qkeys[nq++];
			(void)pw_schema_key(qkeys[nq], sizeof(qkeys[nq]),
			    r->prefix, PW_SCHEMA_RESV, c->tenant, who, win);
			argv[n++] = qkeys[nq++];
		}
	}
	nkeys = n;
	argv[n++] = r->rec.gen;
	argv[n++] = r->slot;
	argv[n++] = c->key;
	argv[n++] = with_key ? r->who_key : "";
	argv[n++] = c->recipient;
	argv[n++] = r->rdomain;
	argv[n++] = r->rfield;
	argv[n++] = r->member;
	argv[n++] = c->size;
	argv[n++] = r->ttl;
	argv[n++] = w.id[0];
	argv[n++] = w.start;
	for (i = 0; i < 3; i++)
		argv[n++] = w.end[i];
	snprintf(npre, sizeof(npre), "%d", np);
	argv[n++] = npre;
	for (i = 0; i < np; i++)
		argv[n++] = pre[i];
	if (np == 0)
		n += policyd_records_limits(&r->rec, with_key, lim, argv + n);
	if (ra == NULL) {
		why = "redis: not connected";
	} else if (pw_redis_async_evalsha(ra, &policyd_rules_rcpt_script,
	    nkeys, n, argv, NULL, policyd_rules_count_reply, c, &why) == 0) {
		return;
	}
	policyd_rules_call_fail(c, why);
}

/* lua/rcpt_read.lua's reply: keep the records, then count. */
static void
policyd_rules_read_reply(struct pw_redis_async *ra, const redisReply *reply,
    const char *why, void *arg)
{
	struct policyd_rules_call *c = arg;
	struct policyd_rules_rcpt *r = c->rcpt;

	if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
		policyd_rules_reply(ra, reply, why, c);	/* the fail mode */
		return;
	}
	if (policyd_records_parse(reply, c->key[0] != '\0', c->sender_domain,
	    pw_clock_ms(), &r->rec) < 0) {
		pw_log_warnx("redis: unexpected reply from the rcpt_read "
		    "script");
		policyd_rules_call_fail(c, "redis: unexpected reply");
		return;
	}
	if (policyd_rules_records != NULL)
		policyd_records_put(policyd_rules_records, c->tenant, c->key,
		    &r->rec);
	policyd_rules_rcpt_count(ra, c);
}

/* Read c's records (lua/rcpt_read.lua), then count. */
static void
policyd_rules_rcpt_read(struct pw_redis_async *ra,
    struct policyd_rules_call *c)
{
	struct policyd_rules_rcpt *r = c->rcpt;
	char names[PW_ADDRESS_DOMAIN_MAX + 2];
	const char *argv[4 + PW_ADDRESS_DOMAIN_MAX / 2 + 3], *why;
	int n = 0, nkeys;

	argv[n++] = r->k_gen;
	argv[n++] = r->k_tenant;
	argv[n++] = r->k_domains;
	if (c->key[0] != '\0')
		argv[n++] = r->k_key;
	nkeys = n;
	n += policyd_records_sender_args(c->sender_domain, names, argv + n);
	if (ra == NULL) {
		why = "redis: not connected";
	} else if (pw_redis_async_evalsha(ra, &policyd_rules_read_script,
	    nkeys, n, argv, NULL, policyd_rules_read_reply, c, &why) == 0) {
		return;
	}
	policyd_rules_call_fail(c, why);
}

void
policyd_rules_rcpt(struct pw_redis_async *ra, const struct pw_runtime *rt,
    const struct policyd_request *req, const struct pw_identity *id,
    policyd_rules_cb *cb, void *arg)
{
	struct policyd_rules_call *c;
	struct policyd_rules_rcpt *r;
	const struct policyd_rules_runtime *x = rt->extra;
	struct pw_geoip_result geo;
	char instbuf[64];
	const char *inst, *country = "-", *at;

	c = policyd_rules_call_new(rt, req, id, cb, arg, false);
	if (c->sender_why != NULL) {
		policyd_rules_bad_sender(ra, c);
		return;
	}
	if (c->rcpt_why != NULL) {
		policyd_rules_bad_recipient(ra, c);
		return;
	}
	c->rcpt = r = pw_xcalloc(1, sizeof(*r));
	inst = policyd_rules_instance(req, instbuf, sizeof(instbuf));
	if (x != NULL && x->geoip != NULL) {
		(void)pw_geoip_lookup(x->geoip, policyd_request_str(req,
		    POLICYD_ATTR_CLIENT_ADDRESS), &geo);
		country = geo.country;
	}
	snprintf(r->country, sizeof(r->country), "%s", country);
	snprintf(r->prefix, sizeof(r->prefix), "%s",
	    rt->conf->redis_key_prefix);
	policyd_rules_key(r->slot, sizeof(r->slot), rt, PW_SCHEMA_SLOT,
	    c->tenant, NULL);
	policyd_rules_key(r->k_gen, sizeof(r->k_gen), rt, PW_SCHEMA_GEN,
	    c->tenant, NULL);
	policyd_rules_key(r->k_tenant, sizeof(r->k_tenant), rt,
	    PW_SCHEMA_TENANT, c->tenant, NULL);
	policyd_rules_key(r->k_domains, sizeof(r->k_domains), rt,
	    PW_SCHEMA_DOMAINS, c->tenant, NULL);
	policyd_rules_key(r->k_key, sizeof(r->k_key), rt, PW_SCHEMA_KEY,
	    c->tenant, c->key);
	policyd_rules_key(r->k_txn, sizeof(r->k_txn), rt, PW_SCHEMA_TXN,
	    c->tenant, inst);
	policyd_rules_key(r->k_supp, sizeof(r->k_supp), rt, PW_SCHEMA_SUPP,
	    c->tenant, NULL);
	(void)pw_schema_key(r->who_key, sizeof(r->who_key), NULL,
	    PW_SCHEMA_WHO_KEY, NULL, c->key, NULL);
	(void)pw_schema_key(r->who_tenant, sizeof(r->who_tenant), NULL,
	    PW_SCHEMA_WHO_TENANT, NULL, NULL, NULL);
	policyd_rules_key(r->k_gcra_tenant, sizeof(r->k_gcra_tenant), rt,
	    PW_SCHEMA_GCRA, c->tenant, r->who_tenant);
	policyd_rules_key(r->k_gcra_key, sizeof(r->k_gcra_key), rt,
	    PW_SCHEMA_GCRA, c->tenant, r->who_key);
	at = strrchr(c->recipient, '@');
	snprintf(r->rdomain, sizeof(r->rdomain), "%s", at != NULL ? at : "");
	snprintf(r->rfield, sizeof(r->rfield), "rcpt:%s", c->recipient);
	snprintf(r->member, sizeof(r->member), "%s %s", inst, c->recipient);
	snprintf(r->ttl, sizeof(r->ttl), "%d",
	    rt->conf->policyd_reservation_ttl_ms);
	r->domains_required = rt->conf->tenant_domains_required;
	r->max_age_ms = rt->conf->identity_cache_ttl_ms;
	if (policyd_rules_records != NULL &&
	    policyd_records_get(policyd_rules_records, c->tenant, c->key,
	    pw_clock_ms(), r->max_age_ms, &r->rec) &&
	    policyd_records_sender(&r->rec, c->sender_domain) != 0)
		policyd_rules_rcpt_count(ra, c);
	else
		policyd_rules_rcpt_read(ra, c);
}

void
policyd_rules_eom(struct pw_redis_async *ra, const struct pw_runtime *rt,
    const struct policyd_request *req, const struct pw_identity *id,
    policyd_rules_cb *cb, void *arg)
{
	struct policyd_rules_call *c;
	char slot[POLICYD_RULES_SLOT_MAX], k_txn[POLICYD_RULES_KEY_MAX];
	char k_tenant[POLICYD_RULES_KEY_MAX], k_key[POLICYD_RULES_KEY_MAX];
	char instbuf[64], ttl[24];
	const char *argv[10], *inst;
	int nkeys = 2, n = 0;

	c = policyd_rules_call_new(rt, req, id, cb, arg, true);
	inst = policyd_rules_instance(req, instbuf, sizeof(instbuf));
	policyd_rules_key(slot, sizeof(slot), rt, PW_SCHEMA_SLOT, c->tenant,
	    NULL);
	policyd_rules_key(k_txn, sizeof(k_txn), rt, PW_SCHEMA_TXN, c->tenant,
	    inst);
	policyd_rules_key(k_tenant, sizeof(k_tenant), rt, PW_SCHEMA_TENANT,
	    c->tenant, NULL);
	policyd_rules_key(k_key, sizeof(k_key), rt, PW_SCHEMA_KEY, c->tenant,
	    c->key);
	snprintf(ttl, sizeof(ttl), "%d", rt->conf->policyd_reservation_ttl_ms);
	argv[n++] = k_txn;
	argv[n++] = k_tenant;
	if (c->key[0] != '\0') {
		argv[n++] = k_key;
		nkeys++;
	}
	argv[n++] = slot;
	argv[n++] = c->key;
	argv[n++] = inst;
	argv[n++] = c->count;
	argv[n++] = c->size;
	argv[n++] = ttl;
	/* The billing record's name; none without a usable queue id. */
	argv[n++] = pw_redis_queue_id_ok(c->queue_id) ? c->queue_id : "";
	policyd_rules_run(ra, c, &policyd_rules_eom_script, nkeys, n, argv);
}

/* --- transactions a connection leaves unfinished ----------------------- */

static void
policyd_rules_release_reply(struct pw_redis_async *ra, const redisReply *reply,
    const char *why, void *arg)
{
	(void)ra;
	(void)arg;
	if (reply == NULL)
		pw_log_debug("reservations not released: %s", why);
	else if (reply->type == REDIS_REPLY_ERROR)
		pw_log_debug("reservations not released: %s",
		    pw_redis_error_kind_name(pw_redis_reply_error_kind(reply)));
	else if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
	    reply->element[1]->type == REDIS_REPLY_INTEGER &&
	    reply->element[1]->integer > 0)
		pw_log_debug("released %lld reservations of an unfinished "
		    "transaction", reply->element[1]->integer);
}

/*
 * Give back t's reservations (lua/release.lua); no reply awaited.
 * EVAL, not EVALSHA: a NOSCRIPT reply and the retry would let the next
 * request's script, sent after this, run before it.  Commands on one
 * connection run in order, so the next decision sees the capacity back.
 * over: Postfix went on with another transaction on this connection, so
 * this one is over and its hash goes; else (the connection closed) the
 * hash stays, marked released, for Postfix to go on with it elsewhere.
 */
static void
policyd_rules_txn_release(struct policyd_rules_txn *t,
    struct pw_redis_async *ra, bool over)
{
	const char *argv[7], *why;

	t->open = false;
	if (ra == NULL)
		return;	/* the reservations expire by themselves */
	argv[0] = "EVAL";
	argv[1] = pw_lua_release;
	argv[2] = "1";
	argv[3] = t->txn_key;
	argv[4] = t->slot;
	argv[5] = t->instance;
	argv[6] = over ? "over" : "closed";
	if (pw_redis_async_command_argv(ra, 7, argv, NULL,
	    policyd_rules_release_reply, NULL, &why) < 0)
		pw_log_debug("reservations not released: %s", why);
}

void
policyd_rules_txn_note(struct policyd_rules_txn *t, struct pw_redis_async *ra,
    const struct pw_runtime *rt, const struct policyd_request *req,
    const struct pw_identity *id)
{
	const char *inst = policyd_request_str(req, POLICYD_ATTR_INSTANCE);
	const char *state = policyd_request_str(req,
	    POLICYD_ATTR_PROTOCOL_STATE);

	if (*inst == '\0' || strlen(inst) >= sizeof(t->instance))
		return;
	if (t->open && strcmp(t->instance, inst) != 0)
		policyd_rules_txn_release(t, ra, true);
	if (strcmp(state, "RCPT") == 0 && !t->open &&
	    id->source != PW_IDENTITY_NONE && id->tenant[0] != '\0') {
		policyd_rules_key(t->slot, sizeof(t->slot), rt, PW_SCHEMA_SLOT,
		    id->tenant, NULL);
		snprintf(t->instance, sizeof(t->instance), "%s", inst);
		policyd_rules_key(t->txn_key, sizeof(t->txn_key), rt,
		    PW_SCHEMA_TXN, id->tenant, inst);
		t->open = true;
	} else if (strcmp(state, "END-OF-MESSAGE") == 0) {
		/* Billing releases what is left. */
		t->open = false;
	}
}

void
policyd_rules_txn_end(struct policyd_rules_txn *t, struct pw_redis_async *ra)
{
	if (t->open)
		policyd_rules_txn_release(t, ra, false);
}
