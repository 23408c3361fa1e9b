/*
 * track_make.c -- make tracking ids and unsubscribe tokens for the
 * command tests (tests/cli/track.sh, unsubscribe.sh), as the milter
 * would; the shipped postwarden command only verifies them.
 *
 *   track_make SECRET_FILE id TENANT [UNIX_MS]
 *   track_make SECRET_FILE unsub TENANT RECIPIENT
 *
 * Prints the id or token; exit 1 with a reason on stderr otherwise.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "track.h"

static int
track_make(const struct pw_track_secret *s, int argc, char **argv)
{
	char id[PW_TRACK_ID_LEN + 1], tok[PW_TRACK_TOKEN_MAX + 1];
	const char *why = "bad arguments";
	struct timespec ts;
	uint64_t ms;

	if (argc >= 4 && argc <= 5 && strcmp(argv[2], "id") == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ms = argc == 5 ? strtoull(argv[4], NULL, 10) :
		    (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
		if (pw_track_id_make(s, argv[3], ms, id) == 0) {
			puts(id);
			return 0;
		}
		why = "cannot make an id";
	} else if (argc == 5 && strcmp(argv[2], "unsub") == 0) {
		if (pw_track_unsub_make(s, argv[3], argv[4], tok, &why) == 0) {
			puts(tok);
			return 0;
		}
	}
	fprintf(stderr, "track_make: %s\n", why);
	return 1;
}

int
main(int argc, char **argv)
{
	struct pw_track_secret s;
	char err[PW_TRACK_ERR_MAX];
	int rc;

	if (argc < 4) {
		fprintf(stderr, "usage: track_make SECRET_FILE id TENANT "
		    "[UNIX_MS] | unsub TENANT RECIPIENT\n");
		return 2;
	}
	if (pw_track_secret_load(argv[1], false, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "track_make: %s\n", err);
		return 1;
	}
	rc = track_make(&s, argc, argv);
	pw_track_secret_free(&s);
	return rc;
}
