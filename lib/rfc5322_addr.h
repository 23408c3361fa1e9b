/*
 * rfc5322_addr.h -- the domain of the one mailbox in an address header
 * value (From:, Sender:, Reply-To:), parsed as RFC 5322 section 3.4 says
 * (with RFC 6854 groups and the obsolete forms of section 4.4), so that
 * text inside a quoted display name or a comment is never mistaken for
 * the address:
 *
 *	"<ceo@canon.test>" <attacker@nokey.example>	-> nokey.example
 *	ceo@canon.test (<x@other.example>)		-> canon.test
 *	Team: Jo <jo@a.example>;			-> a.example
 *
 * Exports: PW_RFC5322_DOMAIN_MAX, pw_rfc5322_addr_domain().
 *
 * Accepted: quoted strings, comments (nested, with quoted pairs), folding
 * white space (LF or CRLF then SP/TAB, as libmilter hands header values),
 * display names of words and dots ("John Q. Public"), angle addresses
 * with an obsolete source route, groups, empty list elements, UTF-8 in
 * atoms and quoted strings (RFC 6532).  The domain must be a host name:
 * dot-separated labels of 1..63 letters, digits, '-' or '_', at most
 * PW_RFC5322_DOMAIN_MAX bytes, no trailing dot.
 *
 * Refused (-1, "no domain"): anything that does not parse; no mailbox
 * (an empty value, "undisclosed-recipients:;"); more than one mailbox
 * (in a list or in a group); a domain literal ("[192.0.2.1]"); a domain
 * that is not a host name (U-labels, a trailing dot, an empty label).
 * A caller that needs a domain then has none: it must not guess one.
 *
 * Pure: no state, no allocation; any thread.  The value is len bytes
 * (a NUL among them is refused); time and stack are bounded by len.
 * Security: the value is untrusted; the domain written out holds only
 * [a-z0-9_.-].
 */
#ifndef PW_RFC5322_ADDR_H
#define PW_RFC5322_ADDR_H

#include <stddef.h>

#define PW_RFC5322_DOMAIN_MAX	253

/*
 * The domain of the single mailbox in value (an address header field's
 * value, after the colon), lower-cased, NUL-terminated in domain_r.
 * 0, or -1 with a static reason in *why_r and domain_r empty.
 */
int	pw_rfc5322_addr_domain(const char *value, size_t len,
	    char domain_r[PW_RFC5322_DOMAIN_MAX + 1], const char **why_r);

#endif
