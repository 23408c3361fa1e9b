/*
 * milter_null.c -- a do-nothing libmilter filter, the baseline of the
 * milter benchmark ("the libmilter floor"): it asks for the same stages
 * as postwarden-milter when signing (MAIL, headers without per-header
 * replies and with their leading space, the body, end of message; no HELO,
 * RCPT, DATA or end of headers), takes the headers and the whole body,
 * and adds one header at the end of the message, like a signer.
 *
 *   milter_null unix:/path/to/socket
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <libmilter/mfapi.h>

static sfsistat
null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	*pf0 = f0 & SMFIF_ADDHDRS;
	*pf1 = f1 & (SMFIP_NOHELO | SMFIP_NORCPT | SMFIP_NOEOH |
	    SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_HDR_LEADSPC | SMFIP_NR_HDR |
	    SMFIP_SKIP);
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat
null_envfrom(SMFICTX *ctx, char **argv)
{
	return SMFIS_CONTINUE;
}

/* SMFIP_NR_HDR was negotiated: a header gets no reply. */
static sfsistat
null_header(SMFICTX *ctx, char *name, char *value)
{
	return SMFIS_NOREPLY;
}

static sfsistat
null_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	return SMFIS_CONTINUE;
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
