/*
 * address.h -- one way to write an email address, so that a suppression
 * matches a recipient however either was written.  Every program that
 * stores or compares a recipient or a suppression entry (policyd at
 * RCPT, the CLI's suppress/unsubscribe/import, bounce paths) passes it
 * through pw_address_normalize() first.
 *
 * The normal form of "local@domain":
 *   - the domain: one trailing dot removed ("ok.example." is
 *     "ok.example": Postfix delivers both to the same place), then IDNA
 *     (UTS #46 non-transitional processing, as Postfix's own SMTPUTF8
 *     support does, then IDNA2008 A-labels: "bücher.example" and
 *     "BÜCHER.example" are "xn--bcher-kva.example"), lower case; labels
 *     of 1 to 63 bytes of a-z 0-9 - _ (no '-' at either end), at most
 *     253 bytes in all.  An address literal ("[192.0.2.1]",
 *     "[ipv6:...]") is only lower-cased;
 *   - the local part: exact, but for ASCII letters, which are
 *     lower-cased (as postwarden always stored addresses).  No other
 *     folding: "a+tag", "a.b" and "ab" are three mailboxes, and so are
 *     UTF-8 local parts that differ in any byte.  At most
 *     PW_ADDRESS_LOCAL_MAX bytes of valid UTF-8 without control
 *     characters.  The local part ends at the last '@' (Postfix gives
 *     quoted local parts unquoted: "a@b"@c arrives as a@b@c).
 * Anything else is refused with a static reason, never cut: an address
 * that does not fit is not silently made into another one.
 *
 * Threads: pure functions, safe anywhere.
 */
#ifndef PW_ADDRESS_H
#define PW_ADDRESS_H

#include <stddef.h>

/* RFC 5321 says 64; Postfix takes longer (SRS, VERP): held whole to this. */
#define PW_ADDRESS_LOCAL_MAX	256
/* A domain name in A-labels, without the trailing dot (RFC 1035). */
#define PW_ADDRESS_DOMAIN_MAX	253
#define PW_ADDRESS_LABEL_MAX	63
/* The longest normal form: local part, "@", domain. */
#define PW_ADDRESS_MAX	(PW_ADDRESS_LOCAL_MAX + 1 + PW_ADDRESS_DOMAIN_MAX)

/* What an input may be besides "local@domain". */
#define PW_ADDRESS_F_DOMAIN	0x01	/* "@domain": a whole domain */
#define PW_ADDRESS_F_BARE	0x02	/* "local": no domain (postmaster) */

/*
 * Normalise the len bytes at in (not necessarily NUL-terminated; a NUL
 * among them is refused) into out, NUL-terminated.  0, or -1 with a
 * static reason in *why_r ("domain: label longer than 63 bytes", ...),
 * fit for a reply or a log line.
 */
int	pw_address_normalize(const char *in, size_t len, int flags,
	    char out[PW_ADDRESS_MAX + 1], const char **why_r);

/*
 * The domain part of a normal form, '@' included ("@ok.example"), or
 * NULL for a bare local part.
 */
const char *pw_address_domain(const char *normal);

#endif
