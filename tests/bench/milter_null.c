/*
 * milter_null.c -- a do-nothing libmilter filter, the baseline of the
 * milter benchmark ("the libmilter floor"): it asks for the same stages
 * as postwarden-milter when signing (MAIL, headers with their leading
 * space, the body, end of message; no HELO, RCPT, DATA or end of
 * headers), takes the headers and the whole body, and adds one header at
 * the end of the message, like a signer.  It answers nothing but the end
 * of message: it negotiates no reply (SMFIP_NR_*) for every stage the MTA
 * allows, connect, MAIL, headers and body chunks included, and returns
 * SMFIS_NOREPLY there (issue 17's floor).
 *
 *   milter_null unix:/path/to/socket
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <libmilter/mfapi.h>

/* The protocol flags negotiated (the same for every connection). */
static unsigned long nr;

static sfsistat
null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	*pf0 = f0 & SMFIF_ADDHDRS;
	*pf1 = f1 & (SMFIP_NOHELO | SMFIP_NORCPT | SMFIP_NOEOH |
	    SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_HDR_LEADSPC | SMFIP_NR_CONN |
	    SMFIP_NR_MAIL | SMFIP_NR_HDR | SMFIP_NR_BODY);
	__atomic_store_n(&nr, *pf1, __ATOMIC_RELAXED);
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

/* What a stage answers: nothing if its SMFIP_NR_* bit was negotiated. */
static sfsistat
null_reply(unsigned long bit)
{
	return (__atomic_load_n(&nr, __ATOMIC_RELAXED) & bit) ?
	    SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	return null_reply(SMFIP_NR_CONN);
}

static sfsistat
null_envfrom(SMFICTX *ctx, char **argv)
{
	return null_reply(SMFIP_NR_MAIL);
}

static sfsistat
null_header(SMFICTX *ctx, char *name, char *value)
{
	return null_reply(SMFIP_NR_HDR);
}

static sfsistat
null_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	return null_reply(SMFIP_NR_BODY);
}

static sfsistat
null_eom(SMFICTX *ctx)
{
	return smfi_insheader(ctx, 0, "X-Null", "one header, as a signer adds") ==
	    MI_SUCCESS ? SMFIS_CONTINUE : SMFIS_TEMPFAIL;
}

static struct smfiDesc null_desc = {
	.xxfi_name = "milter_null",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS,
	.xxfi_connect = null_connect,
	.xxfi_envfrom = null_envfrom,
	.xxfi_header = null_header,
	.xxfi_body = null_body,
	.xxfi_eom = null_eom,
	.xxfi_negotiate = null_negotiate,
};

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: milter_null unix:/path\n");
		return 64;
	}
	umask(0);
	if (smfi_register(null_desc) != MI_SUCCESS ||
	    smfi_setconn(argv[1]) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS)
		return 1;
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
