/*
 * fuzz_seal.c -- libFuzzer harness for the sealed-secret parser and
 * opener (lib/seal.c: pw_seal_open, pw_seal_text_kek_id) and the KEK
 * file parser (pw_seal_kek_parse).
 *
 * Any bytes must give a result without reading past them or leaking;
 * a text that opens must name the KEK's id, and what opens must seal
 * and open again to the same bytes.  The seeds in
 * tests/fuzz/corpus/seal/ were sealed under the KEK below with the
 * context below, so the fuzzer starts from inputs that authenticate.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seal.h"

/* bytes 0..31, as in tests/unit/test_seal.c */
#define FUZZ_KEK_HEX \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pw_seal_kek fuzz_kek;
static int fuzz_ready;
static const char *fuzz_ctx[] = { "acme", "acme.example", "s1" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[PW_SEAL_KEK_ID_LEN + 1];
	struct pw_seal_kek k;
	unsigned char *plain, *again;
	enum pw_seal_err err;
	const char *why, *text = (const char *)data;
	struct pw_buf out;
	size_t plen, alen;
	int rc;

	if (!fuzz_ready) {
		if (pw_seal_kek_parse(FUZZ_KEK_HEX, 64, &fuzz_kek, &why) < 0)
			__builtin_trap();
		fuzz_ready = 1;
	}
	rc = pw_seal_open(&fuzz_kek, fuzz_ctx, 3, text, size, &plain, &plen,
	    &err, &why);
	if ((rc == 0) != (err == PW_SEAL_OK))
		__builtin_trap();
	if (pw_seal_text_kek_id(text, size, id) == 0 && rc == 0 &&
	    strcmp(id, fuzz_kek.id) != 0)
		__builtin_trap();
	if (rc == 0) {
		pw_buf_init(&out, PW_SEAL_TEXT_MAX);
		if (plen == 0 || pw_seal(&fuzz_kek, fuzz_ctx, 3, plain, plen,
		    &out, &why) < 0 || pw_seal_open(&fuzz_kek, fuzz_ctx, 3,
		    out.data, out.len, &again, &alen, &err, &why) < 0 ||
		    alen != plen || memcmp(again, plain, plen) != 0)
			__builtin_trap();
		pw_seal_plain_free(&again, alen);
		pw_seal_plain_free(&plain, plen);
		pw_buf_free(&out);
	} else if (plain != NULL)
		__builtin_trap();
	(void)pw_seal_kek_parse(text, size, &k, &why);
	pw_seal_kek_wipe(&k);
	return 0;
}
