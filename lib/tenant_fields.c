/*
 * tenant_fields.c -- the rules for a tenant's milter settings (see
 * tenant_fields.h).
 *
 * Exports: pw_tenant_name_ok, pw_tenant_country_ok, pw_tenant_host_ok,
 * pw_tenant_local_ok, pw_tenant_addr_ok, pw_tenant_bounce_local_ok,
 * pw_tenant_unsub_scope_ok, pw_tenant_url_ok, pw_tenant_list_parse,
 * pw_tenant_list_has, pw_tenant_map_entry, pw_tenant_map_parse.
 *
 * Every check reads at most len bytes; lists and maps are split by
 * pw_conf_list_foreach, as the configuration's lists are.  Work is
 * linear in the value but for duplicate checks, which are bounded by
 * the entry limits.  Nothing here depends on the locale: no program
 * calls setlocale, so <ctype.h> is ASCII.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "conf.h"
#include "tenant_fields.h"

#define PW_TENANT_LABEL_MAX	63

bool
pw_tenant_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > PW_TENANT_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-')
			return false;
	return true;
}

bool
pw_tenant_country_ok(const char *s, size_t len)
{
	return len == 2 && isalpha((unsigned char)s[0]) &&
	    isalpha((unsigned char)s[1]);
}

bool
pw_tenant_host_ok(const char *s, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > PW_TENANT_HOST_MAX)
		return false;
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) &&
		    (s[i] != '-' || label == 0))
			return false;
		if (++label > PW_TENANT_LABEL_MAX)
			return false;
	}
	return true;
}

bool
pw_tenant_local_ok(const char *s, size_t len, size_t max)
{
	size_t i;

	if (len == 0 || len > max || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		/* s[len - 1] is no dot: s[i + 1] is inside. */
		if (s[i] == '.' ? s[i + 1] == '.' :
		    !isalnum((unsigned char)s[i]) && (s[i] == '\0' ||
		    strchr("!#$%&'*+-/=?^_`{|}~", s[i]) == NULL))
			return false;
	}
	return true;
}

bool
pw_tenant_addr_ok(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len);
	size_t local;

	if (at == NULL || len > PW_TENANT_ADDR_MAX)
		return false;
	local = (size_t)(at - s);
	return pw_tenant_local_ok(s, local, PW_TENANT_LOCAL_MAX) &&
	    pw_tenant_host_ok(at + 1, len - local - 1);
}

bool
pw_tenant_bounce_local_ok(const char *s, size_t len)
{
	size_t i;

	if (!pw_tenant_local_ok(s, len, PW_TENANT_BOUNCE_LOCAL_MAX))
		return false;
	for (i = 0; i < len; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) &&
		    strchr("._-", s[i]) == NULL)
			return false;
	return true;
}

/*
 * What follows "https://" up to the path, query or fragment: a name, an
 * address in brackets, a port; it must not be empty.
 */
bool
pw_tenant_unsub_scope_ok(const char *s, size_t len)
{
	return (len == 6 && memcmp(s, "stream", 6) == 0) ||
	    (len == 4 && memcmp(s, "bulk", 4) == 0);
}

bool
pw_tenant_url_ok(const char *s, size_t len, const char **why_r)
{
	static const char scheme[] = "https://";
	const size_t slen = sizeof(scheme) - 1;
	const char *why = NULL;
	size_t i;

	if (len > PW_TENANT_URL_MAX)
		why = "longer than 200 characters";
	else if (len < slen || memcmp(s, scheme, slen) != 0)
		why = "does not start with https://";
	for (i = 0; why == NULL && i < len; i++)
		if ((unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f || strchr("<>,\"\\", s[i]))
			why = "not printable ASCII, or holds < > , \" \\";
	for (i = slen; why == NULL && i < len && strchr("/?#", s[i]) == NULL;
	    i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr(".-:[]", s[i]) == NULL)
			why = "no host name after https://";
	if (why == NULL && i == slen)
		why = "no host name after https://";
	if (why != NULL && why_r != NULL)
		*why_r = why;
	return why == NULL;
}

/* --- lists ------------------------------------------------------------ */

/* A list being parsed. */
struct pw_tenant_list {
	char		 out[PW_TENANT_LIST_MAX];
	size_t		 len, n;
	const char	*why;
};

/* pw_conf_list_foreach: add a name not yet in the list. */
static int
pw_tenant_list_item(const char *item, size_t len, void *arg)
{
	struct pw_tenant_list *l = arg;
	char name[PW_TENANT_NAME_MAX + 1];

	if (!pw_tenant_name_ok(item, len)) {
		l->why = "not a list of names (1 to 32 of a-z 0-9 _ -)";
		return -1;
	}
	memcpy(name, item, len);
	name[len] = '\0';
	if (pw_tenant_list_has(l->out, name)) {
		l->why = "a name is listed twice";
		return -1;
	}
	if (l->n == PW_TENANT_STREAMS_MAX) {
		l->why = "more than 16 names";
		return -1;
	}
	/* @UNSAFE: 16 names of at most 32 and a comma each fit. */
	if (l->n++ > 0)
		l->out[l->len++] = ',';
	memcpy(l->out + l->len, item, len);
	l->len += len;
	l->out[l->len] = '\0';
	return 0;
}

int
pw_tenant_list_parse(const char *v, char out[PW_TENANT_LIST_MAX],
    const char **why_r)
{
	struct pw_tenant_list l;

	memset(&l, 0, sizeof(l));
	if (pw_conf_list_foreach(v, pw_tenant_list_item, &l) != 0) {
		*why_r = l.why;
		return -1;
	}
	if (l.n == 0) {
		*why_r = "an empty list";
		return -1;
	}
	memcpy(out, l.out, l.len + 1);
	return 0;
}

bool
pw_tenant_list_has(const char *list, const char *name)
{
	size_t n = strlen(name), len;

	while (*list != '\0') {
		len = strcspn(list, ",");
		if (len == n && memcmp(list, name, n) == 0)
			return true;
		list += len;
		if (*list == ',')
			list++;
	}
	return false;
}

/* --- maps ------------------------------------------------------------- */

int
pw_tenant_map_entry(const char *s, size_t len, bool country,
    struct pw_tenant_pool *e)
{
	const char *eq = memchr(s, '=', len);
	size_t klen, plen, i;

	if (eq == NULL)
		return -1;
	klen = (size_t)(eq - s);
	plen = len - klen - 1;
	if (country ? !pw_tenant_country_ok(s, klen) :
	    !pw_tenant_name_ok(s, klen))
		return -1;
	if (plen > 0 && !pw_tenant_name_ok(eq + 1, plen))
		return -1;
	for (i = 0; i < klen; i++)
		e->key[i] = country ? (char)toupper((unsigned char)s[i]) :
		    s[i];
	e->key[klen] = '\0';
	memcpy(e->pool, eq + 1, plen);
	e->pool[plen] = '\0';
	return 0;
}

/* A map being parsed. */
struct pw_tenant_map {
	struct pw_tenant_pool	 e[PW_TENANT_GEO_POOLS_MAX];
	size_t			 n, max;
	bool			 country;	/* keys are "CN" */
	const char		*why;
};

/* pw_conf_list_foreach: add an entry with a pool and a new key. */
static int
pw_tenant_map_item(const char *item, size_t len, void *arg)
{
	struct pw_tenant_map *m = arg;
	struct pw_tenant_pool e;
	size_t i;

	if (pw_tenant_map_entry(item, len, m->country, &e) < 0 ||
	    e.pool[0] == '\0') {
		m->why = m->country ? "not a list of CC=POOL (a two-letter "
		    "country code, a pool name)" : "not a list of STREAM=POOL "
		    "(names of 1 to 32 of a-z 0-9 _ -)";
		return -1;
	}
	if (m->n == m->max) {
		m->why = "too many entries";
		return -1;
	}
	for (i = 0; i < m->n; i++) {
		if (strcmp(m->e[i].key, e.key) == 0) {
			m->why = "a stream or country is named twice";
			return -1;
		}
	}
	m->e[m->n++] = e;
	return 0;
}

int
pw_tenant_map_parse(const char *v, bool country, struct pw_tenant_pool *e,
    size_t max, size_t *n_r, const char **why_r)
{
	struct pw_tenant_map m;

	memset(&m, 0, sizeof(m));
	m.max = max < PW_TENANT_GEO_POOLS_MAX ? max : PW_TENANT_GEO_POOLS_MAX;
	m.country = country;
	if (pw_conf_list_foreach(v, pw_tenant_map_item, &m) != 0) {
		*why_r = m.why;
		return -1;
	}
	memcpy(e, m.e, m.n * sizeof(*e));
	*n_r = m.n;
	return 0;
}
