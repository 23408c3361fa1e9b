/*
 * dkim_signmsg.c -- test helper: sign a message with lib/dkim_sign.c and
 * print it with its DKIM-Signature fields on top, for the independent
 * verifiers in tests/dkim/verify.sh.
 *
 *   dkim_signmsg [-c hdr/body] [-x seconds] [-t time] [-s seed]
 *                [-o oversign,...] [-a also,...] -k domain:selector:alg:file
 *                [-k ...] [-r kekfile:tenant:domain:selector:record]
 *                [-D derfile] < message > signed
 *
 * -r opens a key the way postwarden-milter will, from its Redis record
 * (lib/dkim_store.c): record is what `redis-cli HGETALL` printed of
 * pw:{T}:dkim:<domain>:<selector> (field and value on alternate lines),
 * kekfile the dkim_kek_file.  -D writes that key's PKCS#8 DER to
 * derfile (0600), for tests that search a Redis dump for it.
 *
 * The message may use LF or CRLF line ends; it is signed and printed with
 * CRLF.  The body is fed in chunks of random sizes (seed -s), so each run
 * also exercises a different split.  Header fields are given to the
 * signer the way libmilter gives them: value after the colon with its
 * leading space, continuation lines joined with bare LF.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "buf.h"
#include "dkim_sign.h"
#include "dkim_store.h"
#include "xmalloc.h"

#define MAX_HDRS	1000

/*
 * Open "kekfile:tenant:domain:selector:record" (see -r above): the key,
 * or exit 1 after saying why.
 */
static struct pw_dkim_key *
open_record(char *spec)
{
	char *kekfile = strtok(spec, ":"), *tenant = strtok(NULL, ":"),
	    *domain = strtok(NULL, ":"), *selector = strtok(NULL, ":"),
	    *record = strtok(NULL, "");
	const char *values[PW_DKIM_NFIELDS] = { NULL };
	static char lines[2 * PW_DKIM_NFIELDS + 8][PW_SEAL_TEXT_MAX + 2];
	struct pw_dkim_key *key;
	struct pw_seal_kek kek;
	char err[PW_DKIM_ERR_MAX];
	size_t n = 0, i, f;
	FILE *fp;

	if (record == NULL || (fp = fopen(record, "r")) == NULL) {
		fprintf(stderr, "dkim_signmsg: -r: cannot read the record\n");
		exit(1);
	}
	while (n < sizeof(lines) / sizeof(lines[0]) &&
	    fgets(lines[n], sizeof(lines[n]), fp) != NULL) {
		lines[n][strcspn(lines[n], "\n")] = '\0';
		n++;
	}
	fclose(fp);
	for (i = 0; i + 1 < n; i += 2)
		for (f = 0; f < PW_DKIM_NFIELDS; f++)
			if (strcmp(lines[i], pw_dkim_store_fields[f]) == 0)
				values[f] = lines[i + 1];
	if (pw_seal_kek_load(kekfile, true, &kek, err, sizeof(err)) < 0 ||
	    pw_dkim_store_open(&kek, tenant, domain, selector, values, &key,
	    err, sizeof(err)) < 0) {
		fprintf(stderr, "dkim_signmsg: %s\n", err);
		exit(1);
	}
	pw_seal_kek_wipe(&kek);
	return key;
}

/* Write key's PKCS#8 DER to a new file path (0600); exit 1 on failure. */
static void
write_der(const char *path, const struct pw_dkim_key *key)
{
	PKCS8_PRIV_KEY_INFO *p8;
	unsigned char *der = NULL;
	int len = -1;
	FILE *fp;

	umask(077);
	if ((p8 = EVP_PKEY2PKCS8(key->pkey)) != NULL)
		len = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (len <= 0 || (fp = fopen(path, "w")) == NULL ||
	    fwrite(der, 1, (size_t)len, fp) != (size_t)len ||
	    fclose(fp) != 0) {
		fprintf(stderr, "dkim_signmsg: -D: cannot write %s\n", path);
		exit(1);
	}
	OPENSSL_clear_free(der, (size_t)len);
}

static void
usage(void)
{
	fprintf(stderr, "usage: dkim_signmsg [-c hdr/body] [-x s] [-t time] "
	    "[-s seed] [-o names] [-a names] -k dom:sel:alg:file ... "
	    "[-r kek:tenant:dom:sel:record] [-D derfile]\n");
	exit(64);
}

/* Split "a,b,c" into a NULL-less array; returns the count. */
static size_t
split_list(char *s, const char **out, size_t max)
{
	size_t n = 0;
	char *tok, *save;

	for (tok = strtok_r(s, ",", &save); tok != NULL && n < max;
	    tok = strtok_r(NULL, ",", &save))
		out[n++] = tok;
	return n;
}

int
main(int argc, char **argv)
{
	static struct pw_dkim_key keys[PW_DKIM_MAX_SIGS];
	static const char *sign_names[] = { "From", "To", "Cc", "Subject",
	    "Date", "Message-ID", "Reply-To", "In-Reply-To", "References",
	    "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
	    "List-Unsubscribe", "List-Unsubscribe-Post", "Feedback-ID" };
	const struct pw_dkim_key *kp[PW_DKIM_MAX_SIGS];
	const char *over[32], *also[32], *why, *derfile = NULL;
	struct pw_dkim_sign_opts o = { 0 };
	struct pw_dkim_header hdrs[MAX_HDRS];
	struct pw_buf in, msg, values[PW_DKIM_MAX_SIGS];
	struct pw_dkim_sign *s;
	struct pw_dkim_key *opened[PW_DKIM_MAX_SIGS];
	char err[PW_DKIM_ERR_MAX], chunk[65536];
	size_t nopened = 0, nkeys = 0, nover = 0, nalso = 0, nhdrs = 0, i, n, pos, end;
	long long now = (long long)time(NULL);
	unsigned seed = 1;
	int ch;

	o.hcanon = o.bcanon = PW_DKIM_CANON_RELAXED;
	o.sign = sign_names;
	o.nsign = sizeof(sign_names) / sizeof(sign_names[0]);
	while ((ch = getopt(argc, argv, "a:c:D:k:o:r:s:t:x:")) != -1) {
		switch (ch) {
		case 'D':
			derfile = optarg;
			break;
		case 'r':
			if (nkeys == PW_DKIM_MAX_SIGS)
				usage();
			kp[nkeys++] = opened[nopened++] =
			    open_record(optarg);
			break;
		case 'a':
			nalso = split_list(optarg, also, 32);
			break;
		case 'c':
			if (pw_dkim_canon_parse_pair(optarg, &o.hcanon,
			    &o.bcanon, &why) < 0)
				usage();
			break;
		case 'k': {
			char *dom = strtok(optarg, ":"), *sel = strtok(NULL,
			    ":"), *alg = strtok(NULL, ":"), *file = strtok(NULL,
			    "");
			struct pw_dkim_key *k = &keys[nkeys];

			if (file == NULL || nkeys == PW_DKIM_MAX_SIGS ||
			    pw_dkim_alg_parse(alg, &k->alg) < 0)
				usage();
			k->domain = dom;
			k->selector = sel;
			if (pw_dkim_key_load(file, k->alg, 0, &k->pkey,
			    &k->bits, err, sizeof(err)) < 0) {
				fprintf(stderr, "dkim_signmsg: %s\n", err);
				return 1;
			}
			kp[nkeys] = k;
			nkeys++;
			break;
		}
		case 'o':
			nover = split_list(optarg, over, 32);
			break;
		case 's':
			seed = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 't':
			now = strtoll(optarg, NULL, 10);
			break;
		case 'x':
			o.expire = strtoll(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (nkeys == 0)
		usage();
	if (derfile != NULL)
		write_der(derfile, kp[nkeys - 1]);
	o.oversign = over;
	o.noversign = nover;

	/* Read the message, turning LF into CRLF. */
	pw_buf_init(&in, 1 << 30);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		if (pw_buf_append(&in, chunk, n) < 0)
			return 1;
	pw_buf_init(&msg, 1 << 30);
	for (i = 0; i < in.len; i++) {
		if (in.data[i] == '\n' && (i == 0 || in.data[i - 1] != '\r'))
			(void)pw_buf_append(&msg, "\r", 1);
		(void)pw_buf_append(&msg, in.data + i, 1);
	}

	/*
	 * Header fields, milter style: the value is folded with bare LF, so
	 * keep a copy of each value with CR taken out of its line breaks.
	 */
	for (pos = 0; pos < msg.len; pos = end) {
		const char *line = msg.data + pos;
		char *v;
		size_t namelen, vlen, j, k;
		const char *value;

		if (msg.len - pos >= 2 && line[0] == '\r' && line[1] == '\n') {
			pos += 2;
			break;
		}
		end = pos;
		for (;;) {
			const char *nl = memchr(msg.data + end, '\n',
			    msg.len - end);

			end = nl != NULL ? (size_t)(nl - msg.data) + 1 :
			    msg.len;
			if (end >= msg.len || (msg.data[end] != ' ' &&
			    msg.data[end] != '\t'))
				break;
		}
		if (pw_dkim_canon_split(line, end - pos, &namelen, &value,
		    &vlen, &why) < 0 || nhdrs == MAX_HDRS) {
			fprintf(stderr, "dkim_signmsg: bad header: %s\n", why);
			return 1;
		}
		v = pw_xmalloc(vlen + 1);
		for (j = k = 0; j < vlen; j++)
			if (!(value[j] == '\r' && j + 1 < vlen &&
			    value[j + 1] == '\n'))
				v[k++] = value[j];
		hdrs[nhdrs].name = line;
		hdrs[nhdrs].namelen = namelen;
		hdrs[nhdrs].value = v;
		hdrs[nhdrs].valuelen = k;
		nhdrs++;
	}
	if (pos > msg.len)
		pos = msg.len;

	s = pw_dkim_sign_new(&o, kp, nkeys);
	srand(seed);
	for (i = pos; i < msg.len; i += n) {
		n = (size_t)rand() % 70000 + 1;
		if (rand() % 4 == 0)
			n = (size_t)rand() % 3 + 1;
		if (n > msg.len - i)
			n = msg.len - i;
		pw_dkim_sign_body(s, msg.data + i, n);
	}
	for (i = 0; i < nkeys; i++)
		pw_buf_init(&values[i], PW_DKIM_SIG_MAX);
	if (pw_dkim_sign_final(s, hdrs, nhdrs, also, nalso, now, values,
	    &why) < 0) {
		fprintf(stderr, "dkim_signmsg: %s\n", why);
		return 1;
	}
	/* The milter inserts at the top, in key order: the last on top. */
	for (i = nkeys; i > 0; i--) {
		const char *p;

		fputs("DKIM-Signature:", stdout);
		for (p = values[i - 1].data; *p != '\0'; p++) {
			if (*p == '\n')
				fputc('\r', stdout);
			fputc(*p, stdout);
		}
		fputs("\r\n", stdout);
	}
	fwrite(msg.data, 1, msg.len, stdout);
	pw_dkim_sign_free(&s);
	for (i = 0; i < nkeys; i++) {
		pw_buf_free(&values[i]);
		EVP_PKEY_free(keys[i].pkey);
	}
	for (i = 0; i < nopened; i++)
		pw_dkim_store_key_free(&opened[i]);
	for (i = 0; i < nhdrs; i++)
		free((void *)hdrs[i].value);
	pw_buf_free(&in);
	pw_buf_free(&msg);
	return 0;
}
