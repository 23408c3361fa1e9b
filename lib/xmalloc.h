/*
 * xmalloc.h -- allocation that never returns NULL.
 *
 * On exhaustion the process logs and exits: every input that could make
 * an allocation large is capped before it gets here, so running out of
 * memory means the machine is in trouble, not that a peer misbehaved.
 */
#ifndef PW_XMALLOC_H
#define PW_XMALLOC_H

#include <stddef.h>

void *pw_xmalloc(size_t size);
void *pw_xcalloc(size_t nmemb, size_t size);
void *pw_xrealloc(void *ptr, size_t size);
char *pw_xstrdup(const char *s);
char *pw_xstrndup(const char *s, size_t n);

#endif
