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
#include "milter_identity.h"
#include "runtime.h"
#include "xmalloc.h"

#define MILTER_QUEUE_ID_MAX	32
#define MILTER_ADDR_MAX		64

struct milter_msg {
	char			queue_id[MILTER_QUEUE_ID_MAX];
	struct pw_identity	id;
	const char		*id_why;	/* static: why no tenant */
	char			sasl[PW_IDENTITY_KEY_MAX * 4 + 4]; /* escaped */
};

struct milter_conn {
	struct pw_runtime	*rt;
	char			 client_addr[MILTER_ADDR_MAX];
	struct milter_msg	*msg;
};

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

static sfsistat
milter_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	/* Only the stages we use; no body, no headers, no recipients. */
	const unsigned long skip = SMFIP_NOHELO | SMFIP_NORCPT |
	    SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NOBODY | SMFIP_NOUNKNOWN |
	    SMFIP_NODATA;

	*pf0 = f0 & SMFIF_SETSYMLIST;
	*pf1 = f1 & skip;
	*pf2 = 0;
	*pf3 = 0;
	if (f0 & SMFIF_SETSYMLIST) {
		if (smfi_setsymlist(ctx, SMFIM_ENVFROM,
		    "i {auth_authen} {mail_addr}") != MI_SUCCESS ||
		    smfi_setsymlist(ctx, SMFIM_EOM, "i") != MI_SUCCESS)
			pw_log_warnx("milter: could not request macros; "
			    "relying on Postfix's milter_*_macros");
	}
	return SMFIS_CONTINUE;
}

static sfsistat
milter_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct milter_conn *conn = pw_xcalloc(1, sizeof(*conn));
	const struct sockaddr *sa = (const struct sockaddr *)hostaddr;

	conn->rt = pw_runtime_current();
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    conn->client_addr, sizeof(conn->client_addr));
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr,
		    conn->client_addr, sizeof(conn->client_addr));
	if (smfi_setpriv(ctx, conn) != MI_SUCCESS) {
		pw_runtime_release(&conn->rt);
		free(conn);
		return milter_fail(NULL, "smfi_setpriv failed");
	}
	return SMFIS_CONTINUE;
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
	/*
	 * Why a key has no tenant is logged at the end of the message, when
	 * Postfix has given it a queue id.  An invalid key id is left alone
	 * (the policy daemon refuses it).
	 */
	if (milter_identity_resolve(conn->rt, sasl, conn->client_addr, sender,
	    &msg->id, &msg->id_why) < 0)
		memset(&msg->id, 0, sizeof(msg->id));
	if (msg->id_why != NULL)
		pw_log_escape(msg->sasl, sizeof(msg->sasl), sasl, strlen(sasl));
	return SMFIS_CONTINUE;
}

static sfsistat
milter_eom(SMFICTX *ctx)
{
	struct milter_conn *conn = smfi_getpriv(ctx);
	struct milter_msg *msg;

	if (conn == NULL || conn->msg == NULL)
		return milter_fail(conn, "end of message without MAIL FROM");
	msg = conn->msg;
	/* Postfix may assign the queue id only after MAIL FROM. */
	milter_queue_id(ctx, msg);
	if (msg->id_why != NULL)
		pw_log_msg(PW_LOG_WARNING, msg->queue_id,
		    "milter: sasl_username=%s: tenant unknown: %s", msg->sasl,
		    msg->id_why);
	if (msg->id.source == PW_IDENTITY_NONE)
		pw_log_msg(PW_LOG_DEBUG, msg->queue_id,
		    "milter: client=%s: no tenant; left alone",
		    conn->client_addr[0] ? conn->client_addr : "unknown");
	else
		pw_log_msg(PW_LOG_INFO, msg->queue_id,
		    "milter: client=%s source=%s key=%s tenant=%s",
		    conn->client_addr[0] ? conn->client_addr : "unknown",
		    pw_identity_source_name(msg->id.source),
		    msg->id.key[0] ? msg->id.key : "-",
		    msg->id.tenant[0] ? msg->id.tenant : "-");
	milter_msg_end(conn);
	return SMFIS_CONTINUE;
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
	.xxfi_flags = 0,
	.xxfi_connect = milter_connect,
	.xxfi_envfrom = milter_envfrom,
	.xxfi_eom = milter_eom,
	.xxfi_abort = milter_abort,
	.xxfi_close = milter_close,
	.xxfi_negotiate = milter_negotiate,
};
