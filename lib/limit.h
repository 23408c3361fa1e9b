/*
 * limit.h -- the limit fields of a tenant or key record (hash
 * <prefix>{T}:tenant, <prefix>{T}:key:ID) and when a value of one is
 * valid: the one definition, for postwarden-policyd (which checks every
 * field before lua/rcpt.lua counts, and names the field of an "invalid"
 * refusal) and `postwarden usage` (which shows a limit it cannot read
 * as "invalid").
 *
 * Exports: pw_limit_fields[], PW_LIMIT_NFIELDS, enum pw_limit_value,
 * pw_limit_field_is(), pw_limit_parse().
 *
 * Valid: absent, empty, or decimal digits only, at most
 * PW_LIMIT_DIGITS_MAX (exact in a Lua number); absent, empty and 0 mean
 * "no limit".  Anything else ("1,000", "-5", "ten", "1e1", "0x2", " 5")
 * is invalid: the daemon defers the subject's mail (451 4.3.5).
 *
 * Pure: no state; any thread.
 */
#ifndef PW_LIMIT_H
#define PW_LIMIT_H

#include <stdbool.h>
#include <stddef.h>

#define PW_LIMIT_DIGITS_MAX	15

/* quota_hour, quota_day, quota_month, rate, rate_period, burst, ... */
extern const char *const pw_limit_fields[];
#define PW_LIMIT_NFIELDS	8

enum pw_limit_value {
	PW_LIMIT_NONE = 0,	/* absent, empty or 0: no limit */
	PW_LIMIT_SET,		/* a limit, in *n_r */
	PW_LIMIT_INVALID,	/* anything else */
};

/* Whether name is one of pw_limit_fields. */
bool	pw_limit_field_is(const char *name);

/*
 * Read a limit field's value (NULL: absent).  PW_LIMIT_SET with the
 * limit in *n_r, or PW_LIMIT_NONE, or PW_LIMIT_INVALID.
 */
enum pw_limit_value pw_limit_parse(const char *value, long long *n_r);

#endif
