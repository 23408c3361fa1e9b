/*
 * fuzz_track.c -- libFuzzer harness for the tracking id decoder, the
 * unsubscribe token verifier (both versions) and the keyring file
 * parser (lib/track.c, lib/track_keyring.c).
 *
 * Any bytes must give a result without reading past them; an id that
 * decodes must re-encode to the same text (lower-cased), and only what
 * the secret made may verify: a version 2 token that verifies is the one
 * pw_track_unsub_make makes for what it names.  A keyring that parses
 * has exactly one current secret, and writes out to a file that parses
 * to the same secrets.  The seeds in tests/fuzz/corpus/track/ were made
 * with the secret below (tests/cli/track_make), so the fuzzer starts from
 * inputs that pass every check.
 */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "track.h"

#define FUZZ_SECRET	"fuzz-secret-fuzz-secret-fuzz-secret-0123"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pw_track_keyring fuzz_ring;
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
	if (pw_track_id_verify(&fuzz_ring, in, size, "acme", &ms) ==
	    PW_TRACK_OK && ms != d.time_ms)
		__builtin_trap();
	(void)pw_track_id_tag_matches(&fuzz_ring, &d, "beta");
}

/* A token that verifies names a valid tenant and recipient. */
static void
fuzz_token(const char *in, size_t size)
{
	struct pw_track_unsub u;
	char again[PW_TRACK_TOKEN_MAX + 1];
	const char *why;

	if (pw_track_unsub_verify(&fuzz_ring, in, size, &u) != PW_TRACK_OK) {
		if (u.tenant[0] != '\0' || u.recipient[0] != '\0')
			__builtin_trap();
		return;
	}
	if (u.version != 1 && u.version != 2)
		__builtin_trap();
	if (pw_track_unsub_make(&fuzz_ring, u.tenant, u.recipient, u.stream,
	    again, &why) < 0)
		__builtin_trap();
	/* Version 2 is deterministic: it must be the very same token. */
	if (u.version == 2 && (strlen(again) != size ||
	    memcmp(again, in, size) != 0))
		__builtin_trap();
}

/* A keyring that parses survives being written and read back. */
static void
fuzz_keyring(const char *in, size_t size)
{
	struct pw_track_keyring kr, back;
	char err[PW_TRACK_ERR_MAX], *text;
	size_t len, i, tsize = PW_TRACK_FILE_MAX + 1;
	const struct pw_track_secret *s;

	if (pw_track_keyring_parse(in, size, "fuzz", &kr, err,
	    sizeof(err)) < 0) {
		if (kr.n != 0)
			__builtin_trap();
		return;
	}
	if (kr.n == 0 || pw_track_keyring_current(&kr) == NULL)
		__builtin_trap();
	text = malloc(tsize);
	if (text == NULL)
		__builtin_trap();
	if (pw_track_keyring_format(&kr, text, tsize, &len) < 0 ||
	    pw_track_keyring_parse(text, len, "again", &back, err,
	    sizeof(err)) < 0 || back.n != kr.n)
		__builtin_trap();
	for (i = 0; i < kr.n; i++) {
		s = pw_track_keyring_find(&back, kr.s[i].id);
		if (s == NULL || s->len != kr.s[i].len || s->until !=
		    kr.s[i].until || memcmp(s->key, kr.s[i].key, s->len) != 0)
			__builtin_trap();
	}
	pw_track_keyring_free(&back);
	pw_track_keyring_free(&kr);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why;

	if (!fuzz_ready) {
		if (pw_track_keyring_init(&fuzz_ring, &why) < 0 ||
		    pw_track_keyring_add(&fuzz_ring, 0, 0, FUZZ_SECRET,
		    strlen(FUZZ_SECRET), &why) < 0)
			__builtin_trap();
		fuzz_ready = 1;
	}
	fuzz_id((const char *)data, size);
	fuzz_token((const char *)data, size);
	fuzz_keyring((const char *)data, size);
	return 0;
}
