// SPDX-License-Identifier: GPL-2.0
/*
 * The socket source of `wbpf l7 --source socket`: one ring buffer record
 * per read/write-family system call on an IPv4/IPv6 TCP or UDP socket,
 * with the process, the socket's 5-tuple and role, and the first bytes of
 * the payload; and, through uprobes on OpenSSL, the plaintext of TLS
 * connections tied to the same socket.
 *
 * Only tracepoints (tp_btf, or per system call), cgroup hooks and
 * uprobes: the kernels this runs on may have neither kprobes nor fentry.
 * Three ways in (the host loads one): the kernel's socket I/O tracepoints
 * (sock/sock_send_length, sock/sock_recv_length), or system calls' exits,
 * through the raw sys_exit tracepoint or the per-call ones. Either way the
 * call's arguments are read from the registers saved at its entry.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "sock_ring.bpf.h"

#define FAMILY_INET 2
#define FAMILY_INET6 10
#define MODE_FMT 00170000
#define MODE_SOCK 0140000

char LICENSE[] SEC("license") = "GPL";

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* A kernel pointer as its BTF type: its fields are then read by plain
 * loads, which the verifier makes fault-safe, instead of one helper call
 * each (a traced call reads a dozen: the descriptor table, the file, the
 * socket, the addresses). */
#define KPTR(type, p) ((type *)bpf_rdonly_cast((void *)(p), bpf_core_type_id_kernel(type)))

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sock_cfg);
} settings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SOCK_SLOT_N);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

enum how {
	HOW_BUF,  /* buf, count */
	HOW_IOV,  /* iovec array, count */
	HOW_MSG,  /* struct msghdr */
	HOW_MMSG, /* struct mmsghdr array */
	HOW_NONE, /* no user buffer (sendfile): bytes only */
};

/* Sockets whose role we saw being given (connect() or accept()): a slot
 * per hash of the socket's address, holding that address with the role in
 * its low bits (a struct sock is 8-aligned), so a slot is read and written
 * in one access. A plain array: its lookup is inlined, where a hash map's
 * is a call, a hash and a bucket walk on every traced call. Two live
 * sockets in one slot cost the older its role (unknown, as for a socket
 * whose connect() or accept() was not seen), never give it a wrong one. */
#define ROLE_SLOTS 65536
#define ROLE_MASK 3ull

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ROLE_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} roles SEC(".maps");

/* A value the verifier knows nothing of once it is back: what a map holds
 * is any number. Two uses: a kernel pointer's value as a number to compute
 * with (the verifier forbids arithmetic on pointers but lets root store
 * one in a map), and a number whose exact range would otherwise set apart
 * the verifier's states at every turn of a loop. */
static __always_inline __u64 opaque(__u64 p)
{
	__u32 slot = SOCK_SLOT_ADDR;
	volatile __u64 *v = bpf_map_lookup_elem(&counters, &slot);

	if (!v)
		return 0;
	*v = p;
	return *v;
}

/* The slot of the socket at address a (addr_of). */
static __always_inline __u64 *role_slot(__u64 a)
{
	__u32 i = (__u32)((a * 0x9e3779b97f4a7c15ull) >> 48) & (ROLE_SLOTS - 1);

	return bpf_map_lookup_elem(&roles, &i);
}

static __always_inline __u8 role_of(__u64 sk)
{
	__u64 a = opaque(sk), *slot = role_slot(a), v = slot ? *slot : 0;

	return (v & ~ROLE_MASK) == a ? (__u8)(v & ROLE_MASK) : SOCK_ROLE_UNKNOWN;
}

/* An SSL_read/SSL_write call in progress, in its thread's storage: every
 * traced socket call looks it up, and a hash map by thread id would take a
 * bucket lock (interrupts off: costly in a VM). */
struct tls_call {
	__u64 ssl;
	__u64 buf;
	__u64 done; /* the _ex variants: where the byte count is written */
	__u8 egress;
	__u8 live; /* entered, not yet returned */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tls_call);
} tls_calls SEC(".maps");

/* How many threads are inside an SSL call: while none is, a socket call
 * need not look at its thread's storage (a helper call, on every traced
 * call). Raised and lowered with the storage's `live`; a thread that dies
 * inside an SSL call leaves it raised, and then every call looks, as all
 * did before. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __s64);
} tls_live SEC(".maps");

static __always_inline __s64 *tls_live_count(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&tls_live, &zero);
}

/* The socket each SSL object was last seen doing its I/O on: learnt from
 * the system calls made inside an SSL call. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u64);
} tls_socks SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &slot);

	if (v)
		*v += 1;
}

static __always_inline struct sock_cfg *settings_of(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&settings, &zero);
}

/* The process's name (its main thread's), as DeepFlow's process_kname:
 * worker threads often have names of their own. */
static __always_inline void proc_name(struct task_struct *task, char *comm)
{
	/* a fixed-size copy: the kernel pads comm with NULs */
	__builtin_memcpy(comm, task->group_leader->comm, 16);
}

static __always_inline bool same_comm(const char *a, const char *b)
{
	for (int i = 0; i < 16; i++) {
		if (a[i] != b[i])
			return false;
		if (!a[i])
			return true;
	}
	return true;
}

/* The process filters: the cheap ones, before anything is read. Every
 * function is handed the task (bpf_get_current_task_btf) by the program:
 * a helper call each time it is asked for. */
static __always_inline struct sock_cfg *wanted(struct task_struct *task)
{
	struct sock_cfg *c = settings_of();
	__u32 pid = task->tgid;
	char comm[16];

	if (!c || !c->payload || pid == c->self_pid)
		return NULL;
	if (c->pid && pid != c->pid)
		return NULL;
	if (c->cgroup && bpf_get_current_cgroup_id() != c->cgroup)
		return NULL;
	if (c->has_comm) {
		proc_name(task, comm);
		if (!same_comm(comm, c->comm))
			return NULL;
	}
	return c;
}

static __always_inline struct file *fd_file(struct task_struct *task, int fd)
{
	struct fdtable *fdt = task->files->fdt;
	struct callback_head *slot;
	struct file *f;

	if (fd < 0 || (unsigned int)fd >= fdt->max_fds)
		return NULL;
	/* The slot, at an index the verifier cannot bound, seen as a kernel
	 * type whose first field is a pointer: one plain load, no helper. */
	slot = KPTR(struct callback_head, (__u64)fdt->fd + (__u64)fd * sizeof(void *));
	f = (struct file *)slot->next;
	return f ? KPTR(struct file, f) : NULL;
}

/* An IPv4/IPv6 TCP or UDP socket: its protocol in *l4. */
static __always_inline bool traced_sock(struct sock *sk, __u8 *l4)
{
	__u16 family = sk->__sk_common.skc_family, proto = sk->sk_protocol;

	if ((family != FAMILY_INET && family != FAMILY_INET6) ||
	    (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		return false;
	*l4 = (__u8)proto;
	return true;
}

/* The IPv4/IPv6 TCP or UDP socket behind a file, else NULL. */
static __always_inline struct sock *file_sock(struct file *f, __u8 *l4)
{
	struct sock *sk;

	if (!f || (f->f_inode->i_mode & MODE_FMT) != MODE_SOCK)
		return NULL;
	sk = KPTR(struct socket, f->private_data)->sk;
	return sk && traced_sock(sk, l4) ? sk : NULL;
}

static __always_inline struct sock *fd_sock(struct task_struct *task, int fd, __u8 *l4)
{
	return file_sock(fd_file(task, fd), l4);
}

/* ::ffff:a.b.c.d as a.b.c.d */
static __always_inline bool v4_mapped(const __u8 *a)
{
	for (int i = 0; i < 10; i++)
		if (a[i])
			return false;
	return a[10] == 0xff && a[11] == 0xff;
}

static __always_inline void unmap(__u8 *a)
{
	__builtin_memcpy(a, a + 12, 4);
	__builtin_memset(a + 4, 0, 12);
}

static __always_inline void sk_tuple(__u64 key, struct sock_ev *ev)
{
	const struct sock_common *sk = &KPTR(struct sock, key)->__sk_common;

	__builtin_memset(ev->laddr, 0, 16);
	__builtin_memset(ev->raddr, 0, 16);
	ev->lport = sk->skc_num;
	ev->rport = bpf_ntohs(sk->skc_dport);
	if (sk->skc_family == FAMILY_INET) {
		ev->family = 4;
		*(__u32 *)ev->laddr = sk->skc_rcv_saddr;
		*(__u32 *)ev->raddr = sk->skc_daddr;
		return;
	}
	ev->family = 6;
	__builtin_memcpy(ev->laddr, &sk->skc_v6_rcv_saddr, 16);
	__builtin_memcpy(ev->raddr, &sk->skc_v6_daddr, 16);
	if (v4_mapped(ev->laddr) && (v4_mapped(ev->raddr) || !ev->rport)) {
		ev->family = 4;
		unmap(ev->laddr);
		unmap(ev->raddr);
	}
}

/* An unconnected UDP socket's peer comes from the call's sockaddr. */
static __always_inline void peer_from_user(struct sock_ev *ev, __u64 addr)
{
	__u16 family = 0;
	__u16 port = 0;

	if (!addr || ev->rport || bpf_probe_read_user(&family, 2, (void *)addr))
		return;
	if (family == FAMILY_INET) {
		bpf_probe_read_user(ev->raddr, 4, (void *)(addr + 4));
	} else if (family == FAMILY_INET6) {
		bpf_probe_read_user(ev->raddr, 16, (void *)(addr + 8));
		if (ev->family == 4 && v4_mapped(ev->raddr))
			unmap(ev->raddr);
	} else {
		return;
	}
	bpf_probe_read_user(&port, 2, (void *)(addr + 2));
	ev->rport = bpf_ntohs(port);
}

/* A time within the call the kernel just made on TCP socket sk, from
 * TCP's own clock (tcp_clock_cache, CLOCK_MONOTONIC as bpf_ktime_get_ns),
 * else 0: three loads where bpf_ktime_get_ns costs 55-90 ns on a
 * paravirtualised guest, a quarter of a program run (bench/README.md,
 * sessions 35 and 36). A receive that returned bytes refreshed the clock
 * after copying each piece (tcp_rcv_space_adjust, since Linux 4.13; the
 * socket tracepoints came in 6.3). A send: once every byte queued has
 * gone out (snd_nxt caught up with write_seq), a transmit sent this
 * call's bytes after they were queued (under the socket's lock, which no
 * transmit shares), and each transmit first stamps the clock; later
 * stamps, from ACKs, are still in the past. Bytes still queued (corked,
 * Nagle, a full window) leave the clock as old as the last transmit: 0
 * then. */
static __always_inline __u64 tcp_call_time(struct sock *sk, __u8 egress)
{
	struct tcp_sock *tp = KPTR(struct tcp_sock, sk);

	if (egress && tp->snd_nxt != tp->write_seq)
		return 0;
	return tp->tcp_clock_cache;
}

/* The record's header, built on the stack: the ring is reserved only for
 * a record that passed the filters. time_ns: when the call was made, 0 to
 * read the clock now. */
static __always_inline void begin(struct task_struct *task, struct sock_ev *ev, __u64 key, __u8 l4,
				  __u8 egress, __u8 via, __u64 time_ns)
{
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->sock = key;
	ev->time_ns = time_ns ? time_ns : bpf_ktime_get_ns();
	ev->pid = task->tgid;
	ev->tid = task->pid;
	ev->l4 = l4;
	ev->kind = SOCK_EV_DATA;
	ev->egress = egress;
	ev->via = via;
	ev->role = role_of(key);
	proc_name(task, ev->comm);
	sk_tuple(key, ev);
	/* a UDP socket has a peer once connect() gave it one */
	if (l4 == IPPROTO_UDP && ev->rport && !ev->role)
		ev->role = SOCK_ROLE_CLIENT;
}

static __always_inline bool port_ok(const struct sock_cfg *c, const struct sock_ev *ev)
{
	return !c->port || c->port == ev->lport || c->port == ev->rport;
}

/* The port filter as far as the socket alone decides it (an unconnected
 * UDP socket's peer comes from the call), before a record is begun. */
static __always_inline bool port_maybe(const struct sock_cfg *c, struct sock *sk)
{
	__u16 rport;

	if (!c->port)
		return true;
	rport = bpf_ntohs(sk->__sk_common.skc_dport);
	return !rport || c->port == rport || c->port == sk->__sk_common.skc_num;
}

/* Waking the host for every record costs more than the record (each
 * wakeup is an interrupt: microseconds in a VM). A CPU looks at its ring
 * as its producer position passes each multiple of wake_bytes (a power of
 * 2), and rings the doorbell if wake_bytes wait: at most a fixed number
 * of times per ring's worth written (sock.c's WAKE_SHARE), never while
 * the host's timed drains (every 20 ms, sock.c) keep up. Pacing by the
 * level alone (ringing once it passed wake_bytes, not again until it fell
 * below) tied the wakeups to how much the host leaves in the ring, which
 * it does: what is younger than its merge slack. Where that was about
 * wake_bytes, the level crossed it at every drain, a wakeup each (2,956
 * in 0.7 s of bench/l7/sockcall.c on a 256 KiB ring: 780 ns a program
 * run against 290); where it was more, the doorbell never rang again and
 * the ring overflowed between timed drains (128 KiB: 90% lost). */
static __always_inline void wake_host(const struct sock_cfg *c, struct sock_ring_head *h, __u64 pos,
				      __u64 span)
{
	__u64 end = pos + span;
	__u32 word = 0;

	if (!((pos ^ end) & ~((__u64)c->wake_bytes - 1)) || end - READ_ONCE(h->cons) < c->wake_bytes)
		return;
	bpf_ringbuf_output(&doorbell, &word, sizeof(word), BPF_RB_FORCE_WAKEUP);
}

static __always_inline __u32 limit_of(const struct sock_cfg *c, __u64 bytes)
{
	__u32 lim = c->payload < SOCK_DATA_MAX ? c->payload : SOCK_DATA_MAX;

	return bytes < lim ? (__u32)bytes : lim;
}

/* n bytes of the process's memory at src to the payload at off. The
 * masks only show the verifier what the callers already ensure; off and n
 * pass through opaque() so that it does not follow them back into the
 * caller's loop, whose every turn would then be a state apart. */
static __always_inline int copy_piece(__u8 *payload, __u32 off, __u32 n, const void *src)
{
	__u64 at = opaque(off), len = opaque(n);

	if (len > SOCK_DATA_MAX)
		len = SOCK_DATA_MAX;
	return bpf_probe_read_user(payload + (at & (SOCK_DATA_MAX - 1)), len, src);
}

/* The ring with this key. */
static __always_inline struct sock_ring_head *ring_at(__u32 key)
{
	return bpf_map_lookup_elem(&rings, &key);
}

/* This CPU's ring's key. */
static __always_inline __u64 *cpu_ring_key(void)
{
	__u32 slot = SOCK_SLOT_RING;

	return bpf_map_lookup_elem(&counters, &slot);
}

/* The payload of the record at pos in a ring. */
static __always_inline __u8 *payload_at(struct sock_ring_head *h, __u64 pos)
{
	return (__u8 *)(ring_rec(h, pos) + 1);
}

/* Copies the first `limit` bytes an iovec array holds into the payload of
 * the record at pos in ring `key`. A function of its own, which the
 * verifier walks once: inlined, its loop's offsets into the record
 * multiplied the states at every caller (8 of them for sendmmsg) past the
 * verifier's limit. Hence the ring's key and the position, not a pointer:
 * such a function takes numbers. */
__noinline int copy_iov(__u32 key, __u64 pos, __u64 iov, __u64 iovcnt, __u32 limit)
{
	struct sock_ring_head *h = ring_at(key);
	__u32 off = 0;

	if (!h)
		return 0;
	for (int i = 0; i < SOCK_IOV_MAX; i++) {
		struct iovec v;
		__u32 n;

		if (i >= iovcnt || off >= limit)
			break;
		if (bpf_probe_read_user(&v, sizeof(v), (void *)(iov + i * sizeof(v))))
			break;
		n = v.iov_len < limit - off ? v.iov_len : limit - off;
		if (n && copy_piece(payload_at(h, pos), off, n, v.iov_base))
			break;
		off += n;
	}
	return (int)off;
}

/* The payload's first two pieces, read before anything is written to
 * the ring: a buffer is one piece (HOW_BUF), an array of at most two
 * iovecs (a reply's header and body) is read whole. Read after the
 * payload's stores into the ring, as copy_iov does, each iovec waited
 * for all of them to reach the cache: under bench/l7/socket.sh's load,
 * the send program took 5.4% of nginx's CPU, 3.9% once its iovecs were
 * read first (perf, bench/README.md). False for a longer array, which
 * copy_iov copies. */
static __always_inline bool first_pieces(__u8 how, __u64 src, __u64 n, __u32 want,
					 struct iovec *v)
{
	if (how == HOW_BUF) {
		v[0].iov_base = (void *)src;
		v[0].iov_len = want;
		return true;
	}
	if (how != HOW_IOV)
		return true;
	if (n > 2)
		return false;
	if (n && bpf_probe_read_user(v, n * sizeof(*v), (void *)src))
		__builtin_memset(v, 0, 2 * sizeof(*v));
	return true;
}

/* Copies the pieces' first `want` bytes to the payload: how many were. */
static __always_inline __u32 copy_pieces(__u8 *payload, const struct iovec *v, __u32 want)
{
	__u32 a = v[0].iov_len < want ? v[0].iov_len : want, b;

	if (a && copy_piece(payload, 0, a, v[0].iov_base))
		return 0;
	b = v[1].iov_len < want - a ? v[1].iov_len : want - a;
	if (b && copy_piece(payload, a, b, v[1].iov_base))
		return a;
	return a + b;
}

/* Sends the header and the first `want` bytes of the call's user memory
 * (HOW_BUF: a buffer at src; HOW_IOV: n iovecs at src), read straight
 * into the ring. The header goes in first and its length last, stored
 * into the ring itself: copied from the stack after the payload, the
 * header's words were loaded over the length just stored there, a load
 * that waits for every store before it, the payload's into the ring too
 * (a writev of two pieces from one CPU: 497 ns a run against 414,
 * bench/README.md). */
static __always_inline void emit(const struct sock_cfg *c, struct sock_ev *ev, __u8 how, __u64 src,
				 __u64 n, __u32 want)
{
	__u64 *key = cpu_ring_key();
	struct sock_ring_head *h = key ? ring_at(*key) : NULL;
	struct iovec v[2] = {};
	struct sock_rec *rec;
	__u64 pos, span;
	bool few;

	if (want > SOCK_DATA_MAX)
		want = SOCK_DATA_MAX;
	few = first_pieces(how, src, n, want, v);
	span = (sizeof(*rec) + want + 7) & ~7ull;
	count(SOCK_CNT_SENT);
	if (!h || !ring_reserve(h, span, &pos)) {
		count(SOCK_CNT_LOST);
		return;
	}
	rec = ring_rec(h, pos);
	rec->ev = *ev;
	rec->span = (__u32)span;
	if (few)
		rec->ev.len = copy_pieces(payload_at(h, pos), v, want);
	else
		rec->ev.len = (__u32)copy_iov((__u32)*key, pos, src, n, want);
	ring_seal(rec, pos, c->seal);
	wake_host(c, h, pos, span);
}

/* The start of a struct msghdr (x86-64's layout): where its peer's
 * sockaddr and its iovecs are. Read instead of the whole header: the
 * programs' stack, with copy_iov's, must fit in 512 bytes. */
struct msg_head {
	__u64 name;
	__u32 namelen, pad;
	__u64 iov;
	__u64 iovlen;
};

/* A call's record, `bytes` its byte count: its payload laid out as `how`
 * says at src (n: the iovecs' count), its peer's sockaddr at addr (0 for
 * none). A struct msghdr (HOW_MSG) holds its iovecs and its peer, taken
 * only if msg_peer (a receive fills it in only once the call returns).
 * Every call goes through here, so that a program holds one copy of
 * emit(): each copy took stack of its own (sock_recv needed 536 bytes
 * with copy_iov's, which Linux 6.18's verifier refused). */
static __always_inline void emit_data(const struct sock_cfg *c, struct sock_ev *ev, __u8 how,
				      __u64 src, __u64 n, __u64 addr, bool msg_peer, __u64 bytes)
{
	if (how == HOW_MSG) {
		struct msg_head m;

		if (bpf_probe_read_user(&m, sizeof(m), (void *)src))
			return;
		how = HOW_IOV;
		src = m.iov;
		n = m.iovlen;
		addr = msg_peer ? m.name : 0;
	}
	peer_from_user(ev, addr);
	if (!port_ok(c, ev))
		return;
	ev->bytes = bytes;
	emit(c, ev, how, src, n, how == HOW_NONE ? 0 : limit_of(c, bytes));
}

static __always_inline void emit_mmsg(const struct sock_cfg *c, struct sock_ev *ev, __u64 vec,
				      long ret)
{
	for (int i = 0; i < SOCK_MMSG_MAX; i++) {
		__u64 at = vec + i * sizeof(struct mmsghdr);
		__u32 len = 0;

		if (i >= ret)
			break;
		if (bpf_probe_read_user(&len, sizeof(len), (void *)(at + sizeof(struct user_msghdr))))
			break;
		/* the peer of the previous message must not stick */
		sk_tuple(ev->sock, ev);
		emit_data(c, ev, HOW_MSG, at, 0, 0, true, len);
	}
}

/* Inside SSL_read/SSL_write the thread's socket calls carry ciphertext:
 * they only tell which socket the SSL object uses. */
static __always_inline bool tls_bound(struct task_struct *task, struct sock *sk)
{
	__s64 *live = tls_live_count();
	struct tls_call *t;
	__u64 key = (__u64)sk;

	if (live && !*live)
		return false;
	t = bpf_task_storage_get(&tls_calls, task, 0, 0);
	if (!t || !t->live)
		return false;
	bpf_map_update_elem(&tls_socks, &t->ssl, &key, BPF_ANY);
	return true;
}

/* What every data call passes before its record is begun: the process
 * filters, a traced socket behind the call's descriptor (at the socket
 * tracepoints, the very socket the kernel reports: a kernel socket used
 * inside another call, NFS's under a file's read say, is not the call's),
 * no SSL call in progress, and the port filter as far as the socket
 * decides it. */
static __always_inline struct sock_cfg *data_begin(struct task_struct *task, struct pt_regs *regs,
						   __u8 egress, struct sock *at, struct sock_ev *ev)
{
	struct sock_cfg *c = wanted(task);
	struct sock *sk;
	__u8 l4;

	if (!c)
		return NULL;
	sk = fd_sock(task, regs->di, &l4);
	if (!sk || (at && sk != at) || tls_bound(task, sk) || !port_maybe(c, sk))
		return NULL;
	/* the socket tracepoints' socket is the kernel's own, alive */
	begin(task, ev, (__u64)sk, l4, egress, SOCK_VIA_SYSCALL,
	      at && l4 == IPPROTO_TCP ? tcp_call_time(sk, egress) : 0);
	return c;
}

/* A read/write-family call at its exit, when its byte count is known and
 * a read's buffer is filled. Nothing is kept between entry and exit, and
 * the entry of these calls costs nothing. */
static __always_inline int data_call(struct task_struct *task, struct pt_regs *regs, __u8 how,
				     __u8 egress, __u64 addr, long ret)
{
	struct sock_cfg *c;
	struct sock_ev ev;

	if (ret <= 0 || !(c = data_begin(task, regs, egress, NULL, &ev)))
		return 0;
	if (how == HOW_MMSG)
		emit_mmsg(c, &ev, regs->si, ret);
	else
		emit_data(c, &ev, how, regs->si, regs->dx, addr, true, ret);
	return 0;
}

static __always_inline void remember_role(__u64 sk, __u8 role)
{
	__u64 a = opaque(sk), *slot = role_slot(a);

	if (slot)
		*slot = a | role;
}

static __always_inline void set_role(struct task_struct *task, int fd, __u8 role)
{
	struct sock *sk;
	__u8 l4;

	if (wanted(task) && (sk = fd_sock(task, fd, &l4)))
		remember_role((__u64)sk, role);
}

/* The host ends the socket's flows: what they buffered is parsed, their
 * unanswered requests go out as timeouts. */
static __always_inline void closing(struct task_struct *task, __u64 key)
{
	struct sock_cfg *c = wanted(task);
	struct sock_ev ev;
	__u64 *slot;
	__u8 l4;

	if (!c || !traced_sock(KPTR(struct sock, key), &l4))
		return;
	begin(task, &ev, key, l4, 0, SOCK_VIA_SYSCALL, 0);
	slot = role_slot(key);
	if (slot && (*slot & ~ROLE_MASK) == key)
		*slot = 0;
	if (!port_ok(c, &ev))
		return;
	ev.kind = SOCK_EV_CLOSE;
	emit(c, &ev, HOW_NONE, 0, 0, 0);
}

/* x86-64's system call numbers (the only architecture built for). */
enum {
	NR_READ = 0, NR_WRITE = 1, NR_READV = 19, NR_WRITEV = 20,
	NR_SENDFILE = 40, NR_CONNECT = 42, NR_ACCEPT = 43, NR_SENDTO = 44,
	NR_RECVFROM = 45, NR_SENDMSG = 46, NR_RECVMSG = 47, NR_ACCEPT4 = 288,
	NR_RECVMMSG = 299, NR_SENDMMSG = 307,
};

#define TS_COMPAT 0x0002

/* A 32-bit process numbers its calls differently (and passes arguments in
 * other registers): not traced. */
static __always_inline bool compat(struct task_struct *task)
{
	return task->thread_info.status & TS_COMPAT;
}

#define EINPROGRESS 115

/* A call to look at: one that moved bytes or returned a socket, or a
 * connect() under way (a non-blocking one returns -EINPROGRESS). A failed
 * call (a read of a drained non-blocking socket, ...) leaves at this
 * first test. */
static __always_inline bool succeeded(long ret)
{
	return ret >= 0 || ret == -EINPROGRESS;
}

/* A data call's shape: how its payload is laid out, which way it goes
 * and where its peer's sockaddr is (sendto/recvfrom's fifth argument);
 * false for any other call. Arguments: di, si, dx, r10, r8, r9. */
static __always_inline bool data_shape(long id, struct pt_regs *regs, __u8 *how, __u8 *egress,
				       __u64 *addr)
{
	*egress = 0;
	*addr = 0;
	switch (id) {
	case NR_WRITE:
		*egress = 1; /* fall through */
	case NR_READ:
		*how = HOW_BUF;
		return true;
	case NR_SENDTO:
		*egress = 1; /* fall through */
	case NR_RECVFROM:
		*how = HOW_BUF;
		*addr = regs->r8;
		return true;
	case NR_WRITEV:
		*egress = 1; /* fall through */
	case NR_READV:
		*how = HOW_IOV;
		return true;
	case NR_SENDMSG:
		*egress = 1; /* fall through */
	case NR_RECVMSG:
		*how = HOW_MSG;
		return true;
	case NR_SENDMMSG:
		*egress = 1; /* fall through */
	case NR_RECVMMSG:
		*how = HOW_MMSG;
		return true;
	case NR_SENDFILE:
		*egress = 1;
		*how = HOW_NONE;
		return true;
	}
	return false;
}

/* Exits: the data calls, accept and connect (its descriptor is still in
 * the registers at exit: no program runs at any call's entry). */
static __always_inline int on_exit(struct task_struct *task, struct pt_regs *regs, long id,
				   long ret)
{
	__u8 how, egress;
	__u64 addr;

	switch (id) {
	case NR_CONNECT:
		set_role(task, regs->di, SOCK_ROLE_CLIENT);
		return 0;
	case NR_ACCEPT:
	case NR_ACCEPT4:
		if (ret >= 0)
			set_role(task, ret, SOCK_ROLE_SERVER);
		return 0;
	}
	if (!data_shape(id, regs, &how, &egress, &addr))
		return 0;
	return data_call(task, regs, how, egress, addr, ret);
}

/* The system call modes (the host loads one: the settings' `attach`):
 * - the raw sys_exit tracepoint (tp_btf), seeing every system call of the
 *   machine and leaving at once for the others (which pay for the
 *   program's run);
 * - the per-call tracepoints (syscalls/sys_exit_read, ...), the program
 *   attached to every one of them: other calls only test a bit, but a
 *   traced one goes through the kernel's perf glue (a record filled per
 *   hit).
 * Either way every system call of every task takes the kernel's slow
 * path while any system call tracepoint is on. */
SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task;
	long id = regs->orig_ax;

	if (!succeeded(ret) || id > NR_SENDMMSG)
		return 0;
	task = bpf_get_current_task_btf();
	return compat(task) ? 0 : on_exit(task, regs, id, ret);
}

/* The layout of syscalls/sys_exit_* records. */
struct syscall_exit_rec {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

SEC("tracepoint")
int sys_exit_tp(struct syscall_exit_rec *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (!succeeded(ctx->ret) || compat(task)) /* as sys_exit's first test */
		return 0;
	return on_exit(task, (struct pt_regs *)bpf_task_pt_regs(task), ctx->nr, ctx->ret);
}

/* The socket mode (the default): sock/sock_send_length and
 * sock/sock_recv_length fire where the kernel sends or receives on a
 * socket, for socket I/O alone, on every path (read, writev, sendmsg,
 * ...), in the task making the call, whose arguments are in the registers
 * saved at its entry. No system call is hooked: no task takes the slow
 * system call path. Roles come from TCP's state changes, an unconnected
 * UDP socket's peer on receive from the cgroup recvmsg hooks. */

#define PF_IO_WORKER 0x00000010
#define PF_KTHREAD 0x00200000
#define MSG_PEEK 2

/* The peer an unconnected UDP socket's datagram came from, left by the
 * recvmsg4/6 hook in udp_recvmsg just before the receive's tracepoint
 * (the process's own sockaddr is filled only once the call returns). */
struct recv_peer {
	__u64 sk;
	__u32 tid;
	__u16 port;
	__u8 family;
	__u8 pad;
	__u8 addr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct recv_peer);
} recv_peers SEC(".maps");

static __always_inline struct recv_peer *recv_peer_slot(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&recv_peers, &zero);
}

static __always_inline int note_peer(struct bpf_sock_addr *ctx, __u8 family)
{
	struct recv_peer *p = recv_peer_slot();

	if (!p)
		return 1;
	p->sk = (__u64)ctx->sk;
	p->tid = (__u32)bpf_get_current_pid_tgid();
	p->family = family;
	p->port = bpf_ntohs((__u16)ctx->user_port);
	if (family == 4) {
		*(__u32 *)p->addr = ctx->user_ip4;
		return 1;
	}
	/* one load of the context each, at a constant offset, as the
	 * verifier requires */
	((__u32 *)p->addr)[0] = ctx->user_ip6[0];
	((__u32 *)p->addr)[1] = ctx->user_ip6[1];
	((__u32 *)p->addr)[2] = ctx->user_ip6[2];
	((__u32 *)p->addr)[3] = ctx->user_ip6[3];
	return 1;
}

SEC("cgroup/recvmsg4")
int recv_peer4(struct bpf_sock_addr *ctx)
{
	return note_peer(ctx, 4);
}

SEC("cgroup/recvmsg6")
int recv_peer6(struct bpf_sock_addr *ctx)
{
	return note_peer(ctx, 6);
}

/* An unconnected socket's peer for the receive the task is in. */
static __always_inline void peer_from_recv(struct sock_ev *ev, __u32 tid)
{
	struct recv_peer *p;

	if (ev->rport || !(p = recv_peer_slot()) || p->tid != tid || p->sk != ev->sock)
		return;
	p->tid = 0;
	if (p->family == 4) {
		*(__u32 *)ev->raddr = *(__u32 *)p->addr;
	} else {
		__builtin_memcpy(ev->raddr, p->addr, 16);
		if (ev->family == 4 && v4_mapped(ev->raddr))
			unmap(ev->raddr);
	}
	ev->rport = p->port;
}

/* Which message of a sendmmsg/recvmmsg call the tracepoint is at: the
 * kernel sends or receives them in order, one tracepoint each, and a call
 * ends at its vector's length or at a failed message (a receive's
 * -EAGAIN). A call cut short otherwise (recvmmsg's timeout, a signal)
 * leaves the next call on the same vector counting from where it stopped. */
struct mmsg_at {
	__u64 vec;
	__u32 next;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct mmsg_at);
} mmsg_calls SEC(".maps");

static __always_inline long mmsg_index(struct task_struct *task, struct pt_regs *regs, int ret)
{
	struct mmsg_at *m = bpf_task_storage_get(&mmsg_calls, task, 0,
						 BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!m)
		return -1;
	if (ret <= 0) {
		m->next = 0;
		return -1;
	}
	if (m->vec != regs->si || m->next >= regs->dx) {
		m->vec = regs->si;
		m->next = 0;
	}
	return m->next++;
}

static __always_inline int sock_io(struct sock *sk, int ret, int flags, __u8 egress)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct sock_cfg *c;
	struct pt_regs *regs;
	struct sock_ev ev;
	__u8 how, call_egress;
	__u64 addr;
	long id, i = 0;

	/* kernel threads and io_uring's workers: no system call of theirs */
	if ((task->flags & (PF_KTHREAD | PF_IO_WORKER)) || compat(task))
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	id = regs->orig_ax;
	if (id == NR_SENDMMSG || id == NR_RECVMMSG)
		i = mmsg_index(task, regs, ret);
	if (ret <= 0 || i < 0 || (flags & MSG_PEEK) || !data_shape(id, regs, &how, &call_egress, &addr) ||
	    call_egress != egress || !(c = data_begin(task, regs, egress, sk, &ev)))
		return 0;
	if (!egress) {
		peer_from_recv(&ev, task->pid);
		addr = 0;
	}
	/* an mmsg call's message i is a msghdr (i is 0 for other calls) */
	if (how == HOW_MMSG)
		how = HOW_MSG;
	emit_data(c, &ev, how, regs->si + i * sizeof(struct mmsghdr), regs->dx, addr, egress, ret);
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(sock_send, struct sock *sk, int ret, int flags)
{
	return sock_io(sk, ret, flags, 1);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(sock_recv, struct sock *sk, int ret, int flags)
{
	return sock_io(sk, ret, flags, 0);
}

/* A TCP socket's role, as it becomes established: from SYN_SENT it
 * connected, from SYN_RECV it was accepted. Often in softirq, so for every
 * socket of the machine: the filters apply to its calls. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(sock_state, struct sock *sk, int oldstate, int newstate)
{
	if (newstate != TCP_ESTABLISHED)
		return 0;
	if (oldstate == TCP_SYN_SENT)
		remember_role((__u64)sk, SOCK_ROLE_CLIENT);
	else if (oldstate == TCP_SYN_RECV)
		remember_role((__u64)sk, SOCK_ROLE_SERVER);
	return 0;
}

/* A socket's end: the release of its last reference (close() of its last
 * descriptor, or its holder's exit), where cgroup v2's sock_release hook
 * runs, for inet sockets alone. Hooking close() instead cost every close
 * of any file a program run (a web server closes the file it served once
 * a request). Attached to the root cgroup: every process. */
SEC("cgroup/sock_release")
int sock_release(struct bpf_sock *ctx)
{
	closing(bpf_get_current_task_btf(), opaque((__u64)ctx));
	return 1;
}

/* OpenSSL: SSL_write(ssl, buf, num), SSL_read(ssl, buf, num) return the
 * byte count; the _ex variants return 1 and write the count through
 * their fourth argument. */
static __always_inline int tls_enter(void *ssl, const void *buf, void *done, __u8 egress)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__s64 *live = tls_live_count();
	struct tls_call *t;

	if (!wanted(task) || !live)
		return 0;
	t = bpf_task_storage_get(&tls_calls, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t)
		return 0;
	if (!t->live)
		__sync_fetch_and_add(live, 1);
	*t = (struct tls_call){.ssl = (__u64)ssl, .buf = (__u64)buf, .done = (__u64)done,
			       .egress = egress, .live = 1};
	return 0;
}

static __always_inline int tls_leave(long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct tls_call *p = bpf_task_storage_get(&tls_calls, task, 0, 0);
	struct sock_cfg *c = wanted(task);
	__s64 *live = tls_live_count();
	struct tls_call t;
	struct sock_ev ev;
	__u64 *sk, n = 0;

	if (!p || !p->live)
		return 0;
	t = *p;
	p->live = 0;
	if (live)
		__sync_fetch_and_add(live, -1);
	if (!c || ret <= 0)
		return 0;
	if (!t.done)
		n = ret;
	else if (ret != 1 || bpf_probe_read_user(&n, sizeof(n), (void *)t.done))
		return 0;
	if (!n)
		return 0;
	sk = bpf_map_lookup_elem(&tls_socks, &t.ssl);
	if (!sk) {
		count(SOCK_CNT_UNBOUND);
		return 0;
	}
	begin(task, &ev, *sk, IPPROTO_TCP, t.egress, SOCK_VIA_TLS, 0);
	if (!port_ok(c, &ev))
		return 0;
	ev.bytes = n;
	emit(c, &ev, HOW_BUF, t.buf, 0, limit_of(c, n));
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(ssl_write, void *ssl, const void *buf)
{
	return tls_enter(ssl, buf, NULL, 1);
}

SEC("uprobe")
int BPF_KPROBE(ssl_read, void *ssl, const void *buf)
{
	return tls_enter(ssl, buf, NULL, 0);
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_ex, void *ssl, const void *buf, __u64 num, void *written)
{
	return tls_enter(ssl, buf, written, 1);
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_ex, void *ssl, const void *buf, __u64 num, void *readbytes)
{
	return tls_enter(ssl, buf, readbytes, 0);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_ret, int ret)
{
	return tls_leave(ret);
}
