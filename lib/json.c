/*
 * json.c -- JSON strings from untrusted bytes (see json.h).
 *
 * Exports: pw_json_utf8, pw_json_escape.
 *
 * Bytes that stand as they are go into the buffer in runs, one append a
 * run, so the work is linear in the input.  Failures: only the buffer's
 * cap, which leaves it as it was.
 */
#include "config.h"

#include <stdio.h>

#include "json.h"

size_t
pw_json_utf8(const char *s, size_t len, unsigned *cp_r)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned cp;
	size_t n, i;

	if (p[0] < 0x80) {
		*cp_r = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1fu;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0fu;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07u;
	else
		return 0;
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cp_r = cp;
	return n;
}

/* The escape of code point cp (into buf if need be), or NULL for none. */
static const char *
pw_json_escape_cp(unsigned cp, char buf[7])
{
	switch (cp) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	}
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
		snprintf(buf, 7, "\\u%04x", cp);
		return buf;
	}
	return NULL;
}

int
pw_json_escape(struct pw_buf *out, const char *s, size_t len)
{
	size_t start = out->len, plain = 0, i = 0, n;
	const char *esc;
	char buf[7];
	unsigned cp;

	if (pw_buf_append(out, "\"", 1) < 0)
		return -1;
	while (i < len) {
		if ((n = pw_json_utf8(s + i, len - i, &cp)) == 0) {
			esc = "\\ufffd";
			n = 1;
		} else if ((esc = pw_json_escape_cp(cp, buf)) == NULL) {
			i += n;
			continue;
		}
		if (pw_buf_append(out, s + plain, i - plain) < 0 ||
		    pw_buf_puts(out, esc) < 0)
			goto full;
		i += n;
		plain = i;
	}
	if (pw_buf_append(out, s + plain, i - plain) < 0 ||
	    pw_buf_append(out, "\"", 1) < 0)
		goto full;
	return 0;
full:
	out->len = start;
	out->data[start] = '\0';
	return -1;
}
