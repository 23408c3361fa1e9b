/*
 * milter_msg.h -- the state of one message on a milter connection
 * (milter_conn.h): who sent it, its control headers, its first recipient,
 * its size, its signer, and the tenant's settings, fetched once.
 *
 * The callbacks (milter_cb.c) parse what libmilter gives and hand it
 * here; the end of message (milter_eom.c) reads and changes it.  This
 * module calls only downward: milter_conn, milter_identity,
 * milter_control, milter_dkim, milter_tenant and lib/.
 *
 * Ownership: a message context lives from MAIL FROM to end-of-message or
 * abort (or the next MAIL FROM, or close), hung on its connection
 * (conn->msg); it belongs to the one thread running a callback of that
 * connection at a time, so nothing here is locked.  The count of
 * messages in flight is atomic, for a shutdown that waits for them.
 */
#ifndef PW_MILTER_MSG_H
#define PW_MILTER_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dkim_keys.h"
#include "identity.h"
#include "milter_conn.h"
#include "milter_control.h"
#include "milter_domain.h"
#include "milter_keys.h"
#include "milter_tenant.h"
#include "track.h"

#define MILTER_QUEUE_ID_MAX	32
/*
 * Most recipients of a message kept for the stream-scoped suppressions
 * (Postfix's smtpd_recipient_limit is 1000 by default); a message with
 * more is not checked, and milter_suppression_failure_mode decides.
 */
#define MILTER_MSG_RCPTS_MAX	10000

/* A recipient of a tenant's message. */
struct milter_msg_rcpt {
	char	*raw;	/* as the RCPT command gave it: for smfi_delrcpt */
	char	*norm;	/* lib/address's normal form, or "" (none) */
};

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
	int			 nfrom;		/* From fields */
	/*
	 * Does the tenant own the From domain (milter_msg_from_verdict,
	 * asked once)?  from_stale: the answer is one Redis gave before
	 * it stopped answering; from_why: why there is none (static).
	 */
	bool			 from_checked;
	enum milter_domain_verdict from_verdict;
	bool			 from_stale;
	const char		*from_why;
	bool			 dkim_down;	/* dkim_domain's owner unknown */
	bool			 null_sender;	/* MAIL FROM:<> */
	bool			 has_list_unsubscribe;	/* client's own */
	int			 list_unsubscribe_post;	/* client's, count */
	int			 nrcpt;
	char			 rcpt[PW_TRACK_RCPT_MAX + 1];	/* the first */
	/* Every recipient (at most MILTER_MSG_RCPTS_MAX: rcpts_over). */
	struct milter_msg_rcpt	*rcpts;
	size_t			 nrcpts, rcpts_size;
	bool			 rcpts_over;
	uint64_t		 size;		/* header and body bytes */
	struct milter_dkim_msg	*dkim;		/* or NULL */
	struct milter_keys	*rkeys;		/* Redis keys signing, or NULL */
	bool			 body_seen;
	const char		*dkim_why;	/* static: why not signed */
	/*
	 * Not signed, and that is a signing failure (dkim_failure_mode
	 * decides): the From domain (or the tenant's dkim_domain) has keys
	 * in Redis that do not open, or Redis did not say, and no table
	 * entry signs instead.
	 */
	bool			 dkim_fail;
};

/* Messages between MAIL FROM and end-of-message or abort, all threads. */
int	milter_msg_in_flight(void);

/*
 * MAIL FROM: end the connection's previous message, if any, and start
 * conn->msg: the queue id so far (qid, or NULL), who sends (the SASL
 * login sasl, or NULL; the envelope sender, or NULL), whether it is a
 * tenant's or owned, and a signer when it may be signed.  Never NULL.
 */
struct milter_msg *milter_msg_begin(struct milter_conn *conn,
	    const char *qid, const char *sasl, const char *sender);
/* Free conn->msg, if any, and count it out. */
void	milter_msg_end(struct milter_conn *conn);

/* Take the queue id macro, unless it is NULL or empty (early on). */
void	milter_msg_queue_id(struct milter_msg *msg, const char *qid);

/*
 * RCPT TO: count a tenant's recipients and keep them (addr as the MTA
 * gives it, with or without <>, or NULL; raw the RCPT command's
 * argument, or NULL) in the normal form of lib/address, the one the
 * suppression lists hold, with raw for smfi_delrcpt; the first is also
 * kept in rcpt, for a one-click token.
 */
void	milter_msg_rcpt(struct milter_msg *msg, const char *addr,
	    const char *raw);

/*
 * A header field; value is as stored, after the colon (with its leading
 * space).  Counts its bytes, notes the control headers, From and the
 * client's List-Unsubscribe of an owned message, and tells the signer.
 */
void	milter_msg_header(struct milter_conn *conn, struct milter_msg *msg,
	    const char *name, const char *value);

/*
 * A body chunk: counted, and hashed when the message is to be signed.
 * true while the rest of the body is still wanted (signed, or a
 * tenant's, whose size the event records).
 */
bool	milter_msg_body(struct milter_conn *conn, struct milter_msg *msg,
	    const unsigned char *data, size_t len);

/*
 * The tenant's settings, fetched at most once per message (Redis or the
 * cache; the defaults, logged, when Redis has never answered).
 */
const struct milter_tenant *milter_msg_settings(struct milter_conn *conn,
	    struct milter_msg *msg);

/*
 * Does the tenant of a tenant's message own its From domain (one From
 * field with one mailbox; else it has none, and only NONE or NOT_OWNED
 * can come back)?  Asked once (milter_domain.h), after the headers.
 */
enum milter_domain_verdict milter_msg_from_verdict(struct milter_conn *conn,
	    struct milter_msg *msg);

/*
 * Will the message be signed?  The first call (the headers are complete)
 * chooses the keys: for a tenant's message whose From domain the tenant
 * owns, that domain's active keys in Redis (milter_keys.h; with
 * dkim_kek_file set); else the signing table, else the signing domain the
 * tenant names in Redis (dkim_domain: its active keys in Redis, else its
 * keys in the key table); none frees the signer (msg->dkim_why says why;
 * msg->dkim_fail: a signing failure, see above).  A
 * tenant's message is signed only when the tenant owns its From domain
 * (then any entry may sign) or owns no domain under
 * tenant_domains_required = no (then only its tenant:T entry), and a
 * signing table entry for a domain (or its dkim_domain's) signs it only
 * when the tenant owns the signing domain (d=) of each of the entry's
 * keys; its dkim_domain signs only when the tenant owns it
 * (msg->dkim_down: Redis could not say whether it owns one of these).  Mail of an authenticated client whose tenant is
 * unknown is signed by no domain's entry.
 */
bool	milter_msg_signed(struct milter_conn *conn, struct milter_msg *msg);

#endif
