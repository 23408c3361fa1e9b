/*
 * bench_policy.c -- load generator for Postfix policy servers: speaks the
 * policy delegation protocol over persistent connections, like a fleet of
 * smtpd processes, and reports throughput and latency.
 *
 *   bench_policy [-c conns] [-n requests] [-d depth] [-k keys] [-s]
 *                [-e every] [-r rate] [-t seconds] [-T tag] ENDPOINT
 *
 *   -c  connections, all open at once (default 50)
 *   -n  requests in all (default 100000)
 *   -d  requests in flight per connection (default 1, as Postfix)
 *   -k  distinct SASL user names k_bench0..k_bench<k-1> (default 1;
 *       0 sends no sasl_username); connection i uses k_bench<i % k>
 *   -s  spread: request n (of all) uses k_bench<n * 7919 % k> instead,
 *       so that every key is in use (7919 is prime: every key in turn
 *       when k is not a multiple of it)
 *   -e  after every e RCPT requests of a connection, one END-OF-MESSAGE
 *       for that transaction (default 0: never); each transaction has its
 *       own instance, so every RCPT is a new recipient
 *   -r  open loop: offer this many requests per second in all, spread
 *       over the connections (default 0: closed loop, every connection
 *       sends again as soon as it has its answer).  Latency counts from
 *       when a request was due, so a request that waits for a free
 *       connection counts its wait (no coordinated omission).
 *   -t  give up after this many seconds (default 60)
 *   -T  a tag to make instances unique between runs (default the pid)
 *   ENDPOINT  unix:/path or inet:host:port
 *
 * Output, one line: requests, seconds, requests per second, latency
 * percentiles (50, 90, 99, 99.9, max, in ms) and the count of each distinct
 * action (its first 24 characters).
 *
 * Benchmark tool only (tests/bench, not run by make check): one thread,
 * poll(2), non-blocking sockets; exits 1 on a protocol error or timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../harness/endpoint.h"

#define BENCH_BUF	65536
#define BENCH_ACTIONS	16

struct bench_conn {
	int		 fd;
	int		 id;
	long		 sent;		/* requests written */
	long		 answered;
	long		 txn;		/* transaction number */
	long		 in_txn;	/* RCPTs in it */
	char		 out[BENCH_BUF];
	size_t		 outlen, outoff;
	char		 in[BENCH_BUF];
	size_t		 inlen;
	double		*t_sent;	/* send times of requests in flight */
	int		 head, tail, depth;
};

static int conns = 50, depth = 1, nkeys = 1, every = 0, limit_s = 60;
static int spread;		/* -s: every request the next key */
static double rate;
static long total = 100000, issued, done;
static double *lat;
static char tag[32];
static char actions[BENCH_ACTIONS][25];
static long action_n[BENCH_ACTIONS];

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A non-blocking socket connected to endpoint, or -1. */
static int
bench_connect(const char *endpoint)
{
	int fd = pw_test_connect(endpoint);

	if (fd >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* Queue the next request of c, due at time due. */
static void
bench_queue(struct bench_conn *c, double due)
{
	char key[64], rcpt[96];
	bool eom = every > 0 && c->in_txn == every;
	int n;

	if (nkeys > 0)
		snprintf(key, sizeof(key), "k_bench%ld", spread ?
		    (issued * 7919) % nkeys : (long)(c->id % nkeys));
	else
		key[0] = '\0';
	if (eom)
		rcpt[0] = '\0';
	else
		snprintf(rcpt, sizeof(rcpt), "r%ld.%d.%ld.%s@example.net",
		    c->in_txn, c->id, c->txn, tag);
	n = snprintf(c->out + c->outlen, sizeof(c->out) - c->outlen,
	    "request=smtpd_access_policy\nprotocol_state=%s\n"
	    "protocol_name=ESMTP\nclient_address=192.0.2.%d\n"
	    "client_name=client%d.example\nhelo_name=client.example\n"
	    "sender=app@example.com\nrecipient=%s\n"
	    "recipient_count=%ld\nqueue_id=%s\n"
	    "instance=%s.%d.%ld\nsize=2048\nsasl_method=PLAIN\n"
	    "sasl_username=%s\nsasl_sender=\nccert_subject=\n"
	    "encryption_protocol=TLSv1.3\npolicy_context=\n"
	    "compatibility_level=3.6\nmail_version=3.7.11\n\n",
	    eom ? "END-OF-MESSAGE" : "RCPT", c->id % 250 + 1, c->id, rcpt,
	    eom ? c->in_txn : 0, eom ? "QBENCH" : "", tag, c->id, c->txn,
	    key);
	if (eom) {
		c->txn++;
		c->in_txn = 0;
	} else {
		c->in_txn++;
	}
	c->outlen += (size_t)n;
	c->t_sent[c->tail] = due;
	c->tail = (c->tail + 1) % depth;
	c->depth++;
	c->sent++;
	issued++;
}

static void
bench_count(const char *action)
{
	int i;

	for (i = 0; i < BENCH_ACTIONS && actions[i][0] != '\0'; i++)
		if (strncmp(actions[i], action, 24) == 0)
			break;
	if (i == BENCH_ACTIONS)
		return;
	if (actions[i][0] == '\0')
		snprintf(actions[i], sizeof(actions[i]), "%.24s", action);
	action_n[i]++;
}

/* Take complete replies from c->in.  -1 on a protocol error. */
static int
bench_replies(struct bench_conn *c)
{
	char *end;
	size_t used;

	while ((end = memmem(c->in, c->inlen, "\n\n", 2)) != NULL) {
		*end = '\0';
		if (strncmp(c->in, "action=", 7) != 0 || c->depth == 0)
			return -1;
		bench_count(c->in + 7);
		lat[done++] = bench_now() - c->t_sent[c->head];
		c->head = (c->head + 1) % depth;
		c->depth--;
		c->answered++;
		used = (size_t)(end - c->in) + 2;
		memmove(c->in, c->in + used, c->inlen - used);
		c->inlen -= used;
	}
	return 0;
}

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Open loop: queue every request due by now (request k is due at start
 * + k / rate) on connections with room, round robin; *next_r is when the
 * next one is due.  A due request with no free connection waits, and its
 * latency counts from when it was due; then true (wait for an answer).
 */
static bool
bench_offer(struct bench_conn *cs, double start, double now, double *next_r)
{
	static int rr;
	double due;
	int tried;

	for (;;) {
		due = start + (double)issued / rate;
		*next_r = due;
		if (issued >= total || due > now)
			return false;
		for (tried = 0; tried < conns; tried++) {
			struct bench_conn *c = &cs[rr];

			rr = (rr + 1) % conns;
			if (c->depth < depth &&
			    c->outlen + 2048 < sizeof(c->out)) {
				bench_queue(c, due);
				break;
			}
		}
		if (tried == conns)
			return true;
	}
}

int
main(int argc, char **argv)
{
	struct bench_conn *cs;
	struct pollfd *pfd;
	struct timespec ts;
	double start, secs, now, next = 0, wait;
	bool blocked = false;
	ssize_t r;
	int ch, i;

	snprintf(tag, sizeof(tag), "b%ld", (long)getpid());
	while ((ch = getopt(argc, argv, "c:n:d:k:e:r:st:T:")) != -1) {
		switch (ch) {
		case 'c': conns = atoi(optarg); break;
		case 'n': total = atol(optarg); break;
		case 'd': depth = atoi(optarg); break;
		case 'k': nkeys = atoi(optarg); break;
		case 'e': every = atoi(optarg); break;
		case 's': spread = 1; break;
		case 'r': rate = atof(optarg); break;
		case 't': limit_s = atoi(optarg); break;
		case 'T': snprintf(tag, sizeof(tag), "%s", optarg); break;
		default: return 2;
		}
	}
	if (optind + 1 != argc || conns < 1 || depth < 1 || total < 1 ||
	    depth > 64 || rate < 0) {
		fprintf(stderr, "usage: bench_policy [-c conns] [-n requests] "
		    "[-d depth] [-k keys] [-s] [-e every] [-r rate] [-t s] "
		    "[-T tag] ENDPOINT\n");
		return 2;
	}
	cs = calloc((size_t)conns, sizeof(*cs));
	pfd = calloc((size_t)conns, sizeof(*pfd));
	lat = calloc((size_t)total, sizeof(*lat));
	if (cs == NULL || pfd == NULL || lat == NULL)
		return 1;
	for (i = 0; i < conns; i++) {
		cs[i].id = i;
		cs[i].t_sent = calloc((size_t)depth, sizeof(double));
		if ((cs[i].fd = bench_connect(argv[optind])) < 0) {
			fprintf(stderr, "connect %s: %s\n", argv[optind],
			    strerror(errno));
			return 1;
		}
	}
	start = bench_now();
	while (done < total) {
		if (bench_now() - start > limit_s) {
			fprintf(stderr, "timeout: %ld of %ld answered\n", done,
			    total);
			return 1;
		}
		now = bench_now();
		if (rate > 0)
			blocked = bench_offer(cs, start, now, &next);
		for (i = 0; i < conns; i++) {
			struct bench_conn *c = &cs[i];

			while (rate == 0 && c->depth < depth &&
			    issued < total && c->outlen + 2048 < sizeof(c->out))
				bench_queue(c, now);
			pfd[i].fd = c->fd;
			pfd[i].events = POLLIN |
			    (c->outoff < c->outlen ? POLLOUT : 0);
		}
		/* Open loop: wake up when the next request is due. */
		wait = 1.0;
		if (rate > 0 && !blocked && issued < total && next - now < wait)
			wait = next > now ? next - now : 0;
		ts.tv_sec = (time_t)wait;
		ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
		if (ppoll(pfd, (nfds_t)conns, &ts, NULL) < 0 && errno != EINTR)
			return 1;
		for (i = 0; i < conns; i++) {
			struct bench_conn *c = &cs[i];

			if (pfd[i].revents & POLLOUT) {
				r = write(c->fd, c->out + c->outoff,
				    c->outlen - c->outoff);
				if (r > 0)
					c->outoff += (size_t)r;
				if (c->outoff == c->outlen)
					c->outoff = c->outlen = 0;
			}
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				r = read(c->fd, c->in + c->inlen,
				    sizeof(c->in) - c->inlen - 1);
				if (r <= 0) {
					if (r < 0 && errno == EAGAIN)
						continue;
					fprintf(stderr, "connection %d "
					    "closed\n", i);
					return 1;
				}
				c->inlen += (size_t)r;
				if (bench_replies(c) < 0) {
					fprintf(stderr, "protocol error\n");
					return 1;
				}
			}
		}
	}
	secs = bench_now() - start;
	qsort(lat, (size_t)done, sizeof(*lat), bench_cmp);
	printf("requests=%ld seconds=%.2f rps=%.0f p50=%.2fms p90=%.2fms "
	    "p99=%.2fms p99.9=%.2fms max=%.2fms", done, secs, done / secs,
	    lat[done / 2] * 1e3, lat[done * 9 / 10] * 1e3,
	    lat[done * 99 / 100] * 1e3, lat[done * 999 / 1000] * 1e3,
	    lat[done - 1] * 1e3);
	for (i = 0; i < BENCH_ACTIONS && actions[i][0] != '\0'; i++)
		printf(" [%s]=%ld", actions[i], action_n[i]);
	printf("\n");
	return 0;
}
