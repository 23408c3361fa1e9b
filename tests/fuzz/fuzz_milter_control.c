/*
 * fuzz_milter_control.c -- libFuzzer harness for the control-header
 * parser and what is built from it (milter/milter_control.c).
 *
 * The first byte picks the limits (small ones reach every bound), the
 * second the size of the Feedback-ID buffer and the caps of the event
 * renderings.  The rest is split into header fields ("name: value", a
 * line starting with white space continues the field, as libmilter
 * hands them over) and fed in order.  Every answer must be one of the
 * four, every error text printable, without '%' and within bounds, and
 * everything kept within the limits; the Feedback-ID, tags and JSON
 * must be NUL-terminated and fit their buffers.
 */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "milter_control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Is s printable ASCII without '%', at most max characters? */
static void
fuzz_check_text(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '%')
			abort();
	if (i > max)
		abort();
}

/* Is s 1..max bytes of alphanumerics and extra? */
static void
fuzz_check_word(const char *s, size_t max, const char *extra)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > max)
		abort();
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) || (unsigned char)s[i] > 0x7f)
			if (strchr(extra, s[i]) == NULL)
				abort();
}

/* What c keeps is within lim and valid. */
static void
fuzz_check_control(const struct milter_control *c,
    const struct milter_control_limits *lim)
{
	size_t i, total = strlen(c->stream);

	if (c->ntags > (size_t)lim->max_tags ||
	    c->nmeta > (size_t)lim->max_metadata || c->total > lim->max_total)
		abort();
	if (c->stream[0] != '\0')
		fuzz_check_word(c->stream, MILTER_CONTROL_STREAM_MAX, "-_");
	for (i = 0; c->stream[i] != '\0'; i++)
		if (isupper((unsigned char)c->stream[i]))
			abort();
	for (i = 0; i < c->ntags; i++) {
		fuzz_check_word(c->tags[i], MILTER_CONTROL_TAG_MAX, "._-");
		total += strlen(c->tags[i]);
	}
	for (i = 0; i < c->nmeta; i++) {
		fuzz_check_word(c->meta[i].key, MILTER_CONTROL_KEY_MAX, "-_");
		if (strlen(c->meta[i].value) > MILTER_CONTROL_VALUE_MAX)
			abort();
		total += strlen(c->meta[i].key) + strlen(c->meta[i].value);
	}
	if (total != c->total)
		abort();
	fuzz_check_text(c->err, MILTER_CONTROL_ERR_SIZE - 1);
	if ((c->nerrors > 0) != (c->err[0] != '\0'))
		abort();
}

/* Feed one field; name and value are NUL-terminated copies. */
static void
fuzz_field(struct milter_control *c, const struct milter_control_limits *lim,
    const char *name, const char *value)
{
	char err[MILTER_CONTROL_ERR_SIZE];
	size_t nremove = c->nremove;
	int ret;

	ret = milter_control_header(c, lim, name, value, err, sizeof(err));
	if (ret < -1 || ret > 2)
		abort();
	if ((ret == -1) != (err[0] != '\0'))
		abort();
	fuzz_check_text(err, MILTER_CONTROL_ERR_SIZE - 1);
	if (c->nremove != nremove + (ret != 0))
		abort();
	if (ret != 0 && (c->remove[nremove].index < 1 ||
	    strcasecmp(c->remove[nremove].name, name) != 0))
		abort();
}

/* Split data into fields ("name:value", continued by white space). */
static void
fuzz_fields(struct milter_control *c, const struct milter_control_limits *lim,
    const char *data, size_t size)
{
	size_t start = 0, end, colon;
	char *field;

	while (start < size) {
		for (end = start; end < size; end++)
			if (data[end] == '\n' && (end + 1 == size ||
			    (data[end + 1] != ' ' && data[end + 1] != '\t')))
				break;
		field = malloc(end - start + 1);
		if (field == NULL)
			abort();
		memcpy(field, data + start, end - start);
		field[end - start] = '\0';
		colon = strcspn(field, ":");
		if (field[colon] == ':') {
			field[colon] = '\0';
			fuzz_field(c, lim, field, field + colon + 1);
		} else
			fuzz_field(c, lim, field, "");
		free(field);
		start = end + 1;
	}
}

/* The renderings fit their caps and their buffers. */
static void
fuzz_render(struct milter_control *c, size_t cap)
{
	char out[MILTER_CONTROL_FEEDBACK_ID_MAX + 16], err[64];
	size_t outsize = 1 + cap % sizeof(out), i, colons = 0;
	struct pw_buf b;

	(void)milter_control_check_stream(c, "transactional, bulk a-b",
	    err, sizeof(err));
	fuzz_check_text(err, sizeof(err) - 1);
	memset(out, 'z', sizeof(out));
	if (milter_control_feedback_id(c, "acme:x\xff", c->stream, "pw", out,
	    outsize) == 0) {
		if (out[0] == '\0')
			abort();
		for (i = 0; out[i] != '\0'; i++)
			if (out[i] == ':')
				colons++;
			else if (!isalnum((unsigned char)out[i]) &&
			    strchr("._-", out[i]) == NULL)
				abort();
		if (colons > 3 || i >= outsize ||
		    i > MILTER_CONTROL_FEEDBACK_ID_MAX)
			abort();
	} else if (out[0] != '\0')
		abort();
	pw_buf_init(&b, cap * 8);
	if (milter_control_tags_str(c, &b) < 0 && b.len != 0)
		abort();
	if (b.len > b.max || b.data[b.len] != '\0' || strlen(b.data) != b.len)
		abort();
	pw_buf_reset(&b);
	if (milter_control_metadata_json(c, &b) == 0) {
		if (b.data[0] != '{' || b.data[b.len - 1] != '}')
			abort();
		for (i = 0; i < b.len; i++)
			if ((unsigned char)b.data[i] < 0x20)
				abort();
	} else if (b.len != 0)
		abort();
	if (b.len > b.max || b.data[b.len] != '\0')
		abort();
	pw_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct milter_control_limits lims[4] = {
		{ 10, 10, MILTER_CONTROL_TOTAL_MAX, "X-Postwarden-ID",
		    "X-Postwarden-Route" },
		{ 2, 2, 64, "X-Track", "X-Postwarden-Stream" },
		{ 0, 0, 0, "", NULL },
		{ 100, 100, MILTER_CONTROL_TOTAL_MAX, "X-Postwarden-ID",
		    "X-Route" },
	};
	const struct milter_control_limits *lim;
	struct milter_control c;
	size_t cap;

	if (size < 2)
		return 0;
	lim = &lims[data[0] & 3];
	cap = data[1];
	milter_control_init(&c);
	fuzz_fields(&c, lim, (const char *)data + 2, size - 2);
	fuzz_check_control(&c, lim);
	fuzz_render(&c, cap);
	milter_control_free(&c);
	return 0;
}
