/*
 * auth_mech.c -- SASL PLAIN and LOGIN as steps over base64 (see
 * auth_mech.h).
 *
 * Exports: auth_mech_lookup, auth_mech_name, auth_mech_start,
 * auth_mech_step, auth_mech_wipe.
 *
 * PLAIN: one message "authzid NUL authcid NUL password"; without an
 * initial response the server asks for it with an empty challenge.  An
 * authzid other than empty or the authcid is refused: a key never acts
 * for another.  LOGIN: "Username:" then "Password:" challenges; an
 * initial response is the user name (some clients send one).
 *
 * Threads: any.  Ownership: the caller's struct.
 * Failures: FAIL with a static reason for the log; never the secret.
 * Security: decoded bytes pass through a stack buffer wiped before
 * return; user names must be printable ASCII without spaces.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "auth_mech.h"
#include "auth_proto.h"

/* base64 of "Username:" and "Password:", as Dovecot's LOGIN sends. */
#define AUTH_MECH_LOGIN_USER	"VXNlcm5hbWU6"
#define AUTH_MECH_LOGIN_PASS	"UGFzc3dvcmQ6"
/* Room for the largest decoded PLAIN message and its NUL. */
#define AUTH_MECH_DECODED_MAX	(2 * AUTH_MECH_USER_MAX + \
	    AUTH_MECH_PASS_MAX + 3)

int
auth_mech_lookup(const char *name, enum auth_mech_kind *kind_r)
{
	if (strcasecmp(name, "PLAIN") == 0)
		*kind_r = AUTH_MECH_PLAIN;
	else if (strcasecmp(name, "LOGIN") == 0)
		*kind_r = AUTH_MECH_LOGIN;
	else
		return -1;
	return 0;
}

const char *
auth_mech_name(enum auth_mech_kind kind)
{
	return kind == AUTH_MECH_PLAIN ? "PLAIN" : "LOGIN";
}

/* A user name: 1..AUTH_MECH_USER_MAX printable ASCII, no space. */
static int
auth_mech_user_ok(const unsigned char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > AUTH_MECH_USER_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f)
			return 0;
	return 1;
}

/* Take a PLAIN message of len bytes apart into m. */
static enum auth_mech_result
auth_mech_plain(struct auth_mech *m, const unsigned char *d, size_t len,
    const char **why_r)
{
	const unsigned char *authz = d, *authc, *pass, *nul;
	size_t authzlen, authclen, passlen;

	if ((nul = memchr(d, '\0', len)) == NULL) {
		*why_r = "PLAIN message without NUL separators";
		return AUTH_MECH_FAIL;
	}
	authzlen = (size_t)(nul - d);
	authc = nul + 1;
	if ((nul = memchr(authc, '\0', len - authzlen - 1)) == NULL) {
		*why_r = "PLAIN message without a second NUL";
		return AUTH_MECH_FAIL;
	}
	authclen = (size_t)(nul - authc);
	pass = nul + 1;
	passlen = len - authzlen - authclen - 2;
	if (!auth_mech_user_ok(authc, authclen)) {
		*why_r = "invalid user name";
		return AUTH_MECH_FAIL;
	}
	if (authzlen != 0 && (authzlen != authclen ||
	    memcmp(authz, authc, authclen) != 0)) {
		*why_r = "authorization identity differs from the user name";
		return AUTH_MECH_FAIL;
	}
	if (passlen == 0 || passlen > AUTH_MECH_PASS_MAX ||
	    memchr(pass, '\0', passlen) != NULL) {
		*why_r = "invalid password length";
		return AUTH_MECH_FAIL;
	}
	memcpy(m->user, authc, authclen);
	m->user[authclen] = '\0';
	memcpy(m->pass, pass, passlen);
	m->pass[passlen] = '\0';
	return AUTH_MECH_DONE;
}

/* One LOGIN answer of len bytes: the user name or the password. */
static enum auth_mech_result
auth_mech_login(struct auth_mech *m, const unsigned char *d, size_t len,
    const char **challenge_r, const char **why_r)
{
	if (m->step == 0) {
		if (!auth_mech_user_ok(d, len)) {
			*why_r = "invalid user name";
			return AUTH_MECH_FAIL;
		}
		memcpy(m->user, d, len);
		m->user[len] = '\0';
		m->step = 1;
		*challenge_r = AUTH_MECH_LOGIN_PASS;
		return AUTH_MECH_MORE;
	}
	if (len == 0 || len > AUTH_MECH_PASS_MAX ||
	    memchr(d, '\0', len) != NULL) {
		*why_r = "invalid password length";
		return AUTH_MECH_FAIL;
	}
	memcpy(m->pass, d, len);
	m->pass[len] = '\0';
	return AUTH_MECH_DONE;
}

/* Decode data and run the mechanism's step on it. */
static enum auth_mech_result
auth_mech_feed(struct auth_mech *m, const char *data,
    const char **challenge_r, const char **why_r)
{
	unsigned char d[AUTH_MECH_DECODED_MAX + 1];
	enum auth_mech_result res;
	size_t len;

	if (auth_proto_b64_decode(data, strlen(data), d, sizeof(d), &len,
	    why_r) < 0)
		return AUTH_MECH_FAIL;
	if (m->kind == AUTH_MECH_PLAIN)
		res = auth_mech_plain(m, d, len, why_r);
	else
		res = auth_mech_login(m, d, len, challenge_r, why_r);
	OPENSSL_cleanse(d, sizeof(d));
	return res;
}

enum auth_mech_result
auth_mech_start(struct auth_mech *m, enum auth_mech_kind kind,
    const char *resp, const char **challenge_r, const char **why_r)
{
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	if (resp != NULL)
		return auth_mech_feed(m, resp, challenge_r, why_r);
	*challenge_r = kind == AUTH_MECH_PLAIN ? "" : AUTH_MECH_LOGIN_USER;
	return AUTH_MECH_MORE;
}

enum auth_mech_result
auth_mech_step(struct auth_mech *m, const char *data,
    const char **challenge_r, const char **why_r)
{
	return auth_mech_feed(m, data, challenge_r, why_r);
}

void
auth_mech_wipe(struct auth_mech *m)
{
	OPENSSL_cleanse(m->pass, sizeof(m->pass));
	OPENSSL_cleanse(m->user, sizeof(m->user));
}
