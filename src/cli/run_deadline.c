// SPDX-License-Identifier: MIT
/*
 * `wbpf run --timeout`: a thread that sleeps until the deadline and then
 * interrupts the guest: its loading and its code (wbpf_store__interrupt),
 * any wait in a WASI call (wbpf_wasi__interrupt) or a buffer poll.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/run.h"

/* The store clears its interrupt flag when a top-level call starts, so an
 * interrupt landing between two calls (_initialize, then the function)
 * would be lost: once fired, it is repeated this often until the end. */
#define REPEAT_NS 10000000u

struct run_deadline {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct timespec at;	/* CLOCK_MONOTONIC */
	bool done;
	atomic_bool fired;
	struct wbpf_store *store;
	struct wbpf_wasi *wasi;
	struct wbpf_bpf_host *bpf;
};

static void ts_add(struct timespec *ts, uint64_t ns)
{
	ns += (uint64_t)ts->tv_nsec;
	ts->tv_sec += (time_t)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
}

static void *deadline_main(void *arg)
{
	struct run_deadline *d = arg;

	pthread_mutex_lock(&d->lock);
	while (!d->done) {
		if (pthread_cond_timedwait(&d->cond, &d->lock, &d->at) != ETIMEDOUT || d->done)
			continue;
		atomic_store(&d->fired, true);
		wbpf_store__interrupt(d->store); /* loading or running */
		wbpf_wasi__interrupt(d->wasi);
		if (d->bpf) /* and a wait in a ring or perf buffer poll */
			wbpf_bpf_host__interrupt(d->bpf);
		ts_add(&d->at, REPEAT_NS);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

static int deadline_init(struct run_deadline *d, uint64_t ns)
{
	pthread_condattr_t attr;
	int ret;

	ret = pthread_condattr_init(&attr);
	if (ret)
		return ret;
	ret = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (!ret)
		ret = pthread_cond_init(&d->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (ret)
		return ret;
	ret = pthread_mutex_init(&d->lock, NULL);
	if (ret) {
		pthread_cond_destroy(&d->cond);
		return ret;
	}
	clock_gettime(CLOCK_MONOTONIC, &d->at);
	ts_add(&d->at, ns);
	return 0;
}

int run_deadline__start(struct run_ctx *r)
{
	struct run_deadline *d = calloc(1, sizeof(*d));
	int ret = d ? deadline_init(d, r->opts->timeout_ns) : ENOMEM;

	if (ret) {
		free(d);
		fprintf(stderr, "wbpf run: cannot set up --timeout: %s\n", strerror(ret));
		return -ret;
	}
	d->store = r->store;
	d->wasi = r->wasi;
	ret = pthread_create(&d->thread, NULL, deadline_main, d);
	if (ret) {
		pthread_cond_destroy(&d->cond);
		pthread_mutex_destroy(&d->lock);
		free(d);
		fprintf(stderr, "wbpf run: cannot start the --timeout thread: %s\n", strerror(ret));
		return -ret;
	}
	r->deadline = d;
	return 0;
}

void run_deadline__watch_bpf(struct run_ctx *r)
{
	struct run_deadline *d = r->deadline;

	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->bpf = r->bpf;
	pthread_mutex_unlock(&d->lock);
}

void run_deadline__stop(struct run_ctx *r)
{
	struct run_deadline *d = r->deadline;

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
	r->deadline = NULL;
}

bool run_deadline__fired(const struct run_deadline *d)
{
	return d && atomic_load(&d->fired);
}
