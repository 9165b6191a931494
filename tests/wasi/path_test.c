// SPDX-License-Identifier: MIT
/*
 * Unit test of WASI path resolution (src/wasi/path.c), natively and
 * without an engine: the same escape attempts against openat2 and against
 * the component walk used where openat2 is missing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi/internal.h"

struct fixture {
	char top[64];
	int box;
};

static void put(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void link_at(const char *top, const char *target, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", top, name);
	if (symlink(target, path)) {
		perror(path);
		exit(1);
	}
}

/* top/outside/secret.txt, and the granted top/box with links of every
 * kind, inside and out. */
static void fixture_init(struct fixture *fx)
{
	char path[256], abs_target[256];

	snprintf(fx->top, sizeof(fx->top), "/tmp/wbpf-path-XXXXXX");
	if (!mkdtemp(fx->top)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/outside", fx->top);
	mkdir(path, 0755);
	put(path, "secret.txt", "secret");
	snprintf(path, sizeof(path), "%s/box", fx->top);
	mkdir(path, 0755);
	put(path, "file.txt", "inside");
	snprintf(path, sizeof(path), "%s/box/sub", fx->top);
	mkdir(path, 0755);
	snprintf(abs_target, sizeof(abs_target), "%s/outside/secret.txt", fx->top);
	link_at(fx->top, "file.txt", "box/link_in");
	link_at(fx->top, "..", "box/link_up");
	link_at(fx->top, "../outside/secret.txt", "box/link_esc");
	link_at(fx->top, abs_target, "box/link_abs");
	link_at(fx->top, "/proc/self/root", "box/link_proc");
	link_at(fx->top, "loop2", "box/loop1");
	link_at(fx->top, "loop1", "box/loop2");
	link_at(fx->top, "new2.txt", "box/dangling_in");
	link_at(fx->top, "../outside/new3.txt", "box/dangling_esc");
	link_at(fx->top, "../file.txt", "box/sub/link_rel_ok");
	link_at(fx->top, "..", "box/sub/link_up2");
	snprintf(path, sizeof(path), "%s/box", fx->top);
	fx->box = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static const char *result(int ret)
{
	static char buf[32];

	if (ret >= 0)
		return "ok";
	snprintf(buf, sizeof(buf), "%s", strerror(-ret));
	return buf;
}

struct open_case {
	const char *path;
	int flags;
	int want; /* 0 = opens (and reads "inside" if a file), else -errno */
};

static const struct open_case open_cases[] = {
	{".", O_RDONLY, 0},
	{"file.txt", O_RDONLY, 0},
	{"./sub/../file.txt", O_RDONLY, 0},
	{"sub//./../sub/../file.txt", O_RDONLY, 0},
	{"sub/link_rel_ok", O_RDONLY, 0},
	{"link_in", O_RDONLY, 0},
	{"sub/link_up2/file.txt", O_RDONLY, 0},
	{"sub/", O_RDONLY, 0},
	{"sub", O_RDONLY | O_DIRECTORY, 0},
	{"file.txt", O_RDONLY | O_DIRECTORY, -ENOTDIR},
	{"link_esc", O_PATH | O_NOFOLLOW, 0},
	{"missing", O_RDONLY, -ENOENT},
	{"file.txt/", O_RDONLY, -ENOTDIR},
	{"file.txt/x", O_RDONLY, -ENOTDIR},
	{"link_in", O_RDONLY | O_NOFOLLOW, -ELOOP},
	{"loop1", O_RDONLY, -ELOOP},
	{"..", O_RDONLY, -EXDEV},
	{"../outside/secret.txt", O_RDONLY, -EXDEV},
	{"sub/../../outside/secret.txt", O_RDONLY, -EXDEV},
	{"/etc/passwd", O_RDONLY, -EXDEV},
	{"link_esc", O_RDONLY, -EXDEV},
	{"link_abs", O_RDONLY, -EXDEV},
	{"link_up/outside/secret.txt", O_RDONLY, -EXDEV},
	{"link_up", O_RDONLY, -EXDEV},
	{"link_proc/etc/passwd", O_RDONLY, -EXDEV},
	{"sub/link_up2/../x", O_RDONLY, -EXDEV},
	{"new.txt", O_RDWR | O_CREAT | O_EXCL, 0},
	{"dangling_in", O_RDWR | O_CREAT, 0},
	{"dangling_esc", O_RDWR | O_CREAT, -EXDEV},
	{"../outside/new4.txt", O_RDWR | O_CREAT, -EXDEV},
};

static int check_open(struct wasi_resolver *r, int box, const struct open_case *c)
{
	int fd = wasi_path__open(r, box, c->path, c->flags, 0644);
	char buf[8] = {0};
	struct stat st;
	int bad = (fd >= 0) != (c->want == 0) || (fd < 0 && fd != c->want);

	if (fd >= 0 && !(c->flags & (O_PATH | O_CREAT)) && !fstat(fd, &st) && S_ISREG(st.st_mode))
		bad |= read(fd, buf, 6) != 6 || strcmp(buf, "inside");
	if (bad)
		printf("FAIL %s open %s: got %s, want %s\n", r->walk ? "walk" : "openat2", c->path,
		       result(fd), result(c->want));
	if (fd >= 0)
		close(fd);
	return bad;
}

struct parent_case {
	const char *path;
	const char *name; /* NULL: refused with EXDEV */
};

static const struct parent_case parent_cases[] = {
	{"x", "x"},
	{"sub/x", "x"},
	{"sub/x/", "x/"},
	{"sub/..", ".."},
	{"../x", NULL},
	{"..", NULL},
	{"/x", NULL},
	{"link_up/", NULL},
	{"link_up/x", NULL},
	{"sub/link_up2/x", "x"},
};

static int check_parent(struct wasi_resolver *r, int box, const struct parent_case *c)
{
	char path[PATH_MAX];
	const char *name = NULL;
	int fd, bad;

	snprintf(path, sizeof(path), "%s", c->path);
	fd = wasi_path__parent(r, box, path, &name);
	bad = c->name ? fd < 0 || strcmp(name, c->name) : fd != -EXDEV;
	if (bad)
		printf("FAIL %s parent %s: got %s '%s'\n", r->walk ? "walk" : "openat2", c->path,
		       result(fd), fd >= 0 ? name : "");
	if (fd >= 0)
		close(fd);
	return bad;
}

/* Files the escapes would have created must not exist. */
static int check_outside(const struct fixture *fx)
{
	static const char *const never[] = {"outside/new3.txt", "outside/new4.txt"};
	char path[256];
	int bad = 0;

	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fx->top, never[i]);
		if (!access(path, F_OK)) {
			printf("FAIL created outside the box: %s\n", never[i]);
			bad++;
		}
	}
	return bad;
}

static int run_mode(const struct fixture *fx, bool walk)
{
	struct wasi_resolver r = {.walk = walk};
	int bad = 0;

	for (size_t i = 0; i < sizeof(open_cases) / sizeof(open_cases[0]); i++)
		bad += check_open(&r, fx->box, &open_cases[i]);
	for (size_t i = 0; i < sizeof(parent_cases) / sizeof(parent_cases[0]); i++)
		bad += check_parent(&r, fx->box, &parent_cases[i]);
	/* The creating cases run again in the other mode. */
	unlinkat(fx->box, "new.txt", 0);
	unlinkat(fx->box, "new2.txt", 0);
	return bad + check_outside(fx);
}

int main(void)
{
	struct fixture fx;
	char cmd[128];
	int bad;

	fixture_init(&fx);
	bad = run_mode(&fx, false) + run_mode(&fx, true);
	close(fx.box);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx.top);
	if (system(cmd))
		bad++;
	printf("%s: wasi path resolution (openat2 and walk), %zu cases each\n",
	       bad ? "FAIL" : "ok", sizeof(open_cases) / sizeof(open_cases[0]) +
	       sizeof(parent_cases) / sizeof(parent_cases[0]));
	return bad ? 1 : 0;
}
