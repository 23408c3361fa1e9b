/*
 * policyd_decide.c -- the policy decision (see policyd_decide.h).
 *
 * Exports: policyd_decide_setup, policyd_decide.
 *
 * Threads: the event loop's only.
 *
 * Ownership: p belongs to the connection's queue; this file only reads it
 * and hands it back through policyd_conn_answer().  A decision waiting
 * for Redis holds a struct policyd_decide_ctx, freed when it answers.
 *
 * The decision, in order:
 *   1. who sends (policyd_identity: lib/identity, the key's tenant from
 *      the cache or Redis);
 *   2. protocol states other than RCPT and END-OF-MESSAGE: DUNNO;
 *   3. nobody (unauthenticated, no mapping): DUNNO;
 *   4. an authenticated user name that is no known key (or not a valid
 *      key id): policyd_unknown_key, unless the store marker is gone
 *      (Redis lost its data): then policyd_fail_mode;
 *   5. Redis failed while reading the key's tenant: policyd_fail_mode;
 *   6. RCPT: the rules script (policyd_rules_rcpt); END-OF-MESSAGE: the
 *      accounting script (policyd_rules_eom).
 * Before that, every request is noted on its connection's transaction
 * (policyd_rules_txn_note): a request of another instance, or Postfix
 * closing the connection, gives back the reservations of a transaction
 * that never reached END-OF-MESSAGE.
 *
 * Failures: Redis trouble is answered by the fail mode and logged once
 * per outage (policyd_rules.c); per request only at debug level.
 *
 * Security: every attribute is peer text; it is escaped and truncated
 * before it is logged.  The reply never contains peer text.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "log.h"
#include "policyd_decide.h"
#include "policyd_identity.h"
#include "policyd_metrics.h"
#include "policyd_proto.h"
#include "policyd_rules.h"
#include "xmalloc.h"

/* Room for one escaped, truncated attribute in a log line. */
#define POLICYD_DECIDE_LOG_MAX	128

/* A decision waiting for the rules script. */
struct policyd_decide_ctx {
	struct policyd_pending	*p;
	struct pw_identity	 id;
};

/* Escape attribute attr of req into dst for logging. */
static const char *
policyd_decide_esc(char *dst, size_t dstsize,
    const struct policyd_request *req, enum policyd_attr attr)
{
	const char *s = policyd_request_str(req, attr);

	return pw_log_escape(dst, dstsize, s, strlen(s));
}

/* Who asks: the request's client fields, escaped for a log line. */
struct policyd_decide_client {
	char	qid[POLICYD_DECIDE_LOG_MAX];
	char	cname[POLICYD_DECIDE_LOG_MAX];
	char	caddr[POLICYD_DECIDE_LOG_MAX];
	char	sasl[POLICYD_DECIDE_LOG_MAX];
};

static void
policyd_decide_client(struct policyd_decide_client *c,
    const struct policyd_request *req)
{
	policyd_decide_esc(c->qid, sizeof(c->qid), req, POLICYD_ATTR_QUEUE_ID);
	policyd_decide_esc(c->cname, sizeof(c->cname), req,
	    POLICYD_ATTR_CLIENT_NAME);
	policyd_decide_esc(c->caddr, sizeof(c->caddr), req,
	    POLICYD_ATTR_CLIENT_ADDRESS);
	policyd_decide_esc(c->sasl, sizeof(c->sasl), req,
	    POLICYD_ATTR_SASL_USERNAME);
}

static struct policyd_identity *policyd_decide_identity;

void
policyd_decide_setup(struct policyd_identity *pi)
{
	const char *why;

	policyd_decide_identity = pi;
	if (policyd_rules_init(&why) < 0)
		pw_log_fatal("cannot prepare the rules scripts: %s", why);
}

/* Log the request and its verdict, then answer it. */
static void
policyd_decide_answer(struct policyd_pending *p, const struct pw_identity *id,
    const struct policyd_rules_verdict *v)
{
	const struct policyd_request *req = p->req;
	struct policyd_decide_client c;
	char state[POLICYD_DECIDE_LOG_MAX], sender[POLICYD_DECIDE_LOG_MAX];
	char rcpt[POLICYD_DECIDE_LOG_MAX];
	enum pw_log_level level;

	if (v->refused && v->rule != PW_RULE_FAIL)
		level = PW_LOG_INFO;
	else if (strcmp(policyd_request_str(req,
	    POLICYD_ATTR_PROTOCOL_STATE), "END-OF-MESSAGE") == 0)
		level = PW_LOG_INFO;
	else
		level = PW_LOG_DEBUG;
	if (pw_log_enabled(level)) {
		policyd_decide_client(&c, req);
		policyd_decide_esc(state, sizeof(state), req,
		    POLICYD_ATTR_PROTOCOL_STATE);
		policyd_decide_esc(sender, sizeof(sender), req,
		    POLICYD_ATTR_SENDER);
		policyd_decide_esc(rcpt, sizeof(rcpt), req,
		    POLICYD_ATTR_RECIPIENT);
		pw_log_msg(level, c.qid, "%s: state=%s client=%s[%s] "
		    "sasl_username=%s sender=<%s> recipient=<%s> tenant=%s "
		    "source=%s rule=%s%s%s%s action=%s",
		    v->refused ? "reject" : "request", state, c.cname, c.caddr,
		    c.sasl, sender, rcpt,
		    id->tenant[0] != '\0' ? id->tenant : "-",
		    pw_identity_source_name(id->source), pw_rule_event(v->rule),
		    v->detail[0] != '\0' ? " (" : "", v->detail,
		    v->detail[0] != '\0' ? ")" : "", v->action);
	}
	policyd_metrics_decision(policyd_request_str(req,
	    POLICYD_ATTR_PROTOCOL_STATE), id->tenant, v->rule, v->action);
	policyd_conn_answer(p, v->action);
}

/* The rules script's verdict. */
static void
policyd_decide_ruled(const struct policyd_rules_verdict *v, void *arg)
{
	struct policyd_decide_ctx *ctx = arg;

	policyd_decide_answer(ctx->p, &ctx->id, v);
	free(ctx);
}

/* The identity is known: decide. */
static void
policyd_decide_identified(const struct pw_identity *id,
    enum pw_identity_result res, const char *why, void *arg)
{
	struct policyd_pending *p = arg;
	const struct policyd_request *req = p->req;
	const struct pw_conf *conf = p->rt->conf;
	struct policyd_rules_verdict v = { "DUNNO", PW_RULE_NONE, "", false };
	struct policyd_decide_ctx *ctx;
	struct policyd_decide_client c;
	const char *state;
	bool rcpt, eom, unknown;

	/* The connection's open transaction: a new instance ends it. */
	if (p->conn != NULL) {
		if (p->conn->txn == NULL)
			p->conn->txn = pw_xcalloc(1, sizeof(*p->conn->txn));
		policyd_rules_txn_note(p->conn->txn, policyd_identity_redis(
		    policyd_decide_identity), p->rt, req, id);
	}
	state = policyd_request_str(req, POLICYD_ATTR_PROTOCOL_STATE);
	rcpt = strcmp(state, "RCPT") == 0;
	eom = strcmp(state, "END-OF-MESSAGE") == 0;
	unknown = res == PW_IDENTITY_UNKNOWN_KEY ||
	    res == PW_IDENTITY_INVALID_KEY;
	if (res != PW_IDENTITY_OK) {
		policyd_decide_client(&c, req);
		/* Redis trouble is logged once per outage, not here. */
		pw_log_msg(unknown ? PW_LOG_WARNING : PW_LOG_DEBUG, c.qid,
		    "request: client=%s[%s] sasl_username=%s: tenant unknown: "
		    "%s", c.cname, c.caddr, c.sasl, why);
	}
	if (!rcpt && !eom) {
		/* Nothing to check before RCPT, nothing to bill at DATA. */
	} else if (unknown) {
		ctx = pw_xcalloc(1, sizeof(*ctx));
		ctx->p = p;
		ctx->id = *id;
		policyd_rules_unknown(policyd_identity_redis(
		    policyd_decide_identity), p->rt, req, id,
		    policyd_decide_ruled, ctx);
		return;
	} else if (res != PW_IDENTITY_OK) {
		policyd_rules_failed(conf, why, &v);
	} else if (id->source != PW_IDENTITY_NONE && id->tenant[0] != '\0') {
		ctx = pw_xcalloc(1, sizeof(*ctx));
		ctx->p = p;
		ctx->id = *id;
		if (rcpt)
			policyd_rules_rcpt(policyd_identity_redis(
			    policyd_decide_identity), p->rt, req, id,
			    policyd_decide_ruled, ctx);
		else
			policyd_rules_eom(policyd_identity_redis(
			    policyd_decide_identity), p->rt, req, id,
			    policyd_decide_ruled, ctx);
		return;
	}
	policyd_decide_answer(p, id, &v);
}

void
policyd_decide(struct policyd_pending *p)
{
	const struct policyd_request *req = p->req;

	policyd_identity_resolve(policyd_decide_identity, p->rt,
	    req->attr[POLICYD_ATTR_SASL_USERNAME],
	    req->attr[POLICYD_ATTR_CLIENT_ADDRESS],
	    req->attr[POLICYD_ATTR_SENDER], policyd_decide_identified, p);
}

void
policyd_decide_conn_gone(struct policyd_conn *c)
{
	if (c->txn == NULL)
		return;
	if (c->peer_gone)
		policyd_rules_txn_end(c->txn, policyd_identity_redis(
		    policyd_decide_identity));
	free(c->txn);
	c->txn = NULL;
}
