// SPDX-License-Identifier: GPL-2.0
/*
 * The socket source of `wbpf l7 --source socket`: one ring buffer record
 * per read/write-family system call on an IPv4/IPv6 TCP or UDP socket,
 * with the process, the socket's 5-tuple and role, and the first bytes of
 * the payload; and, through uprobes on OpenSSL, the plaintext of TLS
 * connections tied to the same socket.
 *
 * Only the raw system call tracepoints (tp_btf) and uprobes: the kernels
 * this runs on may have neither kprobes nor fentry. Arguments are kept per thread at entry and
 * the payload is read at exit, when the call's byte count is known (and a
 * read's buffer is filled).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "socktrace.h"

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
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* the host sets it */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sock_cfg);
} settings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SOCK_CNT_N);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* A record is built here, then copied to the ring at its real size. The
 * payload area is twice the maximum so that masked offsets plus a bounded
 * length always fit (what the verifier can prove). An array indexed by
 * CPU rather than a per-CPU one: per-CPU values are limited to 32 KiB. */
struct scratch {
	struct sock_ev ev;
	__u8 data[2 * SOCK_DATA_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* the host sets it to the number of CPUs */
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

enum how {
	HOW_BUF,  /* buf, count */
	HOW_IOV,  /* iovec array, count */
	HOW_MSG,  /* struct msghdr */
	HOW_MMSG, /* struct mmsghdr array */
	HOW_NONE, /* no user buffer (sendfile): bytes only */
};

/* A data call between entry and exit, in its thread's storage: unlike a
 * hash map by thread id, no bucket lock on either side (each one disables
 * interrupts: costly in a VM). */
struct call {
	__u64 sk;
	__u64 buf;  /* buffer, iovec, msghdr or mmsghdr array */
	__u64 n;    /* count, iovcnt or vlen */
	__u64 addr; /* sockaddr of sendto/recvfrom */
	__u8 how;
	__u8 egress;
	__u8 l4;
	__u8 live; /* entered, not yet left */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct call);
} calls SEC(".maps");

/* Sockets whose role we saw being given: connect() or accept(). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} roles SEC(".maps");

/* An SSL_read/SSL_write call in progress, in its thread's storage (as
 * `calls`: every traced socket call looks it up). */
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
static __always_inline void proc_name(char *comm)
{
	/* a fixed-size copy: the kernel pads comm with NULs */
	__builtin_memcpy(comm, bpf_get_current_task_btf()->group_leader->comm, 16);
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

/* The process filters: the cheap ones, before anything is read. */
static __always_inline struct sock_cfg *wanted(void)
{
	struct sock_cfg *c = settings_of();
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	char comm[16];

	if (!c || !c->payload || pid == c->self_pid)
		return NULL;
	if (c->pid && pid != c->pid)
		return NULL;
	if (c->cgroup && bpf_get_current_cgroup_id() != c->cgroup)
		return NULL;
	if (c->has_comm) {
		proc_name(comm);
		if (!same_comm(comm, c->comm))
			return NULL;
	}
	return c;
}

static __always_inline struct file *fd_file(int fd)
{
	struct fdtable *fdt = bpf_get_current_task_btf()->files->fdt;
	struct file **fds = fdt->fd;
	struct file *f = NULL;

	if (fd < 0 || (unsigned int)fd >= fdt->max_fds)
		return NULL;
	/* an index the verifier cannot bound: the one helper read */
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f ? KPTR(struct file, f) : NULL;
}

/* Kernels before 6.13 count a file's references in f_count. */
struct file___f_count {
	atomic_long_t f_count;
} __attribute__((preserve_access_index));

/* Closing the last descriptor of a file: a socket shared with a forked
 * process (a server's worker) lives on after the parent's close(). */
static __always_inline bool last_ref(struct file *f)
{
	if (bpf_core_field_exists(f->f_ref))
		return BPF_CORE_READ(f, f_ref.refcnt.counter) == 0; /* kept as count - 1 */
	return BPF_CORE_READ((struct file___f_count *)f, f_count.counter) == 1;
}

/* The IPv4/IPv6 TCP or UDP socket behind descriptor fd, else NULL. */
static __always_inline struct sock *file_sock(struct file *f, __u8 *l4)
{
	struct socket *so;
	struct sock *sk;
	__u16 family, proto;

	if (!f || (f->f_inode->i_mode & MODE_FMT) != MODE_SOCK)
		return NULL;
	so = KPTR(struct socket, f->private_data);
	sk = so->sk;
	if (!sk)
		return NULL;
	family = sk->__sk_common.skc_family;
	proto = sk->sk_protocol;
	if ((family != FAMILY_INET && family != FAMILY_INET6) ||
	    (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		return NULL;
	*l4 = (__u8)proto;
	return sk;
}

static __always_inline struct sock *fd_sock(int fd, __u8 *l4)
{
	return file_sock(fd_file(fd), l4);
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

static __always_inline struct scratch *begin(__u64 key, __u8 l4, __u8 egress, __u8 via)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct scratch *s = bpf_map_lookup_elem(&scratch, &cpu);
	__u64 id = bpf_get_current_pid_tgid();
	__u8 *role;

	if (!s)
		return NULL;
	s->ev.sock = key;
	s->ev.time_ns = bpf_ktime_get_ns();
	s->ev.pid = id >> 32;
	s->ev.tid = (__u32)id;
	s->ev.l4 = l4;
	s->ev.kind = SOCK_EV_DATA;
	s->ev.egress = egress;
	s->ev.via = via;
	s->ev.bytes = 0;
	s->ev.len = 0;
	role = bpf_map_lookup_elem(&roles, &key);
	s->ev.role = role ? *role : SOCK_ROLE_UNKNOWN;
	proc_name(s->ev.comm);
	sk_tuple(key, &s->ev);
	return s;
}

static __always_inline bool port_ok(const struct sock_cfg *c, const struct sock_ev *ev)
{
	return !c->port || c->port == ev->lport || c->port == ev->rport;
}

/* Waking the host for every record costs more than the record, and so
 * does waking it for every record while it is behind (each wakeup is an
 * interrupt: microseconds in a VM). It is woken once, by the record that
 * takes the waiting data past wake_bytes; it polls for the rest. */
static __always_inline __u64 wake_flag(__u32 size)
{
	struct sock_cfg *c = settings_of();
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	if (c && avail < c->wake_bytes && avail + size >= c->wake_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void emit(struct scratch *s, __u32 len)
{
	if (len > SOCK_DATA_MAX)
		len = SOCK_DATA_MAX;
	/* a no-op the compiler must keep: it bounds len for the verifier */
	asm volatile("" : "+r"(len));
	len &= 2 * SOCK_DATA_MAX - 1;
	s->ev.len = len;
	count(SOCK_CNT_SENT);
	if (bpf_ringbuf_output(&events, s, sizeof(s->ev) + len, wake_flag(sizeof(s->ev) + len)))
		count(SOCK_CNT_LOST);
}

static __always_inline __u32 limit_of(const struct sock_cfg *c, __u64 bytes)
{
	__u32 lim = c->payload < SOCK_DATA_MAX ? c->payload : SOCK_DATA_MAX;

	return bytes < lim ? (__u32)bytes : lim;
}

/* Copies the first `limit` bytes an iovec array holds. */
static __always_inline __u32 copy_iov(__u8 *data, __u64 iov, __u64 iovcnt, __u32 limit)
{
	__u32 off = 0;

	for (int i = 0; i < SOCK_IOV_MAX; i++) {
		struct iovec v;
		__u64 n;

		if (i >= iovcnt || off >= limit)
			break;
		if (bpf_probe_read_user(&v, sizeof(v), (void *)(iov + i * sizeof(v))))
			break;
		n = v.iov_len;
		if (n > limit - off)
			n = limit - off;
		if (n > SOCK_DATA_MAX)
			n = SOCK_DATA_MAX;
		/* the compiler must not drop the mask the verifier needs */
		asm volatile("" : "+r"(off));
		if (bpf_probe_read_user(data + (off & (SOCK_DATA_MAX - 1)), n, v.iov_base))
			break;
		off += n;
	}
	return off;
}

static __always_inline __u32 copy_buf(__u8 *data, __u64 buf, __u32 limit)
{
	if (limit > SOCK_DATA_MAX)
		limit = SOCK_DATA_MAX;
	if (bpf_probe_read_user(data, limit, (void *)buf))
		return 0;
	return limit;
}

/* One struct msghdr's payload and peer. */
static __always_inline void emit_msg(const struct sock_cfg *c, struct scratch *s, __u64 msg,
				     __u64 bytes)
{
	struct user_msghdr h;

	if (bpf_probe_read_user(&h, sizeof(h), (void *)msg))
		return;
	peer_from_user(&s->ev, (__u64)h.msg_name);
	if (!port_ok(c, &s->ev))
		return;
	s->ev.bytes = bytes;
	emit(s, copy_iov(s->data, (__u64)h.msg_iov, h.msg_iovlen, limit_of(c, bytes)));
}

static __always_inline void emit_mmsg(const struct sock_cfg *c, struct scratch *s,
				      const struct call *cl, long ret)
{
	for (int i = 0; i < SOCK_MMSG_MAX; i++) {
		__u64 at = cl->buf + i * sizeof(struct mmsghdr);
		__u32 len = 0;

		if (i >= ret)
			break;
		if (bpf_probe_read_user(&len, sizeof(len), (void *)(at + sizeof(struct user_msghdr))))
			break;
		/* the peer of the previous message must not stick */
		sk_tuple(cl->sk, &s->ev);
		emit_msg(c, s, at, len);
	}
}

/* Inside SSL_read/SSL_write the thread's socket calls carry ciphertext:
 * they only tell which socket the SSL object uses. */
static __always_inline bool tls_bound(struct sock *sk)
{
	struct tls_call *t = bpf_task_storage_get(&tls_calls, bpf_get_current_task_btf(), 0, 0);
	__u64 key = (__u64)sk;

	if (!t || !t->live)
		return false;
	bpf_map_update_elem(&tls_socks, &t->ssl, &key, BPF_ANY);
	return true;
}

static __always_inline int enter(int fd, __u64 buf, __u64 n, __u64 addr, __u8 how, __u8 egress)
{
	struct call *cl;
	struct sock *sk;
	__u8 l4;

	if (!wanted())
		return 0;
	sk = fd_sock(fd, &l4);
	if (!sk || tls_bound(sk))
		return 0;
	cl = bpf_task_storage_get(&calls, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!cl)
		return 0;
	*cl = (struct call){.sk = (__u64)sk, .buf = buf, .n = n, .addr = addr, .how = how,
			    .egress = egress, .l4 = l4, .live = 1};
	return 0;
}

static __always_inline int leave(long ret)
{
	struct call *p = bpf_task_storage_get(&calls, bpf_get_current_task_btf(), 0, 0);
	struct sock_cfg *c = settings_of(); /* enter() applied the filters */
	struct scratch *s;
	struct call cl;

	if (!p || !p->live)
		return 0;
	cl = *p;
	p->live = 0;
	if (ret <= 0 || !c || !c->payload)
		return 0;
	s = begin(cl.sk, cl.l4, cl.egress, SOCK_VIA_SYSCALL);
	if (!s)
		return 0;
	switch (cl.how) {
	case HOW_MSG:
		emit_msg(c, s, cl.buf, ret);
		return 0;
	case HOW_MMSG:
		emit_mmsg(c, s, &cl, ret);
		return 0;
	}
	peer_from_user(&s->ev, cl.addr);
	if (!port_ok(c, &s->ev))
		return 0;
	s->ev.bytes = ret;
	if (cl.how == HOW_BUF)
		emit(s, copy_buf(s->data, cl.buf, limit_of(c, ret)));
	else if (cl.how == HOW_IOV)
		emit(s, copy_iov(s->data, cl.buf, cl.n, limit_of(c, ret)));
	else
		emit(s, 0);
	return 0;
}

static __always_inline void set_role(int fd, __u8 role)
{
	struct sock *sk;
	__u8 l4;
	__u64 key;

	if (!wanted() || !(sk = fd_sock(fd, &l4)))
		return;
	key = (__u64)sk;
	bpf_map_update_elem(&roles, &key, &role, BPF_ANY);
}

/* The host ends the socket's flows: what they buffered is parsed, their
 * unanswered requests go out as timeouts. */
static __always_inline int closing(int fd)
{
	struct sock_cfg *c = wanted();
	struct scratch *s;
	struct file *f;
	struct sock *sk;
	__u64 key;
	__u8 l4;

	if (!c || !(f = fd_file(fd)) || !(sk = file_sock(f, &l4)) || !last_ref(f))
		return 0;
	key = (__u64)sk;
	s = begin(key, l4, 0, SOCK_VIA_SYSCALL);
	bpf_map_delete_elem(&roles, &key);
	if (!s || !port_ok(c, &s->ev))
		return 0;
	s->ev.kind = SOCK_EV_CLOSE;
	emit(s, 0);
	return 0;
}

/* x86-64's system call numbers (the only architecture built for). */
enum {
	NR_READ = 0, NR_WRITE = 1, NR_CLOSE = 3, NR_READV = 19, NR_WRITEV = 20,
	NR_SENDFILE = 40, NR_CONNECT = 42, NR_ACCEPT = 43, NR_SENDTO = 44,
	NR_RECVFROM = 45, NR_SENDMSG = 46, NR_RECVMSG = 47, NR_ACCEPT4 = 288,
	NR_RECVMMSG = 299, NR_SENDMMSG = 307,
};

#define TS_COMPAT 0x0002

/* A 32-bit process numbers its calls differently (and passes arguments in
 * other registers): not traced. */
static __always_inline bool compat(void)
{
	return bpf_get_current_task_btf()->thread_info.status & TS_COMPAT;
}

/* The raw sys_enter/sys_exit points, one program each, rather than a
 * tracepoint per call: the per-call tracepoints are dispatched by the
 * kernel's perf glue (a buffer filled for each hit), which cost more than
 * the program's switch on the call number that every system call of the
 * machine goes through here. Arguments: di, si, dx, r10, r8, r9. */
SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	if (id > NR_SENDMMSG || compat())
		return 0;
	switch (id) {
	case NR_READ: return enter(regs->di, regs->si, regs->dx, 0, HOW_BUF, 0);
	case NR_WRITE: return enter(regs->di, regs->si, regs->dx, 0, HOW_BUF, 1);
	case NR_READV: return enter(regs->di, regs->si, regs->dx, 0, HOW_IOV, 0);
	case NR_WRITEV: return enter(regs->di, regs->si, regs->dx, 0, HOW_IOV, 1);
	case NR_RECVFROM: return enter(regs->di, regs->si, regs->dx, regs->r8, HOW_BUF, 0);
	case NR_SENDTO: return enter(regs->di, regs->si, regs->dx, regs->r8, HOW_BUF, 1);
	case NR_RECVMSG: return enter(regs->di, regs->si, 1, 0, HOW_MSG, 0);
	case NR_SENDMSG: return enter(regs->di, regs->si, 1, 0, HOW_MSG, 1);
	case NR_RECVMMSG: return enter(regs->di, regs->si, regs->dx, 0, HOW_MMSG, 0);
	case NR_SENDMMSG: return enter(regs->di, regs->si, regs->dx, 0, HOW_MMSG, 1);
	case NR_SENDFILE: return enter(regs->di, 0, 0, 0, HOW_NONE, 1);
	case NR_CONNECT: set_role(regs->di, SOCK_ROLE_CLIENT); return 0;
	case NR_CLOSE: return closing(regs->di);
	}
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	long id = regs->orig_ax;

	if (id > NR_SENDMMSG || compat())
		return 0;
	switch (id) {
	case NR_ACCEPT:
	case NR_ACCEPT4:
		set_role(ret, SOCK_ROLE_SERVER);
		return 0;
	case NR_READ: case NR_WRITE: case NR_READV: case NR_WRITEV: case NR_RECVFROM:
	case NR_SENDTO: case NR_RECVMSG: case NR_SENDMSG: case NR_RECVMMSG:
	case NR_SENDMMSG: case NR_SENDFILE:
		return leave(ret);
	}
	return 0;
}

/* OpenSSL: SSL_write(ssl, buf, num), SSL_read(ssl, buf, num) return the
 * byte count; the _ex variants return 1 and write the count through
 * their fourth argument. */
static __always_inline int tls_enter(void *ssl, const void *buf, void *done, __u8 egress)
{
	struct tls_call *t;

	if (!wanted())
		return 0;
	t = bpf_task_storage_get(&tls_calls, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (t)
		*t = (struct tls_call){.ssl = (__u64)ssl, .buf = (__u64)buf, .done = (__u64)done,
				       .egress = egress, .live = 1};
	return 0;
}

static __always_inline int tls_leave(long ret)
{
	struct tls_call *p = bpf_task_storage_get(&tls_calls, bpf_get_current_task_btf(), 0, 0);
	struct sock_cfg *c = wanted();
	struct tls_call t;
	struct scratch *s;
	__u64 *sk, n = 0;
	__u8 l4;

	if (!p || !p->live)
		return 0;
	t = *p;
	p->live = 0;
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
	l4 = IPPROTO_TCP;
	s = begin(*sk, l4, t.egress, SOCK_VIA_TLS);
	if (!s || !port_ok(c, &s->ev))
		return 0;
	s->ev.bytes = n;
	emit(s, copy_buf(s->data, t.buf, limit_of(c, n)));
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
