/*
 * policyd_decide.h -- the policy decision for one request.
 *
 * The one place where a request becomes an action.  Today it resolves the
 * sender's identity and answers DUNNO at once; a Redis round trip will
 * make it asynchronous without changing its callers, because the answer
 * always goes through policyd_conn_answer().
 *
 * Threads: the event loop's only.
 */
#ifndef POLICYD_DECIDE_H
#define POLICYD_DECIDE_H

#include "policyd_conn.h"

/*
 * Decide p (its request and runtime snapshot) and call
 * policyd_conn_answer(p, action) exactly once, now or later.
 */
void	policyd_decide(struct policyd_pending *p);

#endif
