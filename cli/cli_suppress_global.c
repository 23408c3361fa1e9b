/*
 * cli_suppress_global.c -- the global suppression list's copies: the
 * master pw:supp:global is copied into every tenant's hash
 * pw:{T}:supp with source "global", because postwarden-policyd reads the
 * tenant's hash only.  Adding global entries copies them into every
 * tenant, removing them removes the copies, and a new tenant gets a copy
 * of the whole list.  A tenant's own entry for the same address (another
 * source) is left alone both ways (lua/suppress_copy.lua,
 * lua/suppress_uncopy.lua).
 *
 * Exports: cli_suppress_global_add, cli_suppress_global_remove
 * (cli_suppress.h), cli_suppress_global_tenant (cli.h, for tenant add).
 *
 * Failures: -1 after printing why; a run stopped part way says at which
 * tenant, and running the command again finishes it (both ways are
 * idempotent).
 *
 * Speed: one script per tenant and batch of CLI_SUPPRESS_BATCH entries.
 */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include "cli.h"
#include "cli_suppress.h"
#include "lua.h"
#include "schema.h"
#include "xmalloc.h"

/*
 * A global entry's copy into a tenant: KEYS[1] pw:{T}:supp, ARGV field,
 * value pairs.  Writes a pair unless the tenant has its own entry for
 * that address (source other than "global").  Returns how many it wrote.
 */
static struct pw_redis_script cli_suppress_global_copy_script = {
	"cli_suppress_copy", pw_lua_suppress_copy, ""
};

/*
 * Removing a global entry from a tenant: KEYS[1] pw:{T}:supp, ARGV
 * fields; deletes those whose source is "global".  Returns how many.
 */
static struct pw_redis_script cli_suppress_global_uncopy_script = {
	"cli_suppress_uncopy", pw_lua_suppress_uncopy, ""
};

int
cli_suppress_global_add(struct cli_db *db, const struct cli_suppress_list *l)
{
	char **tenants, *hash;
	size_t n, i;
	int rc = 0;

	if ((tenants = cli_lookup_tenants(db, &n)) == NULL)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		hash = pw_schema_key_new(db->prefix, PW_SCHEMA_SUPP,
		    tenants[i], NULL, NULL);
		rc = cli_suppress_entry_write(db, hash, l,
		    &cli_suppress_global_copy_script, "global");
		if (rc < 0)
			cli_error("the global list is written but not all "
			    "tenant copies (stopped at tenant %s); run the "
			    "command again", tenants[i]);
		free(hash);
	}
	cli_lookup_free(tenants, n);
	return rc;
}

int
cli_suppress_global_remove(struct cli_db *db, const struct cli_suppress_list *l)
{
	const char **argv;
	char **tenants, *hash;
	redisReply *reply;
	size_t ntenants, k, i, j, n;
	int rc = 0;

	if ((tenants = cli_lookup_tenants(db, &ntenants)) == NULL)
		return -1;
	argv = pw_xcalloc(1 + CLI_SUPPRESS_BATCH, sizeof(*argv));
	for (k = 0; k < ntenants && rc == 0; k++) {
		hash = pw_schema_key_new(db->prefix, PW_SCHEMA_SUPP,
		    tenants[k], NULL, NULL);
		argv[0] = hash;
		for (i = 0; i < l->n && rc == 0; i += n) {
			n = l->n - i < CLI_SUPPRESS_BATCH ? l->n - i :
			    CLI_SUPPRESS_BATCH;
			for (j = 0; j < n; j++)
				argv[1 + j] = l->v[i + j].address;
			reply = cli_util_eval(db,
			    &cli_suppress_global_uncopy_script, 1, (int)n + 1,
			    argv, NULL);
			if (reply == NULL) {
				cli_error("the global list is changed but not "
				    "all tenant copies (stopped at tenant "
				    "%s); run the command again", tenants[k]);
				rc = -1;
			} else {
				freeReplyObject(reply);
			}
		}
		free(hash);
	}
	free(argv);
	cli_lookup_free(tenants, ntenants);
	return rc;
}

int
cli_suppress_global_tenant(struct cli_db *db, const char *tenant, size_t *n_r)
{
	struct cli_suppress_list l = { NULL, 0, 0 };
	char *master, *hash;
	int rc = -1;

	master = pw_schema_key_new(db->prefix, PW_SCHEMA_SUPP_GLOBAL, NULL,
	    NULL, NULL);
	hash = pw_schema_key_new(db->prefix, PW_SCHEMA_SUPP, tenant, NULL,
	    NULL);
	if (cli_suppress_entry_read(db, master, (int64_t)time(NULL), &l) == 0 &&
	    cli_suppress_entry_write(db, hash, &l,
	    &cli_suppress_global_copy_script, "global") == 0) {
		*n_r = l.n;
		rc = 0;
	}
	cli_suppress_entry_free(&l);
	free(master);
	free(hash);
	return rc;
}
