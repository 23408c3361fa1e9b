/*
 * dkim_sign.c -- DKIM signatures of one message (see dkim_sign.h).
 *
 * Exports: pw_dkim_sign_new/_body/_final/_free/_body_length.
 *
 * The body goes through one streaming canonicalizer (all signatures of a
 * message share c=) straight into one SHA-256 context: constant memory.
 * At the end the header fields are selected as RFC 6376 5.4.2 says (for
 * each name in h=, the last instance not yet used, bottom up; a name with
 * no instance left is signed as absent, which is how oversigning locks a
 * field out), canonicalized once into one buffer, and each key appends
 * its own DKIM-Signature field (b= empty, no final CRLF) and signs:
 * rsa-sha256 with EVP_DigestSign(SHA-256) over the data, ed25519-sha256
 * with EVP_DigestSign over the SHA-256 of the data (RFC 8463 3).
 *
 * The DKIM-Signature field is folded before it is hashed, so the hashed
 * bytes are exactly the emitted ones; b= comes last, so its value can be
 * appended (folded too) after signing without touching what was hashed.
 *
 * Threads: the SHA-256 implementation is fetched once (pthread_once) and
 * shared read-only; nothing else is shared.  Failures: OpenSSL errors
 * are reported as static reasons; the error queue is cleared, as its text
 * could say nothing useful about a message.  Security: private keys are
 * only passed to OpenSSL; nothing here logs.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "dkim_sign.h"
#include "smtp_lines.h"
#include "xmalloc.h"

#define PW_DKIM_FOLD_COL	78	/* fold lines before this column */
#define PW_DKIM_TAB_COL		8	/* column after "\n\t" */
#define PW_DKIM_NAME_COL	15	/* strlen("DKIM-Signature:") */

struct pw_dkim_sign {
	const struct pw_dkim_sign_opts	*opts;
	const struct pw_dkim_key	*keys[PW_DKIM_MAX_SIGS];
	size_t				 nkeys;
	EVP_MD_CTX			*md;
	int				 md_failed;
	int				 finished;
	struct pw_smtp_lines		 lines;	/* before cb */
	struct pw_dkim_canon_body	 cb;
};

static pthread_once_t pw_dkim_once = PTHREAD_ONCE_INIT;
static EVP_MD *pw_dkim_sha256;

static void
pw_dkim_fetch(void)
{
	pw_dkim_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *
pw_dkim_md(void)
{
	pthread_once(&pw_dkim_once, pw_dkim_fetch);
	return pw_dkim_sha256;
}

static void
pw_dkim_body_out(void *arg, const unsigned char *data, size_t len)
{
	struct pw_dkim_sign *s = arg;

	if (!s->md_failed && EVP_DigestUpdate(s->md, data, len) != 1)
		s->md_failed = 1;
}

struct pw_dkim_sign *
pw_dkim_sign_new(const struct pw_dkim_sign_opts *opts,
    const struct pw_dkim_key *const *keys, size_t nkeys)
{
	struct pw_dkim_sign *s = pw_xcalloc(1, sizeof(*s));
	size_t i;

	s->opts = opts;
	for (i = 0; i < nkeys && i < PW_DKIM_MAX_SIGS; i++)
		s->keys[i] = keys[i];
	s->nkeys = i;
	if ((s->md = EVP_MD_CTX_new()) == NULL ||
	    pw_dkim_md() == NULL ||
	    EVP_DigestInit_ex(s->md, pw_dkim_md(), NULL) != 1)
		s->md_failed = 1;
	pw_smtp_lines_init(&s->lines, opts->line_limit, opts->record_limit);
	pw_dkim_canon_body_init(&s->cb, opts->bcanon, pw_dkim_body_out, s);
	return s;
}

void
pw_dkim_sign_free(struct pw_dkim_sign **sp)
{
	struct pw_dkim_sign *s = *sp;

	if (s == NULL)
		return;
	*sp = NULL;
	EVP_MD_CTX_free(s->md);
	free(s);
}

/* The body as sent (lines broken) goes to the canonicalizer. */
static void
pw_dkim_body_sent(void *arg, const unsigned char *data, size_t len)
{
	struct pw_dkim_sign *s = arg;

	pw_dkim_canon_body_update(&s->cb, data, len);
}

void
pw_dkim_sign_body(struct pw_dkim_sign *s, const void *data, size_t len)
{
	if (!s->finished)
		pw_smtp_lines_update(&s->lines, data, len, pw_dkim_body_sent,
		    s);
}

uint64_t
pw_dkim_sign_body_length(const struct pw_dkim_sign *s)
{
	return s->cb.len;
}

/* --- header selection --------------------------------------------------- */

/* Does header h have name (case-insensitive, h's trailing white space off)? */
static int
pw_dkim_name_is(const struct pw_dkim_header *h, const char *name,
    size_t len)
{
	size_t n = h->namelen;

	while (n > 0 && (h->name[n - 1] == ' ' || h->name[n - 1] == '\t'))
		n--;
	return n == len && strncasecmp(h->name, name, len) == 0;
}

static size_t
pw_dkim_count(const struct pw_dkim_header *hdrs, size_t nhdrs,
    const char *name)
{
	size_t i, n = 0, len = strlen(name);

	for (i = 0; i < nhdrs; i++)
		n += pw_dkim_name_is(&hdrs[i], name, len);
	return n;
}

struct pw_dkim_hlist {
	const char	**names;
	size_t		  n, size;
};

static void
pw_dkim_hlist_add(struct pw_dkim_hlist *hl, const char *name)
{
	if (hl->n == hl->size) {
		hl->size = hl->size ? hl->size * 2 : 32;
		hl->names = pw_xrealloc(hl->names,
		    hl->size * sizeof(*hl->names));
	}
	hl->names[hl->n++] = name;
}

/* Add every instance of name, unless an earlier name was the same. */
static void
pw_dkim_hlist_sign(struct pw_dkim_hlist *hl, const char *name,
    const struct pw_dkim_header *hdrs, size_t nhdrs)
{
	size_t i, n;

	for (i = 0; i < hl->n; i++)
		if (strcasecmp(hl->names[i], name) == 0)
			return;
	for (n = pw_dkim_count(hdrs, nhdrs, name); n > 0; n--)
		pw_dkim_hlist_add(hl, name);
}

/*
 * Canonicalize one field as it will be sent: a field longer than the line
 * limit may have a line that Postfix breaks.  0, or -1 at out's cap.
 */
static int
pw_dkim_header_sent(const struct pw_dkim_sign_opts *o,
    const struct pw_dkim_header *h, struct pw_buf *out)
{
	struct pw_buf sent;
	int ret;

	if (o->line_limit == 0 || h->namelen + 1 + h->valuelen <= o->line_limit)
		return pw_dkim_canon_header(o->hcanon, h->name, h->namelen,
		    h->value, h->valuelen, 1, out);
	pw_buf_init(&sent, PW_DKIM_HEADER_DATA_MAX);
	ret = pw_smtp_lines_header(o->line_limit, h->namelen, h->value,
	    h->valuelen, &sent);
	if (ret == 0)
		ret = pw_dkim_canon_header(o->hcanon, h->name, h->namelen,
		    sent.data, sent.len, 1, out);
	pw_buf_free(&sent);
	return ret;
}

/*
 * Canonicalize the fields h= names into out, each name taking the last
 * instance not yet taken.  0, or -1 when out's cap is reached.
 */
static int
pw_dkim_header_data(const struct pw_dkim_sign_opts *o,
    const struct pw_dkim_hlist *hl, const struct pw_dkim_header *hdrs,
    size_t nhdrs, struct pw_buf *out)
{
	unsigned char *used = pw_xcalloc(nhdrs + 1, 1);
	size_t i, j, len;
	int ret = 0;

	for (i = 0; i < hl->n && ret == 0; i++) {
		len = strlen(hl->names[i]);
		for (j = nhdrs; j > 0; j--) {
			const struct pw_dkim_header *h = &hdrs[j - 1];

			if (used[j - 1] || !pw_dkim_name_is(h, hl->names[i],
			    len))
				continue;
			used[j - 1] = 1;
			ret = pw_dkim_header_sent(o, h, out);
			break;
		}
	}
	free(used);
	return ret;
}

/* --- the DKIM-Signature field ------------------------------------------- */

struct pw_dkim_fold {
	struct pw_buf	*b;
	size_t		 col;
	int		 err;
};

static void
pw_dkim_put(struct pw_dkim_fold *f, const char *s, size_t len)
{
	if (pw_buf_append(f->b, s, len) < 0)
		f->err = 1;
	f->col += len;
}

static void
pw_dkim_newline(struct pw_dkim_fold *f)
{
	if (pw_buf_append(f->b, "\n\t", 2) < 0)
		f->err = 1;
	f->col = PW_DKIM_TAB_COL;
}

/* A token that stays on one line, after a space or a fold. */
static void
pw_dkim_token(struct pw_dkim_fold *f, const char *s, size_t len)
{
	if (f->col + 1 + len > PW_DKIM_FOLD_COL &&
	    f->col > PW_DKIM_TAB_COL)
		pw_dkim_newline(f);
	else
		pw_dkim_put(f, " ", 1);
	pw_dkim_put(f, s, len);
}

/* A tag whose value may break anywhere (base64); s is the value. */
static void
pw_dkim_b64(struct pw_dkim_fold *f, const char *s, size_t len)
{
	size_t room, n;

	while (len > 0) {
		if (f->col >= PW_DKIM_FOLD_COL)
			pw_dkim_newline(f);
		room = PW_DKIM_FOLD_COL - f->col;
		n = len < room ? len : room;
		pw_dkim_put(f, s, n);
		s += n;
		len -= n;
	}
}

static void
pw_dkim_tagf(struct pw_dkim_fold *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
pw_dkim_tagf(struct pw_dkim_fold *f, const char *fmt, ...)
{
	char tmp[PW_DKIM_DOMAIN_MAX + 64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		f->err = 1;
		return;
	}
	pw_dkim_token(f, tmp, (size_t)n);
}

/*
 * Write the field value up to and including "b=" into f (the part that
 * is hashed), for key k.
 */
static void
pw_dkim_sig_head(struct pw_dkim_fold *f, const struct pw_dkim_sign_opts *o,
    const struct pw_dkim_key *k, const struct pw_dkim_hlist *hl,
    int64_t now, const char *bh)
{
	char tmp[300];
	size_t i, len;

	pw_dkim_tagf(f, "v=1;");
	pw_dkim_tagf(f, "a=%s;", pw_dkim_alg_name(k->alg));
	pw_dkim_tagf(f, "c=%s/%s;", pw_dkim_canon_name(o->hcanon),
	    pw_dkim_canon_name(o->bcanon));
	pw_dkim_tagf(f, "d=%s;", k->domain);
	pw_dkim_tagf(f, "s=%s;", k->selector);
	pw_dkim_tagf(f, "t=%lld;", (long long)now);
	if (o->expire > 0)
		pw_dkim_tagf(f, "x=%lld;", (long long)(now + o->expire));
	/* h=: breaks only after a colon. */
	for (i = 0; i < hl->n; i++) {
		len = (size_t)snprintf(tmp, sizeof(tmp), "%s%s%s",
		    i == 0 ? "h=" : "", hl->names[i],
		    i + 1 < hl->n ? ":" : ";");
		if (len >= sizeof(tmp)) {
			f->err = 1;
			return;
		}
		if (i == 0)
			pw_dkim_token(f, tmp, len);
		else {
			if (f->col + len > PW_DKIM_FOLD_COL)
				pw_dkim_newline(f);
			pw_dkim_put(f, tmp, len);
		}
	}
	/* bh=, with room for a few characters of its value. */
	if (f->col + 1 + 3 + 8 > PW_DKIM_FOLD_COL)
		pw_dkim_newline(f);
	else
		pw_dkim_put(f, " ", 1);
	pw_dkim_put(f, "bh=", 3);
	pw_dkim_b64(f, bh, strlen(bh));
	pw_dkim_b64(f, ";", 1);
	if (f->col + 1 + 2 + 8 > PW_DKIM_FOLD_COL)
		pw_dkim_newline(f);
	else
		pw_dkim_put(f, " ", 1);
	pw_dkim_put(f, "b=", 2);
}

/* Sign data with k; the signature in base64 into b64 (size b64size). */
static int
pw_dkim_sign_data(const struct pw_dkim_key *k, const struct pw_buf *data,
    char *b64, size_t b64size, const char **why_r)
{
	unsigned char sig[1024], hash[EVP_MAX_MD_SIZE];
	unsigned int hashlen = 0;
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx;
	int ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		*why_r = "out of memory (OpenSSL)";
		return -1;
	}
	if (k->alg == PW_DKIM_RSA_SHA256)
		ok = EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL,
		    k->pkey, NULL) == 1 &&
		    EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)
		    data->data, data->len) == 1 && siglen <= sizeof(sig) &&
		    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)
		    data->data, data->len) == 1;
	else
		ok = EVP_Digest(data->data, data->len, hash, &hashlen,
		    pw_dkim_md(), NULL) == 1 &&
		    EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL,
		    k->pkey, NULL) == 1 &&
		    EVP_DigestSign(ctx, sig, &siglen, hash, hashlen) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		ERR_clear_error();
		*why_r = k->alg == PW_DKIM_RSA_SHA256 ?
		    "rsa-sha256 signing failed (OpenSSL)" :
		    "ed25519-sha256 signing failed (OpenSSL)";
		return -1;
	}
	if ((siglen + 2) / 3 * 4 + 1 > b64size) {
		*why_r = "signature too long";
		return -1;
	}
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
	return 0;
}

int
pw_dkim_sign_final(struct pw_dkim_sign *s, const struct pw_dkim_header *hdrs,
    size_t nhdrs, const char *const *also, size_t nalso, int64_t now,
    struct pw_buf *values, const char **why_r)
{
	const struct pw_dkim_sign_opts *o = s->opts;
	unsigned char bhash[EVP_MAX_MD_SIZE];
	unsigned int bhashlen = 0;
	char bh[64], b64[1400];
	struct pw_dkim_hlist hl = { 0 };
	struct pw_dkim_fold f;
	struct pw_buf data;
	size_t i, common;
	int ret = -1;

	if (s->finished) {
		*why_r = "signer used twice";
		return -1;
	}
	s->finished = 1;
	pw_smtp_lines_final(&s->lines, pw_dkim_body_sent, s);
	pw_dkim_canon_body_final(&s->cb);
	if (s->md_failed || EVP_DigestFinal_ex(s->md, bhash, &bhashlen) != 1) {
		ERR_clear_error();
		*why_r = "body hash failed (OpenSSL)";
		return -1;
	}
	EVP_EncodeBlock((unsigned char *)bh, bhash, (int)bhashlen);
	if (pw_dkim_count(hdrs, nhdrs, "From") == 0) {
		*why_r = "no From header field";
		return -1;
	}
	pw_dkim_hlist_sign(&hl, "From", hdrs, nhdrs);
	for (i = 0; i < o->nsign; i++)
		pw_dkim_hlist_sign(&hl, o->sign[i], hdrs, nhdrs);
	for (i = 0; i < nalso; i++)
		pw_dkim_hlist_sign(&hl, also[i], hdrs, nhdrs);
	for (i = 0; i < o->noversign; i++)
		pw_dkim_hlist_add(&hl, o->oversign[i]);

	pw_buf_init(&data, PW_DKIM_HEADER_DATA_MAX + PW_DKIM_SIG_MAX);
	if (pw_dkim_header_data(o, &hl, hdrs, nhdrs, &data) < 0 ||
	    data.len > PW_DKIM_HEADER_DATA_MAX) {
		*why_r = "signed header fields too large";
		goto out;
	}
	common = data.len;
	for (i = 0; i < s->nkeys; i++) {
		struct pw_buf *v = &values[i];

		pw_buf_reset(v);
		f.b = v;
		f.col = PW_DKIM_NAME_COL;
		f.err = 0;
		pw_dkim_sig_head(&f, o, s->keys[i], &hl, now, bh);
		if (f.err) {
			*why_r = "DKIM-Signature field too long";
			goto out;
		}
		data.len = common;
		data.data[common] = '\0';
		if (pw_dkim_canon_header(o->hcanon, "DKIM-Signature", 14,
		    v->data, v->len, 0, &data) < 0) {
			*why_r = "signed header fields too large";
			goto out;
		}
		if (pw_dkim_sign_data(s->keys[i], &data, b64, sizeof(b64),
		    why_r) < 0)
			goto out;
		pw_dkim_b64(&f, b64, strlen(b64));
		if (f.err) {
			*why_r = "DKIM-Signature field too long";
			goto out;
		}
	}
	ret = 0;
out:
	OPENSSL_cleanse(bhash, sizeof(bhash));
	pw_buf_free(&data);
	free(hl.names);
	return ret;
}
