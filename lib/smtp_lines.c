/*
 * smtp_lines.c -- lines broken as Postfix's SMTP client sends them (see
 * smtp_lines.h).
 */
#include "config.h"

#include <string.h>

#include "smtp_lines.h"

static const unsigned char pw_smtp_lines_break[] = "\r\n ";

void
pw_smtp_lines_init(struct pw_smtp_lines *s, size_t limit, size_t record)
{
	s->limit = limit > 1 ? limit : 0;
	s->record = record;
	s->col = 0;
	s->rcol = 0;
	s->nonempty = 0;
	s->cr = 0;
}

/* n > 0 data bytes at p join the input line: where its records end. */
static void
pw_smtp_lines_count(struct pw_smtp_lines *s, const unsigned char *p,
    size_t n)
{
	size_t stuffed;

	if (s->record == 0)
		return;
	/* smtpd counts the dot a client stuffs in front of a ".". */
	stuffed = !s->nonempty && *p == '.';
	s->nonempty = 1;
	s->rcol = (s->rcol + stuffed + n % s->record) % s->record;
}

/*
 * The input line ends (its CRLF not yet out): when its last record ended
 * exactly where the output line is full, Postfix sends CRLF SP, then the
 * empty last record's CRLF.  True when out() must get the break first.
 */
static int
pw_smtp_lines_eol(struct pw_smtp_lines *s)
{
	int extra = s->record > 0 && s->nonempty && s->rcol == 0 &&
	    s->col == s->limit;

	s->col = 0;
	s->rcol = 0;
	s->nonempty = 0;
	return extra;
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

	if (p < end)
		pw_smtp_lines_count(s, p, (size_t)(end - p));
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
	pw_smtp_lines_count(s, (const unsigned char *)"\r", 1);
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
			if (pw_smtp_lines_eol(s))
				out(arg, pw_smtp_lines_break, 3);
			out(arg, (const unsigned char *)"\r", 1);
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
			if (pw_smtp_lines_eol(s)) {
				out(arg, run, (size_t)(p - run));
				out(arg, pw_smtp_lines_break, 3);
				run = p;
			}
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
