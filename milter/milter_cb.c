/*
 * milter_cb.c -- libmilter callbacks of postwarden-milter.
 *
 * Threads: libmilter runs each connection in a thread of its own, and any
 * callback of a connection may run on any thread; all state lives in the
 * connection context set with smfi_setpriv(), nothing else is shared but
 * the published runtime snapshot (taken once per connection, so a reload
 * never changes settings under a message) and an atomic message counter
 * (milter_msg.c).
 *
 * Ownership: a connection context lives from connect to close; its
 * message context from MAIL FROM to end-of-message or abort, and is reset
 * at the next MAIL FROM (several messages may share a connection).
 * xxfi_close may run without xxfi_connect, with no context.
 *
 * Failures: an internal failure answers SMFIS_TEMPFAIL, decided only in
 * milter_cb_fail(); Postfix's milter_default_action covers a milter that
 * is down.  Who is sending is resolved at MAIL FROM (milter_msg.c, by
 * lib/identity.c exactly as in the policy daemon); mail that belongs to
 * nobody is left alone.
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
 * callback for any other message answers SMFIS_SKIP.  When it has DKIM
 * keys (a signer), body chunks get no reply either (SMFIP_NR_BODY):
 * nothing is refused mid-body, and a signed body is read whole anyway,
 * so the round trip per chunk is saved and SMFIS_SKIP given up (a
 * message it does not sign streams its body through unread).  It may
 * add, change and delete headers and change the envelope sender (VERP).
 *
 * Glue only: each callback takes what libmilter gives (macros, argv,
 * sockaddr, header and body bytes), hands it down as plain strings to
 * the connection (milter_conn.c) and message (milter_msg.c) state, and
 * at end of message to milter_eom.c, which removes, adds and signs;
 * then it turns the answer into an sfsistat.  Nothing below calls back.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "identity.h"
#include "log.h"
#include "milter.h"
#include "milter_conn.h"
#include "milter_dkim.h"
#include "milter_eom.h"
#include "milter_metrics.h"
#include "milter_msg.h"
#include "xmalloc.h"

/* The one place an internal failure turns into an answer to Postfix. */
static sfsistat
milter_cb_fail(struct milter_conn *conn, const char *what)
{
	const char *qid = conn != NULL && conn->msg != NULL ?
	    conn->msg->queue_id : NULL;

	pw_log_msg(PW_LOG_ERROR, qid, "milter: %s; answering tempfail", what);
	if (conn != NULL) {
		milter_metrics_message(MILTER_METRICS_TEMPFAILED, NULL);
		milter_msg_end(conn);
	}
	return SMFIS_TEMPFAIL;
}

/* A connection context, with the snapshot current now. */
static struct milter_conn *
milter_cb_conn_new(SMFICTX *ctx)
{
	struct milter_conn *conn = milter_conn_new();

	if (smfi_setpriv(ctx, conn) != MI_SUCCESS) {
		milter_conn_free(&conn);
		return NULL;
	}
	return conn;
}

static sfsistat
milter_cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	/* Only the stages we use: no HELO, DATA or end of headers. */
	unsigned long skip = SMFIP_NOHELO | SMFIP_NOEOH | SMFIP_NOUNKNOWN |
	    SMFIP_NODATA | SMFIP_HDR_LEADSPC | SMFIP_NR_CONN | SMFIP_NR_MAIL |
	    SMFIP_NR_RCPT | SMFIP_NR_HDR | SMFIP_SKIP;
	unsigned long actions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGFROM |
	    SMFIF_DELRCPT;
	struct milter_conn *conn = smfi_getpriv(ctx);

	if (conn == NULL && (conn = milter_cb_conn_new(ctx)) == NULL)
		return milter_cb_fail(NULL, "smfi_setpriv failed");
	if ((f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS)) !=
	    (SMFIF_ADDHDRS | SMFIF_CHGHDRS)) {
		pw_log_error("milter: the MTA does not let filters add and "
		    "change headers; refusing the connection");
		return SMFIS_REJECT;
	}
	conn->dkim = milter_dkim_enabled(milter_conn_dkim(conn));
	/* A signer reads bodies whole: no reply per chunk (see the top). */
	if (conn->dkim)
		skip |= SMFIP_NR_BODY;
	*pf0 = f0 & (SMFIF_SETSYMLIST | actions);
	*pf1 = f1 & skip;
	*pf2 = 0;
	*pf3 = 0;
	conn->leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
	conn->hdr_noreply = (*pf1 & SMFIP_NR_HDR) != 0;
	conn->conn_noreply = (*pf1 & SMFIP_NR_CONN) != 0;
	conn->mail_noreply = (*pf1 & SMFIP_NR_MAIL) != 0;
	conn->rcpt_noreply = (*pf1 & SMFIP_NR_RCPT) != 0;
	conn->body_noreply = (*pf1 & SMFIP_NR_BODY) != 0;
	conn->skip = (*pf1 & SMFIP_SKIP) != 0;
	conn->chgfrom = (*pf0 & SMFIF_CHGFROM) != 0;
	conn->delrcpt = (*pf0 & SMFIF_DELRCPT) != 0;
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
milter_cb_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct milter_conn *conn = smfi_getpriv(ctx);
	const struct sockaddr *sa = (const struct sockaddr *)hostaddr;

	if (conn == NULL && (conn = milter_cb_conn_new(ctx)) == NULL)
		return milter_cb_fail(NULL, "smfi_setpriv failed");
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
milter_cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct milter_conn *conn = smfi_getpriv(ctx);
	const char *sasl, *sender;

	if (conn == NULL)
		return milter_cb_fail(NULL, "MAIL FROM without a connection");
	sasl = smfi_getsymval(ctx, "{auth_authen}");
	sender = smfi_getsymval(ctx, "{mail_addr}");
	if (sender == NULL && argv != NULL)
		sender = argv[0];
	(void)milter_msg_begin(conn, smfi_getsymval(ctx, "i"), sasl, sender);
	return conn->mail_noreply ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
milter_cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct milter_conn *conn = smfi_getpriv(ctx);
	const char *addr;

	if (conn != NULL && conn->msg != NULL) {
		addr = smfi_getsymval(ctx, "{rcpt_addr}");
		if (addr == NULL && argv != NULL && argv[0] != NULL)
			addr = argv[0];
		milter_msg_rcpt(conn->msg, addr, argv != NULL ? argv[0] :
		    NULL);
	}
	return conn != NULL && conn->rcpt_noreply ? SMFIS_NOREPLY :
	    SMFIS_CONTINUE;
}

static sfsistat
milter_cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct milter_conn *conn = smfi_getpriv(ctx);
	struct milter_msg *msg = conn != NULL ? conn->msg : NULL;
	char *tmp = NULL;

	if (msg == NULL)
		goto out;
	/* The value as stored, after the colon: give it its space. */
	if (!conn->leadspc) {
		tmp = pw_xmalloc(strlen(value) + 2);
		tmp[0] = ' ';
		strcpy(tmp + 1, value);
		value = tmp;
	}
	milter_msg_header(conn, msg, name, value);
	free(tmp);
out:
	return conn != NULL && conn->hdr_noreply ? SMFIS_NOREPLY :
	    SMFIS_CONTINUE;
}

static sfsistat
milter_cb_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	struct milter_conn *conn = smfi_getpriv(ctx);

	if (conn != NULL && conn->body_noreply) {
		/* No answer here: end of message fails without a message. */
		if (conn->msg != NULL)
			(void)milter_msg_body(conn, conn->msg, data, len);
		return SMFIS_NOREPLY;
	}
	if (conn == NULL || conn->msg == NULL)
		return milter_cb_fail(conn, "body without MAIL FROM");
	if (!milter_msg_body(conn, conn->msg, data, len) && conn->skip)
		return SMFIS_SKIP;
	return SMFIS_CONTINUE;
}

static sfsistat
milter_cb_eom(SMFICTX *ctx)
{
	struct milter_conn *conn = smfi_getpriv(ctx);
	char what[256 + PW_IDENTITY_TENANT_MAX + 16];
	int ret;

	if (conn == NULL || conn->msg == NULL)
		return milter_cb_fail(conn, "end of message without MAIL FROM");
	/* Postfix may assign the queue id only after MAIL FROM. */
	milter_msg_queue_id(conn->msg, smfi_getsymval(ctx, "i"));
	if ((ret = milter_eom_run(ctx, conn, what, sizeof(what))) < 0)
		return milter_cb_fail(conn, what);
	milter_msg_end(conn);
	/* A rejection is counted with its rule by milter_eom.c. */
	if (ret == 0)
		milter_metrics_message(MILTER_METRICS_ACCEPTED, NULL);
	return ret > 0 ? SMFIS_REJECT : SMFIS_CONTINUE;
}

static sfsistat
milter_cb_abort(SMFICTX *ctx)
{
	struct milter_conn *conn = smfi_getpriv(ctx);

	if (conn != NULL)
		milter_msg_end(conn);
	return SMFIS_CONTINUE;
}

static sfsistat
milter_cb_close(SMFICTX *ctx)
{
	struct milter_conn *conn = smfi_getpriv(ctx);

	if (conn == NULL)
		return SMFIS_CONTINUE;
	milter_msg_end(conn);
	milter_conn_free(&conn);
	(void)smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

struct smfiDesc milter_desc = {
	.xxfi_name = MILTER_NAME,
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGFROM |
	    SMFIF_DELRCPT,
	.xxfi_connect = milter_cb_connect,
	.xxfi_envfrom = milter_cb_envfrom,
	.xxfi_envrcpt = milter_cb_envrcpt,
	.xxfi_header = milter_cb_header,
	.xxfi_body = milter_cb_body,
	.xxfi_eom = milter_cb_eom,
	.xxfi_abort = milter_cb_abort,
	.xxfi_close = milter_cb_close,
	.xxfi_negotiate = milter_cb_negotiate,
};
