// SPDX-License-Identifier: MIT
/* TLS plaintext for the socket source: uprobes on OpenSSL's SSL_write,
 * SSL_read and their _ex variants in each libssl file, given by path or
 * found in the processes' memory maps (through /proc/PID/root, so a
 * container's own libssl is found too) and at the usual system paths (so
 * processes started later are seen). A uprobe on a file covers every
 * process that maps it. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/libbpf.h>

#include "l7/internal.h"

#define MAX_LIBS 16

static const char *const system_libs[] = {
	"/usr/lib/x86_64-linux-gnu/libssl.so.3", "/usr/lib/aarch64-linux-gnu/libssl.so.3",
	"/usr/lib64/libssl.so.3", "/usr/lib/libssl.so.3",
};

static const struct {
	const char *fn, *prog;
} tls_fns[] = {
	{"SSL_write", "ssl_write"},
	{"SSL_read", "ssl_read"},
	{"SSL_write_ex", "ssl_write_ex"},
	{"SSL_read_ex", "ssl_read_ex"},
};

struct libset {
	unsigned n;
	char path[MAX_LIBS][PATH_MAX];
	dev_t dev[MAX_LIBS];
	ino_t ino[MAX_LIBS];
};

/* One entry per file, whatever the path it was found by. */
static void add_lib(struct libset *ls, const char *path)
{
	struct stat st;

	if (ls->n == MAX_LIBS || stat(path, &st) || !S_ISREG(st.st_mode))
		return;
	for (unsigned i = 0; i < ls->n; i++)
		if (ls->dev[i] == st.st_dev && ls->ino[i] == st.st_ino)
			return;
	snprintf(ls->path[ls->n], PATH_MAX, "%s", path);
	ls->dev[ls->n] = st.st_dev;
	ls->ino[ls->n] = st.st_ino;
	ls->n++;
}

static void scan_maps(struct libset *ls, const char *pid)
{
	char name[64], line[PATH_MAX + 128], path[PATH_MAX + 64];
	FILE *f;

	snprintf(name, sizeof(name), "/proc/%s/maps", pid);
	f = fopen(name, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/');

		if (!p || !strstr(p, "/libssl.so"))
			continue;
		p[strcspn(p, "\n")] = 0;
		add_lib(ls, p); /* the host's own file first: a readable path */
		snprintf(path, sizeof(path), "/proc/%s/root%s", pid, p);
		add_lib(ls, path);
	}
	fclose(f);
}

static void discover(struct libset *ls, uint32_t pid)
{
	char buf[16];
	struct dirent *e;
	DIR *d;

	if (pid) {
		snprintf(buf, sizeof(buf), "%u", pid);
		scan_maps(ls, buf);
		return;
	}
	for (size_t i = 0; i < sizeof(system_libs) / sizeof(system_libs[0]); i++)
		add_lib(ls, system_libs[i]);
	d = opendir("/proc");
	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
			scan_maps(ls, e->d_name);
	closedir(d);
}

static struct bpf_link *probe(struct l7_sock *s, const char *prog, const char *path,
			      const char *fn, bool ret)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = fn, .retprobe = ret);
	struct bpf_program *p = l7_sock__program(s, prog);

	return p ? bpf_program__attach_uprobe_opts(p, -1, path, 0, &uo) : NULL;
}

/* How many of the functions were probed (entry and return). */
static unsigned attach_lib(struct l7_sock *s, const char *path)
{
	unsigned n = 0;

	for (size_t i = 0; i < sizeof(tls_fns) / sizeof(tls_fns[0]); i++) {
		struct bpf_link *in = probe(s, tls_fns[i].prog, path, tls_fns[i].fn, false);
		struct bpf_link *out = in ? probe(s, "ssl_ret", path, tls_fns[i].fn, true) : NULL;

		if (!out) {
			bpf_link__destroy(in);
			continue;
		}
		if (l7_sock__add_link(s, in) || l7_sock__add_link(s, out))
			break;
		n++;
	}
	return n;
}

int l7_sock__attach_tls(struct l7_sock *s, const struct wbpf_l7_sock_opts *o, unsigned *libs,
			unsigned *probes, char *err, size_t err_len)
{
	struct libset *ls = calloc(1, sizeof(*ls));

	if (!ls) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < o->n_tls_libs; i++) {
		unsigned before = ls->n;

		add_lib(ls, o->tls_libs[i]);
		if (ls->n == before && access(o->tls_libs[i], R_OK)) {
			snprintf(err, err_len, "TLS library %s: %s", o->tls_libs[i], strerror(errno));
			free(ls);
			return -ENOENT;
		}
	}
	if (!o->n_tls_libs)
		discover(ls, o->pid);
	for (unsigned i = 0; i < ls->n; i++) {
		unsigned n = attach_lib(s, ls->path[i]);

		if (!n && o->n_tls_libs) {
			snprintf(err, err_len, "TLS library %s: no SSL_read/SSL_write to probe",
				 ls->path[i]);
			free(ls);
			return -ENOENT;
		}
		*libs += n > 0;
		*probes += n;
	}
	free(ls);
	return 0;
}
