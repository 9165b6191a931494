// SPDX-License-Identifier: MIT
/*
 * Hook deadlines. A timer per call would cost more than the calls it
 * bounds, so a call only stores its start time (and its thread's CPU
 * clock), and one thread per plugin set looks at every instance a few
 * times per deadline.
 *
 * The deadline is CPU time: on a loaded machine a worker can wait for a
 * CPU longer than a plugin's whole budget, and that is not the plugin's
 * fault. The watchdog reads the worker's CPU clock when it first sees a
 * call and on later looks (up to one period before the first look counts
 * as CPU time). A guest waiting in WASI (poll_oneoff) burns no CPU: a call
 * past its deadline in wall time whose thread sleeps (its state in /proc)
 * is cut too; where /proc cannot tell, WALL_FACTOR deadlines of wall time
 * are the bound.
 *
 * Interrupting the instance's store stops guest code within a few
 * thousand instructions. A call still running two periods after that is
 * blocked in WASI: then the WASI object is interrupted too, which is for
 * good, so the worker rebuilds that instance after the call.
 *
 * The race to close: the watchdog decides on call N, but N returns and
 * N+1 starts before the interrupt lands. The watchdog therefore claims the
 * call by setting a stage in the low bits of its start time (CAS) before
 * interrupting, and a call that finds a stage when it ends waits for that
 * interrupt to have landed; a top-level call clears a store's interrupt
 * when it starts, so nothing stale reaches the next one.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "l7/plugin_impl.h"
#include "ticker.h"

/* The low bits of call_start: which interrupts this call has had. */
#define STAGE_MASK 3u
#define STAGE_STORE 1u
#define STAGE_WASI 2u
#define MIN_PERIOD_NS 100000u	/* 0.1 ms */
#define MAX_PERIOD_NS 10000000u /* 10 ms: load-time calls wait this long more */
#define WALL_FACTOR 100

struct l7_watchdog {
	struct ticker ticker;
	struct l7_plugins *set;
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
	clockid_t cpu;

	/* glibc computes the id from the thread's tid, no system call: only
	 * a new thread costs a gettid(). */
	if (!pthread_getcpuclockid(pthread_self(), &cpu) &&
	    atomic_load_explicit(&pi->cpu_clock, memory_order_relaxed) != (int)cpu) {
		atomic_store(&pi->tid, (int)gettid());
		atomic_store(&pi->cpu_clock, (int)cpu);
	}

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

/* stage: STAGE_STORE, STAGE_WASI or both. */
static void claim(struct l7_plugin_inst *pi, uint64_t v, unsigned stage, uint64_t now)
{
	uint64_t want = (v & ~(uint64_t)STAGE_MASK) | stage;

	pi->seen.claimed = now;
	atomic_store(&pi->irq_pending, true);
	if (atomic_compare_exchange_strong(&pi->call_start, &v, want)) {
		if (stage & STAGE_STORE)
			wbpf_store__interrupt(pi->store);
		if (stage & STAGE_WASI)
			wbpf_wasi__interrupt(pi->wasi);
	}
	atomic_store(&pi->irq_pending, false);
}

/* CPU time the call has used, as far as the watchdog can tell. */
static uint64_t cpu_used(struct l7_plugin_inst *pi, uint64_t start, uint64_t wall, uint64_t period)
{
	struct timespec ts;
	uint64_t cpu;

	if (clock_gettime((clockid_t)atomic_load(&pi->cpu_clock), &ts))
		return wall;
	cpu = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (pi->seen.start != start) {
		pi->seen.start = start;
		pi->seen.lag = wall < period ? wall : period;
		pi->seen.cpu = cpu;
	}
	return pi->seen.lag + (cpu - pi->seen.cpu);
}

/* 1: the thread sleeps (blocked in a system call); 0: it runs or waits
 * for a CPU; -1: unknown. */
static int sleeping(struct l7_plugin_inst *pi)
{
	char path[64], buf[512], *paren;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", atomic_load(&pi->tid));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "tid (comm) S ...": the name may hold anything, the state follows
	 * its last parenthesis. */
	if (!(paren = strrchr(buf, ')')) || paren[1] != ' ')
		return -1;
	return paren[2] == 'S';
}

static void watch(struct l7_plugin_inst *pi, uint64_t now, uint64_t period)
{
	uint64_t v = atomic_load_explicit(&pi->call_start, memory_order_acquire);
	uint64_t start = v & ~(uint64_t)STAGE_MASK, wall = now > start ? now - start : 0;

	if (!v)
		return;
	if (v & STAGE_MASK) {
		if ((v & STAGE_MASK) == STAGE_STORE && now - pi->seen.claimed > 2 * period)
			claim(pi, v, STAGE_WASI, now);
		return;
	}
	if (cpu_used(pi, start, wall, period) > pi->timeout_ns)
		claim(pi, v, STAGE_STORE, now);
	else if (wall > pi->timeout_ns && (sleeping(pi) == 1 || wall > WALL_FACTOR * pi->timeout_ns))
		claim(pi, v, STAGE_STORE | STAGE_WASI, now);
}

static void watch_all(void *arg)
{
	struct l7_watchdog *d = arg;
	struct l7_plugins *set = d->set;

	pthread_mutex_lock(&set->lock);
	for (size_t i = 0; i < set->n_insts; i++)
		watch(set->insts[i], l7_now_ns(), d->period_ns);
	pthread_mutex_unlock(&set->lock);
}

int l7_watchdog__start(struct l7_plugins *set)
{
	struct l7_watchdog *d = calloc(1, sizeof(*d));
	uint64_t period = set->opts.hook_timeout_ns / 4;
	int ret;

	if (!d)
		return -ENOMEM;
	d->set = set;
	d->period_ns = period < MIN_PERIOD_NS ? MIN_PERIOD_NS
		       : period > MAX_PERIOD_NS ? MAX_PERIOD_NS : period;
	ret = ticker__start(&d->ticker, d->period_ns, d->period_ns, watch_all, d);
	if (ret) {
		free(d);
		return ret;
	}
	set->watchdog = d;
	return 0;
}

void l7_watchdog__stop(struct l7_plugins *set)
{
	if (!set->watchdog)
		return;
	ticker__stop(&set->watchdog->ticker);
	free(set->watchdog);
	set->watchdog = NULL;
}
