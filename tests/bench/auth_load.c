/*
 * auth_load.c -- load generator for Dovecot-protocol authentication
 * servers (postwarden-policyd's auth_listen, Dovecot's auth-client
 * socket): speaks the client side of the protocol exactly as Postfix's
 * smtpd does (src/xsasl/xsasl_dovecot_server.c) over persistent
 * connections, and reports logins per second and latency.
 *
 *   auth_load [-c conns] [-n logins | -d seconds] [-r rate] [-v]
 *             [-t seconds] [-L lip] [-R rip] USERFILE ENDPOINT
 *
 *   -c  connections, each one smtpd process (default 16)
 *   -n  logins in all (default 100000), or
 *   -d  run for this many seconds instead
 *   -r  logins per second offered: login i is due at start + i / rate
 *       and goes out on the first connection free at or after that
 *       time; its latency counts from when it was due, so a server (or
 *       a connection count) that falls behind shows it (default: closed
 *       loop, each connection sends its next login at once)
 *   -v  verified logins: every reply must be OK with a user= field (and,
 *       when USERFILE gives a third column, that user name); anything
 *       else is reported and the exit status is 1
 *   -t  give up after this many seconds without progress (default 30)
 *   -L  lip= of the requests (default 127.0.0.1)
 *   -R  rip= of the requests (default 127.0.0.2)
 *   USERFILE  one login a line: user TAB password [TAB expected user=];
 *       the logins go round the lines in order, across connections
 *   ENDPOINT  unix:/path or inet:host:port
 *
 * Per connection, as smtpd: connect, send "VERSION\t1\t0" and "CPID\tN",
 * read the server's handshake up to DONE (VERSION major 1 and a MECH
 * PLAIN line required, as smtpd needs PLAIN to offer it), then one AUTH
 * at a time, closed loop:
 *   AUTH <id> PLAIN service=smtp nologin lip=.. rip=.. secured resp=..
 * with resp the base64 of NUL user NUL password (PLAIN's initial
 * response), ids counting up per connection, and wait for the OK, FAIL
 * or CONT carrying that id (a reply with another id is skipped, as smtpd
 * does).  Each connection stands for one smtpd process, so each gives
 * its own CPID (getpid() * 1000 + its number): Dovecot refuses a second
 * connection that gives a CPID already connected.  A connection the
 * server drops counts as "lost" (smtpd answers 454) and is made again.
 *
 * Output, one line: logins, seconds, logins per second, the count of
 * OK, FAIL, CONT, lost, latency percentiles (50, 99, 99.9, max, in ms),
 * and the client's own CPU time per login (µs, handshakes included).
 *
 * Benchmark tool only (tests/bench, not run by make check): one thread,
 * epoll, non-blocking sockets after a blocking handshake.  Exit 1 on a
 * protocol error, a timeout, or (-v) any login that is not OK.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "../harness/endpoint.h"

#define AL_LINE		8192	/* longest reply line taken */
#define AL_OUT		2048	/* longest request */

struct al_user {
	char	*resp;		/* base64 of NUL user NUL password */
	char	*expect;	/* expected user= or NULL */
};

struct al_conn {
	int		 fd;
	int		 n;		/* its number: CPID and output */
	unsigned	 id;		/* last request id */
	size_t		 user;		/* the user of the request in flight */
	double		 t_sent;
	char		 out[AL_OUT];
	size_t		 outlen, outoff;
	char		 in[AL_LINE];
	size_t		 inlen;
};

static const char *endpoint, *lip = "127.0.0.1", *rip = "127.0.0.2";
static int conns = 16, limit_s = 30;
static double duration, rate;
static long next_due;		/* -r: the index of the next login due */
static bool verify;
static long total = 100000, issued, done;
static long n_ok, n_fail, n_cont, n_lost, n_bad;
static struct al_user *users;
static size_t nusers, next_user;
static double *lat;
static size_t lat_cap;

static double
al_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Base64 (RFC 4648, padded) of len bytes of in; malloc'ed. */
static char *
al_base64(const unsigned char *in, size_t len)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc(4 * ((len + 2) / 3) + 1), *o = out;
	size_t i;

	if (out == NULL)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = a[in[i] >> 2];
		*o++ = a[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*o++ = a[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*o++ = a[in[i + 2] & 63];
	}
	if (i < len) {
		*o++ = a[in[i] >> 2];
		if (i + 1 < len) {
			*o++ = a[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
			*o++ = a[(in[i + 1] & 15) << 2];
		} else {
			*o++ = a[(in[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/* Read USERFILE into users[]: -1 on an error. */
static int
al_users_load(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024], plain[1024], *pass, *exp, *nl;
	size_t cap = 0, ulen, plen;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if ((pass = strchr(line, '\t')) == NULL) {
			fprintf(stderr, "%s: a line without a TAB\n", path);
			fclose(f);
			return -1;
		}
		*pass++ = '\0';
		if ((exp = strchr(pass, '\t')) != NULL)
			*exp++ = '\0';
		ulen = strlen(line);
		plen = strlen(pass);
		if (ulen + plen + 2 > sizeof(plain))
			continue;
		if (nusers == cap) {
			cap = cap ? cap * 2 : 256;
			users = realloc(users, cap * sizeof(*users));
			if (users == NULL)
				return -1;
		}
		plain[0] = '\0';
		memcpy(plain + 1, line, ulen);
		plain[1 + ulen] = '\0';
		memcpy(plain + 2 + ulen, pass, plen);
		users[nusers].resp = al_base64((unsigned char *)plain,
		    ulen + plen + 2);
		users[nusers].expect = exp != NULL && *exp != '\0' ?
		    strdup(exp) : NULL;
		nusers++;
	}
	fclose(f);
	if (nusers == 0) {
		fprintf(stderr, "%s: no users\n", path);
		return -1;
	}
	return 0;
}

/*
 * Connect c and go through the handshake, blocking, as
 * xsasl_dovecot_server_connect; then make the socket non-blocking.
 * -1 (why on stderr) if the server is not an auth-client socket with
 * PLAIN.
 */
static int
al_connect(struct al_conn *c)
{
	char hello[64], buf[AL_LINE], *line, *nl;
	size_t len = 0;
	bool mech_plain = false, mech = false;
	ssize_t r;
	int n;

	if ((c->fd = pw_test_connect(endpoint)) < 0) {
		fprintf(stderr, "connect %s: %s\n", endpoint, strerror(errno));
		return -1;
	}
	n = snprintf(hello, sizeof(hello), "VERSION\t1\t0\nCPID\t%ld\n",
	    (long)getpid() * 1000 + c->n);
	if (write(c->fd, hello, (size_t)n) != n) {
		fprintf(stderr, "connection %d: cannot send the handshake\n",
		    c->n);
		return -1;
	}
	for (;;) {
		while ((nl = memchr(buf, '\n', len)) == NULL) {
			if (len == sizeof(buf) - 1 || (r = read(c->fd,
			    buf + len, sizeof(buf) - 1 - len)) <= 0) {
				fprintf(stderr, "connection %d: handshake "
				    "cut short\n", c->n);
				return -1;
			}
			len += (size_t)r;
		}
		*nl = '\0';
		line = buf;
		if (strncmp(line, "VERSION\t", 8) == 0 &&
		    strncmp(line + 8, "1\t", 2) != 0) {
			fprintf(stderr, "connection %d: protocol version %s\n",
			    c->n, line + 8);
			return -1;
		}
		if (strncmp(line, "MECH\t", 5) == 0) {
			mech = true;
			if (strncasecmp(line + 5, "PLAIN", 5) == 0 &&
			    (line[10] == '\t' || line[10] == '\0'))
				mech_plain = true;
		}
		if (strncmp(line, "SPID", 4) == 0 && !mech) {
			fprintf(stderr, "connection %d: not an auth-client "
			    "socket (SPID before MECH)\n", c->n);
			return -1;
		}
		if (strcmp(line, "DONE") == 0)
			break;
		len -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, len);
	}
	if (!mech_plain) {
		fprintf(stderr, "connection %d: no MECH PLAIN\n", c->n);
		return -1;
	}
	/* Nothing follows DONE before the first request. */
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	c->inlen = 0;
	c->outlen = c->outoff = 0;
	return 0;
}

/* Queue the next login of c, due at t (its latency counts from there). */
static void
al_queue_at(struct al_conn *c, double t)
{
	c->user = next_user;
	next_user = (next_user + 1) % nusers;
	c->id++;
	c->outlen = (size_t)snprintf(c->out, sizeof(c->out),
	    "AUTH\t%u\tPLAIN\tservice=smtp\tnologin\tlip=%s\trip=%s\t"
	    "secured\tresp=%s\n", c->id, lip, rip, users[c->user].resp);
	c->outoff = 0;
	c->t_sent = t;
	issued++;
}

static void
al_queue(struct al_conn *c)
{
	al_queue_at(c, al_now());
}

/* -r: when login i is due. */
static double
al_due(double start, long i)
{
	return start + (double)i / rate;
}

/* Send c's queued request, waiting for EPOLLOUT when it does not fit. */
static void
al_send(int ep, struct al_conn *c)
{
	struct epoll_event ev;
	ssize_t r;

	r = write(c->fd, c->out, c->outlen);
	c->outoff = r > 0 ? (size_t)r : 0;
	if (c->outoff < c->outlen) {
		ev.events = EPOLLIN | EPOLLOUT;
		ev.data.ptr = c;
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	}
}

static void
al_latency(double t)
{
	if ((size_t)done == lat_cap) {
		lat_cap = lat_cap ? lat_cap * 2 : 65536;
		if ((lat = realloc(lat, lat_cap * sizeof(*lat))) == NULL) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
	}
	lat[done++] = t;
}

/* A reply line of c (NUL-terminated): 1 if it answers the request. */
static int
al_reply(struct al_conn *c, char *line)
{
	char *cmd = line, *id, *args, *user = NULL, *p;
	bool ok;

	if ((id = strchr(line, '\t')) == NULL)
		return 0;
	*id++ = '\0';
	if ((args = strchr(id, '\t')) != NULL)
		*args++ = '\0';
	if (strtoul(id, NULL, 0) != c->id)
		return 0;		/* another request's: skipped */
	if (strcmp(cmd, "OK") == 0)
		n_ok++;
	else if (strcmp(cmd, "FAIL") == 0)
		n_fail++;
	else if (strcmp(cmd, "CONT") == 0)
		n_cont++;
	else
		return 0;		/* unknown: ignored, as smtpd */
	al_latency(al_now() - c->t_sent);
	ok = strcmp(cmd, "OK") == 0;
	for (p = args; ok && p != NULL; p = strchr(p, '\t')) {
		if (*p == '\t')
			p++;
		if (strncmp(p, "user=", 5) == 0) {
			user = p + 5;
			if ((p = strchr(user, '\t')) != NULL)
				*p = '\0';
			break;
		}
	}
	if (verify && (!ok || user == NULL || (users[c->user].expect &&
	    strcmp(user, users[c->user].expect) != 0))) {
		if (n_bad++ < 5)
			fprintf(stderr, "connection %d, request %u: %s%s%s\n",
			    c->n, c->id, cmd, user ? " user=" : "",
			    user ? user : (ok ? " without user=" : ""));
	}
	return 1;
}

static int
al_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static bool
al_more(double start)
{
	if (duration > 0)
		return al_now() - start < duration;
	return issued < total;
}

int
main(int argc, char **argv)
{
	struct epoll_event ev, *evs;
	struct al_conn *cs, *c, **idle;
	struct timespec wait;
	struct rusage ru;
	double start, secs, last, cpu;
	char *nl;
	ssize_t r;
	long inflight = 0;
	int ch, i, k, ep, nev, nidle = 0;
	double now, due;

	while ((ch = getopt(argc, argv, "c:n:d:r:vt:L:R:")) != -1) {
		switch (ch) {
		case 'c': conns = atoi(optarg); break;
		case 'n': total = atol(optarg); break;
		case 'd': duration = atof(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 'v': verify = true; break;
		case 't': limit_s = atoi(optarg); break;
		case 'L': lip = optarg; break;
		case 'R': rip = optarg; break;
		default: return 2;
		}
	}
	if (optind + 2 != argc || conns < 1 || total < 1 || duration < 0 ||
	    rate < 0) {
		fprintf(stderr, "usage: auth_load [-c conns] [-n logins | "
		    "-d seconds] [-r rate] [-v] [-t s] [-L lip] [-R rip] "
		    "USERFILE ENDPOINT\n");
		return 2;
	}
	endpoint = argv[optind + 1];
	if (al_users_load(argv[optind]) < 0)
		return 1;
	cs = calloc((size_t)conns, sizeof(*cs));
	evs = calloc((size_t)conns, sizeof(*evs));
	idle = calloc((size_t)conns, sizeof(*idle));
	if (cs == NULL || evs == NULL || idle == NULL ||
	    (ep = epoll_create1(0)) < 0)
		return 1;
	for (i = 0; i < conns; i++) {
		cs[i].n = i;
		if (al_connect(&cs[i]) < 0)
			return 1;
		ev.events = EPOLLIN;
		ev.data.ptr = &cs[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
	}
	start = last = al_now();
	for (i = 0; i < conns; i++) {
		if (rate > 0) {
			idle[nidle++] = &cs[i];
		} else if (al_more(start)) {
			al_queue(&cs[i]);
			inflight++;
			al_send(ep, &cs[i]);
		}
	}
	while (inflight > 0 || (rate > 0 && al_more(start))) {
		/* -r: the logins now due, each on a free connection. */
		wait.tv_sec = 1;
		wait.tv_nsec = 0;
		while (rate > 0 && nidle > 0 && al_more(start)) {
			now = al_now();
			due = al_due(start, next_due);
			if (due > now) {
				wait.tv_sec = (time_t)(due - now);
				wait.tv_nsec = (long)((due - now -
				    (double)wait.tv_sec) * 1e9);
				break;
			}
			c = idle[--nidle];
			al_queue_at(c, due);
			next_due++;
			inflight++;
			last = now;
			al_send(ep, c);
		}
		if (al_now() - last > limit_s) {
			fprintf(stderr, "timeout: no answer for %d s, %ld in "
			    "flight\n", limit_s, inflight);
			return 1;
		}
		if ((nev = epoll_pwait2(ep, evs, conns, &wait, NULL)) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		for (k = 0; k < nev; k++) {
			c = evs[k].data.ptr;
			if (evs[k].events & EPOLLOUT) {
				r = write(c->fd, c->out + c->outoff,
				    c->outlen - c->outoff);
				if (r > 0)
					c->outoff += (size_t)r;
				if (c->outoff == c->outlen) {
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_MOD, c->fd,
					    &ev);
				}
			}
			if (!(evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				continue;
			r = read(c->fd, c->in + c->inlen,
			    sizeof(c->in) - 1 - c->inlen);
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r <= 0) {
				/* Dropped: smtpd answers 454, reconnects. */
				n_lost++;
				inflight--;
				if (verify && n_bad++ < 5)
					fprintf(stderr, "connection %d "
					    "dropped at request %u\n", c->n,
					    c->id);
				close(c->fd);
				if (al_connect(c) < 0)
					return 1;
				last = al_now();
				ev.events = EPOLLIN;
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
				goto next;
			}
			c->inlen += (size_t)r;
			if (c->inlen == sizeof(c->in) - 1 &&
			    memchr(c->in, '\n', c->inlen) == NULL) {
				fprintf(stderr, "connection %d: reply line "
				    "too long\n", c->n);
				return 1;
			}
			while ((nl = memchr(c->in, '\n', c->inlen)) != NULL) {
				size_t used = (size_t)(nl - c->in) + 1;
				int answered;

				*nl = '\0';
				answered = al_reply(c, c->in);
				memmove(c->in, nl + 1, c->inlen - used);
				c->inlen -= used;
				if (!answered)
					continue;
				inflight--;
				last = al_now();
				goto next;
			}
			continue;
next:
			/* One request at a time, as smtpd: the next one. */
			if (rate > 0) {
				idle[nidle++] = c;
				continue;
			}
			if (!al_more(start))
				continue;
			al_queue(c);
			inflight++;
			al_send(ep, c);
		}
	}
	secs = al_now() - start;
	if (done == 0) {
		fprintf(stderr, "no login answered\n");
		return 1;
	}
	qsort(lat, (size_t)done, sizeof(*lat), al_cmp);
	getrusage(RUSAGE_SELF, &ru);
	cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	printf("logins=%ld seconds=%.2f rate=%.0f ok=%ld fail=%ld cont=%ld "
	    "lost=%ld p50=%.3fms p99=%.3fms p99.9=%.3fms max=%.3fms "
	    "client_cpu=%.1fus\n",
	    done + n_lost, secs, (done + n_lost) / secs, n_ok, n_fail,
	    n_cont, n_lost, lat[done / 2] * 1e3, lat[done * 99 / 100] * 1e3,
	    lat[done * 999 / 1000] * 1e3, lat[done - 1] * 1e3,
	    cpu * 1e6 / (double)(done + n_lost));
	if (verify && n_bad > 0) {
		fprintf(stderr, "%ld logins not verified\n", n_bad);
		return 1;
	}
	return 0;
}
