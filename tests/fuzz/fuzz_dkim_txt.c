/*
 * fuzz_dkim_txt.c -- libFuzzer harness for what a DNS answer gives
 * `postwarden domain verify`: the DKIM key record parser and the key
 * comparison (lib/dkim_dns.c), the SPF/DMARC record tests, and the TXT
 * and MX rdata parsers (lib/dns.c).
 *
 * Any bytes must give a result without reading past them (the input is
 * copied into a buffer of exactly its size).  A parsed record holds at
 * most PW_DKIM_TXT_KEY_MAX key bytes, is revoked exactly when p= is
 * empty, and written out again ("v=DKIM1; k=...; p=<base64>") parses to
 * the same key; a record that matches our Ed25519 key holds its 32
 * bytes.  A DMARC policy is one of none, quarantine, reject.  TXT rdata
 * joins to at most PW_DNS_TXT_MAX bytes; an MX host is lower case LDH
 * labels (or "." for the null MX).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dkim_dns.h"
#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Our key for the comparison: one Ed25519 key for the whole run. */
static EVP_PKEY *
fuzz_key(void)
{
	static EVP_PKEY *pkey;

	if (pkey == NULL)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pkey == NULL)
		__builtin_trap();
	return pkey;
}

static void
fuzz_roundtrip(const struct pw_dkim_txt *r)
{
	static struct pw_dkim_txt again;
	char *rec, *b64;
	const char *why = NULL;
	size_t n;

	b64 = malloc((r->keylen + 2) / 3 * 4 + 1);
	rec = malloc((r->keylen + 2) / 3 * 4 + 64);
	if (b64 == NULL || rec == NULL)
		__builtin_trap();
	EVP_EncodeBlock((unsigned char *)b64, r->key, (int)r->keylen);
	n = (size_t)snprintf(rec, (r->keylen + 2) / 3 * 4 + 64,
	    "v=DKIM1; k=%s; p=%s", r->alg == PW_DKIM_ED25519_SHA256 ?
	    "ed25519" : "rsa", b64);
	if (pw_dkim_txt_parse(rec, n, &again, &why) != 0 ||
	    again.alg != r->alg || again.keylen != r->keylen ||
	    memcmp(again.key, r->key, r->keylen) != 0)
		__builtin_trap();
	free(rec);
	free(b64);
}

static void
fuzz_rdata(const unsigned char *d, size_t size)
{
	static char txt[PW_DNS_TXT_MAX + 1];
	char host[PW_DNS_NAME_MAX + 2];
	unsigned pref;
	size_t len, i;

	if (pw_dns_txt_rdata(d, size, txt, &len) == 0 &&
	    (len > PW_DNS_TXT_MAX || len > size || txt[len] != '\0'))
		__builtin_trap();
	if (pw_dns_mx_rdata(d, size, &pref, host) == 0) {
		len = strlen(host);
		if (len == 0 || len > PW_DNS_NAME_MAX || pref > 65535)
			__builtin_trap();
		for (i = 0; i < len; i++)
			if (!((host[i] >= 'a' && host[i] <= 'z') ||
			    (host[i] >= '0' && host[i] <= '9') ||
			    host[i] == '-' || host[i] == '_' ||
			    host[i] == '.'))
				__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pw_dkim_txt r;
	const char *why = NULL;
	char policy[16];
	char *s;
	int ret, m;

	s = malloc(size > 0 ? size : 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);

	ret = pw_dkim_txt_parse(s, size, &r, &why);
	if (ret == 0) {
		if (r.keylen > PW_DKIM_TXT_KEY_MAX ||
		    r.revoked != (r.keylen == 0) ||
		    (r.alg != PW_DKIM_RSA_SHA256 &&
		    r.alg != PW_DKIM_ED25519_SHA256))
			__builtin_trap();
		fuzz_roundtrip(&r);
		why = NULL;
		m = pw_dkim_txt_match(&r, fuzz_key(), &why);
		if (m < 0 || (m == 0 && why == NULL) ||
		    (m == 1 && (r.keylen != 32 ||
		    r.alg != PW_DKIM_ED25519_SHA256)))
			__builtin_trap();
	} else if (ret != -1 || why == NULL)
		__builtin_trap();

	(void)pw_dkim_dns_is_spf(s, size);
	if (pw_dkim_dns_is_dmarc(s, size) &&
	    pw_dkim_dns_dmarc_policy(s, size, policy, &why) == 0 &&
	    strcmp(policy, "none") != 0 && strcmp(policy, "quarantine") != 0 &&
	    strcmp(policy, "reject") != 0)
		__builtin_trap();
	fuzz_rdata((const unsigned char *)s, size);
	free(s);
	return 0;
}
