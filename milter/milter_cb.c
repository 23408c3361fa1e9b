/*
 * milter_cb.c -- libmilter callbacks of postwarden-milter.
 *
 * Threads: libmilter runs each connection in a thread of its own, and any
 * callback of a connection may run on any thread; all state lives in the
 * connection context set with smfi_setpriv(), nothing else is shared but
 * the published runtime snapshot (taken once per connection, so a reload
 * never changes settings under a message) and an atomic message counter.
 *
 * Ownership: a connection context lives from connect to close; its
 * message context from MAIL FROM to end-of-message or abort, and is reset
 * at the next MAIL FROM (several messages may share a connection).
 * xxfi_close may run without xxfi_connect, with no context.
 *
 * Failures: an internal failure answers SMFIS_TEMPFAIL, decided only in
 * milter_fail(); Postfix's milter_default_action covers a milter that is
 * down.  Who is sending is resolved by lib/identity.c, exactly as in the
 * policy daemon; mail that belongs to nobody is left alone.
 *
 * Protocol: the connection context is made at negotiation (libmilter
 * calls xxfi_negotiate before xxfi_connect), from the snapshot current
 * then.  The milter answers connect, MAIL FROM, RCPT TO and each header
 * with no reply when the MTA allows it (SMFIP_NR_CONN, _MAIL, _RCPT,
 * _HDR): it never refuses there, and every round trip saved is a pair of
 * context switches in a busy Postfix.  It asks for headers with their
 * leading space (SMFIP_HDR_LEADSPC, so that simple canonicalization sees
 * the bytes as they are), and for the body only as long as a message
 * needs it (signed, or a tenant's, whose size the event records): a body
 * callback for any other message answers SMFIS_SKIP.  It may add, change
 * and delete headers and change the envelope sender (VERP).
 *
 * A tenant's message (milter_msg.h) is finished in milter_eom.c; other
 * mail is at most signed.  Signatures are inserted at the top
 * (smfi_insheader index 0) at end of message, after every other change
 * (milter_dkim.h says how added and removed headers are handled).
 */
#include "config.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "address.h"
#include "identity.h"
#include "log.h"
#include "milter.h"
#include "milter_dkim.h"
#include "milter_events.h"
#include "milter_identity.h"
#include "milter_msg.h"
#include "milter_refund.h"
#include "milter_tenant.h"
#include "rfc5322_addr.h"
#include "runtime.h"
#include "xmalloc.h"

static int milter_in_flight;

int
milter_messages_in_flight(void)
{
	return __atomic_load_n(&milter_in_flight, __ATOMIC_ACQUIRE);
}

/* Copy the queue id macro (it is absent or empty early on). */
static void
milter_queue_id(SMFICTX *ctx, struct milter_msg *msg)
{
	const char *qid = smfi_getsymval(ctx, "i");

	if (qid != NULL && *qid != '\0')
		pw_log_escape(msg->queue_id, sizeof(msg->queue_id), qid,
		    strlen(qid));
}

static void
milter_msg_end(struct milter_conn *conn)
{
	if (conn->msg == NULL)
		return;
	milter_dkim_msg_free(&conn->msg->dkim);
	milter_control_free(&conn->msg->control);
	free(conn->msg->settings);
	free(conn->msg);
	conn->msg = NULL;
	__atomic_sub_fetch(&milter_in_flight, 1, __ATOMIC_ACQ_REL);
}

/* The one place an internal failure turns into an answer to Postfix. */
static sfsistat
milter_fail(struct milter_conn *conn, const char *what)
{
	const char *qid = conn != NULL && conn->msg != NULL ?
	    conn->msg->queue_id : NULL;

	pw_log_msg(PW_LOG_ERROR, qid, "milter: %s; answering tempfail", what);
	if (conn != NULL)
		milter_msg_end(conn);
	return SMFIS_TEMPFAIL;
}

static const struct milter_runtime *
milter_conn_runtime(const struct milter_conn *conn)
{
	return conn->rt != NULL ? conn->rt->extra : NULL;
}

struct milter_dkim_conf *
milter_conn_dkim(const struct milter_conn *conn)
{
	const struct milter_runtime *mr = milter_conn_runtime(conn);

	return mr != NULL ? mr->dkim : NULL;
}

const struct pw_track_secret *
milter_conn_track(const struct milter_conn *conn)
{
	const struct milter_runtime *mr = milter_conn_runtime(conn);

	return mr != NULL ? mr->track : NULL;
}

const struct milter_tenant *
milter_msg_settings(struct milter_conn *conn, struct milter_msg *msg)
{
	const char *why;

	if (msg->settings != NULL)
		return msg->settings;
	msg->settings = pw_xmalloc(sizeof(*msg->settings));
	if (milter_tenant_get(conn->rt, msg->id.tenant, msg->settings,
	    &why) < 0)
		pw_log_msg(PW_LOG_WARNING, msg->queue_id[0] ? msg->queue_id :
		    NULL, "milter: tenant=%s: %s; using the default tenant "
		    "settings", msg->id.tenant, why);
	else if (why != NULL)
		pw_log_msg(PW_LOG_INFO, msg->queue_id[0] ? msg->queue_id :
		    NULL, "milter: tenant=%s: %s; using the settings Redis "
		    "gave last", msg->id.tenant, why);
	return msg->settings;
}

/* A connection context, with the snapshot current now. */
static struct milter_conn *
milter_conn_new(SMFICTX *ctx)
{
	struct milter_conn *conn = pw_xcalloc(1, sizeof(*conn));

	conn->rt = pw_runtime_current();
	if (smfi_setpriv(ctx, conn) != MI_SUCCESS) {
		pw_runtime_release(&conn->rt);
		free(conn);
		return NULL;
	}
	return conn;
}

static sfsistat
milter_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	/* Only the stages we use: no HELO, DATA or end of headers. */
	unsigned long skip = SMFIP_NOHELO | SMFIP_NOEOH | SMFIP_NOUNKNOWN |
	    SMFIP_NODATA | SMFIP_HDR_LEADSPC | SMFIP_NR_CONN | SMFIP_NR_MAIL |
	    SMFIP_NR_RCPT | SMFIP_NR_HDR | SMFIP_SKIP;
	unsigned long actions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGFROM;
	struct milter_conn *conn = smfi_getpriv(ctx);

	if (conn == NULL && (conn = milter_conn_new(ctx)) == NULL)
		return milter_fail(NULL, "smfi_setpriv failed");
	if ((f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS)) !=
	    (SMFIF_ADDHDRS | SMFIF_CHGHDRS)) {
		pw_log_error("milter: the MTA does not let filters add and "
		    "change headers; refusing the connection");
		return SMFIS_REJECT;
	}
	conn->dkim = milter_dkim_enabled(milter_conn_dkim(conn));
	*pf0 = f0 & (SMFIF_SETSYMLIST | actions);
	*pf1 = f1 & skip;
	*pf2 = 0;
	*pf3 = 0;
	conn->leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
	conn->hdr_noreply = (*pf1 & SMFIP_NR_HDR) != 0;
	conn->conn_noreply = (*pf1 & SMFIP_NR_CONN) != 0;
	conn->mail_noreply = (*pf1 & SMFIP_NR_MAIL) != 0;
	conn->rcpt_noreply = (*pf1 & SMFIP_NR_RCPT) != 0;
	conn->skip = (*pf1 & SMFIP_SKIP) != 0;
	conn->chgfrom = (*pf0 & SMFIF_CHGFROM) != 0;
	if (f0 & SMFIF_SETSYMLIST) {
		if (smfi_setsymlist(ctx, SMFIM_ENVFROM,
		    "i {auth_authen} {mail_addr}") != MI_SUCCESS ||
		    smfi_setsymlist(ctx, SMFIM_ENVRCPT, "{rcpt_addr}") !=
		    MI_SUCCESS ||
		    smfi_setsymlist(ctx, SMFIM_EOM, "i") != MI_SUCCESS)
			pw_log_warnx("milter: could not request macros; "
			    "relying on Postfix's milter_*_macros");
	}
	return SMFIS_CONTINUE;
}

static sfsistat
milter_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct milter_conn *conn = smfi_getpriv(ctx);
	const struct sockaddr *sa = (const struct sockaddr *)hostaddr;

	if (conn == NULL && (conn = milter_conn_new(ctx)) == NULL)
		return milter_fail(NULL, "smfi_setpriv failed");
	conn->client_addr[0] = '\0';
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    conn->client_addr, sizeof(conn->client_addr));
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr,
		    conn->client_addr, sizeof(conn->client_addr));
	if (milter_geoip_lookup(conn->rt, conn->client_addr, &conn->geo) == 0)
		memset(&conn->geo, 0, sizeof(conn->geo));
	return conn->conn_noreply ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
milter_envfrom(SMFICTX *ctx, char **argv)
{
	struct milter_conn *conn = smfi_getpriv(ctx);
	const char *sasl, *sender;
	struct milter_msg *msg;

	if (conn == NULL)
		return milter_fail(NULL, "MAIL FROM without a connection");
	milter_msg_end(conn);
	msg = pw_xcalloc(1, sizeof(*msg));
	conn->msg = msg;
	__atomic_add_fetch(&milter_in_flight, 1, __ATOMIC_ACQ_REL);
	milter_queue_id(ctx, msg);

	sasl = smfi_getsymval(ctx, "{auth_authen}");
	sender = smfi_getsymval(ctx, "{mail_addr}");
	if (sender == NULL && argv != NULL)
		sender = argv[0];
	/* Postfix gives {mail_addr} "" and argv[0] "<>" for a null sender. */
	msg->null_sender = sender == NULL || *sender == '\0' ||
	    strcmp(sender, "<>") == 0;
	/*
	 * Why a key has no tenant is logged at the end of the message, when
	 * Postfix has given it a queue id.  An invalid key id has no tenant
	 * (the policy daemon refuses it), but its mail is owned all the
	 * same: its control headers go.
	 */
	if (milter_identity_resolve(conn->rt, sasl, conn->client_addr, sender,
	    &msg->id, &msg->id_why, &msg->id_down) < 0)
		memset(&msg->id, 0, sizeof(msg->id));
	if (msg->id_why != NULL || msg->id_down)
		pw_log_escape(msg->sasl, sizeof(msg->sasl), sasl, strlen(sasl));
	msg->tenant = msg->id.tenant[0] != '\0';
	msg->owned = msg->tenant || msg->id.source != PW_IDENTITY_NONE ||
	    (sasl != NULL && *sasl != '\0');
	milter_control_init(&msg->control);
	/* Signed: authenticated senders and internal networks. */
	if (conn->dkim && ((sasl != NULL && *sasl != '\0') ||
	    milter_dkim_internal(milter_conn_dkim(conn), conn->client_addr)))
		msg->dkim = milter_dkim_msg_new(milter_conn_dkim(conn),
		    msg->id.tenant);
	return conn->mail_noreply ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/*
 * Keep the first recipient and count them.  It is kept in the normal
 * form of lib/address (an SMTPUTF8 domain as A-labels, no trailing dot,
 * lower case), the one the suppression lists hold: the one-click token
 * made of it then suppresses the recipient however it was written.  One
 * without a normal form, or too long for a token, is not kept.
 */
static sfsistat
milter_envrcpt(SMFICTX *ctx, char **argv)
{
	struct milter_conn *conn = smfi_getpriv(ctx);
	struct milter_msg *msg = conn != NULL ? conn->msg : NULL;
	char norm[PW_ADDRESS_MAX + 1];
	const char *addr, *why;
	size_t len;

	if (msg != NULL && msg->tenant && msg->nrcpt++ == 0) {
		addr = smfi_getsymval(ctx, "{rcpt_addr}");
		if (addr == NULL && argv != NULL && argv[0] != NULL)
			addr = argv[0];
		if (addr != NULL && *addr == '<')
			addr++;
		len = addr != NULL ? strcspn(addr, ">") : 0;
		msg->rcpt[0] = '\0';
		if (len > 0 && pw_address_normalize(addr, len,
		    PW_ADDRESS_F_BARE, norm, &why) == 0 &&
		    strlen(norm) < sizeof(msg->rcpt))
			memcpy(msg->rcpt, norm, strlen(norm) + 1);
	}
	return conn != NULL && conn->rcpt_noreply ? SMFIS_NOREPLY :
	    SMFIS_CONTINUE;
}

/*
 * A header field of an owned message: a control header is parsed (and
 * removed at end of message), as is the client's Feedback-ID (ours
 * replaces it: a client must not book its complaints to another
 * stream or tenant); From, List-Unsubscribe and List-Unsubscribe-Post
 * are noted.
 */
static void
milter_header_owned(struct milter_conn *conn, struct milter_msg *msg,
    const char *name, const char *value)
{
	struct milter_control_limits lim;
	const char *why;

	milter_control_limits_init(&lim, conn->rt->conf);
	if (milter_control_header(&msg->control, &lim, name, value, NULL,
	    0) != 0)
		return;
	if (strcasecmp(name, "From") == 0 && msg->from_domain[0] == '\0' &&
	    pw_rfc5322_addr_domain(value, strlen(value), msg->from_domain,
	    &why) < 0)
		msg->from_domain[0] = '\0';
	else if (strcasecmp(name, "Feedback-ID") == 0)
		milter_control_remove_field(&msg->control, name);
	else if (strcasecmp(name, "List-Unsubscribe") == 0)
		msg->has_list_unsubscribe = true;
	else if (strcasecmp(name, "List-Unsubscribe-Post") == 0 &&
	    msg->list_unsubscribe_post < INT_MAX)
		msg->list_unsubscribe_post++;
}

static sfsistat
milter_header(SMFICTX *ctx, char *name, char *value)
{
	struct milter_conn *conn = smfi_getpriv(ctx);
	struct milter_msg *msg = conn != NULL ? conn->msg : NULL;
	char *tmp = NULL;

	if (msg == NULL)
		goto out;
	/* name ": " value CRLF, as the message is stored. */
	msg->size += strlen(name) + strlen(value) + (conn->leadspc ? 3 : 4);
	/* The signer wants the value as stored: after the colon. */
	if (!conn->leadspc) {
		tmp = pw_xmalloc(strlen(value) + 2);
		tmp[0] = ' ';
		strcpy(tmp + 1, value);
		value = tmp;
	}
	if (msg->owned)
		milter_header_owned(conn, msg, name, value);
	if (msg->dkim != NULL)
		milter_dkim_header(msg->dkim, name, value);
	free(tmp);
out:
	return conn != NULL && conn->hdr_noreply ? SMFIS_NOREPLY :
	    SMFIS_CONTINUE;
}

/*
 * No signing table entry: the signing domain the message's tenant names
 * in Redis, if any.  true when the message will be signed.
 */
static bool
milter_dkim_tenant_domain(struct milter_conn *conn, struct milter_msg *msg)
{
	const struct milter_tenant *t;

	if (!msg->tenant)
		return false;
	t = milter_msg_settings(conn, msg);
	if (t->dkim_domain[0] == '\0')
		return false;
	return milter_dkim_use_domain(msg->dkim, t->dkim_domain,
	    &msg->dkim_why);
}

/* The headers are complete: is the message still to be signed? */
static bool
milter_dkim_start(struct milter_conn *conn, struct milter_msg *msg)
{
	if (!msg->body_seen) {
		msg->body_seen = true;
		if (msg->dkim != NULL &&
		    !milter_dkim_headers_done(msg->dkim, &msg->dkim_why) &&
		    !milter_dkim_tenant_domain(conn, msg))
			milter_dkim_msg_free(&msg->dkim);
	}
	return msg->dkim != NULL;
}

bool
milter_msg_signed(struct milter_conn *conn, struct milter_msg *msg)
{
	return milter_dkim_start(conn, msg);
}

static sfsistat
milter_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	struct milter_conn *conn = smfi_getpriv(ctx);

	if (conn == NULL || conn->msg == NULL)
		return milter_fail(conn, "body without MAIL FROM");
	if (!conn->msg->body_seen)
		conn->msg->size += 2;	/* the empty line */
	conn->msg->size += len;
	if (milter_dkim_start(conn, conn->msg))
		milter_dkim_body(conn->msg->dkim, data, len);
	else if (!conn->msg->tenant)
		return conn->skip ? SMFIS_SKIP : SMFIS_CONTINUE;
	return SMFIS_CONTINUE;
}

/* A signing failure is an event too (the reason is ours, never a key). */
static void
milter_dkim_failure_event(const struct milter_msg *msg, const char *why)
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

void
milter_log_accepted(const struct milter_conn *conn,
    const struct milter_msg *msg, const char *tenant, const char *desc)
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

int
milter_dkim_eom(SMFICTX *ctx, struct milter_conn *conn, char *desc,
    size_t descsize, char *fail, size_t failsize)
{
	struct milter_msg *msg = conn->msg;
	struct pw_buf values[PW_DKIM_MAX_SIGS];
	const char *why = NULL;
	size_t i, n = 0;
	int ret = 0;

	desc[0] = '\0';
	if (!milter_dkim_start(conn, msg)) {
		if (msg->dkim_why != NULL)
			pw_log_msg(PW_LOG_INFO, msg->queue_id,
			    "milter: dkim: not signed: %s", msg->dkim_why);
		return 0;
	}
	for (i = 0; i < PW_DKIM_MAX_SIGS; i++)
		pw_buf_init(&values[i], PW_DKIM_SIG_MAX);
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
			goto fail;
		}
	}
	goto out;
fail:
	desc[0] = '\0';
	milter_dkim_failure_event(msg, why);
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

static sfsistat
milter_eom(SMFICTX *ctx)
{
	struct milter_conn *conn = smfi_getpriv(ctx);
	struct milter_msg *msg;
	char fail[256], desc[PW_DKIM_MAX_SIGS * 300];
	int ret;

	if (conn == NULL || conn->msg == NULL)
		return milter_fail(conn, "end of message without MAIL FROM");
	msg = conn->msg;
	/* Postfix may assign the queue id only after MAIL FROM. */
	milter_queue_id(ctx, msg);
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
	if (msg->tenant)
		ret = milter_eom_tenant(ctx, conn, fail, sizeof(fail));
	else if (msg->owned)
		ret = milter_eom_owned(ctx, conn, fail, sizeof(fail));
	else if ((ret = milter_dkim_eom(ctx, conn, desc, sizeof(desc), fail,
	    sizeof(fail))) == 0)
		milter_log_accepted(conn, msg, "", desc);
	/* Refused after the policy daemon billed it: take that back. */
	if (ret != 0 && msg->tenant)
		milter_refund(conn->rt, msg->id.tenant, msg->id.key,
		    msg->queue_id, ret > 0 ? "rejected" : "tempfail");
	if (ret < 0) {
		char what[sizeof(fail) + PW_IDENTITY_TENANT_MAX + 16];

		snprintf(what, sizeof(what), "%s%s%s%s",
		    msg->tenant ? "tenant=" : "", msg->id.tenant,
		    msg->tenant ? ": " : "", fail);
		return milter_fail(conn, what);
	}
	milter_msg_end(conn);
	return ret > 0 ? SMFIS_REJECT : SMFIS_CONTINUE;
}

static sfsistat
milter_abort(SMFICTX *ctx)
{
	struct milter_conn *conn = smfi_getpriv(ctx);

	if (conn != NULL)
		milter_msg_end(conn);
	return SMFIS_CONTINUE;
}

static sfsistat
milter_close(SMFICTX *ctx)
{
	struct milter_conn *conn = smfi_getpriv(ctx);

	if (conn == NULL)
		return SMFIS_CONTINUE;
	milter_msg_end(conn);
	pw_runtime_release(&conn->rt);
	free(conn);
	(void)smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

struct smfiDesc milter_desc = {
	.xxfi_name = MILTER_NAME,
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGFROM,
	.xxfi_connect = milter_connect,
	.xxfi_envfrom = milter_envfrom,
	.xxfi_envrcpt = milter_envrcpt,
	.xxfi_header = milter_header,
	.xxfi_body = milter_body,
	.xxfi_eom = milter_eom,
	.xxfi_abort = milter_abort,
	.xxfi_close = milter_close,
	.xxfi_negotiate = milter_negotiate,
};
