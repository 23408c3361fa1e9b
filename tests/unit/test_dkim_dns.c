/*
 * test_dkim_dns.c -- unit tests for lib/dkim_dns.c and the pure parts of
 * lib/dns.c: DKIM key records (a table of named records: the tag-list
 * grammar, v= k= p= h= s= t=, base64, what makes a record invalid), the
 * comparison with a key of ours (same key, another key, the other
 * algorithm, revoked, white space inside p=), SPF and DMARC records,
 * TXT and MX rdata, and the dns_resolver syntax.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "buf.h"
#include "dkim_dns.h"
#include "dkim_keys.h"
#include "dns.h"

#define ED_P	"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

static const struct {
	const char	*name;
	const char	*rec;
	const char	*why;		/* NULL: parses */
	enum pw_dkim_alg alg;
	size_t		 keylen;
	bool		 testing;
} cases[] = {
	{ "ed25519", "v=DKIM1; k=ed25519; p=" ED_P, NULL,
	    PW_DKIM_ED25519_SHA256, 32, false },
	{ "no v=, k= defaults to rsa", "p=QUJD", NULL,
	    PW_DKIM_RSA_SHA256, 3, false },
	{ "trailing ;", "v=DKIM1; k=rsa; p=QUJD;", NULL,
	    PW_DKIM_RSA_SHA256, 3, false },
	{ "white space everywhere", " v = DKIM1 ;\r\n\tk = ed25519 ; p = "
	    "11qYAYKxCrfVS/7T\r\n yWQHOg7hcvPapiMlrwIaaPcHURo= ", NULL,
	    PW_DKIM_ED25519_SHA256, 32, false },
	{ "padding: one =", "p=QUI=", NULL, PW_DKIM_RSA_SHA256, 2, false },
	{ "padding: two =", "p=QQ==", NULL, PW_DKIM_RSA_SHA256, 1, false },
	{ "h= with sha256", "v=DKIM1; h=sha1:sha256; p=QUJD", NULL,
	    PW_DKIM_RSA_SHA256, 3, false },
	{ "s=email", "v=DKIM1; s=email; p=QUJD", NULL,
	    PW_DKIM_RSA_SHA256, 3, false },
	{ "s=*", "v=DKIM1; s=*; p=QUJD", NULL, PW_DKIM_RSA_SHA256, 3,
	    false },
	{ "t=y", "v=DKIM1; t=s:y; p=QUJD", NULL, PW_DKIM_RSA_SHA256, 3,
	    true },
	{ "unknown tags ignored", "v=DKIM1; n=a note; x_1=9; p=QUJD", NULL,
	    PW_DKIM_RSA_SHA256, 3, false },
	{ "revoked", "v=DKIM1; k=rsa; p=", NULL, PW_DKIM_RSA_SHA256, 0,
	    false },

	{ "empty", "", "no p= tag", 0, 0, false },
	{ "no p=", "v=DKIM1; k=rsa", "no p= tag", 0, 0, false },
	{ "v= not first", "k=rsa; v=DKIM1; p=QUJD",
	    "v= is not the first tag", 0, 0, false },
	{ "v=DKIM2", "v=DKIM2; p=QUJD", "v= is not DKIM1", 0, 0, false },
	{ "v=dkim1 (case)", "v=dkim1; p=QUJD", "v= is not DKIM1", 0, 0,
	    false },
	{ "k=dsa", "v=DKIM1; k=dsa; p=QUJD", "k= is neither rsa nor ed25519",
	    0, 0, false },
	{ "a tag twice", "v=DKIM1; p=QUJD; p=QUJD", "a tag given twice", 0,
	    0, false },
	{ "k twice", "k=rsa; k=rsa; p=QUJD", "a tag given twice", 0, 0,
	    false },
	{ "h= without sha256", "h=sha1; p=QUJD", "h= does not allow sha256",
	    0, 0, false },
	{ "s= without email", "s=tls; p=QUJD", "s= does not allow email", 0,
	    0, false },
	{ "an empty tag in the middle", "v=DKIM1;; p=QUJD", "an empty tag", 0,
	    0, false },
	{ "no =", "v=DKIM1; p", "a tag without \"=\"", 0, 0, false },
	{ "tag name starts with a digit", "1a=b; p=QUJD", "a bad tag name",
	    0, 0, false },
	{ "tag name with -", "a-b=c; p=QUJD", "a bad tag name", 0, 0,
	    false },
	{ "control character in a value", "n=a\001b; p=QUJD",
	    "a bad character in a tag value", 0, 0, false },
	{ "8-bit in a value", "n=\xc3\xa9; p=QUJD",
	    "a bad character in a tag value", 0, 0, false },
	{ "base64: bad character", "p=QU!D", "p= is not base64 (or too long)",
	    0, 0, false },
	{ "base64: missing padding", "p=QUI", "p= is not base64 (or too long)",
	    0, 0, false },
	{ "base64: data after =", "p=QQ==QUJD",
	    "p= is not base64 (or too long)", 0, 0, false },
	{ "base64: three =", "p=Q===", "p= is not base64 (or too long)", 0, 0,
	    false },
	{ "base64: one char", "p=Q", "p= is not base64 (or too long)", 0, 0,
	    false },
	{ "base64: stray bits", "p=QR==", "p= is not base64 (or too long)", 0,
	    0, false },
};

static void
test_parse(void **state)
{
	struct pw_dkim_txt r;
	const char *why;
	size_t i;
	int ret;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		ret = pw_dkim_txt_parse(cases[i].rec, strlen(cases[i].rec),
		    &r, &why);
		if (cases[i].why != NULL) {
			if (ret != -1 || why == NULL ||
			    strcmp(why, cases[i].why) != 0)
				fail_msg("%s: want \"%s\", got %d \"%s\"",
				    cases[i].name, cases[i].why, ret,
				    why != NULL ? why : "");
			continue;
		}
		if (ret != 0)
			fail_msg("%s: refused: %s", cases[i].name, why);
		if (r.alg != cases[i].alg || r.keylen != cases[i].keylen ||
		    r.testing != cases[i].testing ||
		    r.revoked != (cases[i].keylen == 0))
			fail_msg("%s: alg %d keylen %zu testing %d revoked %d",
			    cases[i].name, r.alg, r.keylen, r.testing,
			    r.revoked);
	}
}

/* A NUL inside the record, and len honoured (no NUL needed). */
static void
test_parse_bytes(void **state)
{
	struct pw_dkim_txt r;
	const char *why = NULL;

	(void)state;
	assert_int_equal(pw_dkim_txt_parse("p=QUJD\0x", 8, &r, &why), -1);
	assert_string_equal(why, "a NUL byte in the record");
	assert_int_equal(pw_dkim_txt_parse("p=QUJDgarbage", 6, &r, &why), 0);
	assert_int_equal(r.keylen, 3);
	assert_memory_equal(r.key, "ABC", 3);
}

/* The record of key as `dkim keygen` prints it. */
static void
record_of(EVP_PKEY *key, struct pw_dkim_txt *r)
{
	struct pw_buf b;
	const char *why = NULL;

	pw_buf_init(&b, 8192);
	assert_int_equal(pw_dkim_key_txt(key, &b, &why), 0);
	assert_int_equal(pw_dkim_txt_parse(b.data, b.len, r, &why), 0);
	pw_buf_free(&b);
}

static void
test_match(void **state)
{
	EVP_PKEY *rsa1, *rsa2, *ed1, *ed2;
	struct pw_dkim_txt r;
	const char *why;

	(void)state;
	rsa1 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	rsa2 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	ed1 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	ed2 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(rsa1);
	assert_non_null(rsa2);
	assert_non_null(ed1);
	assert_non_null(ed2);

	record_of(rsa1, &r);
	assert_int_equal(pw_dkim_txt_match(&r, rsa1, &why), 1);
	assert_int_equal(pw_dkim_txt_match(&r, rsa2, &why), 0);
	assert_string_equal(why, "the record has another key");
	assert_int_equal(pw_dkim_txt_match(&r, ed1, &why), 0);
	assert_string_equal(why,
	    "the record is for an rsa key, ours is ed25519");
	/* One byte of the key changed. */
	r.key[r.keylen - 1] ^= 1;
	assert_int_equal(pw_dkim_txt_match(&r, rsa1, &why), 0);

	record_of(ed1, &r);
	assert_int_equal(pw_dkim_txt_match(&r, ed1, &why), 1);
	assert_int_equal(pw_dkim_txt_match(&r, ed2, &why), 0);
	assert_string_equal(why, "the record has another key");
	assert_int_equal(pw_dkim_txt_match(&r, rsa1, &why), 0);
	assert_string_equal(why,
	    "the record is for an ed25519 key, ours is rsa");
	/* The 32 bytes as the tail of a longer p= are not the key. */
	memmove(r.key + 1, r.key, 32);
	r.keylen = 33;
	assert_int_equal(pw_dkim_txt_match(&r, ed1, &why), 0);

	assert_int_equal(pw_dkim_txt_parse("v=DKIM1; k=ed25519; p=", 22, &r,
	    &why), 0);
	assert_int_equal(pw_dkim_txt_match(&r, ed1, &why), 0);
	assert_string_equal(why, "the record is revoked (p= empty)");

	EVP_PKEY_free(rsa1);
	EVP_PKEY_free(rsa2);
	EVP_PKEY_free(ed1);
	EVP_PKEY_free(ed2);
}

static void
test_spf_dmarc(void **state)
{
	char p[16];
	const char *why;

	(void)state;
#define S(x)	x, strlen(x)
	assert_true(pw_dkim_dns_is_spf(S("v=spf1 -all")));
	assert_true(pw_dkim_dns_is_spf(S("v=spf1")));
	assert_true(pw_dkim_dns_is_spf(S("V=SPF1 mx")));
	assert_false(pw_dkim_dns_is_spf(S("v=spf10 -all")));
	assert_false(pw_dkim_dns_is_spf(S(" v=spf1 -all")));
	assert_false(pw_dkim_dns_is_spf(S("v=spf")));
	assert_false(pw_dkim_dns_is_spf(S("google-site-verification=x")));

	assert_true(pw_dkim_dns_is_dmarc(S("v=DMARC1; p=none")));
	assert_true(pw_dkim_dns_is_dmarc(S("v = DMARC1 ;p=none")));
	assert_true(pw_dkim_dns_is_dmarc(S("v=DMARC1")));
	assert_false(pw_dkim_dns_is_dmarc(S("v=DMARC10; p=none")));
	assert_false(pw_dkim_dns_is_dmarc(S("p=none; v=DMARC1")));
	assert_false(pw_dkim_dns_is_dmarc(S("v=spf1 -all")));
	assert_false(pw_dkim_dns_is_dmarc(S("")));

	assert_int_equal(pw_dkim_dns_dmarc_policy(S("v=DMARC1; p=reject"), p,
	    &why), 0);
	assert_string_equal(p, "reject");
	assert_int_equal(pw_dkim_dns_dmarc_policy(
	    S("v=DMARC1; rua=mailto:a@b; p = quarantine ;pct=5"), p, &why), 0);
	assert_string_equal(p, "quarantine");
	assert_int_equal(pw_dkim_dns_dmarc_policy(S("v=DMARC1; sp=none"), p,
	    &why), -1);
	assert_string_equal(why, "no p= tag");
	assert_int_equal(pw_dkim_dns_dmarc_policy(S("v=DMARC1; p=Reject"), p,
	    &why), -1);
	assert_string_equal(why, "p= is not none, quarantine or reject");
#undef S
}

static void
test_rdata(void **state)
{
	char txt[PW_DNS_TXT_MAX + 1], host[PW_DNS_NAME_MAX + 2];
	unsigned char big[300];
	unsigned pref;
	size_t len;

	(void)state;
	assert_int_equal(pw_dns_txt_rdata((const unsigned char *)
	    "\003abc\000\002de", 9, txt, &len), 0);
	assert_int_equal(len, 5);
	assert_string_equal(txt, "abcde");
	assert_int_equal(pw_dns_txt_rdata((const unsigned char *)"\005abc", 4,
	    txt, &len), -1);
	assert_int_equal(pw_dns_txt_rdata((const unsigned char *)"", 0, txt,
	    &len), 0);
	assert_int_equal(len, 0);

	assert_int_equal(pw_dns_mx_rdata((const unsigned char *)
	    "\000\012\002MX\007example\000", 14, &pref, host), 0);
	assert_int_equal(pref, 10);
	assert_string_equal(host, "mx.example");
	assert_int_equal(pw_dns_mx_rdata((const unsigned char *)"\000\000\000",
	    3, &pref, host), 0);
	assert_string_equal(host, ".");
	/* Truncated, trailing bytes, a bad character, a long label. */
	assert_int_equal(pw_dns_mx_rdata((const unsigned char *)
	    "\000\012\002mx", 5, &pref, host), -1);
	assert_int_equal(pw_dns_mx_rdata((const unsigned char *)
	    "\000\012\000x", 4, &pref, host), -1);
	assert_int_equal(pw_dns_mx_rdata((const unsigned char *)
	    "\000\012\002m.\000", 6, &pref, host), -1);
	memset(big, 'a', sizeof(big));
	big[0] = 0;
	big[1] = 1;
	big[2] = 64;
	big[67] = 0;
	assert_int_equal(pw_dns_mx_rdata(big, 68, &pref, host), -1);
}

static void
test_resolver(void **state)
{
	(void)state;
#define R(x)	pw_dns_resolver_check(x, strlen(x))
	assert_null(R("127.0.0.1"));
	assert_null(R("127.0.0.1@5353"));
	assert_null(R("::1@53"));
	assert_null(R("2001:db8::1"));
	assert_non_null(R("localhost"));
	assert_non_null(R("127.0.0.1@"));
	assert_non_null(R("127.0.0.1@0"));
	assert_non_null(R("127.0.0.1@65536"));
	assert_non_null(R("127.0.0.1@53x"));
	assert_non_null(R("127.0.0.1:53"));
	assert_non_null(R(""));
#undef R
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_bytes),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_spf_dmarc),
		cmocka_unit_test(test_rdata),
		cmocka_unit_test(test_resolver),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
