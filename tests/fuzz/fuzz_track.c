/*
 * fuzz_track.c -- libFuzzer harness for the tracking id decoder and the
 * unsubscribe token verifier (lib/track.c).
 *
 * Any bytes must give a result without reading past them; an id that
 * decodes must re-encode to the same text (lower-cased), and only what
 * the secret made may verify.  The seeds in tests/fuzz/corpus/track/ were
 * made with the secret below (tests/cli/track_make), so the fuzzer starts
 * from inputs that pass every check.
 */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "track.h"

#define FUZZ_SECRET	"fuzz-secret-fuzz-secret-fuzz-secret-0123"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pw_track_secret fuzz_secret;
static int fuzz_ready;

/* An id that decodes and verifies must be one of acme's. */
static void
fuzz_id(const char *in, size_t size)
{
	char again[PW_TRACK_ID_LEN + 1];
	struct pw_track_id d;
	uint64_t ms;
	size_t i;

	if (pw_track_id_decode(in, size, &d) != PW_TRACK_OK)
		return;
	if (size != PW_TRACK_ID_LEN || d.time_ms > PW_TRACK_TIME_MAX)
		__builtin_trap();
	for (i = 0; i < size; i++)
		again[i] = (char)tolower((unsigned char)in[i]);
	again[size] = '\0';
	if (strspn(again, "0123456789abcdefghjkmnpqrstvwxyz") != size)
		__builtin_trap();
	if (pw_track_id_verify(&fuzz_secret, in, size, "acme", &ms) ==
	    PW_TRACK_OK && ms != d.time_ms)
		__builtin_trap();
	(void)pw_track_id_tag_matches(&fuzz_secret, &d, "beta");
}

/* A token that verifies names a valid tenant and recipient. */
static void
fuzz_token(const char *in, size_t size)
{
	struct pw_track_unsub u;
	char again[PW_TRACK_TOKEN_MAX + 1];
	const char *why;

	if (pw_track_unsub_verify(&fuzz_secret, in, size, &u) != PW_TRACK_OK) {
		if (u.tenant[0] != '\0' || u.recipient[0] != '\0')
			__builtin_trap();
		return;
	}
	if (pw_track_unsub_make(&fuzz_secret, u.tenant, u.recipient, again,
	    &why) < 0 || strlen(again) != size ||
	    memcmp(again, in, size) != 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why;

	if (!fuzz_ready) {
		if (pw_track_secret_set(&fuzz_secret, FUZZ_SECRET,
		    strlen(FUZZ_SECRET), &why) < 0)
			__builtin_trap();
		fuzz_ready = 1;
	}
	fuzz_id((const char *)data, size);
	fuzz_token((const char *)data, size);
	return 0;
}
