/*
 * milter_supp.c -- the stream-scoped suppressions of a message's
 * recipients (see milter_supp.h): one EVALSHA of lua/supp_stream.lua.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "lua.h"
#include "milter_events.h"
#include "milter_identity.h"
#include "milter_supp.h"
#include "redis.h"
#include "schema.h"
#include "xmalloc.h"

static struct pw_redis_script milter_supp_script = {
	"supp_stream", pw_lua_supp_stream, ""
};

int
milter_supp_init(const char **why_r)
{
	return pw_redis_script_init(&milter_supp_script, why_r);
}

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

/* Read the script's reply into hits: 0, or -1 (unexpected). */
static int
milter_supp_reply(const redisReply *rep, size_t n,
    struct milter_supp_hit *hits)
{
	const redisReply *k, *f, *v;
	size_t i;

	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 3 * n)
		return -1;
	for (i = 0; i < n; i++) {
		k = rep->element[3 * i];
		f = rep->element[3 * i + 1];
		v = rep->element[3 * i + 2];
		if (k->type != REDIS_REPLY_INTEGER || k->integer < 0 ||
		    k->integer > 2 || f->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING)
			return -1;
		memset(&hits[i], 0, sizeof(hits[i]));
		hits[i].scope = k->integer == 1 ? MILTER_SUPP_STREAM :
		    k->integer == 2 ? MILTER_SUPP_BULK : MILTER_SUPP_NONE;
		if (hits[i].scope == MILTER_SUPP_NONE)
			continue;
		pw_log_escape(hits[i].field, sizeof(hits[i].field), f->str,
		    f->len);
		milter_supp_part(v->str, v->len, 0, hits[i].reason,
		    sizeof(hits[i].reason));
		milter_supp_part(v->str, v->len, 1, hits[i].source,
		    sizeof(hits[i].source));
	}
	return 0;
}

int
milter_supp_check(const struct pw_runtime *rt, const char *tenant,
    const char *stream, bool bulk, const char *const *addrs, size_t n,
    struct milter_supp_hit *hits, const char **why_r)
{
	const char *prefix = rt->conf->redis_key_prefix, **argv;
	char *skey, *bkey;
	struct pw_redis *r;
	redisReply *rep;
	size_t i, nkeys = bulk ? 2 : 1, any = 0;
	int ret = -1;

	for (i = 0; i < n; i++) {
		memset(&hits[i], 0, sizeof(hits[i]));
		if (addrs[i][0] != '\0')
			any++;
	}
	if (any == 0)
		return 0;
	skey = pw_schema_key_new(prefix, PW_SCHEMA_SUPP_STREAM, tenant,
	    stream, NULL);
	bkey = pw_schema_key_new(prefix, PW_SCHEMA_SUPP_BULK, tenant, NULL,
	    NULL);
	argv = pw_xmalloc((n + 2) * sizeof(*argv));
	argv[0] = skey;
	argv[1] = bkey;
	for (i = 0; i < n; i++)
		argv[nkeys + i] = addrs[i];
	if ((r = milter_identity_redis_take(rt)) == NULL) {
		*why_r = "no Redis handle";
		goto out;
	}
	rep = pw_redis_evalsha(r, &milter_supp_script, (int)nkeys,
	    (int)(nkeys + n), argv, NULL, why_r);
	milter_identity_redis_give(rt, r);
	if (rep == NULL)
		goto out;
	if (milter_supp_reply(rep, n, hits) == 0)
		ret = 0;
	else
		*why_r = rep->type == REDIS_REPLY_ERROR ? "an error reply" :
		    "an unexpected reply";
	freeReplyObject(rep);
out:
	free(argv);
	free(skey);
	free(bkey);
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
