/*
 * milter_supp.h -- the stream-scoped suppressions of a tenant's message
 * (docs/redis-schema.md, "Suppressions"): which of its recipients are
 * suppressed for the message's stream (<prefix>{T}:supp:stream:<stream>)
 * or, for a bulk stream, for every bulk stream (<prefix>{T}:supp:bulk).
 *
 * The stream is known only at end of data (the client's
 * X-Postwarden-Stream, or the tenant's default_stream), so the policy
 * daemon cannot apply these at RCPT; milter_eom.c removes the recipients
 * this finds (smfi_delrcpt) and refuses a message left with none.
 *
 * One round trip per message: TIME and an HMGET of every recipient's
 * address and "@domain" per hash, pipelined, on a handle of the
 * snapshot's pool (milter_identity.h); a message with no recipient in
 * normal form costs none.  Every match is a "suppressed" event
 * (milter_supp_event).
 *
 * Threads: any.  Failures: Redis not answering, or
 * an unexpected reply, is -1 with a static reason: the caller applies
 * milter_suppression_failure_mode.  Security: the entries read are
 * untrusted: bounded, and only their reason and source (up to the first
 * two '|') reach the event.
 */
#ifndef PW_MILTER_SUPP_H
#define PW_MILTER_SUPP_H

#include <stdbool.h>
#include <stddef.h>

#include "address.h"
#include "runtime.h"

enum milter_supp_scope {
	MILTER_SUPP_NONE,
	MILTER_SUPP_STREAM,	/* the message's stream's hash */
	MILTER_SUPP_BULK	/* every bulk stream's hash */
};

/* Whether, and by which entry, one recipient is suppressed. */
struct milter_supp_hit {
	enum milter_supp_scope	 scope;
	char			 field[PW_ADDRESS_MAX + 2]; /* a or @d */
	char			 reason[32];	/* the entry's, bounded */
	char			 source[32];
};

/*
 * Look up the n recipients addrs (normal form, "" for one without: never
 * suppressed) of tenant's message in stream's hash and, when bulk, the
 * bulk streams' one.  0 and hits[0..n-1] filled; -1 and a static *why_r
 * when Redis did not answer as expected (hits undefined).
 */
int	milter_supp_check(const struct pw_runtime *rt, const char *tenant,
	    const char *stream, bool bulk, const char *const *addrs, size_t n,
	    struct milter_supp_hit *hits, const char **why_r);

/*
 * The "suppressed" event of a recipient removed from queue_id
 * (docs/redis-schema.md): tenant, key, stream, the recipient, and hit.
 */
void	milter_supp_event(const char *queue_id, const char *tenant,
	    const char *key, const char *stream, const char *recipient,
	    const struct milter_supp_hit *hit);

/* "stream" or "bulk" (or "" for none): the event's and log's scope. */
const char *milter_supp_scope_name(enum milter_supp_scope scope);

#endif
