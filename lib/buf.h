/*
 * buf.h -- growable byte buffer with a hard cap.
 *
 * The contents are always NUL-terminated (data[len] == 0), so a buffer
 * holding text can be passed to string functions.  Appends that would grow
 * the buffer beyond its cap fail and leave it unchanged: the cap is how
 * untrusted input is bounded.  Not thread-safe; one owner at a time.
 */
#ifndef PW_BUF_H
#define PW_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct pw_buf {
	char	*data;		/* NUL-terminated contents, never NULL after init */
	size_t	 len;		/* bytes used, not counting the NUL */
	size_t	 size;		/* bytes allocated */
	size_t	 max;		/* most bytes len may reach */
};

void	pw_buf_init(struct pw_buf *buf, size_t max);
void	pw_buf_free(struct pw_buf *buf);
void	pw_buf_reset(struct pw_buf *buf);
int	pw_buf_append(struct pw_buf *buf, const void *data, size_t len);
int	pw_buf_puts(struct pw_buf *buf, const char *s);
int	pw_buf_printf(struct pw_buf *buf, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	pw_buf_vprintf(struct pw_buf *buf, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
void	pw_buf_consume(struct pw_buf *buf, size_t len);

#endif
