/*
 * fuzz_http_form.c -- libFuzzer harness for what postwarden-policyd's
 * HTTP service parses itself (http/http_form.c): the token part of an
 * unsubscribe path and the RFC 8058 body, on whatever a client sends.
 *
 * The first byte picks the content type (urlencoded, multipart, with a
 * parameter, text/plain, none); the rest is the body and the token.
 * Any bytes must give a verdict without reading past them (ASan); a
 * token taken must be of the alphabet and length; a body taken must
 * hold the form's words; text/plain or no type is never taken.  The
 * seeds in tests/fuzz/corpus/http_form/ are the bodies curl sends.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_form.h"
#include "track.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_http_form_types[] = {
	"application/x-www-form-urlencoded",
	"multipart/form-data; boundary=x",
	"application/x-www-form-urlencoded; charset=utf-8",
	"text/plain",
	NULL,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *ct, *body;
	char *copy;
	size_t len, i;
	bool ok;

	if (size == 0)
		return 0;
	ct = fuzz_http_form_types[data[0] % 5];
	len = size - 1;
	/* An exact-size copy, so ASan sees any read past the end. */
	copy = malloc(len > 0 ? len : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, len);
	body = copy;

	ok = http_form_one_click(ct, body, len);
	if (ok && (ct == NULL || strcmp(ct, "text/plain") == 0))
		__builtin_trap();
	if (ok && (memmem(body, len, "One-Click", 9) == NULL ||
	    memmem(body, len, "List-Unsubscribe", 16) == NULL))
		__builtin_trap();

	if (http_form_token(body, len)) {
		if (len == 0 || len > PW_TRACK_TOKEN_MAX)
			__builtin_trap();
		for (i = 0; i < len; i++)
			if (body[i] == '/' || body[i] == '%' ||
			    body[i] == '\0')
				__builtin_trap();
	}
	free(copy);
	return 0;
}
