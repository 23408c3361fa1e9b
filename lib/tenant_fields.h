/*
 * tenant_fields.h -- what a valid value of a tenant's milter settings is
 * (the fields of <prefix>{T}:tenant that milter/milter_tenant.h lists,
 * docs/redis-schema.md).  The one implementation of the rules: the
 * milter applies them to what it reads from Redis (milter_tenant.c),
 * `postwarden tenant` to what it writes (cli/cli_tenant.c), and the
 * configuration to pool names and the Feedback-ID sender id (lib/conf.c),
 * so that none of them can take a value another would refuse.
 *
 * Exports: the PW_TENANT_* limits, struct pw_tenant_pool (a map entry),
 * pw_tenant_*_ok() (one value: true when valid), pw_tenant_list_parse(),
 * pw_tenant_list_has(), pw_tenant_map_entry(), pw_tenant_map_parse().
 *
 * Rules:
 *   name     pool, stream: 1..PW_TENANT_NAME_MAX of a-z 0-9 _ - (a pool
 *            name is part of a master.cf service name, pool_<name>)
 *   list     streams, bulk_streams: 1..PW_TENANT_STREAMS_MAX different
 *            names, separated by commas and/or spaces
 *   map      stream_pools "STREAM=POOL,...", geo_pools "CC=POOL,...":
 *            keys named once, at most PW_TENANT_STREAM_POOLS_MAX or
 *            PW_TENANT_GEO_POOLS_MAX entries
 *   country  two ASCII letters, either case (kept upper-cased)
 *   host     LDH labels of 1..63 (no "-" at either end), at most
 *            PW_TENANT_HOST_MAX in all
 *   address  dot-atom local part of 1..PW_TENANT_LOCAL_MAX, "@", host;
 *            at most PW_TENANT_ADDR_MAX (no quotes, no "@domain")
 *   bounce   the VERP local part: 1..PW_TENANT_BOUNCE_LOCAL_MAX of
 *            a-z 0-9 . _ -, no dot at either end, no two in a row
 *   url      https://HOST... of at most PW_TENANT_URL_MAX, printable
 *            ASCII without < > , " \ (a List-Unsubscribe entry)
 *   scope    unsubscribe_scope: "stream" or "bulk" (read by
 *            lua/unsubscribe.lua, which takes anything else as "stream")
 * The callers normalise case (hosts lower-cased, country codes upper)
 * themselves; the rules take either where they say so.
 *
 * Pure: no state, no allocation, no locks; any thread.  A value is len
 * bytes at s, NUL or not, unless a comment says NUL-terminated.
 *
 * Security: every value is untrusted (anyone with redis-cli writes the
 * record).  One that passes holds only the characters its rule names
 * and fits its limit, so it is safe in a header, an envelope address, a
 * service name and a log line.
 */
#ifndef PW_TENANT_FIELDS_H
#define PW_TENANT_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#define PW_TENANT_NAME_MAX		32	/* pools, streams */
#define PW_TENANT_STREAMS_MAX		16	/* streams, bulk_streams */
#define PW_TENANT_STREAM_POOLS_MAX	16
#define PW_TENANT_GEO_POOLS_MAX		64
/* A parsed list, "a,b", with its NUL. */
#define PW_TENANT_LIST_MAX \
	(PW_TENANT_STREAMS_MAX * (PW_TENANT_NAME_MAX + 1))
#define PW_TENANT_URL_MAX		200	/* the token follows */
#define PW_TENANT_ADDR_MAX		254
#define PW_TENANT_LOCAL_MAX		64	/* an address's local part */
#define PW_TENANT_HOST_MAX		253
#define PW_TENANT_BOUNCE_LOCAL_MAX	15	/* + "+" + id <= 64 */
#define PW_TENANT_VALUE_MAX		4096	/* longer in Redis: refused */

/* One entry of stream_pools (stream -> pool) or geo_pools (CC -> pool). */
struct pw_tenant_pool {
	char	key[PW_TENANT_NAME_MAX + 1];	/* stream, "CN" */
	char	pool[PW_TENANT_NAME_MAX + 1];
};

/* A pool or stream name. */
bool	pw_tenant_name_ok(const char *s, size_t len);
/* A country code, either case. */
bool	pw_tenant_country_ok(const char *s, size_t len);
/* A host name, either case. */
bool	pw_tenant_host_ok(const char *s, size_t len);
/* A dot-atom local part (RFC 5322 atext, single inner dots) of 1..max. */
bool	pw_tenant_local_ok(const char *s, size_t len, size_t max);
/* An address local@host: unsubscribe_mailto. */
bool	pw_tenant_addr_ok(const char *s, size_t len);
/* The VERP local part: bounce_local (lower case only). */
bool	pw_tenant_bounce_local_ok(const char *s, size_t len);
/* unsubscribe_scope: "stream" or "bulk" (lower case only). */
bool	pw_tenant_unsub_scope_ok(const char *s, size_t len);
/*
 * The unsubscribe URL prefix.  false and, if why_r is not NULL, a static
 * reason in *why_r when it is not one.
 */
bool	pw_tenant_url_ok(const char *s, size_t len, const char **why_r);

/*
 * Parse the list v (NUL-terminated, "a, b c") into out as "a,b,c".  0,
 * or -1 with out untouched and a static reason in *why_r.
 */
int	pw_tenant_list_parse(const char *v, char out[PW_TENANT_LIST_MAX],
	    const char **why_r);
/* Whether list ("a,b" as pw_tenant_list_parse writes it) holds name. */
bool	pw_tenant_list_has(const char *list, const char *name);

/*
 * One map entry "KEY=POOL" or "KEY=" (pool ""): KEY a stream name, or
 * with country a country code, upper-cased in e.  0 and e filled, or -1.
 */
int	pw_tenant_map_entry(const char *s, size_t len, bool country,
	    struct pw_tenant_pool *e);
/*
 * Parse the map v (NUL-terminated) into e (room for max entries, at most
 * PW_TENANT_GEO_POOLS_MAX used) and *n_r: every entry with a pool, no
 * key twice.  0; -1 with e and *n_r untouched and a static reason in
 * *why_r.  A value of separators only is a map of no entries.
 */
int	pw_tenant_map_parse(const char *v, bool country,
	    struct pw_tenant_pool *e, size_t max, size_t *n_r,
	    const char **why_r);

#endif
