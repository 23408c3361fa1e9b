/*
 * cli_tenant.h -- what cli_tenant.c and cli_tenant_settings.c share: the
 * milter's settings of a tenant record (pool, stream_pools, ...,
 * dkim_domain) as `tenant add` and `tenant set` take them.
 *
 * cli_tenant_settings.c checks the options, merges the map edits, warns
 * about pools this host does not know, and writes a changed record;
 * cli_tenant.c is the command.
 */
#ifndef PW_CLI_TENANT_H
#define PW_CLI_TENANT_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "cli.h"
#include "tenant_fields.h"

/* Their usage, and their long options (cli.h's CLI_OPT_*). */
#define CLI_TENANT_SETTINGS	"[--pool POOL] " \
	"[--stream-pool STREAM=POOL]... [--geo-pool CC=POOL]... " \
	"[--streams LIST] [--default-stream STREAM] " \
	"[--bulk-streams LIST] [--unsubscribe-scope stream|bulk] " \
	"[--unsubscribe-url URL] " \
	"[--unsubscribe-mailto ADDRESS] [--bounce-domain DOMAIN] " \
	"[--bounce-local LOCAL] [--dkim-domain DOMAIN]"

#define CLI_TENANT_SETTINGS_LONGOPTS \
	{ "pool", required_argument, NULL, CLI_OPT_POOL }, \
	{ "stream-pool", required_argument, NULL, CLI_OPT_STREAM_POOL }, \
	{ "geo-pool", required_argument, NULL, CLI_OPT_GEO_POOL }, \
	{ "streams", required_argument, NULL, CLI_OPT_STREAMS }, \
	{ "default-stream", required_argument, NULL, CLI_OPT_DEFAULT_STREAM }, \
	{ "bulk-streams", required_argument, NULL, CLI_OPT_BULK_STREAMS }, \
	{ "unsubscribe-scope", required_argument, NULL, \
	    CLI_OPT_UNSUBSCRIBE_SCOPE }, \
	{ "unsubscribe-url", required_argument, NULL, \
	    CLI_OPT_UNSUBSCRIBE_URL }, \
	{ "unsubscribe-mailto", required_argument, NULL, \
	    CLI_OPT_UNSUBSCRIBE_MAILTO }, \
	{ "bounce-domain", required_argument, NULL, CLI_OPT_BOUNCE_DOMAIN }, \
	{ "bounce-local", required_argument, NULL, CLI_OPT_BOUNCE_LOCAL }, \
	{ "dkim-domain", required_argument, NULL, CLI_OPT_DKIM_DOMAIN }

/* The longest value written: 64 geo rules "CC=" + pool + ",". */
#define CLI_TENANT_VALUE_MAX \
	(PW_TENANT_GEO_POOLS_MAX * (3 + PW_TENANT_NAME_MAX + 1) + 1)
#define CLI_TENANT_EDITS_MAX		128

/* The settings, in docs/redis-schema.md order. */
enum cli_tenant_index {
	CLI_TENANT_POOL,
	CLI_TENANT_STREAM_POOLS,
	CLI_TENANT_GEO_POOLS,
	CLI_TENANT_STREAMS,
	CLI_TENANT_DEFAULT_STREAM,
	CLI_TENANT_BULK_STREAMS,
	CLI_TENANT_UNSUBSCRIBE_SCOPE,
	CLI_TENANT_UNSUBSCRIBE_URL,
	CLI_TENANT_UNSUBSCRIBE_MAILTO,
	CLI_TENANT_BOUNCE_DOMAIN,
	CLI_TENANT_BOUNCE_LOCAL,
	CLI_TENANT_DKIM_DOMAIN,
	CLI_TENANT_NSETTINGS
};

/* A setting as the command will write it. */
struct cli_tenant_value {
	bool	given;				/* by options */
	char	v[CLI_TENANT_VALUE_MAX];	/* "" removes the field */
};

/* One --stream-pool or --geo-pool. */
struct cli_tenant_edit {
	enum cli_tenant_index	map;
	char			key[PW_TENANT_NAME_MAX + 1]; /* "": all */
	char			pool[PW_TENANT_NAME_MAX + 1]; /* "": del */
};

/* The settings options given to one command. */
struct cli_tenant_settings {
	struct cli_tenant_value	 set[CLI_TENANT_NSETTINGS];
	struct cli_tenant_edit	 edits[CLI_TENANT_EDITS_MAX];
	size_t			 nedits;
	bool			 given;		/* any settings option */
};

/*
 * Take one of the settings options into s: 0 when taken, -1 after
 * printing what it expects, 1 when ch is not one of them.
 */
int	cli_tenant_settings_opt(int ch, const char *arg,
	    struct cli_tenant_settings *s);
/*
 * The settings after the change, from the options and the record as it
 * is (hash, NULL for a new one): the maps merged, default_stream one of
 * streams.  0, or an exit code after printing why.
 */
int	cli_tenant_settings_resolve(const char *tenant,
	    struct cli_tenant_settings *s, const redisReply *hash);
/* Warn about the pools s names that are not in this host's milter_pools. */
void	cli_tenant_settings_check_pools(const struct cli_db *db,
	    const struct cli_tenant_settings *s);
/*
 * Append the field/value pairs of the non-empty settings to kv (room for
 * 2 * CLI_TENANT_NSETTINGS more) from kv[kc]: the new count.
 */
int	cli_tenant_settings_kv(const struct cli_tenant_settings *s,
	    const char **kv, int kc);
/*
 * The settings that must name the tenant's own domains (--dkim-domain,
 * --bounce-domain; cli_domain_owner_covers): 0 (the value now in normal form: lower case), or
 * an exit code after printing why (CLI_EXIT_NOTFOUND: not the
 * tenant's).  `tenant add` and `tenant set` call it before they write.
 */
int	cli_tenant_settings_check_domains(struct cli_db *db,
	    const char *tenant, struct cli_tenant_settings *s);
/*
 * `tenant set` with settings: read the record rec, merge, and write the
 * limits f and the settings unless the fields read changed meanwhile,
 * else all again.  CLI_EXIT_OK, CLI_EXIT_NOTFOUND when there is no
 * record (the caller says so), or another exit code after printing why.
 */
int	cli_tenant_settings_update(struct cli_db *db, const char *rec,
	    const char *tenant, const struct cli_fields *f,
	    struct cli_tenant_settings *s);

#endif
