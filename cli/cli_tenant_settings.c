/*
 * cli_tenant_settings.c -- the milter's settings of a tenant record as
 * `postwarden tenant add` and `tenant set` take them: --pool,
 * --stream-pool, --geo-pool, --streams, --default-stream, --bulk-streams,
 * --unsubscribe-scope,
 * --unsubscribe-url, --unsubscribe-mailto, --bounce-domain,
 * --bounce-local and --dkim-domain.
 *
 * The values are checked here by the code that milter/milter_tenant.c
 * checks them with when it reads them (lib/tenant_fields.h), so that what
 * the command writes is never ignored there.  --stream-pool and
 * --geo-pool edit one entry of a map each; `tenant set` reads the record,
 * merges, and writes only if the fields it read are unchanged (a script
 * that compares them), else reads again.
 *
 * Exports: cli_tenant_settings_* (cli_tenant.h).
 *
 * --dkim-domain and --bounce-domain (the VERP bounce domain: a
 * tenant's bounces must not come back through another tenant's domain)
 * must name a sending domain of the tenant (postwarden domain): the
 * domain itself, or under a parent it owns with its subdomains; else
 * exit 1, saying how to add it.  '' (remove the setting) always may.
 *
 * Failures: a bad value exit 64 after printing what is expected; a map
 * in Redis that cannot be merged, a record that kept changing, or Redis
 * trouble exit 2.  Pools not in this host's milter_pools only warn.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_domain.h"
#include "cli_tenant.h"
#include "dkim_keys.h"
#include "lua.h"

#define CLI_TENANT_TRIES		5

/*
 * KEYS[1] the record; ARGV[1] n, then n field/value pairs that must be as
 * they were read ("" = absent), then m, then m field/value pairs to set,
 * then fields to delete.  0 when the record does not exist, 2 when a
 * field changed since it was read (nothing written), else 1.
 */
static struct pw_redis_script cli_tenant_update_script = {
	"cli_tenant_update", pw_lua_tenant_update, ""
};

enum cli_tenant_kind {
	CLI_TENANT_NAME,	/* a pool or stream name */
	CLI_TENANT_MAP,		/* STREAM=POOL or CC=POOL entries */
	CLI_TENANT_LIST,	/* stream names */
	CLI_TENANT_URL,		/* the unsubscribe URL prefix */
	CLI_TENANT_MAILTO,	/* an address */
	CLI_TENANT_HOST,	/* a domain name, lower-cased */
	CLI_TENANT_LOCAL,	/* the VERP local part, lower-cased */
	CLI_TENANT_DKIM,	/* a DKIM signing domain */
	CLI_TENANT_SCOPE,	/* unsubscribe_scope: stream or bulk */
};

/* The settings options, indexed by enum cli_tenant_index. */
static const struct {
	int			 ch;
	const char		*option;
	const char		*field;
	enum cli_tenant_kind	 kind;
	const char		*expected;
} cli_tenant_options[CLI_TENANT_NSETTINGS] = {
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
	[CLI_TENANT_UNSUBSCRIBE_SCOPE] = { CLI_OPT_UNSUBSCRIBE_SCOPE,
	    "unsubscribe-scope", "unsubscribe_scope", CLI_TENANT_SCOPE,
	    "stream (one-click unsubscribes suppress for the stream of the "
	    "message) or bulk (for every bulk stream), or ''" },
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
	case CLI_TENANT_SCOPE:
		ok = pw_tenant_unsub_scope_ok(out, len);
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
	const char *option = cli_tenant_options[i].option, *why;
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
		    "--%s ...", tenant, cli_tenant_options[i].field, why,
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

int
cli_tenant_settings_opt(int ch, const char *arg,
    struct cli_tenant_settings *s)
{
	struct cli_tenant_value *set = s->set;
	struct cli_tenant_edit *edits = s->edits;
	size_t *nedits = &s->nedits;
	struct pw_tenant_pool e;
	char safe[80];
	size_t i;
	int rc = 0;

	for (i = 0; i < CLI_TENANT_NSETTINGS; i++)
		if (cli_tenant_options[i].ch == ch)
			break;
	if (i == CLI_TENANT_NSETTINGS)
		return 1;
	s->given = true;
	if (cli_tenant_options[i].kind == CLI_TENANT_MAP) {
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
	} else if ((rc = cli_tenant_check(cli_tenant_options[i].kind, arg,
	    set[i].v, sizeof(set[i].v))) == 0)
		set[i].given = true;
	if (rc < 0) {
		cli_error("--%s: expected %s; got '%s'",
		    cli_tenant_options[i].option,
		    cli_tenant_options[i].expected,
		    cli_out_safe(safe, sizeof(safe), arg, strlen(arg)));
		return -1;
	}
	return 0;
}

int
cli_tenant_settings_resolve(const char *tenant,
    struct cli_tenant_settings *settings, const redisReply *hash)
{
	struct cli_tenant_value *set = settings->set;
	char streams[CLI_TENANT_VALUE_MAX], safe[80];
	const struct cli_tenant_value *s = &set[CLI_TENANT_STREAMS];
	const struct cli_tenant_value *d = &set[CLI_TENANT_DEFAULT_STREAM];
	const char *cur, *def, *why;
	int rc;

	cur = hash != NULL ? cli_util_hash_get(hash, "stream_pools") : NULL;
	if ((rc = cli_tenant_merge(tenant, settings->edits, settings->nedits,
	    CLI_TENANT_STREAM_POOLS, cur, &set[CLI_TENANT_STREAM_POOLS])) != 0)
		return rc;
	cur = hash != NULL ? cli_util_hash_get(hash, "geo_pools") : NULL;
	if ((rc = cli_tenant_merge(tenant, settings->edits, settings->nedits,
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

void
cli_tenant_settings_check_pools(const struct cli_db *db,
    const struct cli_tenant_settings *s)
{
	cli_tenant_warn_pools(db, false, s->set[CLI_TENANT_POOL].v);
	cli_tenant_warn_pools(db, true, s->set[CLI_TENANT_STREAM_POOLS].v);
	cli_tenant_warn_pools(db, true, s->set[CLI_TENANT_GEO_POOLS].v);
}

int
cli_tenant_settings_kv(const struct cli_tenant_settings *s, const char **kv,
    int kc)
{
	int i;

	for (i = 0; i < CLI_TENANT_NSETTINGS; i++) {
		if (s->set[i].v[0] == '\0')
			continue;
		kv[kc++] = cli_tenant_options[i].field;
		kv[kc++] = s->set[i].v;
	}
	return kc;
}


/* The fields a settings change is computed from, compared when written. */
static const char *const cli_tenant_checked[] = {
	"stream_pools", "geo_pools", "streams", "default_stream",
};
#define CLI_TENANT_NCHECKED \
	(sizeof(cli_tenant_checked) / sizeof(cli_tenant_checked[0]))

/*
 * Write the limits f and the settings s into the record rec read as
 * hash, if the fields the settings were computed from are still as read:
 * 1 written, 0 no record, 2 changed meanwhile, -1 after printing why.
 */
static int
cli_tenant_write(struct cli_db *db, const char *rec, const char *gen,
    const struct cli_fields *f, const struct cli_tenant_settings *s,
    const redisReply *hash)
{
	const char *argv[4 + 2 * CLI_TENANT_NCHECKED +
	    2 * (CLI_FIELDS_MAX + CLI_TENANT_NSETTINGS + 1) + CLI_FIELDS_MAX +
	    CLI_TENANT_NSETTINGS];
	char nchecked[16], nset[16], now[24];
	const struct cli_tenant_value *set = s->set;
	redisReply *reply;
	const char *v;
	int argc = 0, n = 0, i;
	long long r;

	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	snprintf(nchecked, sizeof(nchecked), "%zu", CLI_TENANT_NCHECKED);
	argv[argc++] = rec;
	argv[argc++] = gen;
	argv[argc++] = nchecked;
	for (i = 0; i < (int)CLI_TENANT_NCHECKED; i++) {
		v = cli_util_hash_get(hash, cli_tenant_checked[i]);
		argv[argc++] = cli_tenant_checked[i];
		argv[argc++] = v != NULL ? v : "";
	}
	argv[argc++] = nset;
	for (i = 0; i < f->nset; i++, n++) {
		argv[argc++] = f->set_name[i];
		argv[argc++] = f->set_value[i];
	}
	for (i = 0; i < CLI_TENANT_NSETTINGS; i++) {
		if (!set[i].given || set[i].v[0] == '\0')
			continue;
		argv[argc++] = cli_tenant_options[i].field;
		argv[argc++] = set[i].v;
		n++;
	}
	argv[argc++] = "updated";
	argv[argc++] = now;
	snprintf(nset, sizeof(nset), "%d", n + 1);
	for (i = 0; i < f->ndel; i++)
		argv[argc++] = f->del_name[i];
	for (i = 0; i < CLI_TENANT_NSETTINGS; i++)
		if (set[i].given && set[i].v[0] == '\0')
			argv[argc++] = cli_tenant_options[i].field;
	if ((reply = cli_util_eval(db, &cli_tenant_update_script, 2, argc,
	    argv, NULL)) == NULL)
		return -1;
	r = cli_util_reply_int(reply);
	freeReplyObject(reply);
	return r == 1 || r == 2 ? (int)r : 0;
}

/*
 * One setting that must name a sending domain of tenant (--dkim-domain,
 * --bounce-domain): 0 (stored in normal form), or an exit code after
 * printing why.
 */
static int
cli_tenant_check_domain(struct cli_db *db, const char *tenant,
    enum cli_tenant_index i, struct cli_tenant_value *v)
{
	const char *option = cli_tenant_options[i].option;
	char domain[CLI_DOMAIN_SIZE];

	if (!v->given || v->v[0] == '\0')
		return 0;
	if (cli_domain_parse(v->v, domain) < 0)
		return CLI_EXIT_USAGE;
	switch (cli_domain_owner_covers(db, tenant, domain)) {
	case 1:
		/* Stored as the domain is: lower case. */
		snprintf(v->v, sizeof(v->v), "%s", domain);
		return 0;
	case 0:
		cli_error("--%s %s: not a sending domain of tenant %s "
		    "(tenant %s must own it, or a parent with its "
		    "subdomains: postwarden domain add %s %s)", option,
		    domain, tenant, tenant, tenant, domain);
		return CLI_EXIT_NOTFOUND;
	default:
		return CLI_EXIT_FAIL;
	}
}

int
cli_tenant_settings_check_domains(struct cli_db *db, const char *tenant,
    struct cli_tenant_settings *s)
{
	static const enum cli_tenant_index owned[] = {
		CLI_TENANT_DKIM_DOMAIN, CLI_TENANT_BOUNCE_DOMAIN,
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if ((rc = cli_tenant_check_domain(db, tenant, owned[i],
		    &s->set[owned[i]])) != 0)
			return rc;
	return 0;
}

int
cli_tenant_settings_update(struct cli_db *db, const char *rec,
    const char *tenant, const struct cli_fields *f,
    struct cli_tenant_settings *s)
{
	redisReply *hash;
	int tries, rc = CLI_EXIT_FAIL;
	char *gen;

	gen = pw_schema_key_new(db->prefix, PW_SCHEMA_GEN, tenant, NULL, NULL);
	for (tries = 0; tries < CLI_TENANT_TRIES; tries++) {
		rc = CLI_EXIT_FAIL;
		if ((hash = cli_util_cmd(db, "HGETALL", rec, NULL)) == NULL)
			break;
		if (hash->type != REDIS_REPLY_ARRAY || hash->elements == 0)
			rc = CLI_EXIT_NOTFOUND;
		else if ((rc = cli_tenant_settings_resolve(tenant, s,
		    hash)) == 0) {
			if (tries == 0)
				cli_tenant_settings_check_pools(db, s);
			switch (cli_tenant_write(db, rec, gen, f, s, hash)) {
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
	if (rc == -1) {
		cli_error("tenant %s: the record kept changing while it was "
		    "being updated; nothing written, try again", tenant);
		rc = CLI_EXIT_FAIL;
	}
	free(gen);
	return rc;
}
