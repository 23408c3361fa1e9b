/*
 * smtp_lines.h -- the lines Postfix's SMTP client will send: a line longer
 * than smtp_line_length_limit (998 by default) is broken by inserting
 * CRLF and a space (postconf(5)), after the signer has seen it.  A
 * signature over the unbroken line then fails at the receiver (relaxed
 * canonicalization keeps the inserted space), so the signer hashes the
 * lines as they will be sent.
 *
 * The rule, as in Postfix's smtp_text_out(): an output line holds at most
 * limit bytes, not counting its CRLF; when it is full and the same input
 * line has another byte, CRLF SP is sent first, and the SP counts.  A
 * line of exactly limit bytes is left alone.  Dot-stuffing adds nothing
 * the receiver keeps.
 *
 * One exception comes from the queue file: smtpd stores a body line in
 * records of at most line_length_limit (2048) bytes, each but the last a
 * REC_TYPE_CONT, and smtp_text_out() sends the SP after a break also
 * when a CONT record ends exactly there.  A line that ends exactly at a
 * record boundary is followed by an empty last record, so when that
 * boundary is also where the output line is full, the line is followed
 * by one more line holding one space ("...CRLF SP CRLF").  smtpd counts
 * the record on the wire, before it removes a dot-stuffing dot: a line
 * that starts with "." has one byte less in its first record (SMTP DATA,
 * the way submission clients send; BDAT and sendmail(1) do not stuff, so
 * for them such a line is predicted one byte off).  Header lines never
 * end with an empty record (cleanup splits only what exceeds a record).
 *
 * The body is a stream (pw_smtp_lines_update, split anywhere, CRLF ends a
 * line, a bare CR or LF is data, as Postfix gives milters the body); a
 * header field is done whole (pw_smtp_lines_header).
 *
 * Threads: a stream has one owner; the header function is pure.
 */
#ifndef PW_SMTP_LINES_H
#define PW_SMTP_LINES_H

#include <stddef.h>

#include "buf.h"

/* Receives the bytes as sent, in order. */
typedef void pw_smtp_lines_out(void *arg, const unsigned char *data,
    size_t len);

/*
 * A limit of 0 breaks nothing; so does 1, since no continuation line
 * could hold a byte after its space (Postfix would loop).
 */
struct pw_smtp_lines {
	size_t	 limit;		/* 0: lines are never broken */
	size_t	 record;	/* 0: no queue records */
	size_t	 col;		/* bytes on the current output line */
	size_t	 rcol;		/* input line's wire bytes, mod record */
	int	 nonempty;	/* the input line has a byte */
	int	 cr;		/* a CR held: line end, or data */
};

/* limit: smtp_line_length_limit; record: line_length_limit (or 0). */
void	pw_smtp_lines_init(struct pw_smtp_lines *s, size_t limit,
	    size_t record);
/* The next chunk of the body, to out(arg, ...), breaks included. */
void	pw_smtp_lines_update(struct pw_smtp_lines *s,
	    const unsigned char *data, size_t len, pw_smtp_lines_out *out,
	    void *arg);
/* The body has ended: a CR still held is data. */
void	pw_smtp_lines_final(struct pw_smtp_lines *s, pw_smtp_lines_out *out,
	    void *arg);

/*
 * A header field "name:value" (value as after the colon, folded with LF
 * or CRLF, libmilter's form) as it will be sent: its value, with "\n "
 * inserted where Postfix breaks a line, appended to out.  0, or -1 when
 * out's cap is reached.
 */
int	pw_smtp_lines_header(size_t limit, size_t namelen, const char *value,
	    size_t valuelen, struct pw_buf *out);

#endif
