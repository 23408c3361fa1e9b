/*
 * auth_verify.h -- whether a login (user name, password, client address)
 * is an API key's live secret: the token taken apart and hashed under
 * the pepper (lib/auth_secret.h), the client's and the key's failed
 * logins counted fleet-wide in Redis, the key's tenant found (the
 * identity cache of policyd_identity.c), then lua/auth_login.lua checks
 * secret, key and tenant in one step.  While Redis cannot answer, the
 * cache of verified pairs (auth_cache.h) decides.
 *
 * Login forms: user = key id and password = a token of that key; user =
 * "apikey" and password = a token (SendGrid's form).  Both succeed as
 * the key id.
 *
 * One per process, on the event loop; made only when auth_listen is set.
 * Threads: the event loop's only.
 * Security: secrets are wiped as soon as hashed; every failure is logged
 * once with the client address and key id, never the secret.
 */
#ifndef AUTH_VERIFY_H
#define AUTH_VERIFY_H

#include <stddef.h>

#include <event2/event.h>

#include "auth_secret.h"
#include "conf.h"
#include "policyd_identity.h"
#include "runtime.h"

enum auth_verify_result {
	AUTH_VERIFY_OK,		/* user=keyid */
	AUTH_VERIFY_FAIL,	/* refused: Postfix answers 535 */
	AUTH_VERIFY_TEMP,	/* cannot tell now: drop the connection (454) */
};

struct auth_verify;

/*
 * The answer: keyid is the key id on OK, else "" or the key id tried.
 * Called exactly once per auth_verify_login, maybe before it returns.
 */
typedef void auth_verify_cb(enum auth_verify_result res, const char *keyid,
    void *arg);

/*
 * Load the pepper from conf's auth_pepper_file (fail closed: no pepper,
 * no service; mode checked unless dkim_key_mode_check = no) and set up
 * the cache.  Called before privileges are dropped.  NULL and a message
 * in err.
 */
struct auth_verify *auth_verify_new(const struct pw_conf *conf, char *err,
	    size_t errsize);
/* Check logins with identity's Redis connection and key cache. */
void	auth_verify_start(struct auth_verify *v,
	    struct policyd_identity *identity);
/*
 * Free; after the identity, whose Redis connection answers the logins
 * still in flight (they need the verifier until then).
 */
void	auth_verify_free(struct auth_verify **v);

/*
 * Check one login.  rip: the client address Postfix gave (NULL or
 * not an address: no client counting); mech: the mechanism's name for
 * the log.  user and pass are copied (pass wiped after hashing).
 */
void	auth_verify_login(struct auth_verify *v, const char *user,
	    const char *pass, const char *rip, const char *mech,
	    auth_verify_cb *cb, void *arg);

#endif
