// SPDX-License-Identifier: MIT
/*
 * Nothing of a guest outlives it: the hostile guests and the eBPF
 * examples run one after the other in this process, as an embedder would
 * run them (engine + WASI + eBPF host), and after each one ends (return,
 * exit, trap, fuel) this checks that the process holds no more fds than
 * before and that none of the programs, maps and links the guest held
 * while it ran still exists in the kernel (what `bpftool prog/map/link
 * list` would show). What it held is read from this process's fdinfo
 * just before each bpf_link__destroy and bpf_object__close (linked with
 * --wrap), so objects the guest closed itself count too.
 *
 * usage: test_leaks BUILD_DIR [SECONDS]
 *   One round of every guest; with SECONDS, rounds until that much time
 *   has passed (the soak run, `make test-long`), and then RSS must not
 *   have grown by more than SOAK_RSS_SLACK since the end of the first
 *   rounds. Root; exits 77 (skipped) otherwise.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wbpf/bpf.h"
#include "wbpf/wasi.h"
#include "wbpf/wasm.h"
#include "util.h"

#define GUEST_ALARM_S 60
#define MAX_HELD 256
#define WARMUP_ROUNDS 3
#define SOAK_RSS_SLACK (8l << 20)

enum end { END_EXIT, END_TRAP };

struct guest_case {
	const char *wasm; /* under BUILD_DIR */
	const char *args[8];
	enum end end;
	int code;	  /* exit status, or trap code (-1: any trap) */
	bool holds;	  /* holds BPF programs while it runs */
	uint64_t fuel;	  /* 0 = none */
	bool uprobe_libc; /* --allow-uprobe libc */
};

#define HOSTILE(suite, ...) \
	{ .wasm = "tests/examples/hostile.wasm", .args = { suite }, .holds = true, __VA_ARGS__ }
#define EXAMPLE(name, ...) { .wasm = "examples/" name ".wasm", .holds = true, __VA_ARGS__ }

static const struct guest_case cases[] = {
	HOSTILE("ptrs"), HOSTILE("handles"), HOSTILE("foreign"), HOSTILE("names"),
	HOSTILE("sizes"), HOSTILE("perms"), HOSTILE("oversized"), HOSTILE("reentry"),
	HOSTILE("gocb"), HOSTILE("corrupt"),
	HOSTILE("cb-trap", .end = END_TRAP, .code = -1),
	HOSTILE("cb-loop", .end = END_TRAP, .code = WBPF_TRAP_FUEL, .fuel = 50000000),
	HOSTILE("cb-exit", .code = 7),
	{ .wasm = "tests/examples/policy.wasm", .args = { "all" }, .code = 1 },
	EXAMPLE("execsnoop", .args = { "-d", "1" }),
	EXAMPLE("opensnoop", .args = { "-d", "1" }),
	EXAMPLE("syslat", .args = { "-d", "1", "-i", "1" }),
	EXAMPLE("sigsnoop", .args = { "-d", "1" }),
	EXAMPLE("getenvsnoop", .args = { "-d", "1" }, .uprobe_libc = true),
};

/* The kernel objects one process holds through its fds, from fdinfo. */
struct held {
	char kind[MAX_HELD]; /* 'p'rog, 'm'ap, 'l'ink */
	uint32_t id[MAX_HELD];
	int n;
};

static void held_add(struct held *h, char kind, uint32_t id)
{
	for (int i = 0; i < h->n; i++)
		if (h->kind[i] == kind && h->id[i] == id)
			return;
	h->kind[h->n] = kind;
	h->id[h->n++] = id;
}

/* Adds what the process holds now to `h`. */
static void held_scan(struct held *h)
{
	static const struct { const char *key; char kind; } keys[] = {
		{ "prog_id:", 'p' }, { "map_id:", 'm' }, { "link_id:", 'l' },
	};
	glob_t g;
	char line[128];

	if (glob("/proc/self/fdinfo/*", 0, NULL, &g))
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		FILE *f = fopen(g.gl_pathv[i], "r");

		while (f && fgets(line, sizeof(line), f))
			for (size_t k = 0; k < 3 && h->n < MAX_HELD; k++)
				if (!strncmp(line, keys[k].key, strlen(keys[k].key)))
					held_add(h, keys[k].kind,
						 (uint32_t)strtoul(line + strlen(keys[k].key), NULL, 10));
		if (f)
			fclose(f);
	}
	globfree(&g);
}

/* The set the wrappers add to while a guest runs. */
static struct held *current_held;

void __real_bpf_link__destroy(struct bpf_link *link);
void __real_bpf_object__close(struct bpf_object *obj);
void __wrap_bpf_link__destroy(struct bpf_link *link);
void __wrap_bpf_object__close(struct bpf_object *obj);

void __wrap_bpf_link__destroy(struct bpf_link *link)
{
	if (current_held)
		held_scan(current_held);
	__real_bpf_link__destroy(link);
}

void __wrap_bpf_object__close(struct bpf_object *obj)
{
	if (current_held)
		held_scan(current_held);
	__real_bpf_object__close(obj);
}

static int id_fd(char kind, uint32_t id)
{
	switch (kind) {
	case 'p': return bpf_prog_get_fd_by_id(id);
	case 'm': return bpf_map_get_fd_by_id(id);
	default: return bpf_link_get_fd_by_id(id);
	}
}

/* How many of `h` the kernel still has after up to 2 s of deferred frees. */
static int still_there(const struct held *h)
{
	int left = 0;

	for (int tries = 0; tries < 20; tries++) {
		left = 0;
		for (int i = 0; i < h->n; i++) {
			int fd = id_fd(h->kind[i], h->id[i]);

			if (fd >= 0) {
				close(fd);
				left++;
			}
		}
		if (!left)
			break;
		usleep(100 * 1000);
	}
	return left;
}

struct instance {
	struct wbpf_module *mod;
	struct wbpf_store *store;
	struct wbpf_wasi *wasi;
	struct wbpf_bpf_host *host;
	struct wbpf_instance *inst;
	struct wbpf_error err;
};

static bool instance_up(struct instance *in, const char *build, const struct guest_case *c,
			int devnull)
{
	struct wbpf_bpf_host_opts bo = { .sz = sizeof(bo), .quiet = true };
	const char *argv[9] = { c->wasm };
	const int stdio[3] = { devnull, devnull, devnull };
	char path[512];
	void *bytes;
	size_t size, argc = 1;

	snprintf(path, sizeof(path), "%s/%s", build, c->wasm);
	if (!CHECK(bytes = read_file(path, &size)))
		return fprintf(stderr, "  cannot read %s\n", path), false;
	in->mod = wbpf_module__new(bytes, size, &in->err);
	free(bytes);
	for (const char *const *a = c->args; *a && argc < 9; a++)
		argv[argc++] = *a;
	in->store = wbpf_store__new(NULL);
	in->wasi = wbpf_wasi__new(&(struct wbpf_wasi_opts){ .sz = sizeof(struct wbpf_wasi_opts),
			.argv = argv, .argc = argc, .stdio = stdio }, &in->err);
	in->host = wbpf_bpf_host__new(&bo);
	if (!CHECK(in->mod && in->store && in->wasi && in->host))
		return false;
	if (c->uprobe_libc)
		wbpf_bpf_host__allow_uprobe(in->host, "*");
	if (c->fuel)
		wbpf_store__set_fuel(in->store, c->fuel);
	if (!CHECK_EQ(wbpf_wasi__define(in->wasi, in->store), 0) ||
	    !CHECK_EQ(wbpf_bpf_abi__define(in->store, in->host), 0))
		return false;
	in->inst = wbpf_instance__new(in->store, in->mod, &in->err);
	return CHECK(in->inst);
}

static void instance_down(struct instance *in)
{
	wbpf_bpf_host__free(in->host);
	wbpf_store__free(in->store);
	wbpf_wasi__free(in->wasi);
	wbpf_module__free(in->mod);
}

static bool ended_as_expected(const struct guest_case *c, int rc, const struct wbpf_error *err)
{
	if (c->end == END_EXIT)
		return rc ? err->kind == WBPF_ERR_EXIT && err->exit_code == c->code : c->code == 0;
	return rc && err->kind == WBPF_ERR_TRAP && (c->code < 0 || (int)err->trap == c->code);
}

/* Runs one guest to its end, then checks what it left behind. */
static void run_case(const char *build, const struct guest_case *c, int devnull)
{
	struct instance in = { 0 };
	struct held held = { .n = 0 };
	struct wbpf_func *start;
	int fds = count_fds(), rc = -1, left;

	alarm(GUEST_ALARM_S); /* a hang fails the test instead of stalling it */
	current_held = &held;
	if (instance_up(&in, build, c, devnull) && CHECK(start = wbpf_instance__func(in.inst, "_start")))
		rc = wbpf_func__call(start, NULL, 0, NULL, 0, &in.err);
	alarm(0);
	if (!CHECK(ended_as_expected(c, rc, &in.err)))
		fprintf(stderr, "  %s %s: ended with %d (%s)\n", c->wasm, c->args[0], rc, in.err.msg);
	instance_down(&in);
	current_held = NULL;
	if (c->holds && !CHECK(held.n > 0))
		fprintf(stderr, "  %s %s: held no BPF object while it ran\n", c->wasm, c->args[0]);
	if (!CHECK_EQ(count_fds(), fds))
		fprintf(stderr, "  %s %s: fds left open\n", c->wasm, c->args[0]);
	if (!CHECK_EQ(left = still_there(&held), 0))
		fprintf(stderr, "  %s %s: %d of its %d programs/maps/links left in the kernel\n",
			c->wasm, c->args[0], left, held.n);
}

static long rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, rss = 0;

	if (f && fscanf(f, "%ld %ld", &size, &rss) != 2)
		rss = 0;
	if (f)
		fclose(f);
	return rss * sysconf(_SC_PAGESIZE);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Rounds of every guest until `seconds` have passed (one round if 0). */
static int run_rounds(const char *build, double seconds)
{
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC), fds0 = count_fds(), rounds = 0;
	double end = now_s() + seconds;
	long rss_base = 0, rss_max = 0, rss;

	do {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			run_case(build, &cases[i], devnull);
		rss = rss_bytes();
		if (++rounds == WARMUP_ROUNDS)
			rss_base = rss;
		rss_max = rss > rss_max ? rss : rss_max;
		if (seconds)
			printf("round %d: rss %ld KiB, %d fds, %d failures\n", rounds, rss >> 10,
			       count_fds(), failures);
		fflush(stdout);
	} while (now_s() < end && !failures);
	CHECK_EQ(count_fds(), fds0);
	if (rounds > WARMUP_ROUNDS && !CHECK(rss_max - rss_base <= SOAK_RSS_SLACK))
		fprintf(stderr, "  rss grew from %ld KiB after round %d to %ld KiB\n", rss_base >> 10,
			WARMUP_ROUNDS, rss_max >> 10);
	printf("leaks-test: %d rounds of %zu guests\n", rounds, sizeof(cases) / sizeof(cases[0]));
	close(devnull);
	return failures;
}

static const char *build_dir;
static double soak_seconds;

static void test_no_leaks(void)
{
	run_rounds(build_dir, soak_seconds);
}

int main(int argc, char **argv)
{
	static const struct test tests[] = { { "no_leaks", test_no_leaks } };

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s BUILD_DIR [SECONDS]\n", argv[0]);
		return 2;
	}
	build_dir = argv[1];
	soak_seconds = argc == 3 ? atof(argv[2]) : 0;
	return run_tests("leaks-test", tests, 1);
}
