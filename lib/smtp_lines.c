/*
 * smtp_lines.c -- lines broken as Postfix's SMTP client sends them (see
 * smtp_lines.h).
 */
#include "config.h"

#include <string.h>

#include "smtp_lines.h"

static const unsigned char pw_smtp_lines_break[] = "\r\n ";

void
pw_smtp_lines_init(struct pw_smtp_lines *s, size_t limit)
{
	s->limit = limit > 1 ? limit : 0;
	s->col = 0;
	s->cr = 0;
}

/*
 * Data bytes [*runp, end) where p is the next one to count: each time the
 * output line is full and a byte follows, the run so far goes out, then
 * CRLF SP.  *runp is where the bytes not yet written start.
 */
static void
pw_smtp_lines_data(struct pw_smtp_lines *s, const unsigned char **runp,
    const unsigned char *p, const unsigned char *end,
    pw_smtp_lines_out *out, void *arg)
{
	size_t room;

	while ((size_t)(end - p) > (room = s->limit - s->col)) {
		p += room;
		out(arg, *runp, (size_t)(p - *runp));
		out(arg, pw_smtp_lines_break, 3);
		*runp = p;
		s->col = 1;
	}
	s->col += (size_t)(end - p);
}

/* A CR that is data, not part of CRLF: counted like any other byte. */
static void
pw_smtp_lines_cr(struct pw_smtp_lines *s, pw_smtp_lines_out *out, void *arg)
{
	if (s->col >= s->limit) {
		out(arg, pw_smtp_lines_break, 3);
		s->col = 1;
	}
	out(arg, (const unsigned char *)"\r", 1);
	s->col++;
}

void
pw_smtp_lines_update(struct pw_smtp_lines *s, const unsigned char *data,
    size_t len, pw_smtp_lines_out *out, void *arg)
{
	const unsigned char *p = data, *end = data + len, *run = data, *cr;

	if (s->limit == 0) {
		out(arg, data, len);
		return;
	}
	/* A CR held from the last chunk: a line end, or data. */
	if (s->cr && p < end) {
		s->cr = 0;
		if (*p == '\n') {
			out(arg, (const unsigned char *)"\r", 1);
			s->col = 0;
			p++;
		} else {
			pw_smtp_lines_cr(s, out, arg);
		}
	}
	while (p < end) {
		if ((cr = memchr(p, '\r', (size_t)(end - p))) == NULL)
			cr = end;
		pw_smtp_lines_data(s, &run, p, cr, out, arg);
		p = cr;
		if (p == end)
			break;
		if (p + 1 == end) {
			/* Hold it: only the next byte tells what it is. */
			out(arg, run, (size_t)(p - run));
			run = end;
			s->cr = 1;
			break;
		}
		if (p[1] == '\n') {
			s->col = 0;
			p += 2;
		} else {
			/* A data CR: the bytes before it go first. */
			pw_smtp_lines_data(s, &run, p, p + 1, out, arg);
			p++;
		}
	}
	if (run < end)
		out(arg, run, (size_t)(end - run));
}

void
pw_smtp_lines_final(struct pw_smtp_lines *s, pw_smtp_lines_out *out,
    void *arg)
{
	if (s->cr) {
		s->cr = 0;
		pw_smtp_lines_cr(s, out, arg);
	}
}

int
pw_smtp_lines_header(size_t limit, size_t namelen, const char *value,
    size_t valuelen, struct pw_buf *out)
{
	size_t col = namelen + 1, i;	/* "name:" */
	unsigned char c;

	if (limit < 2)
		limit = 0;

	for (i = 0; i < valuelen; i++) {
		c = (unsigned char)value[i];
		if (c == '\n' || (c == '\r' && i + 1 < valuelen &&
		    value[i + 1] == '\n')) {
			col = 0;
		} else {
			if (limit > 0 && col >= limit) {
				if (pw_buf_append(out, "\n ", 2) < 0)
					return -1;
				col = 1;
			}
			col++;
		}
		if (pw_buf_append(out, value + i, 1) < 0)
			return -1;
	}
	return 0;
}
