/*
 * test_tenant_fields.c -- unit tests for lib/tenant_fields.c, the rules
 * the milter and `postwarden tenant` share: names, country codes, host
 * names, addresses, the VERP local part and the unsubscribe URL (empty,
 * at the limit, one over, bad characters), lists and maps (limits,
 * duplicates, all or nothing).
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

#include "tenant_fields.h"

enum kind { NAME, COUNTRY, HOST, LOCAL, ADDR, BOUNCE, URL };

static const char *const kind_names[] = {
	"name", "country", "host", "local", "addr", "bounce", "url",
};

static bool
check(enum kind k, const char *s, size_t len)
{
	const char *why = NULL;
	bool ok;

	switch (k) {
	case NAME:
		return pw_tenant_name_ok(s, len);
	case COUNTRY:
		return pw_tenant_country_ok(s, len);
	case HOST:
		return pw_tenant_host_ok(s, len);
	case LOCAL:
		return pw_tenant_local_ok(s, len, PW_TENANT_LOCAL_MAX);
	case ADDR:
		return pw_tenant_addr_ok(s, len);
	case BOUNCE:
		return pw_tenant_bounce_local_ok(s, len);
	case URL:
		ok = pw_tenant_url_ok(s, len, &why);
		/* A reason exactly when it fails. */
		assert_true(ok == (why == NULL));
		return ok;
	}
	return false;
}

static const struct {
	const char	*name;
	enum kind	 kind;
	const char	*value;
	bool		 valid;
} cases[] = {
	{ "name: plain", NAME, "bulk", true },
	{ "name: all its characters", NAME, "a-z_0-9", true },
	{ "name: one character", NAME, "a", true },
	{ "name: empty", NAME, "", false },
	{ "name: upper case", NAME, "Bulk", false },
	{ "name: a dot", NAME, "a.b", false },
	{ "name: a space", NAME, "a b", false },
	{ "name: a comma", NAME, "a,b", false },
	{ "name: an equals sign", NAME, "a=b", false },
	{ "name: non-ASCII", NAME, "caf\xc3\xa9", false },
	{ "country: upper", COUNTRY, "CN", true },
	{ "country: lower (upper-cased by the caller)", COUNTRY, "cn", true },
	{ "country: one letter", COUNTRY, "C", false },
	{ "country: three letters", COUNTRY, "CHN", false },
	{ "country: a digit", COUNTRY, "C1", false },
	{ "country: empty", COUNTRY, "", false },
	{ "host: plain", HOST, "bounces.example.com", true },
	{ "host: one label", HOST, "localhost", true },
	{ "host: upper case", HOST, "Bounces.Example.COM", true },
	{ "host: inner hyphens", HOST, "a--b.ex-ample.com", true },
	{ "host: digits", HOST, "123.example", true },
	{ "host: empty", HOST, "", false },
	{ "host: leading hyphen", HOST, "-bounce.example", false },
	{ "host: trailing hyphen", HOST, "bounce-.example", false },
	{ "host: trailing hyphen, last label", HOST, "bounce.example-", false },
	{ "host: empty label", HOST, "bounce..example", false },
	{ "host: leading dot", HOST, ".example", false },
	{ "host: trailing dot", HOST, "example.", false },
	{ "host: underscore", HOST, "b_ounce.example", false },
	{ "host: a space", HOST, "b ounce.example", false },
	{ "host: an at sign", HOST, "a@b.example", false },
	{ "local: atext", LOCAL, "a!#$%&'*+-/=?^_`{|}~z", true },
	{ "local: inner dots", LOCAL, "first.last", true },
	{ "local: leading dot", LOCAL, ".a", false },
	{ "local: trailing dot", LOCAL, "a.", false },
	{ "local: two dots", LOCAL, "a..b", false },
	{ "local: quote", LOCAL, "\"a\"", false },
	{ "local: empty", LOCAL, "", false },
	{ "addr: plain", ADDR, "unsub@lists.example.com", true },
	{ "addr: case kept", ADDR, "Unsub@Lists.Example.com", true },
	{ "addr: no local part", ADDR, "@example.com", false },
	{ "addr: no domain", ADDR, "unsub@", false },
	{ "addr: no at sign", ADDR, "unsub.example.com", false },
	{ "addr: two at signs", ADDR, "a@b@example.com", false },
	{ "addr: a URI", ADDR, "mailto:u@example.com", false },
	{ "addr: bad domain", ADDR, "u@-example.com", false },
	{ "addr: quoted local part", ADDR, "\"u\"@example.com", false },
	{ "bounce: plain", BOUNCE, "bounce", true },
	{ "bounce: all its characters", BOUNCE, "a.b_c-0", true },
	{ "bounce: 15", BOUNCE, "bbbbbbbbbbbbbbb", true },
	{ "bounce: 16", BOUNCE, "bbbbbbbbbbbbbbbb", false },
	{ "bounce: empty", BOUNCE, "", false },
	{ "bounce: upper case", BOUNCE, "VERP", false },
	{ "bounce: plus (the id's separator)", BOUNCE, "bounce+x", false },
	{ "bounce: leading dot", BOUNCE, ".bounce", false },
	{ "bounce: trailing dot", BOUNCE, "bounce.", false },
	{ "bounce: two dots", BOUNCE, "b..ounce", false },
	{ "url: plain", URL, "https://unsub.example.com/u/", true },
	{ "url: no path", URL, "https://unsub.example.com", true },
	{ "url: query", URL, "https://unsub.example.com?t=", true },
	{ "url: port and IPv6 address", URL, "https://[2001:db8::1]:8443/u",
	    true },
	{ "url: http", URL, "http://unsub.example.com/u/", false },
	{ "url: upper-case scheme", URL, "HTTPS://unsub.example.com/", false },
	{ "url: scheme only", URL, "https://", false },
	{ "url: cut scheme", URL, "https:/", false },
	{ "url: empty", URL, "", false },
	{ "url: no host", URL, "https:///u/", false },
	{ "url: empty host before a query", URL, "https://?t=", false },
	{ "url: user info", URL, "https://u@unsub.example.com/", false },
	{ "url: comma", URL, "https://unsub.example.com/u/a,b", false },
	{ "url: angle brackets", URL, "https://unsub.example.com/<u>",
	    false },
	{ "url: quote", URL, "https://unsub.example.com/\"", false },
	{ "url: backslash", URL, "https://unsub.example.com/\\", false },
	{ "url: space", URL, "https://unsub.example.com/a b", false },
	{ "url: tab", URL, "https://unsub.example.com/a\tb", false },
	{ "url: DEL", URL, "https://unsub.example.com/\x7f", false },
	{ "url: non-ASCII", URL, "https://unsub.example.com/caf\xc3\xa9",
	    false },
};

static void
test_cases(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (check(cases[i].kind, cases[i].value,
		    strlen(cases[i].value)) != cases[i].valid)
			fail_msg("%s (%s \"%s\"): expected %s", cases[i].name,
			    kind_names[cases[i].kind], cases[i].value,
			    cases[i].valid ? "valid" : "invalid");
}

/* n copies of c, then tail, into buf (of size bytes). */
static const char *
fill(char *buf, size_t size, char c, size_t n, const char *tail)
{
	assert_true(n + strlen(tail) < size);
	memset(buf, c, n);
	snprintf(buf + n, size - n, "%s", tail);
	return buf;
}

static void
test_limits(void **state)
{
	char b[256], dom[256], b2[520];
	size_t n;

	/* Names: 32 fit, 33 do not. */
	assert_true(pw_tenant_name_ok(fill(b, sizeof(b), 'p',
	    PW_TENANT_NAME_MAX, ""), PW_TENANT_NAME_MAX));
	assert_false(pw_tenant_name_ok(fill(b, sizeof(b), 'p',
	    PW_TENANT_NAME_MAX + 1, ""), PW_TENANT_NAME_MAX + 1));

	/* Host labels: 63 fit, 64 do not, first or last. */
	assert_true(pw_tenant_host_ok(fill(b, sizeof(b), 'a', 63,
	    ".example"), 63 + 8));
	assert_false(pw_tenant_host_ok(fill(b, sizeof(b), 'a', 64,
	    ".example"), 64 + 8));
	snprintf(b2, sizeof(b2), "x.%s", fill(b, sizeof(b), 'a', 63, ""));
	assert_true(pw_tenant_host_ok(b2, strlen(b2)));
	snprintf(b2, sizeof(b2), "x.%s", fill(b, sizeof(b), 'a', 64, ""));
	assert_false(pw_tenant_host_ok(b2, strlen(b2)));

	/* Host names: 253 fit, 254 do not (labels of 63 and dots). */
	for (n = 0; n < PW_TENANT_HOST_MAX; n++)
		b[n] = n % 64 == 63 ? '.' : 'h';
	b[n] = '\0';
	assert_int_equal(strlen(b), 253);
	assert_true(pw_tenant_host_ok(b, 253));
	b[253] = 'h';
	b[254] = '\0';
	assert_false(pw_tenant_host_ok(b, 254));

	/* Local parts: 64 fit, 65 do not. */
	snprintf(b2, sizeof(b2), "%s@example.com", fill(b, sizeof(b), 'l',
	    PW_TENANT_LOCAL_MAX, ""));
	assert_true(pw_tenant_addr_ok(b2, strlen(b2)));
	snprintf(b2, sizeof(b2), "%s@example.com", fill(b, sizeof(b), 'l',
	    PW_TENANT_LOCAL_MAX + 1, ""));
	assert_false(pw_tenant_addr_ok(b2, strlen(b2)));

	/* Addresses: 254 fit, 255 do not (each part within its limit). */
	for (n = 0; n < 192; n++)
		dom[n] = n % 64 == 63 ? '.' : 'd';
	snprintf(dom + n, sizeof(dom) - n, "de");	/* 194 in all */
	snprintf(b2, sizeof(b2), "%s@%s", fill(b, sizeof(b), 'l', 59, ""),
	    dom);
	assert_int_equal(strlen(b2), PW_TENANT_ADDR_MAX);
	assert_true(pw_tenant_addr_ok(b2, strlen(b2)));
	snprintf(b2, sizeof(b2), "%s@%s", fill(b, sizeof(b), 'l', 60, ""),
	    dom);
	assert_false(pw_tenant_addr_ok(b2, strlen(b2)));

	/* URLs: 200 fit, 201 do not. */
	snprintf(b2, sizeof(b2), "https://u.example/%s", fill(b, sizeof(b),
	    'u', PW_TENANT_URL_MAX - 18, ""));
	assert_int_equal(strlen(b2), PW_TENANT_URL_MAX);
	assert_true(pw_tenant_url_ok(b2, strlen(b2), NULL));
	snprintf(b2, sizeof(b2), "https://u.example/%s", fill(b, sizeof(b),
	    'u', PW_TENANT_URL_MAX - 17, ""));
	assert_false(pw_tenant_url_ok(b2, strlen(b2), NULL));
}

/* Only len bytes count, and the reasons of the URL rule. */
static void
test_len_and_reasons(void **state)
{
	const char *why = NULL;
	char b[512];

	assert_true(pw_tenant_name_ok("bulk!", 4));
	assert_true(pw_tenant_host_ok("example.com-", 11));
	assert_false(pw_tenant_host_ok("example.com-", 12));
	assert_true(pw_tenant_bounce_local_ok("bounce.", 6));
	assert_true(pw_tenant_addr_ok("u@example.com\"", 13));
	assert_true(pw_tenant_url_ok("https://u.example/,", 18, NULL));
	assert_false(pw_tenant_url_ok("https://u.example/,", 19, NULL));
	/* A NUL inside is a bad character, not an end. */
	assert_false(pw_tenant_name_ok("a\0b", 3));
	assert_false(pw_tenant_host_ok("a\0b", 3));
	assert_false(pw_tenant_local_ok("a\0b", 3, 64));
	assert_false(pw_tenant_url_ok("https://a\0/", 11, NULL));

	assert_false(pw_tenant_url_ok(fill(b, sizeof(b), 'u', 201, ""), 201,
	    &why));
	assert_string_equal(why, "longer than 200 characters");
	assert_false(pw_tenant_url_ok("http://a/", 9, &why));
	assert_string_equal(why, "does not start with https://");
	assert_false(pw_tenant_url_ok("https://a/<", 11, &why));
	assert_string_equal(why, "not printable ASCII, or holds < > , \" \\");
	assert_false(pw_tenant_url_ok("https:///", 9, &why));
	assert_string_equal(why, "no host name after https://");
	assert_false(pw_tenant_url_ok("https://a_b/", 12, &why));
	assert_string_equal(why, "no host name after https://");
	why = "untouched";
	assert_true(pw_tenant_url_ok("https://a/", 10, &why));
	assert_string_equal(why, "untouched");
}

static void
test_lists(void **state)
{
	static const struct {
		const char	*name, *in, *out;	/* out NULL: refused */
	} lists[] = {
		{ "one", "bulk", "bulk" },
		{ "commas and spaces", " transactional, bulk  news,",
		    "transactional,bulk,news" },
		{ "16 names", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p",
		    "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p" },
		{ "17 names", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", NULL },
		{ "a name twice", "a,b,a", NULL },
		{ "a bad name", "a,B", NULL },
		{ "empty", "", NULL },
		{ "separators only", " , ,", NULL },
	};
	char out[PW_TENANT_LIST_MAX], big[1024];
	const char *why;
	size_t i, o = 0;
	int ret;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		snprintf(out, sizeof(out), "untouched");
		why = NULL;
		ret = pw_tenant_list_parse(lists[i].in, out, &why);
		if (lists[i].out == NULL ? ret != -1 || why == NULL ||
		    strcmp(out, "untouched") != 0 :
		    ret != 0 || strcmp(out, lists[i].out) != 0)
			fail_msg("list %s: got %d \"%s\" (%s)", lists[i].name,
			    ret, out, why != NULL ? why : "-");
	}

	/* The longest list fits: 16 names of 32. */
	for (i = 0; i < PW_TENANT_STREAMS_MAX; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "%s%c%s",
		    i > 0 ? "," : "", (char)('a' + i),
		    "0123456789012345678901234567890");
	assert_int_equal(strlen(big), PW_TENANT_LIST_MAX - 1);
	assert_int_equal(pw_tenant_list_parse(big, out, &why), 0);
	assert_string_equal(out, big);

	assert_true(pw_tenant_list_has("transactional,bulk", "bulk"));
	assert_true(pw_tenant_list_has("transactional,bulk", "transactional"));
	assert_false(pw_tenant_list_has("transactional,bulk", "bul"));
	assert_false(pw_tenant_list_has("transactional,bulk", "trans"));
	assert_false(pw_tenant_list_has("transactional,bulk", ""));
	assert_false(pw_tenant_list_has("", "bulk"));
}

static void
test_map_entry(void **state)
{
	struct pw_tenant_pool e;

	assert_int_equal(pw_tenant_map_entry("bulk=b", 6, false, &e), 0);
	assert_string_equal(e.key, "bulk");
	assert_string_equal(e.pool, "b");
	assert_int_equal(pw_tenant_map_entry("cn=asia", 7, true, &e), 0);
	assert_string_equal(e.key, "CN");
	assert_string_equal(e.pool, "asia");
	assert_int_equal(pw_tenant_map_entry("bulk=", 5, false, &e), 0);
	assert_string_equal(e.pool, "");
	assert_int_equal(pw_tenant_map_entry("bulk=bb", 6, false, &e), 0);
	assert_string_equal(e.pool, "b");

	assert_int_equal(pw_tenant_map_entry("bulk", 4, false, &e), -1);
	assert_int_equal(pw_tenant_map_entry("=asia", 5, false, &e), -1);
	assert_int_equal(pw_tenant_map_entry("=asia", 5, true, &e), -1);
	assert_int_equal(pw_tenant_map_entry("Bulk=a", 6, false, &e), -1);
	assert_int_equal(pw_tenant_map_entry("bulk=A", 6, false, &e), -1);
	assert_int_equal(pw_tenant_map_entry("bulk=a=b", 8, false, &e), -1);
	assert_int_equal(pw_tenant_map_entry("CHN=asia", 8, true, &e), -1);
	assert_int_equal(pw_tenant_map_entry("C1=asia", 7, true, &e), -1);
	assert_int_equal(pw_tenant_map_entry("CN=asia", 7, false, &e), -1);
}

static void
test_map_parse(void **state)
{
	struct pw_tenant_pool e[PW_TENANT_GEO_POOLS_MAX];
	char geo[1024];
	const char *why;
	size_t n = 99, i, o = 0;

	assert_int_equal(pw_tenant_map_parse("bulk=b, news=b", false, e,
	    PW_TENANT_STREAM_POOLS_MAX, &n, &why), 0);
	assert_int_equal(n, 2);
	assert_string_equal(e[1].key, "news");
	assert_int_equal(pw_tenant_map_parse(" , ", false, e,
	    PW_TENANT_STREAM_POOLS_MAX, &n, &why), 0);
	assert_int_equal(n, 0);

	/* Refused whole: e and n stay as they were. */
	n = 7;
	memset(e, 'x', sizeof(e));
	assert_int_equal(pw_tenant_map_parse("bulk=b,bulk=c", false, e,
	    PW_TENANT_STREAM_POOLS_MAX, &n, &why), -1);
	assert_string_equal(why, "a stream or country is named twice");
	assert_int_equal(pw_tenant_map_parse("CN=a,cn=b", true, e,
	    PW_TENANT_GEO_POOLS_MAX, &n, &why), -1);
	assert_string_equal(why, "a stream or country is named twice");
	assert_int_equal(pw_tenant_map_parse("bulk=", false, e,
	    PW_TENANT_STREAM_POOLS_MAX, &n, &why), -1);
	assert_int_equal(strncmp(why, "not a list of STREAM=POOL", 25), 0);
	assert_int_equal(pw_tenant_map_parse("bulk:b", false, e,
	    PW_TENANT_STREAM_POOLS_MAX, &n, &why), -1);
	assert_int_equal(pw_tenant_map_parse("CHN=a", true, e,
	    PW_TENANT_GEO_POOLS_MAX, &n, &why), -1);
	assert_int_equal(strncmp(why, "not a list of CC=POOL", 21), 0);
	assert_int_equal(n, 7);
	assert_int_equal(e[0].key[0], 'x');

	/* 64 geo rules fit; 65 do not; max is the caller's. */
	for (i = 0; i < PW_TENANT_GEO_POOLS_MAX; i++)
		o += (size_t)snprintf(geo + o, sizeof(geo) - o, "%s%c%c=p",
		    i > 0 ? "," : "", 'a' + (int)(i / 26), 'a' + (int)(i % 26));
	assert_int_equal(pw_tenant_map_parse(geo, true, e,
	    PW_TENANT_GEO_POOLS_MAX, &n, &why), 0);
	assert_int_equal(n, 64);
	assert_string_equal(e[63].key, "CL");
	assert_int_equal(pw_tenant_map_parse(geo, true, e, 16, &n, &why), -1);
	assert_string_equal(why, "too many entries");
	snprintf(geo + o, sizeof(geo) - o, ",zz=p");
	assert_int_equal(pw_tenant_map_parse(geo, true, e,
	    PW_TENANT_GEO_POOLS_MAX, &n, &why), -1);
	assert_string_equal(why, "too many entries");
	assert_int_equal(n, 64);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_len_and_reasons),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_map_entry),
		cmocka_unit_test(test_map_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
