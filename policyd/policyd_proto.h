/*
 * policyd_proto.h -- the Postfix policy delegation protocol, as bytes in
 * and plain structs out (Postfix SMTPD_POLICY_README).
 *
 * A request is a sequence of "name=value\n" lines ended by an empty line.
 * The parser is incremental: feed it whatever the socket delivered, split
 * anywhere, and it hands back one complete request at a time.  It knows
 * nothing about sockets or event loops, so tests and the fuzzer call it
 * directly.
 *
 * Rules (each violation is an error with a static reason; the caller
 * logs it and closes the connection without answering):
 *   - a line longer than max_line bytes (not counting "\n"),
 *   - a request longer than max_request bytes on the wire,
 *   - more than max_attrs attribute lines,
 *   - a NUL byte anywhere, a line without "=", an empty name,
 *   - a known attribute given twice (Postfix never does that),
 *   - a request without "request=smtpd_access_policy",
 *   - a numeric attribute (recipient_count, size) that is not empty or
 *     decimal digits, or is above its cap (POLICYD_PROTO_MAX_*).
 * A "\r" right before "\n" is dropped.  Unknown attribute names are
 * counted against max_attrs and otherwise ignored.  Values are kept as
 * sent: untrusted text, to be escaped before it is logged.
 *
 * Threads: a parser and its requests have one owner at a time.
 */
#ifndef POLICYD_PROTO_H
#define POLICYD_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* The attributes Postfix 3.7 sends; anything else is ignored. */
enum policyd_attr {
	POLICYD_ATTR_REQUEST = 0,
	POLICYD_ATTR_PROTOCOL_STATE,
	POLICYD_ATTR_PROTOCOL_NAME,
	POLICYD_ATTR_HELO_NAME,
	POLICYD_ATTR_QUEUE_ID,
	POLICYD_ATTR_SENDER,
	POLICYD_ATTR_RECIPIENT,
	POLICYD_ATTR_RECIPIENT_COUNT,
	POLICYD_ATTR_CLIENT_ADDRESS,
	POLICYD_ATTR_CLIENT_NAME,
	POLICYD_ATTR_REVERSE_CLIENT_NAME,
	POLICYD_ATTR_INSTANCE,
	POLICYD_ATTR_SASL_METHOD,
	POLICYD_ATTR_SASL_USERNAME,
	POLICYD_ATTR_SASL_SENDER,
	POLICYD_ATTR_SIZE,
	POLICYD_ATTR_CCERT_SUBJECT,
	POLICYD_ATTR_CCERT_ISSUER,
	POLICYD_ATTR_CCERT_FINGERPRINT,
	POLICYD_ATTR_CCERT_PUBKEY_FINGERPRINT,
	POLICYD_ATTR_ENCRYPTION_PROTOCOL,
	POLICYD_ATTR_ENCRYPTION_CIPHER,
	POLICYD_ATTR_ENCRYPTION_KEYSIZE,
	POLICYD_ATTR_ETRN_DOMAIN,
	POLICYD_ATTR_STRESS,
	POLICYD_ATTR_CLIENT_PORT,
	POLICYD_ATTR_POLICY_CONTEXT,
	POLICYD_ATTR_SERVER_ADDRESS,
	POLICYD_ATTR_SERVER_PORT,
	POLICYD_ATTR_COMPATIBILITY_LEVEL,
	POLICYD_ATTR_MAIL_VERSION,
	POLICYD_ATTR_COUNT
};

/*
 * Caps on numeric attributes.  Postfix bounds recipient_count by
 * smtpd_recipient_limit (default 1000) and size by message_size_limit
 * (default 10240000), so a real Postfix stays far below these; a value
 * above them is not from Postfix, and is malformed input.  Both keep
 * numbers exact in Redis Lua (doubles, printed with 17 digits).
 */
#define POLICYD_PROTO_MAX_RECIPIENT_COUNT	1000000ULL
#define POLICYD_PROTO_MAX_SIZE			1000000000000000ULL	/* 1 PB */

/* The only request type Postfix sends. */
#define POLICYD_PROTO_REQUEST_TYPE	"smtpd_access_policy"

struct policyd_proto_limits {
	size_t	max_line;	/* policyd_max_line_length */
	size_t	max_request;	/* policyd_max_request_size */
	size_t	max_attrs;	/* policyd_max_attributes */
};

/* One complete request.  Values point into store. */
struct policyd_request {
	const char	*attr[POLICYD_ATTR_COUNT];	/* NULL: absent */
	size_t		 nattrs;	/* attribute lines, known or not */
	size_t		 size;		/* bytes on the wire, all "\n" too */
	struct pw_buf	 store;		/* values, each NUL-ended */
	size_t		 off[POLICYD_ATTR_COUNT];	/* internal */
};

struct policyd_proto_parser {
	struct policyd_proto_limits	 lim;
	/* The line being read; after an error, what was read of the line
	 * it failed on (for the log; bytes not checked are not in it). */
	struct pw_buf			 line;
	struct policyd_request		*req;	/* being read */
	const char			*failed;	/* sticky */
};

/* Start a parser with the given bounds (each at least 1). */
void	policyd_proto_init(struct policyd_proto_parser *p,
	    const struct policyd_proto_limits *lim);
/* Free what the parser holds; it may be initialized again. */
void	policyd_proto_free(struct policyd_proto_parser *p);

/*
 * Consume bytes from data[0..len).  Returns 1 when a request ended:
 * *req_r is it (the caller owns it) and *used_r says how many bytes were
 * consumed, so the caller feeds the rest again.  Returns 0 when all len
 * bytes were consumed and more are needed.  Returns -1 with a static
 * reason in *why_r for malformed input; the parser then stays failed.
 */
int	policyd_proto_feed(struct policyd_proto_parser *p, const char *data,
	    size_t len, size_t *used_r, struct policyd_request **req_r,
	    const char **why_r);

/* True when the parser holds part of a request. */
bool	policyd_proto_busy(const struct policyd_proto_parser *p);

/* A request's attribute, or "" when it was not sent. */
const char *policyd_request_str(const struct policyd_request *req,
	    enum policyd_attr attr);
void	policyd_request_free(struct policyd_request **req);

/* The wire name of an attribute ("protocol_state"). */
const char *policyd_proto_attr_name(enum policyd_attr attr);
/* The attribute with that wire name, or -1. */
int	policyd_proto_attr_lookup(const char *name, size_t len);

#endif
