// SPDX-License-Identifier: MIT
/*
 * Hook deadlines. A timer per call would cost more than the calls it
 * bounds, so a call only stores its start time, and one thread per plugin
 * set looks at every instance a few times per deadline. Past the deadline
 * it interrupts the instance's store, which stops guest code within a few
 * thousand instructions. A call still running one period later is blocked
 * in WASI (poll_oneoff): then the WASI object is interrupted too, which is
 * for good, so the worker rebuilds that instance afterwards.
 *
 * The race to close: the watchdog decides on call N, but N returns and
 * N+1 starts before the interrupt lands. The watchdog therefore claims the
 * call by setting a stage in the low bits of its start time (CAS) before
 * interrupting, and a call that finds a stage when it ends waits for that
 * interrupt to have landed; a top-level call clears a store's interrupt
 * when it starts, so nothing stale reaches the next one.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "l7/plugin_impl.h"

/* The low bits of call_start: which interrupts this call has had. */
#define STAGE_MASK 3u
#define STAGE_STORE 1u
#define STAGE_WASI 2u
#define MIN_PERIOD_NS 100000u	/* 0.1 ms */
#define MAX_PERIOD_NS 10000000u /* 10 ms: load-time calls wait this long more */

struct l7_watchdog {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	uint64_t period_ns;
};

uint64_t l7_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void l7_watchdog__arm(struct l7_plugin_inst *pi, uint64_t now_ns)
{
	uint64_t v = now_ns & ~(uint64_t)STAGE_MASK;

	atomic_store_explicit(&pi->call_start, v ? v : STAGE_MASK + 1, memory_order_release);
}

int l7_watchdog__disarm(struct l7_plugin_inst *pi)
{
	uint64_t v = atomic_exchange(&pi->call_start, 0);

	if (!(v & STAGE_MASK))
		return 0;
	while (atomic_load(&pi->irq_pending))
		sched_yield();
	return v & STAGE_WASI ? -EINTR : -ETIMEDOUT;
}

static void claim(struct l7_plugin_inst *pi, uint64_t v, unsigned stage)
{
	uint64_t want = (v & ~(uint64_t)STAGE_MASK) | stage;

	atomic_store(&pi->irq_pending, true);
	if (atomic_compare_exchange_strong(&pi->call_start, &v, want)) {
		if (stage == STAGE_STORE)
			wbpf_store__interrupt(pi->store);
		else
			wbpf_wasi__interrupt(pi->wasi);
	}
	atomic_store(&pi->irq_pending, false);
}

static void watch(struct l7_plugin_inst *pi, uint64_t now, uint64_t period)
{
	uint64_t v = atomic_load_explicit(&pi->call_start, memory_order_acquire);
	uint64_t start = v & ~(uint64_t)STAGE_MASK, ran = now > start ? now - start : 0;

	if (!v)
		return;
	if (!(v & STAGE_MASK) && ran > pi->timeout_ns)
		claim(pi, v, STAGE_STORE);
	else if ((v & STAGE_MASK) == STAGE_STORE && ran > pi->timeout_ns + period)
		claim(pi, v, STAGE_WASI);
}

static void *watchdog_main(void *arg)
{
	struct l7_plugins *set = arg;
	struct l7_watchdog *d = set->watchdog;
	struct timespec at;

	pthread_mutex_lock(&d->lock);
	clock_gettime(CLOCK_MONOTONIC, &at);
	while (!d->done) {
		uint64_t ns = (uint64_t)at.tv_nsec + d->period_ns;

		at.tv_sec += (time_t)(ns / 1000000000u);
		at.tv_nsec = (long)(ns % 1000000000u);
		if (pthread_cond_timedwait(&d->cond, &d->lock, &at) != ETIMEDOUT)
			continue;
		pthread_mutex_lock(&set->lock);
		for (size_t i = 0; i < set->n_insts; i++)
			watch(set->insts[i], l7_now_ns(), d->period_ns);
		pthread_mutex_unlock(&set->lock);
		clock_gettime(CLOCK_MONOTONIC, &at);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

int l7_watchdog__start(struct l7_plugins *set)
{
	struct l7_watchdog *d = calloc(1, sizeof(*d));
	pthread_condattr_t attr;
	uint64_t period = set->opts.hook_timeout_ns / 4;

	if (!d)
		return -ENOMEM;
	d->period_ns = period < MIN_PERIOD_NS ? MIN_PERIOD_NS
		       : period > MAX_PERIOD_NS ? MAX_PERIOD_NS : period;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&d->cond, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_init(&d->lock, NULL);
	set->watchdog = d;
	if (pthread_create(&d->thread, NULL, watchdog_main, set)) {
		pthread_cond_destroy(&d->cond);
		pthread_mutex_destroy(&d->lock);
		free(d);
		set->watchdog = NULL;
		return -EAGAIN;
	}
	return 0;
}

void l7_watchdog__stop(struct l7_plugins *set)
{
	struct l7_watchdog *d = set->watchdog;

	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->done = true;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->lock);
	free(d);
	set->watchdog = NULL;
}
