/*
 * limit.c -- the limit fields of tenant and key records (see limit.h).
 *
 * Exports: pw_limit_fields, pw_limit_field_is, pw_limit_parse.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "limit.h"

/* In the order postwarden-policyd checks them (tenant, then key). */
const char *const pw_limit_fields[PW_LIMIT_NFIELDS] = {
	"quota_hour", "quota_day", "quota_month", "rate", "rate_period",
	"burst", "max_size", "max_recipients",
};

bool
pw_limit_field_is(const char *name)
{
	size_t i;

	for (i = 0; i < PW_LIMIT_NFIELDS; i++)
		if (strcmp(name, pw_limit_fields[i]) == 0)
			return true;
	return false;
}

enum pw_limit_value
pw_limit_parse(const char *value, long long *n_r)
{
	long long n = 0;
	size_t i;

	*n_r = 0;
	if (value == NULL || *value == '\0')
		return PW_LIMIT_NONE;
	for (i = 0; value[i] != '\0'; i++) {
		if (i >= PW_LIMIT_DIGITS_MAX ||
		    !isdigit((unsigned char)value[i]))
			return PW_LIMIT_INVALID;
		n = n * 10 + (value[i] - '0');
	}
	if (n == 0)
		return PW_LIMIT_NONE;
	*n_r = n;
	return PW_LIMIT_SET;
}
