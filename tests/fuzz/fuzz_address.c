/*
 * fuzz_address.c -- libFuzzer harness for the address normaliser
 * (lib/address.c).
 *
 * The first byte chooses the flags, the rest is the address.  Any bytes
 * must give a result without reading past them.  A refusal leaves out
 * empty and gives a reason.  A normal form fits PW_ADDRESS_MAX, has no
 * ASCII upper case, a domain without a trailing dot, and is a fixed
 * point: normalising it again gives itself (so the CLI, which stores
 * it, and the daemon, which compares with it, can never disagree).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "address.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[PW_ADDRESS_MAX + 1], again[PW_ADDRESS_MAX + 1];
	const char *why = NULL, *why2 = NULL, *dom;
	size_t len, i;
	int flags;

	if (size == 0)
		return 0;
	flags = data[0] & (PW_ADDRESS_F_DOMAIN | PW_ADDRESS_F_BARE);
	if (pw_address_normalize((const char *)data + 1, size - 1, flags, out,
	    &why) < 0) {
		if (why == NULL || out[0] != '\0')
			__builtin_trap();
		return 0;
	}
	len = strlen(out);
	if (len == 0 || len > PW_ADDRESS_MAX)
		__builtin_trap();
	for (i = 0; i < len; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			__builtin_trap();
	dom = pw_address_domain(out);
	if (dom != NULL && (dom[1] == '\0' || out[len - 1] == '.' ||
	    strlen(dom + 1) > PW_ADDRESS_DOMAIN_MAX))
		__builtin_trap();
	if (dom == NULL && !(flags & PW_ADDRESS_F_BARE))
		__builtin_trap();
	if (pw_address_normalize(out, len, flags, again, &why2) < 0 ||
	    strcmp(out, again) != 0)
		__builtin_trap();
	return 0;
}
