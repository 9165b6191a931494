// SPDX-License-Identifier: MIT
/* Directories: mkdir, readdir, rename, unlink, rmdir, symlinks, stat. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "common.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *type_of(unsigned char t)
{
	switch (t) {
	case DT_DIR: return "dir";
	case DT_REG: return "file";
	case DT_LNK: return "link";
	}
	return "other";
}

/* Lists a directory sorted (readdir order is the file system's). */
static void list(const char *path)
{
	char *names[256];
	int n = 0;
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d) {
		printf("opendir %s: %s\n", path, errname(errno));
		return;
	}
	while ((e = readdir(d)) && n < 256) {
		char buf[300];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(buf, sizeof(buf), "%s(%s)", e->d_name, type_of(e->d_type));
		names[n++] = strdup(buf);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cmp_str);
	printf("%s:", path);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

static void touch(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static void make_tree(void)
{
	char name[64];

	CHECK("mkdir a", mkdir("a", 0755));
	CHECK("mkdir a again", mkdir("a", 0755));
	CHECK("mkdir a/b/c (no b)", mkdir("a/b/c", 0755));
	CHECK("mkdir a/b", mkdir("a/b", 0755));
	CHECK("mkdir a/b/c", mkdir("a/b/c/", 0755));
	for (int i = 0; i < 150; i++) {
		snprintf(name, sizeof(name), "a/many-%03d.txt", i);
		touch(name, name);
	}
	touch("a/b/file.txt", "hello\n");
	list("a");
	list("a/b");
}

static void renames(void)
{
	CHECK("rename file", rename("a/b/file.txt", "a/moved.txt"));
	CHECK("rename missing", rename("a/nope", "a/x"));
	CHECK("rename dir", rename("a/b", "a/bb"));
	CHECK("rename over file", rename("a/many-000.txt", "a/many-001.txt"));
	CHECK("rename dir over non-empty dir", rename("a/bb", "a"));
	list("a/bb");
}

static void removals(void)
{
	char name[64];

	CHECK("rmdir non-empty", rmdir("a"));
	CHECK("unlink dir", unlink("a/bb"));
	CHECK("rmdir file", rmdir("a/moved.txt"));
	CHECK("unlink file", unlink("a/moved.txt"));
	CHECK("unlink again", unlink("a/moved.txt"));
	CHECK("rmdir a/bb/c", rmdir("a/bb/c"));
	CHECK("rmdir a/bb", rmdir("a/bb"));
	for (int i = 1; i < 150; i++) {
		snprintf(name, sizeof(name), "a/many-%03d.txt", i);
		unlink(name);
	}
	list("a");
	CHECK("rmdir a", rmdir("a"));
	CHECK("opendir removed", opendir("a") ? 0 : -1);
}

static void links(void)
{
	char buf[64];
	struct stat st;
	ssize_t n;

	touch("target.txt", "target\n");
	CHECK("symlink", symlink("target.txt", "link"));
	CHECK("symlink exists", symlink("target.txt", "link"));
	n = readlink("link", buf, sizeof(buf));
	printf("readlink: %zd '%.*s'\n", n, (int)(n > 0 ? n : 0), buf);
	CHECK("readlink on file", readlink("target.txt", buf, sizeof(buf)));
	lstat("link", &st);
	printf("lstat is link: %d\n", S_ISLNK(st.st_mode));
	stat("link", &st);
	printf("stat follows: regular %d size %lld\n", S_ISREG(st.st_mode), (long long)st.st_size);
	CHECK("open O_NOFOLLOW", open("link", O_RDONLY | O_NOFOLLOW));
	CHECK("dangling symlink", symlink("nowhere", "dangling"));
	CHECK("stat dangling", stat("dangling", &st));
	CHECK("lstat dangling", lstat("dangling", &st));
	CHECK("hard link", link("target.txt", "hard.txt"));
	stat("target.txt", &st);
	printf("nlink: %ld\n", (long)st.st_nlink);
	list(".");
	unlink("link");
	unlink("dangling");
	unlink("hard.txt");
}

static void times(void)
{
	struct timeval tv[2] = {{1000000000, 0}, {1200000000, 500000}};
	struct stat st;

	CHECK("utimes", utimes("target.txt", tv));
	stat("target.txt", &st);
	printf("mtime %lld atime %lld\n", (long long)st.st_mtime, (long long)st.st_atime);
	CHECK("access F_OK", access("target.txt", F_OK));
	CHECK("access missing", access("nope", F_OK));
}

int main(void)
{
	make_tree();
	renames();
	removals();
	links();
	times();
	char cwd[256];
	printf("getcwd: %s\n", getcwd(cwd, sizeof(cwd)) ? "ok" : errname(errno));
	return 0;
}
