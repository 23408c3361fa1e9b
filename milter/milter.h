/*
 * milter.h -- what postwarden-milter's files share: the callbacks'
 * table (milter_cb.c), the milter's part of a runtime snapshot
 * (milter_runtime.c) and the GeoIP lookup (milter_geoip.c).
 *
 * Where to look: milter_main.c starts the daemon and owns signals;
 * milter_cb.c is the libmilter glue only; milter_conn.c and milter_msg.c
 * hold the state of a connection and of its message (milter_msg.c also
 * counts the messages in flight, for a shutdown that waits for them);
 * milter_eom.c finishes a message (removes, adds, signs, logs, records);
 * milter_runtime.c loads what a configuration snapshot holds for them
 * (milter_identity.c: who sends; milter_dkim.c: DKIM signing;
 * milter_tenant.c: the tenants' settings; milter_domain.c: which
 * domains a tenant owns; milter_keys.c: the DKIM keys tenants keep in
 * Redis; milter_geoip.c), and
 * milter_route.c chooses the egress pool.  A function lives in the file
 * its prefix names.
 *
 * Calls go down only (file -> files it calls; none calls back up):
 *
 *   milter_main    -> milter_cb (milter_desc), milter_runtime (its loader),
 *                     milter_msg (in flight), milter_events, milter_refund,
 *                     milter_supp, milter_http, milter_ready (listening)
 *   milter_http    -> milter_ready, milter_metrics, milter_events,
 *                     milter_msg (in flight)
 *   milter_cb      -> milter_conn, milter_msg, milter_eom, milter_geoip,
 *                     milter_dkim (enabled?)
 *   milter_eom     -> milter_msg, milter_conn, milter_control, milter_dkim,
 *                     milter_tenant, milter_domain, milter_route,
 *                     milter_events, milter_refund, milter_supp
 *   milter_msg     -> milter_conn, milter_identity, milter_control,
 *                     milter_dkim, milter_tenant, milter_domain,
 *                     milter_keys
 *   milter_runtime -> milter_identity, milter_dkim, milter_tenant,
 *                     milter_domain, milter_keys, milter_geoip
 *   milter_refund, milter_supp -> milter_identity, milter_events
 *   milter_tenant, milter_domain, milter_keys -> milter_identity
 *   milter_conn, milter_dkim, milter_identity -> lib/, milter_metrics
 *   milter_cb, milter_eom, milter_tenant, milter_domain, milter_keys
 *                  -> also milter_metrics (a counter each, one atomic add)
 *   milter_control, milter_events, milter_geoip, milter_route,
 *   milter_metrics, milter_ready -> lib/ only
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
 * (milter_tenant.c), which domains they own (milter_domain.c), the GeoIP database (NULL: GeoIP off) and the
 * tracking keyring (lib/track_keyring.h; NULL: no ids, tokens or VERP).
 */
struct milter_runtime {
	struct milter_state		*identity;
	struct milter_dkim_conf		*dkim;
	struct pw_cache			*tenants;	/* milter_tenant.c */
	struct pw_cache			*domains;	/* milter_domain.c */
	struct pw_cache			*keys;	/* milter_keys.c: DKIM keys */
	struct pw_geoip			*geoip;
	struct pw_track_keyring		*track;	/* NULL: no tracking */
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
