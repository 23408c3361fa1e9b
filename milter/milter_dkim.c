/*
 * milter_dkim.c -- DKIM signing for postwarden-milter (see milter_dkim.h).
 *
 * Exports: milter_dkim_load/_conf_free/_enabled/_internal/_tempfail and
 * the per-message milter_dkim_msg_* / _header* / _body / _sign.
 *
 * Threads: a milter_dkim_conf is built once per snapshot and only read
 * afterwards, so signing takes no lock of ours; a milter_dkim_msg has one
 * owner (the connection's callbacks, one at a time).
 *
 * Memory: header fields are kept in one capped buffer (names and values
 * back to back, NUL-terminated) plus an index; the body is never kept,
 * only hashed (lib/dkim_sign.c), so a message of any size costs the same.
 *
 * Failures: configuration errors name the file and line (key tables) or
 * the setting; per-message failures return a static reason that the
 * caller logs with the queue id.  Security: header text is untrusted and
 * bounded; keys never leave lib/dkim_keys.c except to OpenSSL.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cidr.h"
#include "conf.h"
#include "log.h"
#include "milter_dkim.h"
#include "milter_metrics.h"
#include "rfc5322_addr.h"
#include "xmalloc.h"

#define MILTER_DKIM_NAMES_MAX	64	/* names in dkim_*_headers */
#define MILTER_DKIM_NETS_MAX	1024
#define MILTER_DKIM_ALSO_MAX	32	/* fields the milter adds */


struct milter_dkim_conf {
	struct pw_dkim_keyset		*ks;
	struct pw_dkim_sign_opts	 opts;
	char				*sign[MILTER_DKIM_NAMES_MAX];
	char				*over[MILTER_DKIM_NAMES_MAX];
	struct pw_cidr			*nets;
	size_t				 nnets;
	bool				 tempfail;
	size_t				 max_header;
	struct pw_seal_kek		 kek;	/* .set: dkim_kek_file */
};

struct milter_dkim_field {
	size_t	name;		/* offsets into the message's data */
	size_t	namelen;
	size_t	value;
	size_t	valuelen;
	bool	removed;
};

struct milter_dkim_msg {
	const struct milter_dkim_conf	*dc;
	char				 tenant[65];
	struct pw_buf			 data;
	struct milter_dkim_field	*f;
	size_t				 nf, fsize;
	bool				 overflow;
	size_t				 also[MILTER_DKIM_ALSO_MAX];
	size_t				 nalso;
	const struct pw_dkim_key	*keys[PW_DKIM_MAX_SIGS];
	size_t				 nkeys;
	struct pw_dkim_sign		*sign;
	bool				 from_found;
};

/* --- configuration ------------------------------------------------------ */

struct milter_dkim_names {
	char	**out;
	size_t	  n;
};

static int
milter_dkim_add_name(const char *item, size_t len, void *arg)
{
	struct milter_dkim_names *nl = arg;

	if (nl->n == MILTER_DKIM_NAMES_MAX)
		return -1;
	nl->out[nl->n++] = pw_xstrndup(item, len);
	return 0;
}

struct milter_dkim_netlist {
	struct milter_dkim_conf	*dc;
	char			*bad;
	size_t			 badsize;
};

static int
milter_dkim_add_net(const char *item, size_t len, void *arg)
{
	struct milter_dkim_netlist *nl = arg;
	struct milter_dkim_conf *dc = nl->dc;

	if (dc->nnets == MILTER_DKIM_NETS_MAX) {
		snprintf(nl->bad, nl->badsize, "more than %d networks",
		    MILTER_DKIM_NETS_MAX);
		return -1;
	}
	dc->nets = pw_xrealloc(dc->nets, (dc->nnets + 1) * sizeof(*dc->nets));
	if (pw_cidr_parse(item, len, &dc->nets[dc->nnets]) < 0) {
		snprintf(nl->bad, nl->badsize, "bad network \"%.*s\" "
		    "(expected address/bits, host bits zero)",
		    (int)(len > 64 ? 64 : len), item);
		return -1;
	}
	dc->nnets++;
	return 0;
}

int
milter_dkim_load(const struct pw_conf *conf, struct milter_dkim_conf **dc_r,
    char *err, size_t errsize)
{
	struct milter_dkim_conf *dc = pw_xcalloc(1, sizeof(*dc));
	struct milter_dkim_names names;
	struct milter_dkim_netlist nl;
	char bad[160];
	const char *why;

	if (pw_dkim_canon_parse_pair(conf->dkim_canonicalization,
	    &dc->opts.hcanon, &dc->opts.bcanon, &why) < 0) {
		snprintf(err, errsize, "%s: dkim_canonicalization: %s",
		    conf->path, why);
		goto fail;
	}
	names.out = dc->sign;
	names.n = 0;
	if (pw_conf_list_foreach(conf->dkim_signed_headers,
	    milter_dkim_add_name, &names) != 0) {
		snprintf(err, errsize, "%s: dkim_signed_headers: more than %d "
		    "names", conf->path, MILTER_DKIM_NAMES_MAX);
		goto fail;
	}
	dc->opts.sign = (const char *const *)dc->sign;
	dc->opts.nsign = names.n;
	names.out = dc->over;
	names.n = 0;
	if (pw_conf_list_foreach(conf->dkim_oversign_headers,
	    milter_dkim_add_name, &names) != 0) {
		snprintf(err, errsize, "%s: dkim_oversign_headers: more than "
		    "%d names", conf->path, MILTER_DKIM_NAMES_MAX);
		goto fail;
	}
	dc->opts.oversign = (const char *const *)dc->over;
	dc->opts.noversign = names.n;
	dc->opts.expire = conf->dkim_expire_ms / 1000;
	dc->opts.line_limit = (size_t)conf->dkim_line_length_limit;
	dc->opts.record_limit = (size_t)conf->dkim_record_length_limit;
	dc->tempfail = conf->dkim_failure_mode == PW_CONF_FAILURE_TEMPFAIL;
	dc->max_header = (size_t)conf->dkim_max_header_size;
	nl.dc = dc;
	nl.bad = bad;
	nl.badsize = sizeof(bad);
	if (pw_conf_list_foreach(conf->milter_internal_networks,
	    milter_dkim_add_net, &nl) != 0) {
		snprintf(err, errsize, "%s: milter_internal_networks: %s",
		    conf->path, bad);
		goto fail;
	}
	if (*conf->dkim_signing_table != '\0' &&
	    *conf->dkim_key_table == '\0') {
		snprintf(err, errsize, "%s: dkim_signing_table is set but "
		    "dkim_key_table is not", conf->path);
		goto fail;
	}
	if (pw_dkim_keyset_load(conf->dkim_key_table,
	    conf->dkim_signing_table, conf->dkim_key_mode_check, &dc->ks,
	    err, errsize) < 0)
		goto fail;
	/* The KEK of the keys in Redis, read now, as the key files are. */
	if (*conf->dkim_kek_file == '\0')
		pw_log_notice("dkim_kek_file is empty: DKIM keys kept in Redis "
		    "(postwarden domain dkim) are not used; only the key "
		    "table signs");
	else if (pw_seal_kek_load(conf->dkim_kek_file,
	    conf->dkim_key_mode_check, &dc->kek, err, errsize) < 0)
		goto fail;
	*dc_r = dc;
	return 0;
fail:
	milter_dkim_conf_free(&dc);
	return -1;
}

void
milter_dkim_conf_free(struct milter_dkim_conf **dcp)
{
	struct milter_dkim_conf *dc = *dcp;
	size_t i;

	if (dc == NULL)
		return;
	*dcp = NULL;
	pw_dkim_keyset_free(&dc->ks);
	pw_seal_kek_wipe(&dc->kek);
	for (i = 0; i < MILTER_DKIM_NAMES_MAX; i++) {
		free(dc->sign[i]);
		free(dc->over[i]);
	}
	free(dc->nets);
	free(dc);
}

bool
milter_dkim_enabled(const struct milter_dkim_conf *dc)
{
	return dc != NULL && (pw_dkim_keyset_count(dc->ks) > 0 ||
	    dc->kek.set);
}

const struct pw_seal_kek *
milter_dkim_kek(const struct milter_dkim_conf *dc)
{
	return dc != NULL && dc->kek.set ? &dc->kek : NULL;
}

bool
milter_dkim_tempfail(const struct milter_dkim_conf *dc)
{
	return dc->tempfail;
}

bool
milter_dkim_internal(const struct milter_dkim_conf *dc, const char *addr)
{
	struct pw_cidr_addr a;
	size_t i;

	if (dc == NULL || dc->nnets == 0 || addr == NULL ||
	    pw_cidr_addr_parse(addr, &a) < 0)
		return false;
	for (i = 0; i < dc->nnets; i++)
		if (pw_cidr_match(&dc->nets[i], &a))
			return true;
	return false;
}

/* --- one message -------------------------------------------------------- */

struct milter_dkim_msg *
milter_dkim_msg_new(const struct milter_dkim_conf *dc, const char *tenant)
{
	struct milter_dkim_msg *m = pw_xcalloc(1, sizeof(*m));

	m->dc = dc;
	if (tenant != NULL)
		snprintf(m->tenant, sizeof(m->tenant), "%s", tenant);
	pw_buf_init(&m->data, dc->max_header);
	return m;
}

void
milter_dkim_msg_free(struct milter_dkim_msg **mp)
{
	struct milter_dkim_msg *m = *mp;

	if (m == NULL)
		return;
	*mp = NULL;
	pw_dkim_sign_free(&m->sign);
	pw_buf_free(&m->data);
	free(m->f);
	free(m);
}

/* Store name and value; false when the cap is reached. */
static bool
milter_dkim_store(struct milter_dkim_msg *m, const char *name,
    const char *value, struct milter_dkim_field *fld)
{
	size_t mark = m->data.len;

	memset(fld, 0, sizeof(*fld));
	fld->name = m->data.len;
	fld->namelen = strlen(name);
	if (pw_buf_append(&m->data, name, fld->namelen + 1) < 0)
		goto full;
	fld->value = m->data.len;
	fld->valuelen = strlen(value);
	if (pw_buf_append(&m->data, value, fld->valuelen + 1) < 0)
		goto full;
	return true;
full:
	m->data.len = mark;
	m->data.data[mark] = '\0';
	m->overflow = true;
	return false;
}

static void
milter_dkim_push(struct milter_dkim_msg *m, const struct milter_dkim_field *f)
{
	if (m->nf == m->fsize) {
		m->fsize = m->fsize ? m->fsize * 2 : 32;
		m->f = pw_xrealloc(m->f, m->fsize * sizeof(*m->f));
	}
	m->f[m->nf++] = *f;
}

void
milter_dkim_header(struct milter_dkim_msg *m, const char *name,
    const char *value)
{
	struct milter_dkim_field f;

	if (!m->overflow && milter_dkim_store(m, name, value, &f))
		milter_dkim_push(m, &f);
}

void
milter_dkim_header_add(struct milter_dkim_msg *m, const char *name,
    const char *value)
{
	struct milter_dkim_field f;

	if (m->nalso == MILTER_DKIM_ALSO_MAX) {
		m->overflow = true;
		return;
	}
	if (!m->overflow && milter_dkim_store(m, name, value, &f)) {
		m->also[m->nalso++] = f.name;
		milter_dkim_push(m, &f);
	}
}

void
milter_dkim_header_remove(struct milter_dkim_msg *m, const char *name,
    int index)
{
	size_t i;
	int n = 0;

	for (i = 0; i < m->nf; i++) {
		if (strcasecmp(m->data.data + m->f[i].name, name) != 0)
			continue;
		if (++n == index) {
			m->f[i].removed = true;
			return;
		}
	}
}

/*
 * Do owns (NULL: no check) and arg say that the sender owns the signing
 * domain (d=) of each of keys?
 */
static bool
milter_dkim_keys_owned(const struct pw_dkim_key *const *keys, size_t nkeys,
    milter_dkim_owns_fn *owns, void *arg)
{
	size_t i;

	for (i = 0; owns != NULL && i < nkeys; i++)
		if (!owns(arg, keys[i]->domain))
			return false;
	return true;
}

bool
milter_dkim_headers_done(struct milter_dkim_msg *m, bool domain_ok,
    milter_dkim_owns_fn *owns, void *arg, const char **why_r)
{
	char domain[PW_RFC5322_DOMAIN_MAX + 1];
	const char *from = NULL, *why;
	size_t i, fromlen = 0, nfrom = 0;
	bool unowned = false;

	if (m->sign != NULL)
		return true;
	for (i = 0; i < m->nf; i++)
		if (!m->f[i].removed &&
		    strcasecmp(m->data.data + m->f[i].name, "From") == 0) {
			from = m->data.data + m->f[i].value;
			fromlen = m->f[i].valuelen;
			nfrom++;
		}
	if (from == NULL) {
		*why_r = m->overflow ? "header section larger than "
		    "dkim_max_header_size" : "no From header field";
		return false;
	}
	m->from_found = true;
	/*
	 * Exactly one From field with exactly one mailbox names the domain
	 * (rfc5322_addr.h); else the message has no From domain and only
	 * the tenant's entry can sign it.
	 */
	if (nfrom != 1 ||
	    pw_rfc5322_addr_domain(from, fromlen, domain, &why) < 0)
		domain[0] = '\0';
	/*
	 * The From domain's entry (or a *.parent one) signs only as
	 * domains the sender owns: an entry may name another's key
	 * ("*.canon.example" with d=canon.example for a child another
	 * tenant owns).  Else the tenant's own entry, as if there were
	 * none for the domain.
	 */
	m->nkeys = pw_dkim_keyset_lookup(m->dc->ks, domain_ok ? domain : NULL,
	    NULL, m->keys);
	if (m->nkeys > 0 && !milter_dkim_keys_owned(m->keys, m->nkeys, owns,
	    arg)) {
		m->nkeys = 0;
		unowned = true;
	}
	if (m->nkeys == 0)
		m->nkeys = pw_dkim_keyset_lookup(m->dc->ks, NULL, m->tenant,
		    m->keys);
	if (m->nkeys == 0) {
		*why_r = !domain_ok ? "the sender does not own the From "
		    "domain and there is no signing table entry for the "
		    "tenant" : unowned ? "the signing table entry for the "
		    "From domain signs as a domain the tenant does not own, "
		    "and there is no signing table entry for the tenant" :
		    domain[0] == '\0' ? "no From domain (one From "
		    "field with one mailbox) and no signing table entry for "
		    "the tenant" : "no signing table entry for the From "
		    "domain or the tenant";
		return false;
	}
	m->sign = pw_dkim_sign_new(&m->dc->opts, m->keys, m->nkeys);
	return true;
}

bool
milter_dkim_use_domain(struct milter_dkim_msg *m, const char *domain,
    const struct pw_dkim_key *const *keys, size_t nkeys,
    milter_dkim_owns_fn *owns, void *arg, const char **why_r)
{
	if (m->sign != NULL)
		return true;
	if (!m->from_found) {
		*why_r = "no From header field";
		return false;
	}
	if (nkeys > 0)
		return milter_dkim_use_keys(m, keys, nkeys);
	m->nkeys = pw_dkim_keyset_lookup_domain(m->dc->ks, domain, m->keys);
	if (m->nkeys == 0) {
		*why_r = "no key for the tenant's dkim_domain";
		return false;
	}
	if (!milter_dkim_keys_owned(m->keys, m->nkeys, owns, arg)) {
		m->nkeys = 0;
		*why_r = "the signing table entry of the tenant's dkim_domain "
		    "signs as a domain the tenant does not own";
		return false;
	}
	m->sign = pw_dkim_sign_new(&m->dc->opts, m->keys, m->nkeys);
	return true;
}

bool
milter_dkim_use_keys(struct milter_dkim_msg *m,
    const struct pw_dkim_key *const *keys, size_t nkeys)
{
	size_t i;

	if (m->sign != NULL)
		return true;
	if (nkeys == 0)
		return false;
	if (nkeys > PW_DKIM_MAX_SIGS)
		nkeys = PW_DKIM_MAX_SIGS;
	for (i = 0; i < nkeys; i++)
		m->keys[i] = keys[i];
	m->nkeys = nkeys;
	m->from_found = true;
	m->sign = pw_dkim_sign_new(&m->dc->opts, m->keys, m->nkeys);
	return true;
}

void
milter_dkim_body(struct milter_dkim_msg *m, const void *data, size_t len)
{
	if (m->sign != NULL)
		pw_dkim_sign_body(m->sign, data, len);
}

void
milter_dkim_metrics(const struct milter_dkim_msg *m, const char *failed)
{
	size_t i, n = m != NULL ? m->nkeys : 0;

	if (n == 0 && failed != NULL)
		milter_metrics_sign_failed(-1, failed);
	for (i = 0; i < n; i++)
		if (failed == NULL)
			milter_metrics_signed(m->keys[i]->alg);
		else
			milter_metrics_sign_failed((int)m->keys[i]->alg, failed);
}

int
milter_dkim_sign(struct milter_dkim_msg *m, struct pw_buf *values,
    size_t *nvalues_r, char *desc, size_t descsize, const char **why_r)
{
	struct pw_dkim_header *hdrs;
	const char *also[MILTER_DKIM_ALSO_MAX];
	size_t i, n = 0, off = 0;
	int ret;

	*nvalues_r = 0;
	if (m->sign == NULL) {
		*why_r = "not set up for signing";
		milter_dkim_metrics(m, "not_set_up");
		return -1;
	}
	if (m->overflow) {
		*why_r = "header section larger than dkim_max_header_size";
		milter_dkim_metrics(m, "header_too_large");
		return -1;
	}
	hdrs = pw_xcalloc(m->nf + 1, sizeof(*hdrs));
	for (i = 0; i < m->nf; i++) {
		if (m->f[i].removed)
			continue;
		hdrs[n].name = m->data.data + m->f[i].name;
		hdrs[n].namelen = m->f[i].namelen;
		hdrs[n].value = m->data.data + m->f[i].value;
		hdrs[n].valuelen = m->f[i].valuelen;
		n++;
	}
	for (i = 0; i < m->nalso; i++)
		also[i] = m->data.data + m->also[i];
	ret = pw_dkim_sign_final(m->sign, hdrs, n, also, m->nalso,
	    (int64_t)time(NULL), values, why_r);
	free(hdrs);
	if (ret < 0) {
		milter_dkim_metrics(m, "sign_error");
		return -1;
	}
	desc[0] = '\0';
	for (i = 0; i < m->nkeys; i++) {
		int w = snprintf(desc + off, descsize - off, "%sd=%s s=%s a=%s",
		    i > 0 ? ", " : "", m->keys[i]->domain, m->keys[i]->selector,
		    pw_dkim_alg_name(m->keys[i]->alg));

		if (w < 0 || (size_t)w >= descsize - off)
			break;
		off += (size_t)w;
	}
	*nvalues_r = m->nkeys;
	return 0;
}
