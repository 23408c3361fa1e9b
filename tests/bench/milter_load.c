/*
 * milter_load.c -- load generator speaking the MTA side of the milter
 * protocol (version 6, as Postfix does), for benchmarking milters.
 *
 *   milter_load -s SOCKET [-c CONNS] [-n MESSAGES] [-m PER_CONN]
 *               [-b BODY_BYTES] [-k CHUNK] [-a AUTH_USER] [-d DOMAIN]
 *               [-D SENDERS_FILE [-o OFFSET] [-R]]
 *
 * CONNS threads each open milter connections (unix socket) and send
 * PER_CONN messages on each, like Postfix sessions, until MESSAGES are
 * done in all: negotiation (offering what Postfix 3.7 offers: every
 * SMFIP_NO* and SMFIP_NR_* step flag, SMFIP_SKIP, SMFIP_HDR_LEADSPC),
 * connect, MAIL with {auth_authen}, RCPT, DATA, 10 header fields, end of
 * headers, the body in CHUNK-byte pieces, end of message; it honours what
 * the milter negotiated (steps not sent, replies not awaited) and
 * SMFIS_SKIP.  Before each stage it sends that stage's macros as
 * Postfix does with its default milter_*_macros (the queue id "i" before
 * every header, end of headers, body chunk and end of message), also for
 * a stage the milter asked not to get.  Output is coalesced as in
 * Postfix: what needs no reply goes out with the next packet that does,
 * in one writev(2).  It prints messages per second, latency percentiles
 * (MAIL to the final end-of-message reply), how many DKIM-Signature
 * fields the milter added per message, how many modifications (added,
 * inserted, changed headers, recipients, sender) it sent per message and
 * their bytes, and its own write and read system calls per message.
 *
 * With -D, each message takes its {auth_authen} and sender domain (MAIL
 * FROM, From:, Message-ID) from one line "AUTH DOMAIN" of SENDERS_FILE
 * instead of -a and -d: message i (counted from 0 in this run) uses line
 * (i + OFFSET) mod lines, or with -R the line a hash of i + OFFSET picks
 * (uniform over the lines, the same sequence for the same OFFSET).
 *
 * Test tool: exits 1 on any protocol error; not installed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define OFFER_ACTIONS	0x1ffUL
#define OFFER_PROTO	0x001fffffUL

#define P_NOCONNECT	0x1UL
#define P_NOHELO	0x2UL
#define P_NOMAIL	0x4UL
#define P_NORCPT	0x8UL
#define P_NOBODY	0x10UL
#define P_NOHDRS	0x20UL
#define P_NOEOH		0x40UL
#define P_NR_HDR	0x80UL
#define P_NODATA	0x200UL
#define P_NR_CONN	0x1000UL
#define P_NR_MAIL	0x4000UL
#define P_NR_RCPT	0x8000UL
#define P_NR_DATA	0x10000UL
#define P_NR_EOH	0x40000UL
#define P_NR_BODY	0x80000UL
#define P_LEADSPC	0x100000UL

struct opts {
	const char	*sock;
	int		 conns;
	long		 messages;
	int		 per_conn;
	size_t		 body;
	size_t		 chunk;
	const char	*auth;
	const char	*domain;
	const char	*senders;	/* -D */
	long		 offset;	/* -o */
	int		 random;	/* -R */
};

struct sender {
	char	*auth;
	char	*domain;
};

static struct opts o = {
	.conns = 8, .messages = 10000, .per_conn = 10, .body = 4096,
	.chunk = 65535, .auth = "k_bench", .domain = "example.com",
};
static long next_msg;			/* atomic: messages handed out */
static long signed_total;		/* atomic: DKIM-Signature fields */
static long skipped_total;		/* atomic: bodies the milter skipped */
static long mods_total;			/* atomic: replies before a final one */
static long mod_bytes_total;		/* atomic: their bytes */
static unsigned long negotiated;	/* protocol flags the milter chose */
static double *lat;			/* per-message latency, ms */
static char *body;
static struct sender *senders;		/* -D: the file's lines */
static size_t nsenders;

static void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("milter_load: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * Output is queued as Postfix's VSTREAM does (milter8.c writes a packet
 * into the stream buffer and flushes only when it waits for a reply):
 * packets whose replies are not awaited go out with the next one that
 * is, in one writev(2).  Small packets are copied into out; a body chunk
 * is referenced where it lies (the body outlives the flush).  Replies
 * are read through a buffer, so that one read(2) takes every reply the
 * milter has sent.
 */
#define OUT_IOV	64

struct conn {
	int		 fd;
	unsigned long	 proto;		/* what the milter negotiated */
	char		*buf;		/* the last reply's data */
	size_t		 bufsize;
	struct iovec	 iov[OUT_IOV];	/* queued output */
	int		 niov;
	size_t		 olen;		/* bytes of out in use */
	char		 out[16384];
	size_t		 rpos, rlen;	/* unread bytes of in */
	char		 in[4096];
	long		 writes, reads;	/* system calls */
};

static long writes_total, reads_total;	/* atomic: system calls */

/* Write everything queued, in one writev(2) unless it is partial. */
static void
out_flush(struct conn *c)
{
	struct iovec *v = c->iov;
	int n = c->niov;
	ssize_t w;

	while (n > 0) {
		w = writev(c->fd, v, n);
		c->writes++;
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write: %s", strerror(errno));
		while (n > 0 && (size_t)w >= v->iov_len) {
			w -= (ssize_t)v->iov_len;
			v++;
			n--;
		}
		if (n > 0) {
			v->iov_base = (char *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	c->niov = 0;
	c->olen = 0;
}

/* Queue len bytes at p: copied into out when copy, else referenced. */
static void
out_add(struct conn *c, const void *p, size_t len, int copy)
{
	struct iovec *last;

	if (len == 0)
		return;
	if (c->niov == OUT_IOV || (copy && c->olen + len > sizeof(c->out)))
		out_flush(c);
	if (copy) {
		if (len > sizeof(c->out))
			die("packet too large");
		memcpy(c->out + c->olen, p, len);
		p = c->out + c->olen;
		c->olen += len;
	}
	last = c->niov > 0 ? &c->iov[c->niov - 1] : NULL;
	if (last != NULL && (const char *)last->iov_base + last->iov_len == p)
		last->iov_len += len;
	else {
		c->iov[c->niov].iov_base = (void *)p;
		c->iov[c->niov].iov_len = len;
		c->niov++;
	}
}

/* Queue one packet: command and data (len bytes). */
static void
send_pkt(struct conn *c, char cmd, const void *data, size_t len)
{
	char hdr[5];
	uint32_t n = htonl((uint32_t)len + 1);

	if (len > 65535 + 1024)
		die("packet too large");
	memcpy(hdr, &n, 4);
	hdr[4] = cmd;
	out_add(c, hdr, 5, 1);
	out_add(c, data, len, len <= 1024);
}

/* Read exactly len bytes of replies into p (through c->in). */
static void
in_read(struct conn *c, void *p, size_t len)
{
	char *d = p;
	size_t k;
	ssize_t n;

	while (len > 0) {
		if (c->rpos == c->rlen) {
			n = read(c->fd, c->in, sizeof(c->in));
			c->reads++;
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				die("read: %s", n == 0 ? "milter closed" :
				    strerror(errno));
			c->rpos = 0;
			c->rlen = (size_t)n;
		}
		k = c->rlen - c->rpos < len ? c->rlen - c->rpos : len;
		memcpy(d, c->in + c->rpos, k);
		c->rpos += k;
		d += k;
		len -= k;
	}
}

/* Read one reply packet; returns its command, data in c->buf. */
static char
read_pkt(struct conn *c, size_t *len_r)
{
	uint32_t n;
	char cmd;

	out_flush(c);
	in_read(c, &n, 4);
	n = ntohl(n);
	if (n == 0 || n > 16 * 1024 * 1024)
		die("bad reply length %u", n);
	in_read(c, &cmd, 1);
	if (n - 1 + 1 > c->bufsize) {
		c->bufsize = n + 1;
		c->buf = realloc(c->buf, c->bufsize);
		if (c->buf == NULL)
			die("out of memory");
	}
	in_read(c, c->buf, n - 1);
	c->buf[n - 1] = '\0';
	*len_r = n - 1;
	return cmd;
}

/*
 * Read replies until a final one; count DKIM-Signature insertions.
 * Returns the final reply's command.
 */
static char
await(struct conn *c, long *sigs)
{
	size_t len;
	char cmd;

	for (;;) {
		cmd = read_pkt(c, &len);
		/* End of message: count the modifications and their bytes. */
		if (sigs != NULL && cmd != '\0' &&
		    strchr("him+-2beq", cmd) != NULL) {
			__atomic_add_fetch(&mods_total, 1, __ATOMIC_RELAXED);
			__atomic_add_fetch(&mod_bytes_total, (long)len,
			    __ATOMIC_RELAXED);
		}
		switch (cmd) {
		case 'h':	/* add header */
			if (sigs != NULL &&
			    strcasecmp(c->buf, "DKIM-Signature") == 0)
				(*sigs)++;
			continue;
		case 'i':	/* insert header: index, name, value */
			if (sigs != NULL && len > 4 &&
			    strcasecmp(c->buf + 4, "DKIM-Signature") == 0)
				(*sigs)++;
			continue;
		case 'm': case '+': case '-': case '2': case 'b': case 'e':
		case 'p': case 'q': case 'f':
			continue;	/* other modifications, progress */
		case 'c': case 'a': case 'r': case 't': case 'd': case 'y':
		case 's':
			return cmd;
		default:
			die("unexpected reply '%c'", cmd);
		}
	}
}

/*
 * Send a command unless the milter asked not to have it (skip), and
 * await its reply unless the milter said NR (nr).  Its macros (stage
 * cmd) go first, also when the command itself is not sent, as Postfix
 * does (milter8_event).
 */
static void
send_macros(struct conn *c, char cmd, const char *mac, size_t maclen)
{
	char tmp[1024];

	if (maclen + 1 > sizeof(tmp))
		die("macros too long");
	tmp[0] = cmd;
	memcpy(tmp + 1, mac, maclen);
	send_pkt(c, 'D', tmp, maclen + 1);
}

static char
step(struct conn *c, char cmd, const void *data, size_t len,
    unsigned long skip, unsigned long nr, const char *mac, size_t maclen)
{
	send_macros(c, cmd, mac, maclen);
	if (c->proto & skip)
		return 'c';
	send_pkt(c, cmd, data, len);
	if (c->proto & nr)
		return 'c';
	return await(c, NULL);
}

static void
conn_open(struct conn *c)
{
	struct sockaddr_un sa;
	uint32_t v[3];
	size_t len;
	char cmd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", o.sock);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect %s: %s", o.sock, strerror(errno));
	v[0] = htonl(6);
	v[1] = htonl(OFFER_ACTIONS);
	v[2] = htonl(OFFER_PROTO);
	send_pkt(c, 'O', v, sizeof(v));
	cmd = read_pkt(c, &len);
	if (cmd != 'O' || len < 12)
		die("bad negotiation reply");
	memcpy(v, c->buf, 12);
	c->proto = ntohl(v[2]);
	__atomic_store_n(&negotiated, c->proto, __ATOMIC_RELAXED);
	{
		static const char m[] = "j\0mx.bench.example\0"
		    "{daemon_name}\0smtpd\0";
		static const char info[] = "client.bench.example\0" "4"
		    "\0\0" "127.0.0.1";

		if (step(c, 'C', info, sizeof(info), P_NOCONNECT, P_NR_CONN,
		    m, sizeof(m) - 1) != 'c')
			die("connect refused");
	}
}

static void
conn_close(struct conn *c)
{
	send_pkt(c, 'Q', NULL, 0);
	out_flush(c);
	close(c->fd);
	__atomic_add_fetch(&writes_total, c->writes, __ATOMIC_RELAXED);
	__atomic_add_fetch(&reads_total, c->reads, __ATOMIC_RELAXED);
	c->writes = c->reads = 0;
}

/* -D: read SENDERS_FILE's "AUTH DOMAIN" lines into senders. */
static void
senders_load(const char *path)
{
	char line[512], a[256], d[256];
	size_t cap = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%255s %255s", a, d) != 2)
			die("%s: a line that is not \"AUTH DOMAIN\"", path);
		if (nsenders == cap) {
			cap = cap ? cap * 2 : 1024;
			senders = realloc(senders, cap * sizeof(*senders));
			if (senders == NULL)
				die("out of memory");
		}
		senders[nsenders].auth = strdup(a);
		senders[nsenders].domain = strdup(d);
		if (senders[nsenders].auth == NULL ||
		    senders[nsenders].domain == NULL)
			die("out of memory");
		nsenders++;
	}
	fclose(f);
	if (nsenders == 0)
		die("%s: no senders", path);
}

/* The line of senders that message id uses (-o, -R). */
static size_t
sender_pick(long id)
{
	uint64_t x = (uint64_t)(id + o.offset);

	if (o.random) {		/* splitmix64's finalizer */
		x += 0x9e3779b97f4a7c15ULL;
		x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
		x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
		x ^= x >> 31;
	}
	return (size_t)(x % nsenders);
}

/* One message; returns its latency in ms. */
static double
message(struct conn *c, long id)
{
	static const char *hdrs[][2] = {
		{ "To", " Rcpt <rcpt@remote.example>" },
		{ "Subject", " Benchmark message with a subject of usual length" },
		{ "Date", " Fri, 27 Nov 2026 04:00:00 +0000" },
		{ "MIME-Version", " 1.0" },
		{ "Content-Type", " text/plain; charset=utf-8" },
		{ "Content-Transfer-Encoding", " 8bit" },
		{ "X-Mailer", " milter_load" },
		{ "Reply-To", " <reply@example.com>" },
	};
	char buf[1024], arg[300], qmac[32];
	double t0 = now_ms();
	long sigs = 0;
	size_t i, n, pos;
	unsigned long lead = c->proto & P_LEADSPC;
	const char *auth = o.auth, *domain = o.domain;
	size_t qlen;
	int len, len2;
	char r;

	if (nsenders > 0) {
		i = sender_pick(id);
		auth = senders[i].auth;
		domain = senders[i].domain;
	}
	/* The queue id, the one macro of most stages ("i\0QID\0"). */
	qlen = (size_t)snprintf(qmac, sizeof(qmac), "i%c%08lX%c", 0, id, 0);
	len = snprintf(buf, sizeof(buf), "i%c%08lX%c{auth_authen}%c%s%c"
	    "{mail_addr}%csender@%s%c", 0, id, 0, 0, auth, 0, 0, domain, 0);
	len2 = snprintf(arg, sizeof(arg), "<sender@%s>%c", domain, 0);
	if ((r = step(c, 'M', arg, (size_t)len2, P_NOMAIL, P_NR_MAIL, buf,
	    (size_t)len)) != 'c')
		die("MAIL answered '%c'", r);
	len = snprintf(buf, sizeof(buf), "i%c%08lX%c{rcpt_addr}%c"
	    "rcpt@remote.example%c", 0, id, 0, 0, 0);
	if (step(c, 'R', "<rcpt@remote.example>", 22, P_NORCPT, P_NR_RCPT,
	    buf, (size_t)len) != 'c')
		die("RCPT refused");
	if (step(c, 'T', NULL, 0, P_NODATA, P_NR_DATA, qmac, qlen) != 'c')
		die("DATA refused");
	len = snprintf(buf, sizeof(buf), "From%c%sSender <sender@%s>%c",
	    0, lead ? " " : "", domain, 0);
	step(c, 'L', buf, (size_t)len, P_NOHDRS, P_NR_HDR, qmac, qlen);
	len = snprintf(buf, sizeof(buf), "Message-ID%c%s<%ld.%ld@%s>%c",
	    0, lead ? " " : "", id, (long)getpid(), domain, 0);
	step(c, 'L', buf, (size_t)len, P_NOHDRS, P_NR_HDR, qmac, qlen);
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		len = snprintf(buf, sizeof(buf), "%s%c%s%c",
		    hdrs[i][0], 0, hdrs[i][1] + (lead ? 0 : 1), 0);
		step(c, 'L', buf, (size_t)len, P_NOHDRS, P_NR_HDR, qmac, qlen);
	}
	step(c, 'N', NULL, 0, P_NOEOH, P_NR_EOH, qmac, qlen);
	for (pos = 0; pos < o.body; pos += n) {
		n = o.body - pos < o.chunk ? o.body - pos : o.chunk;
		r = step(c, 'B', body + pos, n, P_NOBODY, P_NR_BODY, qmac,
		    qlen);
		if (r == 's') {
			__atomic_add_fetch(&skipped_total, 1,
			    __ATOMIC_RELAXED);
			break;
		}
		if (r != 'c')
			die("body answered '%c'", r);
	}
	send_macros(c, 'E', qmac, qlen);
	send_pkt(c, 'E', NULL, 0);
	r = await(c, &sigs);
	if (r != 'c' && r != 'a')
		die("end of message answered '%c'", r);
	__atomic_add_fetch(&signed_total, sigs, __ATOMIC_RELAXED);
	return now_ms() - t0;
}

static void *
worker(void *arg)
{
	struct conn c = { .fd = -1 };
	long id;
	int k;

	(void)arg;
	for (;;) {
		conn_open(&c);
		for (k = 0; k < o.per_conn; k++) {
			id = __atomic_fetch_add(&next_msg, 1, __ATOMIC_RELAXED);
			if (id >= o.messages)
				break;
			lat[id] = message(&c, id);
		}
		conn_close(&c);
		if (k < o.per_conn)
			break;
	}
	free(c.buf);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	pthread_t *tids;
	double t0, secs;
	size_t i;
	int ch;

	while ((ch = getopt(argc, argv, "s:c:n:m:b:k:a:d:D:o:R")) != -1) {
		switch (ch) {
		case 's': o.sock = optarg; break;
		case 'c': o.conns = atoi(optarg); break;
		case 'n': o.messages = atol(optarg); break;
		case 'm': o.per_conn = atoi(optarg); break;
		case 'b': o.body = (size_t)atol(optarg); break;
		case 'k': o.chunk = (size_t)atol(optarg); break;
		case 'a': o.auth = optarg; break;
		case 'd': o.domain = optarg; break;
		case 'D': o.senders = optarg; break;
		case 'o': o.offset = atol(optarg); break;
		case 'R': o.random = 1; break;
		default:
			fprintf(stderr, "usage: milter_load -s SOCKET [-c conns] "
			    "[-n messages] [-m per_conn] [-b body_bytes] "
			    "[-k chunk] [-a auth_user] [-d domain] "
			    "[-D senders_file [-o offset] [-R]]\n");
			return 64;
		}
	}
	if (o.sock == NULL || o.conns < 1 || o.messages < 1 ||
	    o.per_conn < 1 || o.chunk < 1 || o.chunk > 65535 ||
	    o.offset < 0)
		die("bad arguments");
	if (o.senders != NULL)
		senders_load(o.senders);
	body = malloc(o.body + 1);
	lat = calloc((size_t)o.messages, sizeof(*lat));
	tids = calloc((size_t)o.conns, sizeof(*tids));
	if (body == NULL || lat == NULL || tids == NULL)
		die("out of memory");
	/* 78-byte text lines with CRLF, a few runs of white space. */
	for (i = 0; i < o.body; i++)
		body[i] = i % 80 == 78 ? '\r' : i % 80 == 79 ? '\n' :
		    i % 13 == 0 ? ' ' : (char)('a' + i % 26);
	/*
	 * The body ends with CRLF, as every body Postfix sends does; OpenDKIM
	 * accepts a body without one unsigned ("CRLF at end of body missing").
	 */
	if (o.body >= 2) {
		body[o.body - 2] = '\r';
		body[o.body - 1] = '\n';
	}
	t0 = now_ms();
	for (i = 0; i < (size_t)o.conns; i++)
		if (pthread_create(&tids[i], NULL, worker, NULL) != 0)
			die("pthread_create");
	for (i = 0; i < (size_t)o.conns; i++)
		pthread_join(tids[i], NULL);
	secs = (now_ms() - t0) / 1e3;
	qsort(lat, (size_t)o.messages, sizeof(*lat), cmp_double);
	printf("messages=%ld conns=%d body=%zu secs=%.2f rate=%.0f/s "
	    "p50=%.2fms p99=%.2fms sigs_per_msg=%.2f bodies_skipped=%ld "
	    "proto=0x%lx writes_per_msg=%.2f reads_per_msg=%.2f "
	    "mods_per_msg=%.2f mod_bytes_per_msg=%.0f\n",
	    o.messages, o.conns, o.body, secs, o.messages / secs,
	    lat[o.messages / 2], lat[o.messages * 99 / 100],
	    (double)signed_total / o.messages, skipped_total, negotiated,
	    (double)writes_total / o.messages,
	    (double)reads_total / o.messages,
	    (double)mods_total / o.messages,
	    (double)mod_bytes_total / o.messages);
	free(body);
	free(lat);
	free(tids);
	return 0;
}
