/*
 * policyd_decide.h -- the policy decision for one request.
 *
 * The one place where a request becomes an action: it resolves the
 * sender's identity (for an API key, its tenant, maybe with a Redis round
 * trip), then at RCPT and END-OF-MESSAGE runs the rules
 * (policyd_rules.h: one Lua script, one more round trip); the answer
 * always goes through policyd_conn_answer(), now or later.
 *
 * Threads: the event loop's only.
 */
#ifndef POLICYD_DECIDE_H
#define POLICYD_DECIDE_H

#include "policyd_conn.h"
#include "policyd_identity.h"

/* The identity resolver every decision uses (one per process). */
void	policyd_decide_setup(struct policyd_identity *pi);

/*
 * Decide p (its request and runtime snapshot) and call
 * policyd_conn_answer(p, action) exactly once, now or later.
 */
void	policyd_decide(struct policyd_pending *p);

/*
 * c is being freed: when Postfix closed it (c->peer_gone), release the
 * reservations of the transaction it left open; free c->txn.
 */
void	policyd_decide_conn_gone(struct policyd_conn *c);

#endif
