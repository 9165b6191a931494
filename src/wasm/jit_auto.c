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

/* The BPF object check forks and runs libbpf's parser in the child. A
 * fork while a compile thread holds an allocator lock leaves the child's
 * allocator locked wherever the allocator has no fork handlers (clang
 * 14's AddressSanitizer), and the child hangs until the check's time
 * limit. So a compile thread never allocates where a fork can split it:
 * it holds this guard shared while compiling and lets a fork through only
 * between functions; its start-up is waited for; and once done it parks
 * until the module is freed, so its exit (which returns its allocator
 * caches) happens in wasm_jit_auto_stop, not at a random time. */
static pthread_rwlock_t fork_guard = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
static pthread_once_t fork_guard_once = PTHREAD_ONCE_INIT;

static void fork_prepare(void)
{
	pthread_rwlock_wrlock(&fork_guard);
}

static void fork_parent(void)
{
	pthread_rwlock_unlock(&fork_guard);
}

/* The child has no compile thread; the lock records its parent's thread
 * as the writer, so it starts over rather than being unlocked. */
static void fork_child(void)
{
	fork_guard = (pthread_rwlock_t)PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
}

static void fork_guard_init(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

void wasm_jit_fork_point(void)
{
	pthread_rwlock_unlock(&fork_guard);
	pthread_rwlock_rdlock(&fork_guard);
}

struct jit_background {
	pthread_t thread;
	pid_t pid;	    /* the process that started it (a fork's child has no thread) */
	atomic_bool cancel; /* the module is being freed */
	pthread_mutex_t lock;
	pthread_cond_t wake; /* started, or cancelled */
	bool started;
	struct wbpf_module *mod;
	char *cache_dir;
	uint64_t cache_max;
};

/* In a fork's child the lock and condition are copies still naming the
 * parent's thread as a waiter: they are left undestroyed. */
static void free_background(struct jit_background *bg)
{
	if (bg->pid == getpid()) {
		pthread_cond_destroy(&bg->wake);
		pthread_mutex_destroy(&bg->lock);
	}
	free(bg->cache_dir);
	free(bg);
}

static void *compile_in_background(void *arg)
{
	struct jit_background *bg = arg;
	struct jit_opts o = { .cache_dir = bg->cache_dir, .cache_max = bg->cache_max,
			      .cancel = &bg->cancel, .fork_points = true };
	struct wbpf_error ignored;

	pthread_rwlock_rdlock(&fork_guard);
	pthread_mutex_lock(&bg->lock);
	bg->started = true;
	pthread_cond_broadcast(&bg->wake);
	pthread_mutex_unlock(&bg->lock);
	/* A failure leaves the module interpreted, as it started. */
	wasm_jit_compile_module(bg->mod, &o, &ignored);
	pthread_rwlock_unlock(&fork_guard);
	pthread_mutex_lock(&bg->lock);
	while (!atomic_load(&bg->cancel))
		pthread_cond_wait(&bg->wake, &bg->lock);
	pthread_mutex_unlock(&bg->lock);
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
	pthread_once(&fork_guard_once, fork_guard_init);
	bg = calloc(1, sizeof(*bg));
	if (!bg || (o.cache_dir && !(bg->cache_dir = strdup(o.cache_dir)))) {
		free(bg);
		return wasm_jit_compile_module(mod, &o, err);
	}
	bg->mod = mod;
	bg->cache_max = o.cache_max;
	bg->pid = getpid();
	atomic_init(&bg->cancel, false);
	pthread_mutex_init(&bg->lock, NULL);
	pthread_cond_init(&bg->wake, NULL);
	/* The thread takes no signals: they stay the embedder's threads'. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&bg->thread, NULL, compile_in_background, bg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		free_background(bg);
		return wasm_jit_compile_module(mod, &o, err);
	}
	pthread_mutex_lock(&bg->lock);
	while (!bg->started)
		pthread_cond_wait(&bg->wake, &bg->lock);
	pthread_mutex_unlock(&bg->lock);
	mod->jit_background = bg;
	return 0;
}

void wasm_jit_auto_stop(struct wbpf_module *mod)
{
	struct jit_background *bg = mod->jit_background;

	if (!bg)
		return;
	if (bg->pid == getpid()) {
		pthread_mutex_lock(&bg->lock);
		atomic_store(&bg->cancel, true);
		pthread_cond_broadcast(&bg->wake);
		pthread_mutex_unlock(&bg->lock);
		pthread_join(bg->thread, NULL);
	}
	free_background(bg);
	mod->jit_background = NULL;
}
