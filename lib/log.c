/*
 * log.c -- Postfix-style logging (see log.h).
 *
 * Before pw_log_open() lines go to stderr, so that configuration errors
 * found during start-up are visible on the terminal.  In foreground mode
 * lines go to stderr as "ident[pid]: text"; otherwise to syslog with
 * facility mail and LOG_PID.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

#define PW_LOG_LINE_MAX	2048

static const char *pw_log_ident = "postwarden";
static bool pw_log_stderr = true;
static enum pw_log_level pw_log_threshold = PW_LOG_INFO;

static const struct {
	const char *name;
	enum pw_log_level level;
	int priority;
	const char *prefix;
} pw_log_levels[] = {
	{ "error",	PW_LOG_ERROR,	LOG_ERR,	"error: " },
	{ "warning",	PW_LOG_WARNING,	LOG_WARNING,	"warning: " },
	{ "notice",	PW_LOG_NOTICE,	LOG_NOTICE,	"" },
	{ "info",	PW_LOG_INFO,	LOG_INFO,	"" },
	{ "debug",	PW_LOG_DEBUG,	LOG_DEBUG,	"debug: " },
};

void
pw_log_open(const char *ident, bool to_stderr)
{
	pw_log_ident = ident;
	pw_log_stderr = to_stderr;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
pw_log_set_level(enum pw_log_level level)
{
	pw_log_threshold = level;
}

bool
pw_log_enabled(enum pw_log_level level)
{
	return level <= pw_log_threshold;
}

/* Map a level name to its value; 0 when known, -1 otherwise. */
int
pw_log_level_parse(const char *name, enum pw_log_level *level_r)
{
	size_t i;

	for (i = 0; i < sizeof(pw_log_levels) / sizeof(pw_log_levels[0]); i++) {
		if (strcasecmp(name, pw_log_levels[i].name) == 0) {
			*level_r = pw_log_levels[i].level;
			return 0;
		}
	}
	return -1;
}

static void PW_LOG_PRINTF(4, 0)
pw_log_emit(int priority, const char *prefix, const char *queue_id,
    const char *fmt, va_list ap, const char *suffix)
{
	char line[PW_LOG_LINE_MAX];
	size_t off = 0;
	int n;

	if (pw_log_stderr) {
		n = snprintf(line, sizeof(line), "%s[%ld]: ", pw_log_ident,
		    (long)getpid());
		off = n > 0 ? (size_t)n : 0;
	}
	if (queue_id != NULL && off < sizeof(line)) {
		n = snprintf(line + off, sizeof(line) - off, "%s: ",
		    queue_id[0] != '\0' ? queue_id : "NOQUEUE");
		off += n > 0 ? (size_t)n : 0;
	}
	if (off < sizeof(line)) {
		n = snprintf(line + off, sizeof(line) - off, "%s", prefix);
		off += n > 0 ? (size_t)n : 0;
	}
	if (off < sizeof(line)) {
		n = vsnprintf(line + off, sizeof(line) - off, fmt, ap);
		off += n > 0 ? (size_t)n : 0;
	}
	if (suffix != NULL && off < sizeof(line)) {
		n = snprintf(line + off, sizeof(line) - off, ": %s", suffix);
		off += n > 0 ? (size_t)n : 0;
	}
	if (off >= sizeof(line))
		off = sizeof(line) - 1;

	if (pw_log_stderr) {
		line[off++] = '\n';
		/* One write per line keeps lines from threads whole. */
		if (write(STDERR_FILENO, line, off) < 0)
			return;
	} else {
		syslog(priority, "%.*s", (int)off, line);
	}
}

static void PW_LOG_PRINTF(3, 0)
pw_log_vlevel(enum pw_log_level level, const char *queue_id,
    const char *fmt, va_list ap, const char *suffix)
{
	if (!pw_log_enabled(level))
		return;
	pw_log_emit(pw_log_levels[level].priority, pw_log_levels[level].prefix,
	    queue_id, fmt, ap, suffix);
}

void
pw_log(enum pw_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pw_log_vlevel(level, NULL, fmt, ap, NULL);
	va_end(ap);
}

void
pw_log_msg(enum pw_log_level level, const char *queue_id, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pw_log_vlevel(level, queue_id != NULL ? queue_id : "", fmt, ap, NULL);
	va_end(ap);
}

void
pw_log_warn(const char *fmt, ...)
{
	char errbuf[128];
	int saved = errno;
	va_list ap;

	/* strerror_r is thread-safe; GNU flavour may return a static string. */
	const char *err = strerror_r(saved, errbuf, sizeof(errbuf));

	va_start(ap, fmt);
	pw_log_vlevel(PW_LOG_WARNING, NULL, fmt, ap, err);
	va_end(ap);
	errno = saved;
}

#define PW_LOG_FUNC(name, level)				\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
								\
	va_start(ap, fmt);					\
	pw_log_vlevel(level, NULL, fmt, ap, NULL);		\
	va_end(ap);						\
}

PW_LOG_FUNC(pw_log_warnx, PW_LOG_WARNING)
PW_LOG_FUNC(pw_log_error, PW_LOG_ERROR)
PW_LOG_FUNC(pw_log_notice, PW_LOG_NOTICE)
PW_LOG_FUNC(pw_log_info, PW_LOG_INFO)
PW_LOG_FUNC(pw_log_debug, PW_LOG_DEBUG)

void
pw_log_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pw_log_emit(LOG_CRIT, "fatal: ", NULL, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}

char *
pw_log_escape(char *dst, size_t dstsize, const char *src, size_t srclen)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (dstsize == 0)
		return dst;
	for (i = 0; i < srclen; i++) {
		unsigned char c = (unsigned char)src[i];
		size_t need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 :
		    c == '\\' ? 2 : 4;

		/* Keep room for "..." and the NUL. */
		if (o + need + 4 > dstsize) {
			if (dstsize >= 4) {
				memcpy(dst + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (need == 1) {
			dst[o++] = (char)c;
		} else if (need == 2) {
			dst[o++] = '\\';
			dst[o++] = '\\';
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		}
	}
	dst[o] = '\0';
	return dst;
}
