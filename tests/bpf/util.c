// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

int failures;

void *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	void *buf = NULL;
	long n;

	if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET) &&
	    (buf = malloc((size_t)n)) && fread(buf, 1, (size_t)n, f) == (size_t)n)
		*size = (size_t)n;
	else if (buf) {
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	return buf;
}

int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

void hit_tracepoints(int n)
{
	for (int i = 0; i < n; i++)
		syscall(SYS_getppid);
}

int run_tests(const char *suite, const struct test *tests, size_t n)
{
	int fds, total = 0;

	if (geteuid() != 0) {
		printf("%s: SKIP: loading BPF programs needs root\n", suite);
		return 77;
	}
	/* libbpf finds tracepoints through tracefs. */
	if (access("/sys/kernel/tracing/events", F_OK) &&
	    mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL))
		perror("mounting tracefs");
	fds = count_fds();
	for (size_t i = 0; i < n; i++) {
		int before = failures;

		tests[i].fn();
		printf("%s %s\n", failures == before ? "ok  " : "FAIL", tests[i].name);
		total += failures != before;
	}
	if (!CHECK_EQ(count_fds(), fds))
		total++;
	printf("%s: %s (%d failed)\n", suite, total ? "FAILED" : "passed", total);
	return total ? 1 : 0;
}
