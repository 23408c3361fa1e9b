/*
 * dkim_store.c -- make and open the Redis record of one DKIM key (see
 * dkim_store.h; the fields are described in docs/redis-schema.md).
 *
 * Exports: pw_dkim_store_fields, pw_dkim_store_state_name,
 * pw_dkim_store_state_parse, pw_dkim_store_valid_selector,
 * pw_dkim_store_make, pw_dkim_store_made_free, pw_dkim_store_open,
 * pw_dkim_store_public, pw_dkim_store_key_free.
 *
 * Key generation and the TXT record are lib/dkim_keys.c's (the same code
 * as `postwarden dkim keygen`); sealing is lib/seal.c's, with the context
 * (tenant, domain, selector).  Threads: no state.  Failures: a static
 * reason, or "what: why" in err; nothing is half-made.  Security: the
 * DER of the private key lives only between its encoding and its sealing
 * (or its opening and decoding) and is wiped with OPENSSL_cleanse.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "buf.h"
#include "dkim_dns.h"
#include "dkim_store.h"
#include "xmalloc.h"

const char *const pw_dkim_store_fields[PW_DKIM_NFIELDS] = {
	[PW_DKIM_F_ALGORITHM] = "algorithm",
	[PW_DKIM_F_BITS] = "bits",
	[PW_DKIM_F_STATE] = "state",
	[PW_DKIM_F_CREATED] = "created",
	[PW_DKIM_F_ACTIVATED] = "activated",
	[PW_DKIM_F_KEEP_UNTIL] = "keep_published_until",
	[PW_DKIM_F_PUBLIC] = "public",
	[PW_DKIM_F_SEALED] = "sealed",
};

static const char *const pw_dkim_store_states[] = {
	[PW_DKIM_STATE_PENDING] = "pending",
	[PW_DKIM_STATE_ACTIVE] = "active",
	[PW_DKIM_STATE_RETIRING] = "retiring",
};

#define PW_DKIM_STORE_NSTATES \
	(sizeof(pw_dkim_store_states) / sizeof(pw_dkim_store_states[0]))

const char *
pw_dkim_store_state_name(enum pw_dkim_store_state s)
{
	return (size_t)s < PW_DKIM_STORE_NSTATES ? pw_dkim_store_states[s] :
	    "?";
}

int
pw_dkim_store_state_parse(const char *s, enum pw_dkim_store_state *s_r)
{
	size_t i;

	for (i = 0; s != NULL && i < PW_DKIM_STORE_NSTATES; i++)
		if (strcmp(s, pw_dkim_store_states[i]) == 0) {
			*s_r = (enum pw_dkim_store_state)i;
			return 0;
		}
	return -1;
}

int
pw_dkim_store_valid_selector(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > PW_DKIM_SELECTOR_MAX || s[0] == '-' ||
	    s[len - 1] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!(islower((unsigned char)s[i]) ||
		    isdigit((unsigned char)s[i]) || s[i] == '-'))
			return 0;
	return 1;
}

static char *
pw_dkim_store_int(int64_t n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, n);
	return pw_xstrdup(buf);
}

int
pw_dkim_store_make(const struct pw_seal_kek *kek, const char *tenant,
    const char *domain, const char *selector, enum pw_dkim_alg alg,
    int bits, int64_t now, struct pw_dkim_store_made *made,
    const char **why_r)
{
	const char *ctx[3] = { tenant, domain, selector };
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	unsigned char *der = NULL;
	struct pw_buf txt, sealed;
	EVP_PKEY *pkey;
	int derlen = 0, ret = -1;

	memset(made, 0, sizeof(*made));
	if ((pkey = pw_dkim_key_generate(alg, bits, why_r)) == NULL)
		return -1;
	pw_buf_init(&txt, 8192);
	pw_buf_init(&sealed, PW_SEAL_TEXT_MAX);
	if (pw_dkim_key_txt(pkey, &txt, why_r) < 0)
		goto out;
	if ((p8 = EVP_PKEY2PKCS8(pkey)) == NULL ||
	    (derlen = i2d_PKCS8_PRIV_KEY_INFO(p8, &der)) <= 0) {
		*why_r = "cannot encode the private key (OpenSSL)";
		goto out;
	}
	if (pw_seal(kek, ctx, 3, der, (size_t)derlen, &sealed, why_r) < 0)
		goto out;
	made->values[PW_DKIM_F_ALGORITHM] = pw_xstrdup(
	    alg == PW_DKIM_RSA_SHA256 ? "rsa" : "ed25519");
	made->values[PW_DKIM_F_BITS] = pw_dkim_store_int(
	    alg == PW_DKIM_RSA_SHA256 ? bits : 256);
	made->values[PW_DKIM_F_STATE] = pw_xstrdup(
	    pw_dkim_store_state_name(PW_DKIM_STATE_PENDING));
	made->values[PW_DKIM_F_CREATED] = pw_dkim_store_int(now);
	made->values[PW_DKIM_F_ACTIVATED] = pw_xstrdup("0");
	made->values[PW_DKIM_F_KEEP_UNTIL] = pw_xstrdup("0");
	made->values[PW_DKIM_F_PUBLIC] = pw_xstrdup(txt.data);
	made->values[PW_DKIM_F_SEALED] = pw_xstrdup(sealed.data);
	ret = 0;
out:
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)derlen);
	PKCS8_PRIV_KEY_INFO_free(p8);
	EVP_PKEY_free(pkey);
	pw_buf_free(&txt);
	pw_buf_free(&sealed);
	ERR_clear_error();
	return ret;
}

void
pw_dkim_store_made_free(struct pw_dkim_store_made *made)
{
	size_t i;

	for (i = 0; i < PW_DKIM_NFIELDS; i++) {
		free(made->values[i]);
		made->values[i] = NULL;
	}
}

/*
 * Decode a PKCS#8 DER private key, all of it: the key, or NULL.  A
 * decoder told the input (DER), the structure (PrivateKeyInfo) and the
 * key type of alg goes straight to one provider's decoder: a quarter of
 * the CPU of EVP_PKCS82PKEY, which tries OpenSSL 3's whole decoder chain
 * (docs/bench-milter.md, sixth run).  When it fails (another type, not a
 * key), the generic path decodes whatever it is, so that the caller can
 * say what is wrong.
 */
static EVP_PKEY *
pw_dkim_store_decode(const unsigned char *der, size_t len,
    enum pw_dkim_alg alg)
{
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *p8;
	OSSL_DECODER_CTX *dc;
	EVP_PKEY *pkey = NULL;
	size_t left = len;

	if (len > (size_t)PW_SEAL_PLAIN_MAX)
		return NULL;
	dc = OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", "PrivateKeyInfo",
	    alg == PW_DKIM_RSA_SHA256 ? "RSA" : "ED25519", EVP_PKEY_KEYPAIR,
	    NULL, NULL);
	if (dc != NULL && OSSL_DECODER_from_data(dc, &p, &left) == 1 &&
	    pkey != NULL && left == 0) {
		OSSL_DECODER_CTX_free(dc);
		ERR_clear_error();
		return pkey;
	}
	OSSL_DECODER_CTX_free(dc);
	EVP_PKEY_free(pkey);
	pkey = NULL;
	p = der;
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
	if (p8 != NULL && p == der + len)
		pkey = EVP_PKCS82PKEY(p8);
	PKCS8_PRIV_KEY_INFO_free(p8);
	ERR_clear_error();
	return pkey;
}

int
pw_dkim_store_open(const struct pw_seal_kek *kek, const char *tenant,
    const char *domain, const char *selector,
    const char *const values[PW_DKIM_NFIELDS], struct pw_dkim_key **key_r,
    char *err, size_t errsize)
{
	const char *ctx[3] = { tenant, domain, selector };
	const char *sealed = values[PW_DKIM_F_SEALED], *why;
	const char *public = values[PW_DKIM_F_PUBLIC];
	struct pw_dkim_key *key;
	unsigned char *der = NULL;
	enum pw_dkim_alg alg, got;
	struct pw_buf txt;
	EVP_PKEY *pkey = NULL;
	size_t derlen = 0;
	int bits;

	*key_r = NULL;
	pw_buf_init(&txt, 8192);
	if (values[PW_DKIM_F_ALGORITHM] == NULL ||
	    pw_dkim_alg_parse(values[PW_DKIM_F_ALGORITHM], &alg) < 0) {
		snprintf(err, errsize, "%s/%s: no algorithm (rsa, ed25519)",
		    domain, selector);
		goto fail;
	}
	if (sealed == NULL || public == NULL) {
		snprintf(err, errsize, "%s/%s: no %s field", domain, selector,
		    sealed == NULL ? "sealed" : "public");
		goto fail;
	}
	if (pw_seal_open(kek, ctx, 3, sealed, strlen(sealed), &der, &derlen,
	    NULL, &why) < 0) {
		snprintf(err, errsize, "%s/%s: sealed key %s", domain,
		    selector, why);
		goto fail;
	}
	pkey = pw_dkim_store_decode(der, derlen, alg);
	pw_seal_plain_free(&der, derlen);
	if (pkey == NULL) {
		snprintf(err, errsize, "%s/%s: the sealed key is not a "
		    "PKCS#8 private key", domain, selector);
		goto fail;
	}
	if (pw_dkim_key_alg(pkey, &got) < 0 || got != alg) {
		snprintf(err, errsize, "%s/%s: the sealed key is not of "
		    "algorithm %s", domain, selector,
		    values[PW_DKIM_F_ALGORITHM]);
		goto fail;
	}
	bits = alg == PW_DKIM_RSA_SHA256 ? EVP_PKEY_get_bits(pkey) : 256;
	if (alg == PW_DKIM_RSA_SHA256 &&
	    (bits < PW_DKIM_RSA_MIN || bits > PW_DKIM_RSA_MAX)) {
		snprintf(err, errsize, "%s/%s: RSA key of %d bits; %d to %d "
		    "are accepted", domain, selector, bits, PW_DKIM_RSA_MIN,
		    PW_DKIM_RSA_MAX);
		goto fail;
	}
	/* The record must publish this key's public half, no other. */
	if (pw_dkim_key_txt(pkey, &txt, &why) < 0 ||
	    strcmp(txt.data, public) != 0) {
		snprintf(err, errsize, "%s/%s: the public field is not the "
		    "sealed key's public key", domain, selector);
		goto fail;
	}
	key = pw_xcalloc(1, sizeof(*key));
	pw_buf_reset(&txt);
	(void)pw_buf_printf(&txt, "%s._domainkey.%s", selector, domain);
	key->name = pw_xstrdup(txt.data);
	key->domain = pw_xstrdup(domain);
	key->selector = pw_xstrdup(selector);
	key->path = NULL;
	key->alg = alg;
	key->bits = bits;
	key->pkey = pkey;
	pw_buf_free(&txt);
	*key_r = key;
	return 0;
fail:
	pw_buf_free(&txt);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return -1;
}

EVP_PKEY *
pw_dkim_store_public(const char *const values[PW_DKIM_NFIELDS],
    enum pw_dkim_alg *alg_r, const char **why_r)
{
	const char *pub = values[PW_DKIM_F_PUBLIC];
	const unsigned char *p;
	struct pw_dkim_txt *txt;
	enum pw_dkim_alg alg, got;
	EVP_PKEY *pkey = NULL;

	if (values[PW_DKIM_F_ALGORITHM] == NULL ||
	    pw_dkim_alg_parse(values[PW_DKIM_F_ALGORITHM], &alg) < 0) {
		*why_r = "no algorithm (rsa, ed25519)";
		return NULL;
	}
	if (pub == NULL) {
		*why_r = "no public field";
		return NULL;
	}
	txt = pw_xmalloc(sizeof(*txt));
	if (pw_dkim_txt_parse(pub, strlen(pub), txt, why_r) < 0)
		goto out;
	if (txt->alg != alg || txt->revoked) {
		*why_r = "the public field is not a key of its algorithm";
		goto out;
	}
	p = txt->key;
	if (alg == PW_DKIM_RSA_SHA256)
		pkey = d2i_PUBKEY(NULL, &p, (long)txt->keylen);
	else
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
		    txt->key, txt->keylen);
	if (pkey != NULL && (pw_dkim_key_alg(pkey, &got) < 0 || got != alg)) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	if (pkey == NULL)
		*why_r = "the public field holds no valid key";
	else
		*alg_r = alg;
out:
	free(txt);
	ERR_clear_error();
	return pkey;
}

void
pw_dkim_store_key_free(struct pw_dkim_key **key)
{
	struct pw_dkim_key *k = *key;

	if (k == NULL)
		return;
	free(k->name);
	free(k->domain);
	free(k->selector);
	free(k->path);
	EVP_PKEY_free(k->pkey);
	free(k);
	*key = NULL;
}
