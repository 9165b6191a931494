// SPDX-License-Identifier: MIT
/*
 * The `auto` engine: a module whose machine code is in the code cache
 * runs it from the start; otherwise it starts in the interpreter while a
 * background thread compiles it, and calls switch to the machine code once
 * it is published (each function's `native`, read at every call). A
 * function already running in the interpreter finishes there; the tiers
 * charge the same fuel and trap the same way, so only speed changes.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasm/jit.h"
#include "wasm/module.h"

struct jit_background {
	pthread_t thread;
	pid_t pid;	    /* the process that started it (a fork's child has no thread) */
	atomic_bool cancel; /* the module is being freed */
	struct wbpf_module *mod;
	char *cache_dir;
	uint64_t cache_max;
};

static void *compile_in_background(void *arg)
{
	struct jit_background *bg = arg;
	struct jit_opts o = { .cache_dir = bg->cache_dir, .cache_max = bg->cache_max,
			      .cancel = &bg->cancel };
	struct wbpf_error ignored;

	/* A failure leaves the module interpreted, as it started. */
	wasm_jit_compile_module(bg->mod, &o, &ignored);
	return NULL;
}

int wasm_jit_auto(struct wbpf_module *mod, const struct jit_opts *opts, struct wbpf_error *err)
{
	struct jit_opts o = *opts;
	struct jit_background *bg;
	sigset_t all, old;
	int rc;

	o.cache_only = true;
	rc = o.cache_dir ? wasm_jit_compile_module(mod, &o, err) : -ENOENT;
	if (rc != -ENOENT)
		return rc;
	o.cache_only = false;
	bg = calloc(1, sizeof(*bg));
	if (!bg || (o.cache_dir && !(bg->cache_dir = strdup(o.cache_dir)))) {
		free(bg);
		return wasm_jit_compile_module(mod, &o, err);
	}
	bg->mod = mod;
	bg->cache_max = o.cache_max;
	bg->pid = getpid();
	atomic_init(&bg->cancel, false);
	/* The thread takes no signals: they stay the embedder's threads'. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&bg->thread, NULL, compile_in_background, bg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		free(bg->cache_dir);
		free(bg);
		return wasm_jit_compile_module(mod, &o, err);
	}
	mod->jit_background = bg;
	return 0;
}

void wasm_jit_auto_stop(struct wbpf_module *mod)
{
	struct jit_background *bg = mod->jit_background;

	if (!bg)
		return;
	atomic_store(&bg->cancel, true);
	if (bg->pid == getpid())
		pthread_join(bg->thread, NULL);
	free(bg->cache_dir);
	free(bg);
	mod->jit_background = NULL;
}
