/*
 * auth_mint.c -- make an API key secret for a test without the CLI:
 * `auth_mint PEPPER_FILE KEYID` prints "TOKEN SID HASH" (lib/auth_secret),
 * for the test to store HASH in pw:{T}:key:<keyid>:secrets itself.
 *
 * The tests of the SASL service use it so that they check the service
 * against lib/auth_secret alone, whatever `postwarden key` does.
 */
#include "config.h"

#include <stdio.h>

#include "auth_secret.h"

int
main(int argc, char **argv)
{
	struct pw_auth_pepper p;
	char token[PW_AUTH_TOKEN_MAX], sid[PW_AUTH_SID_LEN + 1];
	char hash[PW_AUTH_HASH_MAX], err[256];

	if (argc != 3) {
		fprintf(stderr, "usage: auth_mint PEPPER_FILE KEYID\n");
		return 64;
	}
	if (pw_auth_pepper_load(&p, argv[1], false, err, sizeof(err)) < 0) {
		fprintf(stderr, "auth_mint: %s\n", err);
		return 1;
	}
	if (pw_auth_secret_new(&p, argv[2], token, sid, hash) < 0) {
		fprintf(stderr, "auth_mint: cannot make a secret for %s\n",
		    argv[2]);
		return 1;
	}
	printf("%s %s %s\n", token, sid, hash);
	pw_auth_pepper_wipe(&p);
	return 0;
}
