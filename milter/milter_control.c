/*
 * milter_control.c -- the client's control headers, the Feedback-ID and
 * the event renderings of tags and metadata (see milter_control.h).
 *
 * Exports: milter_control_limits_init/_init/_free/_header/_check_stream/
 * _feedback_id/_tags_str/_metadata_json.
 *
 * Threads: none of our own; a struct milter_control has one owner.
 *
 * Memory: a field is unfolded into a heap copy as long as the field and
 * freed before returning; only validated data is kept, bounded by the
 * limits.  The removal list grows with the number of X-Postwarden-*
 * fields (the client sent them all, so it is linear in the message); the
 * index of each among fields of its name comes from a tree of names
 * (tsearch), so crafted names cannot make it quadratic.
 *
 * Failures: a malformed field is ignored whole (none of its tags, no
 * stream) and answered with a text for the SMTP reply; allocation
 * failure exits (pw_xmalloc).  Security: client text reaches an error
 * text only through milter_control_echo(): escaped, without '%', cut.
 */
#include "config.h"

#include <ctype.h>
#include <search.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "log.h"
#include "milter_control.h"
#include "xmalloc.h"

#define MILTER_CONTROL_STREAM	MILTER_CONTROL_PREFIX "Stream"
#define MILTER_CONTROL_TAGS	MILTER_CONTROL_PREFIX "Tags"
#define MILTER_CONTROL_TRACKING	MILTER_CONTROL_PREFIX "Tracking"
#define MILTER_CONTROL_META	MILTER_CONTROL_PREFIX "Metadata-"
#define MILTER_CONTROL_ECHO_MAX	40	/* client text echoed */
#define MILTER_CONTROL_FBL_MAX	64	/* stream, tenant, sender */

/* How often a field name was seen (case-insensitively). */
struct milter_control_name {
	char	*name;
	int	 count;
};

struct milter_control_names {
	void				 *root;	/* tsearch tree */
	struct milter_control_name	**v;	/* the same, to free */
	size_t				  n, size;
};

static bool
milter_control_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* --- errors ------------------------------------------------------------- */

/*
 * Client text for an error reply: printable ASCII but '\\', '"' and '%'
 * (smfi_setreply formats), those and the rest as \xNN; at most
 * MILTER_CONTROL_ECHO_MAX characters, then "..." if src was cut.  dst
 * has MILTER_CONTROL_ECHO_SIZE bytes.
 */
static const char *
milter_control_echo(char *dst, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)src[i];
		bool plain = ch >= 0x20 && ch < 0x7f && ch != '\\' &&
		    ch != '"' && ch != '%';

		if (o + (plain ? 1 : 4) > MILTER_CONTROL_ECHO_MAX)
			break;
		if (plain) {
			dst[o++] = (char)ch;
			continue;
		}
		dst[o++] = '\\';
		dst[o++] = 'x';
		dst[o++] = hex[ch >> 4];
		dst[o++] = hex[ch & 0xf];
	}
	if (i < len) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
	return dst;
}

/* An echo: MILTER_CONTROL_ECHO_MAX characters, "..." and the NUL. */
#define MILTER_CONTROL_ECHO_SIZE	(MILTER_CONTROL_ECHO_MAX + 4)

/*
 * An error: format the text (bounded, printable: every %s is an echo, a
 * validated name or a fixed string) into err and, if it is the first,
 * c->err.  Returns -1.
 */
static int
milter_control_fail(struct milter_control *c, char *err, size_t errsize,
    const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
milter_control_fail(struct milter_control *c, char *err, size_t errsize,
    const char *fmt, ...)
{
	char text[MILTER_CONTROL_ERR_SIZE];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (err != NULL && errsize > 0)
		(void)snprintf(err, errsize, "%s", text);
	if (c->err[0] == '\0')
		(void)snprintf(c->err, sizeof(c->err), "%s", text);
	c->nerrors++;
	return -1;
}

static const char *
milter_control_plural(size_t n, const char *one, const char *more)
{
	return n == 1 ? one : more;
}

/* --- names and removals ------------------------------------------------- */

static int
milter_control_name_cmp(const void *a, const void *b)
{
	return strcasecmp(((const struct milter_control_name *)a)->name,
	    ((const struct milter_control_name *)b)->name);
}

/* Count one more field called name; its entry (count: the index). */
static struct milter_control_name *
milter_control_name_count(struct milter_control *c, const char *name)
{
	struct milter_control_names *t;
	struct milter_control_name key, *e, **found;

	if (c->names == NULL)
		c->names = pw_xcalloc(1, sizeof(*c->names));
	t = c->names;
	key.name = (char *)name;
	found = tfind(&key, &t->root, milter_control_name_cmp);
	if (found != NULL) {
		(*found)->count++;
		return *found;
	}
	e = pw_xmalloc(sizeof(*e));
	e->name = pw_xstrdup(name);
	e->count = 1;
	if (t->n == t->size) {
		t->size = t->size == 0 ? 8 : t->size * 2;
		t->v = pw_xrealloc(t->v, t->size * sizeof(*t->v));
	}
	t->v[t->n++] = e;
	if (tsearch(e, &t->root, milter_control_name_cmp) == NULL)
		pw_log_fatal("milter: control headers: out of memory");
	return e;
}

static void
milter_control_names_free(struct milter_control_names **tp)
{
	struct milter_control_names *t = *tp;
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		(void)tdelete(t->v[i], &t->root, milter_control_name_cmp);
		free(t->v[i]->name);
		free(t->v[i]);
	}
	free(t->v);
	free(t);
	*tp = NULL;
}

/*
 * The field is to be removed: note its name and index.  Past the cap it
 * is only counted: the message will be refused, and a client must not
 * make us grow a list or a tree without bound.
 */
static void
milter_control_remove(struct milter_control *c, const char *name)
{
	struct milter_control_name *e;

	if (c->nremove_all++ >= MILTER_CONTROL_REMOVE_MAX)
		return;
	e = milter_control_name_count(c, name);
	if (c->nremove == c->remove_size) {
		c->remove_size = c->remove_size == 0 ? 8 : c->remove_size * 2;
		c->remove = pw_xrealloc(c->remove,
		    c->remove_size * sizeof(*c->remove));
	}
	c->remove[c->nremove].name = e->name;
	c->remove[c->nremove].index = e->count;
	c->nremove++;
}

void
milter_control_remove_field(struct milter_control *c, const char *name)
{
	milter_control_remove(c, name);
}

bool
milter_control_too_many(const struct milter_control *c, char *err,
    size_t errsize)
{
	if (c->nremove_all <= MILTER_CONTROL_REMOVE_MAX)
		return false;
	(void)snprintf(err, errsize, "%zu control, tracking and route header "
	    "fields; at most %d", c->nremove_all, MILTER_CONTROL_REMOVE_MAX);
	return true;
}

/* --- values ------------------------------------------------------------- */

/*
 * A heap copy of a field value, unfolded (CRLF or LF before white space
 * dropped) and without leading or trailing white space or line ends.
 */
static char *
milter_control_unfold(const char *value, size_t *len_r)
{
	size_t i, o = 0, start = 0, n = strlen(value);
	char *v = pw_xmalloc(n + 1);

	for (i = 0; i < n; i++) {
		if (value[i] == '\r' && value[i + 1] == '\n' &&
		    milter_control_wsp(value[i + 2])) {
			i++;
			continue;
		}
		if (value[i] == '\n' && milter_control_wsp(value[i + 1]))
			continue;
		v[o++] = value[i];
	}
	while (start < o && (milter_control_wsp(v[start]) ||
	    v[start] == '\r' || v[start] == '\n'))
		start++;
	while (o > start && (milter_control_wsp(v[o - 1]) ||
	    v[o - 1] == '\r' || v[o - 1] == '\n'))
		o--;
	memmove(v, v + start, o - start);
	*len_r = o - start;
	v[*len_r] = '\0';
	return v;
}

/* C0 (but tab), DEL and C1 controls. */
static bool
milter_control_is_ctl(unsigned cp)
{
	return (cp < 0x20 && cp != '\t') || (cp >= 0x7f && cp <= 0x9f);
}

/* A metadata value: UTF-8 without controls.  NULL, or what is wrong. */
static const char *
milter_control_value_why(const char *v, size_t len)
{
	size_t i = 0, n;
	unsigned cp;

	while (i < len) {
		if ((n = pw_json_utf8(v + i, len - i, &cp)) == 0)
			return "the value is not UTF-8";
		if (milter_control_is_ctl(cp))
			return "a control character in the value";
		i += n;
	}
	return NULL;
}

/* 1..max bytes, each alphanumeric or in extra. */
static bool
milter_control_word(const char *s, size_t len, size_t max, const char *extra)
{
	size_t i;

	if (len == 0 || len > max)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!(ch < 0x80 && isalnum(ch)) &&
		    (ch == '\0' || strchr(extra, ch) == NULL))
			return false;
	}
	return true;
}

/* Would add more bytes of kept data pass max_total? */
static bool
milter_control_over(const struct milter_control *c,
    const struct milter_control_limits *lim, size_t add)
{
	return add > lim->max_total || c->total > lim->max_total - add;
}

/* --- X-Postwarden-Stream ------------------------------------------------ */

static int
milter_control_stream(struct milter_control *c,
    const struct milter_control_limits *lim, const char *v, size_t len,
    char *err, size_t errsize)
{
	char echo[MILTER_CONTROL_ECHO_SIZE];
	size_t i;

	if (c->stream_seen)
		return milter_control_fail(c, err, errsize,
		    MILTER_CONTROL_STREAM ": given twice");
	c->stream_seen = true;
	if (len == 0)
		return milter_control_fail(c, err, errsize,
		    MILTER_CONTROL_STREAM ": empty");
	if (!milter_control_word(v, len, MILTER_CONTROL_STREAM_MAX, "-_"))
		return milter_control_fail(c, err, errsize,
		    MILTER_CONTROL_STREAM ": \"%s\": not a stream name "
		    "(1 to 32 of a-z, 0-9, \"-\", \"_\")",
		    milter_control_echo(echo, v, len));
	if (milter_control_over(c, lim, len))
		return milter_control_fail(c, err, errsize,
		    MILTER_CONTROL_STREAM ": control data over %zu bytes",
		    lim->max_total);
	for (i = 0; i < len; i++)
		c->stream[i] = (char)tolower((unsigned char)v[i]);
	c->stream[len] = '\0';
	c->total += len;
	return 0;
}

/* --- X-Postwarden-Tags -------------------------------------------------- */

static int
milter_control_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Distinct tags among c's and the n new ones (which may repeat). */
static size_t
milter_control_tags_distinct(const struct milter_control *c,
    char *const *tags, size_t n)
{
	char **all = pw_xcalloc(c->ntags + n, sizeof(*all));
	size_t i, count = 0;

	/* memcpy from NULL is undefined, even of 0 bytes. */
	if (c->ntags > 0)
		memcpy(all, c->tags, c->ntags * sizeof(*all));
	memcpy(all + c->ntags, tags, n * sizeof(*all));
	qsort(all, c->ntags + n, sizeof(*all), milter_control_strcmp);
	for (i = 0; i < c->ntags + n; i++)
		if (i == 0 || strcmp(all[i], all[i - 1]) != 0)
			count++;
	free(all);
	return count;
}

/* Is tag among the first n of v? */
static bool
milter_control_has_tag(char *const *v, size_t n, const char *tag)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], tag) == 0)
			return true;
	return false;
}

/*
 * Split v in place at commas into NUL-terminated elements without
 * surrounding white space (n: commas + 1); the number found.
 */
static size_t
milter_control_split(char *v, char **elem, size_t n)
{
	size_t count = 0;
	char *p = v, *comma, *end;

	for (;;) {
		while (milter_control_wsp(*p))
			p++;
		comma = strchr(p, ',');
		end = comma != NULL ? comma : p + strlen(p);
		while (end > p && milter_control_wsp(end[-1]))
			end--;
		*end = '\0';
		elem[count++] = p;
		if (comma == NULL || count == n)
			break;
		p = comma + 1;
	}
	return count;
}

/*
 * Add the distinct new tags among elem[0..n) to c, or none of them.
 * 0 or -1 (error set).
 */
static int
milter_control_tags_add(struct milter_control *c,
    const struct milter_control_limits *lim, char **elem, size_t n,
    char *err, size_t errsize)
{
	size_t i, nnew = 0, bytes = 0, max = (size_t)lim->max_tags, count;

	/* Collect the new ones at the front of elem, in order. */
	for (i = 0; i < n; i++) {
		if (milter_control_has_tag(c->tags, c->ntags, elem[i]) ||
		    milter_control_has_tag(elem, nnew, elem[i]))
			continue;
		if (c->ntags + nnew == max) {
			/* Overwritten elements are still there once. */
			count = milter_control_tags_distinct(c, elem, n);
			return milter_control_fail(c, err, errsize,
			    MILTER_CONTROL_TAGS ": %zu %s; at most %d "
			    "(milter_max_tags)", count,
			    milter_control_plural(count, "tag", "tags"),
			    lim->max_tags);
		}
		bytes += strlen(elem[i]);
		elem[nnew++] = elem[i];
	}
	if (milter_control_over(c, lim, bytes))
		return milter_control_fail(c, err, errsize,
		    MILTER_CONTROL_TAGS ": control data over %zu bytes",
		    lim->max_total);
	if (c->ntags + nnew > c->tags_size) {
		c->tags_size = c->ntags + nnew;
		c->tags = pw_xrealloc(c->tags, c->tags_size * sizeof(*c->tags));
	}
	for (i = 0; i < nnew; i++)
		c->tags[c->ntags++] = pw_xstrdup(elem[i]);
	c->total += bytes;
	return 0;
}

static int
milter_control_tags(struct milter_control *c,
    const struct milter_control_limits *lim, char *v, size_t len,
    char *err, size_t errsize)
{
	char echo[MILTER_CONTROL_ECHO_SIZE];
	char **elem;
	size_t i, n = 1;
	int ret;

	if (len == 0)
		return milter_control_fail(c, err, errsize,
		    MILTER_CONTROL_TAGS ": empty");
	for (i = 0; i < len; i++)
		if (v[i] == ',')
			n++;
	elem = pw_xcalloc(n, sizeof(*elem));
	n = milter_control_split(v, elem, n);
	ret = 0;
	for (i = 0; i < n && ret == 0; i++) {
		if (elem[i][0] == '\0')
			ret = milter_control_fail(c, err, errsize,
			    MILTER_CONTROL_TAGS ": an empty tag");
		else if (!milter_control_word(elem[i], strlen(elem[i]),
		    MILTER_CONTROL_TAG_MAX, "._-"))
			ret = milter_control_fail(c, err, errsize,
			    MILTER_CONTROL_TAGS ": \"%s\": not a tag (1 to 64 "
			    "of A-Z, a-z, 0-9, \".\", \"-\", \"_\")",
			    milter_control_echo(echo, elem[i],
			    strlen(elem[i])));
	}
	if (ret == 0)
		ret = milter_control_tags_add(c, lim, elem, n, err, errsize);
	free(elem);
	return ret;
}

/* --- X-Postwarden-Metadata-<key> ---------------------------------------- */

static int
milter_control_metadata(struct milter_control *c,
    const struct milter_control_limits *lim, const char *key, const char *v,
    size_t len, char *err, size_t errsize)
{
	char echo[MILTER_CONTROL_ECHO_SIZE];
	size_t i, klen = strlen(key), n;
	const char *why;

	milter_control_echo(echo, key, klen);
	if (!milter_control_word(key, klen, MILTER_CONTROL_KEY_MAX, "-_"))
		return milter_control_fail(c, err, errsize,
		    MILTER_CONTROL_META "%s: not a metadata key (1 to 40 of "
		    "A-Z, a-z, 0-9, \"-\", \"_\")", echo);
	for (i = 0; i < c->nmeta; i++)
		if (strcasecmp(c->meta[i].key, key) == 0)
			return milter_control_fail(c, err, errsize,
			    MILTER_CONTROL_META "%s: given twice", echo);
	if (len > MILTER_CONTROL_VALUE_MAX)
		return milter_control_fail(c, err, errsize,
		    MILTER_CONTROL_META "%s: a value of %zu bytes; at most %d",
		    echo, len, MILTER_CONTROL_VALUE_MAX);
	if ((why = milter_control_value_why(v, len)) != NULL)
		return milter_control_fail(c, err, errsize,
		    MILTER_CONTROL_META "%s: %s", echo, why);
	if (c->nmeta >= (size_t)lim->max_metadata) {
		n = c->nmeta + 1;
		return milter_control_fail(c, err, errsize,
		    MILTER_CONTROL_META "%s: %zu %s; at most %d "
		    "(milter_max_metadata)", echo, n,
		    milter_control_plural(n, "entry", "entries"),
		    lim->max_metadata);
	}
	if (milter_control_over(c, lim, klen + len))
		return milter_control_fail(c, err, errsize,
		    MILTER_CONTROL_META "%s: control data over %zu bytes",
		    echo, lim->max_total);
	if (c->nmeta == c->meta_size) {
		c->meta_size = c->meta_size == 0 ? 4 : c->meta_size * 2;
		c->meta = pw_xrealloc(c->meta, c->meta_size * sizeof(*c->meta));
	}
	c->meta[c->nmeta].key = pw_xstrdup(key);
	c->meta[c->nmeta].value = pw_xstrndup(v, len);
	c->nmeta++;
	c->total += klen + len;
	return 0;
}

/* --- X-Postwarden-Tracking ---------------------------------------------- */

static int
milter_control_tracking(struct milter_control *c, const char *v, size_t len,
    char *err, size_t errsize)
{
	char echo[MILTER_CONTROL_ECHO_SIZE];

	if (c->tracking_seen)
		return milter_control_fail(c, err, errsize,
		    MILTER_CONTROL_TRACKING ": given twice");
	c->tracking_seen = true;
	if (strcasecmp(v, "on") == 0 || strcasecmp(v, "yes") == 0)
		c->tracking = true;
	else if (strcasecmp(v, "off") == 0 || strcasecmp(v, "no") == 0)
		c->tracking = false;
	else
		return milter_control_fail(c, err, errsize,
		    MILTER_CONTROL_TRACKING ": \"%s\": expected on, off, yes "
		    "or no", milter_control_echo(echo, v, len));
	return 0;
}

/* --- fields ------------------------------------------------------------- */

/* Does name start with prefix, in any case? */
static bool
milter_control_prefix(const char *name, const char *prefix)
{
	return strncasecmp(name, prefix, strlen(prefix)) == 0;
}

/* One X-Postwarden-* field: 0 or -1 (error set). */
static int
milter_control_field(struct milter_control *c,
    const struct milter_control_limits *lim, const char *name,
    const char *value, char *err, size_t errsize)
{
	char echo[MILTER_CONTROL_ECHO_SIZE];
	size_t len;
	char *v;
	int ret;

	v = milter_control_unfold(value, &len);
	if (strcasecmp(name, MILTER_CONTROL_STREAM) == 0)
		ret = milter_control_stream(c, lim, v, len, err, errsize);
	else if (strcasecmp(name, MILTER_CONTROL_TAGS) == 0)
		ret = milter_control_tags(c, lim, v, len, err, errsize);
	else if (strcasecmp(name, MILTER_CONTROL_TRACKING) == 0)
		ret = milter_control_tracking(c, v, len, err, errsize);
	else if (milter_control_prefix(name, MILTER_CONTROL_META))
		ret = milter_control_metadata(c, lim,
		    name + strlen(MILTER_CONTROL_META), v, len, err, errsize);
	else
		ret = milter_control_fail(c, err, errsize,
		    "%s: unknown control header",
		    milter_control_echo(echo, name, strlen(name)));
	free(v);
	return ret;
}

int
milter_control_header(struct milter_control *c,
    const struct milter_control_limits *lim, const char *name,
    const char *value, char *err, size_t errsize)
{
	if (err != NULL && errsize > 0)
		err[0] = '\0';
	if (name == NULL)
		return 0;
	if ((lim->tracking_header != NULL && lim->tracking_header[0] != '\0' &&
	    strcasecmp(name, lim->tracking_header) == 0) ||
	    (lim->route_header != NULL && lim->route_header[0] != '\0' &&
	    strcasecmp(name, lim->route_header) == 0) ||
	    strcasecmp(name, MILTER_CONTROL_ID) == 0 ||
	    strcasecmp(name, MILTER_CONTROL_ROUTE) == 0) {
		milter_control_remove(c, name);
		return 2;
	}
	if (!milter_control_prefix(name, MILTER_CONTROL_PREFIX))
		return 0;
	milter_control_remove(c, name);
	c->nfields++;
	if (c->nremove_all > MILTER_CONTROL_REMOVE_MAX)
		return 1;	/* refused whole: not worth parsing */
	return milter_control_field(c, lim, name, value != NULL ? value : "",
	    err, errsize) < 0 ? -1 : 1;
}

/* --- streams ------------------------------------------------------------ */

struct milter_control_streams {
	const char	*stream;
	char		 list[96];	/* the tenant's, for the error */
	size_t		 len;
};

/* pw_conf_list_foreach: is this the stream?  Also list it for errors. */
static int
milter_control_stream_is(const char *item, size_t len, void *arg)
{
	struct milter_control_streams *s = arg;
	char echo[MILTER_CONTROL_ECHO_SIZE];
	int n;

	if (len == strlen(s->stream) && strncasecmp(item, s->stream, len) == 0)
		return 1;
	if (s->len < sizeof(s->list)) {
		n = snprintf(s->list + s->len, sizeof(s->list) - s->len, "%s%s",
		    s->len > 0 ? ", " : "",
		    milter_control_echo(echo, item, len));
		s->len += n > 0 ? (size_t)n : 0;
	}
	return 0;
}

int
milter_control_check_stream(struct milter_control *c, const char *streams,
    char *err, size_t errsize)
{
	struct milter_control_streams s;

	if (err != NULL && errsize > 0)
		err[0] = '\0';
	if (c->stream[0] == '\0')
		return 0;
	memset(&s, 0, sizeof(s));
	s.stream = c->stream;
	if (streams != NULL && pw_conf_list_foreach(streams,
	    milter_control_stream_is, &s) == 1)
		return 0;
	if (s.len >= sizeof(s.list))
		memcpy(s.list + sizeof(s.list) - 4, "...", 4);
	(void)milter_control_fail(c, err, errsize, MILTER_CONTROL_STREAM
	    ": unknown stream \"%s\" (the tenant's: %s)", c->stream,
	    s.len > 0 ? s.list : "none");
	c->total -= strlen(c->stream);
	c->stream[0] = '\0';
	return -1;
}

/* --- Feedback-ID -------------------------------------------------------- */

static bool
milter_control_fbl_char(unsigned char ch)
{
	return (ch < 0x80 && isalnum(ch)) || ch == '.' || ch == '-' ||
	    ch == '_';
}

/* Copy at most max bytes of src, others than A-Za-z0-9._- as "-". */
static size_t
milter_control_fbl_field(char *dst, size_t max, const char *src)
{
	size_t i;

	for (i = 0; src != NULL && src[i] != '\0' && i < max; i++)
		dst[i] = milter_control_fbl_char((unsigned char)src[i]) ?
		    src[i] : '-';
	dst[i] = '\0';
	return i;
}

/* The tags joined with ".", whole ones only, in at most room bytes. */
static void
milter_control_fbl_tags(const struct milter_control *c, char *dst,
    size_t room)
{
	size_t i, o = 0, len;

	dst[0] = '\0';
	for (i = 0; c != NULL && i < c->ntags; i++) {
		len = strlen(c->tags[i]);
		if (o + (o > 0) + len > room)
			break;
		if (o > 0)
			dst[o++] = '.';
		o += milter_control_fbl_field(dst + o, len, c->tags[i]);
	}
}

int
milter_control_feedback_id(const struct milter_control *c,
    const char *tenant, const char *stream, const char *sender, char *out,
    size_t outsize)
{
	char f[4][MILTER_CONTROL_FEEDBACK_ID_MAX + 1];
	size_t fixed, first, i, o = 0, len;

	if (outsize == 0)
		return -1;
	out[0] = '\0';
	if (sender == NULL || sender[0] == '\0')
		return -1;
	/* Three fields of 64 and three colons leave at least 5 for tags. */
	fixed = 3 +
	    milter_control_fbl_field(f[1], MILTER_CONTROL_FBL_MAX, stream) +
	    milter_control_fbl_field(f[2], MILTER_CONTROL_FBL_MAX, tenant) +
	    milter_control_fbl_field(f[3], MILTER_CONTROL_FBL_MAX, sender);
	milter_control_fbl_tags(c, f[0],
	    MILTER_CONTROL_FEEDBACK_ID_MAX - fixed);
	for (first = 0; first < 3 && f[first][0] == '\0'; first++)
		;
	for (i = first; i < 4; i++) {
		len = strlen(f[i]);
		if (o + (i > first) + len >= outsize) {
			out[0] = '\0';
			return -1;
		}
		if (i > first)
			out[o++] = ':';
		memcpy(out + o, f[i], len);
		o += len;
	}
	out[o] = '\0';
	return 0;
}

/* --- event renderings --------------------------------------------------- */

/* Give up an append: out back to len bytes. */
static int
milter_control_cut(struct pw_buf *out, size_t len)
{
	out->len = len;
	out->data[len] = '\0';
	return -1;
}

int
milter_control_tags_str(const struct milter_control *c, struct pw_buf *out)
{
	size_t start = out->len, i;

	for (i = 0; i < c->ntags; i++)
		if ((i > 0 && pw_buf_append(out, ",", 1) < 0) ||
		    pw_buf_puts(out, c->tags[i]) < 0)
			return milter_control_cut(out, start);
	return 0;
}

int
milter_control_metadata_json(const struct milter_control *c,
    struct pw_buf *out)
{
	size_t start = out->len, i;

	if (pw_buf_append(out, "{", 1) < 0)
		return -1;
	for (i = 0; i < c->nmeta; i++) {
		if ((i > 0 && pw_buf_append(out, ",", 1) < 0) ||
		    pw_json_escape(out, c->meta[i].key,
		    strlen(c->meta[i].key)) < 0 ||
		    pw_buf_append(out, ":", 1) < 0 ||
		    pw_json_escape(out, c->meta[i].value,
		    strlen(c->meta[i].value)) < 0)
			return milter_control_cut(out, start);
	}
	if (pw_buf_append(out, "}", 1) < 0)
		return milter_control_cut(out, start);
	return 0;
}

/* --- life --------------------------------------------------------------- */

void
milter_control_limits_init(struct milter_control_limits *lim,
    const struct pw_conf *conf)
{
	memset(lim, 0, sizeof(*lim));
	lim->max_tags = conf->milter_max_tags;
	lim->max_metadata = conf->milter_max_metadata;
	lim->max_total = MILTER_CONTROL_TOTAL_MAX;
	lim->tracking_header = conf->milter_tracking_header;
	lim->route_header = conf->milter_route_header;
}

void
milter_control_init(struct milter_control *c)
{
	memset(c, 0, sizeof(*c));
	c->tracking = true;
}

void
milter_control_free(struct milter_control *c)
{
	size_t i;

	for (i = 0; i < c->ntags; i++)
		free(c->tags[i]);
	free(c->tags);
	for (i = 0; i < c->nmeta; i++) {
		free(c->meta[i].key);
		free(c->meta[i].value);
	}
	free(c->meta);
	free(c->remove);
	milter_control_names_free(&c->names);
	milter_control_init(c);
}
