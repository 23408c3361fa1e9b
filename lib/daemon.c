/*
 * daemon.c -- sockets, pid file, detaching and privileges (see daemon.h).
 *
 * Security: sockets are created under a umask that leaves them
 * inaccessible until pw_daemon_socket_own() gives them their configured
 * mode, so there is no window in which another local user can connect.
 * Stale unix sockets are removed only after a connect() proves nobody
 * listens on them.  Single-threaded use only (start-up).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"

static int pw_daemon_ready_fd = -1;
static char pw_daemon_pid_path[PATH_MAX];
static int pw_daemon_pid_fd = -1;

/* Format an error into err and return -1. */
static int __attribute__((format(printf, 3, 4)))
pw_daemon_err(char *err, size_t errsize, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
	return -1;
}

#define ERR(...)	pw_daemon_err(err, errsize, __VA_ARGS__)

int
pw_daemon_ids(const char *user, const char *group, const char *socket_group,
    struct pw_daemon_ids *ids, char *err, size_t errsize)
{
	struct passwd *pw;
	struct group *gr;

	ids->change = geteuid() == 0;
	ids->uid = geteuid();
	ids->gid = getegid();
	ids->socket_gid = (gid_t)-1;
	if (!ids->change)
		return 0;
	if ((pw = getpwnam(user)) == NULL)
		return ERR("user %s: no such user", user);
	if (pw->pw_uid == 0)
		return ERR("user %s: refusing to run as root", user);
	ids->uid = pw->pw_uid;
	ids->gid = pw->pw_gid;
	if (group != NULL && *group != '\0') {
		if ((gr = getgrnam(group)) == NULL)
			return ERR("group %s: no such group", group);
		ids->gid = gr->gr_gid;
	}
	if (socket_group != NULL && *socket_group != '\0') {
		if ((gr = getgrnam(socket_group)) == NULL)
			return ERR("socket_group %s: no such group",
			    socket_group);
		ids->socket_gid = gr->gr_gid;
	}
	return 0;
}

static int
pw_daemon_sockaddr_un(const char *path, struct sockaddr_un *sun, char *err,
    size_t errsize)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return ERR("%s: socket path too long", path);
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

int
pw_daemon_unix_prepare(const char *path, char *err, size_t errsize)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, ret;

	if (pw_daemon_sockaddr_un(path, &sun, err, errsize) < 0)
		return -1;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return ERR("%s: %s", path, strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return ERR("%s: exists and is not a socket; not removing it",
		    path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return ERR("socket: %s", strerror(errno));
	ret = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (ret == 0)
		return ERR("%s: another process is listening on this socket",
		    path);
	if (errno != ECONNREFUSED)
		return ERR("%s: cannot tell whether socket is in use: %s",
		    path, strerror(errno));
	if (unlink(path) < 0 && errno != ENOENT)
		return ERR("%s: cannot remove stale socket: %s", path,
		    strerror(errno));
	return 0;
}

int
pw_daemon_socket_own(const char *path, int mode,
    const struct pw_daemon_ids *ids, char *err, size_t errsize)
{
	if (ids->change && chown(path, ids->uid, ids->socket_gid != (gid_t)-1 ?
	    ids->socket_gid : ids->gid) < 0)
		return ERR("%s: chown: %s", path, strerror(errno));
	if (chmod(path, (mode_t)mode) < 0)
		return ERR("%s: chmod: %s", path, strerror(errno));
	return 0;
}

static int
pw_daemon_listen_unix(const char *path, int backlog, int mode,
    const struct pw_daemon_ids *ids, char *err, size_t errsize)
{
	struct sockaddr_un sun;
	mode_t old_umask;
	int fd;

	if (pw_daemon_sockaddr_un(path, &sun, err, errsize) < 0 ||
	    pw_daemon_unix_prepare(path, err, errsize) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ERR("socket: %s", strerror(errno));
	old_umask = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		umask(old_umask);
		(void)ERR("bind %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old_umask);
	if (pw_daemon_socket_own(path, mode, ids, err, errsize) < 0)
		goto fail;
	if (listen(fd, backlog) < 0) {
		(void)ERR("listen %s: %s", path, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	unlink(path);
	return -1;
}

static int
pw_daemon_listen_inet(const char *hostport, int backlog, char *err,
    size_t errsize)
{
	struct addrinfo hints, *res, *ai;
	char host[256];
	const char *colon = strrchr(hostport, ':');
	size_t hlen;
	int fd = -1, on = 1, gai;

	if (colon == NULL)
		return ERR("%s: expected host:port", hostport);
	hlen = (size_t)(colon - hostport);
	if (hlen >= 2 && hostport[0] == '[' && hostport[hlen - 1] == ']') {
		hostport++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		return ERR("%s: host name too long", hostport);
	memcpy(host, hostport, hlen);
	host[hlen] = '\0';

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((gai = getaddrinfo(hlen > 0 ? host : NULL, colon + 1, &hints,
	    &res)) != 0)
		return ERR("%s: %s", hostport, gai_strerror(gai));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, backlog) == 0)
			break;
		(void)ERR("bind %s: %s", hostport, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

bool
pw_daemon_endpoint_local(const char *endpoint)
{
	static const unsigned char v6_loopback[16] = { [15] = 1 };
	struct addrinfo hints, *res, *ai;
	const char *hostport = endpoint + 5, *colon;
	char host[256];
	size_t hlen;
	bool local = true;

	if (strncmp(endpoint, "inet:", 5) != 0)
		return strncmp(endpoint, "unix:", 5) == 0;
	if ((colon = strrchr(hostport, ':')) == NULL)
		return false;
	hlen = (size_t)(colon - hostport);
	if (hlen >= 2 && hostport[0] == '[' && hostport[hlen - 1] == ']') {
		hostport++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return false;
	memcpy(host, hostport, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return false;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			const struct sockaddr_in *sin = (const void *)ai->ai_addr;

			if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127)
				local = false;
		} else if (ai->ai_family == AF_INET6) {
			const struct sockaddr_in6 *sin6 =
			    (const void *)ai->ai_addr;

			if (memcmp(&sin6->sin6_addr, v6_loopback, 16) != 0)
				local = false;
		} else {
			local = false;
		}
	}
	freeaddrinfo(res);
	return local;
}

int
pw_daemon_listen(const char *endpoint, int backlog, int mode,
    const struct pw_daemon_ids *ids, char *err, size_t errsize)
{
	err[0] = '\0';
	if (strncmp(endpoint, "unix:", 5) == 0)
		return pw_daemon_listen_unix(endpoint + 5, backlog, mode, ids,
		    err, errsize);
	if (strncmp(endpoint, "inet:", 5) == 0)
		return pw_daemon_listen_inet(endpoint + 5, backlog, err,
		    errsize);
	return ERR("%s: expected unix:/path or inet:host:port", endpoint);
}

int
pw_daemon_detach(char *err, size_t errsize)
{
	int pipefd[2], status, devnull;
	char c;
	pid_t pid;
	ssize_t n;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return ERR("pipe: %s", strerror(errno));
	if ((pid = fork()) < 0)
		return ERR("fork: %s", strerror(errno));
	if (pid > 0) {
		/* Parent: exit 0 once the child says it is ready. */
		close(pipefd[1]);
		do {
			n = read(pipefd[0], &c, 1);
		} while (n < 0 && errno == EINTR);
		if (n == 1)
			_exit(0);
		/* The child died before it was ready; it logged why. */
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
			_exit(WEXITSTATUS(status) != 0 ?
			    WEXITSTATUS(status) : 1);
		_exit(1);
	}
	close(pipefd[0]);
	pw_daemon_ready_fd = pipefd[1];
	if (setsid() < 0)
		return ERR("setsid: %s", strerror(errno));
	if (chdir("/") < 0)
		return ERR("chdir /: %s", strerror(errno));
	if ((devnull = open("/dev/null", O_RDWR)) >= 0) {
		(void)dup2(devnull, STDIN_FILENO);
		(void)dup2(devnull, STDOUT_FILENO);
		(void)dup2(devnull, STDERR_FILENO);
		if (devnull > STDERR_FILENO)
			close(devnull);
	}
	return 0;
}

void
pw_daemon_ready(void)
{
	if (pw_daemon_ready_fd < 0)
		return;
	if (write(pw_daemon_ready_fd, "", 1) < 0) {
		/* The parent is gone; nobody waits for us. */
	}
	close(pw_daemon_ready_fd);
	pw_daemon_ready_fd = -1;
}

/* mkdir -p the pid file's directory, owned by the daemon user. */
static int
pw_daemon_piddir(const char *path, const struct pw_daemon_ids *ids,
    char *err, size_t errsize)
{
	char dir[PATH_MAX];
	char *slash;

	if (strlen(path) >= sizeof(dir))
		return ERR("%s: path too long", path);
	memcpy(dir, path, strlen(path) + 1);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0) {
		if (errno == EEXIST)
			return 0;
		return ERR("%s: mkdir: %s", dir, strerror(errno));
	}
	if (ids->change && chown(dir, ids->uid, ids->gid) < 0)
		return ERR("%s: chown: %s", dir, strerror(errno));
	return 0;
}

int
pw_daemon_pidfile(const char *path, const struct pw_daemon_ids *ids,
    char *err, size_t errsize)
{
	char buf[32];
	ssize_t n;
	int fd, len;

	if (path == NULL || *path == '\0')
		return 0;
	if (strlen(path) >= sizeof(pw_daemon_pid_path))
		return ERR("%s: path too long", path);
	if (pw_daemon_piddir(path, ids, err, errsize) < 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return ERR("%s: open: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		close(fd);
		return ERR("%s: already running (pid %s)", path,
		    buf[0] != '\0' ? buf : "unknown");
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, buf, (size_t)len) != len) {
		(void)ERR("%s: write: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	memcpy(pw_daemon_pid_path, path, strlen(path) + 1);
	pw_daemon_pid_fd = fd;
	return 0;
}

void
pw_daemon_pidfile_remove(void)
{
	if (pw_daemon_pid_fd < 0)
		return;
	/* May fail once privileges are gone; the lock is what counts. */
	(void)unlink(pw_daemon_pid_path);
	close(pw_daemon_pid_fd);
	pw_daemon_pid_fd = -1;
}

int
pw_daemon_drop_privileges(const struct pw_daemon_ids *ids, char *err,
    size_t errsize)
{
	if (!ids->change)
		return 0;
	if (setgroups(1, &ids->gid) < 0)
		return ERR("setgroups: %s", strerror(errno));
	if (setresgid(ids->gid, ids->gid, ids->gid) < 0)
		return ERR("setresgid: %s", strerror(errno));
	if (setresuid(ids->uid, ids->uid, ids->uid) < 0)
		return ERR("setresuid: %s", strerror(errno));
	/* Paranoia: make sure root cannot be regained. */
	if (setresuid(0, 0, 0) == 0)
		return ERR("privileges could not be dropped");
	return 0;
}

int
pw_daemon_raise_nofile(unsigned long *before_r, unsigned long *after_r,
    char *err, size_t errsize)
{
	struct rlimit rl;

	*before_r = *after_r = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return ERR("getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
	/* RLIM_INFINITY is all ones: the cast makes it ULONG_MAX. */
	*before_r = *after_r = (unsigned long)rl.rlim_cur;
	if (rl.rlim_cur >= rl.rlim_max)
		return 0;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return ERR("setrlimit(RLIMIT_NOFILE, %lu): %s",
		    (unsigned long)rl.rlim_max, strerror(errno));
	*after_r = (unsigned long)rl.rlim_cur;
	return 0;
}

int
pw_daemon_thread(pthread_t *tid, void *(*fn)(void *), void *arg)
{
	sigset_t set, old;
	int ret;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	ret = pthread_create(tid, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}
