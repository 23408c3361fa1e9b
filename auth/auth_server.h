/*
 * auth_server.h -- the listening side of the SASL service in
 * postwarden-policyd: accepts Postfix's connections on the auth_listen
 * sockets main() opened, enforces auth_max_connections (within the open
 * file limit it shares with the policy service: lib/fd_budget.h) and
 * keeps the list of connections.
 *
 * Threads: the event loop's only.
 */
#ifndef AUTH_SERVER_H
#define AUTH_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "auth_conn.h"
#include "auth_verify.h"
#include "fd_budget.h"
#include "listener.h"

TAILQ_HEAD(auth_conn_list, auth_conn);

struct auth_server {
	struct event_base	*base;
	struct auth_verify	*verify;	/* not owned */
	struct pw_fd_budget	*fds;		/* shared; not owned */
	struct pw_listener	*listener;	/* auth_listen */
	struct auth_conn_list	 conns;
	size_t			 nconns;
	unsigned long		 next_id;
	char			 cookie[33];	/* COOKIE: random, per process */
	const char		*mechs[3];	/* auth_mechanisms, NULL-ended */
	bool			 stopping;
};

/*
 * Serve listener's endpoints (auth_listen, opened by main; owned from
 * now on, even on failure) with the mechanisms of the list mechanisms
 * (auth_mechanisms), counting connections in budget (policyd's,
 * initialised; it must outlive the server).  NULL and a message in err
 * on failure.
 */
struct auth_server *auth_server_new(struct event_base *base,
	    struct pw_fd_budget *budget, struct auth_verify *verify,
	    const char *mechanisms, struct pw_listener *listener, char *err,
	    size_t errsize);
/* Stop accepting and close every connection (logins in flight orphan). */
void	auth_server_stop(struct auth_server *srv);
void	auth_server_free(struct auth_server **srv);
/* Called by auth_conn_free(): forget conn. */
void	auth_server_conn_gone(struct auth_server *srv, struct auth_conn *conn);

#endif
