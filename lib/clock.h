/*
 * clock.h -- the one monotonic clock postwarden measures time-outs,
 * deadlines and back-offs with (never the wall clock, which may jump).
 *
 * Threads: reentrant.
 */
#ifndef PW_CLOCK_H
#define PW_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC: never goes back, any origin. */
int64_t	pw_clock_ms(void);

#endif
