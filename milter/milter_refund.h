/*
 * milter_refund.h -- take back the quota a tenant's message was billed
 * when the milter then does not accept it.
 *
 * Postfix asks the policy daemon at END-OF-MESSAGE
 * (smtpd_end_of_data_restrictions) before the cleanup server runs the
 * milters' end of message, so a message this milter rejects (a malformed
 * control header) or tempfails (a signing failure with dkim_failure_mode
 * = tempfail, an internal error) has been billed already.  milter_refund()
 * runs lua/refund.lua on the billing record
 * <prefix>{T}:billed:<queue id> (docs/redis-schema.md), one synchronous
 * round trip on a handle of the snapshot's pool: only messages that are
 * refused pay for it, and a Redis that does not answer costs at most
 * redis_command_timeout.  The result is logged with the queue id, and a
 * refund is a "refunded" event (docs/redis-schema.md), so that whoever
 * bills from the "billed" events can take it back too.
 *
 * A message the milter accepts without some of its recipients (removed
 * for a stream-scoped suppression) gets those recipients back
 * (milter_refund_recipients), not the message.
 *
 * What is not taken back: the rate limiter's admissions (they count as
 * they happen), a refund that Redis does not take (logged), and messages
 * refused after this milter (another milter, cleanup's own checks).
 */
#ifndef PW_MILTER_REFUND_H
#define PW_MILTER_REFUND_H

#include "runtime.h"

/* Compute the script's digest; 0, or -1 and a static reason. */
int	milter_refund_init(const char **why_r);

/*
 * Refund what was billed for queue_id of tenant (both valid, else
 * nothing happens), and append a "refunded" event (key: the API key id,
 * or "").  reply names what the milter answered, for the log and event.
 */
void	milter_refund(const struct pw_runtime *rt, const char *tenant,
	    const char *key, const char *queue_id, const char *reply);
/*
 * Refund count recipients (> 0) of queue_id, which the milter removed
 * from a message it accepts (stream-scoped suppressions, milter_supp.h):
 * the message and its bytes stay billed, and a later milter_refund()
 * takes back only the rest.  A "refunded" event with reply "suppressed"
 * and size 0.
 */
void	milter_refund_recipients(const struct pw_runtime *rt,
	    const char *tenant, const char *key, const char *queue_id,
	    int count);

#endif
