// SPDX-License-Identifier: MIT
/*
 * Guard regions: every linear memory reserves 8 GiB of address space, of
 * which only its current size is accessible. Any 32-bit address plus a
 * 32-bit offset lands inside the reservation, so loads and stores need no
 * bounds check: an access past the end faults, and this handler turns
 * that fault into a trap by jumping back to the interpreter's entry.
 *
 * The handler needs to know, from inside a signal, which store the
 * faulting thread is running: that is the one thread-local here. Faults
 * that are not guest accesses go to the handler installed before ours.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>

#include "wasm/jit.h"
#include "wasm/runtime.h"

static _Thread_local struct wasm_landing *current_landing;
static struct sigaction previous_segv, previous_bus;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static bool in_reservation(const struct wbpf_store *st, uintptr_t addr)
{
	for (const struct wbpf_memory *m = st->memories; m; m = m->next)
		if (addr >= (uintptr_t)m->data && addr - (uintptr_t)m->data < m->reserved)
			return true;
	return false;
}

static void pass_on(int sig, siginfo_t *si, void *uctx)
{
	const struct sigaction *prev = sig == SIGBUS ? &previous_bus : &previous_segv;

	if ((prev->sa_flags & SA_SIGINFO) && prev->sa_sigaction) {
		prev->sa_sigaction(sig, si, uctx);
		return;
	}
	if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
		prev->sa_handler(sig);
		return;
	}
	/* Default action: returning re-executes the access, which now kills. */
	signal(sig, SIG_DFL);
}

static void on_fault(int sig, siginfo_t *si, void *uctx)
{
	struct wasm_landing *l = current_landing;

	if (l && l->in_guest && in_reservation(l->store, (uintptr_t)si->si_addr)) {
#if defined(__x86_64__)
		/* Compiled code keeps the budget in r14, not in the store,
		 * and its calls' frames on the stack the unwind reuses. */
		const greg_t *r = ((ucontext_t *)uctx)->uc_mcontext.gregs;

		l->fault_r14 = (int64_t)r[REG_R14];
		wasm_jit_fault(l->store, (uintptr_t)r[REG_RSP], (uintptr_t)r[REG_RIP]);
#endif
		siglongjmp(l->jump, 1);
	}
	pass_on(sig, si, uctx);
}

static void install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	/* No mask to restore after siglongjmp: keep the signal unblocked. */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &previous_segv);
	sigaction(SIGBUS, &sa, &previous_bus);
}

void wasm_guard_install(void)
{
	pthread_once(&install_once, install);
}

void wasm_guard_enter(struct wasm_landing *l, struct wbpf_store *st)
{
	l->store = st;
	l->in_guest = true;
	l->jit_ctx = st->jit_ctx;
	l->jit_in_code = st->jit_in_code;
	l->prev = current_landing;
	current_landing = l;
}

void wasm_guard_leave(struct wasm_landing *l)
{
	current_landing = l->prev;
}

/* Host functions run outside the guard: their faults are real bugs. */
void wasm_guard_pause(bool paused)
{
	if (current_landing)
		current_landing->in_guest = !paused;
}

struct wasm_landing *wasm_guard_current(void)
{
	return current_landing;
}
