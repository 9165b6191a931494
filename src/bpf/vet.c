// SPDX-License-Identifier: MIT
/*
 * Untrusted BPF objects are parsed by libbpf in a throwaway child first.
 * libbpf's ELF/BTF parser trusts its input (1.1.2 dereferences type ids
 * and offsets from .BTF unchecked), so the host's own libbpf only sees
 * bytes that a copy of the same parser has already opened without dying,
 * and on which that copy has answered every question the host may ask of
 * the object before it is loaded (programs, maps, global data, BTF, the
 * helper check), then closed it: libbpf can leave an object that opened
 * fine in a state that crashes a later accessor.
 * The child runs with no privileges, a seccomp filter (memory syscalls and
 * writes to its report pipe only) and limits on memory, CPU and time; its
 * libbpf messages come back through the pipe as the reason for a refusal.
 * Why a child rather than a validator of our own: docs/security.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf/internal.h"

#if defined(__x86_64__)
#define VET_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define VET_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "vet.c: add this architecture's AUDIT_ARCH"
#endif

/* libbpf opens a 34 KiB object in well under a millisecond: these only
 * stop a parser that loops or blocks, or asks for absurd memory. */
#define VET_CPU_SECONDS 5
#define VET_WALL_MS 15000
#define VET_MEM_BASE (128ul << 20)
#define VET_MEM_PER_BYTE 8ul
#define VET_NOBODY 65534
#define VET_REASON_MAX 256

/* What libbpf's open needs (allocations, the global-data images it maps,
 * uname for the kernel version) and a sanitizer runtime's own signal
 * state; writes only to fd 2, the report pipe. Anything else fails with
 * EPERM. */
static int vet_seccomp(void)
{
	static const int allowed[] = {
		__NR_brk, __NR_mmap, __NR_munmap, __NR_mremap, __NR_mprotect, __NR_madvise,
		__NR_uname, __NR_futex, __NR_getpid, __NR_gettid, __NR_exit, __NR_exit_group,
		__NR_rt_sigreturn, __NR_rt_sigprocmask, __NR_sigaltstack,
	};
	enum { N = sizeof(allowed) / sizeof(allowed[0]), LEN = 9 + N };
	struct sock_filter f[LEN];
	struct sock_fprog prog = { .len = LEN, .filter = f };
	const int deny = LEN - 2, allow = LEN - 1;
	int pc = 0;

	f[pc++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					       offsetof(struct seccomp_data, arch));
	f[pc++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, VET_AUDIT_ARCH, 1, 0);
	f[pc++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[pc++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					       offsetof(struct seccomp_data, nr));
	for (int i = 0; i < N; i++, pc++)
		f[pc] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)allowed[i],
						     (uint8_t)(allow - pc - 1), 0);
	f[pc] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_write, 0,
					     (uint8_t)(deny - pc - 1));
	pc++;
	f[pc++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					       offsetof(struct seccomp_data, args[0]));
	f[pc] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, STDERR_FILENO,
					     (uint8_t)(allow - pc - 1), (uint8_t)(deny - pc - 1));
	pc++;
	f[pc++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
	f[pc++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* The address space the child has now, in bytes; 0 if unknown. Memory is
 * capped relative to it: sanitizer builds reserve terabytes up front. */
static unsigned long vet_vm_size(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long pages = 0;

	if (f && fscanf(f, "%lu", &pages) != 1)
		pages = 0;
	if (f)
		fclose(f);
	return pages * (unsigned long)sysconf(_SC_PAGESIZE);
}

static int vet_limit(int res, rlim_t soft, rlim_t hard)
{
	struct rlimit r = { soft, hard };

	return setrlimit(res, &r);
}

/* A crash must kill the child silently (not run the host's handlers,
 * sanitizer or fuzzer reports included); asynchronous signals such as the
 * user's Ctrl-C are the parent's business. */
static void vet_signals(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS, SIGXCPU };
	sigset_t block;

	sigfillset(&block);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		signal(fatal[i], SIG_DFL);
		sigdelset(&block, fatal[i]);
	}
	sigprocmask(SIG_SETMASK, &block, NULL);
}

static int vet_drop_privileges(void)
{
	if (geteuid() != 0)
		return 0;
	if (setgroups(0, NULL) || setresgid(VET_NOBODY, VET_NOBODY, VET_NOBODY) ||
	    setresuid(VET_NOBODY, VET_NOBODY, VET_NOBODY))
		return -1;
	return 0;
}

/* The raw system call: no exit handlers (the host's, a sanitizer's or a
 * fuzzer's) run in the child. */
static void __attribute__((noreturn)) vet_exit(int code)
{
	for (;;)
		syscall(SYS_exit_group, code);
}

static size_t vet_touch_prog(struct bpf_object *bpf, struct bpf_program *p)
{
	const char *name = bpf_program__name(p);

	return strlen(name) + strlen(bpf_program__section_name(p)) + bpf_program__type(p) +
	       bpf_program__expected_attach_type(p) + bpf_program__autoload(p) +
	       (bpf_object__find_program_by_name(bpf, name) == p);
}

/* Global data is read and written in place before load. */
static size_t vet_touch_map(struct bpf_object *bpf, struct bpf_map *m)
{
	const char *name = bpf_map__name(m);
	size_t sum = strlen(name) + bpf_map__type(m) + bpf_map__key_size(m) +
		     bpf_map__value_size(m) + bpf_map__max_entries(m) + bpf_map__map_flags(m) +
		     bpf_map__is_internal(m) + (bpf_object__find_map_by_name(bpf, name) == m);
	size_t size = 0;
	/* writable until load: the host writes .rodata/.data there too */
	volatile uint8_t *data = (uint8_t *)(uintptr_t)bpf_map__initial_value(m, &size);

	for (size_t i = 0; data && i < size; i++)
		data[i] = data[i];
	return sum;
}

/* What the host does with an opened object before load, and its close. */
static size_t vet_walk(struct bpf_object *bpf, void *buf, size_t size)
{
	struct bpf_obj o = { .bpf = bpf, .elf = buf, .elf_size = size };
	struct wbpf_bpf_host none = { .quiet = true }, all = { .quiet = true, .kfunc_granted = true };
	size_t sum = 0;

	if (obj_index(&o))
		vet_exit(ENOMEM);
	for (size_t i = 0; i < o.nprogs; i++)
		sum += vet_touch_prog(bpf, o.progs[i].prog);
	for (size_t i = 0; i < o.nmaps; i++)
		sum += vet_touch_map(bpf, o.maps[i].map);
	memset(all.helper_granted, 1, sizeof(all.helper_granted));
	sum += (size_t)object_check_helpers(&none, &o) + (size_t)object_check_helpers(&all, &o);
	bpf_object__close(bpf);
	return sum;
}

/* In the child: confine, parse, report by exit status (0 or an errno). */
static void __attribute__((noreturn)) vet_child(int report, void *buf, size_t size,
						const char *name)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name);
	unsigned long vm = vet_vm_size();
	struct bpf_object *obj;

	vet_signals();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_DUMPABLE, 0);
	if (dup2(report, STDERR_FILENO) < 0 || close_range(3, ~0u, 0) ||
	    vet_limit(RLIMIT_CORE, 0, 0) ||
	    vet_limit(RLIMIT_CPU, VET_CPU_SECONDS, VET_CPU_SECONDS + 1) ||
	    (vm && vet_limit(RLIMIT_AS, vm + VET_MEM_BASE + VET_MEM_PER_BYTE * size,
			     vm + VET_MEM_BASE + VET_MEM_PER_BYTE * size)) ||
	    vet_drop_privileges() || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || vet_seccomp()) {
		fprintf(stderr, "cannot confine the parser: %s\n", strerror(errno));
		vet_exit(EPERM);
	}
	obj = bpf_object__open_mem(buf, size, &opts);
	if (!obj)
		vet_exit(errno > 0 && errno < 256 ? errno : EINVAL);
	vet_walk(obj, buf, size);
	vet_exit(0);
}

/* The child's output, kept as its last non-empty line. */
struct vet_report {
	char cur[VET_REASON_MAX], last[VET_REASON_MAX];
	size_t len;
};

static void vet_report_add(struct vet_report *r, const char *chunk, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (chunk[i] != '\n') {
			if (r->len + 1 < VET_REASON_MAX)
				r->cur[r->len++] = chunk[i];
			continue;
		}
		if (r->len) {
			memcpy(r->last, r->cur, r->len);
			r->last[r->len] = '\0';
		}
		r->len = 0;
	}
}

static const char *vet_report_line(struct vet_report *r)
{
	if (!r->len)
		return r->last;
	r->cur[r->len] = '\0';
	return r->cur;
}

static long vet_ms_left(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (end->tv_sec - now.tv_sec) * 1000 + (end->tv_nsec - now.tv_nsec) / 1000000;
}

/* Reads the child's report until it closes the pipe; -ETIMEDOUT past the
 * wall-clock limit, -EINTR when the host is interrupted. */
static int vet_read(const struct wbpf_bpf_host *host, int fd, struct vet_report *r)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = host->wake_fd, .events = POLLIN } };
	struct timespec end;
	char chunk[512];
	ssize_t n;
	long left;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += VET_WALL_MS / 1000;
	for (;;) {
		if ((left = vet_ms_left(&end)) <= 0)
			return -ETIMEDOUT;
		if (poll(p, 2, (int)left) < 0 && errno != EINTR)
			return -errno;
		if (p[1].revents)
			return -EINTR;
		if (!p[0].revents)
			continue;
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		vet_report_add(r, chunk, (size_t)n);
	}
}

/* The errno for the guest and the host's one-line reason. */
static int vet_verdict(const struct wbpf_bpf_host *host, const char *name, int status,
		       int read_err, const char *reason)
{
	const char *what = name ? name : "(unnamed)";
	const char *sep = *reason ? ": " : "";

	if (read_err == -EINTR)
		return -EINTR;
	if (read_err == -ETIMEDOUT)
		return host_log(host, -ETIMEDOUT, "BPF object '%s' refused: libbpf did not finish "
				"parsing it within %d s%s%s", what, VET_WALL_MS / 1000, sep, reason);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)
		return host_log(host, -ETIMEDOUT, "BPF object '%s' refused: parsing it used over "
				"%d s of CPU", what, VET_CPU_SECONDS);
	if (WIFSIGNALED(status))
		return host_log(host, -EINVAL, "BPF object '%s' refused: it crashes libbpf's "
				"parser (%s)%s%s", what, strsignal(WTERMSIG(status)), sep, reason);
	if (WIFEXITED(status) && WEXITSTATUS(status))
		return host_log(host, -WEXITSTATUS(status), "BPF object '%s' refused: %s", what,
				*reason ? reason : strerror(WEXITSTATUS(status)));
	return 0;
}

int object_vet(const struct wbpf_bpf_host *host, void *buf, size_t size, const char *name)
{
	struct vet_report report = { .len = 0 };
	int pipefd[2], status = 0, err;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid == 0)
		vet_child(pipefd[1], buf, size, name);
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return host_log(host, -errno, "cannot fork to check a BPF object: %s",
				strerror(errno));
	}
	err = vet_read(host, pipefd[0], &report);
	close(pipefd[0]);
	if (err)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return host_log(host, -ECHILD, "BPF object check: lost its child: %s",
					strerror(errno));
	return vet_verdict(host, name, status, err, vet_report_line(&report));
}
