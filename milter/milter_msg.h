/*
 * milter_msg.h -- the state of one milter connection and of the message
 * on it, shared by the callbacks (milter_cb.c) and the end-of-message
 * work for a tenant's mail (milter_eom.c).
 *
 * Ownership: a connection context lives from negotiation to close; its
 * message context from MAIL FROM to end-of-message or abort (or the next
 * MAIL FROM).  Both belong to the one thread running a callback of that
 * connection at a time, so nothing here is locked.
 */
#ifndef PW_MILTER_MSG_H
#define PW_MILTER_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include <libmilter/mfapi.h>

#include "dkim_keys.h"
#include "geoip.h"
#include "identity.h"
#include "milter_control.h"
#include "milter_tenant.h"
#include "track.h"

#define MILTER_QUEUE_ID_MAX	32
#define MILTER_ADDR_MAX		64

struct milter_msg {
	char			 queue_id[MILTER_QUEUE_ID_MAX];
	struct pw_identity	 id;
	const char		*id_why;	/* static: why no tenant */
	char			 sasl[PW_IDENTITY_KEY_MAX * 4 + 4]; /* escaped */
	/*
	 * A tenant's message (identity resolved to a tenant): control
	 * headers, tracking, routing and events apply.  Other mail is
	 * left alone, but may be signed (internal networks).  Mail of an
	 * authenticated or mapped client (owned) loses its control and
	 * tracking headers whether or not its tenant is known; one whose
	 * key Redis could not resolve (id_down, no tenant) follows
	 * milter_identity_failure_mode.
	 */
	bool			 tenant;
	bool			 owned;
	bool			 id_down;	/* Redis did not answer */
	struct milter_control	 control;
	struct milter_tenant	*settings;	/* fetched once; or NULL */
	char			 from_domain[PW_DKIM_DOMAIN_MAX + 1];
	bool			 null_sender;	/* MAIL FROM:<> */
	bool			 has_list_unsubscribe;	/* client's own */
	int			 list_unsubscribe_post;	/* client's, count */
	int			 nrcpt;
	char			 rcpt[PW_TRACK_RCPT_MAX + 1];	/* the first */
	uint64_t		 size;		/* header and body bytes */
	struct milter_dkim_msg	*dkim;		/* or NULL */
	bool			 body_seen;
	const char		*dkim_why;	/* static: why not signed */
};

struct milter_conn {
	struct pw_runtime	*rt;
	char			 client_addr[MILTER_ADDR_MAX];
	struct pw_geoip_result	 geo;		/* of client_addr */
	struct milter_msg	*msg;
	bool			 dkim;		/* DKIM keys configured */
	bool			 leadspc;	/* SMFIP_HDR_LEADSPC */
	bool			 hdr_noreply;	/* SMFIP_NR_HDR */
	bool			 conn_noreply;	/* SMFIP_NR_CONN */
	bool			 mail_noreply;	/* SMFIP_NR_MAIL */
	bool			 rcpt_noreply;	/* SMFIP_NR_RCPT */
	bool			 skip;		/* SMFIP_SKIP */
	bool			 chgfrom;	/* SMFIF_CHGFROM granted */
};

/* The DKIM settings and the tracking secret of the connection's snapshot. */
struct milter_dkim_conf *milter_conn_dkim(const struct milter_conn *conn);
const struct pw_track_secret *milter_conn_track(const struct milter_conn *conn);

/*
 * The tenant's settings, fetched at most once per message (Redis or the
 * cache; the defaults, logged, when Redis has never answered).
 */
const struct milter_tenant *milter_msg_settings(struct milter_conn *conn,
	    struct milter_msg *msg);

/* Will the message be signed (once its headers are complete)? */
bool	milter_msg_signed(struct milter_conn *conn, struct milter_msg *msg);

/*
 * Sign and insert the signatures, if the message is to be signed.  0,
 * with desc "" or what was signed ("d=... s=... a=..., ..."); -1 with
 * the failure in fail when the message must be tempfailed
 * (dkim_failure_mode = tempfail).  desc belongs to the caller, who logs
 * it (milter_log_accepted).
 */
int	milter_dkim_eom(SMFICTX *ctx, struct milter_conn *conn, char *desc,
	    size_t descsize, char *fail, size_t failsize);

/*
 * The one line logged (info) for a message accepted with changes: who
 * sent it (client, identity source, key, tenant), then tenant (the
 * tenant's part: "id=... stream=... route=...", or ""), then what was
 * signed (desc, or "": nothing).  Nothing for a message with neither.
 */
void	milter_log_accepted(const struct milter_conn *conn,
	    const struct milter_msg *msg, const char *tenant,
	    const char *desc);

/*
 * End of a tenant's message (milter_eom.c): apply the control headers,
 * add the tracking id, Feedback-ID, one-click unsubscribe and route
 * headers, rewrite the envelope sender (VERP), sign, append the event.
 *   0  go on (accept)
 *   1  reject: the reply (550 5.6.0 and why) is set with smfi_setreply
 *  -1  tempfail: fail says why, for the log
 */
int	milter_eom_tenant(SMFICTX *ctx, struct milter_conn *conn, char *fail,
	    size_t failsize);

/*
 * End of an owned message without a tenant (milter_eom.c): apply
 * milter_identity_failure_mode when Redis did not answer for its key,
 * delete the client's control and tracking headers, sign.  Returns as
 * milter_eom_tenant.
 */
int	milter_eom_owned(SMFICTX *ctx, struct milter_conn *conn, char *fail,
	    size_t failsize);

#endif
