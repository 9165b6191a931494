// SPDX-License-Identifier: MIT
/* The compiling tier's code cache: a second load takes the machine code
 * from the cache and runs it correctly; damaged, truncated and foreign
 * entries (another build, CPU or format) are ignored, compiled again and
 * replaced; writers at the same time leave one whole entry; a directory
 * others may write to is not used; the auto engine's background compile. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "wasm/jit_cache.h"

#define RUN_N 1000

struct cache_dir {
	char path[64];
};

static bool dir_make(struct cache_dir *d)
{
	strcpy(d->path, "/tmp/wbpf-jit-cache-XXXXXX");
	return CHECK(mkdtemp(d->path));
}

/* The one entry in the directory (NULL if there is not exactly one
 * file); malloc'd. */
static char *dir_entry(const struct cache_dir *d)
{
	char cmd[128], line[512], *path = NULL;
	FILE *ls;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "ls -1 %s", d->path);
	if (!(ls = popen(cmd, "r")))
		return NULL;
	while (fgets(line, sizeof(line), ls)) {
		line[strcspn(line, "\n")] = 0;
		if (!n++ && asprintf(&path, "%s/%s", d->path, line) < 0)
			path = NULL;
	}
	pclose(ls);
	if (n != 1) {
		free(path);
		return NULL;
	}
	return path;
}

static void dir_remove(struct cache_dir *d)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", d->path);
	CHECK_EQ(system(cmd), 0);
}

/* Loads jit_cache with `engine` and the cache `dir`, runs "run"; false
 * on any failure. *cached: whether the code came from the cache. */
static bool load_run(enum wbpf_engine engine, const char *dir, uint64_t *out, bool *cached)
{
	struct wbpf_module_opts mo = { .sz = sizeof(mo), .engine = engine, .code_cache = dir };
	struct wbpf_val arg = val_i32(RUN_N), res;
	struct wbpf_error err;
	struct wbpf_module *mod;
	struct wbpf_store *st = NULL;
	struct wbpf_instance *inst = NULL;
	size_t len;
	uint8_t *bytes = read_wasm("jit_cache", &len);
	bool ok = false;

	if (!bytes)
		return false;
	mod = wbpf_module__new_opts(bytes, len, &mo, &err);
	free(bytes);
	if (mod && (st = wbpf_store__new(NULL)) && (inst = wbpf_instance__new(st, mod, &err)))
		ok = !wbpf_func__call(wbpf_instance__func(inst, "run"), &arg, 1, &res, 1, &err);
	if (!ok)
		fprintf(stderr, "  %s\n", err.msg);
	if (ok && engine == WBPF_ENGINE_COMPILE)
		ok = wbpf_module__native_count(mod) == 3;
	*out = res.of.i64;
	*cached = mod && wbpf_module__native_cached(mod);
	wbpf_store__free(st);
	wbpf_module__free(mod);
	return ok;
}

static uint64_t expected(void)
{
	uint64_t v = 0;
	bool cached;

	CHECK(load_run(WBPF_ENGINE_INTERP, "off", &v, &cached));
	CHECK(v != 0);
	return v;
}

/* A load with the cache gives the interpreter's result; cached or not. */
static void check_load(const struct cache_dir *d, bool want_cached)
{
	uint64_t want = expected(), got = 0;
	bool cached = !want_cached;

	CHECK(load_run(WBPF_ENGINE_COMPILE, d->path, &got, &cached));
	CHECK_EQ(got, want);
	CHECK_EQ(cached, want_cached);
}

static void test_warm_load(void)
{
	struct cache_dir d;
	struct stat before, after;
	char *entry;

	if (!jit_tier_available() || !dir_make(&d))
		return;
	check_load(&d, false);
	entry = dir_entry(&d);
	if (CHECK(entry) && CHECK(!stat(entry, &before))) {
		check_load(&d, true);
		check_load(&d, true);
		/* A hit leaves the entry alone (no second compile wrote it). */
		CHECK(!stat(entry, &after));
		CHECK_EQ(after.st_ino, before.st_ino);
		CHECK_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	}
	free(entry);
	dir_remove(&d);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = malloc(1 << 20);

	*len = f && p ? fread(p, 1, 1 << 20, f) : 0;
	if (f)
		fclose(f);
	return p;
}

static void write_file(const char *path, const uint8_t *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (CHECK(f)) {
		CHECK_EQ(fwrite(p, 1, len, f), len);
		fclose(f);
	}
}

/* Recomputes the checksum, as a well-formed entry of another build,
 * CPU or format would have it. */
static void resum(uint8_t *p, size_t len)
{
	uint64_t sum = wasm_jit_cache_sum(p, len - sizeof(sum));

	memcpy(p + len - sizeof(sum), &sum, sizeof(sum));
}

enum damage { FLIP, TRUNCATE_HALF, TRUNCATE_HEADER, EMPTY, OTHER_BUILD, OTHER_CPU,
	      OTHER_FORMAT, BAD_RELOC, DAMAGES };

static size_t damage(enum damage how, uint8_t *p, size_t len)
{
	struct cache_header h;

	memcpy(&h, p, sizeof(h));
	switch (how) {
	case FLIP:
		p[len - 40] ^= 0x10; /* in the code */
		return len;
	case TRUNCATE_HALF:
		return len / 2;
	case TRUNCATE_HEADER:
		return 10;
	case EMPTY:
		return 0;
	case OTHER_BUILD:
		h.engine[0] ^= 1;
		break;
	case OTHER_CPU:
		h.cpu ^= JIT_CPU_AVX2;
		break;
	case OTHER_FORMAT:
		h.format++;
		break;
	default: { /* checksum right, a relocation pointing past the code */
		struct jit_reloc r;
		size_t at = sizeof(h) + (size_t)h.ndefined * 4;

		memcpy(&r, p + at, sizeof(r));
		r.at = (uint32_t)h.code_len;
		memcpy(p + at, &r, sizeof(r));
		break;
	}
	}
	memcpy(p, &h, sizeof(h));
	resum(p, len);
	return len;
}

static void test_damaged_entries(void)
{
	struct cache_dir d;
	char *entry;
	uint8_t *good;
	size_t len;

	if (!jit_tier_available() || !dir_make(&d))
		return;
	check_load(&d, false);
	entry = dir_entry(&d);
	good = entry ? read_file(entry, &len) : NULL;
	if (!CHECK(good) || !CHECK(len > sizeof(struct cache_header) + 64))
		goto out;
	for (int how = 0; how < DAMAGES; how++) {
		uint8_t *bad = malloc(len);

		memcpy(bad, good, len);
		write_file(entry, bad, damage((enum damage)how, bad, len));
		check_load(&d, false); /* ignored, compiled again ... */
		check_load(&d, true);  /* ... and replaced by a good entry */
		free(bad);
	}
out:
	free(good);
	free(entry);
	dir_remove(&d);
}

/* Processes and threads compiling the same module at once into one
 * directory: every one runs correctly, one whole entry is left (no
 * temporary files), and it is used afterwards. */
#define WRITERS 6

static void test_concurrent_writers(void)
{
	struct cache_dir d;
	pid_t pids[WRITERS];
	char *entry;

	if (!jit_tier_available() || !dir_make(&d))
		return;
	uint64_t want = expected();

	for (int i = 0; i < WRITERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			uint64_t got = 0;
			bool cached;

			for (int k = 0; k < 5; k++)
				if (!load_run(WBPF_ENGINE_COMPILE, d.path, &got, &cached) || got != want)
					_exit(1);
			_exit(0);
		}
		CHECK(pids[i] > 0);
	}
	for (int i = 0; i < WRITERS; i++) {
		int status = -1;

		if (pids[i] > 0)
			CHECK_EQ(waitpid(pids[i], &status, 0), pids[i]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	entry = dir_entry(&d);
	CHECK(entry);
	check_load(&d, true);
	free(entry);
	dir_remove(&d);
}

static void test_untrusted_dir(void)
{
	struct cache_dir d;

	if (!jit_tier_available() || !dir_make(&d))
		return;
	CHECK_EQ(chmod(d.path, 0777), 0);
	check_load(&d, false);
	check_load(&d, false);
	CHECK(!dir_entry(&d)); /* nothing written there either */
	dir_remove(&d);
}

static void test_dir_choice(void)
{
	char *dir;

	CHECK_EQ(setenv("WBPF_CODE_CACHE", "/tmp/from-env", 1), 0);
	CHECK_EQ(setenv("XDG_CACHE_HOME", "/tmp/xdg", 1), 0);
	dir = wasm_jit_cache_dir("/tmp/from-opt");
	CHECK(dir && !strcmp(dir, "/tmp/from-opt"));
	free(dir);
	CHECK(!wasm_jit_cache_dir("off"));
	dir = wasm_jit_cache_dir(NULL);
	CHECK(dir && !strcmp(dir, "/tmp/from-env"));
	free(dir);
	CHECK_EQ(setenv("WBPF_CODE_CACHE", "off", 1), 0);
	CHECK(!wasm_jit_cache_dir(NULL));
	CHECK_EQ(unsetenv("WBPF_CODE_CACHE"), 0);
	dir = wasm_jit_cache_dir(NULL);
	CHECK(dir && !strcmp(dir, "/tmp/xdg/wbpf"));
	free(dir);
	CHECK_EQ(unsetenv("XDG_CACHE_HOME"), 0);
	CHECK(!wasm_jit_cache_dir(NULL));
}

static bool make_file(const char *path, size_t len, time_t age)
{
	struct timespec t[2] = { { .tv_sec = time(NULL) - age }, { .tv_sec = time(NULL) - age } };
	uint8_t *zero = calloc(1, len + 1);

	write_file(path, zero, len);
	free(zero);
	return CHECK(!utimensat(AT_FDCWD, path, t, 0));
}

static bool exists(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return !access(path, F_OK);
}

/* Past the size cap, a new entry makes the least recently used ones go
 * (not itself); a hit counts as a use; a writer's temporary file left
 * for an hour is removed, a recent one (a write in progress) is not. */
static void test_eviction(void)
{
	static const char *const old[] = { "old0.jit", "old1.jit", "old2.jit" };
	struct cache_dir d;
	struct stat st;
	char path[256], *entry;

	if (!jit_tier_available() || !dir_make(&d))
		return;
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", d.path, old[i]);
		make_file(path, 64 << 10, (3 - i) * 3600);
	}
	snprintf(path, sizeof(path), "%s/crashed.jit.Ab12Cd", d.path);
	make_file(path, 100, 2 * 3600);
	snprintf(path, sizeof(path), "%s/writing.jit.Ef34Gh", d.path);
	make_file(path, 100, 0);
	/* 192 KiB of entries, then this module's (a few KiB): over 150 KiB
	 * only until the oldest goes. */
	CHECK_EQ(setenv("WBPF_CODE_CACHE_MAX", "150k", 1), 0);
	check_load(&d, false);
	CHECK(!exists(d.path, old[0]));
	CHECK(exists(d.path, old[1]) && exists(d.path, old[2]));
	CHECK(!exists(d.path, "crashed.jit.Ab12Cd"));
	CHECK(exists(d.path, "writing.jit.Ef34Gh"));
	/* A hit marks the entry used: left alone, it is the only file. */
	for (int i = 1; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", d.path, old[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/writing.jit.Ef34Gh", d.path);
	unlink(path);
	entry = dir_entry(&d);
	if (CHECK(entry)) {
		/* Both times old: a relatime mount would not update it itself. */
		struct timespec t[2] = { { .tv_sec = time(NULL) - 5 * 3600 },
					 { .tv_sec = time(NULL) - 5 * 3600 } };

		CHECK(!utimensat(AT_FDCWD, entry, t, 0));
		check_load(&d, true);
		CHECK(!stat(entry, &st) && st.st_atime > time(NULL) - 600);
	}
	free(entry);
	CHECK_EQ(unsetenv("WBPF_CODE_CACHE_MAX"), 0);
	dir_remove(&d);
}

static void test_size_cap_choice(void)
{
	CHECK_EQ(wasm_jit_cache_max(5), 5);
	CHECK_EQ(setenv("WBPF_CODE_CACHE_MAX", "2M", 1), 0);
	CHECK_EQ(wasm_jit_cache_max(0), 2u << 20);
	CHECK_EQ(setenv("WBPF_CODE_CACHE_MAX", "512MiB", 1), 0);
	CHECK_EQ(wasm_jit_cache_max(0), 512u << 20);
	CHECK_EQ(setenv("WBPF_CODE_CACHE_MAX", "lots", 1), 0);
	CHECK_EQ(wasm_jit_cache_max(0), JIT_CACHE_MAX_DEFAULT);
	CHECK_EQ(unsetenv("WBPF_CODE_CACHE_MAX"), 0);
	CHECK_EQ(wasm_jit_cache_max(0), JIT_CACHE_MAX_DEFAULT);
}

/* auto: a module starts interpreted and switches to machine code once
 * the background compile publishes it, with the same results; from a
 * warm cache it has machine code as soon as it is loaded. */
static bool wait_native(struct wbpf_module *mod)
{
	for (int i = 0; i < 1000 && wbpf_module__native_count(mod) != 3; i++)
		usleep(10000);
	return wbpf_module__native_count(mod) == 3;
}

static void test_auto(void)
{
	struct wbpf_module_opts mo = { .sz = sizeof(mo), .engine = WBPF_ENGINE_AUTO };
	struct wbpf_val arg = val_i32(RUN_N), res;
	struct wbpf_error err;
	struct cache_dir d;
	uint64_t want = expected();
	size_t len;
	uint8_t *bytes = read_wasm("jit_cache", &len);

	if (!bytes || !jit_tier_available() || !dir_make(&d))
		return free(bytes);
	mo.code_cache = d.path;
	for (int round = 0; round < 2; round++) {
		struct wbpf_module *mod = wbpf_module__new_opts(bytes, len, &mo, &err);
		struct wbpf_store *st = wbpf_store__new(NULL);
		struct wbpf_instance *inst = mod && st ? wbpf_instance__new(st, mod, &err) : NULL;
		struct wbpf_func *run = inst ? wbpf_instance__func(inst, "run") : NULL;

		/* Round 1 may still be interpreting; round 2 is a cache hit. */
		CHECK_EQ(mod && wbpf_module__native_cached(mod), round == 1);
		if (CHECK(run) && CHECK(!wbpf_func__call(run, &arg, 1, &res, 1, &err)))
			CHECK_EQ(res.of.i64, want);
		if (mod && CHECK(wait_native(mod)) &&
		    CHECK(!wbpf_func__call(run, &arg, 1, &res, 1, &err)))
			CHECK_EQ(res.of.i64, want);
		wbpf_store__free(st);
		wbpf_module__free(mod);
	}
	free(bytes);
	dir_remove(&d);
}

/* Freeing a module while its background compile runs stops and waits
 * for it (ASan in unit-san sees any use after free). */
static void test_auto_free_early(void)
{
	struct wbpf_module_opts mo = { .sz = sizeof(mo), .engine = WBPF_ENGINE_AUTO,
				       .code_cache = "off" };
	struct wbpf_error err;
	size_t len;
	uint8_t *bytes = read_wasm("jit_cache", &len);

	for (int i = 0; bytes && i < 200; i++) {
		struct wbpf_module *mod = wbpf_module__new_opts(bytes, len, &mo, &err);

		if (!CHECK(mod))
			break;
		wbpf_module__free(mod);
	}
	free(bytes);
}

static const struct check_test tests[] = {
	{ "warm_load", test_warm_load },
	{ "damaged_entries", test_damaged_entries },
	{ "concurrent_writers", test_concurrent_writers },
	{ "untrusted_dir", test_untrusted_dir },
	{ "dir_choice", test_dir_choice },
	{ "eviction", test_eviction },
	{ "size_cap_choice", test_size_cap_choice },
	{ "auto", test_auto },
	{ "auto_free_early", test_auto_free_early },
};

CHECK_MAIN(tests)
