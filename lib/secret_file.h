/*
 * secret_file.h -- read a file that holds a secret (a DKIM private key,
 * the tracking secret) the way OpenDKIM does: a regular file, refused
 * when group or others may read it (unless the admin turned the check
 * off with dkim_key_mode_check = no), bounded in size.
 *
 * Security: the caller owns the bytes read and wipes them
 * (OPENSSL_cleanse) when done; error texts name the path and never
 * quote the contents.
 */
#ifndef PW_SECRET_FILE_H
#define PW_SECRET_FILE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Read path into buf (at most max bytes; buf holds max + 1).  what names
 * the secret in the error ("private key", "tracking secret").  0 and
 * *len_r, or -1 with "path: why" in err.
 */
int	pw_secret_file_read(const char *path, bool mode_check,
	    const char *what, char *buf, size_t max, size_t *len_r,
	    char *err, size_t errsize);

#endif
