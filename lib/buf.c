/*
 * buf.c -- growable byte buffer with a hard cap (see buf.h).
 *
 * Growth doubles the allocation up to the cap, so appending n bytes one at
 * a time costs O(n).  Every append checks the cap before touching memory.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmalloc.h"

#define PW_BUF_MIN	64

void
pw_buf_init(struct pw_buf *buf, size_t max)
{
	buf->size = PW_BUF_MIN;
	buf->data = pw_xmalloc(buf->size);
	buf->data[0] = '\0';
	buf->len = 0;
	buf->max = max;
}

void
pw_buf_free(struct pw_buf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->size = 0;
}

void
pw_buf_reset(struct pw_buf *buf)
{
	buf->len = 0;
	buf->data[0] = '\0';
}

/* Make room for len more bytes plus the NUL; -1 if that passes the cap. */
static int
pw_buf_reserve(struct pw_buf *buf, size_t len)
{
	size_t need, size;

	if (len > buf->max - buf->len)
		return -1;
	need = buf->len + len + 1;
	if (need <= buf->size)
		return 0;
	for (size = buf->size; size < need; size *= 2)
		;
	buf->data = pw_xrealloc(buf->data, size);
	buf->size = size;
	return 0;
}

/* Append len bytes; 0 on success, -1 (buffer unchanged) past the cap. */
int
pw_buf_append(struct pw_buf *buf, const void *data, size_t len)
{
	if (pw_buf_reserve(buf, len) < 0)
		return -1;
	memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
	return 0;
}

int
pw_buf_puts(struct pw_buf *buf, const char *s)
{
	return pw_buf_append(buf, s, strlen(s));
}

int
pw_buf_vprintf(struct pw_buf *buf, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || pw_buf_reserve(buf, (size_t)n) < 0)
		return -1;
	vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
	buf->len += (size_t)n;
	return 0;
}

/* Append formatted text; 0 on success, -1 (buffer unchanged) past the cap. */
int
pw_buf_printf(struct pw_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = pw_buf_vprintf(buf, fmt, ap);
	va_end(ap);
	return ret;
}

/* Drop the first len bytes (all of them if len >= buf->len). */
void
pw_buf_consume(struct pw_buf *buf, size_t len)
{
	if (len >= buf->len) {
		pw_buf_reset(buf);
		return;
	}
	memmove(buf->data, buf->data + len, buf->len - len);
	buf->len -= len;
	buf->data[buf->len] = '\0';
}
