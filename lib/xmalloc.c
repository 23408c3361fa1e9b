/*
 * xmalloc.c -- allocation that never returns NULL (see xmalloc.h).
 *
 * Thread-safe; failures log through pw_log and exit with status 1.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"

static void
pw_xmalloc_fail(size_t size)
{
	pw_log_fatal("out of memory allocating %zu bytes", size);
}

void *
pw_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		pw_xmalloc_fail(size);
	return p;
}

void *
pw_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		pw_xmalloc_fail(nmemb * size);
	return p;
}

void *
pw_xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		pw_xmalloc_fail(size);
	return p;
}

char *
pw_xstrdup(const char *s)
{
	return pw_xstrndup(s, strlen(s));
}

char *
pw_xstrndup(const char *s, size_t n)
{
	char *p = pw_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
