/* SPDX-License-Identifier: MIT */
/*
 * What src/l7/bpf/socktrace.bpf.c and the host (src/l7/sock.c,
 * sock_rings.c) share: the rings' layout and record, the configuration
 * entry and the counters.
 * Both sides include it; it uses only the kernel's __u types.
 */
#ifndef WBPF_L7_SOCKTRACE_H
#define WBPF_L7_SOCKTRACE_H

/* Payload bytes one record can carry: the pipeline's reassembly limit
 * (its default largest message), so that one call's message is never cut
 * by the record. A power of 2: the BPF side masks offsets with it to
 * satisfy the verifier. */
#define SOCK_DATA_MAX 65536
/* iovec entries read per call: past them the bytes are counted only. */
#define SOCK_IOV_MAX 16
/* sendmmsg/recvmmsg: messages of one call that get records. */
#define SOCK_MMSG_MAX 8

enum sock_ev_kind {
	SOCK_EV_DATA = 0,
	SOCK_EV_CLOSE = 1,
};

enum sock_role {
	SOCK_ROLE_UNKNOWN = 0,
	SOCK_ROLE_CLIENT = 1, /* connect() was called on it */
	SOCK_ROLE_SERVER = 2, /* accept() returned it */
};

/* DeepFlow's ebpf_type numbering (src/l7/message.h's l7_source_kind). */
enum sock_via {
	SOCK_VIA_SYSCALL = 0,
	SOCK_VIA_TLS = 1,
};

struct sock_ev {
	__u64 sock;    /* the kernel's struct sock: the observing endpoint */
	__u64 time_ns; /* CLOCK_MONOTONIC */
	__u64 bytes;   /* what the call moved; len of them follow */
	__u32 pid, tid;
	__u32 len;
	__u16 lport, rport; /* host order */
	__u8 laddr[16], raddr[16]; /* IPv4 in the first 4 bytes */
	__u8 family;		   /* 4 or 6 */
	__u8 l4;		   /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 kind;		   /* enum sock_ev_kind */
	__u8 egress;		   /* 1: the process sent these bytes */
	__u8 role;		   /* enum sock_role */
	__u8 via;		   /* enum sock_via */
	__u8 pad[2];
	char comm[16];
	/* then len bytes of payload */
};

/* A ring: one value of the `rings` array (mmapable), which the host maps.
 * The programs reserve a record by moving prod with a compare-and-swap
 * (safe against a program that interrupts another on the same CPU, and
 * against CPUs that share a ring), write it, and seal it last; the host
 * reads records up to the first unsealed one and moves cons. The
 * positions count bytes from the start and never wrap; a record starts
 * at SOCK_RING_DATA + (position mod the ring's size) and runs on into
 * the slack past the ring's end rather than wrap, so that it is
 * contiguous. Each position on its own cache line: prod is written by
 * the producing CPU alone (mostly), cons by the host alone. */
struct sock_ring_head {
	__u64 prod;
	__u64 pad1[7];
	__u64 cons;
	__u64 pad2[7];
};

#define SOCK_RING_DATA 4096 /* where the data starts: a page, for the mapping */

/* A record in a ring. seal is written last: the record's position XOR the
 * run's secret (sock_cfg.seal). The host takes a record only once its
 * seal is right, so that bytes a ring holds from an earlier round (the
 * traced processes' payloads among them) pass for a record's header only
 * if they match a 64-bit secret the traced processes never see. */
struct sock_rec {
	__u64 seal;
	__u32 span; /* bytes the record takes in the ring: a multiple of 8 */
	__u32 pad;
	struct sock_ev ev;
	/* then ev.len bytes of payload */
};

/* The longest record the programs write: a header and SOCK_DATA_MAX
 * bytes, padded to 8. */
#define SOCK_REC_MAX ((sizeof(struct sock_rec) + SOCK_DATA_MAX + 7) & ~7ul)

/* Past a ring's end, room for a record that starts just before it: its
 * header and, as the verifier sees the payload copy (an offset below
 * SOCK_DATA_MAX plus a length up to it), twice the payload. */
#define SOCK_RING_SLACK (sizeof(struct sock_rec) + 2 * SOCK_DATA_MAX)

/* Entry 0 of the `settings` array, written by the host after load. */
struct sock_cfg {
	__u32 self_pid; /* never traced: wbpf itself */
	__u32 pid;	/* 0: every process */
	__u64 cgroup;	/* cgroup v2 id; 0: every cgroup */
	__u32 payload;	/* bytes kept per call, <= SOCK_DATA_MAX */
	__u16 port;	/* either end's port; 0: every port */
	__u8 has_comm;
	__u8 pad;
	char comm[16];
	__u32 wake_bytes; /* a power of 2: socktrace.bpf.c's wake_host() */
	__u32 pad2;
	__u64 seal; /* the run's secret: struct sock_rec says why */
};

/* Slots of the per-CPU `counters` array: the counters the host sums, then
 * each CPU's own. */
enum sock_counter {
	SOCK_CNT_SENT = 0,    /* records the programs tried to send */
	SOCK_CNT_LOST = 1,    /* of them, refused by a full ring */
	SOCK_CNT_UNBOUND = 2, /* TLS calls whose socket was never seen */
	SOCK_CNT_N = 3,
	SOCK_SLOT_RING = 3, /* which ring this CPU writes (the host sets it) */
	SOCK_SLOT_ADDR = 4, /* socktrace.bpf.c's opaque() */
	SOCK_SLOT_N = 5,
};

#endif
