/*
 * dns.h -- DNS lookups with clear verdicts: TXT and MX through libunbound.
 *
 * One handle (struct pw_dns) is one libunbound context: it forwards to
 * the resolvers of the dns_resolver setting ("127.0.0.1@5353", a list
 * of them), or with none reads /etc/resolv.conf; with a trust anchor
 * file it validates DNSSEC and a validation failure is a verdict of its
 * own (PW_DNS_BOGUS).  Every lookup is bounded by the handle's timeout:
 * the query runs in libunbound's background thread, we wait on its file
 * descriptor until the deadline and cancel it then.
 *
 * Verdicts: FOUND (records in out), NXDOMAIN (the name does not exist),
 * NODATA (it exists, without records of that type), and three that say
 * nothing about the record: SERVFAIL (the resolver failed, or answered
 * an error code), BOGUS (DNSSEC validation failed), TIMEOUT.
 * pw_dns_status_final() tells the first three from the others.
 *
 * Threads: a handle belongs to one thread at a time.  The rdata parsers
 * are pure (and fuzzed through their callers).
 *
 * Security: answers are untrusted bytes.  A TXT record's
 * character-strings are joined into at most PW_DNS_TXT_MAX bytes (a
 * longer one is dropped and counted), at most PW_DNS_RR_MAX records are
 * kept; names in MX rdata are checked label by label.
 */
#ifndef PW_DNS_H
#define PW_DNS_H

#include <stdbool.h>
#include <stddef.h>

#define PW_DNS_ERR_MAX		256
#define PW_DNS_RR_MAX		32	/* records kept per answer */
#define PW_DNS_TXT_MAX		8192	/* one joined TXT record */
#define PW_DNS_NAME_MAX		253	/* a name in text, no final dot */

enum pw_dns_status {
	PW_DNS_FOUND = 0,
	PW_DNS_NXDOMAIN,
	PW_DNS_NODATA,
	PW_DNS_SERVFAIL,
	PW_DNS_BOGUS,
	PW_DNS_TIMEOUT,
};

/* The TXT records of a name: each record's strings joined, NUL-ended. */
struct pw_dns_txt {
	size_t	 n;
	char	*rr[PW_DNS_RR_MAX];	/* allocated; may hold NUL bytes */
	size_t	 len[PW_DNS_RR_MAX];
	size_t	 dropped;		/* malformed or too long */
	bool	 secure;		/* DNSSEC validated */
};

/* The MX records of a name. */
struct pw_dns_mx {
	size_t	 n;
	struct {
		unsigned	pref;
		char		host[PW_DNS_NAME_MAX + 2]; /* ".": null MX */
	} rr[PW_DNS_RR_MAX];
	size_t	 dropped;
	bool	 secure;
};

struct pw_dns;

/*
 * A new handle.  resolvers: "" (the system's /etc/resolv.conf) or a list
 * of addresses, each "IP" or "IP@PORT"; trust_anchor: "" (no DNSSEC
 * validation) or a file of DS/DNSKEY records (unbound-anchor's root.key);
 * timeout_ms bounds each lookup.  0 and *dns_r, or -1 and why in err.
 */
int	pw_dns_open(const char *resolvers, const char *trust_anchor,
	    int timeout_ms, struct pw_dns **dns_r, char *err, size_t errsize);
/* Free a handle and NULL the pointer; NULL is fine. */
void	pw_dns_close(struct pw_dns **dns);

/* The TXT records of name; out is filled (and must be freed) always. */
enum pw_dns_status pw_dns_txt(struct pw_dns *dns, const char *name,
	    struct pw_dns_txt *out);
void	pw_dns_txt_free(struct pw_dns_txt *out);
/* The MX records of name; out is filled always (nothing to free). */
enum pw_dns_status pw_dns_mx(struct pw_dns *dns, const char *name,
	    struct pw_dns_mx *out);

/* "found", "NXDOMAIN", "no data", "SERVFAIL", "DNSSEC bogus", "timeout". */
const char *pw_dns_status_name(enum pw_dns_status st);
/* Does st say what the DNS holds (found, NXDOMAIN, no data)? */
bool	pw_dns_status_final(enum pw_dns_status st);

/*
 * Is s one resolver address as dns_resolver takes it ("IP" or
 * "IP@PORT")?  NULL, or a static reason.  For lib/conf.c.
 */
const char *pw_dns_resolver_check(const char *s, size_t len);

/*
 * Parse TXT rdata (character-strings) into out (NUL-terminated, length
 * *len_r, at most PW_DNS_TXT_MAX): 0, or -1 when malformed or too long.
 */
int	pw_dns_txt_rdata(const unsigned char *rd, size_t len,
	    char out[PW_DNS_TXT_MAX + 1], size_t *len_r);
/*
 * Parse MX rdata (preference, uncompressed name) into pref and host
 * (lower case, no final dot; "." for the null MX): 0, or -1.
 */
int	pw_dns_mx_rdata(const unsigned char *rd, size_t len, unsigned *pref,
	    char host[PW_DNS_NAME_MAX + 2]);

#endif
