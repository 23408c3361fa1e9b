/*
 * redis_common.c -- endpoint parsing, settings copy, reconnect backoff,
 * error reply classification and script digests for both Redis clients
 * (see redis_common.h).
 *
 * Nothing here touches the network or keeps state between calls.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "log.h"
#include "redis_common.h"
#include "xmalloc.h"

int
pw_redis_endpoint_parse(const char *s, struct pw_redis_endpoint *ep,
    const char **why_r)
{
	const char *host, *colon, *p;
	size_t hostlen;
	long port;

	memset(ep, 0, sizeof(*ep));
	if (strncmp(s, "unix:", 5) == 0) {
		if (s[5] != '/') {
			*why_r = "unix socket path must be absolute";
			return -1;
		}
		if (strlen(s + 5) >= sizeof(ep->path)) {
			*why_r = "unix socket path too long";
			return -1;
		}
		ep->is_unix = true;
		strcpy(ep->path, s + 5);	/* length checked above */
		return 0;
	}
	if (strncmp(s, "inet:", 5) != 0) {
		*why_r = "expected unix:/path or inet:host:port";
		return -1;
	}
	host = s + 5;
	colon = strrchr(host, ':');
	if (colon == NULL || colon == host) {
		*why_r = "expected inet:host:port";
		return -1;
	}
	hostlen = (size_t)(colon - host);
	if (host[0] == '[') {
		if (hostlen < 3 || host[hostlen - 1] != ']') {
			*why_r = "expected inet:[address]:port";
			return -1;
		}
		host++;
		hostlen -= 2;
	}
	if (hostlen > PW_REDIS_HOST_MAX) {
		*why_r = "host name too long";
		return -1;
	}
	if (colon[1] == '\0') {
		*why_r = "port must be 1..65535";
		return -1;
	}
	for (p = colon + 1; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p)) {
			*why_r = "port must be a number";
			return -1;
		}
	}
	if (strlen(colon + 1) > 5 ||
	    (port = strtol(colon + 1, NULL, 10)) < 1 || port > 65535) {
		*why_r = "port must be 1..65535";
		return -1;
	}
	memcpy(ep->host, host, hostlen);
	ep->host[hostlen] = '\0';
	ep->port = (int)port;
	return 0;
}

struct pw_redis_params *
pw_redis_params_new(const struct pw_conf *conf, const char **why_r)
{
	struct pw_redis_params *p = pw_xcalloc(1, sizeof(*p));

	if (pw_redis_endpoint_parse(conf->redis_server, &p->endpoint,
	    why_r) < 0) {
		free(p);
		return NULL;
	}
	p->server = pw_xstrdup(conf->redis_server);
	if (conf->redis_username != NULL && conf->redis_username[0] != '\0')
		p->username = pw_xstrdup(conf->redis_username);
	if (conf->redis_password != NULL && conf->redis_password[0] != '\0')
		p->password = pw_xstrdup(conf->redis_password);
	p->database = conf->redis_database;
	p->connect_timeout_ms = conf->redis_connect_timeout_ms;
	p->command_timeout_ms = conf->redis_command_timeout_ms;
	p->reconnect_delay_ms = conf->redis_reconnect_delay_ms;
	p->reconnect_max_delay_ms = conf->redis_reconnect_max_delay_ms;
	if (p->reconnect_max_delay_ms < p->reconnect_delay_ms)
		p->reconnect_max_delay_ms = p->reconnect_delay_ms;
	p->key_prefix = pw_xstrdup(conf->redis_key_prefix != NULL ?
	    conf->redis_key_prefix : "");
	return p;
}

void
pw_redis_params_free(struct pw_redis_params **paramsp)
{
	struct pw_redis_params *p = *paramsp;

	if (p == NULL)
		return;
	*paramsp = NULL;
	if (p->password != NULL) {
		OPENSSL_cleanse(p->password, strlen(p->password));
		free(p->password);
	}
	free(p->username);
	free(p->server);
	free(p->key_prefix);
	free(p);
}

int64_t
pw_redis_backoff_ms(const struct pw_redis_params *params, unsigned failures)
{
	int64_t d = params->reconnect_delay_ms;
	int64_t max = params->reconnect_max_delay_ms;
	unsigned i;

	if (failures == 0)
		return 0;
	/* Doubling stops at max, so this cannot overflow. */
	for (i = 1; i < failures && d < max; i++)
		d *= 2;
	return d < max ? d : max;
}

static const struct {
	const char			*word;
	enum pw_redis_error_kind	 kind;
} pw_redis_error_words[] = {
	{ "NOSCRIPT",	PW_REDIS_ERR_NOSCRIPT },
	{ "LOADING",	PW_REDIS_ERR_LOADING },
	{ "BUSY",	PW_REDIS_ERR_BUSY },
	{ "READONLY",	PW_REDIS_ERR_READONLY },
	{ "OOM",	PW_REDIS_ERR_OOM },
	{ "NOAUTH",	PW_REDIS_ERR_NOAUTH },
	{ "WRONGPASS",	PW_REDIS_ERR_NOAUTH },
	{ "NOPERM",	PW_REDIS_ERR_NOPERM },
};

#define PW_REDIS_NERROR_WORDS \
	(sizeof(pw_redis_error_words) / sizeof(pw_redis_error_words[0]))

enum pw_redis_error_kind
pw_redis_reply_error_kind(const redisReply *reply)
{
	size_t i, n, wlen;

	if (reply == NULL || reply->type != REDIS_REPLY_ERROR)
		return PW_REDIS_ERR_NONE;
	if (reply->str == NULL)
		return PW_REDIS_ERR_OTHER;
	/* The first word, ended by a space or the end of the text. */
	for (wlen = 0; wlen < reply->len && reply->str[wlen] != ' '; wlen++)
		continue;
	for (i = 0; i < PW_REDIS_NERROR_WORDS; i++) {
		n = strlen(pw_redis_error_words[i].word);
		if (n == wlen &&
		    memcmp(reply->str, pw_redis_error_words[i].word, n) == 0)
			return pw_redis_error_words[i].kind;
	}
	return PW_REDIS_ERR_OTHER;
}

const char *
pw_redis_error_kind_name(enum pw_redis_error_kind kind)
{
	size_t i;

	switch (kind) {
	case PW_REDIS_ERR_NONE:
		return "none";
	case PW_REDIS_ERR_OTHER:
		return "ERR";
	case PW_REDIS_ERR_NOAUTH:	/* NOAUTH or WRONGPASS */
		return "authentication failed";
	default:
		break;
	}
	for (i = 0; i < PW_REDIS_NERROR_WORDS; i++)
		if (pw_redis_error_words[i].kind == kind)
			return pw_redis_error_words[i].word;
	return "ERR";
}

const char *
pw_redis_setup_error(bool auth, enum pw_redis_error_kind kind,
    const char **detail_r)
{
	if (auth) {
		*detail_r = "check redis_username and redis_password";
		return "redis: authentication failed";
	}
	if (kind == PW_REDIS_ERR_NOAUTH) {
		*detail_r = "the server requires redis_password";
		return "redis: authentication failed";
	}
	*detail_r = pw_redis_error_kind_name(kind);
	return NULL;
}

bool
pw_redis_queue_id_ok(const char *qid)
{
	size_t n;

	for (n = 0; qid[n] != '\0'; n++)
		if (n >= PW_REDIS_QUEUE_ID_MAX ||
		    !isalnum((unsigned char)qid[n]))
			return false;
	return n > 0;
}

int
pw_redis_script_init(struct pw_redis_script *script, const char **why_r)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (EVP_Digest(script->body, strlen(script->body), md, &mdlen,
	    EVP_sha1(), NULL) != 1 || mdlen * 2 != PW_REDIS_SHA_HEX) {
		*why_r = "cannot compute script SHA1";
		return -1;
	}
	for (i = 0; i < mdlen; i++) {
		script->sha[2 * i] = hex[md[i] >> 4];
		script->sha[2 * i + 1] = hex[md[i] & 0xf];
	}
	script->sha[PW_REDIS_SHA_HEX] = '\0';
	return 0;
}

int
pw_redis_evalsha_argv_make(struct pw_redis_evalsha_argv *e,
    const struct pw_redis_script *script, int nkeys, int argc,
    const char **argv, const size_t *argvlen, const char **why_r)
{
	int i;

	if (nkeys < 0 || argc < 0 || nkeys > argc) {
		*why_r = "redis: bad script key count";
		return -1;
	}
	if (script->sha[0] == '\0') {
		*why_r = "redis: script not initialised";
		return -1;
	}
	snprintf(e->nk, sizeof(e->nk), "%d", nkeys);
	e->ac = argc + 3;
	e->av = pw_xcalloc((size_t)e->ac, sizeof(*e->av));
	e->avlen = pw_xcalloc((size_t)e->ac, sizeof(*e->avlen));
	e->av[0] = "EVALSHA";
	e->av[1] = script->sha;
	e->av[2] = e->nk;
	for (i = 0; i < 3; i++)
		e->avlen[i] = strlen(e->av[i]);
	for (i = 0; i < argc; i++) {
		e->av[i + 3] = argv[i];
		e->avlen[i + 3] = argvlen != NULL ? argvlen[i] :
		    strlen(argv[i]);
	}
	return 0;
}

void
pw_redis_evalsha_argv_free(struct pw_redis_evalsha_argv *e)
{
	free(e->av);
	free(e->avlen);
	e->av = NULL;
	e->avlen = NULL;
}

void
pw_redis_log_down(bool *outage, const struct pw_redis_params *params,
    const char *why, const char *detail)
{
	if (*outage)
		return;
	*outage = true;
	/* The reasons start "redis: "; the line says it already. */
	if (strncmp(why, "redis: ", 7) == 0)
		why += 7;
	pw_log_warnx("redis %s: %s%s%s", params->server, why,
	    detail != NULL && detail[0] != '\0' ? ": " : "",
	    detail != NULL ? detail : "");
}

void
pw_redis_log_up(bool *outage, const struct pw_redis_params *params)
{
	if (!*outage)
		return;
	*outage = false;
	pw_log_notice("redis %s: connection restored", params->server);
}
