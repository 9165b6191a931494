// SPDX-License-Identifier: MIT
/* The socket source's rings: one per CPU, in an array the programs and
 * this file share through a mapping (src/l7/bpf/socktrace.h lays a ring
 * out), read here and merged by the records' kernel timestamps.
 *
 * Why not one ring for all CPUs: every record reserved in a shared ring
 * moves its producer position, a cache line that then travels between the
 * CPUs at every record when a client and a server run side by side. Under
 * bench/l7/ringcost.c on both CPUs a 128-byte record in a shared BPF ring
 * buffer cost 517-549 ns a program run, in a CPU's own 333-340.
 *
 * Why not BPF ring buffers at all: reserving and committing a record there
 * takes the ring's lock with interrupts off and helper calls (four through
 * dynptrs for a record of run-time size); a compare-and-swap on the
 * producer position and a sealing store cost less: 163-188 ns a program
 * run against 261-319 under bench/l7/ringcost.c. What a BPF ring buffer
 * still does here is wake this process: the programs ring a doorbell, a
 * one-page ring buffer polled through libbpf.
 *
 * Why merge: a thread that moves to another CPU between a request and its
 * response would otherwise have them read in the order the rings are
 * read. A record is taken once no other ring can still deliver an older
 * one: only records stamped before the drain began, less a slack for the
 * time between a program's clock read and its reservation, are merged;
 * the newer wait for the next drain.
 *
 * Rings are made for the CPUs online at the start; a CPU that comes
 * online later writes the first one (the reservation is safe between
 * CPUs too, and a shared ring keeps reservation order, which follows the
 * clock but for the instants between a program's clock read and its
 * reservation). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "l7/bpf/socktrace.h"
#include "l7/internal.h"

struct cpu_ring {
	struct sock_ring_head *head;
	const uint8_t *data;
	uint64_t cons, prod; /* this drain's read position and end */
	const struct sock_rec *rec; /* the next record to merge */
};

struct sock_rings {
	uint8_t *map;
	size_t map_len;
	struct cpu_ring *r;
	unsigned n;
	uint64_t mask, seal;
	uint64_t dropped;
	struct ring_buffer *doorbell;
	unsigned *active; /* rings with a record to merge, in this drain */
};

/* One ring's value in the array: its positions' page, the ring, and the
 * slack a record that starts near the end runs into, in whole pages so
 * that each ring starts on its own. */
size_t sock_rings__value_size(uint32_t ring_size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (SOCK_RING_DATA + (size_t)ring_size + SOCK_RING_SLACK + page - 1) / page * page;
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

/* Each of the first `cpus` CPUs' ring (ring_of_cpu[cpu]): its own for
 * each online CPU, the first for the others. Returns how many rings. */
unsigned sock_rings__assign(unsigned cpus, uint64_t *ring_of_cpu)
{
	bool *online = calloc(cpus, sizeof(*online));
	unsigned n = 0;

	if (!online) {
		memset(ring_of_cpu, 0, cpus * sizeof(*ring_of_cpu));
		return 1;
	}
	online_cpus(online, cpus);
	for (unsigned c = 0; c < cpus; c++)
		ring_of_cpu[c] = online[c] ? n++ : 0;
	free(online);
	return n;
}

void sock_rings__free(struct sock_rings *rs)
{
	if (!rs)
		return;
	if (rs->map)
		munmap(rs->map, rs->map_len);
	ring_buffer__free(rs->doorbell);
	free(rs->r);
	free(rs->active);
	free(rs);
}

static int ring_the_bell(void *ctx, void *data, size_t size)
{
	(void)ctx, (void)data, (void)size;
	return 0;
}

/* The n rings of `ring_size` bytes in the array rings_fd, and the doorbell
 * ring buffer; seal: the run's secret the programs seal records with. */
struct sock_rings *sock_rings__new(int rings_fd, int doorbell_fd, unsigned n, uint32_t ring_size,
				   uint64_t seal, int *err)
{
	struct sock_rings *rs = calloc(1, sizeof(*rs));
	size_t value_size = sock_rings__value_size(ring_size);
	void *map;

	if (!rs || !(rs->r = calloc(n, sizeof(*rs->r))) || !(rs->active = calloc(n, sizeof(*rs->active)))) {
		*err = -ENOMEM;
		goto fail;
	}
	rs->n = n;
	rs->mask = ring_size - 1;
	rs->seal = seal;
	map = mmap(NULL, n * value_size, PROT_READ | PROT_WRITE, MAP_SHARED, rings_fd, 0);
	if (map == MAP_FAILED) {
		*err = -errno;
		goto fail;
	}
	rs->map = map;
	rs->map_len = n * value_size;
	for (unsigned i = 0; i < n; i++) {
		rs->r[i].head = (void *)(rs->map + i * value_size);
		rs->r[i].data = rs->map + i * value_size + SOCK_RING_DATA;
	}
	rs->doorbell = ring_buffer__new(doorbell_fd, ring_the_bell, NULL, NULL);
	if (!rs->doorbell) {
		*err = -errno;
		goto fail;
	}
	return rs;
fail:
	sock_rings__free(rs);
	return NULL;
}

/* Waits up to ms for the doorbell: how many times it rang (0: timed out),
 * or a negative errno. */
int sock_rings__poll(struct sock_rings *rs, int ms)
{
	return ring_buffer__poll(rs->doorbell, ms);
}

/* Records a sealed header claims more than a record can be: nothing the
 * programs write, but this process trusts no length it did not check.
 * The rest of the ring's drain is dropped, and counted. */
static bool rec_sane(const struct sock_rec *rec, uint64_t room)
{
	return rec->span >= sizeof(*rec) && rec->span <= SOCK_REC_MAX && !(rec->span & 7) &&
	       rec->span <= room && rec->ev.len <= rec->span - sizeof(*rec);
}

/* The ring's next sealed record before its drain's end; false at the end
 * or at a record still being written (what follows it waits too). */
static bool ring_next(struct sock_rings *rs, struct cpu_ring *r)
{
	const struct sock_rec *rec = (const void *)(r->data + (r->cons & rs->mask));

	if (r->cons >= r->prod || __atomic_load_n(&rec->seal, __ATOMIC_ACQUIRE) != (r->cons ^ rs->seal))
		return false;
	if (!rec_sane(rec, r->prod - r->cons)) {
		rs->dropped++;
		r->cons = r->prod;
		return false;
	}
	r->rec = rec;
	return true;
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

		r->cons = r->head->cons;
		r->prod = __atomic_load_n(&r->head->prod, __ATOMIC_ACQUIRE);
		if (ring_next(rs, r) && r->rec->ev.time_ns < until)
			rs->active[n_active++] = i;
	}
	while (n_active) {
		unsigned best = 0;
		struct cpu_ring *r;

		for (unsigned a = 1; a < n_active; a++)
			if (rs->r[rs->active[a]].rec->ev.time_ns < rs->r[rs->active[best]].rec->ev.time_ns)
				best = a;
		r = &rs->r[rs->active[best]];
		on_record(ctx, &r->rec->ev, (uint32_t)sizeof(r->rec->ev) + r->rec->ev.len);
		r->cons += r->rec->span;
		if (!ring_next(rs, r) || r->rec->ev.time_ns >= until)
			rs->active[best] = rs->active[--n_active];
	}
	for (unsigned i = 0; i < rs->n; i++)
		if (rs->r[i].cons != rs->r[i].head->cons)
			__atomic_store_n(&rs->r[i].head->cons, rs->r[i].cons, __ATOMIC_RELEASE);
}

/* Records dropped because their header failed rec_sane(). */
uint64_t sock_rings__dropped(const struct sock_rings *rs)
{
	return rs ? rs->dropped : 0;
}
