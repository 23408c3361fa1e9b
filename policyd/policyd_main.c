/*
 * policyd_main.c -- postwarden-policyd: start-up, signals and reload.
 *
 * Start-up follows lib/daemon.h: load the runtime snapshot (configuration
 * and identity tables), resolve the daemon's ids, listen on every
 * policyd_listen endpoint (warning about any that is not loopback),
 * detach unless -f, take the pid file, drop privileges, raise the soft
 * limit on open files to the hard one (a descriptor per connection), then
 * run one libevent loop that serves every connection (policyd_server.c,
 * policyd_conn.c).  With auth_listen set, the same loop serves the SMTP
 * AUTH service of auth/ on those sockets too (its pepper is read before
 * privileges are dropped; none is a start-up error), sharing the Redis
 * connection and key cache of policyd_identity.c.  With http_listen set,
 * the same loop serves the HTTP service of http/ (health checks), with
 * the tracking keyring read before privileges are dropped (none is
 * logged, and /readyz answers 503 until a start that loads it).
 *
 * Signals (through the event loop, never in a handler):
 *   SIGTERM, SIGINT  stop accepting, answer the requests in flight, close,
 *                    exit 0 (bounded by shutdown_timeout); SASL
 *                    connections are closed at once.
 *   SIGHUP           load the same file again; publish the new snapshot
 *                    if it loaded completely, else log why and keep the
 *                    old one.  Listening sockets, the pid file and the
 *                    user are not changed by a reload.
 *   SIGPIPE          ignored.
 *
 * Exports: main.  Threads: one.  Ownership: main owns the event base, the
 * server and the published snapshot's first reference.
 *
 * Failures: any start-up failure is logged (stderr before detaching) and
 * exits 1; usage errors exit 64.
 *
 * Security: root is needed only to bind sockets and take the pid file;
 * privileges are dropped before the first connection is accepted.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "auth_server.h"
#include "auth_verify.h"
#include "cmdline.h"
#include "conf.h"
#include "daemon.h"
#include "http_server.h"
#include "log.h"
#include "policyd_decide.h"
#include "policyd_identity.h"
#include "policyd_metrics.h"
#include "policyd_rules.h"
#include "policyd_server.h"
#include "runtime.h"
#include "secret_file.h"
#include "track_keyring.h"
#include "xmalloc.h"

static const char policyd_main_progname[] = "postwarden-policyd";

/* Listening sockets opened at start, before the event loop exists. */
struct policyd_main_listen {
	const struct pw_conf		*conf;
	const struct pw_daemon_ids	*ids;
	int				*fds;
	char				**endpoints;
	size_t				 n;
	char				 err[PW_DAEMON_ERR_MAX];
};

struct policyd_main {
	const char		*conf_path;
	struct event_base	*base;
	struct policyd_server	*srv;
	struct policyd_identity	*identity;
	struct auth_verify	*auth;		/* NULL: auth_listen empty */
	struct auth_server	*auth_srv;
	struct http_server	*http_srv;	/* NULL: http_listen empty */
	struct pw_track_keyring	 keyring;
	bool			 keyring_loaded;
	struct pw_fd_budget	 fds;	/* both services' connections */
	bool			 stopping;
};

/* pw_conf_list_foreach callback: listen on one endpoint. */
static int
policyd_main_listen_one(const char *item, size_t len, void *arg)
{
	struct policyd_main_listen *ls = arg;
	char *endpoint = pw_xstrndup(item, len);
	int fd;

	fd = pw_daemon_listen(endpoint, SOMAXCONN, ls->conf->socket_mode,
	    ls->ids, ls->err, sizeof(ls->err));
	if (fd < 0) {
		free(endpoint);
		return -1;
	}
	ls->fds = pw_xrealloc(ls->fds, (ls->n + 1) * sizeof(*ls->fds));
	ls->endpoints = pw_xrealloc(ls->endpoints,
	    (ls->n + 1) * sizeof(*ls->endpoints));
	ls->fds[ls->n] = fd;
	ls->endpoints[ls->n] = endpoint;
	ls->n++;
	return 0;
}

/* pw_conf_list_foreach callback: warn about a non-loopback endpoint. */
static int
policyd_main_warn_open(const char *item, size_t len, void *arg)
{
	const struct pw_conf *conf = arg;
	char *endpoint = pw_xstrndup(item, len);

	if (!pw_daemon_endpoint_local(endpoint))
		pw_log_warnx("policyd_listen: %s is not a loopback address: "
		    "policy requests bill mail; only peers in "
		    "policyd_allowed_clients (%s) are served", endpoint,
		    *conf->policyd_allowed_clients != '\0' ?
		    conf->policyd_allowed_clients : "(none)");
	free(endpoint);
	return 0;
}

/* pw_conf_list_foreach callback: warn about a non-loopback endpoint. */
static int
policyd_main_warn_open_auth(const char *item, size_t len, void *arg)
{
	char *endpoint = pw_xstrndup(item, len);

	(void)arg;
	if (!pw_daemon_endpoint_local(endpoint))
		pw_log_warnx("auth_listen: %s is not a loopback address: "
		    "whoever connects can test API key secrets", endpoint);
	free(endpoint);
	return 0;
}

/* pw_conf_list_foreach callback: warn about a non-loopback endpoint. */
static int
policyd_main_warn_open_http(const char *item, size_t len, void *arg)
{
	char *endpoint = pw_xstrndup(item, len);

	(void)arg;
	if (!pw_daemon_endpoint_local(endpoint))
		pw_log_warnx("http_listen: %s is not a loopback address: "
		    "it is plain HTTP; put a TLS reverse proxy in front",
		    endpoint);
	free(endpoint);
	return 0;
}

/* The tracking keyring for the HTTP service, read as root; logs why not. */
static void
policyd_main_keyring(struct policyd_main *m, const struct pw_conf *conf)
{
	char err[PW_TRACK_ERR_MAX];

	pw_secret_file_owner(conf->user);
	if (*conf->tracking_secret_file == '\0') {
		pw_log_warnx("http_listen: tracking_secret_file is not set; "
		    "/readyz answers 503");
		return;
	}
	if (pw_track_keyring_load(conf->tracking_secret_file,
	    conf->dkim_key_mode_check, &m->keyring, err, sizeof(err)) < 0) {
		pw_log_warnx("http_listen: tracking_secret_file %s; /readyz "
		    "answers 503", err);
		return;
	}
	m->keyring_loaded = true;
}

/* Close what was opened and remove the unix sockets we created. */
static void
policyd_main_listen_undo(struct policyd_main_listen *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++) {
		close(ls->fds[i]);
		if (strncmp(ls->endpoints[i], "unix:", 5) == 0)
			(void)unlink(ls->endpoints[i] + 5);
	}
}

static void
policyd_main_listen_free(struct policyd_main_listen *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++)
		free(ls->endpoints[i]);
	free(ls->endpoints);
	free(ls->fds);
	ls->endpoints = NULL;
	ls->fds = NULL;
	ls->n = 0;
}

/* Warn about a setting a reload cannot apply. */
static void
policyd_main_reload_check(const char *name, const char *old,
    const char *new)
{
	if (strcmp(old, new) != 0)
		pw_log_warnx("reload: %s changed from \"%s\" to \"%s\"; it "
		    "takes effect at the next start", name, old, new);
}

/* SIGHUP: load the configuration again and publish it if it is whole. */
static void
policyd_main_reload(struct policyd_main *m)
{
	struct pw_runtime *rt, *old;
	char err[PW_RUNTIME_ERR_MAX];

	if (pw_runtime_load(m->conf_path, policyd_rules_load, &rt, err,
	    sizeof(err)) < 0) {
		pw_log_warnx("reload failed, keeping the running "
		    "configuration: %s", err);
		return;
	}
	if ((old = pw_runtime_current()) != NULL) {
		policyd_main_reload_check("policyd_listen",
		    old->conf->policyd_listen, rt->conf->policyd_listen);
		policyd_main_reload_check("auth_listen",
		    old->conf->auth_listen, rt->conf->auth_listen);
		policyd_main_reload_check("auth_mechanisms",
		    old->conf->auth_mechanisms, rt->conf->auth_mechanisms);
		policyd_main_reload_check("auth_pepper_file",
		    old->conf->auth_pepper_file, rt->conf->auth_pepper_file);
		policyd_main_reload_check("http_listen",
		    old->conf->http_listen, rt->conf->http_listen);
		policyd_main_reload_check("tracking_secret_file",
		    old->conf->tracking_secret_file,
		    rt->conf->tracking_secret_file);
		policyd_main_reload_check("policyd_pid_file",
		    old->conf->policyd_pid_file, rt->conf->policyd_pid_file);
		policyd_main_reload_check("user", old->conf->user,
		    rt->conf->user);
		policyd_main_reload_check("group", old->conf->group,
		    rt->conf->group);
		policyd_main_reload_check("socket_group",
		    old->conf->socket_group, rt->conf->socket_group);
		if (old->conf->socket_mode != rt->conf->socket_mode)
			pw_log_warnx("reload: socket_mode changed; it takes "
			    "effect at the next start");
		pw_runtime_release(&old);
	}
	pw_log_set_level(rt->conf->log_level);
	policyd_server_check_limit(m->srv, rt->conf->policyd_max_connections,
	    m->auth_srv != NULL ? rt->conf->auth_max_connections : 0);
	policyd_identity_reconfigure(m->identity, rt->conf);
	policyd_metrics_reconfigure(rt->conf);
	if (m->http_srv != NULL)
		http_server_reconfigure(m->http_srv, rt->conf);
	pw_runtime_publish(rt);
	pw_log_info("reloaded configuration %s", m->conf_path);
}

static void
policyd_main_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct policyd_main *m = arg;
	struct pw_runtime *rt;
	int timeout_ms = 0;

	if (sig == SIGHUP) {
		policyd_main_reload(m);
		return;
	}
	if (m->stopping)
		return;
	m->stopping = true;
	pw_log_info("stopping on %s", strsignal((int)sig));
	if ((rt = pw_runtime_current()) != NULL) {
		timeout_ms = rt->conf->shutdown_timeout_ms;
		pw_runtime_release(&rt);
	}
	auth_server_stop(m->auth_srv);
	http_server_stop(m->http_srv);
	policyd_server_stop(m->srv, timeout_ms);
}

int
main(int argc, char **argv)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct event *sigev[sizeof(sigs) / sizeof(sigs[0])];
	struct policyd_main m;
	struct policyd_main_listen ls, als, hls;
	struct pw_cmdline cmd;
	struct pw_daemon_ids ids;
	struct pw_runtime *rt;
	char err[PW_RUNTIME_ERR_MAX];
	unsigned long nofile, nofile_was;
	size_t i;

	memset(&m, 0, sizeof(m));
	memset(&ls, 0, sizeof(ls));
	memset(&als, 0, sizeof(als));
	memset(&hls, 0, sizeof(hls));
	pw_log_open(policyd_main_progname, true);
	pw_cmdline_parse(argc, argv, policyd_main_progname,
	    "Postfix policy server: per-key quotas and identity over Redis.",
	    &cmd);
	m.conf_path = cmd.conf_path;

	if (pw_runtime_load(m.conf_path, policyd_rules_load, &rt, err,
	    sizeof(err)) < 0 ||
	    pw_daemon_ids(rt->conf->user, rt->conf->group,
	    rt->conf->socket_group, &ids, err, sizeof(err)) < 0) {
		if (cmd.check_only) {
			fprintf(stderr, "%s: %s\n", policyd_main_progname, err);
			exit(1);
		}
		pw_log_fatal("%s", err);
	}
	(void)pw_conf_list_foreach(rt->conf->policyd_listen,
	    policyd_main_warn_open, rt->conf);
	(void)pw_conf_list_foreach(rt->conf->auth_listen,
	    policyd_main_warn_open_auth, NULL);
	(void)pw_conf_list_foreach(rt->conf->http_listen,
	    policyd_main_warn_open_http, NULL);
	/* SMTP AUTH: the pepper now, as root; none is a start-up error. */
	if (*rt->conf->auth_listen != '\0' &&
	    (m.auth = auth_verify_new(rt->conf, err, sizeof(err))) == NULL) {
		if (cmd.check_only) {
			fprintf(stderr, "%s: %s\n", policyd_main_progname, err);
			exit(1);
		}
		pw_log_fatal("%s", err);
	}
	if (cmd.check_only) {
		auth_verify_free(&m.auth);
		pw_runtime_release(&rt);
		exit(0);
	}
	pw_log_set_level(rt->conf->log_level);
	(void)signal(SIGPIPE, SIG_IGN);

	ls.conf = rt->conf;
	ls.ids = &ids;
	if (pw_conf_list_foreach(rt->conf->policyd_listen,
	    policyd_main_listen_one, &ls) != 0) {
		policyd_main_listen_undo(&ls);
		pw_log_fatal("policyd_listen: %s", ls.err);
	}
	als.conf = rt->conf;
	als.ids = &ids;
	if (pw_conf_list_foreach(rt->conf->auth_listen,
	    policyd_main_listen_one, &als) != 0) {
		policyd_main_listen_undo(&als);
		policyd_main_listen_undo(&ls);
		pw_log_fatal("auth_listen: %s", als.err);
	}
	hls.conf = rt->conf;
	hls.ids = &ids;
	if (pw_conf_list_foreach(rt->conf->http_listen,
	    policyd_main_listen_one, &hls) != 0) {
		policyd_main_listen_undo(&hls);
		policyd_main_listen_undo(&als);
		policyd_main_listen_undo(&ls);
		pw_log_fatal("http_listen: %s", hls.err);
	}
	if (hls.n > 0)
		policyd_main_keyring(&m, rt->conf);
	if (!cmd.foreground) {
		if (pw_daemon_detach(err, sizeof(err)) < 0)
			pw_log_fatal("%s", err);
		pw_log_open(policyd_main_progname, false);
	}
	if (pw_daemon_pidfile(rt->conf->policyd_pid_file, &ids, err,
	    sizeof(err)) < 0) {
		policyd_main_listen_undo(&ls);
		policyd_main_listen_undo(&als);
		policyd_main_listen_undo(&hls);
		pw_log_fatal("policyd_pid_file: %s", err);
	}
	if (pw_daemon_drop_privileges(&ids, err, sizeof(err)) < 0)
		pw_log_fatal("%s", err);

	if ((m.base = event_base_new()) == NULL)
		pw_log_fatal("event_base_new failed");
	if ((m.identity = policyd_identity_new(m.base, rt->conf, err,
	    sizeof(err))) == NULL)
		pw_log_fatal("%s", err);
	policyd_decide_setup(m.identity);
	policyd_metrics_init(rt->conf, m.identity);
	pw_runtime_publish(rt);		/* the loop's first snapshot */
	/* One descriptor per connection: take all the hard limit allows. */
	if (pw_daemon_raise_nofile(&nofile_was, &nofile, err,
	    sizeof(err)) < 0)
		pw_log_warnx("%s", err);
	else if (nofile != nofile_was)
		pw_log_info("raised the open file limit from %lu to %lu",
		    nofile_was, nofile);
	m.srv = policyd_server_new(m.base, &m.fds, ls.fds, ls.endpoints, ls.n,
	    err, sizeof(err));
	if (m.srv == NULL)
		pw_log_fatal("%s", err);
	if (m.auth != NULL) {
		auth_verify_start(m.auth, m.identity);
		m.auth_srv = auth_server_new(m.base, &m.fds, m.auth,
		    rt->conf->auth_mechanisms, als.fds, als.endpoints, als.n,
		    err, sizeof(err));
		if (m.auth_srv == NULL)
			pw_log_fatal("%s", err);
	}
	if (hls.n > 0) {
		m.http_srv = http_server_new(m.base, &m.fds, m.identity,
		    m.keyring_loaded ? &m.keyring : NULL, rt->conf, hls.fds,
		    hls.endpoints, hls.n, err, sizeof(err));
		if (m.http_srv == NULL)
			pw_log_fatal("%s", err);
	}
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigev[i] = evsignal_new(m.base, sigs[i],
		    policyd_main_signal_cb, &m);
		if (sigev[i] == NULL || evsignal_add(sigev[i], NULL) < 0)
			pw_log_fatal("cannot install handler for %s",
			    strsignal(sigs[i]));
	}
	pw_daemon_ready();
	rt = pw_runtime_current();
	policyd_server_check_limit(m.srv, rt->conf->policyd_max_connections,
	    m.auth_srv != NULL ? rt->conf->auth_max_connections : 0);
	pw_log_info("starting: listening on %s", rt->conf->policyd_listen);
	if (m.auth_srv != NULL)
		pw_log_info("starting: SMTP AUTH service on %s (%s)",
		    rt->conf->auth_listen, rt->conf->auth_mechanisms);
	if (m.http_srv != NULL)
		pw_log_info("starting: HTTP service on %s",
		    rt->conf->http_listen);
	pw_runtime_release(&rt);
	policyd_main_listen_free(&ls);
	policyd_main_listen_free(&als);
	policyd_main_listen_free(&hls);

	if (event_base_dispatch(m.base) < 0)
		pw_log_error("event loop failed");

	auth_server_free(&m.auth_srv);
	http_server_free(&m.http_srv);
	policyd_server_free(&m.srv);
	/* After the servers: lookups still in flight answer orphans. */
	policyd_identity_free(&m.identity);
	policyd_metrics_free();
	auth_verify_free(&m.auth);
	pw_track_keyring_free(&m.keyring);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		event_free(sigev[i]);
	event_base_free(m.base);
	pw_daemon_pidfile_remove();
	pw_runtime_publish(NULL);
	pw_log_info("stopped");
	return 0;
}
