/*
 * http_tls.h -- TLS for the HTTP service (http_tls_listen): the
 * certificate chain and key of http_tls_cert_file and http_tls_key_file
 * in an OpenSSL context, TLS 1.2 and later only, reloaded on SIGHUP, and
 * the bufferevent_openssl of each connection.
 *
 * Threads: the event loop's only (start-up: main).
 */
#ifndef HTTP_TLS_H
#define HTTP_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#define HTTP_TLS_ERR_MAX	512

struct http_tls;

/*
 * Load cert (PEM chain, leaf first) and key (PEM, read as a secret file:
 * mode and owner checked when mode_check, dkim_key_mode_check).  NULL
 * with the reason in err (naming the setting and the file) when either
 * is missing, unreadable or not PEM, or when they do not match.
 */
struct http_tls *http_tls_new(const char *cert, const char *key,
	    bool mode_check, char *err, size_t errsize);
/*
 * Load cert and key again (SIGHUP), as the user the daemon runs as now.
 * 0: new connections get them; -1: the old ones stay, the reason in err.
 * Connections already open keep what they started with.
 */
int	http_tls_reload(struct http_tls *t, const char *cert, const char *key,
	    bool mode_check, char *err, size_t errsize);
/*
 * A bufferevent for one accepted connection (the socket set later by
 * evhttp): the TLS server side, BEV_OPT_CLOSE_ON_FREE (its SSL and
 * socket go with it).  Exits on allocation failure.
 */
struct bufferevent *http_tls_bufferevent(struct http_tls *t,
	    struct event_base *base);
void	http_tls_free(struct http_tls **t);

#endif
