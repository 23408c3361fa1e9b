/*
 * milter_supp.c -- the stream-scoped suppressions of a message's
 * recipients (see milter_supp.h): one pipelined round trip of TIME and
 * one HMGET per hash, the entries judged here.
 *
 * Until issue 17 this was one EVALSHA of a Lua script doing the same; a
 * script call costs Redis about 15 µs of CPU in set-up and the
 * redis.call bridge for what TIME and an HMGET do in under 1 µs, paid
 * for every message of a tenant.  The answers are the same: a
 * recipient's address, then its "@domain", in the stream's hash, then
 * (for a bulk stream) in the bulk hash; the first entry that has not
 * expired by Redis's clock counts.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "milter_events.h"
#include "milter_identity.h"
#include "milter_supp.h"
#include "redis.h"
#include "schema.h"
#include "xmalloc.h"

const char *
milter_supp_scope_name(enum milter_supp_scope scope)
{
	switch (scope) {
	case MILTER_SUPP_STREAM:
		return "stream";
	case MILTER_SUPP_BULK:
		return "bulk";
	default:
		return "";
	}
}

/* Copy the part'th '|'-separated part of v (len bytes) into dst. */
static void
milter_supp_part(const char *v, size_t len, int part, char *dst,
    size_t dstsize)
{
	const char *end = v + len, *p = v, *bar;
	size_t n;

	for (; part > 0 && p < end; part--) {
		if ((bar = memchr(p, '|', (size_t)(end - p))) == NULL)
			p = end;
		else
			p = bar + 1;
	}
	bar = memchr(p, '|', (size_t)(end - p));
	n = (size_t)((bar != NULL ? bar : end) - p);
	pw_log_escape(dst, dstsize, p, n);
}

/*
 * A number as Lua 5.1's tonumber reads one (strtod, white space around
 * it allowed, nothing else): a bad one, or none, is 0.
 */
static double
milter_supp_number(const char *v, size_t len)
{
	char buf[64], *end;
	double d;

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, v, len);
	buf[len] = '\0';
	d = strtod(buf, &end);
	if (end == buf)
		return 0;
	while (isspace((unsigned char)*end))
		end++;
	return *end == '\0' ? d : 0;
}

/*
 * Whether an entry "reason|source|time|expires" is in force at now
 * (Redis's clock, seconds): expires 0, absent or bad never ends.
 */
static bool
milter_supp_live(const redisReply *v, double now)
{
	const char *p, *end, *bar;
	double expires;
	int part;

	if (v->type != REDIS_REPLY_STRING)
		return false;
	p = v->str;
	end = v->str + v->len;
	for (part = 0; part < 3; part++) {
		if ((bar = memchr(p, '|', (size_t)(end - p))) == NULL)
			return true;	/* no fourth part */
		p = bar + 1;
	}
	bar = memchr(p, '|', (size_t)(end - p));
	expires = milter_supp_number(p, (size_t)((bar != NULL ? bar : end) -
	    p));
	return expires == 0 || expires > now;
}

/* A reply that is an array of n strings or nils. */
static bool
milter_supp_hmget_ok(const redisReply *rep, size_t n)
{
	size_t i;

	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != n)
		return false;
	for (i = 0; i < n; i++)
		if (rep->element[i]->type != REDIS_REPLY_STRING &&
		    rep->element[i]->type != REDIS_REPLY_NIL)
			return false;
	return true;
}

/*
 * Judge the replies (TIME, then one HMGET per hash of the fields:
 * address and "@domain" per recipient) into hits.  0, or -1 with a
 * static reason.
 */
static int
milter_supp_judge(redisReply **reps, size_t nkeys, const char **fields,
    size_t n, struct milter_supp_hit *hits, const char **why_r)
{
	const redisReply *v;
	double now;
	size_t i, j, k;

	for (k = 0; k <= nkeys; k++)
		if (reps[k]->type == REDIS_REPLY_ERROR) {
			*why_r = "an error reply";
			return -1;
		}
	if (reps[0]->type != REDIS_REPLY_ARRAY || reps[0]->elements != 2 ||
	    reps[0]->element[0]->type != REDIS_REPLY_STRING) {
		*why_r = "an unexpected reply";
		return -1;
	}
	now = milter_supp_number(reps[0]->element[0]->str,
	    reps[0]->element[0]->len);
	for (k = 1; k <= nkeys; k++)
		if (!milter_supp_hmget_ok(reps[k], 2 * n)) {
			*why_r = "an unexpected reply";
			return -1;
		}
	for (i = 0; i < n; i++) {
		if (fields[2 * i][0] == '\0')
			continue;
		for (k = 1; k <= nkeys && hits[i].scope == MILTER_SUPP_NONE;
		    k++)
			for (j = 2 * i; j < 2 * i + 2; j++) {
				v = reps[k]->element[j];
				if (fields[j][0] == '\0' ||
				    !milter_supp_live(v, now))
					continue;
				hits[i].scope = k == 1 ? MILTER_SUPP_STREAM :
				    MILTER_SUPP_BULK;
				pw_log_escape(hits[i].field,
				    sizeof(hits[i].field), fields[j],
				    strlen(fields[j]));
				milter_supp_part(v->str, v->len, 0,
				    hits[i].reason, sizeof(hits[i].reason));
				milter_supp_part(v->str, v->len, 1,
				    hits[i].source, sizeof(hits[i].source));
				break;
			}
	}
	return 0;
}

int
milter_supp_check(const struct pw_runtime *rt, const char *tenant,
    const char *stream, bool bulk, const char *const *addrs, size_t n,
    struct milter_supp_hit *hits, const char **why_r)
{
	const char *prefix = rt->conf->redis_key_prefix, **argv[2];
	const char *time_argv[1] = { "TIME" };
	struct pw_redis_cmd cmds[3];
	redisReply *reps[3];
	const char **fields;
	const char *at;
	char *keys[2];
	struct pw_redis *r;
	size_t i, k, nkeys = bulk ? 2 : 1, any = 0;
	int ret = -1;

	for (i = 0; i < n; i++) {
		memset(&hits[i], 0, sizeof(hits[i]));
		if (addrs[i][0] != '\0')
			any++;
	}
	if (any == 0)
		return 0;
	keys[0] = pw_schema_key_new(prefix, PW_SCHEMA_SUPP_STREAM, tenant,
	    stream, NULL);
	keys[1] = pw_schema_key_new(prefix, PW_SCHEMA_SUPP_BULK, tenant, NULL,
	    NULL);
	/* Fields: address, then "@domain" ("" for none), per recipient. */
	fields = pw_xmalloc(2 * n * sizeof(*fields));
	for (i = 0; i < n; i++) {
		at = strrchr(addrs[i], '@');
		fields[2 * i] = addrs[i];
		fields[2 * i + 1] = at != NULL ? at : "";
	}
	cmds[0].argc = 1;
	cmds[0].argv = time_argv;
	cmds[0].argvlen = NULL;
	for (k = 0; k < nkeys; k++) {
		argv[k] = pw_xmalloc((2 * n + 2) * sizeof(*argv[k]));
		argv[k][0] = "HMGET";
		argv[k][1] = keys[k];
		memcpy(argv[k] + 2, fields, 2 * n * sizeof(*fields));
		cmds[k + 1].argc = (int)(2 * n + 2);
		cmds[k + 1].argv = argv[k];
		cmds[k + 1].argvlen = NULL;
	}
	if ((r = milter_identity_redis_take(rt)) == NULL) {
		*why_r = "no Redis handle";
		goto out;
	}
	k = pw_redis_pipeline(r, nkeys + 1, cmds, reps, why_r) == 0;
	milter_identity_redis_give(rt, r);
	if (!k)
		goto out;
	ret = milter_supp_judge(reps, nkeys, fields, n, hits, why_r);
	for (k = 0; k <= nkeys; k++)
		freeReplyObject(reps[k]);
	if (ret < 0)
		for (i = 0; i < n; i++)
			memset(&hits[i], 0, sizeof(hits[i]));
out:
	for (k = 0; k < nkeys; k++)
		free(argv[k]);
	free(fields);
	free(keys[0]);
	free(keys[1]);
	return ret;
}

void
milter_supp_event(const char *queue_id, const char *tenant, const char *key,
    const char *stream, const char *recipient,
    const struct milter_supp_hit *hit)
{
	struct milter_event *ev;

	if (!milter_events_enabled(milter_events_daemon))
		return;
	ev = milter_event_new("suppressed");
	milter_event_add(ev, "queue_id", queue_id);
	milter_event_add(ev, "tenant", tenant);
	milter_event_add(ev, "key", key);
	milter_event_add(ev, "stream", stream);
	milter_event_add(ev, "recipient", recipient);
	milter_event_add(ev, "scope", milter_supp_scope_name(hit->scope));
	milter_event_add(ev, "match", hit->field);
	milter_event_add(ev, "reason", hit->reason);
	milter_event_add(ev, "source", hit->source);
	milter_events_post(milter_events_daemon, &ev);
}
