/*
 * http_tls.c -- the OpenSSL context of the HTTP service's TLS endpoints
 * (see http_tls.h).
 *
 * Exports: http_tls_new/reload/bufferevent/free.
 *
 * Threads: the event loop's only (http_tls_new: main, before it).
 *
 * Ownership: t owns its SSL_CTX; each connection's SSL holds a reference
 * to the context it was made from, so a reload frees the old context
 * only when the last connection made from it has gone.
 *
 * Failures: a file that is missing, unreadable or not PEM, or a key that
 * does not match the certificate: -1/NULL with the reason (the file and
 * OpenSSL's words); the caller keeps the old context.  Allocation
 * failure exits.
 *
 * Security: TLS 1.2 and later only, no renegotiation, the server's
 * cipher order; OpenSSL's default ciphers (no export, no RC4, no NULL).
 * The key is read as secrets are (lib/secret_file.c: a regular file
 * only its owner may read, owned by root or the daemon's user, unless
 * dkim_key_mode_check = no), as root at start (main, before privileges
 * are dropped) and as the daemon's user on SIGHUP: a key the user cannot
 * read fails the reload, logged, and the old one stays.  The bytes read
 * are wiped; key bytes never reach a log.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "http_tls.h"
#include "log.h"
#include "secret_file.h"
#include "xmalloc.h"

/* Largest key file read. */
#define HTTP_TLS_KEY_MAX	65536

struct http_tls {
	SSL_CTX	*ctx;
};

/* err = "setting: file: " + OpenSSL's last error (or errno's words). */
static void
http_tls_error(const char *setting, const char *file, char *err,
    size_t errsize)
{
	unsigned long e = ERR_peek_last_error();
	char why[256];

	if (e != 0)
		ERR_error_string_n(e, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "unknown error");
	ERR_clear_error();
	snprintf(err, errsize, "%s: %s: %s", setting, file, why);
}

/* Whether file can be opened for reading; else err says why. */
static bool
http_tls_readable(const char *setting, const char *file, char *err,
    size_t errsize)
{
	FILE *f;

	if (*file == '\0') {
		snprintf(err, errsize, "%s is not set (http_tls_listen needs "
		    "it)", setting);
		return false;
	}
	if ((f = fopen(file, "r")) == NULL) {
		snprintf(err, errsize, "%s: %s: %s", setting, file,
		    strerror(errno));
		return false;
	}
	fclose(f);
	return true;
}

/*
 * The private key of path, read as secrets are (lib/secret_file.c: mode
 * and owner checked unless mode_check is off), or NULL with err.
 */
static EVP_PKEY *
http_tls_key(const char *path, bool mode_check, char *err, size_t errsize)
{
	char *buf = pw_xmalloc(HTTP_TLS_KEY_MAX + 1), why[HTTP_TLS_ERR_MAX];
	EVP_PKEY *pkey = NULL;
	size_t len;
	BIO *bio;

	if (pw_secret_file_read(path, mode_check, "private key", buf,
	    HTTP_TLS_KEY_MAX, &len, why, sizeof(why)) < 0) {
		snprintf(err, errsize, "http_tls_key_file: %s", why);
		/* A file over the cap was read into buf all the same. */
		OPENSSL_cleanse(buf, HTTP_TLS_KEY_MAX + 1);
		free(buf);
		return NULL;
	}
	ERR_clear_error();
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		pw_log_fatal("http: BIO_new_mem_buf failed");
	if ((pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL)
		http_tls_error("http_tls_key_file", path, err, errsize);
	BIO_free(bio);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return pkey;
}

/* A new context with cert and key, or NULL with err. */
static SSL_CTX *
http_tls_ctx(const char *cert, const char *key, bool mode_check, char *err,
    size_t errsize)
{
	EVP_PKEY *pkey;
	SSL_CTX *ctx;

	if (*key == '\0') {
		snprintf(err, errsize, "http_tls_key_file is not set "
		    "(http_tls_listen needs it)");
		return NULL;
	}
	if (!http_tls_readable("http_tls_cert_file", cert, err, errsize))
		return NULL;
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		pw_log_fatal("http: SSL_CTX_new failed");
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		pw_log_fatal("http: SSL_CTX_set_min_proto_version failed");
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		http_tls_error("http_tls_cert_file", cert, err, errsize);
		SSL_CTX_free(ctx);
		return NULL;
	}
	if ((pkey = http_tls_key(key, mode_check, err, errsize)) == NULL) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1) {
		http_tls_error("http_tls_key_file", key, err, errsize);
		EVP_PKEY_free(pkey);
		SSL_CTX_free(ctx);
		return NULL;
	}
	EVP_PKEY_free(pkey);	/* the context holds it */
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		snprintf(err, errsize, "http_tls_key_file: %s does not match "
		    "the certificate of http_tls_cert_file %s", key, cert);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

struct http_tls *
http_tls_new(const char *cert, const char *key, bool mode_check, char *err,
    size_t errsize)
{
	struct http_tls *t;
	SSL_CTX *ctx;

	if ((ctx = http_tls_ctx(cert, key, mode_check, err, errsize)) == NULL)
		return NULL;
	t = pw_xcalloc(1, sizeof(*t));
	t->ctx = ctx;
	return t;
}

int
http_tls_reload(struct http_tls *t, const char *cert, const char *key,
    bool mode_check, char *err, size_t errsize)
{
	SSL_CTX *ctx;

	if ((ctx = http_tls_ctx(cert, key, mode_check, err, errsize)) == NULL)
		return -1;
	SSL_CTX_free(t->ctx);	/* open connections hold their own */
	t->ctx = ctx;
	return 0;
}

struct bufferevent *
http_tls_bufferevent(struct http_tls *t, struct event_base *base)
{
	struct bufferevent *bev;
	SSL *ssl;

	if ((ssl = SSL_new(t->ctx)) == NULL)
		pw_log_fatal("http: SSL_new failed");
	/* The socket comes with evhttp's bufferevent_setfd. */
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		pw_log_fatal("http: bufferevent_openssl_socket_new failed");
	/* A client that closes without close_notify: an end, not an error. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

void
http_tls_free(struct http_tls **tp)
{
	struct http_tls *t = *tp;

	if (t == NULL)
		return;
	*tp = NULL;
	SSL_CTX_free(t->ctx);
	free(t);
}
