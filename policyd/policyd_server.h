/*
 * policyd_server.h -- the listening side of postwarden-policyd: accepts
 * connections on the sockets main() opened, enforces
 * policyd_allowed_clients and policyd_max_connections (within the open
 * file limit, shared with the SASL service: lib/fd_budget.h), and drives
 * a graceful shutdown.
 *
 * Threads: the event loop's only.
 */
#ifndef POLICYD_SERVER_H
#define POLICYD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "cidr.h"
#include "conf.h"
#include "fd_budget.h"
#include "listener.h"
#include "policyd_conn.h"

TAILQ_HEAD(policyd_conn_list, policyd_conn);

struct policyd_server {
	struct event_base	*base;
	struct pw_listener	*listener;	/* policyd_listen */
	struct policyd_conn_list conns;
	size_t			 nconns;
	unsigned long		 next_id;
	struct pw_fd_budget	*fds;		/* shared with auth; not owned */
	size_t			 warned_sum;	/* the sum warned about */
	/* policyd_allowed_clients of acl_conf (a reference), parsed */
	struct pw_conf		*acl_conf;
	struct pw_cidr		*acl;
	size_t			 nacl;
	long long		 acl_log_ms;	/* next refusal logged */
	unsigned long		 acl_unlogged;	/* refused since */
	bool			 stopping;
	struct event		*stop_timer;
};

/*
 * Serve listener's endpoints (policyd_listen, opened by main) on base,
 * counting connections in budget (initialised here; it must outlive the
 * server).  The server owns listener from now on, even on failure.
 * Returns NULL with a message in err on failure.
 */
struct policyd_server *policyd_server_new(struct event_base *base,
	    struct pw_fd_budget *budget, struct pw_listener *listener,
	    char *err, size_t errsize);

/*
 * Stop accepting, remove unix socket files (when permitted), let every
 * connection finish what it holds, and leave the event loop when the
 * last one closes or after timeout_ms, whichever comes first.
 */
void	policyd_server_stop(struct policyd_server *srv, int timeout_ms);

/*
 * Warn (once per value) when policyd_max_connections, plus
 * auth_max_connections and http_max_connections (0 when that service is
 * off), is more than the open file limit allows: the services then share
 * what it allows.
 */
void	policyd_server_check_limit(struct policyd_server *srv,
	    int max_connections, int auth_max_connections,
	    int http_max_connections);

/* Free the server and every connection still open. */
void	policyd_server_free(struct policyd_server **srv);

/* Called by policyd_conn_free(): forget conn. */
void	policyd_server_conn_gone(struct policyd_server *srv,
	    struct policyd_conn *conn);

#endif
