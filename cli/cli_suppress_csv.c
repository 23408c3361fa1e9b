/*
 * cli_suppress_csv.c -- suppression lists as CSV files, for `suppress
 * import` and `suppress export`: the header line
 * address,reason,source,time,expires, then one entry a line (RFC 4180
 * quoting).
 *
 * Exports: cli_suppress_csv_read, cli_suppress_csv_write
 * (cli_suppress.h).
 *
 * Import: the whole file is read and checked before anything is
 * written; every line's problem is counted and the first
 * CLI_SUPPRESS_BAD_SHOWN are printed with their line numbers; entries
 * that expired already are counted and skipped.  Addresses are put in
 * the normal form of lib/address.h (cli_parse_address); an empty reason
 * is "manual", an empty source "import", an empty time now.
 *
 * Security: the file is untrusted: lines are bounded
 * (CLI_SUPPRESS_LINE_MAX), NUL bytes refused, reasons and sources
 * checked; what is printed of it is the line number and a static reason.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "cli_suppress.h"

#define CLI_SUPPRESS_BAD_SHOWN	20	/* bad import lines printed */
#define CLI_SUPPRESS_LINE_MAX	4096

/*
 * Split a CSV line in place into at most nmax fields (RFC 4180 quoting:
 * "a,b" and "" for a quote).  The number of fields, or -1 when the line
 * has more or its quoting is broken.
 */
static int
cli_suppress_csv_split(char *line, char **fields, int nmax)
{
	char *r = line, *w;
	int n = 0;

	for (;;) {
		if (n == nmax)
			return -1;
		fields[n++] = w = r;
		if (*r == '"') {
			for (r++; ; r++) {
				if (*r == '\0')
					return -1;
				if (*r == '"') {
					if (r[1] != '"')
						break;
					r++;
				}
				*w++ = *r;
			}
			r++;
			if (*r != ',' && *r != '\0')
				return -1;
		} else {
			while (*r != ',' && *r != '\0') {
				if (*r == '"')
					return -1;
				*w++ = *r++;
			}
		}
		if (*r == '\0') {
			*w = '\0';
			return n;
		}
		r++;
		*w = '\0';
	}
}

/* Write one CSV field, quoted when it needs to be. */
static void
cli_suppress_csv_field(FILE *fp, const char *s, bool last)
{
	const char *p;

	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, fp);
	} else {
		fputc('"', fp);
		for (p = s; *p != '\0'; p++) {
			if (*p == '"')
				fputc('"', fp);
			fputc(*p, fp);
		}
		fputc('"', fp);
	}
	fputc(last ? '\n' : ',', fp);
}

/*
 * One data line of an import into an entry: 0 and value filled, 1 when
 * it expired already (skipped), -1 and a static reason.
 */
static int
cli_suppress_csv_entry(char *line, int64_t now,
    char addr[CLI_ADDRESS_MAX + 1], char value[CLI_SUPPRESS_VALUE_MAX],
    const char **why_r)
{
	char *f[5] = { NULL, NULL, NULL, NULL, NULL };
	const char *reason, *source;
	int64_t when = now, expires = 0;
	int n;

	if ((n = cli_suppress_csv_split(line, f, 5)) < 0) {
		*why_r = "more than 5 fields, or broken quoting";
		return -1;
	}
	if (cli_parse_address(f[0], addr, why_r) < 0)
		return -1;
	reason = f[1] != NULL && *f[1] != '\0' ? f[1] : "manual";
	if (!cli_suppress_entry_valid_reason(reason)) {
		*why_r = "reason: expected bounce, complaint, unsubscribe or "
		    "manual";
		return -1;
	}
	source = f[2] != NULL && *f[2] != '\0' ? f[2] : "import";
	if (!cli_suppress_entry_valid_source(source)) {
		*why_r = "source: expected 1 to 32 of a-z 0-9 . _ -";
		return -1;
	}
	if (f[3] != NULL && *f[3] != '\0' && cli_parse_time(f[3], &when) < 0) {
		*why_r = "time: expected Unix seconds or "
		    "YYYY-MM-DD[THH:MM:SSZ]";
		return -1;
	}
	if (f[4] != NULL && *f[4] != '\0' && strcmp(f[4], "0") != 0 &&
	    strcmp(f[4], "never") != 0 && cli_parse_time(f[4], &expires) < 0) {
		*why_r = "expires: expected 0, Unix seconds or "
		    "YYYY-MM-DD[THH:MM:SSZ]";
		return -1;
	}
	if (expires > 0 && expires <= now)
		return 1;
	cli_suppress_entry_format(value, CLI_SUPPRESS_VALUE_MAX, reason, source,
	    when, expires);
	return 0;
}

int
cli_suppress_csv_read(FILE *fp, const char *name, int64_t now,
    struct cli_suppress_list *l, size_t *bad_r, size_t *expired_r)
{
	char addr[CLI_ADDRESS_MAX + 1], value[CLI_SUPPRESS_VALUE_MAX];
	char *line = NULL, *p;
	const char *why;
	size_t cap = 0, lineno = 0, bad = 0, expired = 0, len;
	ssize_t got;
	bool header = false;

	while ((got = getline(&line, &cap, fp)) >= 0) {
		lineno++;
		len = (size_t)got;
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		p = line;
		if (lineno == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0)
			p += 3;		/* a UTF-8 byte order mark */
		if (*p == '\0')
			continue;
		if (!header) {
			if (strcasecmp(p, CLI_SUPPRESS_CSV_HEADER) != 0) {
				cli_error("%s:%zu: expected the header line "
				    "%s", name, lineno,
				    CLI_SUPPRESS_CSV_HEADER);
				free(line);
				return CLI_EXIT_USAGE;
			}
			header = true;
			continue;
		}
		why = NULL;
		if (len > CLI_SUPPRESS_LINE_MAX || memchr(line, '\0',
		    len) != NULL)
			why = len > CLI_SUPPRESS_LINE_MAX ? "line too long" :
			    "a NUL byte";
		if (why == NULL) {
			switch (cli_suppress_csv_entry(p, now, addr, value,
			    &why)) {
			case 0:
				cli_suppress_entry_add(l, addr, value);
				continue;
			case 1:
				expired++;
				continue;
			}
		}
		if (++bad <= CLI_SUPPRESS_BAD_SHOWN)
			cli_error("%s:%zu: %s", name, lineno, why);
	}
	if (ferror(fp)) {
		cli_error("%s: %s", name, strerror(errno));
		free(line);
		return CLI_EXIT_FAIL;
	}
	free(line);
	if (!header) {
		cli_error("%s: empty: expected the header line %s", name,
		    CLI_SUPPRESS_CSV_HEADER);
		return CLI_EXIT_USAGE;
	}
	if (bad > CLI_SUPPRESS_BAD_SHOWN)
		cli_error("%s: ... and %zu more bad lines", name,
		    bad - CLI_SUPPRESS_BAD_SHOWN);
	*bad_r = bad;
	*expired_r = expired;
	return 0;
}

void
cli_suppress_csv_write(FILE *fp, const struct cli_suppress_list *l)
{
	struct cli_suppress_val v;
	char num[24];
	size_t i;

	fputs(CLI_SUPPRESS_CSV_HEADER "\n", fp);
	for (i = 0; i < l->n; i++) {
		cli_suppress_entry_parse(l->v[i].value, &v);
		cli_suppress_csv_field(fp, l->v[i].address, false);
		cli_suppress_csv_field(fp, v.reason, false);
		cli_suppress_csv_field(fp, v.source, false);
		snprintf(num, sizeof(num), "%lld", (long long)v.time);
		cli_suppress_csv_field(fp, num, false);
		snprintf(num, sizeof(num), "%lld", (long long)v.expires);
		cli_suppress_csv_field(fp, num, true);
	}
}
