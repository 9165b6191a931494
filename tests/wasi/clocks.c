// SPDX-License-Identifier: MIT
/* Clocks: realtime looks like now, monotonic never goes back, sleeps
 * last at least as asked, CPU time advances with work. */
#include <time.h>
#include <sys/time.h>
#include <unistd.h>

#include "common.h"

static long long ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts))
		return -1;
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int main(void)
{
	struct timespec res, req = {0, 20000000};
	struct timeval tv;
	long long t0, t1, prev;
	volatile unsigned x = 1;
	int back = 0;

	printf("realtime after 2020: %d\n", ns(CLOCK_REALTIME) > 1577836800ll * 1000000000ll);
	gettimeofday(&tv, NULL);
	printf("gettimeofday close to time(): %d\n", (long long)tv.tv_sec - (long long)time(NULL) <= 1);
	prev = ns(CLOCK_MONOTONIC);
	for (int i = 0; i < 100000; i++) {
		long long t = ns(CLOCK_MONOTONIC);

		back |= t < prev;
		prev = t;
	}
	printf("monotonic never went back: %d\n", !back);
	printf("clock_getres monotonic ok: %d\n",
	       clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0);
	t0 = ns(CLOCK_MONOTONIC);
	nanosleep(&req, NULL);
	t1 = ns(CLOCK_MONOTONIC);
	printf("nanosleep 20ms slept >= 20ms: %d, < 2s: %d\n", t1 - t0 >= 20000000, t1 - t0 < 2000000000);
	t0 = ns(CLOCK_MONOTONIC);
	usleep(10000);
	printf("usleep 10ms: %d\n", ns(CLOCK_MONOTONIC) - t0 >= 10000000);
	t0 = ns(CLOCK_PROCESS_CPUTIME_ID);
	for (int i = 0; i < 3000000; i++)
		x = x * 7 + 1;
	t1 = ns(CLOCK_PROCESS_CPUTIME_ID);
	printf("process cputime advances: %d\n", t0 >= 0 && t1 > t0);
	t0 = ns(CLOCK_THREAD_CPUTIME_ID);
	for (int i = 0; i < 3000000; i++)
		x = x * 7 + 1;
	printf("thread cputime advances: %d\n", t0 >= 0 && ns(CLOCK_THREAD_CPUTIME_ID) > t0);
	struct tm tm;
	time_t fixed = 1700000000;
	gmtime_r(&fixed, &tm);
	char buf[64];
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	printf("gmtime: %s\n", buf);
	return 0;
}
