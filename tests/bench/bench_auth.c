/*
 * bench_auth.c -- load generator for SASL servers speaking the Dovecot
 * authentication protocol (postwarden-policyd's auth_listen, Dovecot's
 * auth-client socket): persistent connections, as smtpd keeps them, each
 * sending AUTH PLAIN with an initial response as soon as it has the
 * answer to the last one (closed loop), and reports throughput and
 * latency.
 *
 *   bench_auth [-c conns] [-n logins] [-t seconds] ENDPOINT CREDFILE
 *
 *   -c  connections, all open at once (default 16)
 *   -n  logins in all (default 100000)
 *   -t  give up after this many seconds (default 60)
 *   CREDFILE  lines "user password"; logins take them in turn
 *
 * Output, one line: logins, seconds, logins per second, latency
 * percentiles (50, 90, 99, max, in ms), and the number of OK and FAIL
 * answers.
 *
 * Benchmark tool only (tests/bench, not run by make check): one thread,
 * poll(2); exits 1 on a protocol error, a closed connection or timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../harness/endpoint.h"

#define BENCH_BUF	8192

struct bench_conn {
	int		 fd;
	unsigned	 id;		/* last request id */
	double		 t_sent;
	char		 in[BENCH_BUF];
	size_t		 inlen;
};

static int conns = 16, limit_s = 60;
static long total = 100000, issued, done, n_ok, n_fail;
static double *lat;
static char **creds;		/* "resp=" values, base64 PLAIN */
static size_t ncreds;

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
bench_die(const char *what)
{
	fprintf(stderr, "bench_auth: %s\n", what);
	exit(1);
}

/* Read CREDFILE into base64 PLAIN messages. */
static void
bench_creds(const char *path)
{
	char line[1024], msg[1024];
	unsigned char b64[1400];
	FILE *fp = fopen(path, "r");
	char *user, *pass, *sp;
	size_t ul, pl;

	if (fp == NULL)
		bench_die("cannot open the credentials file");
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		*sp = '\0';
		user = line;
		pass = sp + 1;
		ul = strlen(user);
		pl = strlen(pass);
		if (ul + pl + 2 > sizeof(msg))
			continue;
		msg[0] = '\0';
		memcpy(msg + 1, user, ul);
		msg[1 + ul] = '\0';
		memcpy(msg + 2 + ul, pass, pl);
		EVP_EncodeBlock(b64, (unsigned char *)msg, (int)(ul + pl + 2));
		creds = realloc(creds, (ncreds + 1) * sizeof(*creds));
		if (creds == NULL || (creds[ncreds] = strdup((char *)b64)) ==
		    NULL)
			bench_die("out of memory");
		ncreds++;
	}
	fclose(fp);
	if (ncreds == 0)
		bench_die("no credentials");
}

/* Blocking: read the handshake up to DONE, send VERSION and CPID. */
static void
bench_handshake(struct bench_conn *c)
{
	char hello[64];
	ssize_t n;

	for (;;) {
		if (c->inlen > 0 && (strstr(c->in, "\nDONE\n") != NULL ||
		    strncmp(c->in, "DONE\n", 5) == 0))
			break;
		n = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
		if (n <= 0)
			bench_die("handshake: connection closed");
		c->inlen += (size_t)n;
		c->in[c->inlen] = '\0';
	}
	c->inlen = 0;
	snprintf(hello, sizeof(hello), "VERSION\t1\t0\nCPID\t%d\n",
	    (int)getpid());
	if (write(c->fd, hello, strlen(hello)) != (ssize_t)strlen(hello))
		bench_die("handshake: write");
	(void)fcntl(c->fd, F_SETFL, O_NONBLOCK);
}

static void
bench_send(struct bench_conn *c)
{
	char req[BENCH_BUF];
	int len;

	c->id++;
	len = snprintf(req, sizeof(req), "AUTH\t%u\tPLAIN\tservice=smtp\t"
	    "nologin\tlip=127.0.0.1\trip=127.0.0.1\tsecured\tresp=%s\n",
	    c->id, creds[issued % (long)ncreds]);
	issued++;
	c->t_sent = bench_now();
	if (write(c->fd, req, (size_t)len) != len)
		bench_die("write (a full socket buffer is not expected)");
}

/* Take the answers in c->in; send the next login after each. */
static void
bench_read(struct bench_conn *c)
{
	char *nl, *line;
	ssize_t n;

	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
	if (n == 0)
		bench_die("connection closed by the server");
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		bench_die("read");
	}
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	line = c->in;
	while ((nl = strchr(line, '\n')) != NULL) {
		*nl = '\0';
		if (strncmp(line, "OK\t", 3) == 0)
			n_ok++;
		else if (strncmp(line, "FAIL\t", 5) == 0)
			n_fail++;
		else
			bench_die("unexpected answer");
		lat[done++] = (bench_now() - c->t_sent) * 1000.0;
		if (issued < total)
			bench_send(c);
		line = nl + 1;
	}
	c->inlen = strlen(line);
	memmove(c->in, line, c->inlen + 1);
}

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct bench_conn *cs;
	struct pollfd *pfd;
	double t0, t1;
	int ch, i;

	while ((ch = getopt(argc, argv, "c:n:t:")) != -1) {
		switch (ch) {
		case 'c': conns = atoi(optarg); break;
		case 'n': total = atol(optarg); break;
		case 't': limit_s = atoi(optarg); break;
		default: bench_die("usage: bench_auth [-c conns] [-n logins] "
		    "[-t seconds] ENDPOINT CREDFILE");
		}
	}
	if (argc - optind != 2 || conns < 1 || total < conns)
		bench_die("usage: bench_auth [-c conns] [-n logins] "
		    "[-t seconds] ENDPOINT CREDFILE");
	bench_creds(argv[optind + 1]);
	lat = calloc((size_t)total, sizeof(*lat));
	cs = calloc((size_t)conns, sizeof(*cs));
	pfd = calloc((size_t)conns, sizeof(*pfd));
	if (lat == NULL || cs == NULL || pfd == NULL)
		bench_die("out of memory");
	for (i = 0; i < conns; i++) {
		if ((cs[i].fd = pw_test_connect(argv[optind])) < 0)
			bench_die("cannot connect");
		bench_handshake(&cs[i]);
		pfd[i].fd = cs[i].fd;
		pfd[i].events = POLLIN;
	}
	t0 = bench_now();
	for (i = 0; i < conns; i++)
		bench_send(&cs[i]);
	while (done < total) {
		if (bench_now() - t0 > limit_s)
			bench_die("timeout");
		if (poll(pfd, (nfds_t)conns, 1000) < 0 && errno != EINTR)
			bench_die("poll");
		for (i = 0; i < conns; i++)
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				bench_read(&cs[i]);
	}
	t1 = bench_now();
	qsort(lat, (size_t)done, sizeof(*lat), bench_cmp);
	printf("logins=%ld seconds=%.2f per_s=%.0f p50=%.3f p90=%.3f "
	    "p99=%.3f max=%.3f ok=%ld fail=%ld\n", done, t1 - t0,
	    done / (t1 - t0), lat[done / 2], lat[done * 9 / 10],
	    lat[done * 99 / 100], lat[done - 1], n_ok, n_fail);
	return 0;
}
