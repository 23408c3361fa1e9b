/*
 * fuzz_rfc5322_addr.c -- libFuzzer harness for the address header parser
 * (lib/rfc5322_addr.c).
 *
 * Any bytes must give a result without reading past them.  A domain that
 * comes out must be a host name in lower case (labels of 1..63 of
 * [a-z0-9_-], at most PW_RFC5322_DOMAIN_MAX); a comment in front changes
 * nothing; one more mailbox after it makes it fail (more than one).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rfc5322_addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_host(const char *d)
{
	size_t len = strlen(d), i, label = 0;

	if (len == 0 || len > PW_RFC5322_DOMAIN_MAX)
		__builtin_trap();
	for (i = 0; i <= len; i++) {
		if (i == len || d[i] == '.') {
			if (label == 0 || label > 63)
				__builtin_trap();
			label = 0;
			continue;
		}
		if (!((d[i] >= 'a' && d[i] <= 'z') ||
		    (d[i] >= '0' && d[i] <= '9') || d[i] == '-' ||
		    d[i] == '_'))
			__builtin_trap();
		label++;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char pre[] = "(x) ", post[] = ", y@z.example";
	char domain[PW_RFC5322_DOMAIN_MAX + 1];
	char again[PW_RFC5322_DOMAIN_MAX + 1];
	const char *why = NULL;
	char *v;
	int ret;

	ret = pw_rfc5322_addr_domain((const char *)data, size, domain, &why);
	if (ret == 0)
		fuzz_host(domain);
	else if (ret != -1 || why == NULL || domain[0] != '\0')
		__builtin_trap();

	v = malloc(sizeof(pre) + size + sizeof(post));
	if (v == NULL)
		return 0;
	memcpy(v, pre, sizeof(pre) - 1);
	memcpy(v + sizeof(pre) - 1, data, size);
	if (pw_rfc5322_addr_domain(v, sizeof(pre) - 1 + size, again,
	    &why) != ret || (ret == 0 && strcmp(domain, again) != 0))
		__builtin_trap();
	memcpy(v + sizeof(pre) - 1 + size, post, sizeof(post) - 1);
	if (ret == 0 && pw_rfc5322_addr_domain(v, sizeof(pre) - 1 + size +
	    sizeof(post) - 1, again, &why) != -1)
		__builtin_trap();
	free(v);
	return 0;
}
