/*
 * table.c -- the reader of postwarden's text tables (see table.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "xmalloc.h"

#define PW_TABLE_MSG_MAX	512

int
pw_table_read(const char *path, size_t line_max, pw_table_line_fn *fn,
    void *arg, char *err, size_t errsize)
{
	char *line, *fields[PW_TABLE_FIELDS_MAX], *save, *f;
	char msg[PW_TABLE_MSG_MAX];
	const char *why = NULL;
	unsigned lineno = 0;
	int nf, ret = -1;
	FILE *fp;

	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errsize, "%s: cannot open: %s", path,
		    strerror(errno));
		return -1;
	}
	/* Room for the newline and the NUL. */
	line = pw_xmalloc(line_max + 2);
	msg[0] = '\0';
	while (fgets(line, (int)line_max + 2, fp) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			why = "line too long";
			goto bad;
		}
		nf = 0;
		for (f = strtok_r(line, " \t\r\n", &save); f != NULL;
		    f = strtok_r(NULL, " \t\r\n", &save)) {
			if (*f == '#')
				break;
			if (nf == PW_TABLE_FIELDS_MAX) {
				why = "too many fields";
				goto bad;
			}
			fields[nf++] = f;
		}
		if (nf == 0)
			continue;
		msg[0] = '\0';
		why = NULL;
		if (fn(fields, nf, arg, &why, msg, sizeof(msg)) < 0)
			goto bad;
	}
	if (ferror(fp)) {
		snprintf(err, errsize, "%s: read error", path);
		goto out;
	}
	ret = 0;
	goto out;
bad:
	snprintf(err, errsize, "%s:%u: %s", path, lineno,
	    msg[0] != '\0' ? msg : why != NULL ? why : "bad entry");
out:
	free(line);
	fclose(fp);
	return ret;
}
