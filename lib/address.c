/*
 * address.c -- the normal form of an email address (see address.h).
 *
 * Exports: pw_address_normalize, pw_address_domain.
 *
 * IDNA is libidn2's idn2_to_ascii_8z() with
 *   IDN2_NONTRANSITIONAL: UTS #46 mapping (case folding, width folding,
 *     NFC) and then IDNA2008, keeping 'ß' and ZWJ/ZWNJ as themselves.
 *     This is what Postfix (3.x, ICU's UIDNA_NONTRANSITIONAL_TO_ASCII)
 *     does to an SMTPUTF8 domain before it looks up and delivers to it,
 *     so our A-label is the domain the mail actually goes to;
 *   IDN2_NFC_INPUT: normalise the input to NFC first, so a decomposed
 *     "u" + U+0308 is the same domain as a precomposed "ü".
 * Not IDN2_USE_STD3_ASCII_RULES: it would refuse '_', which real host
 * names carry; the LDH check after conversion (which also catches what
 * mapping produced, e.g. a full-width '@' mapped to '@') is ours.
 * A-labels in the input go through the same call, which checks that
 * they decode and round-trip ("xn--zz" is refused).
 *
 * Memory: idn2 allocates its result; it is freed here.  Nothing else is
 * allocated; the output is the caller's fixed array.
 *
 * Security: the input is peer text (a policy request, a file being
 * imported, a bounce).  Every length is checked before a copy; reasons
 * are static strings, never the input.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "address.h"

/* libidn2's refusals, as reasons. */
static const struct {
	int		 rc;
	const char	*why;
} pw_address_idn2_why[] = {
	{ IDN2_ENCODING_ERROR, "domain: not valid UTF-8" },
	{ IDN2_PUNYCODE_BAD_INPUT, "domain: an A-label (xn--) that does not "
	    "decode" },
	{ IDN2_PUNYCODE_BIG_OUTPUT, "domain: a label longer than 63 bytes as "
	    "an A-label" },
	{ IDN2_PUNYCODE_OVERFLOW, "domain: a label longer than 63 bytes as "
	    "an A-label" },
	{ IDN2_TOO_BIG_DOMAIN, "domain: longer than 253 bytes as A-labels" },
	{ IDN2_TOO_BIG_LABEL, "domain: a label longer than 63 bytes as an "
	    "A-label" },
	{ IDN2_INVALID_ALABEL, "domain: an A-label (xn--) that is not valid "
	    "IDNA" },
	{ IDN2_ALABEL_ROUNDTRIP_FAILED, "domain: an A-label (xn--) that is "
	    "not valid IDNA" },
	{ IDN2_DISALLOWED, "domain: a character IDNA does not allow" },
	{ IDN2_BIDI, "domain: mixes right-to-left and left-to-right "
	    "characters wrongly (IDNA bidi rule)" },
};

/*
 * The number of bytes of the UTF-8 sequence at s (at most n bytes
 * long), or 0 when it is not valid UTF-8 (overlong forms, surrogates and
 * code points above U+10FFFF included).  RFC 3629.
 */
static size_t
pw_address_utf8(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len, i;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* s[0..n) is valid UTF-8 without control characters (C0, DEL, C1). */
static bool
pw_address_text_ok(const unsigned char *s, size_t n, bool *ascii_r)
{
	size_t i, k;

	*ascii_r = true;
	for (i = 0; i < n; i += k) {
		if ((k = pw_address_utf8(s + i, n - i)) == 0)
			return false;
		if (k == 1 && (s[i] < 0x20 || s[i] == 0x7f))
			return false;
		/* U+0080..U+009F, the C1 controls. */
		if (k == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0)
			return false;
		if (k > 1)
			*ascii_r = false;
	}
	return true;
}

static char
pw_address_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/*
 * Check a domain in A-labels, lower case, no trailing dot: labels of
 * 1..63 of a-z 0-9 - _, no '-' at either end, 253 bytes at most.  NULL,
 * or the reason.
 */
static const char *
pw_address_check_ldh(const char *d, size_t n)
{
	size_t i, label = 0;

	if (n > PW_ADDRESS_DOMAIN_MAX)
		return "domain: longer than 253 bytes";
	for (i = 0; i <= n; i++) {
		char c = i < n ? d[i] : '.';

		if (c == '.') {
			if (label == 0)
				return "domain: an empty label (two dots, or a "
				    "dot at the start)";
			if (d[i - 1] == '-')
				return "domain: a label ends with '-'";
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_'))
			return "domain: only letters, digits, '-', '_' and "
			    "dots (after IDNA)";
		if (label == 0 && c == '-')
			return "domain: a label starts with '-'";
		if (++label > PW_ADDRESS_LABEL_MAX)
			return "domain: a label longer than 63 bytes";
	}
	return NULL;
}

/* An address literal "[...]": a-z 0-9 . : - inside, lower-cased. */
static const char *
pw_address_literal(const char *d, size_t n, char *out)
{
	size_t i;

	if (n < 3 || d[n - 1] != ']')
		return "domain: an address literal without its ']'";
	if (n > PW_ADDRESS_DOMAIN_MAX)
		return "domain: longer than 253 bytes";
	out[0] = '[';
	for (i = 1; i + 1 < n; i++) {
		char c = pw_address_lower(d[i]);

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == ':' || c == '-'))
			return "domain: an address literal with characters "
			    "other than letters, digits, '.', ':' and '-'";
		out[i] = c;
	}
	out[n - 1] = ']';
	out[n] = '\0';
	return NULL;
}

/*
 * The domain d[0..n) (no '@', trailing dot still there) in normal form
 * into out (room for PW_ADDRESS_DOMAIN_MAX + 1).  NULL, or the reason.
 */
static const char *
pw_address_domain_norm(const char *d, size_t n, char *out)
{
	/* Room for the input as a C string: 4 * 253 bytes of UTF-8 at most. */
	char in[4 * PW_ADDRESS_DOMAIN_MAX + 1], *ace = NULL;
	const char *why;
	bool ascii;
	size_t i, len;
	int rc;

	if (n > 0 && d[n - 1] == '.')
		n--;
	if (n == 0)
		return "missing domain";
	if (d[0] == '[')
		return pw_address_literal(d, n, out);
	if (n >= sizeof(in))
		return "domain: longer than 253 bytes";
	if (!pw_address_text_ok((const unsigned char *)d, n, &ascii))
		return "domain: not valid UTF-8, or a control character";
	if (ascii) {
		/* No IDNA mapping needed, but A-labels are checked by it. */
		for (i = 0; i < n; i++)
			in[i] = pw_address_lower(d[i]);
		in[n] = '\0';
		if ((why = pw_address_check_ldh(in, n)) != NULL)
			return why;
		if (strstr(in, "xn--") == NULL) {
			memcpy(out, in, n + 1);
			return NULL;
		}
	} else {
		memcpy(in, d, n);
		in[n] = '\0';
	}
	rc = idn2_to_ascii_8z(in, &ace, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK) {
		for (i = 0; i < sizeof(pw_address_idn2_why) /
		    sizeof(pw_address_idn2_why[0]); i++)
			if (pw_address_idn2_why[i].rc == rc)
				return pw_address_idn2_why[i].why;
		return "domain: not a valid internationalised domain name";
	}
	len = strlen(ace);
	for (i = 0; i < len; i++)
		ace[i] = pw_address_lower(ace[i]);
	/* Mapping may have made a trailing dot (U+3002 is a dot too). */
	if ((why = pw_address_check_ldh(ace, len)) == NULL)
		memcpy(out, ace, len + 1);
	idn2_free(ace);
	return why;
}

int
pw_address_normalize(const char *in, size_t len, int flags,
    char out[PW_ADDRESS_MAX + 1], const char **why_r)
{
	const char *at, *why;
	size_t local, i;
	bool ascii;

	out[0] = '\0';
	if (len == 0) {
		*why_r = "empty address";
		return -1;
	}
	if (memchr(in, '\0', len) != NULL) {
		*why_r = "a NUL byte in the address";
		return -1;
	}
	/* The last '@': a local part may hold one (unquoted by Postfix). */
	for (at = in + len; at > in && at[-1] != '@'; at--)
		;
	if (at == in) {
		if (!(flags & PW_ADDRESS_F_BARE)) {
			*why_r = flags & PW_ADDRESS_F_DOMAIN ? "expected "
			    "user@domain or @domain" : "expected user@domain";
			return -1;
		}
		local = len;
	} else {
		local = (size_t)(at - 1 - in);
	}
	if (local == 0 && !(flags & PW_ADDRESS_F_DOMAIN)) {
		*why_r = "empty local part";
		return -1;
	}
	if (local > PW_ADDRESS_LOCAL_MAX) {
		*why_r = "local part longer than 256 bytes";
		return -1;
	}
	if (!pw_address_text_ok((const unsigned char *)in, local, &ascii)) {
		*why_r = "local part: not valid UTF-8, or a control character";
		return -1;
	}
	for (i = 0; i < local; i++)
		out[i] = pw_address_lower(in[i]);
	out[local] = '\0';
	if (at == in)
		return 0;
	out[local] = '@';
	why = pw_address_domain_norm(at, len - local - 1, out + local + 1);
	if (why != NULL) {
		out[0] = '\0';
		*why_r = why;
		return -1;
	}
	return 0;
}

const char *
pw_address_domain(const char *normal)
{
	return strrchr(normal, '@');
}
