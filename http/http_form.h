/*
 * http_form.h -- what the one-click unsubscribe reads from a request
 * itself (http/http_unsub.c): the token part of the path and the RFC 8058
 * form of the body.  Pure functions over bytes, no libevent, so that
 * tests/fuzz/fuzz_http_form.c can drive them.
 *
 * Threads: any.  Security: inputs are untrusted; every read is bounded
 * by the length given.
 */
#ifndef HTTP_FORM_H
#define HTTP_FORM_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Whether s[0..len) can be a token: 1..PW_TRACK_TOKEN_MAX characters of
 * letters, digits, "-", "_" and "." (so no "/", "%" or ".." segment
 * reaches the verifier in a form a path could mean otherwise).
 */
bool	http_form_token(const char *s, size_t len);
/*
 * Whether a body of content type ct (NULL: none) says
 * List-Unsubscribe=One-Click: application/x-www-form-urlencoded with
 * that exact pair among its "&"-separated ones, or multipart/form-data
 * with a part named List-Unsubscribe whose value is One-Click.
 */
bool	http_form_one_click(const char *ct, const char *body, size_t len);

#endif
