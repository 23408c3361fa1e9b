/*
 * fuzz_dkim_canon.c -- libFuzzer harness for the DKIM header field
 * splitter and the simple/relaxed canonicalizers (lib/dkim_canon.c).
 *
 * Input: one byte that seeds the chunk sizes, then a message (header
 * fields, an empty line, a body; LF or CRLF).  Every field is split and
 * canonicalized both ways; the body is canonicalized in one piece and in
 * chunks, and the two must be the same bytes.  Outputs must keep the
 * rules' invariants: relaxed never writes a tab, two spaces in a row or
 * white space before a line end, and no body ends with an empty line.
 * The body is also broken into lines as Postfix's SMTP client sends them
 * (lib/smtp_lines.c, a limit of 2 to 17 and queue records of 0 to 39
 * bytes from the seed), in one piece and in chunks: the same bytes, and
 * no line longer than the limit.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "dkim_canon.h"
#include "smtp_lines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
collect(void *arg, const unsigned char *p, size_t len)
{
	if (pw_buf_append(arg, p, len) < 0)
		__builtin_trap();
}

static void
check_relaxed(const struct pw_buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\t')
			__builtin_trap();
		if (b->data[i] == ' ' && i + 1 < b->len &&
		    (b->data[i + 1] == ' ' || (b->data[i + 1] == '\r' &&
		    i + 2 < b->len && b->data[i + 2] == '\n')))
			__builtin_trap();
	}
}

static void
body(enum pw_dkim_canon c, const uint8_t *p, size_t len, uint32_t seed)
{
	struct pw_dkim_canon_body cb;
	struct pw_buf whole, parts;
	size_t pos = 0, n;

	pw_buf_init(&whole, 1 << 24);
	pw_buf_init(&parts, 1 << 24);
	pw_dkim_canon_body_init(&cb, c, collect, &whole);
	pw_dkim_canon_body_update(&cb, p, len);
	pw_dkim_canon_body_final(&cb);
	if (cb.len != whole.len)
		__builtin_trap();
	pw_dkim_canon_body_init(&cb, c, collect, &parts);
	while (pos < len) {
		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % 7;	/* 0 to 6: empty chunks too */
		if (n > len - pos)
			n = len - pos;
		pw_dkim_canon_body_update(&cb, p + pos, n);
		pos += n;
	}
	pw_dkim_canon_body_final(&cb);
	if (parts.len != whole.len ||
	    memcmp(parts.data, whole.data, whole.len) != 0)
		__builtin_trap();
	if (whole.len >= 4 &&
	    memcmp(whole.data + whole.len - 4, "\r\n\r\n", 4) == 0)
		__builtin_trap();
	if (c == PW_DKIM_CANON_SIMPLE ? whole.len < 2 :
	    whole.len == 1)
		__builtin_trap();
	if (whole.len > 0 &&
	    memcmp(whole.data + whole.len - 2, "\r\n", 2) != 0)
		__builtin_trap();
	if (c == PW_DKIM_CANON_RELAXED)
		check_relaxed(&whole);
	pw_buf_free(&whole);
	pw_buf_free(&parts);
}

/* No line (up to CRLF) longer than limit. */
static void
check_lines(const struct pw_buf *b, size_t limit)
{
	size_t i, col = 0;

	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\r' && i + 1 < b->len &&
		    b->data[i + 1] == '\n') {
			col = 0;
			i++;
			continue;
		}
		if (++col > limit)
			__builtin_trap();
	}
}

static void
lines(const uint8_t *p, size_t len, uint32_t seed)
{
	struct pw_smtp_lines sl;
	struct pw_buf whole, parts;
	size_t limit = 2 + seed % 16, record = (seed >> 4) % 40, pos = 0, n;

	pw_buf_init(&whole, 1 << 24);
	pw_buf_init(&parts, 1 << 24);
	pw_smtp_lines_init(&sl, limit, record);
	pw_smtp_lines_update(&sl, p, len, collect, &whole);
	pw_smtp_lines_final(&sl, collect, &whole);
	pw_smtp_lines_init(&sl, limit, record);
	while (pos < len) {
		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % 7;
		if (n > len - pos)
			n = len - pos;
		pw_smtp_lines_update(&sl, p + pos, n, collect, &parts);
		pos += n;
	}
	pw_smtp_lines_final(&sl, collect, &parts);
	if (parts.len != whole.len ||
	    memcmp(parts.data, whole.data, whole.len) != 0)
		__builtin_trap();
	check_lines(&whole, limit);
	pw_buf_free(&whole);
	pw_buf_free(&parts);
}

static void
field(const char *p, size_t len)
{
	struct pw_buf out;
	const char *value, *why;
	size_t namelen, i;

	if (pw_dkim_canon_split(p, len, &namelen, &value, &len, &why) < 0)
		return;
	pw_buf_init(&out, 1 << 20);
	if (pw_dkim_canon_header(PW_DKIM_CANON_SIMPLE, p, namelen, value, len,
	    1, &out) < 0)
		__builtin_trap();
	pw_buf_reset(&out);
	if (pw_dkim_canon_header(PW_DKIM_CANON_RELAXED, p, namelen, value,
	    len, 1, &out) < 0)
		__builtin_trap();
	/* "name:value\r\n": one CRLF, at the end; a lower-case name. */
	if (out.len < 3 || memcmp(out.data + out.len - 2, "\r\n", 2) != 0)
		__builtin_trap();
	for (i = 0; i < out.len && out.data[i] != ':'; i++)
		if (out.data[i] >= 'A' && out.data[i] <= 'Z')
			__builtin_trap();
	out.len -= 2;
	check_relaxed(&out);
	pw_buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg, *line, *nl;
	size_t len, pos = 0, start;
	uint32_t seed;

	if (size < 1)
		return 0;
	seed = data[0];
	msg = (const char *)data + 1;
	len = size - 1;
	/* Header fields: a line and its continuation lines. */
	while (pos < len) {
		line = msg + pos;
		if (line[0] == '\n' || (line[0] == '\r' && pos + 1 < len &&
		    line[1] == '\n')) {
			pos += line[0] == '\n' ? 1 : 2;
			break;
		}
		start = pos;
		for (;;) {
			nl = memchr(msg + pos, '\n', len - pos);
			pos = nl != NULL ? (size_t)(nl - msg) + 1 : len;
			if (pos >= len || (msg[pos] != ' ' && msg[pos] != '\t'))
				break;
		}
		field(msg + start, pos - start);
	}
	body(PW_DKIM_CANON_SIMPLE, (const uint8_t *)msg + pos, len - pos,
	    seed);
	body(PW_DKIM_CANON_RELAXED, (const uint8_t *)msg + pos, len - pos,
	    seed);
	lines((const uint8_t *)msg + pos, len - pos, seed);
	return 0;
}
