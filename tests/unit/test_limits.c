// SPDX-License-Identifier: MIT
/* The store's limits: fuel, interrupts from another thread, the memory
 * cap, the call depth, and recursion that must end in a trap. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

#define INTERRUPT_DEADLINE_MS 5000

static struct wbpf_store_opts opts_of(uint32_t depth, size_t stack, uint64_t mem)
{
	return (struct wbpf_store_opts){
		.sz = sizeof(struct wbpf_store_opts),
		.stack_bytes = stack,
		.max_call_depth = depth,
		.max_memory_bytes = mem,
	};
}

static uint64_t iters(struct fixture *fx)
{
	struct wbpf_val v = { 0 };
	struct wbpf_error err = { 0 };

	CHECK(!call_export(fx->inst, "iters", NULL, 0, &v, &err));
	return v.of.i64;
}

/* Fuel used by count(n), starting from a full tank. */
static uint64_t fuel_for_count(struct fixture *fx, uint32_t n)
{
	const uint64_t tank = 1000000000;

	wbpf_store__set_fuel(fx->store, tank);
	CHECK_EQ(CALL_I32(fx->inst, "count", 1, n), n);
	return tank - wbpf_store__fuel(fx->store);
}

static void test_fuel_exhaustion(void)
{
	struct fixture fx;
	uint64_t done;

	if (!fixture_open(&fx, "limits", NULL))
		return;
	wbpf_store__set_fuel(fx.store, 10000);
	EXPECT_TRAP(fx.inst, "spin", NULL, 0, WBPF_TRAP_FUEL, "spin");
	CHECK(wbpf_store__fuel(fx.store) < 10000);
	/* Work was done, and each iteration cost at least one unit (read
	 * with fuel off: the tank is empty). */
	wbpf_store__disable_fuel(fx.store);
	done = iters(&fx);
	CHECK(done > 0 && done <= 10000);
	wbpf_store__set_fuel(fx.store, 10000);
	EXPECT_TRAP(fx.inst, "spin_calls", NULL, 0, WBPF_TRAP_FUEL, "spin_calls");
	/* Refuelled, the instance goes on. */
	wbpf_store__set_fuel(fx.store, 1000000);
	CHECK_EQ(CALL_I32(fx.inst, "count", 1, 10), 10);
	fixture_close(&fx);
}

static void test_fuel_accounting(void)
{
	struct wbpf_val arg = val_i32(1000);
	uint64_t small, big;
	struct fixture fx;

	if (!fixture_open(&fx, "limits", NULL))
		return;
	small = fuel_for_count(&fx, 10);
	big = fuel_for_count(&fx, 1000);
	CHECK(small > 0);
	CHECK(big > small);
	CHECK(big >= 1000);
	/* Deterministic: the same run costs the same. */
	CHECK_EQ(fuel_for_count(&fx, 1000), big);
	wbpf_store__set_fuel(fx.store, big / 2);
	EXPECT_TRAP(fx.inst, "count", &arg, 1, WBPF_TRAP_FUEL, "count");
	fixture_close(&fx);
}

/* A trap charges what ran, not the engine's unspent fuel in hand. */
static void test_fuel_after_trap(void)
{
	const uint64_t tank = 1000000;
	struct wbpf_val a[2] = { val_i32(WASM_PAGE), val_i32(0) };
	struct fixture fx;

	if (!fixture_open(&fx, "limits", NULL))
		return;
	wbpf_store__set_fuel(fx.store, tank);
	EXPECT_TRAP(fx.inst, "div", a, 2, WBPF_TRAP_DIV_ZERO, "div");
	if (!CHECK(tank - wbpf_store__fuel(fx.store) < 100))
		fprintf(stderr, "    div: %" PRIu64 " units\n", tank - wbpf_store__fuel(fx.store));
	wbpf_store__set_fuel(fx.store, tank);
	EXPECT_TRAP(fx.inst, "load", a, 1, WBPF_TRAP_MEM_OOB, "load");
	if (!CHECK(tank - wbpf_store__fuel(fx.store) < 100))
		fprintf(stderr, "    load: %" PRIu64 " units\n", tank - wbpf_store__fuel(fx.store));
	fixture_close(&fx);
}

static void test_fuel_off(void)
{
	struct wbpf_val arg = val_i32(100000);
	struct fixture fx;

	if (!fixture_open(&fx, "limits", NULL))
		return;
	/* Fuel is off until set. */
	CHECK_EQ(CALL_I32(fx.inst, "count", 1, 100000), 100000);
	wbpf_store__set_fuel(fx.store, 100);
	EXPECT_TRAP(fx.inst, "count", &arg, 1, WBPF_TRAP_FUEL, "count");
	wbpf_store__disable_fuel(fx.store);
	CHECK_EQ(CALL_I32(fx.inst, "count", 1, 100000), 100000);
	fixture_close(&fx);
}

struct runner {
	struct wbpf_instance *inst;
	const char *name;
	int rc;
	struct wbpf_error err;
	atomic_bool done;
};

static void *run_endless(void *p)
{
	struct runner *r = p;

	r->rc = call_export(r->inst, r->name, NULL, 0, NULL, &r->err);
	atomic_store(&r->done, true);
	return NULL;
}

static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

/* Runs the endless export `name` in a thread and interrupts it from
 * here. Interrupting again and again covers a first interrupt that lands
 * before the call starts (and is cleared by it). */
static void interrupt_endless(struct fixture *fx, const char *name)
{
	struct runner r = { .inst = fx->inst, .name = name };
	const struct timespec tick = { .tv_nsec = 10 * 1000000 };
	struct timespec start;
	pthread_t tid;

	if (!CHECK(!pthread_create(&tid, NULL, run_endless, &r)))
		return;
	clock_gettime(CLOCK_MONOTONIC, &start);
	nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000000 }, NULL);
	while (!atomic_load(&r.done) && elapsed_ms(&start) < INTERRUPT_DEADLINE_MS) {
		wbpf_store__interrupt(fx->store);
		nanosleep(&tick, NULL);
	}
	if (!CHECK(atomic_load(&r.done))) {
		fprintf(stderr, "    %s still running after %d ms of interrupts\n", name,
			INTERRUPT_DEADLINE_MS);
		/* Joining would hang and `r` must outlive the thread: end here. */
		_exit(1);
	}
	pthread_join(tid, NULL);
	CHECK_EQ(r.rc, -EFAULT);
	CHECK_EQ(r.err.kind, WBPF_ERR_TRAP);
	CHECK_EQ(r.err.trap, WBPF_TRAP_INTERRUPTED);
	CHECK_HAS(r.err.msg, name);
}

static void test_interrupt(void)
{
	struct fixture fx;

	if (!fixture_open(&fx, "limits", NULL))
		return;
	interrupt_endless(&fx, "spin");
	CHECK(iters(&fx) > 0);
	CHECK_EQ(CALL_I32(fx.inst, "count", 1, 5), 5);
	interrupt_endless(&fx, "spin_calls");
	CHECK_EQ(CALL_I32(fx.inst, "count", 1, 5), 5);
	fixture_close(&fx);
}

/* Few instructions but much work per iteration: the interrupt must still
 * be noticed promptly, and a small fuel budget must mean a short run. */
static void test_bulk_loops(void)
{
	struct timespec start;
	struct fixture fx;

	if (!fixture_open(&fx, "limits_bulk", NULL))
		return;
	interrupt_endless(&fx, "fill_forever");
	interrupt_endless(&fx, "table_fill_forever");
	wbpf_store__set_fuel(fx.store, 10000);
	clock_gettime(CLOCK_MONOTONIC, &start);
	EXPECT_TRAP(fx.inst, "fill_forever", NULL, 0, WBPF_TRAP_FUEL, "fill_forever");
	if (!CHECK(elapsed_ms(&start) < INTERRUPT_DEADLINE_MS))
		fprintf(stderr, "    10000 units of fuel lasted %ld ms\n", elapsed_ms(&start));
	fixture_close(&fx);
}

/* The flag is cleared when a top-level call starts. */
static void test_interrupt_before_call(void)
{
	struct fixture fx;

	if (!fixture_open(&fx, "limits", NULL))
		return;
	wbpf_store__interrupt(fx.store);
	CHECK_EQ(CALL_I32(fx.inst, "count", 1, 1000), 1000);
	fixture_close(&fx);
}

static void test_memory_cap(void)
{
	struct wbpf_store_opts opts = opts_of(0, 0, 3 * WASM_PAGE);
	struct fixture fx;

	if (!fixture_open(&fx, "limits", &opts))
		return;
	CHECK_EQ(CALL_I32(fx.inst, "grow", 1, 1), 1);
	CHECK_EQ(CALL_I32(fx.inst, "grow", 1, 1), 2);
	CHECK_EQ(CALL_I32(fx.inst, "grow", 1, 1), (uint32_t)-1);
	CHECK_EQ(CALL_I32(fx.inst, "grow", 1, 0x10000), (uint32_t)-1);
	CHECK_EQ(CALL_I32(fx.inst, "size", 0), 3);
	CHECK_EQ(wbpf_memory__grow(wbpf_instance__memory(fx.inst), 1), -1);
	CHECK_EQ(wbpf_memory__size(wbpf_instance__memory(fx.inst)), 3 * WASM_PAGE);
	fixture_close(&fx);

	/* A cap between page sizes rounds down. */
	opts = opts_of(0, 0, 100000);
	if (!fixture_open(&fx, "limits", &opts))
		return;
	CHECK_EQ(CALL_I32(fx.inst, "grow", 1, 1), (uint32_t)-1);
	CHECK_EQ(CALL_I32(fx.inst, "size", 0), 1);
	fixture_close(&fx);
}

static void test_memory_cap_at_instantiation(void)
{
	struct wbpf_store_opts opts = opts_of(0, 0, 3 * WASM_PAGE);
	struct fixture fx;

	if (!fixture_load(&fx, "limits_bigmem", &opts))
		return;
	fx.inst = wbpf_instance__new(fx.store, fx.mod, &fx.err);
	CHECK(!fx.inst);
	CHECK(fx.err.kind != WBPF_OK && fx.err.msg[0]);
	fixture_close(&fx);
}

static void test_call_depth(void)
{
	struct wbpf_val arg = val_i32(150);
	struct wbpf_store_opts opts = opts_of(100, 0, 0);
	struct fixture fx;

	if (!fixture_open(&fx, "limits", &opts))
		return;
	CHECK_EQ(CALL_I32(fx.inst, "depth", 1, 50), 50);
	EXPECT_TRAP(fx.inst, "depth", &arg, 1, WBPF_TRAP_STACK_EXHAUSTED, "depth");
	CHECK_EQ(CALL_I32(fx.inst, "depth", 1, 90), 90);
	fixture_close(&fx);

	/* A larger limit lets the same recursion through. */
	opts = opts_of(1000, 0, 0);
	if (!fixture_open(&fx, "limits", &opts))
		return;
	CHECK_EQ(CALL_I32(fx.inst, "depth", 1, 150), 150);
	arg = val_i32(1100);
	EXPECT_TRAP(fx.inst, "depth", &arg, 1, WBPF_TRAP_STACK_EXHAUSTED, "depth");
	fixture_close(&fx);
}

static void test_default_depth(void)
{
	struct wbpf_val arg = val_i32(20000);
	struct fixture fx;

	if (!fixture_open(&fx, "limits", NULL))
		return;
	CHECK_EQ(CALL_I32(fx.inst, "depth", 1, 5000), 5000);
	EXPECT_TRAP(fx.inst, "depth", &arg, 1, WBPF_TRAP_STACK_EXHAUSTED, "depth");
	fixture_close(&fx);
}

/* With a depth limit far beyond what a C stack could hold, the value
 * stack must end endless recursion: a trap, never a host stack overflow. */
static void test_deep_recursion(void)
{
	static const size_t stacks[] = { 64 << 10, 1 << 20, 64 << 20 };
	struct wbpf_val arg = val_i32(0);
	struct fixture fx;

	for (size_t i = 0; i < sizeof(stacks) / sizeof(stacks[0]); i++) {
		struct wbpf_store_opts opts = opts_of(1000000, stacks[i], 0);

		if (!fixture_open(&fx, "limits", &opts))
			return;
		EXPECT_TRAP(fx.inst, "forever", &arg, 1, WBPF_TRAP_STACK_EXHAUSTED, "forever");
		EXPECT_TRAP(fx.inst, "fat", &arg, 1, WBPF_TRAP_STACK_EXHAUSTED, "fat");
		CHECK_EQ(CALL_I32(fx.inst, "depth", 1, 100), 100);
		fixture_close(&fx);
	}
}

static const struct check_test tests[] = {
	{ "fuel_exhaustion", test_fuel_exhaustion },
	{ "fuel_accounting", test_fuel_accounting },
	{ "fuel_after_trap", test_fuel_after_trap },
	{ "fuel_off", test_fuel_off },
	{ "interrupt", test_interrupt },
	{ "interrupt_before_call", test_interrupt_before_call },
	{ "bulk_loops", test_bulk_loops },
	{ "memory_cap", test_memory_cap },
	{ "memory_cap_at_instantiation", test_memory_cap_at_instantiation },
	{ "call_depth", test_call_depth },
	{ "default_depth", test_default_depth },
	{ "deep_recursion", test_deep_recursion },
};

CHECK_MAIN(tests)
