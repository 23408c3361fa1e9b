/*
 * geoip.h -- client address -> country (and AS number) from a MaxMind DB
 * file (GeoLite2/GeoIP2 Country, City or ASN databases), through
 * libmaxminddb.
 *
 * Exports: struct pw_geoip (opaque), struct pw_geoip_result,
 * pw_geoip_open/close/lookup.
 *
 * Threads: a handle is immutable once open (the file is memory-mapped,
 * MMDB_MODE_MMAP), so lookups may run in any number of threads at once.
 *
 * Ownership: the opener closes (pw_geoip_close NULLs the pointer).
 *
 * Failures: open fails with a static reason (missing file, not a MaxMind
 * DB); the caller decides (postwarden-policyd turns the country rule off
 * and warns once).  A lookup of a malformed address or one not in the
 * database is "not found", never an error the caller must handle.
 *
 * Security: the database is trusted (the admin installed it), but its
 * strings are not NUL-terminated: they are copied with their data_size
 * and bounded; a country code that is not two ASCII letters is ignored.
 */
#ifndef PW_GEOIP_H
#define PW_GEOIP_H

#include <stdint.h>

struct pw_geoip;

struct pw_geoip_result {
	char		country[3];	/* ISO 3166 alpha-2, upper case; "" */
	uint32_t	asn;		/* 0 when not in the database */
};

/* Open path.  0 and *geo_r, or -1 and a static reason in *why_r. */
int	pw_geoip_open(const char *path, struct pw_geoip **geo_r,
	    const char **why_r);
/* Unmap and free; NULL is fine; NULLs *geo. */
void	pw_geoip_close(struct pw_geoip **geo);

/*
 * Look up a textual IPv4/IPv6 address.  1 and *res filled in when the
 * database has an entry with a country or an AS number; 0 when it has
 * none (res zeroed).
 */
int	pw_geoip_lookup(const struct pw_geoip *geo, const char *address,
	    struct pw_geoip_result *res);

#endif
