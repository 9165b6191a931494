/* SPDX-License-Identifier: MIT */
/*
 * A thread that calls a function at a fixed pace until stopped: the
 * `wbpf run --timeout` deadline and the L7 plugins' watchdog both need one,
 * and both must stop it promptly (a condition variable, not a sleep).
 */
#ifndef WBPF_TICKER_H
#define WBPF_TICKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct ticker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* on CLOCK_MONOTONIC */
	bool done;
	uint64_t first_ns, period_ns;
	void (*tick)(void *arg);
	void *arg;
};

/* tick(arg) runs on the ticker's thread first_ns from now, then every
 * period_ns after each run returns. 0 or a negative errno. */
int ticker__start(struct ticker *t, uint64_t first_ns, uint64_t period_ns,
		  void (*tick)(void *arg), void *arg);
/* Wakes the thread and joins it: no tick runs after this returns. */
void ticker__stop(struct ticker *t);

#endif
