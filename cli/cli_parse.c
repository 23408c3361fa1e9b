/*
 * cli_parse.c -- what the postwarden commands take from their command
 * lines and files: tenant names and key ids (checked), addresses (in the
 * normal form the policy daemon compares), whole numbers, times and
 * durations.
 *
 * Exports: cli_parse_* (cli.h).
 *
 * Failures: 0 or -1; the name and key checks print what is expected, the
 * others leave the message to the caller (who knows the option).
 *
 * Security: input is untrusted: bounded, checked digit by digit, echoed
 * only escaped (cli_out_safe).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "identity.h"

int
cli_parse_tenant(const char *s)
{
	char safe[80];

	if (pw_identity_valid_tenant(s, strlen(s)))
		return 0;
	cli_error("bad tenant name '%s': expected 1 to %d of a-z 0-9 . _ -",
	    cli_out_safe(safe, sizeof(safe), s, strlen(s)),
	    PW_IDENTITY_TENANT_MAX);
	return -1;
}

int
cli_parse_key(const char *s)
{
	char safe[160];

	if (pw_identity_valid_key(s, strlen(s)))
		return 0;
	cli_error("bad key id '%s': expected 1 to %d of A-Z a-z 0-9 . _ @ + -",
	    cli_out_safe(safe, sizeof(safe), s, strlen(s)),
	    PW_IDENTITY_KEY_MAX);
	return -1;
}

int
cli_parse_address(const char *in, char out[CLI_ADDRESS_MAX + 1],
    const char **why_r)
{
	const char *at = strrchr(in, '@');

	/*
	 * Postfix hands recipients over unquoted ("a b"@x is a b@x); a quote
	 * here is the quoted form, which would never match: say so.
	 */
	if (at != NULL && memchr(in, '"', (size_t)(at - in)) != NULL) {
		*why_r = "local part: write it unquoted, as Postfix gives it "
		    "(\"a b\"@example.net is a b@example.net)";
		return -1;
	}
	return pw_address_normalize(in, strlen(in), PW_ADDRESS_F_DOMAIN, out,
	    why_r);
}

int
cli_parse_uint(const char *s, uint64_t max, uint64_t *r)
{
	uint64_t n = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (n > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*r = n;
	return 0;
}

/* Parse exactly ndigits digits at *p into *r; advance *p. */
static int
cli_parse_digits(const char **p, int ndigits, int *r)
{
	int i, n = 0;

	for (i = 0; i < ndigits; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		n = n * 10 + ((*p)[i] - '0');
	}
	*p += ndigits;
	*r = n;
	return 0;
}

int
cli_parse_time(const char *s, int64_t *r)
{
	struct tm tm;
	const char *p = s;
	uint64_t n;
	time_t t;

	if (strchr(s, '-') == NULL) {
		/* Unix seconds, up to year 9999. */
		if (cli_parse_uint(s, 253402300799ULL, &n) < 0)
			return -1;
		*r = (int64_t)n;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	if (cli_parse_digits(&p, 4, &tm.tm_year) < 0 || *p++ != '-' ||
	    cli_parse_digits(&p, 2, &tm.tm_mon) < 0 || *p++ != '-' ||
	    cli_parse_digits(&p, 2, &tm.tm_mday) < 0)
		return -1;
	if (*p == 'T') {
		p++;
		if (cli_parse_digits(&p, 2, &tm.tm_hour) < 0 || *p++ != ':' ||
		    cli_parse_digits(&p, 2, &tm.tm_min) < 0)
			return -1;
		if (*p == ':' && (p++, cli_parse_digits(&p, 2,
		    &tm.tm_sec) < 0))
			return -1;
		if (*p++ != 'Z')
			return -1;
	}
	if (*p != '\0' || tm.tm_year < 1970 || tm.tm_mon < 1 ||
	    tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	{
		int mday = tm.tm_mday;

		t = timegm(&tm);
		/* timegm normalises 31 February into March: refuse that. */
		if (t == (time_t)-1 || tm.tm_mday != mday)
			return -1;
	}
	*r = (int64_t)t;
	return 0;
}

int
cli_parse_expires(const char *s, int64_t now, int64_t *r)
{
	static const struct {
		char	 unit;
		int64_t	 seconds;
	} units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 7 * 86400 },
	};
	char num[24];
	size_t len = strlen(s), i;
	uint64_t n;

	if (strcmp(s, "never") == 0 || strcmp(s, "0") == 0) {
		*r = 0;
		return 0;
	}
	if (len >= 2 && len < sizeof(num) && strchr(s, '-') == NULL) {
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (s[len - 1] != units[i].unit)
				continue;
			memcpy(num, s, len - 1);
			num[len - 1] = '\0';
			/* At most about 100 years ahead. */
			if (cli_parse_uint(num, 3200000000ULL /
			    (uint64_t)units[i].seconds, &n) < 0 || n == 0)
				return -1;
			*r = now + (int64_t)n * units[i].seconds;
			return 0;
		}
	}
	if (cli_parse_time(s, r) < 0 || *r <= now)
		return -1;
	return 0;
}
