/* SPDX-License-Identifier: MIT */
/*
 * Load-speed benchmark: how fast wbpf_module__new (decode, validate,
 * compile) gets through generated modules, ordinary and pathological
 * (tests/unit/genload.h).
 *   loadspeed [-r REPS] [-w DIR] [SHAPE...]
 * Prints per shape: bytes, best time of REPS (default 5) in ms, MiB/s.
 * With -w, also writes each module to DIR/SHAPE.wasm (for other engines).
 * Exit status 1 if a module fails to load.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "genload.h"
#include "wbpf/wasm.h"

struct shape {
	const char *name;
	const char *what;
	uint8_t *(*gen)(uint32_t a, uint32_t b, size_t *len);
	uint32_t a, b;
};

static uint8_t *g_blocks(uint32_t a, uint32_t b, size_t *len) { (void)b; return genload_blocks(a, len); }
static uint8_t *g_br_table(uint32_t a, uint32_t b, size_t *len) { return genload_br_table(a, b, 16, len); }
static uint8_t *g_local_sets(uint32_t a, uint32_t b, size_t *len) { (void)b; return genload_local_sets(a, len); }
static uint8_t *g_aliases(uint32_t a, uint32_t b, size_t *len) { (void)b; return genload_aliases(a, len); }
static uint8_t *g_bulk(uint32_t a, uint32_t b, size_t *len) { (void)b; return genload_bulk(a, len); }
static uint8_t *g_types(uint32_t a, uint32_t b, size_t *len) { (void)b; return genload_types(a, len); }
static uint8_t *g_nesting(uint32_t a, uint32_t b, size_t *len) { (void)b; return genload_nesting(a, len); }

static const struct shape shapes[] = {
	{ "blocks", "150k constants, then 150k empty blocks", g_blocks, 150000, 0 },
	{ "br_table", "16 functions: a br_table of the most labels allowed over 16k nested loops", g_br_table, 65519, 16000 },
	{ "local_sets", "150k constants, then 150k local.set", g_local_sets, 150000, 0 },
	{ "aliases", "20k locals on the stack under 20k constants, each set", g_aliases, 20000, 0 },
	{ "types", "100k distinct function types", g_types, 100000, 0 },
	{ "nesting", "nested blocks, as deep as allowed", g_nesting, 10000, 0 },
	{ "bulk", "100k ordinary functions (loop, arithmetic, memory, call)", g_bulk, 100000, 0 },
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int write_module(const char *dir, const char *name, const uint8_t *bytes, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.wasm", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(bytes, 1, len, f) != len) {
		perror(path);
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f);
}

/* Best of `reps` loads; negative when the module does not load. */
static double time_load(const uint8_t *bytes, size_t len, int reps, struct wbpf_error *err)
{
	double best = -1;

	for (int i = 0; i < reps; i++) {
		double t0 = now_s();
		struct wbpf_module *mod = wbpf_module__new(bytes, len, err);
		double t = now_s() - t0;

		if (!mod)
			return -1;
		wbpf_module__free(mod);
		if (best < 0 || t < best)
			best = t;
	}
	return best;
}

static bool wanted(const char *name, int argc, char **argv)
{
	if (optind >= argc)
		return true;
	for (int i = optind; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	int reps = 5, opt, status = 0;

	while ((opt = getopt(argc, argv, "r:w:")) != -1) {
		if (opt == 'r')
			reps = atoi(optarg) > 0 ? atoi(optarg) : 1;
		else if (opt == 'w')
			dir = optarg;
		else
			return fprintf(stderr, "usage: loadspeed [-r REPS] [-w DIR] [SHAPE...]\n"), 2;
	}
	printf("| shape | module | bytes | best ms | MiB/s |\n|---|---|---:|---:|---:|\n");
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = &shapes[i];
		struct wbpf_error err = { 0 };
		size_t len;

		if (!wanted(s->name, argc, argv))
			continue;
		uint8_t *bytes = s->gen(s->a, s->b, &len);

		if (!bytes)
			return fprintf(stderr, "loadspeed: out of memory\n"), 1;
		if (dir && write_module(dir, s->name, bytes, len))
			status = 1;
		double t = time_load(bytes, len, reps, &err);

		if (t < 0) {
			fprintf(stderr, "loadspeed: %s: %s\n", s->name, err.msg);
			printf("| %s | %s | %zu | - | - |\n", s->name, s->what, len);
			status = 1;
		} else {
			printf("| %s | %s | %zu | %.2f | %.0f |\n", s->name, s->what, len, t * 1e3,
			       (double)len / (1 << 20) / t);
		}
		fflush(stdout);
		free(bytes);
	}
	return status;
}
