/*
 * milter_conn.h -- the state of one milter connection: the runtime
 * snapshot it was opened with, the client's address and country, what
 * was negotiated with the MTA, and the message on it (milter_msg.h).
 *
 * Ownership: made at negotiation (or connect) by the callbacks
 * (milter_cb.c), freed at close; one thread at a time runs a callback of
 * a connection, so nothing here is locked.  The snapshot is taken once,
 * so a reload never changes settings under a message.
 */
#ifndef PW_MILTER_CONN_H
#define PW_MILTER_CONN_H

#include <stdbool.h>

#include "geoip.h"
#include "runtime.h"
#include "track.h"

#define MILTER_ADDR_MAX		64

struct milter_msg;

struct milter_conn {
	struct pw_runtime	*rt;
	char			 client_addr[MILTER_ADDR_MAX];
	struct pw_geoip_result	 geo;		/* of client_addr */
	struct milter_msg	*msg;		/* milter_msg.h; or NULL */
	bool			 dkim;		/* DKIM keys configured */
	bool			 leadspc;	/* SMFIP_HDR_LEADSPC */
	bool			 hdr_noreply;	/* SMFIP_NR_HDR */
	bool			 conn_noreply;	/* SMFIP_NR_CONN */
	bool			 mail_noreply;	/* SMFIP_NR_MAIL */
	bool			 rcpt_noreply;	/* SMFIP_NR_RCPT */
	bool			 body_noreply;	/* SMFIP_NR_BODY */
	bool			 skip;		/* SMFIP_SKIP */
	bool			 chgfrom;	/* SMFIF_CHGFROM granted */
};

/* A connection with the snapshot current now; never NULL. */
struct milter_conn *milter_conn_new(void);
/*
 * Release the snapshot and free the connection; *connp becomes NULL.
 * Its message must have been ended (milter_msg_end) first.
 */
void	milter_conn_free(struct milter_conn **connp);

/* The DKIM settings and the tracking keyring of the connection's snapshot. */
struct milter_dkim_conf *milter_conn_dkim(const struct milter_conn *conn);
const struct pw_track_keyring *milter_conn_track(const struct milter_conn *conn);

#endif
