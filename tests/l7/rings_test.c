// SPDX-License-Identifier: MIT
/*
 * The socket source's ring reader (src/l7/sock_rings.c) on rings written
 * here the way the BPF programs write them (src/l7/bpf/sock_ring.bpf.h):
 * records merged by time across rings, taken only once sealed with the
 * run's secret, held back from `until` on, contiguous past a ring's end,
 * and a sealed header with an impossible length dropped and counted.
 * The rings are a memfd mapped as the BPF array would be; the doorbell is
 * a real BPF ring buffer (root; skipped otherwise).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "check.h"
#include "l7/bpf/socktrace.h"
#include "l7/internal.h"

#define RING 4096u
#define N_RINGS 2u
#define SECRET 0x5eed5eed12345678ull

struct fixture {
	int rings_fd, doorbell_fd;
	uint8_t *map;
	size_t value_size;
	struct sock_rings *rs;
};

struct taken {
	unsigned n;
	uint64_t time[16];
	uint32_t len[16];
	char first[16];
};

static struct sock_ring_head *head_of(struct fixture *f, unsigned ring)
{
	return (void *)(f->map + ring * f->value_size);
}

/* A record of `len` payload bytes (each `fill`) at the ring's producer
 * position, sealed with `secret`; returns its position. */
static uint64_t put(struct fixture *f, unsigned ring, uint64_t time, uint32_t len, char fill,
		    uint64_t secret)
{
	struct sock_ring_head *h = head_of(f, ring);
	uint64_t pos = h->prod;
	struct sock_rec *rec = (void *)((uint8_t *)h + SOCK_RING_DATA + (pos & (RING - 1)));
	uint32_t span = (uint32_t)((sizeof(*rec) + len + 7) & ~7ul);

	memset(rec, 0, sizeof(*rec));
	rec->ev.time_ns = time;
	rec->ev.len = len;
	rec->span = span;
	memset(rec + 1, fill, len);
	rec->seal = pos ^ secret;
	h->prod = pos + span;
	return pos;
}

static void take(void *ctx, const struct sock_ev *ev, uint32_t size)
{
	struct taken *t = ctx;

	if (t->n < 16 && size == sizeof(*ev) + ev->len) {
		t->time[t->n] = ev->time_ns;
		t->len[t->n] = ev->len;
		t->first[t->n] = ev->len ? *(const char *)(ev + 1) : 0;
	}
	t->n++;
}

static bool setup(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->doorbell_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "wbpf_test_bell", 0, 0, 4096, NULL);
	if (f->doorbell_fd < 0) {
		printf("  skip: no BPF ring buffer for the doorbell (%s; root?)\n", strerror(errno));
		return false;
	}
	f->value_size = sock_rings__value_size(RING);
	f->rings_fd = memfd_create("wbpf_test_rings", MFD_CLOEXEC);
	if (!CHECK(f->rings_fd >= 0) || !CHECK(!ftruncate(f->rings_fd, (off_t)(N_RINGS * f->value_size))))
		return false;
	f->map = mmap(NULL, N_RINGS * f->value_size, PROT_READ | PROT_WRITE, MAP_SHARED, f->rings_fd, 0);
	if (!CHECK(f->map != MAP_FAILED))
		return false;
	int err = 0;

	f->rs = sock_rings__new(f->rings_fd, f->doorbell_fd, N_RINGS, RING, SECRET, &err);
	return CHECK(f->rs) && CHECK_EQ(err, 0);
}

static void teardown(struct fixture *f)
{
	sock_rings__free(f->rs);
	if (f->map && f->map != MAP_FAILED)
		munmap(f->map, N_RINGS * f->value_size);
	if (f->rings_fd > 0)
		close(f->rings_fd);
	if (f->doorbell_fd >= 0)
		close(f->doorbell_fd);
}

static void test_merged_by_time(void)
{
	struct fixture f;
	struct taken t = {0};

	if (setup(&f)) {
		put(&f, 0, 10, 5, 'a', SECRET);
		put(&f, 0, 30, 7, 'c', SECRET);
		put(&f, 1, 20, 3, 'b', SECRET);
		put(&f, 1, 40, 0, 0, SECRET);
		sock_rings__drain(f.rs, UINT64_MAX, take, &t);
		CHECK_EQ(t.n, 4);
		CHECK(t.time[0] == 10 && t.time[1] == 20 && t.time[2] == 30 && t.time[3] == 40);
		CHECK(t.first[0] == 'a' && t.first[1] == 'b' && t.first[2] == 'c');
		CHECK(t.len[0] == 5 && t.len[1] == 3 && t.len[2] == 7 && t.len[3] == 0);
		/* the space is handed back: consumer at producer */
		CHECK_EQ(head_of(&f, 0)->cons, head_of(&f, 0)->prod);
		CHECK_EQ(head_of(&f, 1)->cons, head_of(&f, 1)->prod);
		t.n = 0;
		sock_rings__drain(f.rs, UINT64_MAX, take, &t);
		CHECK_EQ(t.n, 0);
	}
	teardown(&f);
}

/* Bytes that are not sealed with this run's secret, at a position the
 * producer has passed (a record still being written, or stale bytes a
 * traced process put there), stop their ring until they are. */
static void test_unsealed_waits(void)
{
	struct fixture f;
	struct taken t = {0};

	if (setup(&f)) {
		uint64_t pos = put(&f, 1, 5, 4, 'x', SECRET ^ 1);

		put(&f, 1, 6, 4, 'y', SECRET);
		put(&f, 0, 7, 4, 'z', SECRET);
		sock_rings__drain(f.rs, UINT64_MAX, take, &t);
		CHECK_EQ(t.n, 1);
		CHECK_EQ(t.first[0], 'z');
		CHECK_EQ(head_of(&f, 1)->cons, 0);
		((struct sock_rec *)(f.map + f.value_size + SOCK_RING_DATA + pos))->seal = pos ^ SECRET;
		t.n = 0;
		sock_rings__drain(f.rs, UINT64_MAX, take, &t);
		CHECK_EQ(t.n, 2);
		CHECK(t.first[0] == 'x' && t.first[1] == 'y');
		CHECK_EQ(sock_rings__dropped(f.rs), 0);
	}
	teardown(&f);
}

static void test_until(void)
{
	struct fixture f;
	struct taken t = {0};

	if (setup(&f)) {
		put(&f, 0, 100, 1, 'a', SECRET);
		put(&f, 0, 200, 1, 'b', SECRET);
		put(&f, 1, 150, 1, 'c', SECRET);
		sock_rings__drain(f.rs, 200, take, &t);
		CHECK_EQ(t.n, 2);
		CHECK(t.time[0] == 100 && t.time[1] == 150);
		t.n = 0;
		sock_rings__drain(f.rs, 201, take, &t);
		CHECK_EQ(t.n, 1);
		CHECK_EQ(t.time[0], 200);
	}
	teardown(&f);
}

/* A record that starts near the ring's end is read whole, from the slack. */
static void test_past_the_end(void)
{
	struct fixture f;
	struct taken t = {0};

	if (setup(&f)) {
		struct sock_ring_head *h = head_of(&f, 0);

		h->prod = h->cons = 3 * RING - 64;
		put(&f, 0, 1, 1000, 'w', SECRET);
		put(&f, 0, 2, 10, 'v', SECRET);
		sock_rings__drain(f.rs, UINT64_MAX, take, &t);
		CHECK_EQ(t.n, 2);
		CHECK(t.len[0] == 1000 && t.first[0] == 'w' && t.first[1] == 'v');
		CHECK_EQ(h->cons, h->prod);
	}
	teardown(&f);
}

/* A sealed header whose length cannot be: the rest of that ring's drain is
 * dropped and counted, nothing read past the ring. */
static void test_impossible_length(void)
{
	struct fixture f;
	struct taken t = {0};

	if (setup(&f)) {
		uint64_t pos = put(&f, 0, 1, 8, 'a', SECRET);
		struct sock_rec *rec = (void *)(f.map + SOCK_RING_DATA + pos);

		put(&f, 0, 2, 8, 'b', SECRET);
		put(&f, 1, 3, 8, 'c', SECRET);
		rec->span = 1u << 30;
		sock_rings__drain(f.rs, UINT64_MAX, take, &t);
		CHECK_EQ(t.n, 1);
		CHECK_EQ(t.first[0], 'c');
		CHECK_EQ(sock_rings__dropped(f.rs), 1);
		CHECK_EQ(head_of(&f, 0)->cons, head_of(&f, 0)->prod);
		/* a payload longer than its record: dropped the same */
		pos = put(&f, 0, 4, 8, 'd', SECRET);
		((struct sock_rec *)(f.map + SOCK_RING_DATA + (pos & (RING - 1))))->ev.len = 4096;
		t.n = 0;
		sock_rings__drain(f.rs, UINT64_MAX, take, &t);
		CHECK_EQ(t.n, 0);
		CHECK_EQ(sock_rings__dropped(f.rs), 2);
	}
	teardown(&f);
}

static const struct check_test tests[] = {
	{"records merged by time across rings", test_merged_by_time},
	{"a record not sealed with the secret waits, and its ring behind it", test_unsealed_waits},
	{"records from `until` on wait for the next drain", test_until},
	{"a record past the ring's end is read whole", test_past_the_end},
	{"an impossible length is dropped and counted", test_impossible_length},
};

CHECK_MAIN(tests)
