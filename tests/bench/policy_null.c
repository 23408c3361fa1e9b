/*
 * policy_null.c -- a do-nothing Postfix policy server, the floor of the
 * policy benchmark (issue 17's "protocol floor"): it reads requests over
 * persistent connections and answers each one "action=DUNNO" without
 * parsing it (a request ends at its empty line).  One thread and one
 * epoll loop, like postwarden-policyd's event loop; what a policy server
 * can do at all over this load generator and this loopback.
 *
 *   policy_null PORT        listen on 127.0.0.1:PORT until SIGTERM
 *
 * Benchmark tool only (tests/bench/bench-policyd.sh, not run by make
 * check).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define NULL_MAXFD	65536
#define NULL_REPLY	"action=DUNNO\n\n"
#define NULL_REPLYLEN	(sizeof(NULL_REPLY) - 1)
#define NULL_BATCH	256	/* replies written at once at most */

struct null_conn {
	long	owed;		/* replies not yet written */
	size_t	off;		/* bytes of the first of them written */
	int	nl;		/* the last byte read was a newline */
	int	armed;		/* EPOLLOUT is asked for */
};

static struct null_conn *conns;
static char replies[NULL_BATCH * NULL_REPLYLEN];

/* Count the requests that end in buf[0..n) (an empty line each). */
static long
null_scan(struct null_conn *c, const char *buf, size_t n)
{
	const char *p = buf, *end = buf + n, *q;
	long k = 0;

	while (p < end) {
		if (c->nl && *p == '\n') {
			k++;
			c->nl = 0;
			p++;
			continue;
		}
		if ((q = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			c->nl = 0;
			break;
		}
		c->nl = 1;
		p = q + 1;
	}
	return k;
}

/* Write what c owes.  0 when all is written, 1 when the socket is full,
 * -1 on an error. */
static int
null_flush(int fd, struct null_conn *c)
{
	while (c->owed > 0) {
		long k = c->owed < NULL_BATCH ? c->owed : NULL_BATCH;
		size_t len = (size_t)k * NULL_REPLYLEN - c->off;
		ssize_t r = write(fd, replies + c->off, len);

		if (r < 0)
			return errno == EAGAIN ? 1 : -1;
		c->owed -= (long)((c->off + (size_t)r) / NULL_REPLYLEN);
		c->off = (c->off + (size_t)r) % NULL_REPLYLEN;
	}
	return 0;
}

static void
null_close(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	memset(&conns[fd], 0, sizeof(conns[fd]));
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	struct epoll_event ev, evs[256];
	char buf[65536];
	int lfd, ep, n, i, one = 1;

	if (argc != 2 || atoi(argv[1]) <= 0 || atoi(argv[1]) > 65535) {
		fprintf(stderr, "usage: policy_null PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < NULL_BATCH; i++)
		memcpy(replies + (size_t)i * NULL_REPLYLEN, NULL_REPLY,
		    NULL_REPLYLEN);
	conns = calloc(NULL_MAXFD, sizeof(*conns));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(argv[1]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (conns == NULL ||
	    (lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(lfd, 1024) < 0 || (ep = epoll_create1(0)) < 0) {
		perror("policy_null");
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		if ((n = epoll_wait(ep, evs, 256, -1)) < 0) {
			if (errno == EINTR)
				continue;
			perror("epoll_wait");
			return 1;
		}
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd, st;
			struct null_conn *c = &conns[fd];
			ssize_t r;

			if (fd == lfd) {
				while ((fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK)) >= 0) {
					if (fd >= NULL_MAXFD) {
						close(fd);
						continue;
					}
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY,
					    &one, sizeof(one));
					ev.events = EPOLLIN;
					ev.data.fd = fd;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
				r = read(fd, buf, sizeof(buf));
				if (r == 0 || (r < 0 && errno != EAGAIN)) {
					null_close(ep, fd);
					continue;
				}
				if (r > 0)
					c->owed += null_scan(c, buf, (size_t)r);
			}
			if ((st = null_flush(fd, c)) < 0) {
				null_close(ep, fd);
				continue;
			}
			/* Wait for room only while replies are owed. */
			if (c->armed != (st == 1)) {
				c->armed = st == 1;
				ev.events = EPOLLIN | (c->armed ? EPOLLOUT : 0);
				ev.data.fd = fd;
				epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
			}
		}
	}
}
