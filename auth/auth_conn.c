/*
 * auth_conn.c -- one Postfix connection to the SASL service (see
 * auth_conn.h).
 *
 * Exports: auth_conn_new, auth_conn_free.
 *
 * Threads: the event loop's only.
 * Ownership: the server's list holds every connection; a connection owns
 * its bufferevent (and socket) and its requests; a request being
 * verified is owned by its verification once orphaned.
 *
 * Protocol rules enforced (Dovecot's server does the same): VERSION
 * (major 1) before anything else; AUTH ids unique among open requests;
 * CONT only for a request waiting for one (else FAIL for that id);
 * lines at most AUTH_PROTO_LINE_MAX; no unknown commands.  A breach is
 * logged with the peer and the reason (never the line: it may hold a
 * secret) and the connection closed.  A mechanism the client cannot
 * use, or malformed SASL data, is a FAIL for that request.
 *
 * Failures: a verification that cannot tell (Redis down, pair not in
 * the cache) closes the connection: the only way Postfix answers 454.
 * Reply bytes beyond AUTH_CONN_MAX_OUTPUT not taken by the peer close
 * it too.
 *
 * Security: lines are wiped from memory after parsing; user names are
 * checked printable by auth_mech.c before they reach a log or a reply.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <openssl/crypto.h>

#include "auth_conn.h"
#include "auth_proto.h"
#include "auth_server.h"
#include "buf.h"
#include "log.h"
#include "policyd_metrics.h"
#include "xmalloc.h"

/* Room for the handshake or one reply line. */
#define AUTH_CONN_OUT_MAX	1024

static void auth_conn_read_cb(struct bufferevent *, void *);
static void auth_conn_event_cb(struct bufferevent *, short, void *);

/* Send what out holds. */
static void
auth_conn_send(struct auth_conn *c, struct pw_buf *out)
{
	if (c->drop)
		return;		/* closing: nothing more goes out */
	if (bufferevent_write(c->bev, out->data, out->len) < 0)
		c->drop = true;
	else if (evbuffer_get_length(bufferevent_get_output(c->bev)) >
	    AUTH_CONN_MAX_OUTPUT) {
		pw_log_warnx("sasl: %s (connection %lu) does not read its "
		    "answers; closing", c->peer, c->id);
		/* Nothing will drain it: close without waiting. */
		(void)evbuffer_drain(bufferevent_get_output(c->bev),
		    evbuffer_get_length(bufferevent_get_output(c->bev)));
		c->drop = true;
	}
}

struct auth_conn *
auth_conn_new(struct auth_server *srv, evutil_socket_t fd, const char *peer,
    unsigned long id)
{
	struct auth_conn *c = pw_xcalloc(1, sizeof(*c));
	struct pw_buf out;

	c->srv = srv;
	c->id = id;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	TAILQ_INIT(&c->requests);
	c->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		pw_log_fatal("bufferevent_socket_new: out of memory");
	bufferevent_setcb(c->bev, auth_conn_read_cb, NULL, auth_conn_event_cb,
	    c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	/* The handshake at once: Postfix must never wait for it. */
	pw_buf_init(&out, AUTH_CONN_OUT_MAX);
	if (auth_proto_handshake(&out, srv->mechs, (unsigned long)getpid(),
	    id, srv->cookie) < 0)
		pw_log_fatal("sasl: handshake does not fit");
	auth_conn_send(c, &out);
	pw_buf_free(&out);
	pw_log_debug("sasl: connect from %s (connection %lu)", c->peer, c->id);
	policyd_metrics_conn("sasl", 1);
	return c;
}

/* Free a request nobody verifies. */
static void
auth_conn_request_free(struct auth_request *r)
{
	auth_mech_wipe(&r->mech);
	free(r);
}

/* Unlink r from its connection. */
static void
auth_conn_request_unlink(struct auth_conn *c, struct auth_request *r)
{
	TAILQ_REMOVE(&c->requests, r, entry);
	c->nrequests--;
}

void
auth_conn_free(struct auth_conn **cp)
{
	struct auth_conn *c = *cp;
	struct auth_request *r;

	if (c == NULL)
		return;
	*cp = NULL;
	while ((r = TAILQ_FIRST(&c->requests)) != NULL) {
		auth_conn_request_unlink(c, r);
		if (r->verifying)
			r->conn = NULL;	/* its verification frees it */
		else
			auth_conn_request_free(r);
	}
	pw_log_debug("sasl: disconnect from %s (connection %lu)", c->peer,
	    c->id);
	policyd_metrics_conn("sasl", -1);
	bufferevent_free(c->bev);
	auth_server_conn_gone(c->srv, c);
	free(c);
}

/* The output has drained: a closing connection goes now. */
static void
auth_conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct auth_conn *c = arg;

	(void)bev;
	if (c->drop)
		auth_conn_free(&c);
}

/*
 * After the read callback (or now, outside it): a connection marked
 * drop stops reading, and is freed once what it answered has been
 * written, so a refusal never swallows the answers before it.
 */
static void
auth_conn_settle(struct auth_conn *c)
{
	if (!c->drop || c->in_read)
		return;
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		auth_conn_free(&c);
	else
		bufferevent_setcb(c->bev, NULL, auth_conn_write_cb,
		    auth_conn_event_cb, c);
}

/* Close c once its answers are written. */
static void
auth_conn_drop(struct auth_conn *c)
{
	c->drop = true;
	auth_conn_settle(c);
}

/* Log a protocol breach and close. */
static void
auth_conn_refuse(struct auth_conn *c, const char *why)
{
	pw_log_warnx("sasl: %s (connection %lu): %s; closing", c->peer, c->id,
	    why);
	c->drop = true;
}

/* The open request id, or NULL. */
static struct auth_request *
auth_conn_request_find(struct auth_conn *c, unsigned int id)
{
	struct auth_request *r;

	TAILQ_FOREACH(r, &c->requests, entry)
		if (r->id == id)
			return r;
	return NULL;
}

/* Answer r (OK with user, or FAIL) and close it. */
static void
auth_conn_answer(struct auth_conn *c, struct auth_request *r, bool ok,
    const char *user)
{
	struct pw_buf out;

	pw_buf_init(&out, AUTH_CONN_OUT_MAX);
	if (ok)
		(void)auth_proto_ok(&out, r->id, user);
	else
		(void)auth_proto_fail(&out, r->id, NULL);
	auth_conn_send(c, &out);
	pw_buf_free(&out);
	auth_conn_request_unlink(c, r);
	auth_conn_request_free(r);
}

/* auth_verify's answer for a request. */
static void
auth_conn_verified(enum auth_verify_result res, const char *keyid, void *arg)
{
	struct auth_request *r = arg;
	struct auth_conn *c = r->conn;

	r->verifying = false;
	if (c == NULL) {		/* orphaned */
		auth_conn_request_free(r);
		return;
	}
	policyd_metrics_sasl(auth_mech_name(r->mech.kind),
	    res == AUTH_VERIFY_OK ? "ok" : res == AUTH_VERIFY_FAIL ? "fail" :
	    "tempfail");
	if (res == AUTH_VERIFY_TEMP) {
		auth_conn_drop(c);
		return;
	}
	auth_conn_answer(c, r, res == AUTH_VERIFY_OK, keyid);
	auth_conn_settle(c);
}

/* A mechanism step's result for r. */
static void
auth_conn_mech_result(struct auth_conn *c, struct auth_request *r,
    enum auth_mech_result res, const char *challenge, const char *why)
{
	struct pw_buf out;

	switch (res) {
	case AUTH_MECH_MORE:
		pw_buf_init(&out, AUTH_CONN_OUT_MAX);
		(void)auth_proto_cont(&out, r->id, challenge);
		auth_conn_send(c, &out);
		pw_buf_free(&out);
		return;
	case AUTH_MECH_FAIL:
		pw_log_info("sasl login failed: rip=%s, mech=%s: %s",
		    *r->rip != '\0' ? r->rip : "unknown",
		    auth_mech_name(r->mech.kind), why);
		policyd_metrics_sasl(auth_mech_name(r->mech.kind), "fail");
		auth_conn_answer(c, r, false, NULL);
		return;
	case AUTH_MECH_DONE:
		r->verifying = true;
		auth_verify_login(c->srv->verify, r->mech.user, r->mech.pass,
		    r->rip, auth_mech_name(r->mech.kind), auth_conn_verified,
		    r);
		return;
	}
}

/* Whether the mechanism is one of auth_mechanisms. */
static bool
auth_conn_mech_enabled(struct auth_conn *c, enum auth_mech_kind kind)
{
	size_t i;

	for (i = 0; c->srv->mechs[i] != NULL; i++)
		if (strcmp(c->srv->mechs[i], auth_mech_name(kind)) == 0)
			return true;
	return false;
}

static void
auth_conn_auth(struct auth_conn *c, const struct auth_proto_req *q)
{
	struct auth_request *r, *old;
	enum auth_mech_kind kind;
	enum auth_mech_result res;
	const char *challenge = NULL, *why = NULL;
	char esc[64];

	if (auth_conn_request_find(c, q->id) != NULL) {
		auth_conn_refuse(c, "AUTH with the id of an open request");
		return;
	}
	/* Postfix forgets a request the SMTP client cancelled ("*"). */
	if (c->nrequests >= AUTH_CONN_MAX_REQUESTS) {
		TAILQ_FOREACH(old, &c->requests, entry)
			if (!old->verifying)
				break;
		if (old == NULL) {
			auth_conn_refuse(c, "too many requests at once");
			return;
		}
		auth_conn_request_unlink(c, old);
		auth_conn_request_free(old);
	}
	r = pw_xcalloc(1, sizeof(*r));
	r->conn = c;
	r->id = q->id;
	if (q->rip != NULL)
		pw_log_escape(r->rip, sizeof(r->rip), q->rip, strlen(q->rip));
	TAILQ_INSERT_TAIL(&c->requests, r, entry);
	c->nrequests++;
	if (auth_mech_lookup(q->mech, &kind) < 0 ||
	    !auth_conn_mech_enabled(c, kind)) {
		pw_log_escape(esc, sizeof(esc), q->mech, strlen(q->mech));
		pw_log_info("sasl login failed: rip=%s: mechanism %s not "
		    "offered", *r->rip != '\0' ? r->rip : "unknown", esc);
		policyd_metrics_sasl(NULL, "fail");
		auth_conn_answer(c, r, false, NULL);
		return;
	}
	res = auth_mech_start(&r->mech, kind, q->resp, &challenge, &why);
	auth_conn_mech_result(c, r, res, challenge, why);
}

static void
auth_conn_cont(struct auth_conn *c, const struct auth_proto_req *q)
{
	struct auth_request *r = auth_conn_request_find(c, q->id);
	enum auth_mech_result res;
	const char *challenge = NULL, *why = NULL;
	struct pw_buf out;

	if (r == NULL || r->verifying) {
		pw_log_warnx("sasl: %s (connection %lu): CONT for request %u, "
		    "which waits for none", c->peer, c->id, q->id);
		if (r == NULL) {
			pw_buf_init(&out, AUTH_CONN_OUT_MAX);
			(void)auth_proto_fail(&out, q->id, NULL);
			auth_conn_send(c, &out);
			pw_buf_free(&out);
		}
		return;
	}
	res = auth_mech_step(&r->mech, q->data, &challenge, &why);
	auth_conn_mech_result(c, r, res, challenge, why);
}

/* One line of len bytes (NUL-terminated, newline removed). */
static void
auth_conn_line(struct auth_conn *c, char *line, size_t len)
{
	struct auth_proto_req q;
	const char *why;

	if (auth_proto_parse(line, len, &q, &why) < 0) {
		auth_conn_refuse(c, why);
		return;
	}
	switch (q.cmd) {
	case AUTH_PROTO_VERSION:
		if (q.major != 1) {
			auth_conn_refuse(c, "protocol major version is not 1");
			return;
		}
		c->version = true;
		return;
	case AUTH_PROTO_CPID:
		return;
	case AUTH_PROTO_AUTH:
	case AUTH_PROTO_CONT:
		if (!c->version) {
			auth_conn_refuse(c, "request before VERSION");
			return;
		}
		if (q.cmd == AUTH_PROTO_AUTH)
			auth_conn_auth(c, &q);
		else
			auth_conn_cont(c, &q);
		return;
	case AUTH_PROTO_UNKNOWN:
		auth_conn_refuse(c, "unknown command");
		return;
	}
}

static void
auth_conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct auth_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr eol;
	char line[AUTH_PROTO_LINE_MAX + 2];
	size_t len;

	c->in_read = true;
	while (!c->drop) {
		eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
		if (eol.pos < 0) {
			if (evbuffer_get_length(in) > AUTH_PROTO_LINE_MAX)
				auth_conn_refuse(c, "line too long");
			break;
		}
		len = (size_t)eol.pos;
		if (len > AUTH_PROTO_LINE_MAX) {
			auth_conn_refuse(c, "line too long");
			break;
		}
		(void)evbuffer_remove(in, line, len + 1);
		line[len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		auth_conn_line(c, line, len);
		OPENSSL_cleanse(line, len);
	}
	c->in_read = false;
	auth_conn_settle(c);
}

static void
auth_conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct auth_conn *c = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		auth_conn_free(&c);
}
