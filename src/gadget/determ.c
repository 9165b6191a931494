// SPDX-License-Identifier: MIT
/*
 * --deterministic: Inspektor Gadget's fake WASI clocks and random bytes
 * for an operator, so that its output repeats from run to run. They
 * shadow the real WASI functions in the operator's store. The realtime
 * clock starts at 2022-01-01T00:00:00Z and the others at 0; every read
 * of a clock moves it on by 1 ms. random_get is a fixed stream (seed 42;
 * the stream is wbpf's own, not the bytes IG's Go runtime gives).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "abi/abi.h"
#include "gadget/operator.h"

#define WASI_EINVAL 28
#define WASI_EFAULT 21
#define REALTIME_START 1640995200000000000ull /* 2022-01-01T00:00:00Z */
#define TICK 1000000ull			      /* ns per read */
#define NCLOCKS 4

struct gfake {
	uint64_t reads[NCLOCKS];
	uint64_t rng;
};

static int fake_clock(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gfake *f = user;
	uint32_t id = ARG_U32(s, 0);
	uint64_t t;
	void *out;

	if (id >= NCLOCKS)
		return abi_ret(s, WASI_EINVAL);
	if (!(out = wbpf_caller__mem(c, ARG_U32(s, 2), 8)))
		return abi_ret(s, WASI_EFAULT);
	t = (id == 0 ? REALTIME_START : 0) + f->reads[id]++ * TICK;
	memcpy(out, &t, 8);
	return abi_ret(s, 0);
}

/* splitmix64: small, and every seed gives a full-period stream. */
static uint64_t next(struct gfake *f)
{
	uint64_t z = (f->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int fake_random(struct wbpf_caller *c, uint64_t *s, void *user)
{
	uint32_t len = ARG_U32(s, 1);
	uint8_t *out = wbpf_caller__mem(c, ARG_U32(s, 0), len);

	if (!out && len)
		return abi_ret(s, WASI_EFAULT);
	for (uint32_t i = 0; i < len; i += 8) {
		uint64_t r = next(user);

		memcpy(out + i, &r, len - i < 8 ? len - i : 8);
	}
	return abi_ret(s, 0);
}

int gop_define_deterministic(struct gop *op)
{
	static const struct abi_func fakes[] = {
		{"clock_time_get", "(iIi)i", fake_clock},
		{"random_get", "(ii)i", fake_random},
	};

	if (!(op->fake = calloc(1, sizeof(*op->fake))))
		return -ENOMEM;
	op->fake->rng = 42;
	return abi_define(op->store, "wasi_snapshot_preview1", fakes, 2, op->fake);
}
