/*
 * redis_fixture.c -- a private redis-server for tests (see
 * redis_fixture.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "redis_fixture.h"

#define PW_FIXTURE_READY_MS	10000
#define PW_FIXTURE_CMD_ARGS	32

long long
pw_redis_fixture_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
pw_redis_fixture_assert_no_secret(const char *s)
{
	if (s == NULL)
		return;
	if (strstr(s, PW_REDIS_FIXTURE_PASSWORD) != NULL ||
	    strstr(s, PW_REDIS_FIXTURE_WRONG_PASSWORD) != NULL)
		fail_msg("secret leaked into: %s", s);
}

void
pw_redis_fixture_nap(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		continue;
}

/* A port on 127.0.0.1 that nobody listens on right now. */
static int
pw_redis_fixture_free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, port = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

int
pw_redis_fixture_init(struct pw_redis_fixture *f, bool tcp,
    const char *const *extra)
{
	const char *tmp = getenv("TMPDIR");
	int i;

	memset(f, 0, sizeof(*f));
	if (tmp == NULL || tmp[0] == '\0' || strlen(tmp) > 60)
		tmp = "/tmp";
	snprintf(f->dir, sizeof(f->dir), "%s/pw-redis-XXXXXX", tmp);
	if (mkdtemp(f->dir) == NULL) {
		fprintf(stderr, "fixture: mkdtemp %s: %s\n", f->dir,
		    strerror(errno));
		f->dir[0] = '\0';
		return -1;
	}
	snprintf(f->sock, sizeof(f->sock), "%s/redis.sock", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/redis.log", f->dir);
	snprintf(f->unix_endpoint, sizeof(f->unix_endpoint), "unix:%s",
	    f->sock);
	if (tcp) {
		if ((f->port = pw_redis_fixture_free_port()) < 0) {
			fprintf(stderr, "fixture: no free port\n");
			return -1;
		}
		snprintf(f->inet_endpoint, sizeof(f->inet_endpoint),
		    "inet:127.0.0.1:%d", f->port);
	}
	for (i = 0; extra != NULL && extra[i] != NULL; i++) {
		if (f->nargs == PW_REDIS_FIXTURE_ARGS) {
			fprintf(stderr, "fixture: too many arguments\n");
			return -1;
		}
		f->args[f->nargs++] = strdup(extra[i]);
	}
	return 0;
}

/* Print the server's log (after a start failure). */
static void
pw_redis_fixture_dump_log(const struct pw_redis_fixture *f)
{
	char buf[4096];
	FILE *fp;
	size_t n;

	if ((fp = fopen(f->log, "r")) == NULL)
		return;
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		fwrite(buf, 1, n, stderr);
	fclose(fp);
}

/* Whether the server answers PING (any reply, NOAUTH included). */
static bool
pw_redis_fixture_answers(const struct pw_redis_fixture *f)
{
	struct timeval tv = { 0, 200000 };
	redisContext *c;
	redisReply *reply;
	bool ok = false;

	c = f->port != 0 ? redisConnectWithTimeout("127.0.0.1", f->port, tv) :
	    redisConnectUnixWithTimeout(f->sock, tv);
	if (c == NULL)
		return false;
	if (c->err == 0 && redisSetTimeout(c, tv) == REDIS_OK &&
	    (reply = redisCommand(c, "PING")) != NULL) {
		ok = true;
		freeReplyObject(reply);
	}
	redisFree(c);
	return ok;
}

int
pw_redis_fixture_start(struct pw_redis_fixture *f)
{
	const char *argv[24 + PW_REDIS_FIXTURE_ARGS];
	const char *server = getenv("PW_REDIS_SERVER");
	char port[16];
	long long deadline;
	int argc = 0, i, fd, status;
	pid_t pid;

	if (server == NULL || server[0] == '\0')
		server = "redis-server";
	snprintf(port, sizeof(port), "%d", f->port);
	argv[argc++] = server;
	argv[argc++] = "--port";
	argv[argc++] = port;
	argv[argc++] = "--bind";
	argv[argc++] = "127.0.0.1";
	argv[argc++] = "--unixsocket";
	argv[argc++] = f->sock;
	argv[argc++] = "--unixsocketperm";
	argv[argc++] = "700";
	argv[argc++] = "--save";
	argv[argc++] = "";
	argv[argc++] = "--appendonly";
	argv[argc++] = "no";
	argv[argc++] = "--dir";
	argv[argc++] = f->dir;
	argv[argc++] = "--daemonize";
	argv[argc++] = "no";
	argv[argc++] = "--enable-debug-command";
	argv[argc++] = "yes";
	for (i = 0; i < f->nargs; i++)
		argv[argc++] = f->args[i];
	argv[argc] = NULL;

	fflush(NULL);
	if ((pid = fork()) < 0) {
		fprintf(stderr, "fixture: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* Die with the test, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
			dup2(fd, STDIN_FILENO);
			close(fd);
		}
		fd = open(f->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		execvp(server, (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", server, strerror(errno));
		_exit(127);
	}
	f->pid = pid;
	deadline = pw_redis_fixture_now_ms() + PW_FIXTURE_READY_MS;
	while (pw_redis_fixture_now_ms() < deadline) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			f->pid = 0;
			fprintf(stderr, "fixture: redis-server exited early\n");
			pw_redis_fixture_dump_log(f);
			return -1;
		}
		if (pw_redis_fixture_answers(f))
			return 0;
		pw_redis_fixture_nap(5);
	}
	fprintf(stderr, "fixture: redis-server not ready in %d ms\n",
	    PW_FIXTURE_READY_MS);
	pw_redis_fixture_dump_log(f);
	pw_redis_fixture_kill(f);
	return -1;
}

void
pw_redis_fixture_kill(struct pw_redis_fixture *f)
{
	if (f->pid <= 0)
		return;
	kill(f->pid, SIGKILL);
	while (waitpid(f->pid, NULL, 0) < 0 && errno == EINTR)
		continue;
	f->pid = 0;
}

void
pw_redis_fixture_signal(struct pw_redis_fixture *f, int sig)
{
	if (f->pid > 0)
		kill(f->pid, sig);
}

void
pw_redis_fixture_stop(struct pw_redis_fixture *f)
{
	char path[512];
	struct dirent *de;
	DIR *d;
	int i;

	/* A failed test may have left stderr captured. */
	pw_redis_fixture_capture_reset();
	pw_redis_fixture_kill(f);
	if (f->dir[0] != '\0' && (d = opendir(f->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", f->dir,
			    de->d_name);
			unlink(path);
		}
		closedir(d);
		rmdir(f->dir);
	}
	f->dir[0] = '\0';
	for (i = 0; i < f->nargs; i++)
		free(f->args[i]);
	f->nargs = 0;
	free(f->admin_user);
	free(f->admin_password);
	f->admin_user = f->admin_password = NULL;
}

void
pw_redis_fixture_set_admin(struct pw_redis_fixture *f, const char *user,
    const char *password)
{
	free(f->admin_user);
	free(f->admin_password);
	f->admin_user = user != NULL ? strdup(user) : NULL;
	f->admin_password = password != NULL ? strdup(password) : NULL;
}

static redisReply *
pw_redis_fixture_vcmd(struct pw_redis_fixture *f, int db, va_list ap)
{
	const char *argv[PW_FIXTURE_CMD_ARGS];
	struct timeval tv = { 5, 0 };
	redisContext *c;
	redisReply *reply = NULL;
	const char *s;
	int argc = 0;

	while ((s = va_arg(ap, const char *)) != NULL &&
	    argc < PW_FIXTURE_CMD_ARGS)
		argv[argc++] = s;
	c = redisConnectUnixWithTimeout(f->sock, tv);
	if (c == NULL || c->err != 0 || redisSetTimeout(c, tv) != REDIS_OK)
		goto out;
	if (f->admin_password != NULL) {
		reply = f->admin_user != NULL ?
		    redisCommand(c, "AUTH %s %s", f->admin_user,
		    f->admin_password) :
		    redisCommand(c, "AUTH %s", f->admin_password);
		if (reply == NULL)
			goto out;
		freeReplyObject(reply);
		reply = NULL;
	}
	if (db != 0) {
		if ((reply = redisCommand(c, "SELECT %d", db)) == NULL)
			goto out;
		freeReplyObject(reply);
		reply = NULL;
	}
	reply = redisCommandArgv(c, argc, argv, NULL);
out:
	if (c != NULL)
		redisFree(c);
	return reply;
}

redisReply *
pw_redis_fixture_cmd(struct pw_redis_fixture *f, ...)
{
	redisReply *reply;
	va_list ap;

	va_start(ap, f);
	reply = pw_redis_fixture_vcmd(f, 0, ap);
	va_end(ap);
	return reply;
}

redisReply *
pw_redis_fixture_cmd_db(struct pw_redis_fixture *f, int db, ...)
{
	redisReply *reply;
	va_list ap;

	va_start(ap, db);
	reply = pw_redis_fixture_vcmd(f, db, ap);
	va_end(ap);
	return reply;
}

struct pw_conf *
pw_redis_fixture_conf(const char *endpoint, const char *more)
{
	char text[2048], err[PW_CONF_ERR_MAX];
	struct pw_conf *conf = NULL;
	int n;

	n = snprintf(text, sizeof(text), "redis_server = %s\n%s", endpoint,
	    more != NULL ? more : "");
	if (n < 0 || (size_t)n >= sizeof(text) ||
	    pw_conf_parse("test.conf", text, (size_t)n, &conf, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "fixture: bad test configuration: %s\n", err);
		return NULL;
	}
	return conf;
}

static int pw_redis_fixture_saved_stderr = -1;
static char pw_redis_fixture_capture_path[] = "/tmp/pw-redis-stderr-XXXXXX";
static char pw_redis_fixture_capture_file[64];

void
pw_redis_fixture_capture_start(void)
{
	int fd;

	memcpy(pw_redis_fixture_capture_file, pw_redis_fixture_capture_path,
	    sizeof(pw_redis_fixture_capture_path));
	fflush(stderr);
	if ((fd = mkstemp(pw_redis_fixture_capture_file)) < 0)
		return;
	pw_redis_fixture_saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

char *
pw_redis_fixture_capture_stop(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp, *mem;
	char buf[1024];
	size_t n;

	if (pw_redis_fixture_saved_stderr < 0)
		return strdup("");
	fflush(stderr);
	dup2(pw_redis_fixture_saved_stderr, STDERR_FILENO);
	close(pw_redis_fixture_saved_stderr);
	pw_redis_fixture_saved_stderr = -1;
	mem = open_memstream(&text, &len);
	if ((fp = fopen(pw_redis_fixture_capture_file, "r")) != NULL) {
		while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
			fwrite(buf, 1, n, mem);
		fclose(fp);
	}
	fclose(mem);
	unlink(pw_redis_fixture_capture_file);
	/* Show what was captured, for the test log. */
	fputs(text, stderr);
	return text;
}

void
pw_redis_fixture_capture_reset(void)
{
	if (pw_redis_fixture_saved_stderr >= 0)
		free(pw_redis_fixture_capture_stop());
}

int
pw_redis_fixture_count(const char *haystack, const char *needle)
{
	const char *p = haystack;
	int n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

int
pw_redis_fixture_setup(void **state, bool tcp, const char *const *extra)
{
	struct pw_redis_fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || pw_redis_fixture_init(f, tcp, extra) < 0 ||
	    pw_redis_fixture_start(f) < 0) {
		if (f != NULL)
			pw_redis_fixture_stop(f);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

int
pw_redis_fixture_teardown(void **state)
{
	struct pw_redis_fixture *f = *state;

	if (f != NULL) {
		pw_redis_fixture_signal(f, SIGCONT);
		pw_redis_fixture_stop(f);
		free(f);
	}
	*state = NULL;
	return 0;
}
