/*
 * policyd_rules.h -- the quota and suppression rules of
 * postwarden-policyd: one Lua script per decision (RCPT: every check and
 * every counter change for one recipient; END-OF-MESSAGE: reservations
 * become usage), its reply turned into a Postfix action, the Redis fail
 * mode, and the event stream.
 *
 * policyd_decide.c resolves the identity and calls one of the functions
 * here; the callback receives the verdict, whose action goes to
 * policyd_conn_answer() unchanged.  Every reply is made from its rule's
 * row of lib/rule.h, the table of postwarden-policyd(8).
 *
 * Threads: the event loop's only.
 */
#ifndef POLICYD_RULES_H
#define POLICYD_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "identity.h"
#include "policyd_proto.h"
#include "redis_async.h"
#include "rule.h"
#include "runtime.h"

struct pw_geoip;

/* What the policy daemon keeps in a runtime snapshot (rt->extra). */
struct policyd_rules_runtime {
	struct pw_geoip	*geoip;		/* NULL: the country rule is off */
};

/* The outcome of one decision. */
struct policyd_rules_verdict {
	const char	*action;	/* for policyd_conn_answer() */
	enum pw_rule	 rule;		/* PW_RULE_NONE when admitted */
	const char	*detail;	/* for the log: "new", "again", ... */
	bool		 refused;	/* action is a 4xx/5xx refusal */
};

/* The verdict; it and its strings are valid during the call only. */
typedef void policyd_rules_cb(const struct policyd_rules_verdict *v,
    void *arg);

/*
 * pw_runtime_load() loader: open policyd_geoip_database into rt->extra
 * (missing or broken: a warning, the rule off).  Never fails.
 */
int	policyd_rules_load(struct pw_runtime *rt, char *err, size_t errsize);

/* Compute the scripts' digests once.  0, or -1 and a static reason. */
int	policyd_rules_init(const char **why_r);

/*
 * Decide a RCPT request of an identity with a tenant: cb runs exactly
 * once, later (after the script's reply) or now (submit failure, then
 * with the fail mode's action).
 */
void	policyd_rules_rcpt(struct pw_redis_async *ra,
	    const struct pw_runtime *rt, const struct policyd_request *req,
	    const struct pw_identity *id, policyd_rules_cb *cb, void *arg);

/* Bill an END-OF-MESSAGE request; cb runs exactly once as above. */
void	policyd_rules_eom(struct pw_redis_async *ra,
	    const struct pw_runtime *rt, const struct policyd_request *req,
	    const struct pw_identity *id, policyd_rules_cb *cb, void *arg);

/*
 * The verdict for Redis trouble (why is a static reason) under
 * policyd_fail_mode; the first one of an outage is logged.
 */
void	policyd_rules_failed(const struct pw_conf *conf, const char *why,
	    struct policyd_rules_verdict *v);

/*
 * Decide for an authenticated user name that is no known key
 * (policyd_unknown_key): id->key is the valid key id, or id->source is
 * PW_IDENTITY_NONE for a name that is not one.  Before refusing a valid
 * key id, the store marker is read: without it Redis lost postwarden's
 * data and the fail mode answers instead.  A refusal appends a "refused"
 * event (rule unknown_key) on ra, which may be NULL.  cb runs exactly
 * once, now or after the marker's reply.
 */
void	policyd_rules_unknown(struct pw_redis_async *ra,
	    const struct pw_runtime *rt, const struct policyd_request *req,
	    const struct pw_identity *id, policyd_rules_cb *cb, void *arg);

/*
 * The transaction a Postfix connection has open: its RCPTs reserved
 * capacity that only END-OF-MESSAGE bills and releases.  When Postfix
 * starts another transaction on the connection (a new instance) or
 * closes it, the reservations are given back at once (policyd_release.
 * lua) rather than holding the quota for policyd_reservation_ttl.
 */
struct policyd_rules_txn {
	bool	open;		/* RCPT seen, END-OF-MESSAGE not */
	/* "pw:{acme}:": redis_key_prefix (64) + "{" tenant "}:" */
	char	slot[64 + PW_IDENTITY_TENANT_MAX + 8];
	char	instance[256];
	/* "pw:{acme}:txn:<instance>" (lib/schema): slot + "txn:" + instance */
	char	txn_key[64 + PW_IDENTITY_TENANT_MAX + 8 + 4 + 256];
};

/*
 * Note a request with its identity on a connection's transaction t: a
 * different instance releases the open one first (on ra); RCPT of a
 * tenant opens one, END-OF-MESSAGE closes it.
 */
void	policyd_rules_txn_note(struct policyd_rules_txn *t,
	    struct pw_redis_async *ra, const struct pw_runtime *rt,
	    const struct policyd_request *req, const struct pw_identity *id);

/* The peer closed the connection: release t's open transaction. */
void	policyd_rules_txn_end(struct policyd_rules_txn *t,
	    struct pw_redis_async *ra);

#endif
