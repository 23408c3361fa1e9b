/*
 * milter.h -- what postwarden-milter's files share.
 *
 * milter_main.c starts the daemon and owns signals; milter_cb.c holds the
 * libmilter callbacks; milter_runtime.c loads what a configuration
 * snapshot holds for them (milter_identity.c: who sends; milter_dkim.c:
 * DKIM signing).  The callbacks count the messages in flight so
 * that a shutdown can wait for them.
 */
#ifndef PW_MILTER_H
#define PW_MILTER_H

#include <libmilter/mfapi.h>

#define MILTER_NAME	"postwarden-milter"

extern struct smfiDesc milter_desc;

/* Messages between MAIL FROM and end-of-message or abort, all threads. */
int	milter_messages_in_flight(void);

struct pw_runtime;

/* What a runtime snapshot holds for the milter (rt->extra). */
struct milter_runtime {
	struct milter_state	*identity;	/* milter_identity.c */
	struct milter_dkim_conf	*dkim;		/* milter_dkim.c */
};

/* pw_runtime_loader of the milter: identity, then DKIM (milter_runtime.c). */
int	milter_runtime_load(struct pw_runtime *rt, char *err,
	    size_t errsize);

#endif
