/* SPDX-License-Identifier: MIT */
/*
 * Load-speed benchmark: how fast wbpf_module__new (decode, validate,
 * compile) gets through generated modules, ordinary and pathological
 * (tests/unit/genload.h), and through module files given with -f.
 *   loadspeed [-r REPS] [-w DIR] [-f FILE]... [SHAPE...]
 * Prints a table row per module: bytes, then the best of REPS (default 5)
 * loads in wall-clock and in CPU time (ms) and the MiB/s each gives.
 * With -w, also writes each generated module to DIR/SHAPE.wasm.
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
static uint8_t *g_elem_items(uint32_t a, uint32_t b, size_t *len) { return genload_elem_items(a, b, len); }
static uint8_t *g_locals(uint32_t a, uint32_t b, size_t *len) { return genload_locals(a, b, len); }

static const struct shape shapes[] = {
	{ "blocks", "150k constants, then 150k empty blocks", g_blocks, 150000, 0 },
	{ "br_table", "16 functions: a br_table of the most labels allowed over 16k nested loops", g_br_table, 65519, 16000 },
	{ "local_sets", "150k constants, then 150k local.set", g_local_sets, 150000, 0 },
	{ "aliases", "20k locals on the stack under 20k constants, each set", g_aliases, 20000, 0 },
	{ "types", "100k distinct function types", g_types, 100000, 0 },
	{ "nesting", "100k nested blocks, as deep as allowed", g_nesting, 100000, 0 },
	{ "locals", "100k functions declaring 50000 locals each", g_locals, 50000, 100000 },
	{ "elem_items", "4 elem segments of 2.5M ref.func expressions", g_elem_items, 4, 2500000 },
	{ "bulk", "100k ordinary functions (loop, arithmetic, memory, call)", g_bulk, 100000, 0 },
};

static double now_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint8_t *read_module(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size;

	if (f && !fseek(f, 0, SEEK_END) && (size = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET)) {
		buf = malloc((size_t)size + 1);
		if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)size;
	}
	if (f)
		fclose(f);
	if (!buf)
		perror(path);
	return buf;
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

/* Best wall-clock and CPU seconds of `reps` loads, printed as a row;
 * false when the module does not load. */
static bool report(const char *name, const char *what, const uint8_t *bytes, size_t len,
		   int reps)
{
	double wall = -1, cpu = -1, mib = (double)len / (1 << 20);
	struct wbpf_error err = { 0 };

	for (int i = 0; i < reps; i++) {
		double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
		struct wbpf_module *mod = wbpf_module__new(bytes, len, &err);
		double w = now_s(CLOCK_MONOTONIC) - w0, c = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;

		if (!mod) {
			fprintf(stderr, "loadspeed: %s: %s\n", name, err.msg);
			printf("| %s | %s | %zu | - | - | - | - |\n", name, what, len);
			return false;
		}
		wbpf_module__free(mod);
		if (wall < 0 || w < wall)
			wall = w;
		if (cpu < 0 || c < cpu)
			cpu = c;
	}
	printf("| %s | %s | %zu | %.2f | %.0f | %.2f | %.0f |\n", name, what, len, wall * 1e3,
	       mib / wall, cpu * 1e3, mib / cpu);
	fflush(stdout);
	return true;
}

static bool wanted(const char *name, int argc, char **argv)
{
	if (optind >= argc)
		return true; /* no names: every shape */
	for (int i = optind; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *files[16];
	int reps = 5, opt, status = 0, nfiles = 0;

	while ((opt = getopt(argc, argv, "r:w:f:")) != -1) {
		if (opt == 'r')
			reps = atoi(optarg) > 0 ? atoi(optarg) : 1;
		else if (opt == 'w')
			dir = optarg;
		else if (opt == 'f' && nfiles < 16)
			files[nfiles++] = optarg;
		else
			return fprintf(stderr, "usage: loadspeed [-r REPS] [-w DIR] [-f FILE]... "
				       "[SHAPE...]\n"), 2;
	}
	printf("| module | what | bytes | wall ms | MiB/s | CPU ms | MiB/s (CPU) |\n"
	       "|---|---|---:|---:|---:|---:|---:|\n");
	for (int i = 0; i < nfiles; i++) {
		size_t len;
		uint8_t *bytes = read_module(files[i], &len);
		const char *base = strrchr(files[i], '/');

		if (!bytes || !report(base ? base + 1 : files[i], "file", bytes, len, reps))
			status = 1;
		free(bytes);
	}
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = &shapes[i];
		size_t len;

		if (!wanted(s->name, argc, argv))
			continue;
		uint8_t *bytes = s->gen(s->a, s->b, &len);

		if (!bytes)
			return fprintf(stderr, "loadspeed: out of memory\n"), 1;
		if ((dir && write_module(dir, s->name, bytes, len)) ||
		    !report(s->name, s->what, bytes, len, reps))
			status = 1;
		free(bytes);
	}
	return status;
}
