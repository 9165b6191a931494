// SPDX-License-Identifier: GPL-2.0
/* bench/l7/ringcost.c's program: at every socket send, a 128-byte record
 * into one BPF ring buffer shared by all CPUs, into the sending CPU's own
 * BPF ring buffer, or into the sending CPU's ring of the socket source's
 * own kind (src/l7/bpf/sock_ring.bpf.h). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "../../src/l7/bpf/sock_ring.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define RECORD 128

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} shared SEC(".maps");

struct cpu_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* the loader sets it to the number of CPUs */
	__type(key, __u32);
	__array(values, struct cpu_ring);
} per_cpu SEC(".maps");

const volatile __u32 layout; /* ringcost.c's enum layout */

static __always_inline void fill(__u64 *p, int words)
{
	for (int i = 0; i < words; i++)
		p[i] = 0;
}

/* A record of the socket source's kind: a header with no payload. */
static __always_inline void array_record(__u32 cpu)
{
	struct sock_ring_head *h = bpf_map_lookup_elem(&rings, &cpu);
	struct sock_rec *rec;
	__u64 pos;

	if (!h || !ring_reserve(h, RECORD, &pos))
		return;
	rec = ring_rec(h, pos);
	fill((__u64 *)&rec->ev, (RECORD - 16) / 8);
	rec->span = RECORD;
	ring_seal(rec, pos, 0);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(record, struct sock *sk, int ret, int flags)
{
	__u32 cpu = bpf_get_smp_processor_id();
	void *ring = &shared;
	__u64 *rec;

	if (layout == 2) {
		array_record(cpu);
		return 0;
	}
	if (layout == 1) {
		ring = bpf_map_lookup_elem(&per_cpu, &cpu);
		if (!ring)
			return 0;
	}
	rec = bpf_ringbuf_reserve(ring, RECORD, 0);
	if (!rec)
		return 0;
	fill(rec, RECORD / 8);
	bpf_ringbuf_submit(rec, BPF_RB_NO_WAKEUP);
	return 0;
}
