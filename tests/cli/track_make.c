/*
 * track_make.c -- make tracking ids and unsubscribe tokens for the
 * command tests (tests/cli/track.sh, unsubscribe.sh, secret.sh), as the
 * milter would; the shipped postwarden command only verifies them.
 *
 *   track_make KEYRING_FILE id TENANT [UNIX_MS]
 *   track_make KEYRING_FILE unsub TENANT RECIPIENT [STREAM]
 *   track_make KEYRING_FILE unsub1 TENANT RECIPIENT
 *
 * KEYRING_FILE is what tracking_secret_file names (a keyring, or one
 * secret); ids and tokens are made with its current secret.  unsub1
 * makes a version 1 token, as postwarden made them before keyrings (the
 * links still in inboxes), which lib/track.c only verifies.
 *
 * Prints the id or token; exit 1 with a reason on stderr otherwise.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "track.h"

/* base64url without padding of len bytes into out; returns out. */
static char *
b64url(const unsigned char *in, size_t len, char *out)
{
	int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len), i;

	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (i = 0; i < n; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return out;
}

/* "1" b64(tenant "\n" rcpt) "." b64(HMAC(secret, label "\0" payload)[..16]) */
static int
unsub_v1(const struct pw_track_keyring *kr, const char *tenant,
    const char *rcpt)
{
	const struct pw_track_secret *s = pw_track_keyring_current(kr);
	unsigned char msg[512], mac[EVP_MAX_MD_SIZE];
	char p[800], m[64];
	size_t plen, i;
	unsigned maclen;

	if (s == NULL || strlen(tenant) + strlen(rcpt) + 32 > sizeof(msg))
		return 1;
	memcpy(msg, "postwarden-unsub", 17);		/* with its NUL */
	plen = (size_t)snprintf((char *)msg + 17, sizeof(msg) - 17, "%s\n%s",
	    tenant, rcpt);
	for (i = 0; i < plen; i++)
		msg[17 + i] = (unsigned char)tolower(msg[17 + i]);
	if (HMAC(EVP_sha256(), s->key, (int)s->len, msg, 17 + plen, mac,
	    &maclen) == NULL)
		return 1;
	printf("1%s.%s\n", b64url(msg + 17, plen, p), b64url(mac, 16, m));
	return 0;
}

static int
track_make(const struct pw_track_keyring *kr, int argc, char **argv)
{
	char id[PW_TRACK_ID_LEN + 1], tok[PW_TRACK_TOKEN_MAX + 1];
	const char *why = "bad arguments";
	struct timespec ts;
	uint64_t ms;

	if (argc >= 4 && argc <= 5 && strcmp(argv[2], "id") == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ms = argc == 5 ? strtoull(argv[4], NULL, 10) :
		    (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
		if (pw_track_id_make(kr, argv[3], ms, id) == 0) {
			puts(id);
			return 0;
		}
		why = "cannot make an id";
	} else if (argc >= 5 && argc <= 6 && strcmp(argv[2], "unsub") == 0) {
		if (pw_track_unsub_make(kr, argv[3], argv[4],
		    argc == 6 ? argv[5] : "", tok, &why) == 0) {
			puts(tok);
			return 0;
		}
	} else if (argc == 5 && strcmp(argv[2], "unsub1") == 0) {
		if (unsub_v1(kr, argv[3], argv[4]) == 0)
			return 0;
		why = "cannot make a version 1 token";
	}
	fprintf(stderr, "track_make: %s\n", why);
	return 1;
}

int
main(int argc, char **argv)
{
	struct pw_track_keyring kr;
	char err[PW_TRACK_ERR_MAX];
	int rc;

	if (argc < 4) {
		fprintf(stderr, "usage: track_make KEYRING_FILE id TENANT "
		    "[UNIX_MS] | unsub TENANT RECIPIENT [STREAM] | unsub1 "
		    "TENANT RECIPIENT\n");
		return 2;
	}
	if (pw_track_keyring_load(argv[1], false, &kr, err, sizeof(err)) < 0) {
		fprintf(stderr, "track_make: %s\n", err);
		return 1;
	}
	rc = track_make(&kr, argc, argv);
	pw_track_keyring_free(&kr);
	return rc;
}
