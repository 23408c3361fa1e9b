/*
 * cli_tenant.c -- `postwarden tenant`: tenants.
 *
 *   tenant add TENANT [LIMITS] [SETTINGS]
 *   tenant show TENANT
 *   tenant list
 *   tenant set TENANT LIMITS|SETTINGS
 *   tenant suspend|disable|enable TENANT
 *
 * SETTINGS are the milter's fields of the record (pool, stream_pools,
 * geo_pools, streams, ..., dkim_domain), checked here by the code that
 * milter/milter_tenant.c checks them with when it reads them
 * (lib/tenant_fields.h), so that what the command writes is never
 * ignored there.  --stream-pool and --geo-pool edit one entry of a map
 * each; `tenant set` reads the record, merges, and writes only if the
 * fields it read are unchanged (a script that compares them), else reads
 * again.
 *
 * Exports: cli_tenant.
 *
 * Redis (docs/redis-schema.md): the record pw:{T}:tenant and the tenant's
 * copy of the global suppressions pw:{T}:supp in its slot; the list
 * pw:tenants outside it.  Adding is three steps, in this order:
 *   1. SADD pw:tenants: from now on a global `suppress add` also writes
 *      to this tenant, so no global entry added meanwhile is missed;
 *   2. copy pw:supp:global into pw:{T}:supp (source "global");
 *   3. create the record (a script that refuses an existing one): only
 *      now can keys be added to it, with its suppressions in place.
 * A crash after 1 or 2 leaves a listed tenant without record (`tenant
 * list` shows "(no record)") and without keys; `tenant add` again
 * completes it.
 *
 * Failures: unknown tenant exit 1, an existing tenant exit 3, bad input
 * exit 64, Redis trouble exit 2.
 */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "dkim_keys.h"
#include "identity.h"
#include "tenant_fields.h"

#define CLI_TENANT_GROUP	"tenant"
#define CLI_TENANT_LIMITS	"[--rate N/s|N/m] [--burst N] " \
	"[--quota-hour N] [--quota-day N] [--quota-month N] " \
	"[--max-size N[K|M|G]] [--max-recipients N] [--description TEXT] " \
	"[--status STATUS]"
#define CLI_TENANT_SETTINGS	"[--pool POOL] " \
	"[--stream-pool STREAM=POOL]... [--geo-pool CC=POOL]... " \
	"[--streams LIST] [--default-stream STREAM] " \
	"[--bulk-streams LIST] [--unsubscribe-url URL] " \
	"[--unsubscribe-mailto ADDRESS] [--bounce-domain DOMAIN] " \
	"[--bounce-local LOCAL] [--dkim-domain DOMAIN]"

/* The longest value written: 64 geo rules "CC=" + pool + ",". */
#define CLI_TENANT_VALUE_MAX \
	(PW_TENANT_GEO_POOLS_MAX * (3 + PW_TENANT_NAME_MAX + 1) + 1)
#define CLI_TENANT_EDITS_MAX		128
#define CLI_TENANT_TRIES		5

/* KEYS[1] the record; ARGV field/value pairs.  0 if it exists, else 1. */
static struct pw_redis_script cli_tenant_create_script = {
	"cli_tenant_create",
	"if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end\n"
	"redis.call('HSET', KEYS[1], unpack(ARGV))\n"
	"return 1\n",
	""
};

/*
 * KEYS[1] the record; ARGV[1] n, then n field/value pairs that must be as
 * they were read ("" = absent), then m, then m field/value pairs to set,
 * then fields to delete.  0 when the record does not exist, 2 when a
 * field changed since it was read (nothing written), else 1.
 */
static struct pw_redis_script cli_tenant_update_script = {
	"cli_tenant_update",
	"if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
	"local i = 2\n"
	"for _ = 1, tonumber(ARGV[1]) do\n"
	"  local v = redis.call('HGET', KEYS[1], ARGV[i]) or ''\n"
	"  if v ~= ARGV[i + 1] then return 2 end\n"
	"  i = i + 2\n"
	"end\n"
	"local m = tonumber(ARGV[i])\n"
	"i = i + 1\n"
	"if m > 0 then\n"
	"  redis.call('HSET', KEYS[1], unpack(ARGV, i, i + 2 * m - 1))\n"
	"end\n"
	"i = i + 2 * m\n"
	"if #ARGV >= i then\n"
	"  redis.call('HDEL', KEYS[1], unpack(ARGV, i))\n"
	"end\n"
	"return 1\n",
	""
};

/* --- the milter's settings --------------------------------------------- */

enum cli_tenant_kind {
	CLI_TENANT_NAME,	/* a pool or stream name */
	CLI_TENANT_MAP,		/* STREAM=POOL or CC=POOL entries */
	CLI_TENANT_LIST,	/* stream names */
	CLI_TENANT_URL,		/* the unsubscribe URL prefix */
	CLI_TENANT_MAILTO,	/* an address */
	CLI_TENANT_HOST,	/* a domain name, lower-cased */
	CLI_TENANT_LOCAL,	/* the VERP local part, lower-cased */
	CLI_TENANT_DKIM,	/* a DKIM signing domain */
};

/* The settings, in docs/redis-schema.md order (indexes below). */
enum cli_tenant_index {
	CLI_TENANT_POOL,
	CLI_TENANT_STREAM_POOLS,
	CLI_TENANT_GEO_POOLS,
	CLI_TENANT_STREAMS,
	CLI_TENANT_DEFAULT_STREAM,
	CLI_TENANT_BULK_STREAMS,
	CLI_TENANT_UNSUBSCRIBE_URL,
	CLI_TENANT_UNSUBSCRIBE_MAILTO,
	CLI_TENANT_BOUNCE_DOMAIN,
	CLI_TENANT_BOUNCE_LOCAL,
	CLI_TENANT_DKIM_DOMAIN,
	CLI_TENANT_NSETTINGS
};

static const struct {
	int			 ch;
	const char		*option;
	const char		*field;
	enum cli_tenant_kind	 kind;
	const char		*expected;
} cli_tenant_settings[CLI_TENANT_NSETTINGS] = {
	[CLI_TENANT_POOL] = { CLI_OPT_POOL, "pool", "pool",
	    CLI_TENANT_NAME, "a pool name (1 to 32 of a-z 0-9 _ -), or ''" },
	[CLI_TENANT_STREAM_POOLS] = { CLI_OPT_STREAM_POOL, "stream-pool",
	    "stream_pools", CLI_TENANT_MAP, "STREAM=POOL (names of 1 to 32 "
	    "of a-z 0-9 _ -), STREAM= to remove one, or '' for all" },
	[CLI_TENANT_GEO_POOLS] = { CLI_OPT_GEO_POOL, "geo-pool", "geo_pools",
	    CLI_TENANT_MAP, "CC=POOL (a two-letter country code, a pool "
	    "name), CC= to remove one, or '' for all" },
	[CLI_TENANT_STREAMS] = { CLI_OPT_STREAMS, "streams", "streams",
	    CLI_TENANT_LIST, "1 to 16 different stream names (1 to 32 of "
	    "a-z 0-9 _ -) separated by commas, or ''" },
	[CLI_TENANT_DEFAULT_STREAM] = { CLI_OPT_DEFAULT_STREAM,
	    "default-stream", "default_stream", CLI_TENANT_NAME,
	    "a stream name (1 to 32 of a-z 0-9 _ -), or ''" },
	[CLI_TENANT_BULK_STREAMS] = { CLI_OPT_BULK_STREAMS, "bulk-streams",
	    "bulk_streams", CLI_TENANT_LIST, "1 to 16 different stream names "
	    "(1 to 32 of a-z 0-9 _ -) separated by commas, or ''" },
	[CLI_TENANT_UNSUBSCRIBE_URL] = { CLI_OPT_UNSUBSCRIBE_URL,
	    "unsubscribe-url", "unsubscribe_url", CLI_TENANT_URL,
	    "https://HOST/... of at most 200 characters, without spaces, "
	    "< > , \" or \\, or ''" },
	[CLI_TENANT_UNSUBSCRIBE_MAILTO] = { CLI_OPT_UNSUBSCRIBE_MAILTO,
	    "unsubscribe-mailto", "unsubscribe_mailto", CLI_TENANT_MAILTO,
	    "an address user@domain, or ''" },
	[CLI_TENANT_BOUNCE_DOMAIN] = { CLI_OPT_BOUNCE_DOMAIN, "bounce-domain",
	    "bounce_domain", CLI_TENANT_HOST, "a domain name, or ''" },
	[CLI_TENANT_BOUNCE_LOCAL] = { CLI_OPT_BOUNCE_LOCAL, "bounce-local",
	    "bounce_local", CLI_TENANT_LOCAL, "1 to 15 of a-z 0-9 . _ - "
	    "(no dot at either end, no two in a row), or ''" },
	[CLI_TENANT_DKIM_DOMAIN] = { CLI_OPT_DKIM_DOMAIN, "dkim-domain",
	    "dkim_domain", CLI_TENANT_DKIM, "a domain name, or ''" },
};

#define CLI_TENANT_SETTINGS_LONGOPTS \
	{ "pool", required_argument, NULL, CLI_OPT_POOL }, \
	{ "stream-pool", required_argument, NULL, CLI_OPT_STREAM_POOL }, \
	{ "geo-pool", required_argument, NULL, CLI_OPT_GEO_POOL }, \
	{ "streams", required_argument, NULL, CLI_OPT_STREAMS }, \
	{ "default-stream", required_argument, NULL, CLI_OPT_DEFAULT_STREAM }, \
	{ "bulk-streams", required_argument, NULL, CLI_OPT_BULK_STREAMS }, \
	{ "unsubscribe-url", required_argument, NULL, \
	    CLI_OPT_UNSUBSCRIBE_URL }, \
	{ "unsubscribe-mailto", required_argument, NULL, \
	    CLI_OPT_UNSUBSCRIBE_MAILTO }, \
	{ "bounce-domain", required_argument, NULL, CLI_OPT_BOUNCE_DOMAIN }, \
	{ "bounce-local", required_argument, NULL, CLI_OPT_BOUNCE_LOCAL }, \
	{ "dkim-domain", required_argument, NULL, CLI_OPT_DKIM_DOMAIN }

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

/*
 * Check and normalise a non-empty value of kind into out (size bytes) by
 * the milter's rule for it: 0, or -1.
 */
static int
cli_tenant_check(enum cli_tenant_kind kind, const char *in, char *out,
    size_t size)
{
	const char *why;
	size_t i, len = strlen(in);
	bool lower, ok = false;

	if (len >= size)
		return -1;
	if (kind == CLI_TENANT_LIST)
		return size >= PW_TENANT_LIST_MAX ?
		    pw_tenant_list_parse(in, out, &why) : -1;
	/* Addresses and domain names are stored lower-cased. */
	lower = kind == CLI_TENANT_MAILTO || kind == CLI_TENANT_HOST ||
	    kind == CLI_TENANT_LOCAL;
	for (i = 0; i <= len; i++)
		out[i] = lower ? (char)tolower((unsigned char)in[i]) : in[i];
	switch (kind) {
	case CLI_TENANT_NAME:
		ok = pw_tenant_name_ok(out, len);
		break;
	case CLI_TENANT_URL:
		ok = pw_tenant_url_ok(out, len, NULL);
		break;
	case CLI_TENANT_MAILTO:
		ok = pw_tenant_addr_ok(out, len);
		break;
	case CLI_TENANT_HOST:
		ok = pw_tenant_host_ok(out, len);
		break;
	case CLI_TENANT_LOCAL:
		ok = pw_tenant_bounce_local_ok(out, len);
		break;
	case CLI_TENANT_DKIM:
		ok = pw_dkim_valid_domain(out, len) != 0;
		break;
	default:	/* MAP: entries, one at a time */
		break;
	}
	return ok ? 0 : -1;
}

/* A map being merged. */
struct cli_tenant_map {
	struct pw_tenant_pool	 e[PW_TENANT_GEO_POOLS_MAX];
	size_t			 n, max;
	bool			 geo;
};

/* Set (pool non-empty) or remove an entry: 0, or -1 when full. */
static int
cli_tenant_map_put(struct cli_tenant_map *m, const struct pw_tenant_pool *e)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->e[i].key, e->key) == 0)
			break;
	if (e->pool[0] == '\0') {
		if (i < m->n) {
			m->n--;
			memmove(&m->e[i], &m->e[i + 1],
			    (m->n - i) * sizeof(m->e[0]));
		}
		return 0;
	}
	if (i == m->n) {
		if (m->n == m->max)
			return -1;
		m->n++;
	}
	m->e[i] = *e;
	return 0;
}

/*
 * Apply the edits of map i (if any) to cur, its value in Redis (NULL:
 * none), into set[i].  0, or an exit code after printing why.
 */
static int
cli_tenant_merge(const char *tenant, const struct cli_tenant_edit *edits,
    size_t nedits, enum cli_tenant_index i, const char *cur,
    struct cli_tenant_value *set)
{
	struct cli_tenant_map m;
	const char *option = cli_tenant_settings[i].option, *why;
	struct pw_tenant_pool e;
	size_t k, o = 0;
	bool any = false;

	memset(&m, 0, sizeof(m));
	m.geo = i == CLI_TENANT_GEO_POOLS;
	m.max = m.geo ? PW_TENANT_GEO_POOLS_MAX : PW_TENANT_STREAM_POOLS_MAX;
	for (k = 0; k < nedits && edits[k].map != i; k++)
		;
	if (k == nedits)
		return 0;
	/* Unless the first edit replaces it all, start from Redis. */
	if (edits[k].key[0] != '\0' && cur != NULL && pw_tenant_map_parse(cur,
	    m.geo, m.e, m.max, &m.n, &why) != 0) {
		cli_error("tenant %s: %s in Redis: %s; replace it: --%s '' "
		    "--%s ...", tenant, cli_tenant_settings[i].field, why,
		    option, option);
		return CLI_EXIT_FAIL;
	}
	for (; k < nedits; k++) {
		if (edits[k].map != i)
			continue;
		if (edits[k].key[0] == '\0') {
			m.n = 0;
			continue;
		}
		snprintf(e.key, sizeof(e.key), "%s", edits[k].key);
		snprintf(e.pool, sizeof(e.pool), "%s", edits[k].pool);
		if (cli_tenant_map_put(&m, &e) < 0) {
			cli_error("--%s: more than %zu entries", option, m.max);
			return CLI_EXIT_USAGE;
		}
	}
	/* @UNSAFE: at most max entries of "KEY=POOL," fit the value. */
	set->v[0] = '\0';
	for (k = 0; k < m.n; k++) {
		o += (size_t)snprintf(set->v + o, sizeof(set->v) - o, "%s%s=%s",
		    any ? "," : "", m.e[k].key, m.e[k].pool);
		any = true;
	}
	set->given = true;
	return 0;
}

/*
 * Take one of the settings options: 0 when taken, -1 after printing what
 * it expects, 1 when ch is not one of them.
 */
static int
cli_tenant_setting_opt(int ch, const char *arg, struct cli_tenant_value *set,
    struct cli_tenant_edit *edits, size_t *nedits)
{
	struct pw_tenant_pool e;
	char safe[80];
	size_t i;
	int rc = 0;

	for (i = 0; i < CLI_TENANT_NSETTINGS; i++)
		if (cli_tenant_settings[i].ch == ch)
			break;
	if (i == CLI_TENANT_NSETTINGS)
		return 1;
	if (cli_tenant_settings[i].kind == CLI_TENANT_MAP) {
		memset(&e, 0, sizeof(e));
		if (*nedits == CLI_TENANT_EDITS_MAX)
			rc = -1;
		else if (*arg != '\0')
			rc = pw_tenant_map_entry(arg, strlen(arg),
			    i == CLI_TENANT_GEO_POOLS, &e);
		if (rc == 0) {
			edits[*nedits].map = (enum cli_tenant_index)i;
			memcpy(edits[*nedits].key, e.key, sizeof(e.key));
			memcpy(edits[*nedits].pool, e.pool, sizeof(e.pool));
			(*nedits)++;
		}
	} else if (*arg == '\0') {
		set[i].v[0] = '\0';
		set[i].given = true;
	} else if ((rc = cli_tenant_check(cli_tenant_settings[i].kind, arg,
	    set[i].v, sizeof(set[i].v))) == 0)
		set[i].given = true;
	if (rc < 0) {
		cli_error("--%s: expected %s; got '%s'",
		    cli_tenant_settings[i].option,
		    cli_tenant_settings[i].expected,
		    cli_out_safe(safe, sizeof(safe), arg, strlen(arg)));
		return -1;
	}
	return 0;
}

/*
 * The settings after the change, from the options and the record as it
 * is (NULL for a new one): the maps merged, default_stream one of
 * streams.  0, or an exit code after printing why.
 */
static int
cli_tenant_resolve(const char *tenant, struct cli_tenant_value *set,
    const struct cli_tenant_edit *edits, size_t nedits,
    const redisReply *hash)
{
	char streams[CLI_TENANT_VALUE_MAX], safe[80];
	const struct cli_tenant_value *s = &set[CLI_TENANT_STREAMS];
	const struct cli_tenant_value *d = &set[CLI_TENANT_DEFAULT_STREAM];
	const char *cur, *def, *why;
	int rc;

	cur = hash != NULL ? cli_util_hash_get(hash, "stream_pools") : NULL;
	if ((rc = cli_tenant_merge(tenant, edits, nedits,
	    CLI_TENANT_STREAM_POOLS, cur, &set[CLI_TENANT_STREAM_POOLS])) != 0)
		return rc;
	cur = hash != NULL ? cli_util_hash_get(hash, "geo_pools") : NULL;
	if ((rc = cli_tenant_merge(tenant, edits, nedits,
	    CLI_TENANT_GEO_POOLS, cur, &set[CLI_TENANT_GEO_POOLS])) != 0)
		return rc;
	if (!s->given && !d->given)
		return 0;
	/* The streams the milter will see (a bad value: the default). */
	cur = hash != NULL ? cli_util_hash_get(hash, "streams") : NULL;
	if (s->given && s->v[0] != '\0')
		snprintf(streams, sizeof(streams), "%s", s->v);
	else if (s->given || cur == NULL || *cur == '\0' ||
	    strlen(cur) > PW_TENANT_VALUE_MAX ||
	    pw_tenant_list_parse(cur, streams, &why) < 0)
		snprintf(streams, sizeof(streams), "transactional,bulk");
	def = d->given ? d->v : hash != NULL ?
	    cli_util_hash_get(hash, "default_stream") : NULL;
	if (def == NULL || *def == '\0' || pw_tenant_list_has(streams, def))
		return 0;
	cli_out_safe(safe, sizeof(safe), def, strlen(def));
	if (d->given)
		cli_error("--default-stream %s is not one of the tenant's "
		    "streams (%s)", safe, streams);
	else
		cli_error("tenant %s: its default_stream %s is not one of "
		    "--streams %s; give --default-stream too", tenant, safe,
		    streams);
	return CLI_EXIT_USAGE;
}

/* pw_conf_list_foreach: 1 when item is the pool sought. */
static int
cli_tenant_is_pool(const char *item, size_t len, void *arg)
{
	const char *pool = arg;

	return strlen(pool) == len && memcmp(item, pool, len) == 0;
}

/* Warn about the pools of value (a pool, or a map) not in milter_pools. */
static void
cli_tenant_warn_pools(const struct cli_db *db, bool map, const char *value)
{
	char pool[PW_TENANT_NAME_MAX + 1];
	const char *p = value;
	size_t len;

	while (*p != '\0') {
		if (map) {
			if ((p = strchr(p, '=')) == NULL)
				break;
			p++;
		}
		len = strcspn(p, ",");
		snprintf(pool, sizeof(pool), "%.*s", (int)len, p);
		p += len;
		if (*p == ',')
			p++;
		if (*db->conf->milter_pools != '\0' &&
		    pw_conf_list_foreach(db->conf->milter_pools,
		    cli_tenant_is_pool, pool) == 0)
			fprintf(stderr, "postwarden: warning: pool %s is not "
			    "in milter_pools of %s: the milter will use "
			    "milter_default_pool instead\n", pool,
			    db->conf->path);
	}
}

/* The pools the settings name, against this host's milter_pools. */
static void
cli_tenant_check_pools(const struct cli_db *db,
    const struct cli_tenant_value *set)
{
	cli_tenant_warn_pools(db, false, set[CLI_TENANT_POOL].v);
	cli_tenant_warn_pools(db, true, set[CLI_TENANT_STREAM_POOLS].v);
	cli_tenant_warn_pools(db, true, set[CLI_TENANT_GEO_POOLS].v);
}

static const struct option cli_tenant_longopts[] = {
	CLI_LIMIT_LONGOPTS,
	CLI_TENANT_SETTINGS_LONGOPTS,
	{ "json", no_argument, NULL, CLI_OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

struct cli_tenant_args {
	const char		*tenant;
	bool			 json;
	struct cli_fields	 fields;	/* limits, status */
	struct cli_tenant_value	 set[CLI_TENANT_NSETTINGS];
	struct cli_tenant_edit	 edits[CLI_TENANT_EDITS_MAX];
	size_t			 nedits;
	bool			 settings;	/* a settings option */
};

/*
 * Parse a subcommand's options and its TENANT (none for list): 0, or
 * CLI_EXIT_USAGE after printing why.
 */
static int
cli_tenant_args(int argc, char **argv, const char *usage, bool limits,
    bool want_tenant, struct cli_tenant_args *a)
{
	char cmd[32];
	int ch, rc;

	memset(a, 0, sizeof(*a));
	snprintf(cmd, sizeof(cmd), "tenant %s", argv[0]);
	while ((ch = getopt_long(argc, argv, ":", cli_tenant_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case CLI_OPT_JSON:
			a->json = true;
			break;
		case '?':
		case ':':
			cli_util_badopt(cmd, ch, argv);
			return cli_util_usage(CLI_TENANT_GROUP, usage);
		default:
			if (!limits) {
				cli_error("%s: option %s does not apply", cmd,
				    argv[optind - 1]);
				return cli_util_usage(CLI_TENANT_GROUP, usage);
			}
			if ((rc = cli_tenant_setting_opt(ch, optarg, a->set,
			    a->edits, &a->nedits)) == 1)
				rc = cli_util_limit_opt(ch, optarg, false,
				    &a->fields);
			else
				a->settings = true;
			if (rc != 0)
				return CLI_EXIT_USAGE;
			break;
		}
	}
	if (argc - optind != (want_tenant ? 1 : 0))
		return cli_util_usage(CLI_TENANT_GROUP, usage);
	if (want_tenant) {
		a->tenant = argv[optind];
		if (cli_util_check_tenant(a->tenant) < 0)
			return CLI_EXIT_USAGE;
	}
	return 0;
}

/*
 * Print a tenant: its record, how many keys and suppressions it has.
 * CLI_EXIT_OK, CLI_EXIT_NOTFOUND or CLI_EXIT_FAIL.
 */
static int
cli_tenant_print(struct cli_db *db, const char *tenant)
{
	redisReply *hash = NULL, *keys = NULL, *supp = NULL;
	char *rec, *set, *hk, num[24], num2[24];
	struct cli_table t;
	struct cli_json j;
	int rc = CLI_EXIT_FAIL;

	rec = cli_util_key(db, "{%s}:tenant", tenant);
	set = cli_util_key(db, "{%s}:keys", tenant);
	hk = cli_util_key(db, "{%s}:supp", tenant);
	if ((hash = cli_util_cmd(db, "HGETALL", rec, NULL)) == NULL ||
	    (keys = cli_util_cmd(db, "SCARD", set, NULL)) == NULL ||
	    (supp = cli_util_cmd(db, "HLEN", hk, NULL)) == NULL)
		goto out;
	if (hash->type != REDIS_REPLY_ARRAY || hash->elements == 0) {
		cli_error("unknown tenant: %s", tenant);
		rc = CLI_EXIT_NOTFOUND;
		goto out;
	}
	if (db->json) {
		cli_out_json_init(&j, stdout);
		cli_out_json_open(&j, '{');
		cli_out_json_key(&j, "tenant");
		cli_out_json_cstr(&j, tenant);
		cli_out_record_json(hash, &j);
		cli_out_json_key(&j, "keys");
		cli_out_json_int(&j, cli_util_reply_int(keys));
		cli_out_json_key(&j, "suppressions");
		cli_out_json_int(&j, cli_util_reply_int(supp));
		cli_out_json_close(&j, '}');
		putchar('\n');
	} else {
		cli_out_table_init(&t, 2);
		cli_out_table_row(&t, "tenant", tenant);
		cli_out_record_table(hash, &t);
		snprintf(num, sizeof(num), "%lld", cli_util_reply_int(keys));
		snprintf(num2, sizeof(num2), "%lld",
		    cli_util_reply_int(supp));
		cli_out_table_row(&t, "keys", num);
		cli_out_table_row(&t, "suppressions", num2);
		cli_out_table_print(&t, stdout);
		cli_out_table_free(&t);
	}
	rc = CLI_EXIT_OK;
out:
	if (hash != NULL)
		freeReplyObject(hash);
	if (keys != NULL)
		freeReplyObject(keys);
	if (supp != NULL)
		freeReplyObject(supp);
	free(rec);
	free(set);
	free(hk);
	return rc;
}

static int
cli_tenant_add(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] = "add TENANT " CLI_TENANT_LIMITS " "
	    CLI_TENANT_SETTINGS;
	const char *kv[1 + 2 * (CLI_FIELDS_MAX + 3 + CLI_TENANT_NSETTINGS)];
	struct cli_tenant_args a;
	char now[24], *rec = NULL, *list = NULL;
	struct cli_db db;
	redisReply *reply;
	size_t copied = 0;
	int rc, kc = 0, i;

	if ((rc = cli_tenant_args(argc, argv, usage, true, true, &a)) != 0)
		return rc;
	if ((rc = cli_tenant_resolve(a.tenant, a.set, a.edits, a.nedits,
	    NULL)) != 0)
		return rc;
	if ((rc = cli_util_open(opts, a.json, &db)) != CLI_EXIT_OK)
		return rc;
	cli_tenant_check_pools(&db, a.set);
	switch (cli_util_tenant_exists(&db, a.tenant)) {
	case 0:
		break;
	case 1:
		cli_error("tenant %s exists already", a.tenant);
		rc = CLI_EXIT_EXISTS;
		goto out;
	default:
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	/* 1. Listed: global suppressions added from now on reach it. */
	list = cli_util_key(&db, "tenants");
	if ((reply = cli_util_cmd(&db, "SADD", list, a.tenant,
	    NULL)) == NULL) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	freeReplyObject(reply);
	/* 2. The global suppressions so far. */
	if (cli_suppress_copy_global(&db, a.tenant, &copied) < 0) {
		cli_error("tenant %s: not created (the global suppressions "
		    "could not be copied); run tenant add again", a.tenant);
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	/* 3. The record: the tenant exists. */
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	rec = cli_util_key(&db, "{%s}:tenant", a.tenant);
	kv[kc++] = rec;
	cli_util_fields_set(&a.fields, "created", now);
	cli_util_fields_set(&a.fields, "updated", now);
	for (i = 0; i < a.fields.nset; i++)
		if (strcmp(a.fields.set_name[i], "status") == 0)
			break;
	if (i == a.fields.nset)
		cli_util_fields_set(&a.fields, "status", "active");
	for (i = 0; i < a.fields.nset; i++) {
		kv[kc++] = a.fields.set_name[i];
		kv[kc++] = a.fields.set_value[i];
	}
	for (i = 0; i < CLI_TENANT_NSETTINGS; i++) {
		if (a.set[i].v[0] == '\0')
			continue;
		kv[kc++] = cli_tenant_settings[i].field;
		kv[kc++] = a.set[i].v;
	}
	if ((reply = cli_util_eval(&db, &cli_tenant_create_script, 1, kc, kv,
	    NULL)) == NULL) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (cli_util_reply_int(reply) != 1) {
		cli_error("tenant %s exists already", a.tenant);
		rc = CLI_EXIT_EXISTS;
	} else if (db.json) {
		rc = cli_tenant_print(&db, a.tenant);
	} else {
		printf("tenant %s added (%zu global suppression%s copied)\n",
		    a.tenant, copied, copied == 1 ? "" : "s");
		rc = CLI_EXIT_OK;
	}
	freeReplyObject(reply);
out:
	free(rec);
	free(list);
	cli_util_close(&db);
	return rc;
}

static int
cli_tenant_show(const struct cli_opts *opts, int argc, char **argv)
{
	struct cli_tenant_args a;
	struct cli_db db;
	int rc;

	if ((rc = cli_tenant_args(argc, argv, "show TENANT", false, true,
	    &a)) != 0)
		return rc;
	if ((rc = cli_util_open(opts, a.json, &db)) != CLI_EXIT_OK)
		return rc;
	rc = cli_tenant_print(&db, a.tenant);
	cli_util_close(&db);
	return rc;
}

static int
cli_tenant_list(const struct cli_opts *opts, int argc, char **argv)
{
	struct cli_tenant_args a;
	struct cli_table t;
	struct cli_json j;
	struct cli_db db;
	redisReply *hash, *keys;
	char **tenants, *rec, *set, limits[256], num[24];
	size_t n = 0, i;
	int rc;

	if ((rc = cli_tenant_args(argc, argv, "list", false, false, &a)) != 0)
		return rc;
	if ((rc = cli_util_open(opts, a.json, &db)) != CLI_EXIT_OK)
		return rc;
	if ((tenants = cli_util_tenants(&db, &n)) == NULL) {
		cli_util_close(&db);
		return CLI_EXIT_FAIL;
	}
	cli_out_table_init(&t, 5);
	cli_out_table_row(&t, "TENANT", "STATUS", "KEYS", "LIMITS",
	    "DESCRIPTION");
	cli_out_json_init(&j, stdout);
	if (db.json)
		cli_out_json_open(&j, '[');
	for (i = 0; i < n; i++) {
		rec = cli_util_key(&db, "{%s}:tenant", tenants[i]);
		set = cli_util_key(&db, "{%s}:keys", tenants[i]);
		hash = cli_util_cmd(&db, "HGETALL", rec, NULL);
		keys = hash != NULL ? cli_util_cmd(&db, "SCARD", set, NULL) :
		    NULL;
		free(rec);
		free(set);
		if (keys == NULL) {
			if (hash != NULL)
				freeReplyObject(hash);
			rc = CLI_EXIT_FAIL;
			break;
		}
		if (db.json) {
			cli_out_json_open(&j, '{');
			cli_out_json_key(&j, "tenant");
			cli_out_json_cstr(&j, tenants[i]);
			cli_out_record_json(hash, &j);
			cli_out_json_key(&j, "keys");
			cli_out_json_int(&j, cli_util_reply_int(keys));
			cli_out_json_close(&j, '}');
		} else {
			snprintf(num, sizeof(num), "%lld",
			    cli_util_reply_int(keys));
			cli_out_table_row(&t, tenants[i],
			    hash->elements == 0 ? "(no record)" :
			    cli_util_hash_get(hash, "status"), num,
			    cli_out_limits_brief(hash, limits,
			    sizeof(limits)),
			    cli_util_hash_get(hash, "description"));
		}
		freeReplyObject(hash);
		freeReplyObject(keys);
	}
	if (db.json) {
		cli_out_json_close(&j, ']');
		putchar('\n');
	} else if (rc == CLI_EXIT_OK) {
		cli_out_table_print(&t, stdout);
	}
	cli_out_table_free(&t);
	cli_util_free_strv(tenants, n);
	cli_util_close(&db);
	return rc;
}

/* Apply a->fields to an existing tenant; what says what happened. */
static int
cli_tenant_change(const struct cli_opts *opts, struct cli_tenant_args *a,
    const char *what)
{
	struct cli_db db;
	char *rec;
	int rc;

	if ((rc = cli_util_open(opts, a->json, &db)) != CLI_EXIT_OK)
		return rc;
	rec = cli_util_key(&db, "{%s}:tenant", a->tenant);
	switch (cli_util_update(&db, rec, &a->fields)) {
	case 1:
		if (db.json)
			rc = cli_tenant_print(&db, a->tenant);
		else
			printf("tenant %s %s\n", a->tenant, what);
		break;
	case 0:
		cli_error("unknown tenant: %s", a->tenant);
		rc = CLI_EXIT_NOTFOUND;
		break;
	default:
		rc = CLI_EXIT_FAIL;
		break;
	}
	free(rec);
	cli_util_close(&db);
	return rc;
}

/* The fields a settings change is computed from, compared when written. */
static const char *const cli_tenant_checked[] = {
	"stream_pools", "geo_pools", "streams", "default_stream",
};
#define CLI_TENANT_NCHECKED \
	(sizeof(cli_tenant_checked) / sizeof(cli_tenant_checked[0]))

/*
 * Write a's limits and settings into the record read as hash, if the
 * fields the settings were computed from are still as read: 1 written,
 * 0 no record, 2 changed meanwhile, -1 after printing why.
 */
static int
cli_tenant_write(struct cli_db *db, const char *rec,
    const struct cli_tenant_args *a, const redisReply *hash)
{
	const char *argv[3 + 2 * CLI_TENANT_NCHECKED +
	    2 * (CLI_FIELDS_MAX + CLI_TENANT_NSETTINGS + 1) + CLI_FIELDS_MAX +
	    CLI_TENANT_NSETTINGS];
	char nchecked[16], nset[16], now[24];
	const struct cli_tenant_value *set = a->set;
	redisReply *reply;
	const char *v;
	int argc = 0, n = 0, i;
	long long r;

	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	snprintf(nchecked, sizeof(nchecked), "%zu", CLI_TENANT_NCHECKED);
	argv[argc++] = rec;
	argv[argc++] = nchecked;
	for (i = 0; i < (int)CLI_TENANT_NCHECKED; i++) {
		v = cli_util_hash_get(hash, cli_tenant_checked[i]);
		argv[argc++] = cli_tenant_checked[i];
		argv[argc++] = v != NULL ? v : "";
	}
	argv[argc++] = nset;
	for (i = 0; i < a->fields.nset; i++, n++) {
		argv[argc++] = a->fields.set_name[i];
		argv[argc++] = a->fields.set_value[i];
	}
	for (i = 0; i < CLI_TENANT_NSETTINGS; i++) {
		if (!set[i].given || set[i].v[0] == '\0')
			continue;
		argv[argc++] = cli_tenant_settings[i].field;
		argv[argc++] = set[i].v;
		n++;
	}
	argv[argc++] = "updated";
	argv[argc++] = now;
	snprintf(nset, sizeof(nset), "%d", n + 1);
	for (i = 0; i < a->fields.ndel; i++)
		argv[argc++] = a->fields.del_name[i];
	for (i = 0; i < CLI_TENANT_NSETTINGS; i++)
		if (set[i].given && set[i].v[0] == '\0')
			argv[argc++] = cli_tenant_settings[i].field;
	if ((reply = cli_util_eval(db, &cli_tenant_update_script, 1, argc,
	    argv, NULL)) == NULL)
		return -1;
	r = cli_util_reply_int(reply);
	freeReplyObject(reply);
	return r == 1 || r == 2 ? (int)r : 0;
}

/*
 * tenant set with settings: read the record, merge, write unless the
 * fields read changed meanwhile, else all again.  An exit code.
 */
static int
cli_tenant_update(struct cli_db *db, struct cli_tenant_args *a)
{
	redisReply *hash;
	char *rec;
	int tries, rc = CLI_EXIT_FAIL;

	rec = cli_util_key(db, "{%s}:tenant", a->tenant);
	for (tries = 0; tries < CLI_TENANT_TRIES; tries++) {
		rc = CLI_EXIT_FAIL;
		if ((hash = cli_util_cmd(db, "HGETALL", rec, NULL)) == NULL)
			break;
		if (hash->type != REDIS_REPLY_ARRAY || hash->elements == 0)
			rc = CLI_EXIT_NOTFOUND;
		else if ((rc = cli_tenant_resolve(a->tenant, a->set, a->edits,
		    a->nedits, hash)) == 0) {
			if (tries == 0)
				cli_tenant_check_pools(db, a->set);
			switch (cli_tenant_write(db, rec, a, hash)) {
			case 1:
				rc = CLI_EXIT_OK;
				break;
			case 0:
				rc = CLI_EXIT_NOTFOUND;
				break;
			case 2:
				rc = -1;	/* changed meanwhile: again */
				break;
			default:
				rc = CLI_EXIT_FAIL;
				break;
			}
		}
		freeReplyObject(hash);
		if (rc != -1)
			break;
	}
	if (rc == CLI_EXIT_NOTFOUND)
		cli_error("unknown tenant: %s", a->tenant);
	else if (rc == -1) {
		cli_error("tenant %s: the record kept changing while it was "
		    "being updated; nothing written, try again", a->tenant);
		rc = CLI_EXIT_FAIL;
	} else if (rc == CLI_EXIT_OK) {
		if (db->json)
			rc = cli_tenant_print(db, a->tenant);
		else
			printf("tenant %s updated\n", a->tenant);
	}
	free(rec);
	return rc;
}

static int
cli_tenant_set(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] = "set TENANT " CLI_TENANT_LIMITS " "
	    CLI_TENANT_SETTINGS;
	struct cli_tenant_args a;
	struct cli_db db;
	int rc;

	if ((rc = cli_tenant_args(argc, argv, usage, true, true, &a)) != 0)
		return rc;
	if (a.fields.nset == 0 && a.fields.ndel == 0 && !a.settings) {
		cli_error("tenant set: nothing to change");
		return cli_util_usage(CLI_TENANT_GROUP, usage);
	}
	if (!a.settings)
		return cli_tenant_change(opts, &a, "updated");
	if ((rc = cli_util_open(opts, a.json, &db)) != CLI_EXIT_OK)
		return rc;
	rc = cli_tenant_update(&db, &a);
	cli_util_close(&db);
	return rc;
}

/* tenant suspend|disable|enable TENANT: argv[0] says which. */
static int
cli_tenant_status(const struct cli_opts *opts, int argc, char **argv)
{
	char usage[32];
	const char *status, *what;
	struct cli_tenant_args a;
	int rc;

	snprintf(usage, sizeof(usage), "%s TENANT", argv[0]);
	if ((rc = cli_tenant_args(argc, argv, usage, false, true, &a)) != 0)
		return rc;
	cli_util_status_verb(argv[0], &status, &what);
	cli_util_fields_set(&a.fields, "status", status);
	return cli_tenant_change(opts, &a, what);
}

static const struct cli_sub cli_tenant_subs[] = {
	{ "add", cli_tenant_add, "add TENANT [LIMITS] [SETTINGS]" },
	{ "show", cli_tenant_show, "show TENANT" },
	{ "list", cli_tenant_list, "list" },
	{ "set", cli_tenant_set, "set TENANT LIMITS|SETTINGS" },
	{ "suspend", cli_tenant_status, "suspend TENANT" },
	{ "disable", cli_tenant_status, "disable TENANT" },
	{ "enable", cli_tenant_status, "enable TENANT" },
};

int
cli_tenant(const struct cli_opts *opts, int argc, char **argv)
{
	return cli_util_dispatch(CLI_TENANT_GROUP, cli_tenant_subs,
	    sizeof(cli_tenant_subs) / sizeof(cli_tenant_subs[0]), opts, argc,
	    argv);
}
