/*
 * fuzz_auth_proto.c -- libFuzzer harness for the SASL service's protocol
 * parser and mechanisms (auth/auth_proto.c, auth/auth_mech.c).
 *
 * The input is split into lines as auth_conn.c splits them (at "\n", at
 * most AUTH_PROTO_LINE_MAX each); each line is parsed, and AUTH and CONT
 * lines drive one PLAIN or LOGIN exchange as the connection would.
 * Checked: ids of AUTH/CONT are non-zero; strings handed out lie inside
 * the line; a finished exchange has a printable user name without
 * spaces and a password without NUL, within their bounds; a challenge
 * is one of the three the mechanisms send.  Base64 is also decoded
 * directly, and a decoded length is never more than 3/4 of the input.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth_mech.h"
#include "auth_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* s is NULL or points inside [line, line + len]. */
static void
fuzz_inside(const char *s, const char *line, size_t len)
{
	if (s != NULL && (s < line || s > line + len))
		abort();
}

static void
fuzz_check_done(const struct auth_mech *m)
{
	size_t i, ul = strlen(m->user), pl = strlen(m->pass);

	if (ul == 0 || ul > AUTH_MECH_USER_MAX || pl == 0 ||
	    pl > AUTH_MECH_PASS_MAX)
		abort();
	for (i = 0; i < ul; i++)
		if ((unsigned char)m->user[i] <= ' ' ||
		    (unsigned char)m->user[i] >= 0x7f)
			abort();
}

static void
fuzz_check_challenge(const char *c)
{
	if (strcmp(c, "") != 0 && strcmp(c, "VXNlcm5hbWU6") != 0 &&
	    strcmp(c, "UGFzc3dvcmQ6") != 0)
		abort();
}

static void
fuzz_result(enum auth_mech_result res, const struct auth_mech *m,
    const char *challenge, const char *why, int *open)
{
	switch (res) {
	case AUTH_MECH_DONE:
		fuzz_check_done(m);
		*open = 0;
		break;
	case AUTH_MECH_MORE:
		fuzz_check_challenge(challenge);
		*open = 1;
		break;
	case AUTH_MECH_FAIL:
		if (why == NULL)
			abort();
		*open = 0;
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[AUTH_PROTO_LINE_MAX + 1];
	unsigned char dec[AUTH_PROTO_LINE_MAX];
	struct auth_proto_req q;
	struct auth_mech m;
	enum auth_mech_kind kind;
	enum auth_mech_result res;
	const char *why, *challenge;
	size_t off = 0, len, declen;
	const uint8_t *nl;
	int open = 0;

	while (off < size) {
		nl = memchr(data + off, '\n', size - off);
		len = nl != NULL ? (size_t)(nl - (data + off)) : size - off;
		if (len > AUTH_PROTO_LINE_MAX)
			return 0;	/* the connection refuses it */
		memcpy(line, data + off, len);
		line[len] = '\0';
		off += len + 1;
		if (auth_proto_b64_decode(line, len, dec, sizeof(dec),
		    &declen, &why) == 0 && declen > len / 4 * 3)
			abort();
		memcpy(line, data + off - len - 1, len);
		line[len] = '\0';
		if (auth_proto_parse(line, len, &q, &why) < 0) {
			if (why == NULL)
				abort();
			continue;
		}
		fuzz_inside(q.mech, line, len);
		fuzz_inside(q.resp, line, len);
		fuzz_inside(q.data, line, len);
		fuzz_inside(q.rip, line, len);
		challenge = NULL;
		why = NULL;
		if (q.cmd == AUTH_PROTO_AUTH) {
			if (q.id == 0)
				abort();
			if (auth_mech_lookup(q.mech, &kind) < 0)
				continue;
			res = auth_mech_start(&m, kind, q.resp, &challenge,
			    &why);
			fuzz_result(res, &m, challenge, why, &open);
		} else if (q.cmd == AUTH_PROTO_CONT && open) {
			if (q.id == 0)
				abort();
			res = auth_mech_step(&m, q.data, &challenge, &why);
			fuzz_result(res, &m, challenge, why, &open);
		}
	}
	return 0;
}
