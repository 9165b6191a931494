// SPDX-License-Identifier: MIT
/* The socket source's rings: one BPF ring buffer per CPU, read here
 * through their mappings and merged by the records' kernel timestamps.
 *
 * Why not one ring for all CPUs: every record reserved in a shared ring
 * takes its lock and moves its producer position, two cache lines that
 * then travel between the CPUs at every record when a client and a server
 * run side by side. Under bench/l7/sockcall.c on both CPUs a 128-byte
 * record cost 590 ns in a shared ring and 255 ns in a CPU's own.
 *
 * Why merge: a thread that moves to another CPU between a request and its
 * response would otherwise have them read in the order the rings are
 * read. A record is taken once no other ring can still deliver an older
 * one: only records stamped before the drain began, less a slack for the
 * time between a program's clock read and its commit, are merged; the
 * newer wait for the next drain.
 *
 * Rings are made for the CPUs online at the start; a CPU that comes
 * online later shares the first one's (a shared ring is still correct,
 * and kept in commit order, which follows the clock but for the
 * instants between a program's clock read and its reserve). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "l7/bpf/socktrace.h"
#include "l7/internal.h"

/* A record's header in the ring (the kernel's layout): its length with
 * the busy and discard bits, and its page offset. */
struct ring_hdr {
	uint32_t len;
	int32_t pg_off;
};

struct cpu_ring {
	int fd;
	unsigned long *consumer; /* written here */
	const unsigned long *producer;
	const uint8_t *data; /* mapped twice in a row: no record wraps */
	uint64_t mask;
	uint64_t cons, prod; /* this drain's read position and end */
	const struct sock_ev *head;
	uint32_t head_len;
};

struct sock_rings {
	struct cpu_ring *r;
	unsigned n; /* rings made */
	int epoll_fd;
	size_t page;
	unsigned *active; /* rings with a head to merge, in this drain */
};

static int ring_map(struct cpu_ring *r, uint32_t size, size_t page)
{
	void *cons, *prod;

	r->fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "wbpf_l7_cpu", 0, 0, size, NULL);
	if (r->fd < 0)
		return -errno;
	cons = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (cons == MAP_FAILED)
		return -errno;
	r->consumer = cons;
	prod = mmap(NULL, page + 2 * (size_t)size, PROT_READ, MAP_SHARED, r->fd, (off_t)page);
	if (prod == MAP_FAILED)
		return -errno;
	r->producer = prod;
	r->data = (const uint8_t *)prod + page;
	r->mask = size - 1;
	return 0;
}

static void ring_unmap(struct cpu_ring *r, size_t page)
{
	if (r->producer)
		munmap((void *)r->producer, page + 2 * (r->mask + 1));
	if (r->consumer)
		munmap(r->consumer, page);
	if (r->fd >= 0)
		close(r->fd);
}

void sock_rings__free(struct sock_rings *rs)
{
	if (!rs)
		return;
	for (unsigned i = 0; rs->r && i < rs->n; i++)
		ring_unmap(&rs->r[i], rs->page);
	if (rs->epoll_fd >= 0)
		close(rs->epoll_fd);
	free(rs->r);
	free(rs->active);
	free(rs);
}

/* Which of the first `cpus` CPUs are online (/sys's list: "0-3,6,8-9");
 * all of them when the list cannot be read. */
static void online_cpus(bool *online, unsigned cpus)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");
	unsigned a, b;
	int n;

	if (!f) {
		memset(online, 1, cpus);
		return;
	}
	while ((n = fscanf(f, "%u-%u", &a, &b)) >= 1) {
		for (unsigned c = a; c <= (n == 2 ? b : a) && c < cpus; c++)
			online[c] = true;
		if (fgetc(f) != ',')
			break;
	}
	fclose(f);
	if (!memchr(online, 1, cpus))
		memset(online, 1, cpus);
}

/* A new ring of `size` bytes in slot `cpu` of the programs' array of rings
 * (outer_fd), watched by the epoll set. */
static int ring_add(struct sock_rings *rs, int outer_fd, __u32 cpu, uint32_t size)
{
	struct cpu_ring *r = &rs->r[rs->n++];
	struct epoll_event e = {.events = EPOLLIN | EPOLLET};
	int rc;

	r->fd = -1;
	if ((rc = ring_map(r, size, rs->page)))
		return rc;
	if (bpf_map_update_elem(outer_fd, &cpu, &r->fd, BPF_ANY) ||
	    epoll_ctl(rs->epoll_fd, EPOLL_CTL_ADD, r->fd, &e))
		return -errno;
	return 0;
}

/* A ring of `size` bytes for each online CPU among the first `cpus`, each
 * put in its CPU's slot of the programs' array of rings (outer_fd); the
 * other slots get the first ring. */
struct sock_rings *sock_rings__new(int outer_fd, unsigned cpus, uint32_t size, int *err)
{
	struct sock_rings *rs = calloc(1, sizeof(*rs));
	bool *online = calloc(cpus, sizeof(*online));
	int rc = -ENOMEM;

	if (!rs || !online)
		goto fail;
	rs->epoll_fd = -1;
	rs->page = (size_t)sysconf(_SC_PAGESIZE);
	rs->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	rs->r = calloc(cpus, sizeof(*rs->r));
	rs->active = calloc(cpus, sizeof(*rs->active));
	if (rs->epoll_fd < 0 || !rs->r || !rs->active)
		goto fail;
	online_cpus(online, cpus);
	for (__u32 c = 0; c < cpus; c++)
		if (online[c] && (rc = ring_add(rs, outer_fd, c, size)))
			goto fail;
	for (__u32 c = 0; c < cpus; c++)
		if (!online[c] && bpf_map_update_elem(outer_fd, &c, &rs->r[0].fd, BPF_ANY)) {
			rc = -errno;
			goto fail;
		}
	free(online);
	return rs;
fail:
	free(online);
	sock_rings__free(rs);
	*err = rc;
	return NULL;
}

/* Waits up to ms for a ring's wakeup. */
int sock_rings__poll(struct sock_rings *rs, int ms)
{
	struct epoll_event e[8];
	int n = epoll_wait(rs->epoll_fd, e, 8, ms);

	return n < 0 ? -errno : n;
}

/* The ring space a record of `size` bytes takes: its header and itself,
 * rounded up to 8 bytes. */
static uint64_t record_span(uint32_t size)
{
	return (size + BPF_RINGBUF_HDR_SZ + 7) & ~7ull;
}

/* The ring's next committed record before its drain's end, skipping the
 * discarded; false at the end or at a record still being written (what
 * follows it waits too). */
static bool ring_next(struct cpu_ring *r)
{
	while (r->cons < r->prod) {
		const struct ring_hdr *h = (const void *)(r->data + (r->cons & r->mask));
		uint32_t len = __atomic_load_n(&h->len, __ATOMIC_ACQUIRE);
		uint32_t size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);

		if (len & BPF_RINGBUF_BUSY_BIT)
			return false;
		if (!(len & BPF_RINGBUF_DISCARD_BIT) && size >= sizeof(struct sock_ev)) {
			r->head = (const void *)(h + 1);
			r->head_len = size;
			return true;
		}
		r->cons += record_span(size);
	}
	return false;
}

static void ring_take(struct cpu_ring *r)
{
	r->cons += record_span(r->head_len);
}

/* Each ring's records up to its end as read now, stamped before `until`
 * (CLOCK_MONOTONIC ns), to on_record oldest first. The space is handed
 * back to the programs once per ring, at the end: a consumer position
 * moved at every record would be a cache line pulled from here into the
 * producing CPU at every record. */
void sock_rings__drain(struct sock_rings *rs, uint64_t until, sock_ring_cb on_record, void *ctx)
{
	unsigned n_active = 0;

	for (unsigned i = 0; i < rs->n; i++) {
		struct cpu_ring *r = &rs->r[i];

		r->cons = *r->consumer;
		r->prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
		if (ring_next(r) && r->head->time_ns < until)
			rs->active[n_active++] = i;
	}
	while (n_active) {
		unsigned best = 0;
		struct cpu_ring *r;

		for (unsigned a = 1; a < n_active; a++)
			if (rs->r[rs->active[a]].head->time_ns < rs->r[rs->active[best]].head->time_ns)
				best = a;
		r = &rs->r[rs->active[best]];
		on_record(ctx, r->head, r->head_len);
		ring_take(r);
		if (!ring_next(r) || r->head->time_ns >= until)
			rs->active[best] = rs->active[--n_active];
	}
	for (unsigned i = 0; i < rs->n; i++)
		if (rs->r[i].cons != *rs->r[i].consumer)
			__atomic_store_n(rs->r[i].consumer, rs->r[i].cons, __ATOMIC_RELEASE);
}
