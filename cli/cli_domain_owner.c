/*
 * cli_domain_owner.c -- who owns a sending domain, for `postwarden
 * domain` and the commands that ask (tenant show, delete, set
 * --dkim-domain): a domain's owner, the scope a tenant holds it with,
 * whether a tenant may use a domain, whether another tenant's claim
 * stands in the way of one, and taking domains away.
 *
 * Exports: cli_domain_owner_* (cli_domain.h).
 *
 * Redis (docs/redis-schema.md "Sending domains"): reads the directory
 * entries pw:domain:<d> (outside the tenant slots, one GET-like HGET per
 * name, and for a --subdomains claim a SCAN MATCH of the names below
 * it, which reads the whole key space: fine for an admin command, never
 * done by the daemons) and the tenants' pw:{T}:domains.  Removing a
 * domain is three steps: its DKIM keys (cli_domain_dkim_remove), then
 * lua/domain_del.lua in the tenant's slot (the daemons stop accepting
 * it), then the directory entry, only while it names that tenant
 * (lua/key_dir_del.lua).
 *
 * Failures: every function prints why before it returns -1 (Redis
 * trouble, a directory entry that holds no valid tenant).
 *
 * Security: domains reach key names only in normal form
 * (cli_domain_parse); the configurable prefix's glob characters are
 * escaped in SCAN patterns (cli_util_scan).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_domain.h"
#include "identity.h"
#include "lua.h"
#include "schema.h"
#include "xmalloc.h"

/* The records in the tenant slot; how many existed. */
static struct pw_redis_script cli_domain_owner_del_script = {
	"cli_domain_owner_del", pw_lua_domain_del, ""
};

/* The directory entry, only while it names ARGV[1]: 1 deleted, else 0. */
static struct pw_redis_script cli_domain_owner_dir_del_script = {
	"cli_domain_owner_dir_del", pw_lua_key_dir_del, ""
};

int
cli_domain_owner_get(struct cli_db *db, const char *domain, char *tenant_r,
    size_t size)
{
	return cli_lookup_dir_tenant(db, PW_SCHEMA_DOMAIN_DIR, "domain",
	    domain, tenant_r, size);
}

int
cli_domain_owner_scope(struct cli_db *db, const char *tenant,
    const char *domain, char *scope_r, size_t size)
{
	redisReply *reply;
	char *key;

	key = pw_schema_key_new(db->prefix, PW_SCHEMA_DOMAINS, tenant,
	    NULL, NULL);
	reply = cli_util_cmd(db, "HGET", key, domain, NULL);
	free(key);
	if (reply == NULL)
		return -1;
	scope_r[0] = '\0';
	if (reply->type == REDIS_REPLY_STRING && reply->len < size)
		memcpy(scope_r, reply->str, reply->len + 1);
	freeReplyObject(reply);
	return 0;
}

int
cli_domain_owner_covers(struct cli_db *db, const char *tenant,
    const char *domain)
{
	char scope[16];
	const char *p;

	if (cli_domain_owner_scope(db, tenant, domain, scope,
	    sizeof(scope)) < 0)
		return -1;
	if (scope[0] != '\0')
		return 1;
	for (p = strchr(domain, '.'); p != NULL; p = strchr(p + 1, '.')) {
		if (cli_domain_owner_scope(db, tenant, p + 1, scope,
		    sizeof(scope)) < 0)
			return -1;
		if (strcmp(scope, "subdomains") == 0)
			return 1;
	}
	return 0;
}

/* What cli_domain_owner_below is told. */
struct cli_domain_owner_walk {
	const char	*tenant;
	const char	*domain;
	size_t		 plen;	/* the directory's prefix, up to the name */
};

/*
 * cli_util_scan's callback for a --subdomains claim: the directory entry
 * key of a name below the domain; 1 (said) when another tenant owns it.
 */
static int
cli_domain_owner_below(struct cli_db *db, const char *key, size_t len,
    void *arg)
{
	const struct cli_domain_owner_walk *w = arg;
	char owner[PW_IDENTITY_TENANT_MAX + 1], child[CLI_DOMAIN_SIZE];

	/* The child's name: what follows the prefix. */
	if (len <= w->plen || len - w->plen >= sizeof(child))
		return 0;
	memcpy(child, key + w->plen, len - w->plen + 1);
	switch (cli_domain_owner_get(db, child, owner, sizeof(owner))) {
	case 0:
		if (strcmp(owner, w->tenant) == 0)
			return 0;
		cli_error("tenant %s owns %s, which is under %s: %s cannot "
		    "have %s with its subdomains", owner, child, w->domain,
		    w->tenant, w->domain);
		return 1;
	case 1:
		return 0;
	default:
		return -1;
	}
}

int
cli_domain_owner_conflict(struct cli_db *db, const char *tenant,
    const char *domain, bool sub)
{
	char owner[PW_IDENTITY_TENANT_MAX + 1], scope[16];
	char glob[CLI_DOMAIN_SIZE + 2];
	struct cli_domain_owner_walk below;
	const char *p;
	char *dir;
	int rc;

	switch (cli_domain_owner_get(db, domain, owner, sizeof(owner))) {
	case 0:
		if (strcmp(owner, tenant) == 0)
			break;
		cli_error("domain %s belongs to tenant %s", domain, owner);
		return 1;
	case 1:
		break;
	default:
		return -1;
	}
	/* A parent that another tenant owns with its subdomains. */
	for (p = strchr(domain, '.'); p != NULL; p = strchr(p + 1, '.')) {
		rc = cli_domain_owner_get(db, p + 1, owner, sizeof(owner));
		if (rc < 0)
			return -1;
		if (rc == 1 || strcmp(owner, tenant) == 0)
			continue;
		if (cli_domain_owner_scope(db, owner, p + 1, scope,
		    sizeof(scope)) < 0)
			return -1;
		if (strcmp(scope, "subdomains") == 0) {
			cli_error("domain %s is under %s, which tenant %s "
			    "owns with its subdomains", domain, p + 1, owner);
			return 1;
		}
	}
	if (!sub)
		return 0;
	/* A name below it that another tenant owns. */
	dir = pw_schema_key_new(db->prefix, PW_SCHEMA_DOMAIN_DIR, NULL, "", NULL);
	snprintf(glob, sizeof(glob), "*.%s", domain);
	below.tenant = tenant;
	below.domain = domain;
	below.plen = strlen(dir);
	rc = cli_util_scan(db, dir, glob, cli_domain_owner_below, &below);
	free(dir);
	return rc;
}

int
cli_domain_owner_release(struct cli_db *db, const char *tenant,
    const char *domain)
{
	const char *kv[2];
	redisReply *reply;
	char *dir;

	dir = pw_schema_key_new(db->prefix, PW_SCHEMA_DOMAIN_DIR, NULL,
	    domain, NULL);
	kv[0] = dir;
	kv[1] = tenant;
	reply = cli_util_eval(db, &cli_domain_owner_dir_del_script, 1, 2, kv,
	    NULL);
	free(dir);
	if (reply == NULL)
		return -1;
	freeReplyObject(reply);
	return 0;
}

int
cli_domain_owner_remove(struct cli_db *db, const char *tenant,
    const char *domain)
{
	const char *kv[4];
	redisReply *reply;
	char *dkey, *rkey, *gen;

	/* Its DKIM keys first: added again, it starts without them. */
	if (cli_domain_dkim_remove(db, tenant, domain) < 0)
		return -1;
	dkey = pw_schema_key_new(db->prefix, PW_SCHEMA_DOMAINS, tenant, NULL,
	    NULL);
	rkey = pw_schema_key_new(db->prefix, PW_SCHEMA_DOMAIN, tenant, domain,
	    NULL);
	gen = pw_schema_key_new(db->prefix, PW_SCHEMA_GEN, tenant, NULL, NULL);
	kv[0] = dkey;
	kv[1] = rkey;
	kv[2] = gen;
	kv[3] = domain;
	reply = cli_util_eval(db, &cli_domain_owner_del_script, 3, 4, kv, NULL);
	free(dkey);
	free(rkey);
	free(gen);
	if (reply == NULL)
		return -1;
	freeReplyObject(reply);
	if (cli_domain_owner_release(db, tenant, domain) < 0) {
		cli_error("domain %s: no longer a domain of tenant %s, but "
		    "still claimed for it; run domain remove %s again",
		    domain, tenant, domain);
		return -1;
	}
	return 0;
}

redisReply *
cli_domain_owner_of_tenant(struct cli_db *db, const char *tenant)
{
	redisReply *reply;
	char *key;

	key = pw_schema_key_new(db->prefix, PW_SCHEMA_DOMAINS, tenant, NULL,
	    NULL);
	reply = cli_util_cmd(db, "HGETALL", key, NULL);
	if (reply != NULL && reply->type != REDIS_REPLY_ARRAY) {
		cli_error("HGETALL %s: unexpected reply", key);
		freeReplyObject(reply);
		reply = NULL;
	}
	free(key);
	return reply;
}

int
cli_domain_owner_remove_tenant(struct cli_db *db, const char *tenant,
    size_t *n_r)
{
	redisReply *names;
	size_t i;
	int rc = 0;

	*n_r = 0;
	if ((names = cli_domain_owner_of_tenant(db, tenant)) == NULL)
		return -1;
	for (i = 0; rc == 0 && i + 1 < names->elements; i += 2) {
		const redisReply *d = names->element[i];

		/* Only names that can be one: they make key names. */
		if (d->type != REDIS_REPLY_STRING || d->len == 0 ||
		    d->len >= CLI_DOMAIN_SIZE || memchr(d->str, '\0',
		    d->len) != NULL)
			continue;
		if ((rc = cli_domain_owner_remove(db, tenant, d->str)) == 0)
			(*n_r)++;
	}
	freeReplyObject(names);
	return rc;
}
