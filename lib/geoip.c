/*
 * geoip.c -- MaxMind DB lookups (see geoip.h).
 *
 * Exports: pw_geoip_open, pw_geoip_close, pw_geoip_lookup.
 *
 * The country is read from country.iso_code, else
 * registered_country.iso_code (GeoLite2-Country and City); the AS number
 * from autonomous_system_number (GeoLite2-ASN).  Strings come without a
 * terminating NUL and are copied with data_size.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <maxminddb.h>

#include "geoip.h"
#include "xmalloc.h"

struct pw_geoip {
	MMDB_s	mmdb;
};

int
pw_geoip_open(const char *path, struct pw_geoip **geo_r, const char **why_r)
{
	struct pw_geoip *geo;
	int rc;

	if (path == NULL || *path == '\0') {
		*why_r = "no database configured";
		return -1;
	}
	geo = pw_xcalloc(1, sizeof(*geo));
	if ((rc = MMDB_open(path, MMDB_MODE_MMAP, &geo->mmdb)) !=
	    MMDB_SUCCESS) {
		/* MMDB_strerror returns static text. */
		*why_r = MMDB_strerror(rc);
		free(geo);
		return -1;
	}
	*geo_r = geo;
	return 0;
}

void
pw_geoip_close(struct pw_geoip **geop)
{
	struct pw_geoip *geo = *geop;

	if (geo == NULL)
		return;
	*geop = NULL;
	MMDB_close(&geo->mmdb);
	free(geo);
}

/* Copy a two-letter ISO code at path in entry into cc; 1 if found. */
static int
pw_geoip_country(MMDB_entry_s *entry, const char *const *path, char cc[3])
{
	MMDB_entry_data_s data;

	if (MMDB_aget_value(entry, &data, path) != MMDB_SUCCESS ||
	    !data.has_data || data.type != MMDB_DATA_TYPE_UTF8_STRING ||
	    data.data_size != 2 ||
	    !isalpha((unsigned char)data.utf8_string[0]) ||
	    !isalpha((unsigned char)data.utf8_string[1]))
		return 0;
	cc[0] = (char)toupper((unsigned char)data.utf8_string[0]);
	cc[1] = (char)toupper((unsigned char)data.utf8_string[1]);
	cc[2] = '\0';
	return 1;
}

int
pw_geoip_lookup(const struct pw_geoip *geo, const char *address,
    struct pw_geoip_result *res)
{
	static const char *const country[] = { "country", "iso_code", NULL };
	static const char *const registered[] = { "registered_country",
	    "iso_code", NULL };
	static const char *const asn[] = { "autonomous_system_number", NULL };
	MMDB_lookup_result_s r;
	MMDB_entry_data_s data;
	int gai_error, mmdb_error;

	memset(res, 0, sizeof(*res));
	if (geo == NULL || address == NULL || *address == '\0')
		return 0;
	r = MMDB_lookup_string(&geo->mmdb, address, &gai_error, &mmdb_error);
	if (gai_error != 0 || mmdb_error != MMDB_SUCCESS || !r.found_entry)
		return 0;
	if (!pw_geoip_country(&r.entry, country, res->country))
		(void)pw_geoip_country(&r.entry, registered, res->country);
	if (MMDB_aget_value(&r.entry, &data, asn) == MMDB_SUCCESS &&
	    data.has_data && data.type == MMDB_DATA_TYPE_UINT32)
		res->asn = data.uint32;
	return res->country[0] != '\0' || res->asn != 0;
}
