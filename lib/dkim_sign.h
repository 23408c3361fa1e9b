/*
 * dkim_sign.h -- DKIM signatures (RFC 6376, RFC 8301 sha256 only,
 * RFC 8463 ed25519-sha256) of one message, with one or more keys.
 *
 * Use: pw_dkim_sign_new() when it is known that a message is to be
 * signed; pw_dkim_sign_body() for each body chunk as it arrives (the body
 * is canonicalized and hashed on the fly, nothing is kept);
 * pw_dkim_sign_final() with the header fields exactly as they will leave
 * (the ones the caller adds included, the ones it removes left out) to
 * get one DKIM-Signature value per key; pw_dkim_sign_free().  Lines
 * longer than opts->line_limit are hashed as Postfix's SMTP client will
 * send them, broken (smtp_lines.h).
 *
 * A signature value starts with a space (" v=1; a=...") and is folded at
 * 78 columns with "\n\t" (libmilter's form: no CR); it is what the
 * message will carry after "DKIM-Signature:".  Tags: v a c d s t [x] h bh
 * b; never l= or i=.
 *
 * Threads: a signer has one owner; keys and options are only read, so one
 * key may sign in many threads at once.
 */
#ifndef PW_DKIM_SIGN_H
#define PW_DKIM_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "dkim_canon.h"
#include "dkim_keys.h"

/* Largest header section a signature covers (the caller bounds it). */
#define PW_DKIM_HEADER_DATA_MAX	(4 * 1024 * 1024)
#define PW_DKIM_SIG_MAX		8192	/* a DKIM-Signature value */

/* One header field: name, and value as after the colon (see dkim_canon.h). */
struct pw_dkim_header {
	const char	*name;
	size_t		 namelen;
	const char	*value;
	size_t		 valuelen;
};

struct pw_dkim_sign_opts {
	enum pw_dkim_canon	 hcanon;
	enum pw_dkim_canon	 bcanon;
	/* Names to sign if present (every instance), e.g. "From". */
	const char *const	*sign;
	size_t			 nsign;
	/* Names signed once more than present, so that adding one breaks. */
	const char *const	*oversign;
	size_t			 noversign;
	int64_t			 expire;	/* x=t+this, 0: none */
	/*
	 * Hash header and body lines as Postfix's SMTP client will send
	 * them, broken at this length (smtp_lines.h); 0: as they are.
	 */
	size_t			 line_limit;
	/* Postfix's line_length_limit, its queue file records; 0: none. */
	size_t			 record_limit;
};

struct pw_dkim_sign;

/*
 * A signer for one message with nkeys (1..PW_DKIM_MAX_SIGS) keys; opts and
 * keys must outlive it.
 */
struct pw_dkim_sign *pw_dkim_sign_new(const struct pw_dkim_sign_opts *opts,
	    const struct pw_dkim_key *const *keys, size_t nkeys);
void	pw_dkim_sign_free(struct pw_dkim_sign **sign);

/* Feed the next body chunk (any size, split anywhere). */
void	pw_dkim_sign_body(struct pw_dkim_sign *sign, const void *data,
	    size_t len);

/*
 * Sign: hdrs are all header fields of the message, top to bottom; names
 * in also (nalso, may be 0) are signed in addition to opts->sign (the
 * fields the caller adds).  now is t=.  Fills values[i] (initialized
 * pw_bufs, one per key, in key order) with the DKIM-Signature values.
 * 0, or -1 with a static reason (no From field, header data too large,
 * a crypto failure); the message may then not be signed at all.
 * Called once.
 */
int	pw_dkim_sign_final(struct pw_dkim_sign *sign,
	    const struct pw_dkim_header *hdrs, size_t nhdrs,
	    const char *const *also, size_t nalso, int64_t now,
	    struct pw_buf *values, const char **why_r);

/* Canonical body bytes hashed so far (for logs and tests). */
uint64_t pw_dkim_sign_body_length(const struct pw_dkim_sign *sign);

#endif
