/*
 * unsub_tokens.c -- mint one-click unsubscribe tokens in bulk for
 * tests/bench/bench-http.sh, as the milter makes them (lib/track.c,
 * version 2, the keyring's current secret); the shipped postwarden
 * command only verifies tokens, and tests/cli/track_make makes one per
 * run.
 *
 *   unsub_tokens KEYRING_FILE TENANT_PREFIX TENANTS FIRST COUNT [STREAM]
 *
 * Prints COUNT lines "token TAB tenant TAB recipient": recipients
 * rI@bench.example for I = FIRST .. FIRST + COUNT - 1 (all distinct),
 * spread over the tenants TENANT_PREFIX1 .. TENANT_PREFIX<TENANTS> (I
 * modulo TENANTS), with STREAM (default none: the suppression is the
 * tenant's).  Exit 1 with a reason on stderr otherwise.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "track.h"

int
main(int argc, char **argv)
{
	struct pw_track_keyring kr;
	char err[PW_TRACK_ERR_MAX], tok[PW_TRACK_TOKEN_MAX + 1];
	char tenant[PW_IDENTITY_TENANT_MAX + 1], rcpt[PW_TRACK_RCPT_MAX + 1];
	const char *why = NULL, *stream;
	unsigned long tenants, first, count, i;
	int rc = 0;

	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: unsub_tokens KEYRING_FILE "
		    "TENANT_PREFIX TENANTS FIRST COUNT [STREAM]\n");
		return 1;
	}
	tenants = strtoul(argv[3], NULL, 10);
	first = strtoul(argv[4], NULL, 10);
	count = strtoul(argv[5], NULL, 10);
	stream = argc == 7 ? argv[6] : "";
	if (tenants == 0) {
		fprintf(stderr, "unsub_tokens: TENANTS must be at least 1\n");
		return 1;
	}
	if (pw_track_keyring_load(argv[1], false, &kr, err, sizeof(err)) < 0) {
		fprintf(stderr, "unsub_tokens: %s\n", err);
		return 1;
	}
	for (i = first; i < first + count; i++) {
		snprintf(tenant, sizeof(tenant), "%s%lu", argv[2],
		    i % tenants + 1);
		snprintf(rcpt, sizeof(rcpt), "r%lu@bench.example", i);
		if (pw_track_unsub_make(&kr, tenant, rcpt, stream, tok,
		    &why) < 0) {
			fprintf(stderr, "unsub_tokens: %s\n", why);
			rc = 1;
			break;
		}
		printf("%s\t%s\t%s\n", tok, tenant, rcpt);
	}
	pw_track_keyring_free(&kr);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "unsub_tokens: cannot write\n");
		rc = 1;
	}
	return rc;
}
