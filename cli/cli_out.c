/*
 * cli_out.c -- the output side the postwarden commands share: a JSON
 * writer with the one string-escaping function, tables for humans, times
 * in ISO 8601 UTC, and the display of key and tenant records.
 *
 * Exports: cli_out_* and struct cli_json, struct cli_table (cli.h).
 *
 * Ownership: a table owns copies of its cells until cli_out_table_free.
 *
 * Security: everything printed may come from Redis, where anyone with
 * redis-cli can write anything.  Terminal text goes through
 * cli_out_safe() (control characters and bytes that are not UTF-8 shown
 * as \xNN); JSON strings through cli_out_json_escape(), that is
 * pw_json_escape() (lib/json.h: always valid JSON and valid UTF-8).
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "json.h"
#include "xmalloc.h"

/* --- JSON ---------------------------------------------------------------- */

/*
 * Escaped in memory, then written.  No cap: s is in memory already (read
 * whole from Redis), and its escape is at most six times as long.
 */
void
cli_out_json_escape(FILE *fp, const char *s, size_t len)
{
	struct pw_buf b;

	pw_buf_init(&b, SIZE_MAX);
	(void)pw_json_escape(&b, s, len);	/* no cap to reach */
	fwrite(b.data, 1, b.len, fp);
	pw_buf_free(&b);
}

void
cli_out_json_init(struct cli_json *j, FILE *fp)
{
	memset(j, 0, sizeof(*j));
	j->fp = fp;
	j->first[0] = true;
}

/* Before a value: a comma unless first in its container or after a key. */
static void
cli_out_json_sep(struct cli_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		fputc(',', j->fp);
	j->first[j->depth] = false;
}

void
cli_out_json_open(struct cli_json *j, char bracket)
{
	cli_out_json_sep(j);
	fputc(bracket, j->fp);
	if (j->depth + 1 < CLI_JSON_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

void
cli_out_json_close(struct cli_json *j, char bracket)
{
	fputc(bracket, j->fp);
	if (j->depth > 0)
		j->depth--;
	if (j->depth == 0)
		j->first[0] = true;	/* top level: one value per line */
}

/* A key of len bytes (not NUL-terminated). */
static void
cli_out_json_key_len(struct cli_json *j, const char *name, size_t len)
{
	cli_out_json_sep(j);
	cli_out_json_escape(j->fp, name, len);
	fputc(':', j->fp);
	j->after_key = true;
}

void
cli_out_json_key(struct cli_json *j, const char *name)
{
	cli_out_json_key_len(j, name, strlen(name));
}

void
cli_out_json_str(struct cli_json *j, const char *s, size_t len)
{
	cli_out_json_sep(j);
	cli_out_json_escape(j->fp, s, len);
}

void
cli_out_json_cstr(struct cli_json *j, const char *s)
{
	if (s == NULL)
		cli_out_json_null(j);
	else
		cli_out_json_str(j, s, strlen(s));
}

void
cli_out_json_int(struct cli_json *j, long long n)
{
	cli_out_json_sep(j);
	fprintf(j->fp, "%lld", n);
}

void
cli_out_json_null(struct cli_json *j)
{
	cli_out_json_sep(j);
	fputs("null", j->fp);
}

void
cli_out_json_bool(struct cli_json *j, bool b)
{
	cli_out_json_sep(j);
	fputs(b ? "true" : "false", j->fp);
}

/* --- text --------------------------------------------------------------- */

char *
cli_out_safe(char *buf, size_t size, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, n;
	unsigned cp;

	if (size == 0)
		return buf;
	while (i < len) {
		unsigned char c = p[i];

		/* Printable UTF-8 of 2 bytes or more: no C1 controls. */
		n = c >= 0x80 ? pw_json_utf8(s + i, len - i, &cp) : 0;
		if (n > 0 && cp >= 0xa0) {
			if (o + n + 4 > size)
				break;
			memcpy(buf + o, p + i, n);
			o += n;
			i += n;
			continue;
		}
		if (c < 0x20 || c >= 0x7f || c == '\\') {
			if (o + 4 + 4 > size)
				break;
			if (c == '\\')
				o += (size_t)snprintf(buf + o, size - o,
				    "\\\\");
			else
				o += (size_t)snprintf(buf + o, size - o,
				    "\\x%02x", c);
		} else {
			if (o + 1 + 4 > size)
				break;
			buf[o++] = (char)c;
		}
		i++;
	}
	if (i < len && size >= 4)
		o += (size_t)snprintf(buf + o, size - o, "...");
	buf[o < size ? o : size - 1] = '\0';
	return buf;
}

char *
cli_out_time(int64_t t, char buf[CLI_TIME_MAX])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0) {
		snprintf(buf, CLI_TIME_MAX, "never");
		return buf;
	}
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, CLI_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, CLI_TIME_MAX, "%lld", (long long)t);
	return buf;
}

/* --- tables ------------------------------------------------------------ */

#define CLI_OUT_CELL_MAX	1024

void
cli_out_table_init(struct cli_table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

void
cli_out_table_rowv(struct cli_table *t, const char **cells)
{
	char safe[CLI_OUT_CELL_MAX];
	size_t i;

	if (t->nrows == t->cap) {
		t->cap = t->cap == 0 ? 16 : t->cap * 2;
		t->cells = pw_xrealloc(t->cells,
		    t->cap * t->ncols * sizeof(*t->cells));
	}
	for (i = 0; i < t->ncols; i++) {
		const char *c = cells[i] != NULL ? cells[i] : "-";

		t->cells[t->nrows * t->ncols + i] =
		    pw_xstrdup(cli_out_safe(safe, sizeof(safe), c, strlen(c)));
	}
	t->nrows++;
}

void
cli_out_table_row(struct cli_table *t, ...)
{
	const char *cells[16];
	va_list ap;
	size_t i;

	va_start(ap, t);
	for (i = 0; i < t->ncols && i < 16; i++)
		cells[i] = va_arg(ap, const char *);
	va_end(ap);
	cli_out_table_rowv(t, cells);
}

/* Width on a terminal: one column per character (not per byte). */
static size_t
cli_out_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void
cli_out_table_print(struct cli_table *t, FILE *fp)
{
	size_t *width, r, c, w;

	width = pw_xcalloc(t->ncols, sizeof(*width));
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			w = cli_out_width(t->cells[r * t->ncols + c]);
			if (w > width[c])
				width[c] = w;
		}
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];

			fputs(cell, fp);
			if (c + 1 == t->ncols)
				break;
			for (w = cli_out_width(cell); w < width[c] + 2; w++)
				fputc(' ', fp);
		}
		fputc('\n', fp);
	}
	free(width);
}

void
cli_out_table_free(struct cli_table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

/* --- records -------------------------------------------------------------- */

enum cli_out_kind {
	CLI_OUT_STR,		/* text */
	CLI_OUT_NUM,		/* whole number, absent or 0 = none */
	CLI_OUT_SIZE,		/* bytes */
	CLI_OUT_TIME,		/* Unix seconds */
	CLI_OUT_RATE,		/* rate with rate_period */
	CLI_OUT_LIST,		/* comma list */
	CLI_OUT_HIDDEN,		/* shown with another field */
	/* The milter's settings of a tenant: shown only when set. */
	CLI_OUT_SETTING,	/* text */
	CLI_OUT_SETTING_LIST,	/* names, "a,b" */
	CLI_OUT_SETTING_MAP,	/* "key=value,key=value" */
};

/* The fields of key and tenant records, in docs/redis-schema.md order. */
static const struct {
	const char		*name;
	enum cli_out_kind	 kind;
	const char		*brief;		/* in list tables */
} cli_out_fields[] = {
	{ "status",		CLI_OUT_STR,	NULL },
	{ "description",	CLI_OUT_STR,	NULL },
	{ "rate",		CLI_OUT_RATE,	"rate" },
	{ "rate_period",	CLI_OUT_HIDDEN,	NULL },
	{ "burst",		CLI_OUT_NUM,	"burst" },
	{ "quota_hour",		CLI_OUT_NUM,	"hour" },
	{ "quota_day",		CLI_OUT_NUM,	"day" },
	{ "quota_month",	CLI_OUT_NUM,	"month" },
	{ "max_size",		CLI_OUT_SIZE,	"size" },
	{ "max_recipients",	CLI_OUT_NUM,	"rcpts" },
	{ "countries",		CLI_OUT_LIST,	"countries" },
	{ "pool",		CLI_OUT_SETTING,	NULL },
	{ "stream_pools",	CLI_OUT_SETTING_MAP,	NULL },
	{ "geo_pools",		CLI_OUT_SETTING_MAP,	NULL },
	{ "streams",		CLI_OUT_SETTING_LIST,	NULL },
	{ "default_stream",	CLI_OUT_SETTING,	NULL },
	{ "bulk_streams",	CLI_OUT_SETTING_LIST,	NULL },
	{ "unsubscribe_scope",	CLI_OUT_SETTING,	NULL },
	{ "unsubscribe_url",	CLI_OUT_SETTING,	NULL },
	{ "unsubscribe_mailto",	CLI_OUT_SETTING,	NULL },
	{ "bounce_domain",	CLI_OUT_SETTING,	NULL },
	{ "bounce_local",	CLI_OUT_SETTING,	NULL },
	{ "dkim_domain",	CLI_OUT_SETTING,	NULL },
	{ "created",		CLI_OUT_TIME,	NULL },
	{ "updated",		CLI_OUT_TIME,	NULL },
};
#define CLI_OUT_NFIELDS	\
	(sizeof(cli_out_fields) / sizeof(cli_out_fields[0]))

/* A whole number > 0 in s, or -1 (absent, empty, 0 or not a number). */
static long long
cli_out_limit(const char *s)
{
	uint64_t n;

	if (s == NULL || cli_parse_uint(s, (uint64_t)1 << 62, &n) < 0 ||
	    n == 0)
		return -1;
	return (long long)n;
}

/* "25M" when exact in K, M or G, else the bytes. */
static void
cli_out_size(long long n, char *buf, size_t size)
{
	if (n % (1024LL * 1024 * 1024) == 0)
		snprintf(buf, size, "%lldG", n / (1024LL * 1024 * 1024));
	else if (n % (1024LL * 1024) == 0)
		snprintf(buf, size, "%lldM", n / (1024LL * 1024));
	else if (n % 1024 == 0)
		snprintf(buf, size, "%lldK", n / 1024);
	else
		snprintf(buf, size, "%lld", n);
}

/* A field's value for humans, or NULL for "none". */
static const char *
cli_out_field_text(const redisReply *hash, size_t i, char *buf, size_t size)
{
	const char *v = cli_util_hash_get(hash, cli_out_fields[i].name);
	long long n;

	if (v == NULL || *v == '\0')
		return NULL;
	switch (cli_out_fields[i].kind) {
	case CLI_OUT_NUM:
		if (cli_out_limit(v) < 0 && strcmp(v, "0") == 0)
			return NULL;
		return v;
	case CLI_OUT_SIZE:
		if ((n = cli_out_limit(v)) < 0)
			return strcmp(v, "0") == 0 ? NULL : v;
		cli_out_size(n, buf, size);
		return buf;
	case CLI_OUT_TIME:
		if ((n = cli_out_limit(v)) < 0)
			return v;
		return cli_out_time(n, buf);
	case CLI_OUT_RATE: {
		const char *p = cli_util_hash_get(hash, "rate_period");

		if ((n = cli_out_limit(v)) < 0)
			return strcmp(v, "0") == 0 ? NULL : v;
		snprintf(buf, size, "%lld/%s", n,
		    p != NULL && strcmp(p, "60") == 0 ? "m" : "s");
		return buf;
	}
	default:
		return v;
	}
}

/* Whether name is one of the fields above. */
static bool
cli_out_known(const char *name)
{
	size_t i;

	for (i = 0; i < CLI_OUT_NFIELDS; i++)
		if (strcmp(cli_out_fields[i].name, name) == 0)
			return true;
	return false;
}

/* Whether field i is one of the milter's settings (shown when set). */
static bool
cli_out_setting(size_t i)
{
	return cli_out_fields[i].kind == CLI_OUT_SETTING ||
	    cli_out_fields[i].kind == CLI_OUT_SETTING_LIST ||
	    cli_out_fields[i].kind == CLI_OUT_SETTING_MAP;
}

/*
 * A list ("a,b c") as a JSON array of strings, or a map ("k=v,k=v") as
 * an object; an item without "=" maps to null.
 */
static void
cli_out_json_items(struct cli_json *j, const char *v, bool map)
{
	const char *p = v, *eq;
	size_t len;

	cli_out_json_open(j, map ? '{' : '[');
	while (*p != '\0') {
		p += strspn(p, ", \t");
		if ((len = strcspn(p, ", \t")) == 0)
			break;
		if (!map)
			cli_out_json_str(j, p, len);
		else if ((eq = memchr(p, '=', len)) == NULL) {
			cli_out_json_key_len(j, p, len);
			cli_out_json_null(j);
		} else {
			cli_out_json_key_len(j, p, (size_t)(eq - p));
			cli_out_json_str(j, eq + 1, len - (size_t)(eq - p) - 1);
		}
		p += len;
	}
	cli_out_json_close(j, map ? '}' : ']');
}

void
cli_out_record_table(const redisReply *hash, struct cli_table *t)
{
	char buf[CLI_TIME_MAX + 32];
	const char *v;
	size_t i;

	for (i = 0; i < CLI_OUT_NFIELDS; i++) {
		if (cli_out_fields[i].kind == CLI_OUT_HIDDEN)
			continue;
		v = cli_out_field_text(hash, i, buf, sizeof(buf));
		if (v == NULL && cli_out_setting(i))
			continue;	/* the default applies */
		if (v == NULL) {
			if (cli_out_fields[i].kind == CLI_OUT_LIST)
				v = "anywhere";
			else if (cli_out_fields[i].kind == CLI_OUT_STR ||
			    cli_out_fields[i].kind == CLI_OUT_TIME)
				v = "-";
			else
				v = "none";
		}
		cli_out_table_row(t, cli_out_fields[i].name, v);
	}
	/* Fields someone added by hand: shown, not hidden. */
	for (i = 0; hash->type == REDIS_REPLY_ARRAY &&
	    i + 1 < hash->elements; i += 2)
		if (!cli_out_known(hash->element[i]->str))
			cli_out_table_row(t, hash->element[i]->str,
			    hash->element[i + 1]->str);
}

void
cli_out_record_json(const redisReply *hash, struct cli_json *j)
{
	const char *v, *p;
	long long n;
	size_t i;

	for (i = 0; i < CLI_OUT_NFIELDS; i++) {
		v = cli_util_hash_get(hash, cli_out_fields[i].name);
		if (cli_out_setting(i) && (v == NULL || *v == '\0'))
			continue;	/* the default applies */
		cli_out_json_key(j, cli_out_fields[i].name);
		switch (cli_out_fields[i].kind) {
		case CLI_OUT_STR:
		case CLI_OUT_SETTING:
			cli_out_json_cstr(j, v);
			break;
		case CLI_OUT_SETTING_LIST:
		case CLI_OUT_SETTING_MAP:
			cli_out_json_items(j, v,
			    cli_out_fields[i].kind == CLI_OUT_SETTING_MAP);
			break;
		case CLI_OUT_LIST:
			cli_out_json_open(j, '[');
			for (p = v; p != NULL && *p != '\0'; ) {
				size_t len = strcspn(p, ",");

				if (len > 0)
					cli_out_json_str(j, p, len);
				p += len;
				if (*p == ',')
					p++;
			}
			cli_out_json_close(j, ']');
			break;
		case CLI_OUT_HIDDEN:	/* rate_period, with a rate */
			if (cli_out_limit(cli_util_hash_get(hash, "rate")) < 0)
				cli_out_json_null(j);
			else if (v != NULL && strcmp(v, "60") == 0)
				cli_out_json_int(j, 60);
			else
				cli_out_json_int(j, 1);
			break;
		default:
			if ((n = cli_out_limit(v)) >= 0)
				cli_out_json_int(j, n);
			else if (v == NULL || strcmp(v, "0") == 0 ||
			    *v == '\0')
				cli_out_json_null(j);
			else	/* written by hand, not a number: as is */
				cli_out_json_cstr(j, v);
			break;
		}
	}
	for (i = 0; hash->type == REDIS_REPLY_ARRAY &&
	    i + 1 < hash->elements; i += 2) {
		if (cli_out_known(hash->element[i]->str))
			continue;
		cli_out_json_key(j, hash->element[i]->str);
		cli_out_json_str(j, hash->element[i + 1]->str,
		    hash->element[i + 1]->len);
	}
}

char *
cli_out_limits_brief(const redisReply *hash, char *buf, size_t size)
{
	char val[CLI_TIME_MAX + 32];
	const char *v;
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < CLI_OUT_NFIELDS; i++) {
		if (cli_out_fields[i].brief == NULL)
			continue;
		v = cli_out_field_text(hash, i, val, sizeof(val));
		if (v == NULL)
			continue;
		o += (size_t)snprintf(buf + o, o < size ? size - o : 0,
		    "%s%s=%s", o > 0 ? " " : "", cli_out_fields[i].brief, v);
		if (o >= size)
			break;
	}
	if (buf[0] == '\0')
		snprintf(buf, size, "none");
	return buf;
}
