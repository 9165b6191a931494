// SPDX-License-Identifier: MIT
/*
 * `wbpf run --timeout`: a thread that sleeps until the deadline and then
 * interrupts the guest: its loading and its code (wbpf_store__interrupt),
 * any wait in a WASI call (wbpf_wasi__interrupt) or a buffer poll.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/run.h"
#include "ticker.h"

/* The store clears its interrupt flag when a top-level call starts, so an
 * interrupt landing between two calls (_initialize, then the function)
 * would be lost: once fired, it is repeated this often until the end. */
#define REPEAT_NS 10000000u

struct run_deadline {
	struct ticker ticker;
	atomic_bool fired;
	struct wbpf_store *store;
	struct wbpf_wasi *wasi;
	_Atomic(struct wbpf_bpf_host *) bpf;
};

static void deadline_fire(void *arg)
{
	struct run_deadline *d = arg;
	struct wbpf_bpf_host *bpf = atomic_load(&d->bpf);

	atomic_store(&d->fired, true);
	wbpf_store__interrupt(d->store); /* loading or running */
	wbpf_wasi__interrupt(d->wasi);
	if (bpf) /* and a wait in a ring or perf buffer poll */
		wbpf_bpf_host__interrupt(bpf);
}

int run_deadline__start(struct run_ctx *r)
{
	struct run_deadline *d = calloc(1, sizeof(*d));
	int ret = -ENOMEM;

	if (d) {
		d->store = r->store;
		d->wasi = r->wasi;
		ret = ticker__start(&d->ticker, r->opts->timeout_ns, REPEAT_NS, deadline_fire, d);
	}
	if (ret) {
		free(d);
		fprintf(stderr, "wbpf run: cannot start the --timeout thread: %s\n", strerror(-ret));
		return ret;
	}
	r->deadline = d;
	return 0;
}

void run_deadline__watch_bpf(struct run_ctx *r)
{
	if (r->deadline)
		atomic_store(&r->deadline->bpf, r->bpf);
}

void run_deadline__stop(struct run_ctx *r)
{
	if (!r->deadline)
		return;
	ticker__stop(&r->deadline->ticker);
	free(r->deadline);
	r->deadline = NULL;
}

bool run_deadline__fired(const struct run_deadline *d)
{
	return d && atomic_load(&d->fired);
}
