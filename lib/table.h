/*
 * table.h -- the text tables postwarden reads (identity networks and
 * sender domains, DKIM key and signing tables): one entry per line,
 * fields separated by white space, "#" starting a comment (at the start
 * of a line or of a field), blank lines ignored.
 *
 * One reader, so every table reports errors the same way:
 * "path:line: what is wrong".  Lines are bounded; no allocation.
 */
#ifndef PW_TABLE_H
#define PW_TABLE_H

#include <stddef.h>

#define PW_TABLE_FIELDS_MAX	8

/*
 * Called for each entry.  Returns 0, or -1 with a static reason in *why_r
 * or a formatted one in msg (msgsize bytes); the reader adds path:line.
 */
typedef int pw_table_line_fn(char **fields, int nfields, void *arg,
    const char **why_r, char *msg, size_t msgsize);

/*
 * Read path, whose lines may be at most line_max bytes, calling fn for
 * each entry.  0, or -1 with the error in err.
 */
int	pw_table_read(const char *path, size_t line_max, pw_table_line_fn *fn,
	    void *arg, char *err, size_t errsize);

#endif
