/*
 * milter_null.c -- a do-nothing libmilter filter, the baseline of the
 * milter benchmark: it takes headers and the whole body, like a signer,
 * and answers "continue" to everything.
 *
 *   milter_null unix:/path/to/socket
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <libmilter/mfapi.h>

static sfsistat
null_header(SMFICTX *ctx, char *name, char *value)
{
	return SMFIS_CONTINUE;
}

static sfsistat
null_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	return SMFIS_CONTINUE;
}

static sfsistat
null_eom(SMFICTX *ctx)
{
	return SMFIS_CONTINUE;
}

static struct smfiDesc null_desc = {
	.xxfi_name = "milter_null",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS,
	.xxfi_header = null_header,
	.xxfi_body = null_body,
	.xxfi_eom = null_eom,
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
