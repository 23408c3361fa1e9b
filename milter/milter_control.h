/*
 * milter_control.h -- the client's control headers (X-Postwarden-*) and
 * what is built from them: the Feedback-ID value and the event fields.
 *
 * An application that used an ESP's HTTP API sets a stream, tags,
 * metadata and a tracking opt-out with header fields; the milter reads
 * them, removes them (and any tracking or route header the client made
 * up), and records them in the event.  This module is pure: it knows no
 * libmilter, no Redis and no tenant; milter_msg.c feeds it every header
 * field of an owned message, milter_eom.c applies milter_control_errors
 * to the result.
 *
 * Ownership: a struct milter_control belongs to one message (one thread
 * at a time), made with milter_control_init() and emptied with
 * milter_control_free().  Limits come from the configuration snapshot.
 *
 * Security: every value is untrusted.  Everything kept is validated and
 * bounded (milter_max_tags, milter_max_metadata, max_total bytes); error
 * texts are printable ASCII without '%' (smfi_setreply would take it as
 * a format), at most MILTER_CONTROL_ERR_SIZE - 1 characters, and echo
 * client text only escaped and truncated.  Work per field is linear.
 */
#ifndef PW_MILTER_CONTROL_H
#define PW_MILTER_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "conf.h"

#define MILTER_CONTROL_PREFIX	"X-Postwarden-"
/*
 * The default names of milter_tracking_header and milter_route_header:
 * only the milter writes them, so a client's copy is removed, not refused,
 * even when the settings name other fields.
 */
#define MILTER_CONTROL_ID	"X-Postwarden-ID"
#define MILTER_CONTROL_ROUTE	"X-Postwarden-Route"
#define MILTER_CONTROL_STREAM_MAX	32	/* a-z 0-9 - _ */
#define MILTER_CONTROL_TAG_MAX	64	/* A-Z a-z 0-9 . - _ */
#define MILTER_CONTROL_KEY_MAX	40	/* A-Z a-z 0-9 - _ */
#define MILTER_CONTROL_VALUE_MAX	256	/* bytes, unfolded */
#define MILTER_CONTROL_TOTAL_MAX	4096	/* bytes of kept data */
#define MILTER_CONTROL_ERR_SIZE	201	/* error text + NUL */
#define MILTER_CONTROL_FEEDBACK_ID_MAX 200	/* Feedback-ID value */
/*
 * The most header fields of a message the milter removes: control,
 * tracking and route headers, and the client's Feedback-ID and
 * List-Unsubscribe-Post.  A message with more is refused (550 5.6.0)
 * before anything is deleted: Postfix's cleanup panics past 10,000 header
 * edits, and each deletion scans the header (postwarden-milter(8)).
 */
#define MILTER_CONTROL_REMOVE_MAX	100

/* What the settings allow; the strings belong to the snapshot. */
struct milter_control_limits {
	int		 max_tags;	/* milter_max_tags */
	int		 max_metadata;	/* milter_max_metadata */
	size_t		 max_total;	/* stream+tags+keys+values */
	const char	*tracking_header; /* milter_tracking_header */
	const char	*route_header;	/* milter_route_header */
};

struct milter_control_meta {
	char	*key;		/* as the client wrote it */
	char	*value;		/* unfolded, trimmed, UTF-8 */
};

/*
 * A header field to remove: smfi_chgheader(ctx, name, index, NULL), and
 * milter_dkim_header_remove().  Remove them from the last to the first,
 * so that no removal shifts the index of one still to come.
 */
struct milter_control_removal {
	const char	*name;	/* as first seen; owned by the control */
	int		 index;	/* 1-based among fields of that name */
};

struct milter_control_names;

struct milter_control {
	/* The stream, lower case; "" = none. */
	char		 stream[MILTER_CONTROL_STREAM_MAX + 1];
	char		**tags;		/* distinct, in order */
	size_t		 ntags;
	struct milter_control_meta *meta; /* keys distinct in any case */
	size_t		 nmeta;
	bool		 tracking;	/* false: opted out */
	int		 nfields;	/* X-Postwarden-* fields seen */
	int		 nerrors;	/* errors; err is the first */
	size_t		 total;		/* bytes of kept data */
	char		 err[MILTER_CONTROL_ERR_SIZE]; /* first error; "" */
	struct milter_control_removal *remove; /* in the order seen */
	size_t		 nremove;	/* at most MILTER_CONTROL_REMOVE_MAX */
	size_t		 nremove_all;	/* to remove, also past the cap */

	/* private */
	bool		 stream_seen;
	bool		 tracking_seen;
	size_t		 tags_size, meta_size, remove_size;
	struct milter_control_names *names; /* removal counts */
};

/* The limits of a configuration (pointers into conf). */
void	milter_control_limits_init(struct milter_control_limits *lim,
	    const struct pw_conf *conf);

/* An empty control: no stream, no tags, no metadata, tracking on. */
void	milter_control_init(struct milter_control *c);
/* Free what c holds and make it empty again (init state). */
void	milter_control_free(struct milter_control *c);

/*
 * Look at one header field (value as libmilter gives it: folded with
 * LF or CRLF plus white space, leading white space or not).  Returns
 *   0  not a control header: leave it;
 *   1  a valid control header, now in c: remove it;
 *   2  the tracking or route header, which only the milter may set:
 *      remove it, no error;
 *  -1  a malformed control header: err (and c->err, if it is the first
 *      error) says what is wrong, for a 550 5.6.0 reply; the field is
 *      ignored, and must be removed all the same.
 * For 1, 2 and -1 the field is appended to c->remove.  Names compare
 * case-insensitively.  Parsing goes on after an error; c->err keeps the
 * first.  err may be NULL (errsize 0).  Past MILTER_CONTROL_REMOVE_MAX
 * fields to remove, a field is only counted (1 or 2, not parsed): the
 * message is refused (milter_control_too_many).
 */
int	milter_control_header(struct milter_control *c,
	    const struct milter_control_limits *lim, const char *name,
	    const char *value, char *err, size_t errsize);

/*
 * Remove a header field that is not a control header (the client's
 * Feedback-ID, List-Unsubscribe-Post): appended to c->remove, as above.
 * Every field of that name must be removed, in the order seen.
 */
void	milter_control_remove_field(struct milter_control *c,
	    const char *name);

/*
 * Does c hold more fields to remove than MILTER_CONTROL_REMOVE_MAX?  Then
 * c->remove holds only the first ones; the message must be refused (err:
 * the text for 550 5.6.0).
 */
bool	milter_control_too_many(const struct milter_control *c, char *err,
	    size_t errsize);

/*
 * Is c's stream one of streams (the tenant's, "a, b c")?  0 when it is,
 * or when no stream was given; otherwise -1: the stream is dropped (the
 * caller uses the tenant's default), err says why and c->err keeps it if
 * it is the first error.  Names compare case-insensitively.
 */
int	milter_control_check_stream(struct milter_control *c,
	    const char *streams, char *err, size_t errsize);

/*
 * The Feedback-ID value "tags:stream:tenant:sender" (Gmail's feedback
 * loop), tags joined with "." as long as they fit whole in
 * MILTER_CONTROL_FEEDBACK_ID_MAX, leading empty fields left out, every
 * byte outside A-Z a-z 0-9 . - _ replaced by "-".  c may be NULL (no
 * tags), tenant and stream NULL or "".  0; -1 (out "") when sender is
 * empty (no Feedback-ID) or outsize is too small.
 */
int	milter_control_feedback_id(const struct milter_control *c,
	    const char *tenant, const char *stream, const char *sender,
	    char *out, size_t outsize);

/*
 * Append the tags as "a,b,c", or the metadata as a JSON object
 * ({"key":"value",...}; {} when none) to out.  0; -1 when out's cap
 * is reached, with out as it was.  The JSON is always valid: strings
 * are escaped by pw_json_escape() (lib/json.h), so bytes that are not
 * UTF-8 become \ufffd, controls (C0, DEL, C1) \u00XX.
 */
int	milter_control_tags_str(const struct milter_control *c,
	    struct pw_buf *out);
int	milter_control_metadata_json(const struct milter_control *c,
	    struct pw_buf *out);

#endif
