// SPDX-License-Identifier: MIT
/*
 * Start-to-attached time of an eBPF tool: forks and execs COMMAND, and
 * measures until a BPF link that was not there before appears in the
 * kernel (the tool attached its first program). The tool needs no
 * cooperation: what counts is what the kernel sees.
 *
 * usage: startup [-n RUNS] COMMAND [ARGS...]    (root)
 * Prints min / median / max in milliseconds.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 100
#define GIVE_UP_S 10.0

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Link ids grow: the largest one tells whether a new link appeared. */
static __u32 last_link_id(void)
{
	__u32 id = 0, next;

	while (!bpf_link_get_next_id(id, &next))
		id = next;
	return id;
}

static double one_run(char **argv)
{
	__u32 before = last_link_id();
	double t0 = now(), t = -1;
	pid_t pid = fork();

	if (pid == 0) {
		/* The tool's output is not what we measure. */
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	while (now() - t0 < GIVE_UP_S) {
		if (last_link_id() > before) {
			t = now() - t0;
			break;
		}
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		usleep(100);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return t;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	double ms[MAX_RUNS];
	int runs = 10, first = 1;

	if (argc > 2 && !strcmp(argv[1], "-n")) {
		runs = atoi(argv[2]);
		first = 3;
	}
	if (first >= argc || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: %s [-n RUNS] COMMAND [ARGS...]\n", argv[0]);
		return 2;
	}
	for (int i = 0; i < runs; i++) {
		double t = one_run(argv + first);

		if (t < 0) {
			fprintf(stderr, "startup: %s did not attach within %.0f s\n", argv[first],
				GIVE_UP_S);
			return 1;
		}
		ms[i] = t * 1e3;
	}
	qsort(ms, (size_t)runs, sizeof(ms[0]), cmp);
	printf("%-40s min %6.1f ms  median %6.1f ms  max %6.1f ms  (%d runs)\n", argv[first], ms[0],
	       ms[runs / 2], ms[runs - 1], runs);
	return 0;
}
