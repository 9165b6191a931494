// SPDX-License-Identifier: MIT
/*
 * Values as text: each field by its kind (enum names, arrays joined by
 * commas), and the formatters that turn well-known typedefs (gadget_*)
 * into readable fields: wall-clock times, errno and signal names,
 * syscall names, user and group names, parent process names, durations,
 * byte sizes and IP endpoints.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gadget/internal.h"

static int put(char *buf, size_t size, size_t *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int put(char *buf, size_t size, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*at >= size)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(buf + *at, size - *at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at += (size_t)n < size - *at ? (size_t)n : size - *at - 1;
	return 0;
}

static const char *enum_name(const struct wbpf_gadget_field *f, int64_t v)
{
	for (size_t i = 0; i < f->nenums; i++)
		if (f->enums[i].val == v)
			return f->enums[i].name;
	return NULL;
}

/* One scalar of `kind` at p. */
static void put_scalar(const struct wbpf_gadget_field *f, uint32_t kind, const uint8_t *p,
		       char *buf, size_t size, size_t *at)
{
	uint64_t u = 0;
	int64_t s;
	uint32_t n = gkind_size(kind);
	const char *name;

	memcpy(&u, p, n);
	s = n < 8 && (u >> (n * 8 - 1)) & 1 && kind >= WBPF_KIND_INT8 && kind <= WBPF_KIND_INT64 ?
		    (int64_t)(u | ~0ull << (n * 8)) : (int64_t)u;
	if (f->nenums && (name = enum_name(f, s))) {
		put(buf, size, at, "%s", name);
		return;
	}
	switch (kind) {
	case WBPF_KIND_BOOL:
		put(buf, size, at, "%s", u ? "true" : "false");
		return;
	case WBPF_KIND_FLOAT32: {
		float v;

		memcpy(&v, p, 4);
		put(buf, size, at, "%g", (double)v);
		return;
	}
	case WBPF_KIND_FLOAT64: {
		double v;

		memcpy(&v, p, 8);
		put(buf, size, at, "%g", v);
		return;
	}
	}
	if (f->col.hex)
		put(buf, size, at, "0x%" PRIx64, u);
	else if (kind >= WBPF_KIND_INT8 && kind <= WBPF_KIND_INT64)
		put(buf, size, at, "%" PRId64, s);
	else
		put(buf, size, at, "%" PRIu64, u);
}

static void put_text(const uint8_t *p, uint32_t len, bool cstr, char *buf, size_t size, size_t *at)
{
	const uint8_t *nul = cstr ? memchr(p, 0, len) : NULL;
	uint32_t n = nul ? (uint32_t)(nul - p) : len;

	put(buf, size, at, "%.*s", (int)n, (const char *)p);
}

/* gadget_l3endpoint_t / gadget_l4endpoint_t: the address union (16
 * bytes), then port and protocol (l4), then the IP version. */
static void put_endpoint(const struct wbpf_gadget_field *f, const uint8_t *p, char *buf,
			 size_t size, size_t *at)
{
	uint8_t version = p[f->fmt == GFMT_L4 ? 20 : 16];
	char addr[INET6_ADDRSTRLEN] = "";
	uint16_t port;

	inet_ntop(version == 6 ? AF_INET6 : AF_INET, p, addr, sizeof(addr));
	if (f->fmt == GFMT_L3) {
		put(buf, size, at, "%s", addr);
		return;
	}
	memcpy(&port, p + 16, 2);
	put(buf, size, at, version == 6 ? "[%s]:%u" : "%s:%u", addr, port);
}

int gformat_field(const struct wbpf_gadget_field *f, const struct wbpf_gadget_data *d, char *buf,
		  size_t size)
{
	uint32_t len, esz = f->array ? gkind_size(f->kind) : 0;
	const uint8_t *p = wbpf_gadget_field__bytes(f, d, &len);
	size_t at = 0;

	buf[0] = '\0';
	if ((f->fmt == GFMT_L3 || f->fmt == GFMT_L4) && len >= 21) {
		put_endpoint(f, p, buf, size, &at);
	} else if (f->array && esz) {
		for (uint32_t i = 0; i + esz <= len; i += esz) {
			put(buf, size, &at, "%s", i ? "," : "");
			put_scalar(f, f->kind, p + i, buf, size, &at);
		}
	} else if (f->array) { /* strings: NUL-separated */
		for (uint32_t i = 0; i < len; i += (uint32_t)strnlen((const char *)p + i, len - i) + 1) {
			put(buf, size, &at, "%s", i ? "," : "");
			put_text(p + i, len - i, true, buf, size, &at);
		}
	} else if (f->kind == WBPF_KIND_STRING || f->kind == WBPF_KIND_CSTRING) {
		put_text(p, len, f->kind == WBPF_KIND_CSTRING || (f->flags & WBPF_FIELD_STATIC), buf,
			 size, &at);
	} else if (f->kind == WBPF_KIND_BYTES) {
		for (uint32_t i = 0; i < len && !(f->flags & WBPF_FIELD_PARENT); i++)
			put(buf, size, &at, "%02x", p[i]);
	} else if (len >= gkind_size(f->kind)) {
		put_scalar(f, f->kind, p, buf, size, &at);
	}
	return (int)at;
}

/* ----------------------------------------------------------- formatters */

/* Go's RFC 3339 with nanoseconds: "2006-01-02T15:04:05.000000000Z07:00". */
static void fmt_time(uint64_t ns, char *buf, size_t size)
{
	time_t sec = (time_t)(ns / 1000000000u);
	struct tm tm;
	long off;
	size_t n;

	localtime_r(&sec, &tm);
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	off = tm.tm_gmtoff / 60;
	if (!off)
		snprintf(buf + n, size - n, ".%09" PRIu64 "Z", ns % 1000000000u);
	else
		snprintf(buf + n, size - n, ".%09" PRIu64 "%c%02ld:%02ld", ns % 1000000000u,
			 off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
}

static void fmt_duration(uint64_t ns, char *buf, size_t size)
{
	static const struct {
		uint64_t div;
		const char *unit;
	} u[] = {{3600000000000ull, "h"}, {60000000000ull, "m"}, {1000000000, "s"},
		 {1000000, "ms"}, {1000, "us"}, {1, "ns"}};
	size_t i = 0;

	while (i < 5 && ns < u[i].div)
		i++;
	if (u[i].div == 1)
		snprintf(buf, size, "%" PRIu64 "ns", ns);
	else
		snprintf(buf, size, "%.3f%s", (double)ns / (double)u[i].div, u[i].unit);
}

static void fmt_bytes(uint64_t n, char *buf, size_t size)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)n;
	size_t i = 0;

	while (v >= 1024 && i < 5) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, size, "%" PRIu64 "B", n);
	else
		snprintf(buf, size, "%.1f%s", v, units[i]);
}

static void lookup_user(uint64_t id, bool group, char *buf, size_t size)
{
	char tmp[1024];

	if (group) {
		struct group gr, *res = NULL;

		if (!getgrgid_r((gid_t)id, &gr, tmp, sizeof(tmp), &res) && res) {
			snprintf(buf, size, "%s", gr.gr_name);
			return;
		}
	} else {
		struct passwd pw, *res = NULL;

		if (!getpwuid_r((uid_t)id, &pw, tmp, sizeof(tmp), &res) && res) {
			snprintf(buf, size, "%s", pw.pw_name);
			return;
		}
	}
	snprintf(buf, size, "%" PRIu64, id);
}

static void lookup_comm(uint64_t pid, bool unused, char *buf, size_t size)
{
	char path[48];
	FILE *f;

	(void)unused;
	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%" PRIu64 "/comm", pid);
	if (!(f = fopen(path, "re")))
		return;
	if (fgets(buf, (int)size, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* Direct-mapped: a process's parent or user is looked up once. */
static void cached(struct gname *cache, uint64_t id, bool flag, char *buf, size_t size,
		   void (*lookup)(uint64_t, bool, char *, size_t))
{
	struct gname *e = &cache[id % GNAME_CACHE];

	if (!e->valid || e->id != id) {
		lookup(id, flag, e->name, sizeof(e->name));
		e->id = id;
		e->valid = true;
	}
	snprintf(buf, size, "%s", e->name);
}

static void fmt_syscall(uint64_t nr, char *buf, size_t size)
{
	const char *name = gsyscall_name((uint32_t)nr);
	size_t i = 0, n = 4;

	if (!name) {
		snprintf(buf, size, "SYS_%" PRIu64, nr);
		return;
	}
	snprintf(buf, size, "SYS_");
	for (; name[i] && n + 1 < size; i++)
		buf[n++] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
	buf[n] = '\0';
}

/* The text for a source field's value. */
static void fmt_value(struct wbpf_gadget *g, const struct wbpf_gadget_field *f, uint64_t v,
		      char *buf, size_t size)
{
	int64_t s = (int64_t)v;
	const char *name;

	buf[0] = '\0';
	switch (f->fmt) {
	case GFMT_TIMESTAMP: if (v) fmt_time(v, buf, size); break;
	case GFMT_ERRNO:
		if (s && (name = strerrorname_np((int)(s < 0 ? -s : s))))
			snprintf(buf, size, "%s", name);
		else if (s)
			snprintf(buf, size, "E%" PRId64, s < 0 ? -s : s);
		break;
	case GFMT_SIGNAL:
		if ((name = sigabbrev_np((int)v)))
			snprintf(buf, size, "SIG%s", name);
		else
			snprintf(buf, size, "%" PRIu64, v);
		break;
	case GFMT_SYSCALL: fmt_syscall(v, buf, size); break;
	case GFMT_UID: cached(g->users, v, false, buf, size, lookup_user); break;
	case GFMT_GID: cached(g->groups, v, true, buf, size, lookup_user); break;
	case GFMT_PPID: cached(g->comms, v, false, buf, size, lookup_comm); break;
	case GFMT_DURATION: fmt_duration(v, buf, size); break;
	case GFMT_BYTES: fmt_bytes(v, buf, size); break;
	default: break;
	}
}

static int format_data(struct wbpf_gadget_ds *ds, struct wbpf_gadget_data *d)
{
	char text[128];
	uint64_t v;

	for (size_t i = 0; i < ds->nfields; i++) {
		struct wbpf_gadget_field *f = ds->fields[i];

		if (!f->target || wbpf_gadget_field__get_u64(f, d, &v))
			continue;
		if (f->fmt == GFMT_TIMESTAMP && v) {
			v += (uint64_t)ds->g->boot_to_wall;
			wbpf_gadget_field__set_u64(f, d, v);
		}
		fmt_value(ds->g, f, v, text, sizeof(text));
		if (wbpf_gadget_field__set_bytes(f->target, d, text, (uint32_t)strlen(text)))
			return -ENOMEM;
	}
	return 0;
}

int gformat_sub(void *ctx, struct wbpf_gadget_ds *ds, struct wbpf_gadget_packet *p)
{
	int err = 0;

	(void)ctx;
	if (ds->type == WBPF_DS_SINGLE)
		return format_data(ds, &p->single);
	for (uint32_t i = 0; i < p->n && !err; i++)
		err = format_data(ds, p->elems[i]);
	return err;
}
