/*
 * milter.h -- what postwarden-milter's files share.
 *
 * milter_main.c starts the daemon and owns signals; milter_cb.c holds the
 * libmilter callbacks; milter_runtime.c loads what a configuration
 * snapshot holds for them (milter_identity.c: who sends; milter_dkim.c:
 * DKIM signing; milter_tenant.c: the tenants' settings; GeoIP), and
 * milter_route.c chooses the egress pool.  The callbacks count the
 * messages in flight so that a shutdown can wait for them.
 */
#ifndef PW_MILTER_H
#define PW_MILTER_H

#include <libmilter/mfapi.h>

#include "geoip.h"

#define MILTER_NAME	"postwarden-milter"

extern struct smfiDesc milter_desc;

struct pw_conf;
struct pw_runtime;

/*
 * What a runtime snapshot holds for the milter (rt->extra): identity
 * (milter_identity.c), DKIM (milter_dkim.c), the tenants' settings
 * (milter_tenant.c), the GeoIP database (NULL: GeoIP off) and the
 * tracking secret (lib/track.h; NULL: no ids, tokens or VERP).
 */
struct milter_runtime {
	struct milter_state		*identity;
	struct milter_dkim_conf		*dkim;
	struct milter_tenant_cache	*tenants;
	struct pw_geoip			*geoip;
	struct pw_track_secret		*track;	/* NULL: no tracking */
};

/*
 * pw_runtime_loader of the milter: identity, DKIM, the tenant cache and
 * the GeoIP database (milter_runtime.c).
 */
int	milter_runtime_load(struct pw_runtime *rt, char *err,
	    size_t errsize);

/*
 * Open milter_geoip_database into *geoip_r for a snapshot; one that does
 * not open is a warning, and GeoIP is off (milter_geoip.c).
 */
void	milter_geoip_open(const struct pw_conf *conf,
	    struct pw_geoip **geoip_r);

/*
 * The country and AS number of a client address, from the snapshot's
 * milter_geoip_database: 1 and *res filled when the database knows the
 * address; 0 (res zeroed) when it does not, or GeoIP is off.  Any thread.
 */
int	milter_geoip_lookup(const struct pw_runtime *rt, const char *address,
	    struct pw_geoip_result *res);

#endif
