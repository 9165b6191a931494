// SPDX-License-Identifier: MIT
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* Failures of the test running in this process; atomic because the
 * threads test checks from several threads. */
static _Atomic int failures;

bool check_report(bool ok, const char *expr, const char *file, int line)
{
	if (!ok) {
		atomic_fetch_add(&failures, 1);
		fprintf(stderr, "  %s:%d: CHECK failed: %s\n", file, line, expr);
	}
	return ok;
}

bool check_eq(uint64_t a, uint64_t b, const char *ea, const char *eb, const char *file, int line)
{
	if (a == b)
		return true;
	atomic_fetch_add(&failures, 1);
	fprintf(stderr, "  %s:%d: CHECK failed: %s == %s: %" PRId64 " (0x%" PRIx64 ") != %" PRId64
		" (0x%" PRIx64 ")\n", file, line, ea, eb, (int64_t)a, a, (int64_t)b, b);
	return false;
}

bool check_has(const char *hay, const char *needle, const char *ehay, const char *file, int line)
{
	if (hay && strstr(hay, needle))
		return true;
	atomic_fetch_add(&failures, 1);
	fprintf(stderr, "  %s:%d: CHECK failed: %s contains \"%s\": got \"%s\"\n", file, line, ehay,
		needle, hay ? hay : "(null)");
	return false;
}

static bool selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], name))
			return true;
	}
	return false;
}

/* A hung engine must not hang `make test`: the child gets an alarm. The
 * sanitizer build is several times slower, hence the generous default. */
static unsigned timeout_seconds(void)
{
	const char *s = getenv("CHECK_TIMEOUT");

	return s && atoi(s) > 0 ? (unsigned)atoi(s) : 120;
}

/* Runs one test in a child; true when it passed. */
static bool run_one(const struct check_test *t)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return false;
	}
	if (pid == 0) {
		alarm(timeout_seconds());
		t->fn();
		/* exit(), not _exit(): LeakSanitizer checks at exit, per test. */
		exit(atomic_load(&failures) ? 1 : 0);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("waitpid");
		return false;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("  ok    %s\n", t->name);
		return true;
	}
	if (WIFSIGNALED(status))
		printf("  FAIL  %s: killed by signal %d (%s)%s\n", t->name, WTERMSIG(status),
		       strsignal(WTERMSIG(status)),
		       WTERMSIG(status) == SIGALRM ? ", timed out" : "");
	else
		printf("  FAIL  %s\n", t->name);
	return false;
}

int check_run(const struct check_test *tests, size_t n, int argc, char **argv)
{
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	size_t ran = 0, failed = 0;

	for (size_t i = 0; i < n; i++) {
		if (!selected(tests[i].name, argc, argv))
			continue;
		ran++;
		if (!run_one(&tests[i]))
			failed++;
	}
	printf("%s: %zu passed, %zu failed\n", prog, ran - failed, failed);
	fflush(stdout);
	return failed || !ran ? 1 : 0;
}
