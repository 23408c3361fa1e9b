/*
 * secret_file.c -- read a file that holds a secret (see secret_file.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret_file.h"

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
