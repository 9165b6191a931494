/* SPDX-License-Identifier: MIT */
/*
 * Start-up benchmark: how long wbpf takes from wasm bytes in memory to a
 * ready instance.
 *   startup [-t SECONDS] MODULE.wasm...
 * For each module, repeats module__new (decode, validate, compile),
 * store__new (plus, for a module with imports, a WASI context defined in
 * the store) and instance__new for about SECONDS (default 1, at least 5
 * runs), then prints one line of medians in milliseconds:
 *   startup: FILE bytes=N runs=N module_ms=X store_ms=X instance_ms=X total_ms=X
 * The file is read once, before timing. Exit status 1 if any module fails.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wbpf/wasi.h"
#include "wbpf/wasm.h"

#define MAX_RUNS 2000
#define MIN_RUNS 5

enum { PH_MODULE, PH_STORE, PH_INSTANCE, PH_TOTAL, PH_COUNT };

static const char *const phase_names[PH_COUNT] = { "module_ms", "store_ms", "instance_ms",
						   "total_ms" };

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int read_file(const char *path, unsigned char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return -errno;
	for (;;) {
		if (n == cap) {
			unsigned char *bigger = realloc(buf, cap ? cap * 2 : 1 << 16);

			if (!bigger) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = bigger;
			cap = cap ? cap * 2 : 1 << 16;
		}
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*out = buf;
	*len = n;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* A store ready for `mod`: with WASI defined if it imports anything (the
 * kernels), as `wbpf run` would set it up, minus file access. */
static struct wbpf_store *store_for(const struct wbpf_module *mod, const char *path,
				    struct wbpf_wasi **wasi, struct wbpf_error *err)
{
	struct wbpf_store *store = wbpf_store__new(NULL);
	const char *argv[] = { path };

	if (!store) {
		snprintf(err->msg, sizeof(err->msg), "wbpf_store__new failed");
		return NULL;
	}
	if (!wbpf_module__import_count(mod))
		return store;
	*wasi = wbpf_wasi__new(&(struct wbpf_wasi_opts){ .sz = sizeof(struct wbpf_wasi_opts),
							 .argv = argv, .argc = 1 },
			       err);
	if (*wasi && !wbpf_wasi__define(*wasi, store))
		return store;
	if (*wasi)
		snprintf(err->msg, sizeof(err->msg), "wbpf_wasi__define failed");
	wbpf_store__free(store);
	return NULL;
}

/* One start-up, timed by phase; the objects are freed untimed. */
static int start_once(const char *path, const unsigned char *bytes, size_t len,
		      double ms[PH_COUNT], struct wbpf_error *err)
{
	double t0 = now_ms(), t1, t2, t3;
	struct wbpf_module *mod = wbpf_module__new(bytes, len, err);
	struct wbpf_store *store = NULL;
	struct wbpf_instance *inst = NULL;
	struct wbpf_wasi *wasi = NULL;

	t1 = now_ms();
	if (mod)
		store = store_for(mod, path, &wasi, err);
	t2 = now_ms();
	if (store)
		inst = wbpf_instance__new(store, mod, err);
	t3 = now_ms();
	ms[PH_MODULE] = t1 - t0;
	ms[PH_STORE] = t2 - t1;
	ms[PH_INSTANCE] = t3 - t2;
	ms[PH_TOTAL] = t3 - t0;
	if (store)
		wbpf_store__free(store);
	if (wasi)
		wbpf_wasi__free(wasi);
	if (mod)
		wbpf_module__free(mod);
	return inst ? 0 : -1;
}

static int bench_module(const char *path, double budget_ms)
{
	static double samples[PH_COUNT][MAX_RUNS];
	struct wbpf_error err = { 0 };
	unsigned char *bytes;
	size_t len;
	int runs = 0, rc = read_file(path, &bytes, &len);
	double start;

	if (rc) {
		fprintf(stderr, "startup: %s: %s\n", path, strerror(-rc));
		return -1;
	}
	start = now_ms();
	while (runs < MAX_RUNS && (runs < MIN_RUNS || now_ms() - start < budget_ms)) {
		double ms[PH_COUNT];

		if (start_once(path, bytes, len, ms, &err)) {
			fprintf(stderr, "startup: %s: %s\n", path, err.msg);
			free(bytes);
			return -1;
		}
		for (int p = 0; p < PH_COUNT; p++)
			samples[p][runs] = ms[p];
		runs++;
	}
	printf("startup: %s bytes=%zu runs=%d", path, len, runs);
	for (int p = 0; p < PH_COUNT; p++) {
		qsort(samples[p], (size_t)runs, sizeof(double), cmp_double);
		printf(" %s=%.4f", phase_names[p], samples[p][runs / 2]);
	}
	printf("\n");
	free(bytes);
	return 0;
}

int main(int argc, char **argv)
{
	double budget_s = 1.0;
	int i = 1, failed = 0;

	if (argc > 2 && !strcmp(argv[1], "-t")) {
		budget_s = strtod(argv[2], NULL);
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: startup [-t SECONDS] MODULE.wasm...\n");
		return 2;
	}
	for (; i < argc; i++)
		failed |= bench_module(argv[i], budget_s * 1e3) != 0;
	return failed;
}
