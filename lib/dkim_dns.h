/*
 * dkim_dns.h -- what the DNS says about a sending domain: a DKIM key
 * record (RFC 6376 3.6.1) and whether it carries a given public key; SPF
 * (RFC 7208 4.5) and DMARC (RFC 7489 6.3) records among a name's TXT
 * records.
 *
 * The parsers take the TXT record as lib/dns.c gives it (character-
 * strings joined) and never allocate: a struct on the caller's stack
 * holds the result.  Pure, any thread; fuzzed (tests/fuzz/fuzz_dkim_txt.c).
 *
 * DKIM key record: a tag=value list (RFC 6376 3.2): tags separated by
 * ";", white space (FWS) around tags, names and values ignored, a tag
 * named twice makes the record invalid.  v= if present must come first
 * and be "DKIM1"; k= is rsa (the default) or ed25519; p= is base64
 * (white space inside ignored), empty meaning revoked; h= and s= must,
 * if present, allow sha256 and email; t= flags are kept (y: testing).
 * Unknown tags are ignored, as the RFC says.
 *
 * Matching: an RSA key's p= is its SubjectPublicKeyInfo DER, an Ed25519
 * key's the raw 32 bytes (RFC 8463); both are compared byte for byte
 * with the DER/raw key of the private key we hold.
 *
 * Security: the record is untrusted; every length is checked against
 * the buffers below.  Only public keys are handled here.
 */
#ifndef PW_DKIM_DNS_H
#define PW_DKIM_DNS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "dkim_keys.h"

#define PW_DKIM_TXT_KEY_MAX	2048	/* decoded p=: RSA 8192 is ~1.1 kB */

struct pw_dkim_txt {
	enum pw_dkim_alg alg;		/* k= (rsa when absent) */
	bool		 revoked;	/* p= empty */
	bool		 testing;	/* t=y */
	unsigned char	 key[PW_DKIM_TXT_KEY_MAX];	/* p=, decoded */
	size_t		 keylen;
};

/*
 * Parse a DKIM key record (len bytes at s, NUL bytes refused).  0 and *r
 * filled, or -1 and a static reason in *why_r ("no p= tag", "k=dsa is
 * not rsa or ed25519", ...).
 */
int	pw_dkim_txt_parse(const char *s, size_t len, struct pw_dkim_txt *r,
	    const char **why_r);

/*
 * Does the record r carry the public key of pkey (a private key of ours)?
 * 1 yes; 0 no, with *why_r ("the record has another key", "the record is
 * for ed25519, the key is rsa", "revoked (p= empty)"); -1 when pkey's
 * public key cannot be encoded.
 */
int	pw_dkim_txt_match(const struct pw_dkim_txt *r, EVP_PKEY *pkey,
	    const char **why_r);

/* Is this TXT record an SPF record ("v=spf1" then a space or the end)? */
bool	pw_dkim_dns_is_spf(const char *s, size_t len);
/* Is this TXT record a DMARC record ("v=DMARC1" as its first tag)? */
bool	pw_dkim_dns_is_dmarc(const char *s, size_t len);
/*
 * The p= policy of a DMARC record into policy (none, quarantine or
 * reject): 0, or -1 with *why_r when the record has no valid p=.
 */
int	pw_dkim_dns_dmarc_policy(const char *s, size_t len,
	    char policy[16], const char **why_r);

#endif
