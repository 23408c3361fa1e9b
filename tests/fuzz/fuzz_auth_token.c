/*
 * fuzz_auth_token.c -- libFuzzer harness for the API key token parser
 * (lib/auth_secret.c: pw_auth_token_parse), which the SASL service runs
 * on whatever a client sends as its password.
 *
 * Any bytes must give a verdict without reading past them; a token that
 * parses must be exactly its parts put back together (so nothing was
 * skipped or invented), each part within its size, and its hash must
 * have the stored form.  Anything not OK leaves the parts empty.  The
 * seeds in tests/fuzz/corpus/auth_token/ are the known-answer tokens of
 * tests/unit/test_auth_secret.c and a typo of one.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "auth_secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pw_auth_pepper pepper;	/* zero bytes, id set below */
	char again[PW_AUTH_TOKEN_MAX + 16], hash[PW_AUTH_HASH_MAX];
	struct pw_auth_token t;
	enum pw_auth_token_result r;
	int n;

	if (pepper.id[0] == '\0')
		memcpy(pepper.id, "0123456789abcdef", PW_AUTH_PEPPER_ID_LEN);
	r = pw_auth_token_parse((const char *)data, size, &t);
	if (r != PW_AUTH_TOKEN_OK) {
		if (r != PW_AUTH_TOKEN_MALFORMED && r != PW_AUTH_TOKEN_TYPO)
			__builtin_trap();
		if (t.keyid[0] != '\0' || t.sid[0] != '\0' ||
		    t.secret[0] != '\0')
			__builtin_trap();
		return 0;
	}
	if (strlen(t.keyid) == 0 || strlen(t.sid) != PW_AUTH_SID_LEN ||
	    strlen(t.secret) != PW_AUTH_SECRET_LEN)
		__builtin_trap();
	n = snprintf(again, sizeof(again), "pw1.%s.%s.%s", t.keyid, t.sid,
	    t.secret);
	if (n < 0 || (size_t)n + PW_AUTH_CHECK_LEN != size ||
	    memcmp(again, data, (size_t)n) != 0)
		__builtin_trap();
	pw_auth_secret_hash(&pepper, &t, hash);
	if (strlen(hash) != PW_AUTH_HASH_MAX - 1 ||
	    memcmp(hash, "v1:0123456789abcdef:", 20) != 0)
		__builtin_trap();
	pw_auth_token_wipe(&t);
	return 0;
}
