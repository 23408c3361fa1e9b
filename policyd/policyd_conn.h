/*
 * policyd_conn.h -- one Postfix connection to postwarden-policyd: bytes
 * in through the protocol parser, a queue of pending requests, replies
 * out strictly in request order.
 *
 * A request becomes a struct policyd_pending, appended to the queue and
 * handed to policyd_decide(), which answers it with policyd_conn_answer()
 * now or later (a Redis round trip).  Replies leave from the head of the
 * queue only, so pipelined requests are answered in order whatever order
 * their decisions complete in.  When the connection goes away before a
 * decision completes, the pending request is orphaned (conn == NULL) and
 * freed by policyd_conn_answer().
 *
 * Threads: the event loop's only.
 */
#ifndef POLICYD_CONN_H
#define POLICYD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "policyd_proto.h"
#include "runtime.h"

/* Requests queued on one connection before reading pauses. */
#define POLICYD_CONN_MAX_PENDING	64
/* Reply bytes not yet taken by the peer before reading pauses. */
#define POLICYD_CONN_MAX_OUTPUT		(64 * 1024)
/* Room for a peer name: "unix" or "[address]:port". */
#define POLICYD_CONN_PEER_MAX		64

struct policyd_server;
struct policyd_conn;
struct policyd_rules_txn;

struct policyd_pending {
	struct policyd_conn	*conn;	/* NULL once orphaned */
	struct policyd_request	*req;	/* owned */
	struct pw_runtime	*rt;	/* reference, for the decision */
	char			*action;	/* NULL until answered */
	TAILQ_ENTRY(policyd_pending) entry;
};

TAILQ_HEAD(policyd_pending_queue, policyd_pending);

struct policyd_conn {
	struct policyd_server		*srv;
	struct bufferevent		*bev;
	struct event			*deadline;	/* request timeout */
	int				 request_ms;	/* its length */
	struct policyd_proto_parser	 parser;
	struct policyd_pending_queue	 pending;
	size_t				 npending;
	unsigned long			 id;
	char				 peer[POLICYD_CONN_PEER_MAX];
	bool				 reading;	/* EV_READ on */
	bool				 processing;	/* in process */
	bool				 stopping;	/* server stops */
	bool				 closing;	/* no more input */
	bool				 peer_gone;	/* EOF, error */
	struct policyd_rules_txn	*txn;	/* policyd_decide's */
	TAILQ_ENTRY(policyd_conn)	 entry;	/* server's list */
};

/*
 * Take over an accepted, non-blocking socket, with bounds and idle
 * timeout from rt.  Never fails (allocation failure exits).
 */
struct policyd_conn *policyd_conn_new(struct policyd_server *srv,
	    evutil_socket_t fd, const char *peer, unsigned long id,
	    const struct pw_runtime *rt);

/*
 * Close now: the socket is closed, unanswered requests are orphaned and
 * the server is told (policyd_server_conn_gone).  NULLs *conn.
 */
void	policyd_conn_free(struct policyd_conn **conn);

/*
 * Finish gracefully for shutdown: complete the request being read, answer
 * everything queued, then close.  May free conn at once.
 */
void	policyd_conn_shutdown(struct policyd_conn *conn);

/*
 * Deliver the decision for p ("DUNNO", "451 4.3.0 ...").  Consumes p:
 * replies that are now at the head of the queue are written and freed; an
 * orphaned p is just freed.  May free its connection.
 */
void	policyd_conn_answer(struct policyd_pending *p, const char *action);

#endif
