// SPDX-License-Identifier: MIT
/* One validated module shared by threads, each with its own store and
 * instances, all running at once and all getting the right answers. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"

#define NTHREADS 8
#define ROUNDS 20
#define SIEVE_N 50000
#define PRIMES_BELOW_SIEVE_N 5133

struct worker {
	const struct wbpf_module *mod;
	pthread_barrier_t *instantiated; /* main drops its module ref after it */
	int id;
	int failures; /* rounds with a wrong answer */
};

static uint64_t fib(unsigned n)
{
	uint64_t a = 0, b = 1;

	while (n--) {
		uint64_t t = a + b;

		a = b;
		b = t;
	}
	return a;
}

/* One round on one instance; false on any wrong answer. */
static bool round_ok(struct wbpf_instance *inst, int id, int round)
{
	struct wbpf_val arg = val_i32((uint32_t)(id * 7 + round) % 90), res;
	struct wbpf_val args[2] = { val_i32(SIEVE_N), val_i32(1 + id) };
	struct wbpf_error err = { 0 };

	if (call_export(inst, "fib", &arg, 1, &res, &err) || res.of.i64 != fib(arg.of.i32))
		return false;
	if (call_export(inst, "sieve", args, 2, &res, &err) || res.of.i32 != PRIMES_BELOW_SIEVE_N)
		return false;
	/* 4 is composite: marked with this thread's byte in this memory. */
	arg = val_i32(4);
	if (call_export(inst, "peek8", &arg, 1, &res, &err) || res.of.i32 != (uint32_t)(1 + id))
		return false;
	/* Memory traps (faults caught by a signal handler) in every thread. */
	arg = val_i32(65536);
	if (call_export(inst, "peek8", &arg, 1, &res, &err) != -EFAULT ||
	    err.trap != WBPF_TRAP_MEM_OOB)
		return false;
	arg = val_i32(18);
	return !call_export(inst, "fib_rec", &arg, 1, &res, &err) && res.of.i32 == 2584;
}

static void *work(void *p)
{
	struct worker *w = p;
	struct wbpf_instance *inst[3] = { NULL };
	struct wbpf_store *store = wbpf_store__new(NULL);

	for (int i = 0; store && i < 3; i++)
		inst[i] = wbpf_instance__new(store, w->mod, NULL);
	pthread_barrier_wait(w->instantiated);
	if (!store || !inst[0] || !inst[1] || !inst[2]) {
		w->failures = ROUNDS;
	} else {
		for (int r = 0; r < ROUNDS; r++)
			w->failures += !round_ok(inst[r % 3], w->id, r);
	}
	wbpf_store__free(store);
	return NULL;
}

static void test_shared_module(void)
{
	struct worker workers[NTHREADS];
	pthread_t tids[NTHREADS];
	pthread_barrier_t instantiated;
	struct wbpf_error err = { 0 };
	struct wbpf_module *mod = load_module("compute", &err);
	int started = 0;

	if (!CHECK(mod)) {
		fprintf(stderr, "    compute: %s\n", err.msg);
		return;
	}
	pthread_barrier_init(&instantiated, NULL, NTHREADS + 1);
	for (int i = 0; i < NTHREADS; i++) {
		workers[i] = (struct worker){ .mod = mod, .instantiated = &instantiated, .id = i };
		if (!CHECK(!pthread_create(&tids[i], NULL, work, &workers[i])))
			break;
		started++;
	}
	if (started == NTHREADS) {
		/* The instances hold the module now; dropping our reference while
		 * the threads run exercises the atomic count. */
		pthread_barrier_wait(&instantiated);
		wbpf_module__free(mod);
		mod = NULL;
	}
	for (int i = 0; i < started; i++) {
		pthread_join(tids[i], NULL);
		if (!CHECK_EQ(workers[i].failures, 0))
			fprintf(stderr, "    thread %d: %d wrong rounds\n", i, workers[i].failures);
	}
	/* Still ours only if a thread failed to start; then the others wait at
	 * the barrier until the test's alarm ends them. */
	wbpf_module__free(mod);
	pthread_barrier_destroy(&instantiated);
}

/* Modules made from the same bytes in several threads at once. */
static void *load_and_run(void *p)
{
	struct worker *w = p;
	struct wbpf_module *mod = load_module("compute", NULL);
	struct wbpf_store *store = wbpf_store__new(NULL);
	struct wbpf_instance *inst = mod && store ? wbpf_instance__new(store, mod, NULL) : NULL;

	w->failures = !inst || !round_ok(inst, w->id, 0);
	wbpf_store__free(store);
	wbpf_module__free(mod);
	return NULL;
}

static void test_parallel_loads(void)
{
	struct worker workers[NTHREADS];
	pthread_t tids[NTHREADS];
	int started = 0;

	for (int i = 0; i < NTHREADS; i++) {
		workers[i] = (struct worker){ .id = i };
		if (!CHECK(!pthread_create(&tids[i], NULL, load_and_run, &workers[i])))
			break;
		started++;
	}
	for (int i = 0; i < started; i++) {
		pthread_join(tids[i], NULL);
		CHECK_EQ(workers[i].failures, 0);
	}
}

static const struct check_test tests[] = {
	{ "shared_module", test_shared_module },
	{ "parallel_loads", test_parallel_loads },
};

CHECK_MAIN(tests)
