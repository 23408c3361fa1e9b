/*
 * secret_file.c -- read a file that holds a secret (see secret_file.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "secret_file.h"
#include "xmalloc.h"

/* The daemon's user: its uid and name, for errors; not set: none. */
static bool	pw_secret_file_owner_set;
static uid_t	pw_secret_file_owner_uid;
static char	pw_secret_file_owner_name[64];

void
pw_secret_file_owner(const char *user)
{
	struct passwd pwd, *found = NULL;
	char buf[4096];

	pw_secret_file_owner_set = false;
	if (user == NULL || *user == '\0' ||
	    getpwnam_r(user, &pwd, buf, sizeof(buf), &found) != 0 ||
	    found == NULL)
		return;
	pw_secret_file_owner_uid = found->pw_uid;
	snprintf(pw_secret_file_owner_name, sizeof(pw_secret_file_owner_name),
	    "%s", user);
	pw_secret_file_owner_set = true;
}

/* May uid own a secret file: root, the daemon's user, ourselves? */
static bool
pw_secret_file_owner_ok(uid_t uid)
{
	return uid == 0 || uid == geteuid() ||
	    (pw_secret_file_owner_set && uid == pw_secret_file_owner_uid);
}

/* Read up to size bytes of an open file into buf; -1 on error. */
static ssize_t
pw_secret_file_read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size) {
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	return (ssize_t)len;
}

int
pw_secret_file_read(const char *path, bool mode_check, const char *what,
    char *buf, size_t max, size_t *len_r, char *err, size_t errsize)
{
	struct stat st;
	ssize_t len;
	int fd, ret = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		snprintf(err, errsize, "%s: cannot open: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errsize, "%s: not a regular file", path);
		goto out;
	}
	if (mode_check && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(err, errsize, "%s: %s is accessible by group or "
		    "others (mode %04o); chmod 0600 it (or set "
		    "dkim_key_mode_check = no)", path, what,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (mode_check && !pw_secret_file_owner_ok(st.st_uid)) {
		snprintf(err, errsize, "%s: %s belongs to uid %u, neither root "
		    "nor %s; chown it (or set dkim_key_mode_check = no)", path,
		    what, (unsigned)st.st_uid, pw_secret_file_owner_set ?
		    pw_secret_file_owner_name : "the daemon's user");
		goto out;
	}
	/* One byte more than allowed tells a file that is too large. */
	if ((len = pw_secret_file_read_all(fd, buf, max + 1)) < 0) {
		snprintf(err, errsize, "%s: read error: %s", path,
		    strerror(errno));
		goto out;
	}
	if ((size_t)len > max) {
		snprintf(err, errsize, "%s: larger than %zu bytes", path, max);
		goto out;
	}
	*len_r = (size_t)len;
	ret = 0;
out:
	close(fd);
	return ret;
}

/* The value of a hexadecimal digit, or -1. */
static int
pw_secret_file_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
pw_secret_file_hex(const char *text, size_t len, unsigned char *out,
    size_t n)
{
	size_t i;
	int hi, lo;

	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' ||
	    text[len - 1] == '\n' || text[len - 1] == '\r' ||
	    text[len - 1] == '\v' || text[len - 1] == '\f'))
		len--;
	if (len != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		hi = pw_secret_file_hexval((unsigned char)text[2 * i]);
		lo = pw_secret_file_hexval((unsigned char)text[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			OPENSSL_cleanse(out, n);
			return -1;
		}
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int
pw_secret_file_create_hex(const char *path, const unsigned char *bytes,
    size_t n, char *err, size_t errsize)
{
	static const char digits[] = "0123456789abcdef";
	char *hex;
	size_t i, len = 2 * n + 1, off = 0;
	ssize_t w;
	int fd, ret = -1;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0) {
		snprintf(err, errsize, "%s: %s%s", path, strerror(errno),
		    errno == EEXIST ? " (not overwriting a key)" : "");
		return -1;
	}
	hex = pw_xmalloc(len);
	for (i = 0; i < n; i++) {
		hex[2 * i] = digits[bytes[i] >> 4];
		hex[2 * i + 1] = digits[bytes[i] & 0xf];
	}
	hex[2 * n] = '\n';
	/* Whatever the umask allowed: 0600 exactly. */
	if (fchmod(fd, 0600) < 0) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		goto out;
	}
	while (off < len) {
		w = write(fd, hex + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errsize, "%s: could not write the key: "
			    "%s", path, w < 0 ? strerror(errno) : "short write");
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0) {
		snprintf(err, errsize, "%s: could not write the key: %s", path,
		    strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (close(fd) < 0 && ret == 0) {
		snprintf(err, errsize, "%s: could not write the key: %s", path,
		    strerror(errno));
		ret = -1;
	}
	if (ret < 0)
		unlink(path);
	OPENSSL_cleanse(hex, len);
	free(hex);
	return ret;
}
