/*
 * cli_check_file.c -- a secret file as the daemons read it (see
 * cli_check.h): the tracking keyring through lib/track_keyring.c, the
 * other keys (auth_pepper_file, dkim_kek_file) through
 * lib/secret_file.c, with the same mode and owner checks.
 *
 * The daemons read these files as root at start and as their user on
 * SIGHUP, so the verdict is the user's: when we are root a child process
 * drops to conf's user (lib/daemon.c) and reads; its verdict comes back
 * on a pipe.  When we are not root we read as ourselves and say so.
 *
 * Security: the bytes read are wiped in the child (which then exits);
 * only the verdict text (path and why, never the contents) crosses the
 * pipe.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli_check.h"
#include "daemon.h"
#include "secret_file.h"
#include "track_keyring.h"

/* The biggest key file we read (hex text of a 64-byte key is 129). */
#define CLI_CHECK_FILE_MAX	4096

/* Read path as the daemons do: 0, or -1 and why in err. */
static int
cli_check_file_read(const struct pw_conf *conf, const char *what,
    const char *path, char *err, size_t errsize)
{
	struct pw_track_keyring kr;
	char buf[CLI_CHECK_FILE_MAX + 1];
	size_t len;
	int ret;

	pw_secret_file_owner(conf->user);
	if (strcmp(what, "tracking_secret_file") == 0) {
		memset(&kr, 0, sizeof(kr));
		ret = pw_track_keyring_load(path, conf->dkim_key_mode_check,
		    &kr, err, errsize);
		if (ret == 0)
			pw_track_keyring_free(&kr);
		return ret;
	}
	ret = pw_secret_file_read(path, conf->dkim_key_mode_check, what, buf,
	    CLI_CHECK_FILE_MAX, &len, err, errsize);
	OPENSSL_cleanse(buf, sizeof(buf));
	return ret;
}

void
cli_check_file(const struct pw_conf *conf, const char *what,
    const char *path, struct cli_check_verdict *v)
{
	struct pw_daemon_ids ids;
	char err[sizeof(v->detail)] = "";
	int p[2], status = -1;	/* -1: not "exited 0" */
	ssize_t n;
	pid_t pid;

	v->status = CLI_CHECK_NOT_READY;
	if (*path == '\0') {
		v->status = CLI_CHECK_NOT_CONFIGURED;
		*v->detail = '\0';
		return;
	}
	if (pw_daemon_ids(conf->user, conf->group, "", &ids, err,
	    sizeof(err)) < 0) {
		snprintf(v->detail, sizeof(v->detail), "%s", err);
		return;
	}
	if (!ids.change) {
		if (cli_check_file_read(conf, what, path, err,
		    sizeof(err)) < 0)
			snprintf(v->detail, sizeof(v->detail), "%s", err);
		else {
			v->status = CLI_CHECK_READY;
			snprintf(v->detail, sizeof(v->detail), "%s (read as "
			    "uid %lu, not as user %s: run as root to check "
			    "as the daemons)", path, (unsigned long)getuid(),
			    conf->user);
		}
		return;
	}
	if (pipe(p) < 0) {
		snprintf(v->detail, sizeof(v->detail), "cannot make a pipe: %s",
		    strerror(errno));
		return;
	}
	if ((pid = fork()) < 0) {
		snprintf(v->detail, sizeof(v->detail), "cannot fork: %s",
		    strerror(errno));
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0) {
		close(p[0]);
		if (pw_daemon_drop_privileges(&ids, err, sizeof(err)) < 0 ||
		    cli_check_file_read(conf, what, path, err,
		    sizeof(err)) < 0) {
			(void)!write(p[1], err, strlen(err));
			_exit(1);
		}
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], err, sizeof(err) - 1);
	err[n > 0 ? n : 0] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		v->status = CLI_CHECK_READY;
		snprintf(v->detail, sizeof(v->detail), "%s (read as user %s)",
		    path, conf->user);
	} else
		snprintf(v->detail, sizeof(v->detail), "%s (as user %s)",
		    *err != '\0' ? err : "cannot be read", conf->user);
}
