/*
 * milter_eom.c -- the end of a tenant's message: what postwarden-milter
 * removes from and adds to mail that belongs to a tenant, in this order:
 *
 *   0. the tenant must own the header From domain (milter_domain.h):
 *      else 550 5.7.1 (the reply table of milter_domain.c), or, with
 *      milter_from_domain_mismatch = unsigned, no signature; a tenant
 *      that owns no domain follows tenant_domains_required; Redis down
 *      with no cached answer tempfails (fail closed);
 *   1. the tenant's settings (milter_tenant.h) and the stream: the one
 *      the client named (X-Postwarden-Stream, checked against the
 *      tenant's streams) or the tenant's default;
 *   2. more than MILTER_CONTROL_REMOVE_MAX fields to delete reject the
 *      message with 550 5.6.0, before anything is deleted (a header bomb
 *      would make Postfix's cleanup panic); a malformed control header
 *      rejects it with 550 5.6.0 and the parser's text, or is ignored
 *      and logged (milter_control_errors);
 *  2b. the recipients suppressed for the stream (milter_supp.h: the
 *      stream's hash, and every bulk stream's for a bulk stream) are
 *      removed (smfi_delrcpt), each with a "suppressed" event, and their
 *      billing refunded; none left: 550 5.7.1; Redis not answering:
 *      milter_suppression_failure_mode (tempfail by default);
 *   3. the control headers, any tracking or route header the client
 *      wrote, its Feedback-ID, and its List-Unsubscribe-Post when it
 *      wrote no List-Unsubscribe, are deleted (last first, so no index
 *      moves under us);
 *   4. the tracking id header, unless the client opted out;
 *   5. Feedback-ID (ours, never the client's);
 *   6. for a bulk stream, RFC 8058 List-Unsubscribe (https and/or mailto
 *      with a token naming tenant and recipient) and
 *      List-Unsubscribe-Post, unless the client wrote List-Unsubscribe;
 *      only for one recipient, since a token names one, and only when
 *      the message will be signed (RFC 8058 section 4);
 *   7. the VERP envelope sender <bounce_local>+<id>@<bounce_domain>,
 *      except for a null sender, which stays null (RFC 5321 4.5.5: a
 *      bounce or auto-reply given a sender could loop);
 *   8. the route header for milter_header_checks (never signed);
 *   9. DKIM, over the headers as they now are (milter_eom_sign);
 *  10. the log line and the accepted event (milter_events.h).
 *
 * Headers are added with smfi_addheader (at the bottom) and told to the
 * signer exactly as Postfix stores them, so the signature covers them;
 * deletions are told too, so it does not cover what is gone.
 *
 * Mail of an authenticated or mapped client whose tenant is unknown
 * (milter_eom_owned) gets steps 2 (the cap), 3 and 9 only; when Redis did
 * not answer for its key, milter_identity_failure_mode decides first.
 * Other mail (milter_eom_other) is at most signed (internal networks).
 * milter_eom_run chooses among the three, and gives a refused tenant's
 * message its quota back (milter_refund.h).
 *
 * Calls go down only: the message's state (milter_msg.h, milter_conn.h),
 * milter_control, milter_dkim, milter_tenant, milter_domain, milter_route,
 * milter_events, milter_refund, lib/; never back to the callbacks.
 *
 * Failures: Redis stops a message here only at steps 0 and 2b, as their
 * settings say (elsewhere the settings come from the cache or are the
 * defaults; events are queued).  A libmilter call that
 * fails tempfails the message, as does a signing failure when
 * dkim_failure_mode = tempfail.  Nothing secret is logged: tokens and ids
 * are authenticated by the secret but do not reveal it.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "buf.h"
#include "identity.h"
#include "log.h"
#include "milter.h"
#include "milter_conn.h"
#include "milter_control.h"
#include "milter_dkim.h"
#include "milter_domain.h"
#include "milter_eom.h"
#include "milter_events.h"
#include "milter_metrics.h"
#include "milter_msg.h"
#include "milter_refund.h"
#include "milter_route.h"
#include "milter_supp.h"
#include "milter_tenant.h"
#include "runtime.h"
#include "track.h"
#include "xmalloc.h"

/* Most bytes of a List-Unsubscribe value: two URIs with a token each. */
#define MILTER_EOM_UNSUB_MAX \
	(2 * (PW_TENANT_URL_MAX + PW_TENANT_ADDR_MAX + \
	    PW_TRACK_TOKEN_MAX) + 64)

/* What the end of one message decided, for the log and the event. */
struct milter_eom {
	char			 id[PW_TRACK_ID_LEN + 1];	/* or "" */
	const char		*stream;
	bool			 routed;
	struct milter_route	 route;
	char			 dkim[PW_DKIM_MAX_SIGS * 300];
	char			 fail[256];
	int			 removed;	/* recipients (step 2b) */
};

static uint64_t
milter_eom_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

/*
 * Add a header at the bottom; the signer sees it when sign is true.
 * value has no leading space.  0, or -1 (fail filled).
 */
static int
milter_eom_add(SMFICTX *ctx, struct milter_conn *conn, struct milter_eom *e,
    const char *name, const char *value, bool sign)
{
	struct milter_msg *msg = conn->msg;
	char *stored = pw_xmalloc(strlen(value) + 2);
	int ret = 0;

	/* Postfix stores "Name: value"; with LEADSPC we give the space. */
	stored[0] = ' ';
	strcpy(stored + 1, value);
	if (smfi_addheader(ctx, (char *)name, conn->leadspc ? stored :
	    stored + 1) != MI_SUCCESS) {
		snprintf(e->fail, sizeof(e->fail), "smfi_addheader %s failed",
		    name);
		ret = -1;
	} else if (sign && msg->dkim != NULL)
		milter_dkim_header_add(msg->dkim, name, stored);
	free(stored);
	return ret;
}

/* Delete every control header (and client tracking/route header). */
static int
milter_eom_remove(SMFICTX *ctx, struct milter_msg *msg, struct milter_eom *e)
{
	const struct milter_control_removal *r;
	size_t i;

	for (i = msg->control.nremove; i > 0; i--) {
		r = &msg->control.remove[i - 1];
		if (smfi_chgheader(ctx, (char *)r->name, r->index, NULL) !=
		    MI_SUCCESS) {
			snprintf(e->fail, sizeof(e->fail),
			    "smfi_chgheader (delete) failed");
			return -1;
		}
		if (msg->dkim != NULL)
			milter_dkim_header_remove(msg->dkim, r->name, r->index);
	}
	return 0;
}

/* How a message is refused: the reply's code and status, the rule. */
struct milter_eom_refusal {
	const char	*code;		/* "550" */
	const char	*status;	/* "5.6.0" */
	const char	*rule;		/* the event's and log line's rule= */
};

/* A malformed control header, or too many fields to delete. */
static const struct milter_eom_refusal milter_eom_control_refusal = {
	"550", "5.6.0", "control_header"
};

/* A rejected message is an event, with the reply it got. */
static void
milter_eom_reject_event(const struct milter_msg *msg,
    const struct milter_eom_refusal *how, const char *text)
{
	struct milter_event *ev;

	if (!milter_events_enabled(milter_events_daemon))
		return;
	ev = milter_event_new("rejected");
	milter_event_add(ev, "queue_id", msg->queue_id);
	milter_event_add(ev, "tenant", msg->id.tenant);
	milter_event_add(ev, "key", msg->id.key);
	milter_event_add(ev, "rule", how->rule);
	milter_event_add(ev, "from_domain", msg->from_domain);
	milter_event_addf(ev, "reply", "%s %s %s", how->code, how->status,
	    text);
	milter_events_post(milter_events_daemon, &ev);
}

/* Refuse the message with how's reply and text: 1, or -1 (e->fail). */
static int
milter_eom_reject(SMFICTX *ctx, const struct milter_msg *msg,
    const struct milter_eom_refusal *how, const char *text,
    struct milter_eom *e)
{
	pw_log_msg(PW_LOG_NOTICE, msg->queue_id, "milter: tenant=%s: "
	    "reject: %s %s %s (rule=%s)", msg->id.tenant[0] ?
	    msg->id.tenant : "-", how->code, how->status, text, how->rule);
	milter_eom_reject_event(msg, how, text);
	if (smfi_setreply(ctx, (char *)how->code, (char *)how->status,
	    (char *)text) != MI_SUCCESS) {
		snprintf(e->fail, sizeof(e->fail), "smfi_setreply failed");
		return -1;
	}
	milter_metrics_message(MILTER_METRICS_REJECTED, how->rule);
	return 1;
}

/*
 * Step 2, first part, for every owned message: the client's
 * List-Unsubscribe-Post without a List-Unsubscribe of its own is deleted
 * (it is no use alone, and ours comes with ours), and a message with
 * more fields to delete than MILTER_CONTROL_REMOVE_MAX is refused.  0
 * go on, 1 rejected (reply set), -1 fail.
 */
static int
milter_eom_cap(SMFICTX *ctx, struct milter_msg *msg, struct milter_eom *e)
{
	char text[MILTER_CONTROL_ERR_SIZE];
	int i;

	if (!msg->has_list_unsubscribe)
		for (i = 0; i < msg->list_unsubscribe_post; i++)
			milter_control_remove_field(&msg->control,
			    "List-Unsubscribe-Post");
	if (!milter_control_too_many(&msg->control, text, sizeof(text)))
		return 0;
	return milter_eom_reject(ctx, msg, &milter_eom_control_refusal, text,
	    e);
}

/*
 * Step 0: the tenant must own the From domain (milter_domain.h).  Not
 * owned: refused with 550 5.7.1, or, with milter_from_domain_mismatch =
 * unsigned, passed on without a signature (milter_msg_signed frees the
 * signer; *unsigned_r is set for the log line); a tenant that owns no
 * domain: tenant_domains_required.  Redis down and nothing cached (for
 * the From domain, or for the dkim_domain that would sign): tempfail.
 * 0 go on, 1 rejected (reply set), -1 fail.
 */
static int
milter_eom_domains(SMFICTX *ctx, struct milter_conn *conn,
    struct milter_eom *e, bool *unsigned_r)
{
	struct milter_msg *msg = conn->msg;
	const struct pw_conf *conf = conn->rt->conf;
	const struct milter_domain_reply *row;
	struct milter_eom_refusal how;
	enum milter_domain_rule rule;
	char text[512];
	bool single = msg->nfrom == 1 && msg->from_domain[0] != '\0';

	*unsigned_r = false;
	switch (milter_msg_from_verdict(conn, msg)) {
	case MILTER_DOMAIN_OWNED:
		goto sign;
	case MILTER_DOMAIN_UNKNOWN:
		milter_metrics_fail_mode(MILTER_METRICS_FAIL_DOMAIN, true);
		snprintf(e->fail, sizeof(e->fail), "From domain %.64s: %s; "
		    "whether the tenant owns it is unknown (fail closed)",
		    single ? msg->from_domain : "-", msg->from_why != NULL ?
		    msg->from_why : "redis did not answer");
		return -1;
	case MILTER_DOMAIN_NONE:
		if (!conf->tenant_domains_required)
			goto sign;
		rule = MILTER_DOMAIN_RULE_NONE;
		break;
	default:
		rule = single ? MILTER_DOMAIN_RULE_FROM :
		    MILTER_DOMAIN_RULE_NO_FROM;
		if (conf->milter_from_domain_mismatch ==
		    PW_CONF_FROM_UNSIGNED) {
			*unsigned_r = true;
			goto sign;
		}
		break;
	}
	row = milter_domain_reply(rule);
	how.code = row->code;
	how.status = row->status;
	how.rule = row->event;
	milter_domain_reply_text(rule, msg->id.tenant, msg->from_domain, text,
	    sizeof(text));
	return milter_eom_reject(ctx, msg, &how, text, e);
sign:
	(void)milter_msg_signed(conn, msg);
	if (msg->dkim_down) {
		milter_metrics_fail_mode(MILTER_METRICS_FAIL_DOMAIN, true);
		snprintf(e->fail, sizeof(e->fail), "dkim: %s (fail closed)",
		    msg->dkim_why);
		return -1;
	}
	return 0;
}

/*
 * Steps 1 and 2: the stream, and what a malformed control header does.
 * 0 go on, 1 rejected (reply set), -1 fail.
 */
static int
milter_eom_control(SMFICTX *ctx, struct milter_conn *conn,
    const struct milter_tenant *t, struct milter_eom *e)
{
	struct milter_msg *msg = conn->msg;
	int ret;

	if ((ret = milter_eom_cap(ctx, msg, e)) != 0)
		return ret;
	(void)milter_control_check_stream(&msg->control, t->streams, NULL, 0);
	e->stream = msg->control.stream[0] != '\0' ? msg->control.stream :
	    t->default_stream;
	if (msg->control.err[0] == '\0')
		return 0;
	if (conn->rt->conf->milter_control_errors == PW_CONF_CONTROL_IGNORE) {
		pw_log_msg(PW_LOG_WARNING, msg->queue_id, "milter: tenant=%s: "
		    "control header ignored (milter_control_errors): %s",
		    msg->id.tenant, msg->control.err);
		return 0;
	}
	return milter_eom_reject(ctx, msg, &milter_eom_control_refusal,
	    msg->control.err, e);
}

/* Every recipient suppressed for the stream: refused (lib/ has no row). */
static const struct milter_eom_refusal milter_eom_supp_refusal = {
	"550", "5.7.1", "suppressed_stream"
};

/* qsort's comparison of two strings (const char *). */
static int
milter_eom_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether an address may go into a reply text: printable ASCII, no %. */
static bool
milter_eom_reply_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x21 || *s > 0x7e || *s == '%')
			return false;
	return true;
}

/*
 * Step 2b: the recipients suppressed for the message's stream (or every
 * bulk stream) are removed (milter_supp.h), each with an event; none
 * left refuses the message, else the removed ones are refunded.  Redis
 * not answering: milter_suppression_failure_mode.  0 go on, 1 rejected
 * (reply set), -1 fail.
 */
static int
milter_eom_supp(SMFICTX *ctx, struct milter_conn *conn,
    const struct milter_tenant *t, struct milter_eom *e)
{
	struct milter_msg *msg = conn->msg;
	const struct pw_conf *conf = conn->rt->conf;
	struct milter_supp_hit *hits;
	const char **addrs, *why;
	char text[PW_ADDRESS_MAX + 128], safe[4 * PW_ADDRESS_MAX + 1];
	size_t i, n = msg->nrcpts, removed = 0, nremoved = 0, distinct = 0;
	bool bulk = milter_tenant_is_bulk(t, e->stream);
	int ret = 0;

	if (msg->rcpts_over) {
		why = "too many recipients to look up";
		goto down;
	}
	if (n == 0)
		return 0;
	/* One that would not normalize has no address or domain to look up. */
	for (i = 0; i < n; i++)
		if (msg->rcpts[i].norm[0] == '\0') {
			why = "a recipient address that cannot be read";
			goto down;
		}
	addrs = pw_xmalloc(n * sizeof(*addrs));
	hits = pw_xmalloc(n * sizeof(*hits));
	for (i = 0; i < n; i++)
		addrs[i] = msg->rcpts[i].norm;
	if (milter_supp_check(conn->rt, msg->id.tenant, e->stream, bulk,
	    addrs, n, hits, &why) < 0) {
		free(addrs);
		free(hits);
		goto down;
	}
	for (i = 0; i < n; i++)
		if (hits[i].scope != MILTER_SUPP_NONE)
			removed++;
	if (removed > 0 && removed < n && !conn->delrcpt) {
		snprintf(e->fail, sizeof(e->fail), "%zu recipients suppressed "
		    "for stream %s, and the MTA does not let filters remove "
		    "recipients", removed, e->stream);
		ret = -1;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (hits[i].scope == MILTER_SUPP_NONE)
			continue;
		pw_log_escape(safe, sizeof(safe), msg->rcpts[i].norm,
		    strlen(msg->rcpts[i].norm));
		pw_log_msg(PW_LOG_INFO, msg->queue_id, "milter: tenant=%s "
		    "stream=%s: recipient %s suppressed (scope=%s match=%s "
		    "reason=%s source=%s)", msg->id.tenant, e->stream, safe,
		    milter_supp_scope_name(hits[i].scope), hits[i].field,
		    hits[i].reason, hits[i].source);
		milter_supp_event(msg->queue_id, msg->id.tenant, msg->id.key,
		    e->stream, msg->rcpts[i].norm, &hits[i]);
		addrs[nremoved++] = msg->rcpts[i].norm;
		if (removed < n && smfi_delrcpt(ctx, msg->rcpts[i].raw) !=
		    MI_SUCCESS) {
			snprintf(e->fail, sizeof(e->fail), "smfi_delrcpt "
			    "failed");
			ret = -1;
			goto out;
		}
	}
	if (removed == n) {
		/* The address only when it is plain ASCII, no '%'. */
		if (n == 1 && milter_eom_reply_ok(msg->rcpts[0].norm))
			snprintf(text, sizeof(text), "<%s>: recipient "
			    "unsubscribed from stream %s of tenant %s",
			    msg->rcpts[0].norm, e->stream, msg->id.tenant);
		else
			snprintf(text, sizeof(text), "%s unsubscribed from "
			    "stream %s of tenant %s", n == 1 ? "the recipient" :
			    "every recipient", e->stream, msg->id.tenant);
		ret = milter_eom_reject(ctx, msg, &milter_eom_supp_refusal,
		    text, e);
	} else if (removed > 0) {
		/* Billing counts a recipient once, however often named. */
		qsort(addrs, nremoved, sizeof(*addrs), milter_eom_strcmp);
		for (i = 0; i < nremoved; i++)
			if (i == 0 || strcmp(addrs[i - 1], addrs[i]) != 0)
				distinct++;
		e->removed = (int)removed;
		milter_refund_recipients(conn->rt, msg->id.tenant, msg->id.key,
		    msg->queue_id, (int)distinct);
	}
out:
	free(addrs);
	free(hits);
	return ret;
down:
	if (conf->milter_suppression_failure_mode != PW_CONF_FAILURE_ACCEPT) {
		snprintf(e->fail, sizeof(e->fail), "stream %s: suppressions: "
		    "%s (milter_suppression_failure_mode)", e->stream, why);
		return -1;
	}
	pw_log_msg(PW_LOG_WARNING, msg->queue_id, "milter: tenant=%s "
	    "stream=%s: suppressions: %s; delivering to every recipient "
	    "(milter_suppression_failure_mode)", msg->id.tenant, e->stream,
	    why);
	return 0;
}

/* Steps 4 and 5: the tracking id and Feedback-ID headers. */
static int
milter_eom_ids(SMFICTX *ctx, struct milter_conn *conn, struct milter_eom *e)
{
	struct milter_msg *msg = conn->msg;
	const struct pw_track_keyring *secret = milter_conn_track(conn);
	const struct pw_conf *conf = conn->rt->conf;
	char fbid[MILTER_CONTROL_FEEDBACK_ID_MAX + 1];

	if (secret != NULL && pw_track_id_make(secret, msg->id.tenant,
	    milter_eom_now_ms(), e->id) < 0)
		e->id[0] = '\0';
	if (e->id[0] != '\0' && msg->control.tracking) {
		if (milter_eom_add(ctx, conn, e, conf->milter_tracking_header,
		    e->id, true) < 0)
			return -1;
		milter_metrics_count(MILTER_METRICS_TRACKING_ID);
	}
	if (milter_control_feedback_id(&msg->control, msg->id.tenant,
	    e->stream, conf->milter_feedback_id_sender, fbid,
	    sizeof(fbid)) == 0 &&
	    milter_eom_add(ctx, conn, e, "Feedback-ID", fbid, true) < 0)
		return -1;
	return 0;
}

/* Step 6: RFC 8058 one-click unsubscribe for a bulk stream. */
static int
milter_eom_unsubscribe(SMFICTX *ctx, struct milter_conn *conn,
    const struct milter_tenant *t, struct milter_eom *e)
{
	struct milter_msg *msg = conn->msg;
	const struct pw_track_keyring *secret = milter_conn_track(conn);
	char token[PW_TRACK_TOKEN_MAX + 1];
	struct pw_buf v;
	const char *why;
	int ret = 0;

	if (secret == NULL || !milter_tenant_is_bulk(t, e->stream) ||
	    (t->unsubscribe_url[0] == '\0' &&
	    t->unsubscribe_mailto[0] == '\0'))
		return 0;
	if (msg->has_list_unsubscribe) {
		pw_log_msg(PW_LOG_DEBUG, msg->queue_id, "milter: the client "
		    "wrote List-Unsubscribe; not adding one");
		return 0;
	}
	if (!milter_msg_signed(conn, msg)) {
		pw_log_msg(PW_LOG_NOTICE, msg->queue_id, "milter: tenant=%s "
		    "stream=%s: no one-click unsubscribe header: the message "
		    "is not DKIM-signed (RFC 8058 section 4 wants a signature "
		    "that covers it)%s%s", msg->id.tenant, e->stream,
		    msg->dkim_why != NULL ? ": " : "",
		    msg->dkim_why != NULL ? msg->dkim_why : "");
		return 0;
	}
	if (msg->nrcpt != 1 || msg->rcpt[0] == '\0') {
		pw_log_msg(PW_LOG_NOTICE, msg->queue_id, "milter: tenant=%s "
		    "stream=%s: %d recipients: no one-click unsubscribe header "
		    "(a token names one recipient)", msg->id.tenant, e->stream,
		    msg->nrcpt);
		return 0;
	}
	if (pw_track_unsub_make(secret, msg->id.tenant, msg->rcpt, e->stream,
	    token, &why) < 0) {
		pw_log_msg(PW_LOG_NOTICE, msg->queue_id, "milter: no one-click "
		    "unsubscribe header: %s", why);
		return 0;
	}
	pw_buf_init(&v, MILTER_EOM_UNSUB_MAX);
	if (t->unsubscribe_url[0] != '\0')
		(void)pw_buf_printf(&v, "<%s%s>", t->unsubscribe_url, token);
	/* One URI per line: a token can make a line long. */
	if (t->unsubscribe_mailto[0] != '\0')
		(void)pw_buf_printf(&v, "%s<mailto:%s?subject=%s>",
		    v.len > 0 ? ",\n\t" : "", t->unsubscribe_mailto, token);
	if (milter_eom_add(ctx, conn, e, "List-Unsubscribe", v.data, true) < 0 ||
	    (t->unsubscribe_url[0] != '\0' &&
	    milter_eom_add(ctx, conn, e, "List-Unsubscribe-Post",
	    "List-Unsubscribe=One-Click", true) < 0))
		ret = -1;
	else
		milter_metrics_count(MILTER_METRICS_LIST_UNSUBSCRIBE);
	pw_buf_free(&v);
	return ret;
}

/*
 * Step 7: VERP, so that a bounce names the message it is about.  Only
 * through a bounce domain the tenant owns (milter_domain.h): one set by
 * hand, or left over after the domain moved to another tenant, must not
 * give the message another tenant's envelope sender (nor that tenant
 * this one's bounces); then, and while Redis cannot say, the sender the
 * policy service checked stays.
 */
static int
milter_eom_verp(SMFICTX *ctx, struct milter_conn *conn,
    const struct milter_tenant *t, struct milter_eom *e)
{
	struct milter_msg *msg = conn->msg;
	char from[PW_TENANT_BOUNCE_LOCAL_MAX + PW_TRACK_ID_LEN +
	    PW_TENANT_HOST_MAX + 8];
	const char *why;
	bool stale;

	if (t->bounce_domain[0] == '\0' || e->id[0] == '\0' ||
	    !msg->control.tracking || msg->null_sender)
		return 0;
	if (milter_domain_owned(conn->rt, msg->id.tenant, t->bounce_domain,
	    &stale, &why) != MILTER_DOMAIN_OWNED) {
		pw_log_msg(PW_LOG_WARNING, msg->queue_id, "milter: tenant=%s: "
		    "bounce_domain %s is not a sending domain of the tenant "
		    "(or Redis did not say); no VERP", msg->id.tenant,
		    t->bounce_domain);
		return 0;
	}
	if (!conn->chgfrom) {
		pw_log_msg(PW_LOG_WARNING, msg->queue_id, "milter: the MTA "
		    "does not let filters change the sender; no VERP");
		return 0;
	}
	snprintf(from, sizeof(from), "<%s+%s@%s>", t->bounce_local, e->id,
	    t->bounce_domain);
	if (smfi_chgfrom(ctx, from, NULL) != MI_SUCCESS) {
		snprintf(e->fail, sizeof(e->fail), "smfi_chgfrom failed");
		return -1;
	}
	milter_metrics_count(MILTER_METRICS_VERP);
	return 0;
}

/* Step 8: the pool, as a header that is never signed. */
static int
milter_eom_route(SMFICTX *ctx, struct milter_conn *conn,
    const struct milter_tenant *t, struct milter_eom *e)
{
	struct milter_msg *msg = conn->msg;
	const struct pw_conf *conf = conn->rt->conf;

	e->routed = milter_route_choose(conf->milter_pools,
	    conf->milter_default_pool, t, e->stream, conn->geo.country,
	    &e->route) == 1;
	if (!e->routed)
		return 0;
	milter_metrics_route(e->route.pool);
	if (e->route.fallback[0] != '\0')
		pw_log_msg(PW_LOG_WARNING, msg->queue_id, "milter: %s; using "
		    "pool %s", e->route.fallback, e->route.pool);
	return milter_eom_add(ctx, conn, e, conf->milter_route_header,
	    e->route.pool, false);
}

/* Step 10: one entry per accepted message (docs/redis-schema.md). */
static void
milter_eom_event(const struct milter_conn *conn, const struct milter_eom *e)
{
	const struct milter_msg *msg = conn->msg;
	struct milter_event *ev;
	struct pw_buf tags, meta;

	if (!milter_events_enabled(milter_events_daemon))
		return;
	pw_buf_init(&tags, MILTER_CONTROL_TOTAL_MAX);
	pw_buf_init(&meta, 6 * MILTER_CONTROL_TOTAL_MAX + 2);
	(void)milter_control_tags_str(&msg->control, &tags);
	(void)milter_control_metadata_json(&msg->control, &meta);
	ev = milter_event_new("accepted");
	milter_event_add(ev, "tracking_id", e->id);
	milter_event_add(ev, "queue_id", msg->queue_id);
	milter_event_add(ev, "tenant", msg->id.tenant);
	milter_event_add(ev, "key", msg->id.key);
	milter_event_add(ev, "source", pw_identity_source_name(msg->id.source));
	milter_event_add(ev, "from_domain", msg->from_domain);
	milter_event_addf(ev, "recipients", "%d", msg->nrcpt - e->removed);
	milter_event_addf(ev, "size", "%" PRIu64, msg->size);
	milter_event_add(ev, "stream", e->stream);
	milter_event_addn(ev, "tags", tags.len > 0 ? tags.data : "",
	    tags.len);
	milter_event_addn(ev, "metadata", meta.len > 0 ? meta.data : "{}",
	    meta.len > 0 ? meta.len : 2);
	milter_event_add(ev, "route", e->routed ? e->route.pool : "");
	milter_event_add(ev, "country", conn->geo.country);
	if (conn->geo.asn != 0)
		milter_event_addf(ev, "asn", "%" PRIu32, conn->geo.asn);
	else
		milter_event_add(ev, "asn", "");
	milter_event_add(ev, "dkim", e->dkim);
	milter_events_post(milter_events_daemon, &ev);
	pw_buf_free(&tags);
	pw_buf_free(&meta);
}

/* A signing failure is an event too (the reason is ours, never a key). */
static void
milter_eom_sign_failed_event(const struct milter_msg *msg, const char *why)
{
	struct milter_event *ev;

	if (!milter_events_enabled(milter_events_daemon))
		return;
	ev = milter_event_new("signing_failed");
	milter_event_add(ev, "queue_id", msg->queue_id);
	milter_event_add(ev, "tenant", msg->id.tenant);
	milter_event_add(ev, "key", msg->id.key);
	milter_event_add(ev, "reason", why);
	milter_events_post(milter_events_daemon, &ev);
}

/*
 * Step 9: sign and insert the signatures, if the message is to be
 * signed.  0, with desc "" or what was signed ("d=... s=... a=...,
 * ..."); -1 with the failure in fail when the message must be tempfailed
 * (dkim_failure_mode = tempfail).  desc belongs to the caller, who logs
 * it (milter_eom_log).
 */
static int
milter_eom_sign(SMFICTX *ctx, struct milter_conn *conn, char *desc,
    size_t descsize, char *fail, size_t failsize)
{
	struct milter_msg *msg = conn->msg;
	struct pw_buf values[PW_DKIM_MAX_SIGS];
	const char *why = NULL;
	size_t i, n = 0;
	int ret = 0;

	desc[0] = '\0';
	if (!milter_msg_signed(conn, msg) && !msg->dkim_fail) {
		if (msg->dkim_why != NULL)
			pw_log_msg(PW_LOG_INFO, msg->queue_id,
			    "milter: dkim: not signed: %s", msg->dkim_why);
		return 0;
	}
	for (i = 0; i < PW_DKIM_MAX_SIGS; i++)
		pw_buf_init(&values[i], PW_DKIM_SIG_MAX);
	/* Its domain's keys in Redis do not open, or are unknown. */
	if (msg->dkim_fail) {
		why = msg->dkim_why;
		milter_dkim_metrics(msg->dkim, "key_unavailable");
		goto fail;
	}
	if (milter_dkim_sign(msg->dkim, values, &n, desc, descsize,
	    &why) < 0)
		goto fail;
	/* Inserted last first, so they end up in key order at the top. */
	for (i = n; i > 0; i--) {
		const char *v = values[i - 1].data;

		if (!conn->leadspc && *v == ' ')
			v++;
		if (smfi_insheader(ctx, 0, "DKIM-Signature", (char *)v) !=
		    MI_SUCCESS) {
			why = "smfi_insheader failed";
			milter_dkim_metrics(msg->dkim, "insert_failed");
			goto fail;
		}
	}
	milter_dkim_metrics(msg->dkim, NULL);
	goto out;
fail:
	desc[0] = '\0';
	milter_eom_sign_failed_event(msg, why);
	milter_metrics_fail_mode(MILTER_METRICS_FAIL_DKIM,
	    milter_dkim_tempfail(milter_conn_dkim(conn)));
	if (milter_dkim_tempfail(milter_conn_dkim(conn))) {
		snprintf(fail, failsize, "dkim: signing failed: %s "
		    "(dkim_failure_mode)", why);
		ret = -1;
	} else
		pw_log_msg(PW_LOG_ERROR, msg->queue_id, "milter: dkim: signing "
		    "failed: %s; accepting the message unsigned "
		    "(dkim_failure_mode)", why);
out:
	for (i = 0; i < PW_DKIM_MAX_SIGS; i++)
		pw_buf_free(&values[i]);
	return ret;
}

/*
 * The one line logged (info) for a message accepted with changes: who
 * sent it (client, identity source, key, tenant), then tenant (the
 * tenant's part: "id=... stream=... route=...", or ""), then what was
 * signed (desc, or "": nothing).  Nothing for a message with neither.
 */
static void
milter_eom_log(const struct milter_conn *conn, const struct milter_msg *msg,
    const char *tenant, const char *desc)
{
	if (!msg->tenant && desc[0] == '\0')
		return;
	pw_log_msg(PW_LOG_INFO, msg->queue_id, "milter: client=%s source=%s "
	    "key=%s tenant=%s%s%s%s%s",
	    conn->client_addr[0] ? conn->client_addr : "unknown",
	    pw_identity_source_name(msg->id.source),
	    msg->id.key[0] ? msg->id.key : "-",
	    msg->id.tenant[0] ? msg->id.tenant : "-",
	    tenant[0] ? " " : "", tenant,
	    desc[0] ? "; dkim: signed: " : "", desc);
}

/*
 * End of a tenant's message: apply the control headers, add the tracking
 * id, Feedback-ID, one-click unsubscribe and route headers, rewrite the
 * envelope sender (VERP), sign, append the event.  Returns as
 * milter_eom_run, with the failure in fail.
 */
static int
milter_eom_tenant(SMFICTX *ctx, struct milter_conn *conn, char *fail,
    size_t failsize)
{
	struct milter_msg *msg = conn->msg;
	const struct milter_tenant *t = milter_msg_settings(conn, msg);
	struct milter_eom e;
	char summary[512];
	bool unowned;
	int ret;

	memset(&e, 0, sizeof(e));
	/* 1: rejected, the reply is set; -1: failed, e.fail says why. */
	if ((ret = milter_eom_domains(ctx, conn, &e, &unowned)) != 0 ||
	    (ret = milter_eom_control(ctx, conn, t, &e)) != 0 ||
	    (ret = milter_eom_supp(ctx, conn, t, &e)) != 0)
		goto out;
	if (milter_eom_remove(ctx, msg, &e) < 0 ||
	    milter_eom_ids(ctx, conn, &e) < 0 ||
	    milter_eom_unsubscribe(ctx, conn, t, &e) < 0 ||
	    milter_eom_verp(ctx, conn, t, &e) < 0 ||
	    milter_eom_route(ctx, conn, t, &e) < 0 ||
	    milter_eom_sign(ctx, conn, e.dkim, sizeof(e.dkim), e.fail,
	    sizeof(e.fail)) < 0) {
		ret = -1;
		goto out;
	}
	snprintf(summary, sizeof(summary), "id=%s stream=%s route=%s%s%s%s%s",
	    e.id[0] ? e.id : "-", e.stream, e.routed ? e.route.pool : "-",
	    e.routed ? " (" : "", e.routed ? e.route.reason : "",
	    e.routed ? ")" : "", unowned ? " from_domain=not_owned "
	    "(milter_from_domain_mismatch = unsigned)" : "");
	milter_eom_log(conn, msg, summary, e.dkim);
	milter_eom_event(conn, &e);
	return 0;
out:
	if (ret < 0)
		snprintf(fail, failsize, "%s", e.fail);
	return ret;
}

/*
 * End of an owned message without a tenant: apply
 * milter_identity_failure_mode when Redis did not answer for its key,
 * delete the client's control and tracking headers, sign.  Returns as
 * milter_eom_tenant.
 */
static int
milter_eom_owned(SMFICTX *ctx, struct milter_conn *conn, char *fail,
    size_t failsize)
{
	struct milter_msg *msg = conn->msg;
	struct milter_eom e;
	int ret;

	memset(&e, 0, sizeof(e));
	if (msg->id_down) {
		milter_metrics_fail_mode(MILTER_METRICS_FAIL_IDENTITY,
		    conn->rt->conf->milter_identity_failure_mode !=
		    PW_CONF_FAILURE_ACCEPT);
		if (conn->rt->conf->milter_identity_failure_mode !=
		    PW_CONF_FAILURE_ACCEPT) {
			snprintf(fail, failsize, "sasl_username=%s: tenant "
			    "unknown while Redis does not answer "
			    "(milter_identity_failure_mode)", msg->sasl);
			return -1;
		}
		pw_log_msg(PW_LOG_WARNING, msg->queue_id, "milter: "
		    "sasl_username=%s: tenant unknown while Redis does not "
		    "answer; accepting the message untracked, without the "
		    "client's control headers (milter_identity_failure_mode)",
		    msg->sasl);
	}
	if ((ret = milter_eom_cap(ctx, msg, &e)) != 0)
		goto out;
	if (milter_eom_remove(ctx, msg, &e) < 0 ||
	    milter_eom_sign(ctx, conn, e.dkim, sizeof(e.dkim), e.fail,
	    sizeof(e.fail)) < 0) {
		ret = -1;
		goto out;
	}
	milter_eom_log(conn, msg, "", e.dkim);
	return 0;
out:
	if (ret < 0)
		snprintf(fail, failsize, "%s", e.fail);
	return ret;
}

/* Any other mail: signed if it is to be.  Returns as milter_eom_tenant. */
static int
milter_eom_other(SMFICTX *ctx, struct milter_conn *conn, char *fail,
    size_t failsize)
{
	char desc[PW_DKIM_MAX_SIGS * 300];
	int ret;

	if ((ret = milter_eom_sign(ctx, conn, desc, sizeof(desc), fail,
	    failsize)) == 0)
		milter_eom_log(conn, conn->msg, "", desc);
	return ret;
}

int
milter_eom_run(SMFICTX *ctx, struct milter_conn *conn, char *what,
    size_t whatsize)
{
	struct milter_msg *msg = conn->msg;
	char fail[256];
	int ret;

	what[0] = '\0';
	if (msg->id_why != NULL)
		pw_log_msg(PW_LOG_WARNING, msg->queue_id,
		    "milter: sasl_username=%s: tenant unknown: %s", msg->sasl,
		    msg->id_why);
	else if (msg->id_down)
		pw_log_msg(PW_LOG_INFO, msg->queue_id, "milter: "
		    "sasl_username=%s: Redis did not answer; tenant=%s, as it "
		    "answered last", msg->sasl, msg->id.tenant);
	if (!msg->tenant)
		pw_log_msg(PW_LOG_DEBUG, msg->queue_id,
		    "milter: client=%s: no tenant; not tracked or routed",
		    conn->client_addr[0] ? conn->client_addr : "unknown");
	/* A failure's reason: in what, then cut to fail[256] as ever. */
	if (msg->tenant)
		ret = milter_eom_tenant(ctx, conn, what, whatsize);
	else if (msg->owned)
		ret = milter_eom_owned(ctx, conn, what, whatsize);
	else
		ret = milter_eom_other(ctx, conn, what, whatsize);
	/* Refused after the policy daemon billed it: take that back. */
	if (ret != 0 && msg->tenant)
		milter_refund(conn->rt, msg->id.tenant, msg->id.key,
		    msg->queue_id, ret > 0 ? "rejected" : "tempfail");
	if (ret < 0) {
		snprintf(fail, sizeof(fail), "%s", what);
		snprintf(what, whatsize, "%s%s%s%s",
		    msg->tenant ? "tenant=" : "", msg->id.tenant,
		    msg->tenant ? ": " : "", fail);
	}
	return ret;
}
