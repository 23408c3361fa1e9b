/*
 * http_form.c -- the token part of an unsubscribe path and the RFC 8058
 * body (see http_form.h).
 *
 * Exports: http_form_token, http_form_one_click.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "http_form.h"
#include "track.h"

static const char http_form_pair[] = "List-Unsubscribe=One-Click";
static const char http_form_name[] = "name=\"List-Unsubscribe\"";
static const char http_form_value[] = "One-Click";

bool
http_form_token(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > PW_TRACK_TOKEN_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.'))
			return false;
	}
	return true;
}

/* urlencoded: the pair, exactly, among the "&"-separated ones. */
static bool
http_form_urlencoded(const char *body, size_t len)
{
	const char *p = body, *end = body + len, *amp;
	size_t n = sizeof(http_form_pair) - 1;

	for (;;) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		if ((size_t)(amp - p) == n && memcmp(p, http_form_pair, n) == 0)
			return true;
		if (amp == end)
			return false;
		p = amp + 1;
	}
}

/*
 * multipart: a part whose headers name List-Unsubscribe and whose value
 * (after the blank line, up to the CRLF before the next boundary) is
 * One-Click.
 */
static bool
http_form_multipart(const char *body, size_t len)
{
	const char *p, *end = body + len, *v;
	size_t nn = sizeof(http_form_name) - 1;
	size_t nv = sizeof(http_form_value) - 1;

	for (p = body; (size_t)(end - p) >= nn; p++) {
		if (memcmp(p, http_form_name, nn) != 0)
			continue;
		for (v = p + nn; end - v >= 4; v++)
			if (memcmp(v, "\r\n\r\n", 4) == 0)
				break;
		if (end - v < 4)
			return false;
		v += 4;
		if ((size_t)(end - v) >= nv && memcmp(v, http_form_value,
		    nv) == 0 && ((size_t)(end - v) == nv || v[nv] == '\r'))
			return true;
	}
	return false;
}

bool
http_form_one_click(const char *ct, const char *body, size_t len)
{
	static const char url[] = "application/x-www-form-urlencoded";
	static const char multi[] = "multipart/form-data";

	if (ct == NULL || body == NULL || len == 0)
		return false;
	if (strncasecmp(ct, url, sizeof(url) - 1) == 0 &&
	    (ct[sizeof(url) - 1] == '\0' || ct[sizeof(url) - 1] == ';'))
		return http_form_urlencoded(body, len);
	if (strncasecmp(ct, multi, sizeof(multi) - 1) == 0 &&
	    (ct[sizeof(multi) - 1] == '\0' || ct[sizeof(multi) - 1] == ';'))
		return http_form_multipart(body, len);
	return false;
}
