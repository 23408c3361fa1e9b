/*
 * dkim_open_bench.c -- what the milter pays, in CPU, to take a DKIM key
 * from its Redis record (milter/milter_keys.c on a cache miss), without
 * Redis: pw_dkim_store_open of one sealed record (unseal, PKCS#8 decode,
 * the check of its public half), its parts one by one, and the first
 * signature made with a freshly opened key against one made with a key
 * that has signed before; and, for comparison, the same PKCS#8 decoded
 * by EVP_PKCS82PKEY (the generic path, what lib/dkim_store.c used before
 * the sixth run) and by an OSSL_DECODER told the structure and key type
 * ("typed decoder": DER, PrivateKeyInfo, RSA or ED25519; what it uses
 * now).  For docs/bench-milter.md.
 *
 *   dkim_open_bench KEK_FILE KEY_PEM [ITERATIONS]
 *
 * Prints one line per step: microseconds per call on this thread (CPU
 * time of the thread, CLOCK_THREAD_CPUTIME_ID).
 *
 * Test tool: exits 1 on any error; not installed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "buf.h"
#include "dkim_keys.h"
#include "dkim_store.h"
#include "seal.h"

static double
cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void
fail(const char *what)
{
	fprintf(stderr, "dkim_open_bench: %s\n", what);
	exit(1);
}

/* One signature of a 32-byte digest-sized message with pkey. */
static void
sign_once(EVP_PKEY *pkey, enum pw_dkim_alg alg)
{
	static const unsigned char msg[32] = "0123456789abcdef0123456789abcde";
	unsigned char sig[1024];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (md == NULL || EVP_DigestSignInit(md, NULL,
	    alg == PW_DKIM_RSA_SHA256 ? EVP_sha256() : NULL, NULL, pkey) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, msg, sizeof(msg)) != 1)
		fail("sign");
	EVP_MD_CTX_free(md);
}

int
main(int argc, char **argv)
{
	const char *ctx[3] = { "t0001", "d00001.example", "s1" };
	const char *values[PW_DKIM_NFIELDS] = { 0 }, *why;
	struct pw_dkim_key *key;
	struct pw_seal_kek kek;
	struct pw_buf txt, sealed;
	PKCS8_PRIV_KEY_INFO *p8;
	unsigned char *der = NULL, *plain;
	const unsigned char *p;
	enum pw_dkim_alg alg;
	EVP_PKEY *pkey, *k2;
	char err[256], bits[16];
	size_t plainlen;
	double t;
	int i, n, derlen;

	if (argc < 3)
		fail("usage: dkim_open_bench KEK_FILE KEY_PEM [ITERATIONS]");
	n = argc > 3 ? atoi(argv[3]) : 2000;
	if (n < 1)
		fail("bad ITERATIONS");
	if (pw_seal_kek_load(argv[1], false, &kek, err, sizeof(err)) < 0 ||
	    pw_dkim_key_load_any(argv[2], 0, &pkey, &alg, &i, err,
	    sizeof(err)) < 0)
		fail(err);
	snprintf(bits, sizeof(bits), "%d", alg == PW_DKIM_RSA_SHA256 ? i : 256);
	pw_buf_init(&txt, 8192);
	pw_buf_init(&sealed, PW_SEAL_TEXT_MAX);
	if (pw_dkim_key_txt(pkey, &txt, &why) < 0)
		fail(why);
	if ((p8 = EVP_PKEY2PKCS8(pkey)) == NULL ||
	    (derlen = i2d_PKCS8_PRIV_KEY_INFO(p8, &der)) <= 0)
		fail("encode");
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (pw_seal(&kek, ctx, 3, der, (size_t)derlen, &sealed, &why) < 0)
		fail(why);
	values[PW_DKIM_F_ALGORITHM] = alg == PW_DKIM_RSA_SHA256 ? "rsa" :
	    "ed25519";
	values[PW_DKIM_F_BITS] = bits;
	values[PW_DKIM_F_STATE] = "active";
	values[PW_DKIM_F_PUBLIC] = txt.data;
	values[PW_DKIM_F_SEALED] = sealed.data;
	printf("%s, %d iterations, CPU µs per call:\n",
	    alg == PW_DKIM_RSA_SHA256 ? "rsa" : "ed25519", n);

	t = cpu_us();
	for (i = 0; i < n; i++) {
		if (pw_dkim_store_open(&kek, ctx[0], ctx[1], ctx[2], values,
		    &key, err, sizeof(err)) < 0)
			fail(err);
		pw_dkim_store_key_free(&key);
	}
	printf("pw_dkim_store_open (all of it)     %8.1f\n",
	    (cpu_us() - t) / n);

	t = cpu_us();
	for (i = 0; i < n; i++) {
		if (pw_seal_open(&kek, ctx, 3, sealed.data, sealed.len, &plain,
		    &plainlen, NULL, &why) < 0)
			fail(why);
		pw_seal_plain_free(&plain, plainlen);
	}
	printf("  pw_seal_open (AES-256-GCM)       %8.1f\n", (cpu_us() - t) / n);

	t = cpu_us();
	for (i = 0; i < n; i++) {
		p = der;
		p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, derlen);
		if (p8 == NULL || (k2 = EVP_PKCS82PKEY(p8)) == NULL)
			fail("decode");
		PKCS8_PRIV_KEY_INFO_free(p8);
		EVP_PKEY_free(k2);
	}
	printf("  PKCS#8 decode (EVP_PKCS82PKEY)   %8.1f\n", (cpu_us() - t) / n);

	t = cpu_us();
	for (i = 0; i < n; i++) {
		OSSL_DECODER_CTX *dc;
		size_t left = (size_t)derlen;

		p = der;
		k2 = NULL;
		dc = OSSL_DECODER_CTX_new_for_pkey(&k2, "DER",
		    "PrivateKeyInfo", alg == PW_DKIM_RSA_SHA256 ? "RSA" :
		    "ED25519", EVP_PKEY_KEYPAIR, NULL, NULL);
		if (dc == NULL || OSSL_DECODER_from_data(dc, &p, &left) != 1 ||
		    k2 == NULL)
			fail("typed decode");
		OSSL_DECODER_CTX_free(dc);
		EVP_PKEY_free(k2);
	}
	printf("  (typed decoder, for comparison)  %8.1f\n",
	    (cpu_us() - t) / n);

	t = cpu_us();
	for (i = 0; i < n; i++) {
		pw_buf_reset(&txt);
		if (pw_dkim_key_txt(pkey, &txt, &why) < 0)
			fail(why);
	}
	printf("  pw_dkim_key_txt (public check)   %8.1f\n", (cpu_us() - t) / n);

	sign_once(pkey, alg);
	t = cpu_us();
	for (i = 0; i < n; i++)
		sign_once(pkey, alg);
	printf("signature, key used before         %8.1f\n", (cpu_us() - t) / n);

	t = cpu_us();
	for (i = 0; i < n; i++) {
		if (pw_dkim_store_open(&kek, ctx[0], ctx[1], ctx[2], values,
		    &key, err, sizeof(err)) < 0)
			fail(err);
		sign_once(key->pkey, alg);
		pw_dkim_store_key_free(&key);
	}
	printf("open + first signature, new key    %8.1f\n", (cpu_us() - t) / n);

	OPENSSL_clear_free(der, (size_t)derlen);
	EVP_PKEY_free(pkey);
	pw_buf_free(&txt);
	pw_buf_free(&sealed);
	pw_seal_kek_wipe(&kek);
	return 0;
}
