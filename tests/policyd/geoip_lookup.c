/*
 * geoip_lookup.c -- print what lib/geoip finds for addresses, for
 * tests/policyd/geoip.sh:
 *
 *   geoip_lookup DATABASE ADDRESS...
 *
 * One line per address: "ADDRESS FOUND COUNTRY ASN" (COUNTRY "-" when
 * empty).  Exit 1 when the database does not open (reason on stderr).
 *
 * Test support only.
 */
#include "config.h"

#include <stdio.h>

#include "geoip.h"

int
main(int argc, char **argv)
{
	struct pw_geoip *geo = NULL;
	struct pw_geoip_result res;
	const char *why;
	int i, found;

	if (argc < 2)
		return 2;
	if (pw_geoip_open(argv[1], &geo, &why) < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], why);
		return 1;
	}
	for (i = 2; i < argc; i++) {
		found = pw_geoip_lookup(geo, argv[i], &res);
		printf("%s %d %s %u\n", argv[i], found,
		    res.country[0] != '\0' ? res.country : "-",
		    (unsigned)res.asn);
	}
	pw_geoip_close(&geo);
	pw_geoip_close(&geo);	/* NULL is fine */
	return 0;
}
