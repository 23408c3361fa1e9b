/*
 * json.h -- JSON strings from untrusted bytes, and the UTF-8 decoder
 * behind them.  The one escaper: the milter's event fields
 * (milter/milter_control.c) and the CLI's --json output
 * (cli/cli_out.c) both write their strings with it.
 *
 * Exports: pw_json_utf8(), pw_json_escape().
 *
 * Escaping: '"' and '\' get a backslash; LF, CR and tab are \n, \r, \t;
 * the other C0 controls, DEL and the C1 controls (U+0080..U+009F, as
 * well-formed UTF-8) are \u00XX; every byte that does not start a
 * well-formed UTF-8 sequence is \ufffd (one each); the rest, well-formed
 * UTF-8 from U+00A0 on, is copied as it is.  The result is valid JSON
 * and valid UTF-8 whatever the input, and shows no control character.
 *
 * Pure: no state of its own; any thread, on buffers it is given.
 */
#ifndef PW_JSON_H
#define PW_JSON_H

#include <stddef.h>

#include "buf.h"

/*
 * The UTF-8 sequence at s (len > 0 bytes): its length (1..4) and its
 * code point in *cp_r, or 0 when it is not well-formed (a stray or
 * invalid byte, overlong, a surrogate, past U+10FFFF, cut short).
 */
size_t	pw_json_utf8(const char *s, size_t len, unsigned *cp_r);

/*
 * Append s[0..len) to out as a JSON string, quotes included, escaped as
 * above.  0; -1 when out's cap is reached, with out as it was.
 */
int	pw_json_escape(struct pw_buf *out, const char *s, size_t len);

#endif
