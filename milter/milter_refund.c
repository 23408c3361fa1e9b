/*
 * milter_refund.c -- take back a refused message's billing (see
 * milter_refund.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "lua.h"
#include "milter_events.h"
#include "milter_identity.h"
#include "milter_refund.h"
#include "redis.h"
#include "schema.h"


static struct pw_redis_script milter_refund_script = {
	"refund", pw_lua_refund, ""
};

int
milter_refund_init(const char **why_r)
{
	return pw_redis_script_init(&milter_refund_script, why_r);
}

/* The refund is an event, so that a consumer of billed ones can net it. */
static void
milter_refund_event(const char *tenant, const char *key,
    const char *queue_id, long long count, long long size,
    const char *reply)
{
	struct milter_event *ev;

	if (!milter_events_enabled(milter_events_daemon))
		return;
	ev = milter_event_new("refunded");
	milter_event_add(ev, "queue_id", queue_id);
	milter_event_add(ev, "tenant", tenant);
	milter_event_add(ev, "key", key);
	milter_event_addf(ev, "count", "%lld", count);
	milter_event_addf(ev, "size", "%lld", size);
	milter_event_add(ev, "reply", reply);
	milter_events_post(milter_events_daemon, &ev);
}

/* The refund of everything (part 0), or of part recipients. */
static void
milter_refund_run(const struct pw_runtime *rt, const char *tenant,
    const char *key, const char *queue_id, const char *reply, int part)
{
	char record[512], prefix[256], n[16];
	const char *argv[3], *why = "";
	struct pw_redis *r;
	redisReply *rep;

	if (*tenant == '\0' || !pw_redis_queue_id_ok(queue_id))
		return;
	if (pw_schema_key(prefix, sizeof(prefix), rt->conf->redis_key_prefix,
	    PW_SCHEMA_SLOT, tenant, NULL, NULL) < 0 ||
	    pw_schema_key(record, sizeof(record), rt->conf->redis_key_prefix,
	    PW_SCHEMA_BILLED, tenant, queue_id, NULL) < 0)
		return;
	argv[0] = record;
	argv[1] = prefix;
	snprintf(n, sizeof(n), "%d", part);
	argv[2] = n;
	if ((r = milter_identity_redis_take(rt)) == NULL)
		return;
	rep = pw_redis_evalsha(r, &milter_refund_script, 1, part > 0 ? 3 : 2,
	    argv, NULL, &why);
	milter_identity_redis_give(rt, r);
	if (rep == NULL) {
		pw_log_msg(PW_LOG_WARNING, queue_id, "milter: tenant=%s: "
		    "quota billed for this message not refunded (%s): %s",
		    tenant, reply, why);
		return;
	}
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 3 &&
	    rep->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(rep->element[0]->str, "refunded") == 0 &&
	    rep->element[1]->type == REDIS_REPLY_INTEGER &&
	    rep->element[2]->type == REDIS_REPLY_INTEGER) {
		pw_log_msg(PW_LOG_INFO, queue_id, "milter: tenant=%s: "
		    "refunded the quota billed for this message "
		    "(recipients=%lld): %s", tenant,
		    rep->element[1]->integer, reply);
		milter_refund_event(tenant, key, queue_id,
		    rep->element[1]->integer, rep->element[2]->integer,
		    reply);
	} else if (rep->type == REDIS_REPLY_ARRAY)
		pw_log_msg(PW_LOG_DEBUG, queue_id, "milter: tenant=%s: "
		    "nothing billed to refund: %s", tenant, reply);
	else
		pw_log_msg(PW_LOG_WARNING, queue_id, "milter: tenant=%s: "
		    "quota billed for this message not refunded (%s): "
		    "redis: %s", tenant, reply,
		    rep->type == REDIS_REPLY_ERROR ? "error reply" :
		    "unexpected reply");
	freeReplyObject(rep);
}

void
milter_refund(const struct pw_runtime *rt, const char *tenant,
    const char *key, const char *queue_id, const char *reply)
{
	milter_refund_run(rt, tenant, key, queue_id, reply, 0);
}

void
milter_refund_recipients(const struct pw_runtime *rt, const char *tenant,
    const char *key, const char *queue_id, int count)
{
	if (count > 0)
		milter_refund_run(rt, tenant, key, queue_id, "suppressed",
		    count);
}
