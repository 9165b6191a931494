// SPDX-License-Identifier: MIT
/*
 * The guest-facing modules (`wbpf`, `wasm_bpf`, `callback-wrapper`) run by
 * the engine: tests/bpf/abi_guest.c calls them with good and hostile
 * arguments while this harness makes the events. Callbacks that trap or
 * never return must end the call with a trap and leave nothing behind.
 *
 * usage: test_abi PROBE.bpf.o ABI_GUEST.wasm    (root; 77 = skipped)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wbpf/bpf.h"
#include "wbpf/wasm.h"
#include "util.h"

static void *elf_bytes, *wasm_bytes;
static size_t elf_size, wasm_size;

struct guest {
	struct wbpf_store *store;
	struct wbpf_bpf_host *host;
	struct wbpf_module *mod;
	struct wbpf_instance *inst;
	struct wbpf_error err;
};

static bool guest_up(struct guest *g)
{
	struct wbpf_bpf_host_opts opts = { .sz = sizeof(opts), .quiet = true };

	memset(g, 0, sizeof(*g));
	g->store = wbpf_store__new(NULL);
	g->host = wbpf_bpf_host__new(&opts);
	if (!CHECK(g->store && g->host) || !CHECK_EQ(wbpf_bpf_abi__define(g->store, g->host), 0))
		return false;
	g->mod = wbpf_module__new(wasm_bytes, wasm_size, &g->err);
	if (!CHECK(g->mod))
		return fprintf(stderr, "  %s\n", g->err.msg), false;
	g->inst = wbpf_instance__new(g->store, g->mod, &g->err);
	if (!CHECK(g->inst))
		return fprintf(stderr, "  %s\n", g->err.msg), false;
	return true;
}

/* The instance ends (as after a trap or a deadline): the host goes with it. */
static void guest_down(struct guest *g)
{
	wbpf_bpf_host__free(g->host);
	wbpf_store__free(g->store);
	wbpf_module__free(g->mod);
}

/* Calls export `name` with i32 arguments; returns its i32 result, or the
 * call's error (-EFAULT for a trap, g->err says which). */
static int call(struct guest *g, const char *name, int nargs, uint32_t a0, uint32_t a1)
{
	struct wbpf_func *fn = wbpf_instance__func(g->inst, name);
	struct wbpf_val args[2] = { { .type = WBPF_I32, .of.i32 = a0 },
				    { .type = WBPF_I32, .of.i32 = a1 } };
	struct wbpf_val res = { .type = WBPF_I32 };
	struct wbpf_functype ft;
	int rc;

	if (!CHECK(fn))
		return -ENOENT;
	wbpf_func__type(fn, &ft);
	rc = wbpf_func__call(fn, args, (size_t)nargs, &res, ft.nresults, &g->err);
	return rc ? rc : (int)res.of.i32;
}

#define CALL0(g, name) call(g, name, 0, 0, 0)
#define CALL1(g, name, a) call(g, name, 1, (uint32_t)(a), 0)
#define CALL2(g, name, a, b) call(g, name, 2, (uint32_t)(a), (uint32_t)(b))

static bool put_elf(struct guest *g)
{
	int addr = CALL0(g, "elf_buf");

	return CHECK(addr > 0) &&
	       CHECK_EQ(wbpf_memory__write(wbpf_instance__memory(g->inst), (uint64_t)addr, elf_bytes,
					   elf_size), 0);
}

/* A callback's trap reaches the embedder as it was: its code, and a
 * message naming the callback and the guest frames below the poll. */
static void expect_trap(struct guest *g, int rc, enum wbpf_trap trap)
{
	CHECK_EQ(rc, -EFAULT);
	CHECK_EQ(g->err.kind, WBPF_ERR_TRAP);
	CHECK_EQ(g->err.trap, trap);
	if (!CHECK(strstr(g->err.msg, "in function 'on_ring'") && strstr(g->err.msg, "at poll_once")))
		fprintf(stderr, "  trap message: %s\n", g->err.msg);
}

struct stat_sum {
	uint64_t ring, perf;
};

static void add_stat(void *ctx, const struct wbpf_bpf_buffer_stats *st)
{
	struct stat_sum *sum = ctx;

	if (!strcmp(st->type, "ringbuf"))
		sum->ring += st->events;
	else
		sum->perf += st->events;
}

static void test_wbpf(void)
{
	struct stat_sum sum = { 0 };
	struct guest g;

	if (!guest_up(&g) || !put_elf(&g))
		goto out;
	if (!CHECK_EQ(CALL2(&g, "setup", elf_size, getpid()), 0))
		goto out;
	hit_tracepoints(300);
	CHECK_EQ(CALL1(&g, "drain", 300), 300);
	/* Every record counted, though a ring's drain adds its count once. */
	wbpf_bpf_host__buffer_stats(g.host, add_stat, &sum);
	CHECK_EQ(sum.ring, 300);
	CHECK_EQ(sum.perf, 300);
	CHECK_EQ(CALL0(&g, "check_maps"), 0);
	CHECK_EQ(CALL0(&g, "hostile"), 0);

	/* Records larger than the scratch buffer are counted, not delivered. */
	int small = CALL0(&g, "oversize");
	CHECK(small > 0);
	hit_tracepoints(2);
	CHECK_EQ(CALL1(&g, "small_poll", small), 0);

	hit_tracepoints(3);
	CHECK_EQ(CALL1(&g, "batch_read", 3), 0);

	/* Inside a callback: no poll, no free, no close. */
	CALL1(&g, "set_mode", 3);
	hit_tracepoints(1);
	CHECK_EQ(CALL0(&g, "poll_once"), 1);
	CHECK_EQ(CALL0(&g, "ring_bad"), 0);

	/* A negative return ends the poll with it, after that one record:
	 * each poll takes the next, none is lost or seen twice. */
	CALL1(&g, "set_mode", 5);
	hit_tracepoints(3);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(CALL0(&g, "poll_once"), -42);
	CHECK_EQ(CALL0(&g, "poll_once"), 0);
	CHECK_EQ(CALL0(&g, "ring_bad"), 0);

	/* A trapping callback: the poll traps with it. */
	CALL1(&g, "set_mode", 1);
	hit_tracepoints(1);
	expect_trap(&g, CALL0(&g, "poll_once"), WBPF_TRAP_UNREACHABLE);
	/* A callback that never returns: the budget ends it. */
	CALL1(&g, "set_mode", 2);
	hit_tracepoints(1);
	wbpf_store__set_fuel(g.store, 1000000);
	expect_trap(&g, CALL0(&g, "poll_once"), WBPF_TRAP_FUEL);
	wbpf_store__disable_fuel(g.store);
	/* The host survives both and the guest can still clean up. */
	CALL1(&g, "set_mode", 0);
	CHECK_EQ(CALL0(&g, "close_all"), 0);
	CHECK_EQ(wbpf_bpf_host__handle_count(g.host), 0);
out:
	guest_down(&g);
}

/* Ends with everything open, right after a trap. */
static void test_trap_teardown(void)
{
	struct guest g;

	if (!guest_up(&g) || !put_elf(&g) || !CHECK_EQ(CALL2(&g, "setup", elf_size, getpid()), 0))
		goto out;
	CALL1(&g, "set_mode", 1);
	hit_tracepoints(5);
	expect_trap(&g, CALL0(&g, "poll_once"), WBPF_TRAP_UNREACHABLE);
	CHECK(wbpf_bpf_host__handle_count(g.host) > 0);
out:
	guest_down(&g);
}

static void test_wasm_bpf(void)
{
	struct guest g;

	if (!guest_up(&g) || !put_elf(&g))
		goto out;
	if (!CHECK_EQ(CALL2(&g, "compat_setup", elf_size, getpid()), 0))
		goto out;
	hit_tracepoints(50);
	CHECK_EQ(CALL2(&g, "compat_poll", 50, 0), 0);
	hit_tracepoints(50);
	CHECK_EQ(CALL2(&g, "compat_poll", 100, 1), 0); /* via go-callback */
	CHECK_EQ(CALL0(&g, "compat_close"), 0);
	CHECK_EQ(wbpf_bpf_host__handle_count(g.host), 0);
out:
	guest_down(&g);
}

static const struct test tests[] = {
	{ "wbpf", test_wbpf },
	{ "trap_teardown", test_trap_teardown },
	{ "wasm_bpf", test_wasm_bpf },
};

int main(int argc, char **argv)
{
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: %s PROBE.bpf.o ABI_GUEST.wasm\n", argv[0]);
		return 2;
	}
	elf_bytes = read_file(argv[1], &elf_size);
	wasm_bytes = read_file(argv[2], &wasm_size);
	if (!elf_bytes || !wasm_bytes) {
		fprintf(stderr, "abi-test: cannot read %s or %s\n", argv[1], argv[2]);
		return 1;
	}
	rc = run_tests("abi-test", tests, sizeof(tests) / sizeof(tests[0]));
	free(elf_bytes);
	free(wasm_bytes);
	return rc;
}
