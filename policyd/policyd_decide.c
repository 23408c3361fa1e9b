/*
 * policyd_decide.c -- the policy decision (see policyd_decide.h).
 *
 * Exports: policyd_decide.
 *
 * Threads: the event loop's only.
 *
 * Ownership: p belongs to the connection's queue; this file only reads it
 * and hands it back through policyd_conn_answer().
 *
 * Failures: an invalid SASL user name, an unknown API key or a Redis
 * failure while reading the key's tenant is logged as a warning and, for
 * now, still answered DUNNO (the quota rules and the Redis fail mode
 * decide these in a later change).
 *
 * Security: every attribute is peer text; it is escaped and truncated
 * before it is logged.  The reply never contains peer text.
 */
#include "config.h"

#include <string.h>

#include "identity.h"
#include "log.h"
#include "policyd_decide.h"
#include "policyd_identity.h"
#include "policyd_proto.h"

/* Room for one escaped, truncated attribute in a log line. */
#define POLICYD_DECIDE_LOG_MAX	128

/* The action for every request until quota rules exist. */
#define POLICYD_DECIDE_DEFAULT	"DUNNO"

/* Escape attribute attr of req into dst for logging. */
static const char *
policyd_decide_esc(char *dst, size_t dstsize,
    const struct policyd_request *req, enum policyd_attr attr)
{
	const char *s = policyd_request_str(req, attr);

	return pw_log_escape(dst, dstsize, s, strlen(s));
}

static struct policyd_identity *policyd_decide_identity;

void
policyd_decide_setup(struct policyd_identity *pi)
{
	policyd_decide_identity = pi;
}

/* The identity is known: log the request and answer it. */
static void
policyd_decide_identified(const struct pw_identity *id, const char *why,
    void *arg)
{
	struct policyd_pending *p = arg;
	const struct policyd_request *req = p->req;
	char qid[POLICYD_DECIDE_LOG_MAX], state[POLICYD_DECIDE_LOG_MAX];
	char cname[POLICYD_DECIDE_LOG_MAX], caddr[POLICYD_DECIDE_LOG_MAX];
	char sasl[POLICYD_DECIDE_LOG_MAX], sender[POLICYD_DECIDE_LOG_MAX];
	char rcpt[POLICYD_DECIDE_LOG_MAX];
	enum pw_log_level level;

	level = strcmp(policyd_request_str(req, POLICYD_ATTR_PROTOCOL_STATE),
	    "END-OF-MESSAGE") == 0 ? PW_LOG_INFO : PW_LOG_DEBUG;
	policyd_decide_esc(qid, sizeof(qid), req, POLICYD_ATTR_QUEUE_ID);
	policyd_decide_esc(cname, sizeof(cname), req,
	    POLICYD_ATTR_CLIENT_NAME);
	policyd_decide_esc(caddr, sizeof(caddr), req,
	    POLICYD_ATTR_CLIENT_ADDRESS);
	policyd_decide_esc(sasl, sizeof(sasl), req,
	    POLICYD_ATTR_SASL_USERNAME);
	if (why != NULL)
		pw_log_msg(PW_LOG_WARNING, qid,
		    "request: client=%s[%s] sasl_username=%s: tenant unknown: "
		    "%s", cname, caddr, sasl, why);
	if (pw_log_enabled(level)) {
		policyd_decide_esc(state, sizeof(state), req,
		    POLICYD_ATTR_PROTOCOL_STATE);
		policyd_decide_esc(sender, sizeof(sender), req,
		    POLICYD_ATTR_SENDER);
		policyd_decide_esc(rcpt, sizeof(rcpt), req,
		    POLICYD_ATTR_RECIPIENT);
		pw_log_msg(level, qid, "request: state=%s client=%s[%s] "
		    "sasl_username=%s sender=<%s> recipient=<%s> tenant=%s "
		    "source=%s action=%s", state, cname, caddr, sasl, sender,
		    rcpt, id->tenant[0] != '\0' ? id->tenant : "-",
		    pw_identity_source_name(id->source),
		    POLICYD_DECIDE_DEFAULT);
	}
	policyd_conn_answer(p, POLICYD_DECIDE_DEFAULT);
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
