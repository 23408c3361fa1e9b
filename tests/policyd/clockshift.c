/*
 * clockshift.c -- an LD_PRELOAD library for the daemon tests: the wall
 * clock (time, gettimeofday, clock_gettime CLOCK_REALTIME*) of the
 * process runs PW_CLOCK_SHIFT seconds ahead; every other clock is left
 * alone.  It stands in for a host whose clock is wrong, to show which
 * clock a daemon writes (tests/policyd/event_time.sh).
 *
 * Test support only: built without sanitizers (it is preloaded).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long
clockshift_seconds(void)
{
	const char *s = getenv("PW_CLOCK_SHIFT");

	return s != NULL ? atol(s) : 0;
}

int
clock_gettime(clockid_t clk, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	int ret;

	if (real == NULL)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT,
		    "clock_gettime");
	ret = real(clk, ts);
	if (ret == 0 && (clk == CLOCK_REALTIME ||
	    clk == CLOCK_REALTIME_COARSE))
		ts->tv_sec += clockshift_seconds();
	return ret;
}

int
gettimeofday(struct timeval *tv, void *tz)
{
	struct timespec ts;

	(void)tz;
	clock_gettime(CLOCK_REALTIME, &ts);
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t
time(time_t *t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (t != NULL)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
