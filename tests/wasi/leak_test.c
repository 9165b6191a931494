// SPDX-License-Identifier: MIT
/*
 * No fd leaks under abuse, through the library API. Each hostile guest
 * runs in this process, several times, with its stdio on pipes nobody
 * serves (stdin never written, stdout never read) and a scratch preopen;
 * a guest still running after RUN_MS is stopped from another thread, as
 * an embedder's deadline would: by wbpf_wasi__interrupt on even runs, by
 * wbpf_store__interrupt alone on odd ones. After each run the process must hold exactly the fds
 * it held before, and a blocked guest must have been stopped promptly.
 *
 *   leak_test SCRATCH MODULE.wasm[,ARG...] ...
 */
#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wbpf/wasi.h"
#include "wbpf/wasm.h"

#define RUNS 5
#define RUN_MS 300
#define MAX_ARGS 8
/* An interrupted guest must be gone well within this. */
#define STOP_MS 5000

struct guest {
	const char *argv[MAX_ARGS];
	size_t argc;
	void *bytes;
	size_t len;
};

struct stopper {
	struct wbpf_store *store;
	struct wbpf_wasi *wasi;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
	bool by_store;
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void ts_add_ms(struct timespec *ts, long ms)
{
	ts->tv_nsec += ms * 1000000L;
	ts->tv_sec += ts->tv_nsec / 1000000000L;
	ts->tv_nsec %= 1000000000L;
}

/* After RUN_MS, interrupts the guest until it is done (the store's flag
 * is reset when a call starts): through the store's flag alone or the
 * WASI object's alone, which must each end a wait in a WASI call. */
static void *stopper_main(void *arg)
{
	struct stopper *s = arg;
	struct timespec at;

	clock_gettime(CLOCK_REALTIME, &at);
	ts_add_ms(&at, RUN_MS);
	pthread_mutex_lock(&s->lock);
	while (!s->done) {
		if (pthread_cond_timedwait(&s->cond, &s->lock, &at) == 0 || s->done)
			continue;
		if (s->by_store)
			wbpf_store__interrupt(s->store);
		else
			wbpf_wasi__interrupt(s->wasi);
		ts_add_ms(&at, 10);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static int read_module(const char *path, struct guest *g)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	g->bytes = malloc(n > 0 ? (size_t)n : 1);
	g->len = g->bytes && n > 0 && fread(g->bytes, 1, (size_t)n, f) == (size_t)n ? (size_t)n : 0;
	fclose(f);
	return g->len ? 0 : -1;
}

/* Runs g's _start under the stopper; returns its run time in ms, or -1
 * when it could not be set up. */
static long run_guest(const struct guest *g, struct wbpf_module *mod, const char *scratch,
		      bool by_store, struct wbpf_error *err)
{
	int in[2], out[2];
	struct wbpf_wasi_preopen pre = {scratch, "/box"};
	struct stopper s = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
			    .by_store = by_store};
	struct wbpf_instance *inst;
	pthread_t thread;
	long start, ms = -1;

	if (pipe(in) || pipe(out))
		return -1;
	s.wasi = wbpf_wasi__new(&(struct wbpf_wasi_opts){
		.sz = sizeof(struct wbpf_wasi_opts), .argv = g->argv, .argc = g->argc,
		.preopens = &pre, .npreopens = 1, .stdio = (int[]){in[0], out[1], out[1]},
	}, err);
	s.store = wbpf_store__new(NULL);
	if (s.wasi && s.store && !wbpf_wasi__define(s.wasi, s.store) &&
	    !pthread_create(&thread, NULL, stopper_main, &s)) {
		start = now_ms();
		inst = wbpf_instance__new(s.store, mod, err);
		if (inst)
			wbpf_func__call(wbpf_instance__func(inst, "_start"), NULL, 0, NULL, 0, err);
		ms = now_ms() - start;
		pthread_mutex_lock(&s.lock);
		s.done = 1;
		pthread_cond_signal(&s.cond);
		pthread_mutex_unlock(&s.lock);
		pthread_join(thread, NULL);
	}
	wbpf_store__free(s.store);
	wbpf_wasi__free(s.wasi);
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
	return ms;
}

static int test_guest(struct guest *g, const char *scratch)
{
	struct wbpf_error err = {0};
	struct wbpf_module *mod = wbpf_module__new(g->bytes, g->len, &err);
	int before = count_fds(), failed = 0;

	if (!mod) {
		printf("  FAIL %s: %s\n", g->argv[0], err.msg);
		return 1;
	}
	for (int i = 0; i < RUNS && !failed; i++) {
		long ms = run_guest(g, mod, scratch, i % 2, &err);
		int after = count_fds();

		if (ms < 0 || ms > RUN_MS + STOP_MS || after != before) {
			printf("  FAIL %s run %d: %ld ms, %d fds before, %d after (%s)\n",
			       g->argv[0], i, ms, before, after, err.msg);
			failed = 1;
		}
	}
	wbpf_module__free(mod);
	if (!failed)
		printf("  ok   %s: %d runs (stopped through the store or WASI, or done), "
		       "no fd left behind\n", g->argv[0], RUNS);
	return failed;
}

/* "path,arg,arg": the module, then its arguments. */
static int parse_guest(char *spec, struct guest *g)
{
	char *save = NULL;

	*g = (struct guest){0};
	for (char *tok = strtok_r(spec, ",", &save); tok && g->argc < MAX_ARGS;
	     tok = strtok_r(NULL, ",", &save))
		g->argv[g->argc++] = tok;
	return g->argc ? read_module(g->argv[0], g) : -1;
}

int main(int argc, char **argv)
{
	int failed = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s SCRATCH MODULE.wasm[,ARG...] ...\n", argv[0]);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		struct guest g;

		if (parse_guest(argv[i], &g)) {
			printf("  FAIL cannot read %s\n", argv[i]);
			failed = 1;
			continue;
		}
		failed |= test_guest(&g, argv[1]);
		free(g.bytes);
	}
	return failed;
}
