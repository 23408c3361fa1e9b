/*
 * auth_server.c -- listeners and the connection list of the SASL
 * service (see auth_server.h).
 *
 * Exports: auth_server_new/stop/free/conn_gone.
 *
 * Threads: the event loop's only.
 * Ownership: the server owns its listeners (and descriptors) and every
 * connection on its list; the verifier belongs to main.
 *
 * Connection limit: beyond auth_max_connections, or beyond what the open
 * file limit leaves after policyd's reserve and the policy service's
 * connections (one budget, lib/fd_budget.h, so that neither service can
 * take the other's descriptors), a new connection is accepted and closed
 * at once: smtpd sees the end of file at once (and answers 454) instead
 * of waiting in the backlog for its timeout.  The first refusal of a
 * burst is logged; the end of the burst is logged with the number
 * refused.
 *
 * Access: the socket's mode and group (socket_mode, socket_group) say
 * who may connect to a unix socket; a TCP endpoint should be loopback
 * (main warns otherwise), since whoever connects can test secrets.
 *
 * Failures: an accept() error (EMFILE: out of descriptors) is logged and
 * pauses that listener for PW_LISTENER_RETRY_MS instead of spinning on a
 * socket that stays readable; Postfix waits in the backlog meanwhile
 * (lib/listener.c, PW_LISTENER_REFUSE, which also counts and logs the
 * refusals).  Allocation failure exits.
 *
 * Security: the COOKIE line carries 128 random bits per process, as
 * Dovecot's does; nothing in postwarden uses it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/rand.h>

#include "auth_server.h"
#include "conf.h"
#include "listener.h"
#include "log.h"
#include "runtime.h"
#include "xmalloc.h"

/* pw_conf_list_foreach callback: note a mechanism of auth_mechanisms. */
static int
auth_server_mech_add(const char *item, size_t len, void *arg)
{
	struct auth_server *srv = arg;
	const char *name;
	size_t i;

	if (len == 5 && strncasecmp(item, "PLAIN", 5) == 0)
		name = "PLAIN";
	else if (len == 5 && strncasecmp(item, "LOGIN", 5) == 0)
		name = "LOGIN";
	else
		return 0;	/* checked at load */
	for (i = 0; srv->mechs[i] != NULL; i++)
		if (strcmp(srv->mechs[i], name) == 0)
			return 0;
	if (i < 2)
		srv->mechs[i] = name;
	return 0;
}

static void
auth_server_accept_cb(struct pw_listener_ep *ep, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct auth_server *srv = arg;
	struct auth_conn *c;
	struct pw_runtime *rt;
	size_t max;

	(void)sa;
	(void)salen;
	if (srv->stopping) {
		evutil_closesocket(fd);
		return;
	}
	if ((rt = pw_runtime_current()) == NULL)
		pw_log_fatal("no configuration published");
	max = (size_t)rt->conf->auth_max_connections;
	pw_runtime_release(&rt);
	if (!pw_listener_admit(srv->listener, ep, max,
	    "auth_max_connections")) {
		evutil_closesocket(fd);
		return;
	}
	c = auth_conn_new(srv, fd, pw_listener_endpoint(ep), ++srv->next_id);
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	srv->nconns++;
}

struct auth_server *
auth_server_new(struct event_base *base, struct pw_fd_budget *budget,
    struct auth_verify *verify, const char *mechanisms,
    struct pw_listener *listener, char *err, size_t errsize)
{
	struct auth_server *srv = pw_xcalloc(1, sizeof(*srv));
	unsigned char rnd[16];
	size_t i;

	srv->base = base;
	srv->verify = verify;
	srv->fds = budget;
	srv->listener = listener;
	TAILQ_INIT(&srv->conns);
	(void)pw_conf_list_foreach(mechanisms, auth_server_mech_add, srv);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		snprintf(err, errsize, "sasl: RAND_bytes failed");
		auth_server_free(&srv);
		return NULL;
	}
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(srv->cookie + 2 * i, 3, "%02x", rnd[i]);
	if (pw_listener_start(listener, base, budget, "sasl: ",
	    PW_LISTENER_REFUSE, 0, auth_server_accept_cb, srv, err,
	    errsize) < 0) {
		auth_server_free(&srv);
		return NULL;
	}
	return srv;
}

void
auth_server_stop(struct auth_server *srv)
{
	struct auth_conn *c;

	if (srv == NULL || srv->stopping)
		return;
	srv->stopping = true;
	pw_listener_close(srv->listener);
	/* Postfix keeps these open for good: close them now. */
	while ((c = TAILQ_FIRST(&srv->conns)) != NULL)
		auth_conn_free(&c);
}

void
auth_server_free(struct auth_server **srvp)
{
	struct auth_server *srv = *srvp;
	struct auth_conn *c;

	if (srv == NULL)
		return;
	*srvp = NULL;
	srv->stopping = true;
	while ((c = TAILQ_FIRST(&srv->conns)) != NULL)
		auth_conn_free(&c);
	pw_listener_free(&srv->listener);
	free(srv);
}

void
auth_server_conn_gone(struct auth_server *srv, struct auth_conn *c)
{
	TAILQ_REMOVE(&srv->conns, c, entry);
	srv->nconns--;
	pw_listener_gone(srv->listener);
}
