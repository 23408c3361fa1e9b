/*
 * cli_fields.c -- the limit options of `key` and `tenant` (--rate,
 * --burst, --quota-*, --max-size, --max-recipients, --countries,
 * --description, --status) into field changes of a record (struct
 * cli_fields: fields to set, fields to delete).
 *
 * Exports: cli_fields_* (cli.h).
 *
 * Failures: cli_fields_limit_opt prints what an option expects (exit 64
 * for the caller); a change beyond CLI_FIELDS_MAX is dropped (there are
 * fewer options than that).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

void
cli_fields_del(struct cli_fields *f, const char *name)
{
	int i;

	for (i = 0; i < f->nset; i++) {
		if (strcmp(f->set_name[i], name) == 0) {
			f->nset--;
			f->set_name[i] = f->set_name[f->nset];
			memcpy(f->set_value[i], f->set_value[f->nset],
			    sizeof(f->set_value[i]));
			break;
		}
	}
	for (i = 0; i < f->ndel; i++)
		if (strcmp(f->del_name[i], name) == 0)
			return;
	if (f->ndel < CLI_FIELDS_MAX)
		f->del_name[f->ndel++] = name;
}

void
cli_fields_set(struct cli_fields *f, const char *name, const char *value)
{
	int i;

	for (i = 0; i < f->ndel; i++) {
		if (strcmp(f->del_name[i], name) == 0) {
			f->del_name[i] = f->del_name[--f->ndel];
			break;
		}
	}
	for (i = 0; i < f->nset; i++)
		if (strcmp(f->set_name[i], name) == 0)
			break;
	if (i == f->nset) {
		if (f->nset == CLI_FIELDS_MAX)
			return;
		f->nset++;
	}
	f->set_name[i] = name;
	snprintf(f->set_value[i], sizeof(f->set_value[i]), "%s", value);
}

/* "0" or "none": the option removes its limit. */
static bool
cli_fields_is_none(const char *arg)
{
	return strcmp(arg, "none") == 0 || strcmp(arg, "0") == 0;
}

/* --rate N/s or N/m. */
static int
cli_fields_rate(const char *arg, struct cli_fields *f)
{
	char num[24];
	const char *slash = strchr(arg, '/'), *unit;
	uint64_t n;
	int period;

	if (cli_fields_is_none(arg)) {
		cli_fields_del(f, "rate");
		cli_fields_del(f, "rate_period");
		return 0;
	}
	if (slash == NULL || (size_t)(slash - arg) >= sizeof(num))
		return -1;
	memcpy(num, arg, (size_t)(slash - arg));
	num[slash - arg] = '\0';
	unit = slash + 1;
	if (strcmp(unit, "s") == 0 || strcmp(unit, "sec") == 0)
		period = 1;
	else if (strcmp(unit, "m") == 0 || strcmp(unit, "min") == 0)
		period = 60;
	else
		return -1;
	if (cli_parse_uint(num, 1000000000, &n) < 0 || n == 0)
		return -1;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)n);
	cli_fields_set(f, "rate", num);
	cli_fields_set(f, "rate_period", period == 1 ? "1" : "60");
	return 0;
}

/* --max-size N, NK, NM or NG (powers of 1024). */
static int
cli_fields_size(const char *arg, struct cli_fields *f)
{
	char num[24];
	size_t len = strlen(arg);
	uint64_t n, mult = 1;

	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, arg, len + 1);
	switch (num[len - 1]) {
	case 'k': case 'K':
		mult = 1024;
		break;
	case 'm': case 'M':
		mult = 1024 * 1024;
		break;
	case 'g': case 'G':
		mult = 1024 * 1024 * 1024;
		break;
	}
	if (mult != 1)
		num[len - 1] = '\0';
	/* At most 1 TiB. */
	if (cli_parse_uint(num, (1ULL << 40) / mult, &n) < 0)
		return -1;
	if (n == 0) {
		cli_fields_del(f, "max_size");
		return 0;
	}
	snprintf(num, sizeof(num), "%llu", (unsigned long long)(n * mult));
	cli_fields_set(f, "max_size", num);
	return 0;
}

/* --countries FR,DE: ISO 3166 alpha-2 codes, stored upper-case. */
static int
cli_fields_countries(const char *arg, struct cli_fields *f)
{
	char out[CLI_FIELD_VALUE_MAX];
	size_t i, o = 0, run = 0;

	if (strcmp(arg, "none") == 0 || *arg == '\0') {
		cli_fields_del(f, "countries");
		return 0;
	}
	for (i = 0; arg[i] != '\0'; i++) {
		if (o + 2 >= sizeof(out))
			return -1;
		if (arg[i] == ',') {
			if (run != 2)
				return -1;
			run = 0;
			out[o++] = ',';
		} else if (isalpha((unsigned char)arg[i]) && run < 2) {
			out[o++] = (char)toupper((unsigned char)arg[i]);
			run++;
		} else {
			return -1;
		}
	}
	if (run != 2)
		return -1;
	out[o] = '\0';
	cli_fields_set(f, "countries", out);
	return 0;
}

/* --description TEXT: printable, at most CLI_DESCRIPTION_MAX bytes. */
static int
cli_fields_description(const char *arg, struct cli_fields *f)
{
	size_t i, len = strlen(arg);

	if (len > CLI_DESCRIPTION_MAX)
		return -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)arg[i] < 0x20 || arg[i] == 0x7f)
			return -1;
	if (len == 0)
		cli_fields_del(f, "description");
	else
		cli_fields_set(f, "description", arg);
	return 0;
}

int
cli_fields_limit_opt(int ch, const char *arg, bool is_key, struct cli_fields *f)
{
	static const struct {
		int		 ch;
		const char	*option;
		const char	*field;		/* whole numbers */
		uint64_t	 max;
		const char	*expected;
	} opts[] = {
		{ CLI_OPT_RATE, "rate", NULL, 0,
		    "N/s or N/m (e.g. 100/s, 6000/m), 0 or none" },
		{ CLI_OPT_BURST, "burst", "burst", 1000000000,
		    "a whole number (e.g. 50), 0 or none" },
		{ CLI_OPT_QUOTA_HOUR, "quota-hour", "quota_hour",
		    1000000000000ULL, "a whole number (e.g. 1000), 0 or none" },
		{ CLI_OPT_QUOTA_DAY, "quota-day", "quota_day",
		    1000000000000ULL,
		    "a whole number (e.g. 50000), 0 or none" },
		{ CLI_OPT_QUOTA_MONTH, "quota-month", "quota_month",
		    1000000000000ULL,
		    "a whole number (e.g. 1000000), 0 or none" },
		{ CLI_OPT_MAX_SIZE, "max-size", NULL, 0,
		    "bytes, or a number with K, M or G (e.g. 25M), 0 or none" },
		{ CLI_OPT_MAX_RCPT, "max-recipients", "max_recipients",
		    1000000, "a whole number (e.g. 100), 0 or none" },
		{ CLI_OPT_COUNTRIES, "countries", NULL, 0,
		    "two-letter country codes separated by commas "
		    "(e.g. FR,DE), or none" },
		{ CLI_OPT_DESCRIPTION, "description", NULL, 0,
		    "printable text of at most 256 bytes ('' removes it)" },
		{ CLI_OPT_STATUS, "status", NULL, 0,
		    "active, suspended or disabled" },
	};
	char safe[80];
	uint64_t n;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (opts[i].ch == ch)
			break;
	if (i == sizeof(opts) / sizeof(opts[0]) ||
	    (ch == CLI_OPT_COUNTRIES && !is_key))
		return 1;
	switch (ch) {
	case CLI_OPT_RATE:
		rc = cli_fields_rate(arg, f);
		break;
	case CLI_OPT_MAX_SIZE:
		rc = cli_fields_size(arg, f);
		break;
	case CLI_OPT_COUNTRIES:
		rc = cli_fields_countries(arg, f);
		break;
	case CLI_OPT_DESCRIPTION:
		rc = cli_fields_description(arg, f);
		break;
	case CLI_OPT_STATUS:
		rc = -1;
		if (strcmp(arg, "active") == 0 ||
		    strcmp(arg, "suspended") == 0 ||
		    strcmp(arg, "disabled") == 0) {
			cli_fields_set(f, "status", arg);
			rc = 0;
		}
		break;
	default:
		if (strcmp(arg, "none") == 0) {
			cli_fields_del(f, opts[i].field);
			rc = 0;
		} else if ((rc = cli_parse_uint(arg, opts[i].max, &n)) == 0) {
			char num[24];

			snprintf(num, sizeof(num), "%llu",
			    (unsigned long long)n);
			if (n == 0)
				cli_fields_del(f, opts[i].field);
			else
				cli_fields_set(f, opts[i].field, num);
		}
		break;
	}
	if (rc < 0) {
		cli_error("--%s: expected %s; got '%s'", opts[i].option,
		    opts[i].expected,
		    cli_out_safe(safe, sizeof(safe), arg, strlen(arg)));
		return -1;
	}
	return 0;
}
