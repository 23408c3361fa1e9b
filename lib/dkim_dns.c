/*
 * dkim_dns.c -- DKIM key records, SPF and DMARC records (see dkim_dns.h).
 *
 * The tag-list parser walks the record once, tag by tag, checking the
 * grammar of RFC 6376 3.2 (tag-name ALPHA *ALNUMPUNC, values of VALCHAR
 * and inner white space); it remembers the names it has seen to refuse a
 * tag given twice.  base64 is decoded here, strictly (white space
 * skipped, "=" only as padding at the end), into the result's fixed
 * buffer.
 *
 * Pure functions, no allocation except OpenSSL's encoding of our own
 * public key in pw_dkim_txt_match (freed before it returns).
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509.h>

#include "dkim_dns.h"

#define PW_DKIM_TXT_TAGS_MAX	32	/* tags in one record */
#define PW_DKIM_TAG_NAME_MAX	16

/* One tag=value, both trimmed. */
struct pw_dkim_tag {
	const char	*name, *value;
	size_t		 nlen, vlen;
};

static bool
pw_dkim_dns_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Does the value (trimmed) hold only VALCHAR and inner white space? */
static bool
pw_dkim_dns_value_ok(const char *v, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (pw_dkim_dns_wsp((char)c))
			continue;
		if (c < 0x21 || c > 0x7e || c == ';')
			return false;
	}
	return true;
}

/*
 * Split the tag-spec s..s+len ("  k = rsa ") into t: 0, or -1 with why.
 */
static int
pw_dkim_dns_tag(const char *s, size_t len, struct pw_dkim_tag *t,
    const char **why_r)
{
	const char *end = s + len, *eq;

	while (s < end && pw_dkim_dns_wsp(*s))
		s++;
	while (end > s && pw_dkim_dns_wsp(end[-1]))
		end--;
	if ((eq = memchr(s, '=', (size_t)(end - s))) == NULL) {
		*why_r = "a tag without \"=\"";
		return -1;
	}
	t->name = s;
	t->nlen = (size_t)(eq - s);
	while (t->nlen > 0 && pw_dkim_dns_wsp(s[t->nlen - 1]))
		t->nlen--;
	if (t->nlen == 0 || t->nlen > PW_DKIM_TAG_NAME_MAX ||
	    !isalpha((unsigned char)s[0])) {
		*why_r = "a bad tag name";
		return -1;
	}
	for (size_t i = 1; i < t->nlen; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_') {
			*why_r = "a bad tag name";
			return -1;
		}
	t->value = eq + 1;
	while (t->value < end && pw_dkim_dns_wsp(*t->value))
		t->value++;
	t->vlen = (size_t)(end - t->value);
	if (!pw_dkim_dns_value_ok(t->value, t->vlen)) {
		*why_r = "a bad character in a tag value";
		return -1;
	}
	return 0;
}

static bool
pw_dkim_dns_is(const struct pw_dkim_tag *t, const char *name)
{
	return t->nlen == strlen(name) && memcmp(t->name, name, t->nlen) == 0;
}

/* Is word one of the colon-separated items of list (white space around)? */
static bool
pw_dkim_dns_list_has(const char *list, size_t len, const char *word)
{
	size_t i = 0, wl = strlen(word);

	while (i <= len) {
		size_t start, stop;

		while (i < len && pw_dkim_dns_wsp(list[i]))
			i++;
		start = i;
		while (i < len && list[i] != ':')
			i++;
		stop = i;
		while (stop > start && pw_dkim_dns_wsp(list[stop - 1]))
			stop--;
		if (stop - start == wl && memcmp(list + start, word, wl) == 0)
			return true;
		i++;
	}
	return false;
}

static int
pw_dkim_dns_b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict base64 with white space skipped: 0 and *n_r, or -1. */
static int
pw_dkim_dns_b64(const char *s, size_t len, unsigned char *out, size_t max,
    size_t *n_r)
{
	unsigned long acc = 0;
	size_t i, n = 0, chars = 0, pad = 0;
	int v;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (pw_dkim_dns_wsp((char)c))
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = pw_dkim_dns_b64val(c)) < 0)
			return -1;
		acc = acc << 6 | (unsigned long)v;
		if (++chars % 4 == 0) {
			if (n + 3 > max)
				return -1;
			out[n++] = (unsigned char)(acc >> 16);
			out[n++] = (unsigned char)(acc >> 8);
			out[n++] = (unsigned char)acc;
			acc = 0;
		}
	}
	if ((chars + pad) % 4 != 0 || pad > 2 ||
	    (pad > 0 && chars % 4 != 4 - pad) || chars % 4 == 1)
		return -1;
	if (chars % 4 == 2) {
		if (n + 1 > max || (acc & 0xf) != 0)
			return -1;
		out[n++] = (unsigned char)(acc >> 4);
	} else if (chars % 4 == 3) {
		if (n + 2 > max || (acc & 0x3) != 0)
			return -1;
		out[n++] = (unsigned char)(acc >> 10);
		out[n++] = (unsigned char)(acc >> 2);
	}
	*n_r = n;
	return 0;
}

int
pw_dkim_txt_parse(const char *s, size_t len, struct pw_dkim_txt *r,
    const char **why_r)
{
	struct pw_dkim_tag seen[PW_DKIM_TXT_TAGS_MAX], t;
	size_t ntags = 0, off = 0, seg, i;
	bool have_p = false;

	memset(r, 0, sizeof(*r));
	r->alg = PW_DKIM_RSA_SHA256;
	if (memchr(s, '\0', len) != NULL) {
		*why_r = "a NUL byte in the record";
		return -1;
	}
	while (off < len) {
		const char *semi = memchr(s + off, ';', len - off);

		seg = semi != NULL ? (size_t)(semi - (s + off)) : len - off;
		/* An empty tag-spec is allowed only after the last ";". */
		for (i = 0; i < seg && pw_dkim_dns_wsp(s[off + i]); i++)
			;
		if (i == seg) {
			if (semi != NULL || ntags == 0) {
				*why_r = "an empty tag";
				return -1;
			}
			break;
		}
		if (pw_dkim_dns_tag(s + off, seg, &t, why_r) < 0)
			return -1;
		if (ntags == PW_DKIM_TXT_TAGS_MAX) {
			*why_r = "too many tags";
			return -1;
		}
		for (i = 0; i < ntags; i++)
			if (seen[i].nlen == t.nlen &&
			    memcmp(seen[i].name, t.name, t.nlen) == 0) {
				*why_r = "a tag given twice";
				return -1;
			}
		seen[ntags++] = t;

		if (pw_dkim_dns_is(&t, "v")) {
			if (ntags != 1) {
				*why_r = "v= is not the first tag";
				return -1;
			}
			if (t.vlen != 5 || memcmp(t.value, "DKIM1", 5) != 0) {
				*why_r = "v= is not DKIM1";
				return -1;
			}
		} else if (pw_dkim_dns_is(&t, "k")) {
			if (t.vlen == 3 && memcmp(t.value, "rsa", 3) == 0)
				r->alg = PW_DKIM_RSA_SHA256;
			else if (t.vlen == 7 &&
			    memcmp(t.value, "ed25519", 7) == 0)
				r->alg = PW_DKIM_ED25519_SHA256;
			else {
				*why_r = "k= is neither rsa nor ed25519";
				return -1;
			}
		} else if (pw_dkim_dns_is(&t, "p")) {
			have_p = true;
			if (pw_dkim_dns_b64(t.value, t.vlen, r->key,
			    sizeof(r->key), &r->keylen) < 0) {
				*why_r = "p= is not base64 (or too long)";
				return -1;
			}
			r->revoked = r->keylen == 0;
		} else if (pw_dkim_dns_is(&t, "h")) {
			if (!pw_dkim_dns_list_has(t.value, t.vlen, "sha256")) {
				*why_r = "h= does not allow sha256";
				return -1;
			}
		} else if (pw_dkim_dns_is(&t, "s")) {
			if (!pw_dkim_dns_list_has(t.value, t.vlen, "*") &&
			    !pw_dkim_dns_list_has(t.value, t.vlen, "email")) {
				*why_r = "s= does not allow email";
				return -1;
			}
		} else if (pw_dkim_dns_is(&t, "t")) {
			r->testing = pw_dkim_dns_list_has(t.value, t.vlen,
			    "y");
		}
		off += seg + (semi != NULL);
	}
	if (!have_p) {
		*why_r = "no p= tag";
		return -1;
	}
	return 0;
}

int
pw_dkim_txt_match(const struct pw_dkim_txt *r, EVP_PKEY *pkey,
    const char **why_r)
{
	unsigned char raw[64], *der = NULL;
	size_t rawlen = sizeof(raw);
	enum pw_dkim_alg alg;
	int derlen, ret;

	if (pw_dkim_key_alg(pkey, &alg) < 0) {
		*why_r = "our key is neither RSA nor Ed25519";
		return -1;
	}
	if (r->revoked) {
		*why_r = "the record is revoked (p= empty)";
		return 0;
	}
	if (r->alg != alg) {
		*why_r = alg == PW_DKIM_RSA_SHA256 ?
		    "the record is for an ed25519 key, ours is rsa" :
		    "the record is for an rsa key, ours is ed25519";
		return 0;
	}
	if (alg == PW_DKIM_ED25519_SHA256) {
		if (EVP_PKEY_get_raw_public_key(pkey, raw, &rawlen) != 1) {
			*why_r = "cannot encode our public key";
			return -1;
		}
		ret = r->keylen == rawlen &&
		    memcmp(r->key, raw, rawlen) == 0;
	} else {
		if ((derlen = i2d_PUBKEY(pkey, &der)) <= 0) {
			*why_r = "cannot encode our public key";
			return -1;
		}
		ret = r->keylen == (size_t)derlen &&
		    memcmp(r->key, der, r->keylen) == 0;
		OPENSSL_free(der);
	}
	if (!ret)
		*why_r = "the record has another key";
	return ret;
}

bool
pw_dkim_dns_is_spf(const char *s, size_t len)
{
	return len >= 6 && strncasecmp(s, "v=spf1", 6) == 0 &&
	    (len == 6 || s[6] == ' ');
}

bool
pw_dkim_dns_is_dmarc(const char *s, size_t len)
{
	size_t i = 0;

	/* RFC 7489 6.4: "v=DMARC1" first; white space around "=" and ";". */
	while (i < len && pw_dkim_dns_wsp(s[i]))
		i++;
	if (len - i < 1 || s[i] != 'v')
		return false;
	for (i++; i < len && pw_dkim_dns_wsp(s[i]); i++)
		;
	if (i == len || s[i] != '=')
		return false;
	for (i++; i < len && pw_dkim_dns_wsp(s[i]); i++)
		;
	if (len - i < 6 || memcmp(s + i, "DMARC1", 6) != 0)
		return false;
	for (i += 6; i < len && pw_dkim_dns_wsp(s[i]); i++)
		;
	return i == len || s[i] == ';';
}

int
pw_dkim_dns_dmarc_policy(const char *s, size_t len, char policy[16],
    const char **why_r)
{
	size_t off = 0, seg;
	struct pw_dkim_tag t;

	while (off < len) {
		const char *semi = memchr(s + off, ';', len - off);
		const char *dummy;

		seg = semi != NULL ? (size_t)(semi - (s + off)) : len - off;
		if (pw_dkim_dns_tag(s + off, seg, &t, &dummy) == 0 &&
		    pw_dkim_dns_is(&t, "p")) {
			if ((t.vlen == 4 &&
			    memcmp(t.value, "none", 4) == 0) ||
			    (t.vlen == 10 &&
			    memcmp(t.value, "quarantine", 10) == 0) ||
			    (t.vlen == 6 &&
			    memcmp(t.value, "reject", 6) == 0)) {
				memcpy(policy, t.value, t.vlen);
				policy[t.vlen] = '\0';
				return 0;
			}
			*why_r = "p= is not none, quarantine or reject";
			return -1;
		}
		off += seg + (semi != NULL);
	}
	*why_r = "no p= tag";
	return -1;
}
