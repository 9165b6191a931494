// SPDX-License-Identifier: MIT
#include <errno.h>
#include <time.h>

#include "ticker.h"

static void ts_after(struct timespec *ts, uint64_t ns)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ns += (uint64_t)ts->tv_nsec;
	ts->tv_sec += (time_t)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
}

static void *ticker_main(void *arg)
{
	struct ticker *t = arg;
	struct timespec at;

	pthread_mutex_lock(&t->lock);
	ts_after(&at, t->first_ns);
	while (!t->done) {
		if (pthread_cond_timedwait(&t->cond, &t->lock, &at) != ETIMEDOUT || t->done)
			continue;
		/* Unlocked: a tick may take a while, and stop must not wait
		 * for the lock behind it. */
		pthread_mutex_unlock(&t->lock);
		t->tick(t->arg);
		pthread_mutex_lock(&t->lock);
		ts_after(&at, t->period_ns);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int ticker__start(struct ticker *t, uint64_t first_ns, uint64_t period_ns,
		  void (*tick)(void *arg), void *arg)
{
	pthread_condattr_t attr;
	int ret;

	*t = (struct ticker){ .first_ns = first_ns, .period_ns = period_ns, .tick = tick, .arg = arg };
	ret = pthread_condattr_init(&attr);
	if (ret)
		return -ret;
	ret = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (!ret)
		ret = pthread_cond_init(&t->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (ret)
		return -ret;
	ret = pthread_mutex_init(&t->lock, NULL);
	if (!ret) {
		ret = pthread_create(&t->thread, NULL, ticker_main, t);
		if (ret)
			pthread_mutex_destroy(&t->lock);
	}
	if (ret)
		pthread_cond_destroy(&t->cond);
	return -ret;
}

void ticker__stop(struct ticker *t)
{
	pthread_mutex_lock(&t->lock);
	t->done = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
}
