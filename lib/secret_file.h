/*
 * secret_file.h -- read a file that holds a secret (a DKIM private key,
 * the tracking secret) the way OpenDKIM does: a regular file, refused
 * when group or others may read it or when it belongs to another user
 * than root, the user the daemon runs as (pw_secret_file_owner) or the
 * process's effective user (unless the admin turned the checks off with
 * dkim_key_mode_check = no), bounded in size.  Another owner could
 * change the secret, or read it by changing the mode back: a key only
 * root and the daemon control is one nobody else can swap for theirs.
 *
 * Threads: pw_secret_file_owner() sets process state; call it before
 * reading secrets, from the thread that loads the configuration.
 *
 * Key files of raw bytes (dkim_kek_file, auth_pepper_file) hold them as
 * hexadecimal digits and a newline: pw_secret_file_hex reads that text,
 * pw_secret_file_create_hex writes a new such file (mode 0600).
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
 * The user (besides root and the effective user) who may own a secret
 * file: the configuration's user, the one the daemon runs as.  NULL, ""
 * or an unknown name: nobody else.
 */
void	pw_secret_file_owner(const char *user);

/*
 * Read path into buf (at most max bytes; buf holds max + 1).  what names
 * the secret in the error ("private key", "tracking secret").  0 and
 * *len_r, or -1 with "path: why" in err.
 */
int	pw_secret_file_read(const char *path, bool mode_check,
	    const char *what, char *buf, size_t max, size_t *len_r,
	    char *err, size_t errsize);

/*
 * The text of a hex key file (len bytes): exactly 2 * n hexadecimal
 * digits, either case, then optional white space, into out (n bytes).
 * 0, or -1 (out wiped).
 */
int	pw_secret_file_hex(const char *text, size_t len, unsigned char *out,
	    size_t n);

/*
 * Write n bytes as lower-case hex and a newline to a new file path
 * (O_EXCL, O_NOFOLLOW, mode exactly 0600), synced.  0, or -1 with
 * "path: why" in err (the file is removed).  The text is wiped.
 */
int	pw_secret_file_create_hex(const char *path, const unsigned char *bytes,
	    size_t n, char *err, size_t errsize);

#endif
