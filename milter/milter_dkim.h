/*
 * milter_dkim.h -- DKIM signing in postwarden-milter: who is signed, with
 * which keys, and the per-message signing state.
 *
 * Settings, key-table keys and the KEK of the keys kept in Redis
 * (dkim_kek_file; the keys themselves: milter_keys.c) (struct
 * milter_dkim_conf) belong to the runtime
 * snapshot: built by milter_dkim_load() from postwarden.conf, immutable,
 * shared by every thread, replaced whole on SIGHUP.
 *
 * A message's state (struct milter_dkim_msg) exists only for senders that
 * may be signed (authenticated, or a client in milter_internal_networks)
 * when keys are configured.  It keeps the header fields (bounded by
 * dkim_max_header_size), picks the keys from the From domain (or the
 * tenant's entry, or the signing domain the tenant names in Redis) when
 * the body starts, hashes the body as it streams and signs
 * at end of message.  The message's state (milter_msg.c) owns it:
 * created at MAIL FROM, freed at end of message, abort, the next MAIL
 * FROM or close; milter_eom.c signs and inserts the signatures.
 *
 * Headers the milter adds at end of message go through
 * milter_dkim_header_add() before signing, so the signature covers them
 * exactly as Postfix will write them; headers it removes go through
 * milter_dkim_header_remove(), so it does not.
 */
#ifndef PW_MILTER_DKIM_H
#define PW_MILTER_DKIM_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "dkim_keys.h"
#include "dkim_sign.h"
#include "runtime.h"
#include "seal.h"

struct milter_dkim_conf;
struct milter_dkim_msg;

/* Build the DKIM part of a snapshot; -1 with "file:line: why" in err. */
int	milter_dkim_load(const struct pw_conf *conf,
	    struct milter_dkim_conf **dc_r, char *err, size_t errsize);
void	milter_dkim_conf_free(struct milter_dkim_conf **dc);
/*
 * Is any key configured, in the key table or (dkim_kek_file set) in
 * Redis?  Else the milter asks for no headers or body.
 */
bool	milter_dkim_enabled(const struct milter_dkim_conf *dc);
/* The KEK of the keys kept in Redis (dkim_kek_file); NULL: none. */
const struct pw_seal_kek *milter_dkim_kek(const struct milter_dkim_conf *dc);
/* Is this client address in milter_internal_networks? */
bool	milter_dkim_internal(const struct milter_dkim_conf *dc,
	    const char *addr);
/* Does a signing failure answer tempfail (else the mail goes unsigned)? */
bool	milter_dkim_tempfail(const struct milter_dkim_conf *dc);

/* A message to consider for signing (the caller decided the sender may). */
struct milter_dkim_msg *milter_dkim_msg_new(const struct milter_dkim_conf *dc,
	    const char *tenant);
void	milter_dkim_msg_free(struct milter_dkim_msg **m);

/* Keep one header field (value after the colon, LF-folded). */
void	milter_dkim_header(struct milter_dkim_msg *m, const char *name,
	    const char *value);
/*
 * Does the sender own domain, a key's signing domain (d=)?  arg: the
 * caller's.  Asked of the keys a signing table entry for a domain names
 * (never of a tenant:T entry's).
 */
typedef bool milter_dkim_owns_fn(void *arg, const char *domain);

/*
 * The headers are complete: choose the keys.  domain_ok: a signing table
 * entry for the From domain may sign (false: only the tenant's own entry,
 * tenant:T, may: the sender is not known to own the domain); and it does
 * only when owns (NULL: no check, internal networks) says the sender owns
 * the signing domain of each of its keys, else tenant:T is looked up as
 * if the From domain had no entry.  Returns true when the message will
 * be signed (the caller then wants the body), false when no key applies
 * (*why_r says why, static).
 */
bool	milter_dkim_headers_done(struct milter_dkim_msg *m, bool domain_ok,
	    milter_dkim_owns_fn *owns, void *arg, const char **why_r);
/*
 * No table entry matched, but the tenant names a signing domain (in
 * Redis): sign with keys, the domain's keys in Redis (kept alive by the
 * caller, as for milter_dkim_use_keys), when nkeys > 0, else with its
 * keys in the key table (pw_dkim_keyset_lookup_domain), only when owns
 * (NULL: no check) says the sender owns each one's signing domain.  Only
 * after milter_dkim_headers_done found a From field.  true when the
 * message will be signed; false with *why_r.
 */
bool	milter_dkim_use_domain(struct milter_dkim_msg *m, const char *domain,
	    const struct pw_dkim_key *const *keys, size_t nkeys,
	    milter_dkim_owns_fn *owns, void *arg, const char **why_r);
/*
 * Sign with these keys (the From domain's keys in Redis, chosen by the
 * caller, who keeps them alive until the message is freed) instead of
 * any table entry: the caller knows the message has one From domain.
 * false only when nkeys is 0.
 */
bool	milter_dkim_use_keys(struct milter_dkim_msg *m,
	    const struct pw_dkim_key *const *keys, size_t nkeys);
/* A body chunk. */
void	milter_dkim_body(struct milter_dkim_msg *m, const void *data,
	    size_t len);
/*
 * Note a header field that will be added at the bottom (smfi_addheader)
 * or removed (the index-th, 1-based, instance of name), before signing.
 */
void	milter_dkim_header_add(struct milter_dkim_msg *m, const char *name,
	    const char *value);
void	milter_dkim_header_remove(struct milter_dkim_msg *m,
	    const char *name, int index);

/*
 * Sign.  Fills values[0..*nvalues_r) (PW_DKIM_MAX_SIGS initialized
 * pw_bufs) with DKIM-Signature values, starting with a space; *desc_r
 * says what was signed for the log ("d=... s=... a=..., ...").  0, or -1
 * with a static reason.
 */
int	milter_dkim_sign(struct milter_dkim_msg *m, struct pw_buf *values,
	    size_t *nvalues_r, char *desc, size_t descsize,
	    const char **why_r);
/*
 * Count m's signatures in the metrics (milter_metrics.h): made (failed
 * NULL), or not made for the reason failed, one per key (or one of an
 * unknown algorithm when there is no key).  milter_dkim_sign counts its
 * own failures; the caller counts the rest once it knows.  m may be
 * NULL (no key opened).
 */
void	milter_dkim_metrics(const struct milter_dkim_msg *m,
	    const char *failed);

#endif
