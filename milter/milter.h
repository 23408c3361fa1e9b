/*
 * milter.h -- what postwarden-milter's files share.
 *
 * milter_main.c starts the daemon and owns signals; milter_cb.c holds the
 * libmilter callbacks.  The callbacks count the messages in flight so
 * that a shutdown can wait for them.
 */
#ifndef PW_MILTER_H
#define PW_MILTER_H

#include <libmilter/mfapi.h>

#define MILTER_NAME	"postwarden-milter"

extern struct smfiDesc milter_desc;

/* Messages between MAIL FROM and end-of-message or abort, all threads. */
int	milter_messages_in_flight(void);

#endif
