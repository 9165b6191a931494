// SPDX-License-Identifier: MIT
/*
 * The code cache (see jit_cache.h). An entry is one file:
 *
 *   header | entry offsets (u32 per defined function) | relocations |
 *   code | checksum (u64) of everything before it
 *
 * It is used only when the checksum, the sizes and the whole key (module
 * hash, engine build, CPU features, config) match; anything else is a
 * miss and the module is compiled again. The checksum catches damage,
 * not forgery: whoever can write the directory can make the engine run
 * their code, so a directory group or others may write to is refused.
 * A hit maps the entry and points the image into it: nothing is read or
 * copied but the code itself, once, into the module's code memory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "file.h"
#include "wasm/jit_cache.h"

#define CACHE_MAGIC "wbpfjit"
#define CACHE_FORMAT 2u


static void sha256(const void *p, size_t n, uint8_t out[32])
{
	EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL);
}

static inline uint64_t rotl64(uint64_t v, int r)
{
	return v << r | v >> (64 - r);
}

#define SUM_K1 0x9e3779b97f4a7c15ull
#define SUM_K2 0xd6e8feb86659fd93ull

/* Four lanes over 8-byte words, each step a bijection of the lane, so a
 * single damaged word always changes its lane; the lanes run in parallel
 * (several bytes a cycle, where sha256 managed about one). */
uint64_t wasm_jit_cache_sum(const void *data, size_t n)
{
	const uint8_t *p = data;
	uint64_t lane[4] = { SUM_K1, SUM_K2, ~SUM_K1, ~SUM_K2 }, h = n * SUM_K2, w;
	size_t i = 0;

	for (; i + 32 <= n; i += 32)
		for (int l = 0; l < 4; l++) {
			memcpy(&w, p + i + 8 * l, 8);
			lane[l] = rotl64(lane[l] ^ w * SUM_K2, 29) * SUM_K1;
		}
	for (; i < n; i++)
		lane[i & 3] = rotl64(lane[i & 3] ^ (p[i] + 1u) * SUM_K2, 29) * SUM_K1;
	for (int l = 0; l < 4; l++)
		h = rotl64(h ^ lane[l] * SUM_K2, 31) * SUM_K1;
	h ^= h >> 29;
	h *= SUM_K2;
	return h ^ h >> 32;
}

uint32_t wasm_jit_cpu_features(void)
{
	uint32_t f = 0;
#if defined(__x86_64__)
	unsigned a, b, c, d;

	if (__get_cpuid(1, &a, &b, &c, &d)) {
		f |= (c >> 9 & 1) ? JIT_CPU_SSSE3 : 0;
		f |= (c >> 19 & 1) ? JIT_CPU_SSE41 : 0;
		f |= (c >> 20 & 1) ? JIT_CPU_SSE42 : 0;
		f |= (c >> 23 & 1) ? JIT_CPU_POPCNT : 0;
		f |= (c >> 28 & 1) ? JIT_CPU_AVX : 0;
	}
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		f |= (b >> 3 & 1) ? JIT_CPU_BMI1 : 0;
		f |= (b >> 5 & 1) ? JIT_CPU_AVX2 : 0;
		f |= (b >> 8 & 1) ? JIT_CPU_BMI2 : 0;
	}
	if (__get_cpuid(0x80000001, &a, &b, &c, &d))
		f |= (c >> 5 & 1) ? JIT_CPU_LZCNT : 0;
#endif
	return f;
}

/* The GNU build ID of the object this file is linked into: any change to
 * the emitter (or anything else in the build) changes it. */
struct build_id {
	uintptr_t addr;
	uint8_t *out;
	bool found;
};

static bool note_build_id(const uint8_t *p, size_t size, uint8_t out[32])
{
	while (size >= sizeof(ElfW(Nhdr))) {
		const ElfW(Nhdr) *n = (const void *)p;
		size_t name = (n->n_namesz + 3) & ~3u, desc = (n->n_descsz + 3) & ~3u;
		size_t len = sizeof(*n) + name + desc;

		if (len > size)
			return false;
		if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
		    !memcmp(p + sizeof(*n), "GNU", 4) && n->n_descsz && n->n_descsz <= 32) {
			memcpy(out, p + sizeof(*n) + name, n->n_descsz);
			return true;
		}
		p += len;
		size -= len;
	}
	return false;
}

static int find_build_id(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct build_id *b = arg;
	bool mine = false;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		mine |= ph->p_type == PT_LOAD && b->addr >= lo && b->addr - lo < ph->p_memsz;
	}
	for (int i = 0; mine && i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_NOTE &&
		    note_build_id((const uint8_t *)(info->dlpi_addr + ph->p_vaddr), ph->p_memsz, b->out))
			b->found = true;
	}
	return mine;
}

int wasm_jit_cache_key(const struct wbpf_module *mod, struct jit_cache_key *key)
{
	struct build_id b = { (uintptr_t)(const void *)wasm_jit_cache_key, key->engine, false };

	memset(key, 0, sizeof(*key));
	dl_iterate_phdr(find_build_id, &b);
	if (!b.found)
		return -ENOENT;
	sha256(mod->bytes, mod->len, key->module);
	key->cpu = wasm_jit_cpu_features();
	key->config = mod->bounds_checked;
	return 0;
}

char *wasm_jit_cache_dir(const char *opt)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	char *dir = NULL;

	if (!opt)
		opt = getenv("WBPF_CODE_CACHE");
	if (opt)
		return *opt && strcmp(opt, "off") ? strdup(opt) : NULL;
	if (xdg && *xdg && asprintf(&dir, "%s/wbpf", xdg) < 0)
		return NULL;
	return dir;
}

/* dir/<module hash>-<cpu>-<config>.jit: a new build replaces its
 * predecessor's entry rather than adding one. */
static char *entry_path(const char *dir, const struct jit_cache_key *key)
{
	char hex[65], *path;

	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", key->module[i]);
	if (asprintf(&path, "%s/%s-%x-%x.jit", dir, hex, key->cpu, key->config) < 0)
		return NULL;
	return path;
}

/* Only a directory no one but its owner (this user or root) can write. */
static int trusted_dir(const char *dir, bool create)
{
	struct stat st;

	if (create && mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	if (stat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if ((st.st_uid != geteuid() && st.st_uid != 0) || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return -EPERM;
	return 0;
}

/* Maps the entry file read-only (-EBADMSG for anything but a regular
 * file of a possible size). */
static int map_entry(const char *path, struct jit_cache_entry *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	void *p;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > SIZE_MAX / 2 ||
	    st.st_size < (off_t)(sizeof(struct cache_header) + sizeof(uint64_t))) {
		close(fd);
		return -EBADMSG;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	/* Its access time is what eviction goes by (least recently used). */
	futimens(fd, (struct timespec[2]){ { .tv_nsec = UTIME_NOW }, { .tv_nsec = UTIME_OMIT } });
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	e->map = p;
	e->map_len = (size_t)st.st_size;
	return 0;
}

/* Points the image into the mapped entry, once its size, checksum and
 * key are right. */
static int parse(const uint8_t *p, size_t len, const struct jit_cache_key *key,
		 struct jit_image *img)
{
	struct cache_header h;
	uint64_t body, sum;

	memcpy(&sum, p + len - sizeof(sum), sizeof(sum));
	if (wasm_jit_cache_sum(p, len - sizeof(sum)) != sum)
		return -EBADMSG;
	memcpy(&h, p, sizeof(h));
	if (memcmp(h.magic, CACHE_MAGIC, sizeof(h.magic)) || h.format != CACHE_FORMAT)
		return -ESTALE;
	if (memcmp(h.module, key->module, 32) || memcmp(h.engine, key->engine, 32) ||
	    h.cpu != key->cpu || h.config != key->config)
		return -ESTALE;
	body = (uint64_t)h.ndefined * 4 + (uint64_t)h.nrelocs * sizeof(struct jit_reloc);
	if (h.code_len > len || body + h.code_len != len - sizeof(h) - sizeof(sum))
		return -EBADMSG;
	/* The header keeps both arrays 4-aligned, as their u32s need. */
	img->ndefined = h.ndefined;
	img->nrelocs = h.nrelocs;
	img->len = (size_t)h.code_len;
	img->entry = (uint32_t *)(uintptr_t)(p + sizeof(h));
	img->relocs = (struct jit_reloc *)(uintptr_t)(p + sizeof(h) + (size_t)h.ndefined * 4);
	img->code = (uint8_t *)(uintptr_t)(p + sizeof(h) + body);
	return 0;
}

int wasm_jit_cache_load(const char *dir, const struct jit_cache_key *key,
			struct jit_cache_entry *e)
{
	char *path;
	int rc = trusted_dir(dir, false);

	memset(e, 0, sizeof(*e));
	if (rc)
		return rc;
	if (!(path = entry_path(dir, key)))
		return -ENOMEM;
	rc = map_entry(path, e);
	free(path);
	if (!rc && (rc = parse(e->map, e->map_len, key, &e->img)))
		wasm_jit_cache_release(e);
	return rc;
}

void wasm_jit_cache_release(struct jit_cache_entry *e)
{
	if (e->map)
		munmap(e->map, e->map_len);
	memset(e, 0, sizeof(*e));
}

/* The entry's bytes, checksum included; malloc'd. */
static uint8_t *serialize(const struct jit_cache_key *key, const struct jit_image *img,
			  size_t *len)
{
	struct cache_header h = { .magic = CACHE_MAGIC, .format = CACHE_FORMAT, .cpu = key->cpu,
				  .config = key->config, .ndefined = img->ndefined,
				  .nrelocs = img->nrelocs, .code_len = img->len };
	size_t ne = (size_t)img->ndefined * 4, nr = (size_t)img->nrelocs * sizeof(*img->relocs);
	uint64_t sum;
	uint8_t *p, *q;

	memcpy(h.module, key->module, 32);
	memcpy(h.engine, key->engine, 32);
	*len = sizeof(h) + ne + nr + img->len + sizeof(uint64_t);
	if (!(p = malloc(*len)))
		return NULL;
	q = p;
	memcpy(q, &h, sizeof(h));
	q += sizeof(h);
	memcpy(q, img->entry, ne);
	q += ne;
	memcpy(q, img->relocs, nr);
	q += nr;
	memcpy(q, img->code, img->len);
	q += img->len;
	sum = wasm_jit_cache_sum(p, (size_t)(q - p));
	memcpy(q, &sum, sizeof(sum));
	return p;
}

uint64_t wasm_jit_cache_max(uint64_t opt)
{
	const char *env = getenv("WBPF_CODE_CACHE_MAX");
	unsigned long long v;
	char *end;

	if (opt)
		return opt;
	if (!env || !*env)
		return JIT_CACHE_MAX_DEFAULT;
	errno = 0;
	v = strtoull(env, &end, 10);
	switch (*end) {
	case 'k': case 'K': v = v > ULLONG_MAX >> 10 ? 0 : v << 10; end++; break;
	case 'm': case 'M': v = v > ULLONG_MAX >> 20 ? 0 : v << 20; end++; break;
	case 'g': case 'G': v = v > ULLONG_MAX >> 30 ? 0 : v << 30; end++; break;
	}
	/* A value that is not a size keeps the default, as an unset one. */
	return errno || !v || (*end && strcmp(end, "iB") && strcmp(end, "B")) ?
	       JIT_CACHE_MAX_DEFAULT : v;
}

struct cached_file {
	char *path;
	uint64_t size;
	struct timespec used;
};

static int by_use(const void *a, const void *b)
{
	const struct timespec *x = &((const struct cached_file *)a)->used,
			      *y = &((const struct cached_file *)b)->used;

	return x->tv_sec != y->tv_sec ? (x->tv_sec < y->tv_sec ? -1 : 1) :
	       (x->tv_nsec > y->tv_nsec) - (x->tv_nsec < y->tv_nsec);
}

/* A writer's temporary file this old was left by a crash. */
#define STALE_TMP_SECONDS 3600

/* The entries of dir (and temporary files left by crashed writers, which
 * are removed); malloc'd, *n of them, *total bytes. */
static struct cached_file *list_entries(const char *dir, size_t *n, uint64_t *total)
{
	struct cached_file *v = NULL;
	size_t cap = 0;
	struct dirent *d;
	DIR *dp = opendir(dir);
	time_t now = time(NULL);

	*n = 0;
	*total = 0;
	while (dp && (d = readdir(dp))) {
		const char *dot = strstr(d->d_name, ".jit");
		struct stat st;
		char *path;

		if (!dot || asprintf(&path, "%s/%s", dir, d->d_name) < 0)
			continue;
		if (lstat(path, &st) || !S_ISREG(st.st_mode) || (dot[4] && dot[4] != '.')) {
			free(path);
			continue;
		}
		if (dot[4] == '.') { /* <entry>.XXXXXX: a write in progress, or a crash's */
			if (now - st.st_mtime > STALE_TMP_SECONDS)
				unlink(path);
			free(path);
			continue;
		}
		if (*n == cap) {
			struct cached_file *w = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof(*v));

			if (!w) {
				free(path);
				break;
			}
			v = w;
		}
		v[(*n)++] = (struct cached_file){ path, (uint64_t)st.st_size, st.st_atim };
		*total += (uint64_t)st.st_size;
	}
	if (dp)
		closedir(dp);
	return v;
}

/* Removes the least recently used entries but `keep` until the rest fit
 * in max. Other processes may do the same at once: an entry another one
 * removed first is simply gone, and one being read stays readable (its
 * mapping holds the file) until it is unmapped. */
static void evict(const char *dir, uint64_t max, const char *keep)
{
	size_t n;
	uint64_t total;
	struct cached_file *v = list_entries(dir, &n, &total);

	if (total > max)
		qsort(v, n, sizeof(*v), by_use);
	for (size_t i = 0; i < n && total > max; i++) {
		if (strcmp(v[i].path, keep) && (!unlink(v[i].path) || errno == ENOENT))
			total -= v[i].size;
	}
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

int wasm_jit_cache_store(const char *dir, uint64_t max, const struct jit_cache_key *key,
			 const struct jit_image *img)
{
	char *path = NULL;
	size_t len;
	uint8_t *bytes = NULL;
	int rc = trusted_dir(dir, true);

	/* No fsync: an entry lost in a crash is compiled again, and a torn
	 * one fails its checksum. */
	if (!rc && (!(path = entry_path(dir, key)) || !(bytes = serialize(key, img, &len))))
		rc = -ENOMEM;
	if (!rc)
		rc = file__write_atomic(path, bytes, len, 0600, false);
	if (!rc)
		evict(dir, max, path);
	free(bytes);
	free(path);
	return rc;
}
