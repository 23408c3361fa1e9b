/*
 * milter_geoip.c -- the milter's GeoIP database (milter_geoip_database):
 * opened for each runtime snapshot (milter_runtime.c), asked for the
 * country and AS number of each client at connect (milter_cb.c).
 *
 * GeoIP is optional: a milter_geoip_database that is missing or not a
 * MaxMind DB is logged (one warning per load) and the snapshot goes on
 * without it; a SIGHUP opens the file again.  The handle is immutable
 * (memory-mapped, lib/geoip.c), so lookups run in any thread without a
 * lock.  Calls only lib/.
 */
#include "config.h"

#include <stddef.h>

#include "geoip.h"
#include "log.h"
#include "milter.h"
#include "runtime.h"

void
milter_geoip_open(const struct pw_conf *conf, struct pw_geoip **geoip_r)
{
	const char *path = conf->milter_geoip_database, *why;

	if (*path == '\0')
		return;
	if (pw_geoip_open(path, geoip_r, &why) < 0)
		pw_log_warnx("milter_geoip_database: %s: %s; GeoIP is off "
		    "(no country rules, no country in events)", path, why);
}

int
milter_geoip_lookup(const struct pw_runtime *rt, const char *address,
    struct pw_geoip_result *res)
{
	const struct milter_runtime *mr = rt != NULL ? rt->extra : NULL;

	return pw_geoip_lookup(mr != NULL ? mr->geoip : NULL, address, res);
}
