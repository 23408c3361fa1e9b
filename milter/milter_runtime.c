/*
 * milter_runtime.c -- the milter's part of a runtime snapshot (see
 * milter.h, lib/runtime.h): the identity state (Redis handles, tenant
 * cache) and the DKIM settings and keys.
 *
 * Start-up, -n and SIGHUP all load through here, so a key that does not
 * load stops a start and fails a reload, which keeps the running
 * snapshot (old keys included) and logs why.  Keys are read as whichever
 * user loads: root at start, the unprivileged user on SIGHUP.
 */
#include "config.h"

#include <stdlib.h>

#include "milter.h"
#include "milter_dkim.h"
#include "milter_identity.h"
#include "runtime.h"
#include "xmalloc.h"

static void
milter_runtime_free(void *arg)
{
	struct milter_runtime *mr = arg;

	milter_dkim_conf_free(&mr->dkim);
	if (mr->identity != NULL)
		milter_identity_free(mr->identity);
	free(mr);
}

int
milter_runtime_load(struct pw_runtime *rt, char *err, size_t errsize)
{
	struct milter_runtime *mr = pw_xcalloc(1, sizeof(*mr));

	if (milter_identity_load(rt, &mr->identity, err, errsize) < 0 ||
	    milter_dkim_load(rt->conf, &mr->dkim, err, errsize) < 0) {
		milter_runtime_free(mr);
		return -1;
	}
	rt->extra = mr;
	rt->extra_free = milter_runtime_free;
	return 0;
}
