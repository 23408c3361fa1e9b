/*
 * rfc5322_addr.c -- the domain of the one mailbox in an address header
 * value (see rfc5322_addr.h).
 *
 * A lexer turns the value into tokens, dropping CFWS (white space, line
 * folds and nested comments): atoms, quoted strings, domain literals and
 * the specials < > @ , ; : and ".".  A recursive-descent parser (one
 * level deep: groups do not nest) reads the RFC 5322 address-list
 * grammar over them:
 *
 *	list     = [element] *("," [element])
 *	element  = phrase ":" [mailbox] *("," [mailbox]) ";"	(a group)
 *		 / mailbox
 *	mailbox  = [phrase] "<" [route] addr-spec ">"
 *		 / addr-spec
 *	phrase   = word *(word / ".")		(obs-phrase)
 *	addr-spec= word *("." word) "@" domain	(obs-local-part)
 *	domain   = atom *("." atom) / literal	(obs-domain)
 *	route    = *("," / "@" domain) ":"	(obs-route)
 *
 * A phrase and a local part are both words and dots, so the parser
 * collects them once and lets the token after them decide: "<" makes
 * them a display name, ":" a group name, "@" a local part.  Text in a
 * quoted string or a comment is one token (or none), never an address.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "rfc5322_addr.h"

#define PW_RFC5322_LABEL_MAX	63

enum pw_rfc5322_tok {
	PW_RFC5322_END,
	PW_RFC5322_ATOM,
	PW_RFC5322_QUOTED,
	PW_RFC5322_LITERAL,
	PW_RFC5322_SPECIAL,	/* one of < > @ , ; : . in c */
};

struct pw_rfc5322_lex {
	const unsigned char	*p, *end;
	enum pw_rfc5322_tok	 tok;
	const unsigned char	*s;	/* an atom's text */
	size_t			 n;
	int			 c;	/* a special */
	const char		*why;	/* set on the first error */
};

/* atext (RFC 5322 3.2.3), with UTF-8 (RFC 6532 3.2). */
static bool
pw_rfc5322_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80 ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static unsigned char
pw_rfc5322_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static bool
pw_rfc5322_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Skip to the end of a quoted string, comment or literal opened at
 * lx->p, honouring quoted pairs; nested only for comments.  0, or -1.
 */
static int
pw_rfc5322_skip(struct pw_rfc5322_lex *lx, unsigned char open,
    unsigned char close, const char *unterminated)
{
	size_t depth = 1;
	unsigned char c;

	lx->p++;
	while (depth > 0) {
		if (lx->p == lx->end) {
			lx->why = unterminated;
			return -1;
		}
		c = *lx->p++;
		if (c == '\\') {
			if (lx->p == lx->end) {
				lx->why = unterminated;
				return -1;
			}
			lx->p++;
		} else if (c == close) {
			depth--;
		} else if (c == open) {
			if (open != '(') {
				lx->why = "a bracket inside a domain literal";
				return -1;
			}
			depth++;
		}
	}
	return 0;
}

/* The next token in lx->tok; -1 (lx->why set) on a lexical error. */
static int
pw_rfc5322_next(struct pw_rfc5322_lex *lx)
{
	const unsigned char *start;
	unsigned char c;

	for (;;) {
		while (lx->p < lx->end && pw_rfc5322_wsp(*lx->p))
			lx->p++;
		if (lx->p == lx->end || *lx->p != '(')
			break;
		if (pw_rfc5322_skip(lx, '(', ')', "unterminated comment") < 0)
			return -1;
	}
	if (lx->p == lx->end) {
		lx->tok = PW_RFC5322_END;
		return 0;
	}
	c = *lx->p;
	if (pw_rfc5322_atext(c)) {
		start = lx->p;
		while (lx->p < lx->end && pw_rfc5322_atext(*lx->p))
			lx->p++;
		lx->tok = PW_RFC5322_ATOM;
		lx->s = start;
		lx->n = (size_t)(lx->p - start);
		return 0;
	}
	switch (c) {
	case '"':
		lx->tok = PW_RFC5322_QUOTED;
		return pw_rfc5322_skip(lx, '"', '"',
		    "unterminated quoted string");
	case '[':
		lx->tok = PW_RFC5322_LITERAL;
		return pw_rfc5322_skip(lx, '[', ']',
		    "unterminated domain literal");
	case '<': case '>': case '@': case ',': case ';': case ':': case '.':
		lx->tok = PW_RFC5322_SPECIAL;
		lx->c = c;
		lx->p++;
		return 0;
	}
	lx->why = c < 0x20 || c == 0x7f ? "a control character" :
	    "a stray ')', ']' or '\\'";
	return -1;
}

static bool
pw_rfc5322_is(const struct pw_rfc5322_lex *lx, int c)
{
	return lx->tok == PW_RFC5322_SPECIAL && lx->c == c;
}

static bool
pw_rfc5322_word(const struct pw_rfc5322_lex *lx)
{
	return lx->tok == PW_RFC5322_ATOM || lx->tok == PW_RFC5322_QUOTED;
}

/* What a run of words and dots may be. */
struct pw_rfc5322_phrase {
	size_t	items;		/* words and dots */
	bool	phrase;		/* word *(word / ".") */
	bool	local;		/* word *("." word) */
};

/* Collect words and dots; the token after them is current. */
static int
pw_rfc5322_phrase(struct pw_rfc5322_lex *lx, struct pw_rfc5322_phrase *ph)
{
	bool last_word = false;

	ph->items = 0;
	ph->phrase = ph->local = true;
	while (pw_rfc5322_word(lx) || pw_rfc5322_is(lx, '.')) {
		bool word = pw_rfc5322_word(lx);

		if (ph->items == 0 && !word)
			ph->phrase = ph->local = false;
		if (word == last_word && ph->items > 0)
			ph->local = false;
		last_word = word;
		ph->items++;
		if (pw_rfc5322_next(lx) < 0)
			return -1;
	}
	if (ph->items == 0 || !last_word)
		ph->local = false;
	if (ph->items == 0)
		ph->phrase = false;
	return 0;
}

/* A host name label: 1..63 letters, digits, '-' or '_'. */
static bool
pw_rfc5322_label(const unsigned char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > PW_RFC5322_LABEL_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '-' &&
		    s[i] != '_')
			return false;
	return true;
}

/*
 * A domain, its first token current; the token after it is left
 * current.  When out is not NULL the domain goes there, lower-cased, and
 * *host_r says whether it is a host name (see rfc5322_addr.h).
 */
static int
pw_rfc5322_domain(struct pw_rfc5322_lex *lx, char *out, bool *host_r)
{
	size_t len = 0, i;
	bool host = true;

	if (lx->tok == PW_RFC5322_LITERAL) {
		if (host_r != NULL)
			*host_r = false;
		return pw_rfc5322_next(lx);
	}
	for (;;) {
		if (lx->tok != PW_RFC5322_ATOM) {
			lx->why = "a domain that is not a dot-atom";
			return -1;
		}
		if (host && pw_rfc5322_label(lx->s, lx->n) &&
		    len + (len > 0) + lx->n <= PW_RFC5322_DOMAIN_MAX) {
			if (len > 0 && out != NULL)
				out[len] = '.';
			len += len > 0;
			for (i = 0; out != NULL && i < lx->n; i++)
				out[len + i] = (char)pw_rfc5322_lower(lx->s[i]);
			len += lx->n;
		} else {
			host = false;
		}
		if (pw_rfc5322_next(lx) < 0)
			return -1;
		if (!pw_rfc5322_is(lx, '.'))
			break;
		if (pw_rfc5322_next(lx) < 0)
			return -1;
	}
	if (out != NULL)
		out[host ? len : 0] = '\0';
	if (host_r != NULL)
		*host_r = host;
	return 0;
}

/* The parse: its result so far. */
struct pw_rfc5322_result {
	size_t	mailboxes;
	bool	host;		/* the first one's domain is a host name */
	char	domain[PW_RFC5322_DOMAIN_MAX + 1];
};

/* "@" is current after a local part: the domain, then one more mailbox. */
static int
pw_rfc5322_addr_spec(struct pw_rfc5322_lex *lx, struct pw_rfc5322_result *r)
{
	bool first = r->mailboxes == 0;

	if (pw_rfc5322_next(lx) < 0 ||
	    pw_rfc5322_domain(lx, first ? r->domain : NULL,
	    first ? &r->host : NULL) < 0)
		return -1;
	r->mailboxes++;
	return 0;
}

/* "<" is current: [route] addr-spec ">"; the token after it is left. */
static int
pw_rfc5322_angle(struct pw_rfc5322_lex *lx, struct pw_rfc5322_result *r)
{
	struct pw_rfc5322_phrase ph;

	if (pw_rfc5322_next(lx) < 0)
		return -1;
	if (pw_rfc5322_is(lx, '@') || pw_rfc5322_is(lx, ',')) {
		/* obs-route: "@a.example,@b.example:" is dropped. */
		while (!pw_rfc5322_is(lx, ':')) {
			if (pw_rfc5322_is(lx, ',')) {
				if (pw_rfc5322_next(lx) < 0)
					return -1;
			} else if (pw_rfc5322_is(lx, '@')) {
				if (pw_rfc5322_next(lx) < 0 ||
				    pw_rfc5322_domain(lx, NULL, NULL) < 0)
					return -1;
			} else {
				lx->why = "a bad source route";
				return -1;
			}
		}
		if (pw_rfc5322_next(lx) < 0)
			return -1;
	}
	if (pw_rfc5322_phrase(lx, &ph) < 0)
		return -1;
	if (!ph.local || !pw_rfc5322_is(lx, '@')) {
		lx->why = "no local-part@domain inside <>";
		return -1;
	}
	if (pw_rfc5322_addr_spec(lx, r) < 0)
		return -1;
	if (!pw_rfc5322_is(lx, '>')) {
		lx->why = "no '>' after the address";
		return -1;
	}
	return pw_rfc5322_next(lx);
}

/*
 * One element of the list, its first token current, the token after it
 * left current.  in_group: a mailbox of a group (no nested group).
 */
static int
pw_rfc5322_element(struct pw_rfc5322_lex *lx, struct pw_rfc5322_result *r,
    bool in_group)
{
	struct pw_rfc5322_phrase ph;

	if (pw_rfc5322_phrase(lx, &ph) < 0)
		return -1;
	if (pw_rfc5322_is(lx, '<')) {
		if (ph.items > 0 && !ph.phrase) {
			lx->why = "a display name that starts with a dot";
			return -1;
		}
		return pw_rfc5322_angle(lx, r);
	}
	if (pw_rfc5322_is(lx, '@')) {
		if (!ph.local) {
			lx->why = "a bad local part";
			return -1;
		}
		return pw_rfc5322_addr_spec(lx, r);
	}
	if (pw_rfc5322_is(lx, ':') && !in_group && ph.phrase) {
		if (pw_rfc5322_next(lx) < 0)
			return -1;
		while (!pw_rfc5322_is(lx, ';')) {
			if (pw_rfc5322_is(lx, ',')) {
				if (pw_rfc5322_next(lx) < 0)
					return -1;
				continue;
			}
			if (lx->tok == PW_RFC5322_END) {
				lx->why = "a group without its ';'";
				return -1;
			}
			if (pw_rfc5322_element(lx, r, true) < 0)
				return -1;
			if (!pw_rfc5322_is(lx, ',') &&
			    !pw_rfc5322_is(lx, ';')) {
				lx->why = "no ',' or ';' after a group member";
				return -1;
			}
		}
		return pw_rfc5322_next(lx);
	}
	lx->why = "not an address";
	return -1;
}

int
pw_rfc5322_addr_domain(const char *value, size_t len,
    char domain_r[PW_RFC5322_DOMAIN_MAX + 1], const char **why_r)
{
	struct pw_rfc5322_lex lx;
	struct pw_rfc5322_result r;

	domain_r[0] = '\0';
	if (len > 0 && memchr(value, '\0', len) != NULL) {
		*why_r = "a NUL byte";
		return -1;
	}
	memset(&lx, 0, sizeof(lx));
	lx.p = (const unsigned char *)value;
	lx.end = lx.p + len;
	r.mailboxes = 0;
	r.host = false;
	r.domain[0] = '\0';
	if (pw_rfc5322_next(&lx) < 0)
		goto bad;
	while (lx.tok != PW_RFC5322_END) {
		if (pw_rfc5322_is(&lx, ',')) {
			if (pw_rfc5322_next(&lx) < 0)
				goto bad;
			continue;
		}
		if (pw_rfc5322_element(&lx, &r, false) < 0)
			goto bad;
		if (r.mailboxes > 1) {
			*why_r = "more than one mailbox";
			return -1;
		}
		if (lx.tok != PW_RFC5322_END && !pw_rfc5322_is(&lx, ',')) {
			lx.why = "no ',' after an address";
			goto bad;
		}
	}
	if (r.mailboxes == 0) {
		*why_r = "no mailbox";
		return -1;
	}
	if (!r.host) {
		*why_r = "the domain is not a host name";
		return -1;
	}
	memcpy(domain_r, r.domain, strlen(r.domain) + 1);
	return 0;
bad:
	*why_r = lx.why;
	return -1;
}
