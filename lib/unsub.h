/*
 * unsub.h -- what a verified one-click unsubscribe writes, shared by
 * `postwarden unsubscribe` (cli/cli_track.c, synchronous Redis) and
 * postwarden-policyd's HTTP service (http/http_unsub.c, asynchronous):
 * the token's recipient, normalized as every suppression is
 * (lib/address.h), with the entry "unsubscribe|SOURCE|TIME|0" (never
 * expires), by lua/unsubscribe.lua: into pw:{T}:supp:stream:<stream> when
 * the token names one of the tenant's bulk_streams (or pw:{T}:supp:bulk
 * when the tenant's unsubscribe_scope is "bulk"), else into the
 * tenant-wide pw:{T}:supp.  Nothing when the tenant does not exist,
 * nothing when the tenant's own permanent entry is there already
 * (idempotent); a global copy or an expiring entry is replaced.
 *
 * Exports: struct pw_unsub, pw_unsub_prepare, pw_unsub_args,
 * pw_unsub_free, pw_unsub_scope, pw_unsub_script.  Threads: any
 * (pw_unsub_script is initialised once by its first caller, a
 * single-threaded program's).
 */
#ifndef PW_UNSUB_H
#define PW_UNSUB_H

#include <stdint.h>

#include "address.h"
#include "redis_common.h"
#include "track.h"

#define PW_UNSUB_VALUE_MAX	96

/* lua/unsubscribe.lua's KEYS and ARGV for one token. */
struct pw_unsub {
	char	*tenant_key;			/* KEYS[1] pw:{T}:tenant */
	char	*supp_key;			/* KEYS[2] pw:{T}:supp */
	char	*stream_key;	/* KEYS[3] pw:{T}:supp:stream:<s>, or supp */
	char	*bulk_key;			/* KEYS[4] pw:{T}:supp:bulk */
	char	 address[PW_ADDRESS_MAX + 1];	/* ARGV[1] */
	char	 value[PW_UNSUB_VALUE_MAX];	/* ARGV[2] */
	char	 stream[PW_TRACK_STREAM_MAX + 1];	/* ARGV[3], or "" */
};

/* The script's KEYS and ARGV (pw_unsub_args fills this many). */
#define PW_UNSUB_NKEYS		4
#define PW_UNSUB_NARGS		7

/* The script's replies: > 0 written, where (pw_unsub_scope). */
#define PW_UNSUB_NO_TENANT	(-1)
#define PW_UNSUB_ALREADY	0
#define PW_UNSUB_ADDED		1	/* tenant-wide */
#define PW_UNSUB_ADDED_STREAM	2	/* for the token's stream */
#define PW_UNSUB_ADDED_BULK	3	/* for every bulk stream */

/*
 * Fill w for the verified token u, with source ("one-click", "mailto")
 * and now (Unix seconds) under the key prefix.  0, or -1 and a static
 * *why_r when the recipient is no address a suppression list can hold
 * (w is then empty).
 */
int	pw_unsub_prepare(const char *prefix, const struct pw_track_unsub *u,
	    const char *source, int64_t now, struct pw_unsub *w,
	    const char **why_r);
/* argv[PW_UNSUB_NARGS]: the keys, then the arguments, of w. */
void	pw_unsub_args(const struct pw_unsub *w, const char **argv);
void	pw_unsub_free(struct pw_unsub *w);
/*
 * What a reply > 0 wrote, in a word: "tenant", "stream" or "bulk"
 * (static); NULL for any other reply.
 */
const char *pw_unsub_scope(long long reply);
/* lua/unsubscribe.lua, initialised; NULL and *why_r if it cannot be. */
struct pw_redis_script *pw_unsub_script(const char **why_r);

#endif
