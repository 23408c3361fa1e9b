/*
 * milter_msg.c -- the state of one message (milter_msg.h): made at MAIL
 * FROM, fed by the recipient, header and body callbacks, read and
 * changed at end of message, freed at its end or abort.
 *
 * Calls only downward: who sends (milter_identity.c, lib/identity.c
 * exactly as in the policy daemon), control headers (milter_control.c),
 * the signer (milter_dkim.c), the tenant's settings (milter_tenant.c).
 * Never libmilter: the callbacks (milter_cb.c) pass plain strings.
 *
 * Threads: one callback of a connection at a time; only the count of
 * messages in flight is shared (atomic).  Failures: none here stop a
 * message; Redis trouble gives the cached or default settings, logged.
 */
#include "config.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "identity.h"
#include "log.h"
#include "milter_conn.h"
#include "milter_dkim.h"
#include "milter_identity.h"
#include "milter_keys.h"
#include "milter_msg.h"
#include "milter_tenant.h"
#include "rfc5322_addr.h"
#include "xmalloc.h"

static int milter_msg_count;

int
milter_msg_in_flight(void)
{
	return __atomic_load_n(&milter_msg_count, __ATOMIC_ACQUIRE);
}

void
milter_msg_queue_id(struct milter_msg *msg, const char *qid)
{
	if (qid != NULL && *qid != '\0')
		pw_log_escape(msg->queue_id, sizeof(msg->queue_id), qid,
		    strlen(qid));
}

struct milter_msg *
milter_msg_begin(struct milter_conn *conn, const char *qid, const char *sasl,
    const char *sender)
{
	struct milter_msg *msg;

	milter_msg_end(conn);
	msg = pw_xcalloc(1, sizeof(*msg));
	conn->msg = msg;
	__atomic_add_fetch(&milter_msg_count, 1, __ATOMIC_ACQ_REL);
	milter_msg_queue_id(msg, qid);

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
	return msg;
}

void
milter_msg_end(struct milter_conn *conn)
{
	size_t i;

	if (conn->msg == NULL)
		return;
	milter_dkim_msg_free(&conn->msg->dkim);
	milter_keys_release(&conn->msg->rkeys);
	milter_control_free(&conn->msg->control);
	for (i = 0; i < conn->msg->nrcpts; i++) {
		free(conn->msg->rcpts[i].raw);
		free(conn->msg->rcpts[i].norm);
	}
	free(conn->msg->rcpts);
	free(conn->msg->settings);
	free(conn->msg);
	conn->msg = NULL;
	__atomic_sub_fetch(&milter_msg_count, 1, __ATOMIC_ACQ_REL);
}

/*
 * It is kept in the normal form of lib/address (an SMTPUTF8 domain as
 * A-labels, no trailing dot, lower case): the one-click token made of it
 * then suppresses the recipient however it was written.  One without a
 * normal form, or too long for a token, is not kept.
 */
void
milter_msg_rcpt(struct milter_msg *msg, const char *addr, const char *raw)
{
	char norm[PW_ADDRESS_MAX + 1];
	struct milter_msg_rcpt *r;
	const char *why;
	size_t len;

	if (!msg->tenant)
		return;
	if (addr != NULL && *addr == '<')
		addr++;
	len = addr != NULL ? strcspn(addr, ">") : 0;
	if (len == 0 || pw_address_normalize(addr, len, PW_ADDRESS_F_BARE,
	    norm, &why) < 0)
		norm[0] = '\0';
	if (msg->nrcpt++ == 0) {
		msg->rcpt[0] = '\0';
		if (strlen(norm) < sizeof(msg->rcpt))
			memcpy(msg->rcpt, norm, strlen(norm) + 1);
	}
	if (msg->nrcpts == MILTER_MSG_RCPTS_MAX) {
		msg->rcpts_over = true;
		return;
	}
	if (msg->nrcpts == msg->rcpts_size) {
		msg->rcpts_size = msg->rcpts_size == 0 ? 4 :
		    2 * msg->rcpts_size;
		/* At most MILTER_MSG_RCPTS_MAX entries: no overflow. */
		msg->rcpts = pw_xrealloc(msg->rcpts, msg->rcpts_size *
		    sizeof(*msg->rcpts));
	}
	r = &msg->rcpts[msg->nrcpts++];
	/* Postfix's cleanup matches the address as RCPT TO wrote it. */
	r->raw = pw_xstrdup(raw != NULL && *raw != '\0' ? raw :
	    addr != NULL ? addr : "");
	r->norm = pw_xstrdup(norm);
}

/*
 * A header field of an owned message: a control header is parsed (and
 * removed at end of message), as is the client's Feedback-ID (ours
 * replaces it: a client must not book its complaints to another
 * stream or tenant); From, List-Unsubscribe and List-Unsubscribe-Post
 * are noted.
 */
static void
milter_msg_header_owned(struct milter_conn *conn, struct milter_msg *msg,
    const char *name, const char *value)
{
	struct milter_control_limits lim;
	const char *why;

	milter_control_limits_init(&lim, conn->rt->conf);
	if (milter_control_header(&msg->control, &lim, name, value, NULL,
	    0) != 0)
		return;
	if (strcasecmp(name, "From") == 0) {
		if (msg->nfrom < INT_MAX)
			msg->nfrom++;
		if (msg->nfrom == 1 && pw_rfc5322_addr_domain(value,
		    strlen(value), msg->from_domain, &why) < 0)
			msg->from_domain[0] = '\0';
	} else if (strcasecmp(name, "Feedback-ID") == 0)
		milter_control_remove_field(&msg->control, name);
	else if (strcasecmp(name, "List-Unsubscribe") == 0)
		msg->has_list_unsubscribe = true;
	else if (strcasecmp(name, "List-Unsubscribe-Post") == 0 &&
	    msg->list_unsubscribe_post < INT_MAX)
		msg->list_unsubscribe_post++;
}

void
milter_msg_header(struct milter_conn *conn, struct milter_msg *msg,
    const char *name, const char *value)
{
	/* name ":" value CRLF, as the message is stored. */
	msg->size += strlen(name) + strlen(value) + 3;
	if (msg->owned)
		milter_msg_header_owned(conn, msg, name, value);
	if (msg->dkim != NULL)
		milter_dkim_header(msg->dkim, name, value);
}

bool
milter_msg_body(struct milter_conn *conn, struct milter_msg *msg,
    const unsigned char *data, size_t len)
{
	if (!msg->body_seen)
		msg->size += 2;	/* the empty line */
	msg->size += len;
	if (milter_msg_signed(conn, msg)) {
		milter_dkim_body(msg->dkim, data, len);
		return true;
	}
	return msg->tenant;
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

enum milter_domain_verdict
milter_msg_from_verdict(struct milter_conn *conn, struct milter_msg *msg)
{
	if (!msg->from_checked) {
		msg->from_checked = true;
		msg->from_verdict = milter_domain_owned(conn->rt,
		    msg->id.tenant, msg->nfrom == 1 ? msg->from_domain : "",
		    &msg->from_stale, &msg->from_why);
	}
	return msg->from_verdict;
}

/*
 * May the message be signed, and may a signing table entry for its From
 * domain sign it (*domain_ok_r)?  See milter_msg_signed in milter_msg.h.
 */
static bool
milter_msg_may_sign(struct milter_conn *conn, struct milter_msg *msg,
    bool *domain_ok_r)
{
	*domain_ok_r = true;
	if (!msg->tenant) {
		/*
		 * Internal networks: the table as ever; a client of no
		 * known tenant: no domain's entry.
		 */
		*domain_ok_r = !msg->owned;
		return true;
	}
	switch (milter_msg_from_verdict(conn, msg)) {
	case MILTER_DOMAIN_OWNED:
		return true;
	case MILTER_DOMAIN_NONE:
		if (!conn->rt->conf->tenant_domains_required) {
			*domain_ok_r = false;
			return true;
		}
		msg->dkim_why = "the tenant has no sending domain";
		return false;
	case MILTER_DOMAIN_UNKNOWN:
		msg->dkim_why = "Redis did not answer whether the tenant owns "
		    "the From domain";
		return false;
	default:
		msg->dkim_why = "the From domain is not a sending domain of "
		    "the tenant";
		return false;
	}
}

/*
 * milter_dkim_owns_fn for a tenant's message: does its tenant own a
 * signing table key's domain (d=)?  Redis down with nothing cached is no,
 * and unknown is set: the caller then signs nothing and the message
 * tempfails (msg->dkim_down), as for the dkim_domain.
 */
struct milter_msg_owner {
	struct milter_conn	*conn;
	struct milter_msg	*msg;
	bool			 unknown;
};

static const char milter_msg_owner_down[] = "Redis did not answer whether "
    "the tenant owns the signing domain of a signing table entry";

static bool
milter_msg_owns(void *arg, const char *domain)
{
	struct milter_msg_owner *o = arg;
	const char *why;
	bool stale;

	switch (milter_domain_owned(o->conn->rt, o->msg->id.tenant, domain,
	    &stale, &why)) {
	case MILTER_DOMAIN_OWNED:
		return true;
	case MILTER_DOMAIN_UNKNOWN:
		o->unknown = true;
		return false;
	default:
		return false;
	}
}

/*
 * Whose keys in Redis a message looks for, and the reasons it gives when
 * they do not sign (static, indexed by enum milter_msg_keys_for).
 */
enum milter_msg_keys_for {
	MILTER_MSG_KEYS_FROM,		/* the From domain */
	MILTER_MSG_KEYS_DKIM_DOMAIN,	/* the tenant's dkim_domain */
};

static const struct {
	const char	*unverified, *broken, *unknown;
} milter_msg_keys_why[] = {
	[MILTER_MSG_KEYS_FROM] = {
		"the From domain's active DKIM keys in Redis are not "
		"verified in DNS (dkim_require_verified)",
		"no active DKIM key of the From domain in Redis opens under "
		"dkim_kek_file (logged when read)",
		"Redis did not answer for the From domain's DKIM keys, and "
		"none is cached",
	},
	[MILTER_MSG_KEYS_DKIM_DOMAIN] = {
		"the active DKIM keys in Redis of the tenant's dkim_domain "
		"are not verified in DNS (dkim_require_verified)",
		"no active DKIM key in Redis of the tenant's dkim_domain "
		"opens under dkim_kek_file (logged when read)",
		"Redis did not answer for the DKIM keys of the tenant's "
		"dkim_domain, and none is cached",
	},
};

/*
 * The active keys in Redis of domain, which the message's tenant owns,
 * as of the tenant's dkim_version, into keys (held by msg->rkeys).
 * Returns how many (0: none in Redis, or not verified; dkim_why says so
 * for the latter); -1 keys that do not open, or Redis did not say
 * (msg->dkim_why).  0 too without dkim_kek_file or a domain that has no
 * normal form.
 */
static int
milter_msg_domain_keys(struct milter_conn *conn, struct milter_msg *msg,
    const char *domain, enum milter_msg_keys_for what,
    const struct pw_dkim_key *keys[PW_DKIM_MAX_SIGS])
{
	const struct pw_seal_kek *kek =
	    milter_dkim_kek(milter_conn_dkim(conn));
	char norm[PW_ADDRESS_MAX + 1], at[PW_ADDRESS_DOMAIN_MAX + 2];
	const char *why;

	if (kek == NULL || domain[0] == '\0')
		return 0;
	/* lib/address's normal form, as `postwarden domain dkim` writes. */
	snprintf(at, sizeof(at), "@%s", domain);
	if (pw_address_normalize(at, strlen(at), PW_ADDRESS_F_DOMAIN, norm,
	    &why) < 0 || norm[0] != '@')
		return 0;
	milter_keys_release(&msg->rkeys);
	switch (milter_keys_get(conn->rt, kek, msg->id.tenant, norm + 1,
	    milter_msg_settings(conn, msg)->dkim_version, &msg->rkeys,
	    &why)) {
	case MILTER_KEYS_FOUND:
		break;
	case MILTER_KEYS_NONE:
		return 0;
	case MILTER_KEYS_UNVERIFIED:
		msg->dkim_why = milter_msg_keys_why[what].unverified;
		return 0;
	case MILTER_KEYS_BROKEN:
		msg->dkim_why = milter_msg_keys_why[what].broken;
		return -1;
	default:
		msg->dkim_why = milter_msg_keys_why[what].unknown;
		return -1;
	}
	return (int)milter_keys_list(msg->rkeys, keys);
}

/*
 * A tenant's message whose From domain it owns: that domain's active
 * keys in Redis.  1 signed with them; 0 none in Redis (the tables
 * decide); -1 keys that do not open, or Redis did not say
 * (msg->dkim_why): a table entry may still sign, else it is a signing
 * failure.
 */
static int
milter_msg_redis_keys(struct milter_conn *conn, struct milter_msg *msg)
{
	const struct pw_dkim_key *keys[PW_DKIM_MAX_SIGS];
	int n;

	if (!msg->tenant || msg->nfrom != 1 || msg->from_domain[0] == '\0' ||
	    milter_msg_from_verdict(conn, msg) != MILTER_DOMAIN_OWNED)
		return 0;
	n = milter_msg_domain_keys(conn, msg, msg->from_domain,
	    MILTER_MSG_KEYS_FROM, keys);
	if (n <= 0)
		return n;
	return milter_dkim_use_keys(msg->dkim, keys, (size_t)n) ? 1 : 0;
}

/*
 * No signing table entry: the signing domain the message's tenant names
 * in Redis (dkim_domain), if the tenant owns it, signs with its active
 * keys in Redis, as the From domain would (milter_msg_domain_keys), else
 * with its keys in the key table.  1 the message will be signed; 0 not
 * (msg->dkim_why, or NULL: the tenant names none); -1 not, and that is a
 * signing failure: the dkim_domain's keys in Redis do not open, or Redis
 * did not say, and the key table has none for it (msg->dkim_why).
 */
static int
milter_msg_tenant_domain(struct milter_conn *conn, struct milter_msg *msg)
{
	const struct pw_dkim_key *keys[PW_DKIM_MAX_SIGS];
	struct milter_msg_owner owner;
	const struct milter_tenant *t;
	const char *why, *redis_why;
	bool stale;
	int n;

	if (!msg->tenant)
		return 0;
	t = milter_msg_settings(conn, msg);
	if (t->dkim_domain[0] == '\0')
		return 0;
	switch (milter_domain_owned(conn->rt, msg->id.tenant, t->dkim_domain,
	    &stale, &why)) {
	case MILTER_DOMAIN_OWNED:
		break;
	case MILTER_DOMAIN_UNKNOWN:
		msg->dkim_down = true;
		msg->dkim_why = "Redis did not answer whether the tenant owns "
		    "its dkim_domain";
		return 0;
	default:
		msg->dkim_why = "the tenant's dkim_domain is not one of its "
		    "sending domains";
		return 0;
	}
	msg->dkim_why = NULL;
	n = milter_msg_domain_keys(conn, msg, t->dkim_domain,
	    MILTER_MSG_KEYS_DKIM_DOMAIN, keys);
	redis_why = msg->dkim_why;
	owner.conn = conn;
	owner.msg = msg;
	owner.unknown = false;
	if (milter_dkim_use_domain(msg->dkim, t->dkim_domain, keys,
	    n > 0 ? (size_t)n : 0, milter_msg_owns, &owner, &msg->dkim_why))
		return 1;
	if (owner.unknown) {
		msg->dkim_down = true;
		msg->dkim_why = milter_msg_owner_down;
		return 0;
	}
	if (n < 0) {
		msg->dkim_why = redis_why;
		return -1;
	}
	if (redis_why != NULL)
		msg->dkim_why = redis_why;
	return 0;
}

bool
milter_msg_signed(struct milter_conn *conn, struct milter_msg *msg)
{
	struct milter_msg_owner owner = { conn, msg, false };
	const char *redis_why;
	bool domain_ok, table;
	int r, td;

	if (!msg->body_seen) {
		msg->body_seen = true;
		if (msg->dkim != NULL &&
		    !milter_msg_may_sign(conn, msg, &domain_ok))
			milter_dkim_msg_free(&msg->dkim);
		else if (msg->dkim != NULL &&
		    (r = milter_msg_redis_keys(conn, msg)) <= 0) {
			redis_why = msg->dkim_why;
			table = milter_dkim_headers_done(msg->dkim, domain_ok,
			    msg->tenant ? milter_msg_owns : NULL, &owner,
			    &msg->dkim_why);
			if (owner.unknown) {
				/* Fail closed: tempfail (milter_eom.c). */
				milter_dkim_msg_free(&msg->dkim);
				milter_keys_release(&msg->rkeys);
				msg->dkim_down = true;
				msg->dkim_why = milter_msg_owner_down;
			} else if (!table &&
			    (td = milter_msg_tenant_domain(conn, msg)) <= 0) {
				milter_dkim_msg_free(&msg->dkim);
				milter_keys_release(&msg->rkeys);
				if (td < 0)
					msg->dkim_fail = true;
				else {
					msg->dkim_fail = r < 0;
					if (redis_why != NULL)
						msg->dkim_why = redis_why;
				}
			}
		}
	}
	return msg->dkim != NULL;
}
