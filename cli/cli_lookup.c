/*
 * cli_lookup.c -- the postwarden commands' look-ups in the directory of
 * tenants and keys: which tenant a key id belongs to, whether a tenant
 * exists, every tenant's name.
 *
 * Exports: cli_lookup_* (cli.h).
 *
 * Failures: Redis trouble is printed by cli_util.c; a directory entry
 * holding no valid tenant is printed here.
 *
 * Security: names read from Redis are checked (lib/identity.c) before a
 * key name is made of them; a tenant set member that could not be a
 * tenant is skipped.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "identity.h"
#include "schema.h"
#include "xmalloc.h"

int
cli_lookup_dir_tenant(struct cli_db *db, enum pw_schema_name dirname,
    const char *what, const char *name, char *tenant_r, size_t size)
{
	redisReply *reply;
	char *dir;
	int rc;

	dir = pw_schema_key_new(db->prefix, dirname, NULL, name, NULL);
	reply = cli_util_cmd(db, "HGET", dir, "tenant", NULL);
	free(dir);
	if (reply == NULL)
		return -1;
	if (reply->type == REDIS_REPLY_NIL) {
		rc = 1;
	} else if (reply->type == REDIS_REPLY_STRING &&
	    pw_identity_valid_tenant(reply->str, reply->len) &&
	    reply->len < size) {
		memcpy(tenant_r, reply->str, reply->len + 1);
		rc = 0;
	} else {
		cli_error("%s %s: its directory entry holds no valid tenant",
		    what, name);
		rc = -1;
	}
	freeReplyObject(reply);
	return rc;
}

int
cli_lookup_key_tenant(struct cli_db *db, const char *keyid, char *tenant_r,
    size_t size)
{
	return cli_lookup_dir_tenant(db, PW_SCHEMA_KEY_DIR, "key", keyid,
	    tenant_r, size);
}

int
cli_lookup_tenant_exists(struct cli_db *db, const char *tenant)
{
	redisReply *reply;
	char *rec;
	int rc;

	rec = pw_schema_key_new(db->prefix, PW_SCHEMA_TENANT, tenant, NULL,
	    NULL);
	reply = cli_util_cmd(db, "EXISTS", rec, NULL);
	free(rec);
	if (reply == NULL)
		return -1;
	rc = reply->type == REDIS_REPLY_INTEGER && reply->integer > 0;
	freeReplyObject(reply);
	return rc;
}

int
cli_lookup_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
cli_lookup_tenants(struct cli_db *db, size_t *n_r)
{
	redisReply *reply;
	char *set, **v;
	size_t i, n = 0;

	set = pw_schema_key_new(db->prefix, PW_SCHEMA_TENANTS, NULL, NULL,
	    NULL);
	reply = cli_util_cmd(db, "SMEMBERS", set, NULL);
	free(set);
	if (reply == NULL)
		return NULL;
	v = pw_xcalloc(reply->type == REDIS_REPLY_ARRAY ?
	    reply->elements + 1 : 1, sizeof(*v));
	for (i = 0; reply->type == REDIS_REPLY_ARRAY &&
	    i < reply->elements; i++) {
		const redisReply *e = reply->element[i];

		/* Skip what could not be a tenant: it would make bad keys. */
		if (e->type == REDIS_REPLY_STRING &&
		    pw_identity_valid_tenant(e->str, e->len))
			v[n++] = pw_xstrdup(e->str);
	}
	freeReplyObject(reply);
	qsort(v, n, sizeof(*v), cli_lookup_strcmp);
	*n_r = n;
	return v;
}

void
cli_lookup_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
