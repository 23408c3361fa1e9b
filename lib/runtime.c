/*
 * runtime.c -- loading and publishing configuration snapshots (see
 * runtime.h).
 *
 * The published pointer is guarded by a mutex held only long enough to
 * take a reference; the reference count itself is atomic.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>

#include "runtime.h"
#include "xmalloc.h"

static pthread_mutex_t pw_runtime_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pw_runtime *pw_runtime_published;

int
pw_runtime_load(const char *path, pw_runtime_loader *loader,
    struct pw_runtime **rt_r, char *err, size_t errsize)
{
	struct pw_runtime *rt = pw_xcalloc(1, sizeof(*rt));

	rt->refs = 1;
	if (pw_conf_load(path, &rt->conf, err, errsize) < 0 ||
	    pw_identity_tables_load(rt->conf->identity_network_table,
	    rt->conf->identity_sender_table, &rt->identity, err, errsize) < 0 ||
	    (loader != NULL && loader(rt, err, errsize) < 0)) {
		pw_runtime_release(&rt);
		return -1;
	}
	*rt_r = rt;
	return 0;
}

void
pw_runtime_release(struct pw_runtime **rtp)
{
	struct pw_runtime *rt = *rtp;

	if (rt == NULL)
		return;
	*rtp = NULL;
	if (__atomic_sub_fetch(&rt->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	if (rt->extra_free != NULL)
		rt->extra_free(rt->extra);
	pw_identity_tables_free(&rt->identity);
	pw_conf_release(&rt->conf);
	free(rt);
}

struct pw_runtime *
pw_runtime_current(void)
{
	struct pw_runtime *rt;

	pthread_mutex_lock(&pw_runtime_lock);
	rt = pw_runtime_published;
	if (rt != NULL)
		__atomic_add_fetch(&rt->refs, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&pw_runtime_lock);
	return rt;
}

void
pw_runtime_publish(struct pw_runtime *rt)
{
	struct pw_runtime *old;

	pthread_mutex_lock(&pw_runtime_lock);
	old = pw_runtime_published;
	pw_runtime_published = rt;
	pthread_mutex_unlock(&pw_runtime_lock);
	pw_runtime_release(&old);
}
