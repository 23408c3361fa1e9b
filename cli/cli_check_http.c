/*
 * cli_check_http.c -- a daemon's GET /readyz over loopback, for
 * `postwarden check` (see cli_check.h): a small HTTP/1.0 client over a
 * unix or TCP socket, bounded in time (connect, send and the whole
 * answer within timeout_ms) and size (the first 4 KiB of the answer).
 *
 * A wildcard listen address (0.0.0.0, ::, *) is asked on loopback; any
 * other host as written (the daemons warn when it is not loopback).
 *
 * Security: the answer is the daemon's; its reasons are printed after
 * control characters are replaced (cli_check.c escapes for JSON).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli_check.h"
#include "clock.h"

#define CLI_CHECK_HTTP_MAX	4096

/* Wait for events on fd until deadline: 1 ready, 0 timeout, -1 error. */
static int
cli_check_http_wait(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	long long left;
	int n;

	for (;;) {
		left = deadline - pw_clock_ms();
		if (left <= 0)
			return 0;
		n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -1 : n;
	}
}

/* Connect fd to sa within deadline: 0, or -1 and why. */
static int
cli_check_http_connect(int fd, const struct sockaddr *sa, socklen_t len,
    long long deadline, const char **why_r)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EAGAIN) {
		*why_r = strerror(errno);
		return -1;
	}
	if (cli_check_http_wait(fd, POLLOUT, deadline) <= 0) {
		*why_r = "connect timed out";
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 ||
	    soerr != 0) {
		*why_r = strerror(soerr != 0 ? soerr : errno);
		return -1;
	}
	return 0;
}

/* A connected socket to endpoint, or -1 and why. */
static int
cli_check_http_open(const char *endpoint, long long deadline,
    const char **why_r)
{
	struct sockaddr_un sun;
	struct addrinfo hints, *res = NULL, *ai;
	char host[256];
	const char *hp, *port;
	size_t hlen;
	int fd = -1, rc;

	if (strncmp(endpoint, "unix:", 5) == 0) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(endpoint + 5) >= sizeof(sun.sun_path)) {
			*why_r = "socket path too long";
			return -1;
		}
		strcpy(sun.sun_path, endpoint + 5);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
		if (fd < 0 || cli_check_http_connect(fd,
		    (struct sockaddr *)&sun, sizeof(sun), deadline, why_r) < 0) {
			if (fd < 0)
				*why_r = strerror(errno);
			else
				close(fd);
			return -1;
		}
		return fd;
	}
	hp = endpoint + 5;			/* inet:host:port */
	port = strrchr(hp, ':');
	hlen = (size_t)(port - hp);
	if (hlen >= 2 && hp[0] == '[' && hp[hlen - 1] == ']') {
		hp++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host)) {
		*why_r = "host name too long";
		return -1;
	}
	memcpy(host, hp, hlen);
	host[hlen] = '\0';
	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "*") == 0)
		strcpy(host, "127.0.0.1");
	else if (strcmp(host, "::") == 0)
		strcpy(host, "::1");
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port + 1, &hints, &res)) != 0) {
		*why_r = gai_strerror(rc);
		return -1;
	}
	*why_r = "no address";
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			*why_r = strerror(errno);
			continue;
		}
		if (cli_check_http_connect(fd, ai->ai_addr, ai->ai_addrlen,
		    deadline, why_r) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* The answer to req on fd into buf (NUL-terminated): its length or -1. */
static ssize_t
cli_check_http_exchange(int fd, const char *req, char *buf, size_t size,
    long long deadline, const char **why_r)
{
	size_t sent = 0, len = strlen(req), got = 0;
	ssize_t n;

	while (sent < len) {
		if (cli_check_http_wait(fd, POLLOUT, deadline) <= 0) {
			*why_r = "send timed out";
			return -1;
		}
		if ((n = send(fd, req + sent, len - sent, MSG_NOSIGNAL)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			*why_r = strerror(errno);
			return -1;
		}
		sent += (size_t)n;
	}
	while (got < size - 1) {
		if (cli_check_http_wait(fd, POLLIN, deadline) <= 0) {
			*why_r = "no answer in time";
			return -1;
		}
		if ((n = recv(fd, buf + got, size - 1 - got, 0)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			*why_r = strerror(errno);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return (ssize_t)got;
}

void
cli_check_http(const char *endpoint, int timeout_ms,
    struct cli_check_verdict *v)
{
	static const char req[] = "GET /readyz HTTP/1.0\r\n"
	    "Host: localhost\r\nUser-Agent: postwarden-check\r\n"
	    "Connection: close\r\n\r\n";
	char buf[CLI_CHECK_HTTP_MAX];
	const char *why = NULL, *body;
	long long deadline = pw_clock_ms() + timeout_ms;
	int fd, code;
	char *p;

	v->status = CLI_CHECK_NOT_READY;
	if ((fd = cli_check_http_open(endpoint, deadline, &why)) < 0) {
		snprintf(v->detail, sizeof(v->detail), "no answer: %s", why);
		return;
	}
	if (cli_check_http_exchange(fd, req, buf, sizeof(buf), deadline,
	    &why) < 0) {
		close(fd);
		snprintf(v->detail, sizeof(v->detail), "no answer: %s", why);
		return;
	}
	close(fd);
	if (sscanf(buf, "HTTP/1.%*1[01] %3d", &code) != 1) {
		snprintf(v->detail, sizeof(v->detail), "not an HTTP answer");
		return;
	}
	body = strstr(buf, "\r\n\r\n");
	body = body != NULL ? body + 4 : "";
	snprintf(v->detail, sizeof(v->detail), "%s", body);
	/* One line per reason, without the last newline; no control bytes. */
	for (p = v->detail; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			*p = '?';
	while (p > v->detail && p[-1] == '\n')
		*--p = '\0';
	if (code == 200)
		v->status = CLI_CHECK_READY;
	else if (*v->detail == '\0')
		snprintf(v->detail, sizeof(v->detail), "HTTP %d", code);
}
