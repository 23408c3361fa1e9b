/*
 * auth_proto.h -- the Dovecot authentication protocol (client side of
 * Postfix's xsasl_dovecot_server.c), as postwarden-policyd's SASL service
 * speaks it: one client line parsed into a struct, the server's lines
 * formatted, base64 both ways.
 *
 * Client lines (tab separated, one per "\n"):
 *   VERSION <major> <minor>        must come first; major 1
 *   CPID <pid>                     the client's pid (ignored)
 *   AUTH <id> <mech> [params...]   service=, lip=, rip=, secured, resp=...
 *   CONT <id> <base64 data>        the answer to a CONT challenge
 * Server lines: the handshake (VERSION, MECH..., SPID, CUID, COOKIE,
 * DONE), then per request OK/FAIL/CONT "<id>" with arguments.
 *
 * Nothing here does I/O or keeps state between lines; the parser works
 * in place on a line the caller owns (tabs become NULs).
 *
 * Threads: any; no global state.
 * Security: input is untrusted: every field is bounded by the line
 * (AUTH_PROTO_LINE_MAX), ids are checked decimal numbers, base64 is
 * strict (alphabet, padding, length), decoded bytes are never logged.
 */
#ifndef AUTH_PROTO_H
#define AUTH_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Longest client line accepted, without its newline. */
#define AUTH_PROTO_LINE_MAX	4096
/* Most tab-separated fields on one line. */
#define AUTH_PROTO_FIELDS_MAX	32

enum auth_proto_cmd {
	AUTH_PROTO_VERSION,
	AUTH_PROTO_CPID,
	AUTH_PROTO_AUTH,
	AUTH_PROTO_CONT,
	AUTH_PROTO_UNKNOWN,	/* ignored, as Dovecot's server does */
};

/* One parsed client line; the strings point into the caller's line. */
struct auth_proto_req {
	enum auth_proto_cmd	 cmd;
	unsigned int		 major;		/* VERSION */
	unsigned int		 id;		/* AUTH, CONT: 1..UINT_MAX */
	const char		*mech;		/* AUTH */
	const char		*resp;		/* AUTH resp=, or NULL */
	const char		*data;		/* CONT: base64, maybe "" */
	const char		*service;	/* AUTH service=, or NULL */
	const char		*rip;		/* AUTH rip=, or NULL */
	const char		*lip;		/* AUTH lip=, or NULL */
	bool			 secured;	/* AUTH secured */
};

/*
 * Parse line (len bytes, NUL-terminated, no newline) in place into r.
 * 0, or -1 and a static reason (a NUL inside, a bad id, a missing field,
 * too many fields).
 */
int	auth_proto_parse(char *line, size_t len, struct auth_proto_req *r,
	    const char **why_r);

/*
 * Append the server handshake: VERSION 1 2, a MECH line per name in
 * mechs (NULL-terminated, each "plaintext"), SPID pid, CUID cuid,
 * COOKIE (32 hex digits), DONE.  0, or -1 when out lacks room.
 */
int	auth_proto_handshake(struct pw_buf *out, const char *const *mechs,
	    unsigned long pid, unsigned long cuid, const char *cookie);

/* Append "OK <id> user=<user>".  user must be a checked key id. */
int	auth_proto_ok(struct pw_buf *out, unsigned int id, const char *user);
/* Append "FAIL <id>" and, when user is not NULL, "user=<user>". */
int	auth_proto_fail(struct pw_buf *out, unsigned int id,
	    const char *user);
/* Append "CONT <id> <challenge>" (challenge base64, may be ""). */
int	auth_proto_cont(struct pw_buf *out, unsigned int id,
	    const char *challenge);

/*
 * Decode strict base64 (RFC 4648 alphabet, padded, length a multiple of
 * four; "=" alone is the empty string, as in SMTP) of inlen bytes into
 * out (outsize bytes, NUL-terminated after the data).  The decoded
 * length in *outlen_r; 0, or -1 and a static reason.
 */
int	auth_proto_b64_decode(const char *in, size_t inlen,
	    unsigned char *out, size_t outsize, size_t *outlen_r,
	    const char **why_r);

#endif
