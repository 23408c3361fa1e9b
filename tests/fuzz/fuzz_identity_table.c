/*
 * fuzz_identity_table.c -- libFuzzer harness for the identity tables
 * (network and sender-domain files) and for lookups in them.
 *
 * The input is written to a file and loaded as both tables; when it
 * loads, a few fixed identities are resolved against it.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_resolve(const struct pw_identity_tables *t)
{
	static const char *addrs[] = { "192.0.2.1", "2001:db8::1", "10.1.2.3",
	    "::ffff:192.0.2.1", "garbage" };
	static const char *senders[] = { "a@example.com", "<b@x.example.org>",
	    "c@", "@", "", "d@a.b.c.d.e.f.g" };
	struct pw_identity id;
	const char *why;
	size_t i, j;

	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		for (j = 0; j < sizeof(senders) / sizeof(senders[0]); j++)
			(void)pw_identity_resolve(t, NULL, addrs[i],
			    senders[j], &id, &why);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct pw_identity_tables *t = NULL;
	char err[512];
	FILE *fp;

	if (path[0] == '\0') {
		int fd;

		snprintf(path, sizeof(path), "/tmp/pw-fuzz-table-XXXXXX");
		if ((fd = mkstemp(path)) < 0)
			abort();
		close(fd);
	}
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fwrite(data, 1, size, fp);
	fclose(fp);

	if (pw_identity_tables_load(path, NULL, &t, err, sizeof(err)) == 0) {
		fuzz_resolve(t);
		pw_identity_tables_free(&t);
	}
	if (pw_identity_tables_load(NULL, path, &t, err, sizeof(err)) == 0) {
		fuzz_resolve(t);
		pw_identity_tables_free(&t);
	}
	return 0;
}
