/*
 * auth_mech.h -- the SASL mechanisms of postwarden-policyd's SASL
 * service, PLAIN (RFC 4616) and LOGIN, as steps over base64 text: each
 * step takes what the client sent and ends with a user name and
 * password, a challenge to send (CONT), or a failure.
 *
 * Threads: any; a struct auth_mech belongs to one request.
 * Security: the password is wiped by auth_mech_wipe (OPENSSL_cleanse);
 * user names are bounded and printable ASCII, so they can be logged and
 * put in a reply; passwords are never logged.
 */
#ifndef AUTH_MECH_H
#define AUTH_MECH_H

#include <stddef.h>

/* A user name or password longer than these is refused. */
#define AUTH_MECH_USER_MAX	255
#define AUTH_MECH_PASS_MAX	511

enum auth_mech_kind {
	AUTH_MECH_PLAIN,
	AUTH_MECH_LOGIN,
};

enum auth_mech_result {
	AUTH_MECH_DONE,		/* user and pass are set */
	AUTH_MECH_MORE,		/* send the challenge, wait for CONT */
	AUTH_MECH_FAIL,		/* malformed: why says how */
};

struct auth_mech {
	enum auth_mech_kind	kind;
	int			step;	/* LOGIN: 0 user, 1 password */
	char			user[AUTH_MECH_USER_MAX + 1];
	char			pass[AUTH_MECH_PASS_MAX + 1];
};

/* The mechanism named name (any case), or -1. */
int	auth_mech_lookup(const char *name, enum auth_mech_kind *kind_r);
/* Its name as the handshake spells it. */
const char *auth_mech_name(enum auth_mech_kind kind);

/*
 * Start kind with the initial response resp (base64, or NULL: none).
 * MORE sets *challenge_r (base64, static); FAIL sets *why_r (static).
 */
enum auth_mech_result auth_mech_start(struct auth_mech *m,
	    enum auth_mech_kind kind, const char *resp,
	    const char **challenge_r, const char **why_r);
/* The client's answer (base64) to the last challenge. */
enum auth_mech_result auth_mech_step(struct auth_mech *m, const char *data,
	    const char **challenge_r, const char **why_r);
/* Wipe the password (and the user name). */
void	auth_mech_wipe(struct auth_mech *m);

#endif
