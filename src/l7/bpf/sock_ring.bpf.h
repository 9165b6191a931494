/* SPDX-License-Identifier: MIT */
/*
 * The programs' side of the rings as socktrace.h lays them out: the maps,
 * reserving a record and sealing it. socktrace.bpf.c writes its records
 * with these, and bench/l7/ringcost.bpf.c measures them.
 */
#ifndef WBPF_L7_SOCK_RING_BPF_H
#define WBPF_L7_SOCK_RING_BPF_H

#include "socktrace.h"

#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))

/* The rings, one per CPU (socktrace.h lays one out; src/l7/sock_rings.c
 * says why per CPU, why not BPF ring buffers, and merges them). The host
 * sizes the array and its values before load. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, SOCK_RING_DATA);
} rings SEC(".maps");

/* How the host is woken: a word in this BPF ring buffer, which it polls. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} doorbell SEC(".maps");

/* Each ring's size less one (a power of 2), set by the host before load:
 * the verifier then knows every record's bounds. */
const volatile __u64 ring_mask = 4095;

/* Room for span bytes at *pos, unless the ring is full. A single try: it
 * fails only to a program that took room in between (one that interrupted
 * this one, or on a CPU sharing the ring), and then counts as lost. */
static __always_inline bool ring_reserve(struct sock_ring_head *h, __u64 span, __u64 *pos)
{
	__u64 p = READ_ONCE(h->prod);

	if (p + span - READ_ONCE(h->cons) > ring_mask + 1)
		return false;
	*pos = p;
	return __sync_val_compare_and_swap(&h->prod, p, p + span) == p;
}

/* The record at pos. */
static __always_inline struct sock_rec *ring_rec(struct sock_ring_head *h, __u64 pos)
{
	return (void *)h + SOCK_RING_DATA + (pos & ring_mask);
}

/* Hands the record at pos, written, to the host: its seal, last. x86 (the
 * objects' target) keeps stores in order; the barrier keeps the compiler
 * from moving them. */
static __always_inline void ring_seal(struct sock_rec *rec, __u64 pos, __u64 secret)
{
	asm volatile("" ::: "memory");
	WRITE_ONCE(rec->seal, pos ^ secret);
}

#endif
