/*
 * log.h -- Postfix-style logging to syslog (facility mail) or stderr.
 *
 * One line per event.  Severity prefixes follow Postfix: "warning: ",
 * "error: ", "fatal: "; informational lines have none.  Lines about a
 * message start with its Postfix queue id, or NOQUEUE when none is known:
 * use pw_log_msg().  Text that came from a peer must go through
 * pw_log_escape() first.  No caller may pass a secret.
 *
 * Thread-safe: each line is formatted into a local buffer and written in
 * one call.
 */
#ifndef PW_LOG_H
#define PW_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum pw_log_level {
	PW_LOG_ERROR = 0,
	PW_LOG_WARNING,
	PW_LOG_NOTICE,
	PW_LOG_INFO,
	PW_LOG_DEBUG,
};

#define PW_LOG_PRINTF(f, a)	__attribute__((format(printf, f, a)))

void	pw_log_open(const char *ident, bool to_stderr);
void	pw_log_set_level(enum pw_log_level level);
bool	pw_log_enabled(enum pw_log_level level);
int	pw_log_level_parse(const char *name, enum pw_log_level *level_r);

void	pw_log(enum pw_log_level level, const char *fmt, ...) PW_LOG_PRINTF(2, 3);
void	pw_log_msg(enum pw_log_level level, const char *queue_id,
	    const char *fmt, ...) PW_LOG_PRINTF(3, 4);

/* warning: text: strerror(errno) */
void	pw_log_warn(const char *fmt, ...) PW_LOG_PRINTF(1, 2);
/* warning: text */
void	pw_log_warnx(const char *fmt, ...) PW_LOG_PRINTF(1, 2);
void	pw_log_error(const char *fmt, ...) PW_LOG_PRINTF(1, 2);
void	pw_log_notice(const char *fmt, ...) PW_LOG_PRINTF(1, 2);
void	pw_log_info(const char *fmt, ...) PW_LOG_PRINTF(1, 2);
void	pw_log_debug(const char *fmt, ...) PW_LOG_PRINTF(1, 2);
/* fatal: text, then exit(1) */
void	pw_log_fatal(const char *fmt, ...) PW_LOG_PRINTF(1, 2)
	    __attribute__((noreturn));

/*
 * Copy at most srclen bytes of untrusted text into dst (size dstsize),
 * escaping bytes that are not printable ASCII as \xNN and backslash as \\,
 * and ending with "..." when it had to truncate.  Returns dst.
 */
char	*pw_log_escape(char *dst, size_t dstsize, const char *src,
	    size_t srclen);

#endif
