/* SPDX-License-Identifier: MIT */
/*
 * WASI preview1 (`wasi_snapshot_preview1`) for wbpf's engine.
 *
 * One `struct wbpf_wasi` is the whole world a guest sees: its arguments,
 * environment, standard streams and the directories it was granted. There
 * is no ambient authority: a guest reaches the file system only through
 * preopened directories, and every path is resolved beneath one of them
 * (`..`, absolute paths and symlinks cannot leave it).
 *
 * Usage:
 *	wasi = wbpf_wasi__new(&opts, &err);
 *	wbpf_wasi__define(wasi, store);	   before instantiating
 *	... run _start; proc_exit ends it with WBPF_ERR_EXIT ...
 *	wbpf_store__free(store);
 *	wbpf_wasi__free(wasi);
 *
 * The object must outlive every instance that imports from it. Host
 * functions run on the store's thread; only wbpf_wasi__interrupt() may be
 * called from elsewhere.
 */
#ifndef WBPF_WASI_H
#define WBPF_WASI_H

#include <stdbool.h>
#include <stddef.h>

#include "wbpf/wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

struct wbpf_wasi;

/* A host directory the guest may use, visible to it as guest_path
 * (NULL = the host path as written). */
struct wbpf_wasi_preopen {
	const char *host_path;
	const char *guest_path;
};

struct wbpf_wasi_opts {
	size_t sz;			/* sizeof(struct wbpf_wasi_opts) */
	const char *const *argv;	/* argc strings; argv[0] is the program */
	size_t argc;
	const char *const *env;		/* envc "KEY=VALUE" strings */
	size_t envc;
	const struct wbpf_wasi_preopen *preopens; /* guest fds 3, 4, ... */
	size_t npreopens;
	/* Host fds behind guest fds 0, 1, 2; NULL = the process's own 0, 1,
	 * 2. A negative entry leaves that guest fd closed. They stay the
	 * caller's: pipes and terminals are reopened, the rest duplicated,
	 * and the flags of the caller's descriptions never change. */
	const int *stdio;
	/* Host sockets (listening or connected) the guest gets as the fds
	 * after the preopened directories, for sock_accept, sock_recv,
	 * sock_send and sock_shutdown. wbpf keeps a duplicate and makes the
	 * socket non-blocking (accept(2) has no other way not to wait). */
	const int *sockets;
	size_t nsockets;
};

/* Copies everything in opts and opens the preopened directories. NULL on
 * error (errno set; err, if given, names the directory or the problem). */
struct wbpf_wasi *wbpf_wasi__new(const struct wbpf_wasi_opts *opts, struct wbpf_error *err);
/* Closes every guest fd. */
void wbpf_wasi__free(struct wbpf_wasi *wasi);

/* Defines every wasi_snapshot_preview1 function in `store`. proc_raise,
 * which wbpf does not implement, returns ENOSYS, so modules link. */
int wbpf_wasi__define(struct wbpf_wasi *wasi, struct wbpf_store *store);

/* True once the guest called proc_exit; *code gets its status. */
bool wbpf_wasi__exited(const struct wbpf_wasi *wasi, int *code);

/* Safe from any thread and from a signal handler: a guest waiting in any
 * WASI call (a read or write of a pipe, terminal or socket, the open of a
 * FIFO, poll_oneoff) traps now, and any later I/O call traps at once.
 * Pair it with wbpf_store__interrupt(), which stops running guest code.
 * See docs/wasi.md. */
void wbpf_wasi__interrupt(struct wbpf_wasi *wasi);

#ifdef __cplusplus
}
#endif
#endif /* WBPF_WASI_H */
