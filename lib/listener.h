/*
 * listener.h -- the listening side of one service of postwarden-policyd
 * (the policy service, the SASL service, the HTTP service): the
 * endpoints of its *_listen setting, opened as root at start
 * (pw_daemon_listen: inet:/unix:, mode and group of unix sockets),
 * served later by evconnlisteners on the event loop, and its connections
 * counted in the open file budget the services share (lib/fd_budget.h).
 *
 * At its bound (the service's max_connections setting, or what the open
 * file limit leaves after the other services' connections) a service
 * either
 *   PW_LISTENER_REFUSE  accepts and closes at once (Postfix sees an end
 *                       of file at once instead of waiting in the backlog
 *                       until its own timeout), or
 *   PW_LISTENER_PAUSE   stops accepting: the kernel backlog holds the
 *                       rest until connections close (HTTP clients wait).
 * The first refusal (or pause) of a burst is logged once, and its end
 * once: for REFUSE at the first close after it, for PAUSE at a tick
 * (pw_listener_tick) with no pause since the one before.
 *
 * accept() errors: with PW_LISTENER_SHED (the policy service) EMFILE and
 * ENFILE give up a spare descriptor held for this, accept and close what
 * waits, and take the spare again; any other error pauses that endpoint
 * for PW_LISTENER_RETRY_MS instead of spinning on a readable socket.
 *
 * PW_LISTENER_NODELAY (HTTP) sets TCP_NODELAY on the TCP endpoints, which
 * Linux hands down to every socket accepted from them: an answer written
 * in several pieces (a large /metrics) does not wait on the client's
 * delayed ACK for its last one.
 *
 * Threads: the event loop's only (opening: main, before the loop).
 */
#ifndef PW_LISTENER_H
#define PW_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "daemon.h"
#include "fd_budget.h"

/* How long an endpoint rests after accept() fails. */
#define PW_LISTENER_RETRY_MS	1000

/* Flags of pw_listener_start. */
#define PW_LISTENER_SHED	0x01	/* EMFILE: shed with a spare fd */
#define PW_LISTENER_NODELAY	0x02	/* TCP_NODELAY on TCP endpoints */

enum pw_listener_full {
	PW_LISTENER_REFUSE,	/* at the bound: accept and close */
	PW_LISTENER_PAUSE	/* at the bound: stop accepting */
};

struct pw_listener;		/* a service's endpoints and its count */
struct pw_listener_ep;		/* one endpoint */

/* A connection accepted on ep; fd is the caller's from now on. */
typedef void	pw_listener_accept_fn(struct pw_listener_ep *ep,
		    evutil_socket_t fd, struct sockaddr *sa, int salen,
		    void *arg);

/*
 * Open every endpoint of list (a *_listen value; may be empty) with
 * pw_daemon_listen (socket mode and ids for unix sockets).  Returns the
 * set (owning the descriptors), or NULL with pw_daemon_listen's message
 * in err, having closed and removed what it opened.
 */
struct pw_listener *pw_listener_open(const char *list, int mode,
	    const struct pw_daemon_ids *ids, char *err, size_t errsize);
/*
 * Open the endpoints of list too, after those l has (before
 * pw_listener_start).  0, or -1 with the message in err (l keeps what
 * it had and what it opened; pw_listener_free removes them).
 */
int	pw_listener_add(struct pw_listener *l, const char *list, int mode,
	    const struct pw_daemon_ids *ids, char *err, size_t errsize);
/* How many endpoints l has. */
size_t	pw_listener_count(const struct pw_listener *l);

/*
 * Serve l's endpoints on base, counting its connections in budget
 * (initialised; it must outlive l).  prefix starts every log line ("",
 * "sasl: ", "http: "); full and flags as above.  cb NULL: the caller
 * hands each endpoint's evconnlistener (pw_listener_lev) to a library
 * that sets its own callback and frees it (evhttp_bind_listener); l
 * still pauses, resumes and retries it, and never frees it.  Returns 0,
 * or -1 with a message in err.
 */
int	pw_listener_start(struct pw_listener *l, struct event_base *base,
	    struct pw_fd_budget *budget, const char *prefix,
	    enum pw_listener_full full, int flags, pw_listener_accept_fn *cb,
	    void *arg, char *err, size_t errsize);
/* Endpoint i's evconnlistener (after pw_listener_start), or NULL. */
struct evconnlistener *pw_listener_lev(const struct pw_listener *l,
	    size_t i);
/* The endpoint as configured ("unix:/path", "inet:host:port"). */
const char *pw_listener_endpoint(const struct pw_listener_ep *ep);

/*
 * A connection was accepted on ep (NULL: not known, as under evhttp)
 * under the setting named setting, of
 * value max.  REFUSE: true to serve it (counted), false when it is over
 * the bound (logged; the caller closes it).  PAUSE: it is counted and
 * served (true); when that reaches the bound, every endpoint stops
 * accepting (logged) until pw_listener_gone or pw_listener_recheck finds
 * room.
 */
bool	pw_listener_admit(struct pw_listener *l, struct pw_listener_ep *ep,
	    size_t max, const char *setting);
/* A counted connection closed: count it out; the end of a burst logged. */
void	pw_listener_gone(struct pw_listener *l);
/*
 * PAUSE: with the setting now max, resume when there is room again (the
 * other services may have freed descriptors).  Returns whether l is
 * paused.
 */
bool	pw_listener_recheck(struct pw_listener *l, size_t max);
/*
 * PAUSE, called every second or so while it returns true: recheck, and
 * end a burst (logged once, with the number of pauses) when no pause
 * came since the last tick.  Returns whether l wants another tick.
 */
bool	pw_listener_tick(struct pw_listener *l, size_t max);
/* Connections counted now. */
size_t	pw_listener_conns(const struct pw_listener *l);

/*
 * Stop accepting for good: free the evconnlisteners (not those handed
 * to a library) and remove the unix socket files when permitted (else
 * logged: the next start replaces them).
 */
void	pw_listener_close(struct pw_listener *l);
/*
 * Free l: a set never started also closes its descriptors and removes
 * its unix socket files (a start that failed).
 */
void	pw_listener_free(struct pw_listener **l);

#endif
