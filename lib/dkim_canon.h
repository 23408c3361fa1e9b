/*
 * dkim_canon.h -- DKIM canonicalization (RFC 6376 section 3.4): header
 * fields one at a time, the body as a stream.
 *
 * The body canonicalizer takes the body in chunks of any size, split
 * anywhere (between CR and LF, inside a run of white space, inside a run
 * of empty lines), and feeds the canonical bytes to a callback in order;
 * it holds back only counts (empty lines, pending white space, a CR), so
 * memory does not grow with the body.  CRLF ends a line; a bare CR or LF
 * is an ordinary byte, as in the verifiers (Postfix gives milters CRLF).
 *
 * Header fields come as name and value, the value being everything after
 * the colon (with its leading white space when the MTA gives it, milter
 * SMFIP_HDR_LEADSPC) and folded with CRLF or bare LF (libmilter's form).
 *
 * Threads: a body canonicalizer has one owner; the header functions are
 * pure.  No allocation in the body path.
 */
#ifndef PW_DKIM_CANON_H
#define PW_DKIM_CANON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum pw_dkim_canon {
	PW_DKIM_CANON_SIMPLE = 0,
	PW_DKIM_CANON_RELAXED,
};

/* Receives canonical bytes; the body canonicalizer's only output. */
typedef void pw_dkim_canon_out(void *arg, const unsigned char *data,
    size_t len);

#define PW_DKIM_CANON_OUTBUF	4096

struct pw_dkim_canon_body {
	enum pw_dkim_canon	 canon;
	pw_dkim_canon_out	*out;
	void			*out_arg;
	uint64_t		 crlf_pending;	/* line ends held back */
	uint64_t		 len;		/* bytes written */
	int			 cr;		/* last byte was a CR */
	int			 wsp;		/* relaxed: SP held */
	int			 line_data;	/* data on this line */
	int			 any_data;	/* data in the body */
	size_t			 buflen;
	unsigned char		 buf[PW_DKIM_CANON_OUTBUF];
};

/* Parse "simple" or "relaxed"; 0, or -1 for anything else. */
int	pw_dkim_canon_parse(const char *s, size_t len,
	    enum pw_dkim_canon *canon_r);
/* "simple" or "relaxed". */
const char *pw_dkim_canon_name(enum pw_dkim_canon canon);
/*
 * Parse "header/body" or "header" alone (body is then simple, as in
 * RFC 6376 c=).  0, or -1 with a static reason.
 */
int	pw_dkim_canon_parse_pair(const char *s, enum pw_dkim_canon *hdr_r,
	    enum pw_dkim_canon *body_r, const char **why_r);

/* Start a body; out(out_arg, ...) receives the canonical bytes. */
void	pw_dkim_canon_body_init(struct pw_dkim_canon_body *cb,
	    enum pw_dkim_canon canon, pw_dkim_canon_out *out, void *out_arg);
/* Feed the next chunk of the body (any length, split anywhere). */
void	pw_dkim_canon_body_update(struct pw_dkim_canon_body *cb,
	    const unsigned char *data, size_t len);
/* The body has ended: write what the rules add at the end, flush. */
void	pw_dkim_canon_body_final(struct pw_dkim_canon_body *cb);

/*
 * Append the canonical form of one header field to out: with a final
 * CRLF when crlf is non-zero (the DKIM-Signature field itself is hashed
 * without).  0, or -1 when out's cap is reached.
 */
int	pw_dkim_canon_header(enum pw_dkim_canon canon, const char *name,
	    size_t namelen, const char *value, size_t valuelen, int crlf,
	    struct pw_buf *out);

/*
 * Split one raw header field ("Name: value", folded with CRLF or LF,
 * ending line break optional) into name and value (value starts right
 * after the colon).  0, or -1 with a static reason when it is not a
 * header field (no colon, empty name, bytes not allowed in a name).
 */
int	pw_dkim_canon_split(const char *field, size_t len, size_t *namelen_r,
	    const char **value_r, size_t *valuelen_r, const char **why_r);

#endif
