/*
 * auth_proto.c -- parse one line of the Dovecot authentication protocol
 * from Postfix, format the server's lines, strict base64 (see
 * auth_proto.h).
 *
 * Exports: auth_proto_parse, auth_proto_handshake, auth_proto_ok,
 * auth_proto_fail, auth_proto_cont, auth_proto_b64_decode.
 *
 * Threads: any (no state).  Ownership: the caller's line and buffers.
 *
 * Failures: a malformed line is -1 and a static reason for the caller to
 * log (with the peer); parsing never reads past len.  Unknown parameters
 * of AUTH are ignored, as Dovecot does, so a newer Postfix still works.
 *
 * Security: the strings handed out may hold anything but NUL and tab;
 * the caller escapes what it logs.  resp= and CONT data carry secrets:
 * nothing here logs, and the caller wipes the line when done.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth_proto.h"

/* Split line in place on tabs into fields; the count, or -1. */
static int
auth_proto_split(char *line, char **fields)
{
	int n = 0;
	char *p = line, *tab;

	for (;;) {
		if (n == AUTH_PROTO_FIELDS_MAX)
			return -1;
		fields[n++] = p;
		if ((tab = strchr(p, '\t')) == NULL)
			return n;
		*tab = '\0';
		p = tab + 1;
	}
}

/* A request id: decimal digits, 1..UINT_MAX, no sign, no spaces. */
static int
auth_proto_number(const char *s, unsigned int *v_r)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9' || strlen(s) > 10)
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > UINT_MAX)
		return -1;
	*v_r = (unsigned int)v;
	return 0;
}

/* The parameters of AUTH after the mechanism. */
static void
auth_proto_params(char **f, int n, struct auth_proto_req *r)
{
	int i;

	for (i = 0; i < n; i++) {
		if (strncmp(f[i], "resp=", 5) == 0)
			r->resp = f[i] + 5;
		else if (strncmp(f[i], "rip=", 4) == 0)
			r->rip = f[i] + 4;
		else if (strncmp(f[i], "lip=", 4) == 0)
			r->lip = f[i] + 4;
		else if (strncmp(f[i], "service=", 8) == 0)
			r->service = f[i] + 8;
		else if (strcmp(f[i], "secured") == 0)
			r->secured = true;
		/* nologin, valid-client-cert, lport=, ...: not needed */
	}
}

int
auth_proto_parse(char *line, size_t len, struct auth_proto_req *r,
    const char **why_r)
{
	char *f[AUTH_PROTO_FIELDS_MAX];
	int n;

	memset(r, 0, sizeof(*r));
	if (strlen(line) != len) {
		*why_r = "NUL byte in line";
		return -1;
	}
	if (len > AUTH_PROTO_LINE_MAX) {
		*why_r = "line too long";
		return -1;
	}
	if ((n = auth_proto_split(line, f)) < 0) {
		*why_r = "too many fields";
		return -1;
	}
	if (strcmp(f[0], "VERSION") == 0) {
		r->cmd = AUTH_PROTO_VERSION;
		if (n < 3 || auth_proto_number(f[1], &r->major) < 0) {
			*why_r = "malformed VERSION";
			return -1;
		}
		return 0;
	}
	if (strcmp(f[0], "CPID") == 0) {
		r->cmd = AUTH_PROTO_CPID;
		return 0;
	}
	if (strcmp(f[0], "AUTH") == 0) {
		r->cmd = AUTH_PROTO_AUTH;
		if (n < 3 || auth_proto_number(f[1], &r->id) < 0 ||
		    r->id == 0 || *f[2] == '\0') {
			*why_r = "malformed AUTH";
			return -1;
		}
		r->mech = f[2];
		auth_proto_params(f + 3, n - 3, r);
		return 0;
	}
	if (strcmp(f[0], "CONT") == 0) {
		r->cmd = AUTH_PROTO_CONT;
		if (n != 3 || auth_proto_number(f[1], &r->id) < 0 ||
		    r->id == 0) {
			*why_r = "malformed CONT";
			return -1;
		}
		r->data = f[2];
		return 0;
	}
	r->cmd = AUTH_PROTO_UNKNOWN;
	return 0;
}

int
auth_proto_handshake(struct pw_buf *out, const char *const *mechs,
    unsigned long pid, unsigned long cuid, const char *cookie)
{
	size_t i;

	if (pw_buf_puts(out, "VERSION\t1\t2\n") < 0)
		return -1;
	for (i = 0; mechs[i] != NULL; i++)
		if (pw_buf_printf(out, "MECH\t%s\tplaintext\n", mechs[i]) < 0)
			return -1;
	return pw_buf_printf(out, "SPID\t%lu\nCUID\t%lu\nCOOKIE\t%s\nDONE\n",
	    pid, cuid, cookie);
}

int
auth_proto_ok(struct pw_buf *out, unsigned int id, const char *user)
{
	return pw_buf_printf(out, "OK\t%u\tuser=%s\n", id, user);
}

int
auth_proto_fail(struct pw_buf *out, unsigned int id, const char *user)
{
	if (user != NULL)
		return pw_buf_printf(out, "FAIL\t%u\tuser=%s\n", id, user);
	return pw_buf_printf(out, "FAIL\t%u\n", id);
}

int
auth_proto_cont(struct pw_buf *out, unsigned int id, const char *challenge)
{
	return pw_buf_printf(out, "CONT\t%u\t%s\n", id, challenge);
}

/* Whether c is in the base64 alphabet (not the pad). */
static int
auth_proto_b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int
auth_proto_b64_decode(const char *in, size_t inlen, unsigned char *out,
    size_t outsize, size_t *outlen_r, const char **why_r)
{
	size_t i, pad = 0, need;
	int n;

	if (inlen == 1 && in[0] == '=') {	/* SMTP's empty response */
		if (outsize < 1) {
			*why_r = "base64 data too long";
			return -1;
		}
		out[0] = '\0';
		*outlen_r = 0;
		return 0;
	}
	if (inlen % 4 != 0) {
		*why_r = "base64 length not a multiple of 4";
		return -1;
	}
	if (inlen > 0 && in[inlen - 1] == '=')
		pad = inlen > 1 && in[inlen - 2] == '=' ? 2 : 1;
	for (i = 0; i < inlen - pad; i++)
		if (!auth_proto_b64_char((unsigned char)in[i])) {
			*why_r = "invalid base64 character";
			return -1;
		}
	need = inlen / 4 * 3;
	if (need + 1 > outsize || inlen > INT_MAX) {
		*why_r = "base64 data too long";
		return -1;
	}
	if (inlen == 0) {
		out[0] = '\0';
		*outlen_r = 0;
		return 0;
	}
	n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)inlen);
	if (n < 0 || (size_t)n != need) {
		*why_r = "invalid base64";
		return -1;
	}
	*outlen_r = need - pad;
	out[*outlen_r] = '\0';
	return 0;
}
