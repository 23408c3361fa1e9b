/*
 * dkim_canon.c -- DKIM canonicalization, simple and relaxed (see
 * dkim_canon.h).
 *
 * Exports: pw_dkim_canon_parse/_name/_parse_pair, the streaming body
 * canonicalizer pw_dkim_canon_body_*, pw_dkim_canon_header and
 * pw_dkim_canon_split.
 *
 * How the body streams.  Line ends are never written when they are seen:
 * a CRLF only counts one more pending line end.  The next byte of data
 * writes the pending line ends first; at the end of the body they are
 * replaced by the single CRLF that both algorithms end with (RFC 6376
 * 3.4.3, 3.4.4), which is what drops trailing empty lines.  Relaxed also
 * holds a run of white space as one flag, written as one SP before the
 * next byte of data on the same line and forgotten at the line end.  A CR
 * is held until the next byte says whether it starts a CRLF.  So the state
 * between chunks is a few integers, and the output is the same however the
 * body is split.  Output is batched in a small buffer before the callback.
 *
 * Threads: no shared state.  Failures: none in the body path; header
 * functions fail only on their output buffer's cap.  Security: input is
 * untrusted (message bytes); every index is checked against its length.
 */
#include "config.h"

#include <string.h>

#include "dkim_canon.h"

static const char *const pw_dkim_canon_names[] = { "simple", "relaxed" };

int
pw_dkim_canon_parse(const char *s, size_t len, enum pw_dkim_canon *canon_r)
{
	if (len == 6 && memcmp(s, "simple", 6) == 0)
		*canon_r = PW_DKIM_CANON_SIMPLE;
	else if (len == 7 && memcmp(s, "relaxed", 7) == 0)
		*canon_r = PW_DKIM_CANON_RELAXED;
	else
		return -1;
	return 0;
}

const char *
pw_dkim_canon_name(enum pw_dkim_canon canon)
{
	return pw_dkim_canon_names[canon == PW_DKIM_CANON_RELAXED];
}

int
pw_dkim_canon_parse_pair(const char *s, enum pw_dkim_canon *hdr_r,
    enum pw_dkim_canon *body_r, const char **why_r)
{
	const char *slash = strchr(s, '/');
	size_t hlen = slash != NULL ? (size_t)(slash - s) : strlen(s);

	if (pw_dkim_canon_parse(s, hlen, hdr_r) < 0) {
		*why_r = "expected simple or relaxed, optionally "
		    "header/body (example: relaxed/relaxed)";
		return -1;
	}
	*body_r = PW_DKIM_CANON_SIMPLE;
	if (slash != NULL && pw_dkim_canon_parse(slash + 1,
	    strlen(slash + 1), body_r) < 0) {
		*why_r = "body canonicalization must be simple or relaxed";
		return -1;
	}
	return 0;
}

/* --- body --------------------------------------------------------------- */

static void
pw_dkim_canon_flush(struct pw_dkim_canon_body *cb)
{
	if (cb->buflen > 0)
		cb->out(cb->out_arg, cb->buf, cb->buflen);
	cb->buflen = 0;
}

static void
pw_dkim_canon_emit(struct pw_dkim_canon_body *cb, const unsigned char *p,
    size_t n)
{
	cb->len += n;
	if (cb->buflen + n > sizeof(cb->buf)) {
		pw_dkim_canon_flush(cb);
		if (n >= sizeof(cb->buf)) {
			cb->out(cb->out_arg, p, n);
			return;
		}
	}
	memcpy(cb->buf + cb->buflen, p, n);
	cb->buflen += n;
}

/* Write what is held back before data on a line: line ends, white space. */
static void
pw_dkim_canon_before_data(struct pw_dkim_canon_body *cb)
{
	static const unsigned char crlf[] = "\r\n";

	while (cb->crlf_pending > 0) {
		pw_dkim_canon_emit(cb, crlf, 2);
		cb->crlf_pending--;
	}
	if (cb->wsp) {
		pw_dkim_canon_emit(cb, (const unsigned char *)" ", 1);
		cb->wsp = 0;
	}
	cb->line_data = 1;
	cb->any_data = 1;
}

void
pw_dkim_canon_body_init(struct pw_dkim_canon_body *cb,
    enum pw_dkim_canon canon, pw_dkim_canon_out *out, void *out_arg)
{
	memset(cb, 0, offsetof(struct pw_dkim_canon_body, buf));
	cb->canon = canon;
	cb->out = out;
	cb->out_arg = out_arg;
}

/* Is c a byte that ends a run of plain data for this canonicalization? */
static inline int
pw_dkim_canon_special(const struct pw_dkim_canon_body *cb, unsigned char c)
{
	return c == '\r' || (cb->canon == PW_DKIM_CANON_RELAXED &&
	    (c == ' ' || c == '\t'));
}

/* Sixteen bytes, compared sixteen at a time (GCC and Clang vectors). */
typedef unsigned char pw_dkim_canon_v16 __attribute__((vector_size(16)));

/*
 * Does [p, p + n) hold no tab and no two spaces in a row, i.e. is it
 * relaxed-canonical as it is?  Sixteen positions per step: a vector of
 * the bytes at i.. and one of the bytes at i + 1.. (so a pair across two
 * steps is seen too); the last step is moved back to end at the last
 * pair, overlapping the one before, and the last byte is looked at
 * alone.  The C library has no scan for "two spaces" that is not byte by
 * byte (memmem of a 2-byte needle).
 */
static int
pw_dkim_canon_relaxed_plain(const unsigned char *p, size_t n)
{
	pw_dkim_canon_v16 sp, tab, a, b, hit;
	uint64_t w[2];
	size_t i, last;

	if (n < sizeof(a) + 1) {
		for (i = 0; i < n; i++)
			if (p[i] == '\t' || (p[i] == ' ' && i + 1 < n &&
			    p[i + 1] == ' '))
				return 0;
		return 1;
	}
	if (p[n - 1] == '\t')
		return 0;
	memset(&sp, ' ', sizeof(sp));
	memset(&tab, '\t', sizeof(tab));
	last = n - sizeof(a) - 1;
	for (i = 0;; i += sizeof(a)) {
		if (i > last)
			i = last;
		memcpy(&a, p + i, sizeof(a));
		memcpy(&b, p + i + 1, sizeof(b));
		hit = (pw_dkim_canon_v16)(((a == sp) & (b == sp)) |
		    (a == tab));
		memcpy(w, &hit, sizeof(w));
		if ((w[0] | w[1]) != 0)
			return 0;
		if (i == last)
			return 1;
	}
}

/*
 * The common case, a whole line that is already canonical, found with
 * vectorized scans instead of the byte loop: it ends in CRLF within
 * [p, end), is not empty, holds no other CR, and in relaxed no tab, no
 * two spaces in a row and no space before its end.  Returns its CR, or
 * NULL: the byte loop takes the line.  *more is cleared when no later
 * line of this chunk can be found either (no CRLF ahead), so a chunk
 * without one is not searched again and again.
 */
static const unsigned char *
pw_dkim_canon_clean_line(const struct pw_dkim_canon_body *cb,
    const unsigned char *p, const unsigned char *end, int *more)
{
	const unsigned char *cr = memchr(p, '\r', (size_t)(end - p));
	size_t n;

	if (cr == NULL || cr + 1 >= end) {
		*more = 0;
		return NULL;
	}
	n = (size_t)(cr - p);
	if (n == 0 || cr[1] != '\n')
		return NULL;
	if (cb->canon == PW_DKIM_CANON_RELAXED && (cr[-1] == ' ' ||
	    !pw_dkim_canon_relaxed_plain(p, n)))
		return NULL;
	return cr;
}

/*
 * Many whole lines at once: from p, at the start of a line with nothing
 * held, the longest run of lines that are canonical as they stand (as
 * pw_dkim_canon_clean_line's, and no empty line among them), found with
 * one vector scan over the bytes and written straight from the input (no
 * copy): the canonical form of such a run is the run itself.  A block of
 * sixteen bytes is looked at together with the sixteen that start one
 * byte later, so that a pair of bytes is seen also across two blocks;
 * what is not canonical as it stands is a CR not followed by LF, an LF
 * followed by CR (an empty line follows), and in relaxed a tab, two
 * spaces or a space before CR.  Returns the end of the run (after the
 * CRLF of its last line), or p when there is no whole line to take:
 * the line-by-line code below takes over there.
 */
static const unsigned char *
pw_dkim_canon_clean_lines(const struct pw_dkim_canon_body *cb,
    const unsigned char *p, const unsigned char *end)
{
	pw_dkim_canon_v16 vcr, vlf, vsp, vtab, a, b, bad;
	size_t n = (size_t)(end - p), i, j, lim;
	uint64_t w[2];
	const unsigned char *lf;
	int relaxed = cb->canon == PW_DKIM_CANON_RELAXED;

	if (n < sizeof(a) + 2 || p[0] == '\r')
		return p;
	memset(&vcr, '\r', sizeof(vcr));
	memset(&vlf, '\n', sizeof(vlf));
	memset(&vsp, ' ', sizeof(vsp));
	memset(&vtab, '\t', sizeof(vtab));
	/* Blocks while the one byte later block is whole too. */
	lim = n - sizeof(a) - 1;
	for (i = 0; i <= lim; i += sizeof(a)) {
		memcpy(&a, p + i, sizeof(a));
		memcpy(&b, p + i + 1, sizeof(b));
		bad = (pw_dkim_canon_v16)(((a == vcr) & (b != vlf)) |
		    ((a == vlf) & (b == vcr)));
		if (relaxed)
			bad |= (pw_dkim_canon_v16)((a == vtab) |
			    ((a == vsp) & ((b == vsp) | (b == vcr))));
		memcpy(w, &bad, sizeof(w));
		if ((w[0] | w[1]) != 0)
			break;
	}
	if (i <= lim) {
		/* The first byte of the block that is not canonical. */
		for (j = 0; j < sizeof(a); j++)
			if (((unsigned char *)&bad)[j] != 0)
				break;
		i += j;
	}
	/*
	 * Bytes [0, i) are known to be fine, and so is an LF at i after a
	 * CR at i - 1: the run ends at the last CRLF that ends by i.
	 */
	lim = i < n ? i + 1 : n;
	while ((lf = memrchr(p, '\n', lim)) != NULL) {
		if (lf > p && lf[-1] == '\r')
			return lf + 1;
		lim = (size_t)(lf - p);
	}
	return p;
}

/* Write [p, p + n) as it stands, straight from the caller's bytes. */
static void
pw_dkim_canon_emit_direct(struct pw_dkim_canon_body *cb,
    const unsigned char *p, size_t n)
{
	pw_dkim_canon_flush(cb);
	cb->len += n;
	cb->out(cb->out_arg, p, n);
}

void
pw_dkim_canon_body_update(struct pw_dkim_canon_body *cb,
    const unsigned char *data, size_t len)
{
	const unsigned char *p = data, *end = data + len, *run, *cr;
	unsigned char c;
	int more = 1;

	while (p < end) {
		/* At the start of a line, with nothing held but line ends. */
		if (more && !cb->cr && !cb->wsp && !cb->line_data &&
		    (run = pw_dkim_canon_clean_lines(cb, p, end)) > p) {
			/* Its last CRLF is held, as any line end. */
			pw_dkim_canon_before_data(cb);
			pw_dkim_canon_emit_direct(cb, p, (size_t)(run - p) - 2);
			cb->crlf_pending++;
			cb->line_data = 0;
			p = run;
			continue;
		}
		if (more && !cb->cr && !cb->wsp && !cb->line_data &&
		    (cr = pw_dkim_canon_clean_line(cb, p, end, &more)) !=
		    NULL) {
			pw_dkim_canon_before_data(cb);
			pw_dkim_canon_emit(cb, p, (size_t)(cr - p));
			cb->crlf_pending++;
			cb->line_data = 0;
			p = cr + 2;
			continue;
		}
		c = *p;
		if (cb->cr) {
			cb->cr = 0;
			if (c == '\n') {
				/* A line ends; relaxed drops white space. */
				cb->crlf_pending++;
				cb->wsp = 0;
				cb->line_data = 0;
				p++;
				continue;
			}
			/* The held CR was data. */
			pw_dkim_canon_before_data(cb);
			pw_dkim_canon_emit(cb, (const unsigned char *)"\r", 1);
		}
		if (c == '\r') {
			cb->cr = 1;
			p++;
			continue;
		}
		if (pw_dkim_canon_special(cb, c)) {
			cb->wsp = 1;	/* relaxed white space */
			p++;
			continue;
		}
		/*
		 * A run of plain data, written in one piece.  In relaxed, a
		 * single SP followed by data on the same line is its own
		 * canonical form, so the run goes on through it.
		 */
		run = p;
		while (p < end) {
			if (!pw_dkim_canon_special(cb, *p))
				p++;
			else if (*p == ' ' && p + 1 < end &&
			    !pw_dkim_canon_special(cb, p[1]))
				p += 2;
			else
				break;
		}
		pw_dkim_canon_before_data(cb);
		pw_dkim_canon_emit(cb, run, (size_t)(p - run));
	}
	pw_dkim_canon_flush(cb);
}

void
pw_dkim_canon_body_final(struct pw_dkim_canon_body *cb)
{
	if (cb->cr) {
		/* A CR at the very end is data. */
		cb->cr = 0;
		pw_dkim_canon_before_data(cb);
		pw_dkim_canon_emit(cb, (const unsigned char *)"\r", 1);
	}
	/* Trailing white space of the last line goes (relaxed). */
	cb->wsp = 0;
	/*
	 * One CRLF ends the body: it ends a last line without one, or stands
	 * for the held line ends (trailing empty lines dropped).  An empty
	 * body is CRLF in simple and stays empty in relaxed.
	 */
	if (cb->canon == PW_DKIM_CANON_SIMPLE || cb->any_data)
		pw_dkim_canon_emit(cb, (const unsigned char *)"\r\n", 2);
	cb->crlf_pending = 0;
	cb->line_data = 0;
	pw_dkim_canon_flush(cb);
}

/* --- header fields ------------------------------------------------------ */

static int
pw_dkim_canon_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Simple: the bytes as they are, with each bare LF written as CRLF. */
static int
pw_dkim_canon_header_simple(const char *name, size_t namelen,
    const char *value, size_t valuelen, struct pw_buf *out)
{
	size_t i, start = 0;

	if (pw_buf_append(out, name, namelen) < 0 ||
	    pw_buf_append(out, ":", 1) < 0)
		return -1;
	for (i = 0; i < valuelen; i++) {
		if (value[i] != '\n' || (i > 0 && value[i - 1] == '\r'))
			continue;
		if (pw_buf_append(out, value + start, i - start) < 0 ||
		    pw_buf_append(out, "\r", 1) < 0)
			return -1;
		start = i;
	}
	return pw_buf_append(out, value + start, valuelen - start);
}

/*
 * Relaxed: name in lower case without trailing white space, ":", the
 * value unfolded, white space runs as one SP, none at either end.
 */
static int
pw_dkim_canon_header_relaxed(const char *name, size_t namelen,
    const char *value, size_t valuelen, struct pw_buf *out)
{
	char tmp[256];
	size_t i, n = 0, written = 0;
	int wsp = 0;

	while (namelen > 0 && pw_dkim_canon_wsp(name[namelen - 1]))
		namelen--;
	for (i = 0; i < namelen; i++) {
		char c = name[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		tmp[n++] = c;
		if (n == sizeof(tmp)) {
			if (pw_buf_append(out, tmp, n) < 0)
				return -1;
			n = 0;
		}
	}
	tmp[n++] = ':';
	for (i = 0; i < valuelen; i++) {
		char c = value[i];

		if (c == '\n' || (c == '\r' && i + 1 < valuelen &&
		    value[i + 1] == '\n'))
			continue;	/* unfold */
		if (pw_dkim_canon_wsp(c)) {
			wsp = 1;
			continue;
		}
		if (n + 2 > sizeof(tmp)) {
			if (pw_buf_append(out, tmp, n) < 0)
				return -1;
			n = 0;
		}
		if (wsp && written > 0)
			tmp[n++] = ' ';
		wsp = 0;
		tmp[n++] = c;
		written++;
	}
	return pw_buf_append(out, tmp, n);
}

int
pw_dkim_canon_header(enum pw_dkim_canon canon, const char *name,
    size_t namelen, const char *value, size_t valuelen, int crlf,
    struct pw_buf *out)
{
	size_t mark = out->len;
	int ret;

	if (canon == PW_DKIM_CANON_RELAXED)
		ret = pw_dkim_canon_header_relaxed(name, namelen, value,
		    valuelen, out);
	else
		ret = pw_dkim_canon_header_simple(name, namelen, value,
		    valuelen, out);
	if (ret == 0 && crlf)
		ret = pw_buf_append(out, "\r\n", 2);
	if (ret < 0) {
		/* Leave out as it was. */
		out->len = mark;
		out->data[mark] = '\0';
	}
	return ret;
}

int
pw_dkim_canon_split(const char *field, size_t len, size_t *namelen_r,
    const char **value_r, size_t *valuelen_r, const char **why_r)
{
	const char *colon = memchr(field, ':', len);
	size_t namelen, i, vlen;
	int seen_wsp = 0;

	if (colon == NULL) {
		*why_r = "no colon";
		return -1;
	}
	namelen = (size_t)(colon - field);
	if (namelen == 0) {
		*why_r = "empty field name";
		return -1;
	}
	/* ftext is printable ASCII but ":"; white space only at the end. */
	for (i = 0; i < namelen; i++) {
		unsigned char c = (unsigned char)field[i];

		if (pw_dkim_canon_wsp((char)c) && i > 0) {
			seen_wsp = 1;
			continue;
		}
		if (c < 33 || c > 126 || seen_wsp) {
			*why_r = "bad byte in field name";
			return -1;
		}
	}
	vlen = len - namelen - 1;
	if (vlen > 0 && colon[vlen] == '\n') {
		vlen--;
		if (vlen > 0 && colon[vlen] == '\r')
			vlen--;
	}
	*namelen_r = namelen;
	*value_r = colon + 1;
	*valuelen_r = vlen;
	return 0;
}
