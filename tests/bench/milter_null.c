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
 * With -p HEADERS:BYTES it has postwarden-milter's packet profile
 * instead (the "profile floor"): it negotiates what postwarden-milter
 * negotiates when signing (RCPT too, with no reply; the same actions,
 * macros and step flags), reads the macros postwarden-milter reads, and
 * at end of message sends HEADERS headers whose packets hold BYTES bytes
 * in all (the first inserted at the top, like a signature, the others
 * added at the bottom): what libmilter alone costs for the packets
 * postwarden-milter gets and sends, without Redis, signing or any work
 * of its own.  milter_load prints mods_per_msg and mod_bytes_per_msg of
 * a signer, which give HEADERS and BYTES.
 *
 *   milter_null [-p HEADERS:BYTES] unix:/path/to/socket
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

/* The protocol flags negotiated (the same for every connection). */
static unsigned long nr;
/* -p: postwarden-milter's profile, and what is sent at end of message. */
static int profile;
static int eom_headers = 1;
static char *eom_value;		/* each header's value */

static sfsistat
null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	if (profile) {
		/* As milter/milter_cb.c: milter_cb_negotiate, signing. */
		*pf0 = f0 & (SMFIF_SETSYMLIST | SMFIF_ADDHDRS |
		    SMFIF_CHGHDRS | SMFIF_CHGFROM | SMFIF_DELRCPT);
		*pf1 = f1 & (SMFIP_NOHELO | SMFIP_NOEOH | SMFIP_NOUNKNOWN |
		    SMFIP_NODATA | SMFIP_HDR_LEADSPC | SMFIP_NR_CONN |
		    SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR |
		    SMFIP_SKIP | SMFIP_NR_BODY);
		if ((f0 & SMFIF_SETSYMLIST) &&
		    (smfi_setsymlist(ctx, SMFIM_ENVFROM,
		    "i {auth_authen} {mail_addr}") != MI_SUCCESS ||
		    smfi_setsymlist(ctx, SMFIM_ENVRCPT, "{rcpt_addr}") !=
		    MI_SUCCESS ||
		    smfi_setsymlist(ctx, SMFIM_EOM, "i") != MI_SUCCESS))
			return SMFIS_REJECT;
	} else {
		*pf0 = f0 & SMFIF_ADDHDRS;
		*pf1 = f1 & (SMFIP_NOHELO | SMFIP_NORCPT | SMFIP_NOEOH |
		    SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_HDR_LEADSPC |
		    SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_HDR |
		    SMFIP_NR_BODY);
	}
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

/* Macros are read where postwarden-milter reads them (-p). */
static volatile const char *sink;

static sfsistat
null_envfrom(SMFICTX *ctx, char **argv)
{
	if (profile) {
		sink = smfi_getsymval(ctx, "{auth_authen}");
		sink = smfi_getsymval(ctx, "{mail_addr}");
		sink = smfi_getsymval(ctx, "i");
	}
	return null_reply(SMFIP_NR_MAIL);
}

static sfsistat
null_envrcpt(SMFICTX *ctx, char **argv)
{
	sink = smfi_getsymval(ctx, "{rcpt_addr}");
	return null_reply(SMFIP_NR_RCPT);
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
	int i;

	if (profile)
		sink = smfi_getsymval(ctx, "i");
	if (smfi_insheader(ctx, 0, "X-Null", eom_value) != MI_SUCCESS)
		return SMFIS_TEMPFAIL;
	for (i = 1; i < eom_headers; i++)
		if (smfi_addheader(ctx, "X-Null", eom_value) != MI_SUCCESS)
			return SMFIS_TEMPFAIL;
	return SMFIS_CONTINUE;
}

static struct smfiDesc null_desc = {
	.xxfi_name = "milter_null",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGFROM |
	    SMFIF_DELRCPT,
	.xxfi_connect = null_connect,
	.xxfi_envfrom = null_envfrom,
	.xxfi_envrcpt = null_envrcpt,
	.xxfi_header = null_header,
	.xxfi_body = null_body,
	.xxfi_eom = null_eom,
	.xxfi_negotiate = null_negotiate,
};

int
main(int argc, char **argv)
{
	long bytes = 0;
	size_t vlen;
	int ch;

	eom_value = "one header, as a signer adds";
	while ((ch = getopt(argc, argv, "p:")) != -1) {
		if (ch != 'p' || sscanf(optarg, "%d:%ld", &eom_headers,
		    &bytes) != 2 || eom_headers < 1 || eom_headers > 100 ||
		    bytes < 0 || bytes > 100000)
			goto usage;
		profile = 1;
	}
	if (argc - optind != 1)
		goto usage;
	if (profile) {
		/* Each packet: name, NUL, value, NUL (+4: the index). */
		vlen = (size_t)(bytes / eom_headers);
		vlen = vlen > sizeof("X-Null") + 1 + 4 ?
		    vlen - sizeof("X-Null") - 1 - 4 : 1;
		if ((eom_value = malloc(vlen + 1)) == NULL)
			return 1;
		memset(eom_value, 'a', vlen);
		eom_value[vlen] = '\0';
	} else {
		null_desc.xxfi_envrcpt = NULL;
		null_desc.xxfi_flags = SMFIF_ADDHDRS;
	}
	argv += optind - 1;
	umask(0);
	if (smfi_register(null_desc) != MI_SUCCESS ||
	    smfi_setconn(argv[1]) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS)
		return 1;
	return smfi_main() == MI_SUCCESS ? 0 : 1;
usage:
	fprintf(stderr, "usage: milter_null [-p HEADERS:BYTES] unix:/path\n");
	return 64;
}
