/*
 * runtime.h -- one immutable snapshot of everything read from disk:
 * postwarden.conf, the identity tables, and whatever a daemon adds
 * (DKIM keys, ...) through its loader.
 *
 * Start-up, `-n` and SIGHUP all go through pw_runtime_load(), so a
 * configuration that passes `-n` is exactly one that would start.  SIGHUP
 * builds a new snapshot and publishes it only if it loaded completely; a
 * broken one is logged and the old one stays.  Work in flight keeps a
 * reference to the snapshot it started with (pw_runtime_current /
 * pw_runtime_release), so nothing changes under it.  All functions here
 * are thread-safe.
 */
#ifndef PW_RUNTIME_H
#define PW_RUNTIME_H

#include <stddef.h>

#include "conf.h"
#include "identity.h"

#define PW_RUNTIME_ERR_MAX	1024

struct pw_runtime {
	int				 refs;
	struct pw_conf			*conf;
	struct pw_identity_tables	*identity;
	void				*extra;		/* the daemon's own */
	void				(*extra_free)(void *);
};

/*
 * The daemon-specific part of loading: fill rt->extra/extra_free from
 * rt->conf, or return -1 with a message in err.  May be NULL.
 */
typedef int pw_runtime_loader(struct pw_runtime *rt, char *err,
    size_t errsize);

int	pw_runtime_load(const char *path, pw_runtime_loader *loader,
	    struct pw_runtime **rt_r, char *err, size_t errsize);

struct pw_runtime *pw_runtime_current(void);
void	pw_runtime_release(struct pw_runtime **rt);
/* Publish rt, taking over the caller's reference. */
void	pw_runtime_publish(struct pw_runtime *rt);

#endif
