/*
 * pd_client.c -- a scriptable policy client for the daemon tests.
 *
 *   pd_client [-t ms] -w ENDPOINT
 *       poll until ENDPOINT accepts a connection or ms pass (exit 0/1).
 *   pd_client [-t ms] ENDPOINT STEP...
 *       run the steps in order; N is a connection number 0..7:
 *         cN        connect connection N
 *         sN:FILE   send FILE's bytes on N
 *         tN:TEXT   send TEXT on N, with escapes \n \r \xNN \\
 *         rN:K      read K replies on N; print each line as "N: line"
 *         eN        read until end of file on N; print "N: eof" (and
 *                   "N: unexpected: ..." for any bytes before it)
 *         xN        close N
 *         K:PID     send SIGTERM to PID
 *         L:FILE:TEXT  wait until FILE contains TEXT
 *   pd_client [-t ms] [-b ADDR] -n COUNT ENDPOINT burst:FILE
 *       open COUNT connections at once, send FILE on each, then read each
 *       one's reply within ms; print "replied=A eof=B timeout=C" (eof:
 *       closed without a reply; a failed connect counts as eof).
 *   pd_client [-t ms] [-b ADDR] -n COUNT ENDPOINT slow:FILE
 *       open COUNT connections and send FILE one byte per connection every
 *       POLL_SLOW_MS, until every connection is closed by the server or ms
 *       pass; print "closed=A open=B first_ms=F last_ms=L" (F, L: the
 *       earliest and latest close, measured from the first byte sent).
 *   Every read is bounded by -t (default 5000 ms); a timeout prints
 *   "N: timeout" and exits 1.  ENDPOINT is unix:/path or inet:host:port;
 *   -b binds inet connections to the source address ADDR first.
 *
 * Test support only: no untrusted input, blocking I/O, poll() deadlines.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../harness/endpoint.h"

#define PD_MAXCONN	8
/* -n: at most this many connections; slow: one byte each this often. */
#define PD_MASS_MAX	1000
#define PD_SLOW_MS	100

static int pd_timeout_ms = 5000;
static const char *pd_source;	/* -b */
static int pd_fd[PD_MAXCONN] = { -1, -1, -1, -1, -1, -1, -1, -1 };

static long long
pd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
pd_send(int n, const char *data, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(pd_fd[n], data, len)) < 0) {
			if (errno == EINTR)
				continue;
			printf("%d: write error: %s\n", n, strerror(errno));
			return;
		}
		data += w;
		len -= (size_t)w;
	}
}

/* Read one byte with the deadline; 1 byte, 0 eof, -1 timeout/error. */
static int
pd_getc(int n, long long deadline, char *c)
{
	struct pollfd pfd = { pd_fd[n], POLLIN, 0 };
	long long left;
	ssize_t r;

	for (;;) {
		left = deadline - pd_now_ms();
		if (left <= 0)
			return -1;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		r = read(pd_fd[n], c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == ECONNRESET)
			return 0;
		return r < 0 ? -1 : (int)r;
	}
}

/* Read k replies; print their lines. 0 ok, -1 timeout or eof. */
static int
pd_replies(int n, int k)
{
	long long deadline = pd_now_ms() + pd_timeout_ms;
	char line[4096];
	size_t len = 0;
	int r;
	char c;

	while (k > 0) {
		if ((r = pd_getc(n, deadline, &c)) <= 0) {
			printf("%d: %s\n", n, r == 0 ? "eof" : "timeout");
			return -1;
		}
		if (c != '\n') {
			if (len < sizeof(line) - 1)
				line[len++] = c;
			continue;
		}
		line[len] = '\0';
		if (len == 0)
			k--;
		else
			printf("%d: %s\n", n, line);
		len = 0;
	}
	return 0;
}

/* Read until end of file. 0 ok, -1 timeout. */
static int
pd_eof(int n)
{
	long long deadline = pd_now_ms() + pd_timeout_ms;
	int r;
	char c;

	while ((r = pd_getc(n, deadline, &c)) == 1)
		printf("%d: unexpected: %c\n", n, c);
	printf("%d: %s\n", n, r == 0 ? "eof" : "timeout");
	return r == 0 ? 0 : -1;
}

/* Send a file's contents. */
static void
pd_send_file(int n, const char *path)
{
	char buf[65536];
	size_t r;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL) {
		printf("%d: %s: %s\n", n, path, strerror(errno));
		exit(2);
	}
	while ((r = fread(buf, 1, sizeof(buf), fp)) > 0)
		pd_send(n, buf, r);
	fclose(fp);
}

/* Send text with "\n" escapes. */
static void
pd_send_text(int n, const char *text)
{
	size_t len = strlen(text), i, o = 0;
	char *buf = malloc(len + 1);
	unsigned int hex;

	if (buf == NULL)
		exit(2);
	for (i = 0; i < len; i++) {
		if (text[i] != '\\' || i + 1 == len) {
			buf[o++] = text[i];
			continue;
		}
		switch (text[++i]) {
		case 'n':
			buf[o++] = '\n';
			break;
		case 'r':
			buf[o++] = '\r';
			break;
		case 'x':
			if (sscanf(text + i + 1, "%2x", &hex) == 1) {
				buf[o++] = (char)hex;
				i += 2;
			}
			break;
		default:
			buf[o++] = text[i];
		}
	}
	pd_send(n, buf, o);
	free(buf);
}

/* "FILE:TEXT": poll until FILE contains TEXT. 0 ok, -1 timeout. */
static int
pd_wait_text(const char *arg)
{
	long long deadline = pd_now_ms() + pd_timeout_ms;
	const char *colon = strchr(arg, ':');
	char path[4096], *buf;
	size_t len;
	FILE *fp;

	if (colon == NULL || (size_t)(colon - arg) >= sizeof(path))
		return -1;
	snprintf(path, sizeof(path), "%.*s", (int)(colon - arg), arg);
	if ((buf = malloc(1 << 20)) == NULL)
		return -1;
	while (pd_now_ms() < deadline) {
		if ((fp = fopen(path, "r")) != NULL) {
			len = fread(buf, 1, (1 << 20) - 1, fp);
			fclose(fp);
			buf[len] = '\0';
			if (strstr(buf, colon + 1) != NULL) {
				free(buf);
				return 0;
			}
		}
		poll(NULL, 0, 20);
	}
	printf("timeout waiting for \"%s\" in %s\n", colon + 1, path);
	free(buf);
	return -1;
}

/* Read a whole file into a malloc'd buffer; exits on failure. */
static char *
pd_slurp(const char *path, size_t *len_r)
{
	char *buf = malloc(1 << 20);
	FILE *fp;

	if (buf == NULL || (fp = fopen(path, "rb")) == NULL) {
		printf("%s: %s\n", path, strerror(errno));
		exit(2);
	}
	*len_r = fread(buf, 1, (1 << 20) - 1, fp);
	fclose(fp);
	return buf;
}

/* The server closed fd (eof or reset)?  Never blocks. */
static bool
pd_closed(int fd)
{
	char c[256];
	ssize_t r;

	for (;;) {
		r = recv(fd, c, sizeof(c), MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return true;
		if (r < 0)
			return false;
	}
}

/* burst: every connection at once, each sends a request, reads a reply. */
static int
pd_burst(const char *endpoint, int count, const char *path)
{
	long long deadline;
	struct pollfd *pfd = calloc((size_t)count, sizeof(*pfd));
	int i, left = 0, replied = 0, eof = 0;
	size_t len;
	char *req = pd_slurp(path, &len), buf[256];
	ssize_t r;

	if (pfd == NULL)
		exit(2);
	for (i = 0; i < count; i++) {
		pfd[i].fd = pw_test_connect_from(endpoint, pd_source);
		pfd[i].events = POLLIN;
		if (pfd[i].fd < 0) {
			eof++;
			continue;
		}
		/* A refused connection may be reset before we write. */
		(void)send(pfd[i].fd, req, len, MSG_NOSIGNAL);
		left++;
	}
	deadline = pd_now_ms() + pd_timeout_ms;
	while (left > 0 && pd_now_ms() < deadline) {
		if (poll(pfd, (nfds_t)count, (int)(deadline - pd_now_ms())) <= 0)
			continue;
		for (i = 0; i < count; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			r = recv(pfd[i].fd, buf, sizeof(buf), 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r > 0)
				replied++;
			else
				eof++;
			/* Keep it open: an answered connection holds its slot. */
			pfd[i].fd = -1 - pfd[i].fd;
			left--;
		}
	}
	printf("replied=%d eof=%d timeout=%d\n", replied, eof, left);
	free(pfd);
	free(req);
	return 0;
}

/* slow: a byte at a time on every connection until the server closes. */
static int
pd_slow(const char *endpoint, int count, const char *path)
{
	long long start = -1, deadline, next, t, first = -1, last = -1;
	int *fd = calloc((size_t)count, sizeof(*fd));
	int i, open = 0, closed = 0;
	bool gone;
	size_t len, pos = 0;
	char *req = pd_slurp(path, &len);

	if (fd == NULL)
		exit(2);
	for (i = 0; i < count; i++) {
		if ((fd[i] = pw_test_connect_from(endpoint, pd_source)) < 0) {
			printf("connect: %s\n", strerror(errno));
			free(fd);
			free(req);
			return 1;
		}
		open++;
	}
	deadline = pd_now_ms() + pd_timeout_ms;
	for (next = pd_now_ms(); open > 0 && pd_now_ms() < deadline;
	    next += PD_SLOW_MS) {
		if ((t = next - pd_now_ms()) > 0)
			poll(NULL, 0, (int)t);
		if (start < 0)
			start = pd_now_ms();
		for (i = 0; i < count; i++) {
			if (fd[i] < 0)
				continue;
			gone = false;
			if (pos < len && send(fd[i], req + pos, 1,
			    MSG_NOSIGNAL) != 1)
				gone = errno == EPIPE || errno == ECONNRESET;
			if (!gone && !pd_closed(fd[i]))
				continue;
			t = pd_now_ms() - start;
			if (first < 0)
				first = t;
			last = t;
			close(fd[i]);
			fd[i] = -1;
			open--;
			closed++;
		}
		if (pos < len)
			pos++;
	}
	printf("closed=%d open=%d first_ms=%lld last_ms=%lld\n", closed, open,
	    first, last);
	free(fd);
	free(req);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *endpoint;
	long long deadline;
	int ch, i, n, wait = 0, fd, status = 0, mass = 0;

	while ((ch = getopt(argc, argv, "b:n:t:w")) != -1) {
		if (ch == 't')
			pd_timeout_ms = atoi(optarg);
		else if (ch == 'w')
			wait = 1;
		else if (ch == 'b')
			pd_source = optarg;
		else if (ch == 'n')
			mass = atoi(optarg);
		else
			return 2;
	}
	if (optind >= argc || mass < 0 || mass > PD_MASS_MAX)
		return 2;
	endpoint = argv[optind++];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (mass > 0) {
		if (optind + 1 != argc)
			return 2;
		if (strncmp(argv[optind], "burst:", 6) == 0)
			return pd_burst(endpoint, mass, argv[optind] + 6);
		if (strncmp(argv[optind], "slow:", 5) == 0)
			return pd_slow(endpoint, mass, argv[optind] + 5);
		return 2;
	}
	if (wait) {
		deadline = pd_now_ms() + pd_timeout_ms;
		while (pd_now_ms() < deadline) {
			if ((fd = pw_test_connect(endpoint)) >= 0) {
				close(fd);
				return 0;
			}
			poll(NULL, 0, 20);
		}
		return 1;
	}
	for (i = optind; i < argc; i++) {
		const char *s = argv[i];

		if (s[0] == 'K' && s[1] == ':') {
			if (kill((pid_t)atol(s + 2), SIGTERM) < 0)
				return 1;
			continue;
		}
		if (s[0] == 'L' && s[1] == ':') {
			if (pd_wait_text(s + 2) < 0)
				return 1;
			continue;
		}
		if (strlen(s) < 2 || s[1] < '0' || s[1] >= '0' + PD_MAXCONN)
			return 2;
		n = s[1] - '0';
		if (s[0] != 'c' && pd_fd[n] < 0) {
			printf("%d: not connected\n", n);
			return 1;
		}
		switch (s[0]) {
		case 'c':
			if ((pd_fd[n] = pw_test_connect_from(endpoint,
			    pd_source)) < 0) {
				printf("%d: connect: %s\n", n, strerror(errno));
				return 1;
			}
			break;
		case 's':
			pd_send_file(n, s + 3);
			break;
		case 't':
			pd_send_text(n, s + 3);
			break;
		case 'r':
			if (pd_replies(n, atoi(s + 3)) < 0)
				status = 1;
			break;
		case 'e':
			if (pd_eof(n) < 0)
				status = 1;
			break;
		case 'x':
			close(pd_fd[n]);
			pd_fd[n] = -1;
			break;
		default:
			return 2;
		}
		if (status != 0)
			return status;
	}
	return 0;
}
