// SPDX-License-Identifier: MIT
/*
 * The cost of one plugin hook call, context serialisation included, for
 * both ABIs (make bench-l7-hook): a check that declines (the common case:
 * every new flow asks every plugin) and a parse that returns one record,
 * on a 200-byte payload. Prints ns per call, the median of 5 runs, in
 * this thread's CPU time: the machine may be shared, and time spent
 * descheduled is not the call's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "l7/plugin_impl.h"

#define CALLS 200000
#define RUNS 5

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double measure(struct wbpf_l7_parser *p, struct l7_msg *m, bool parse)
{
	static struct wbpf_l7_info out[L7_PLUGIN_MAX_RECORDS];
	double runs[RUNS];
	enum l7_direction dir;

	for (int r = 0; r < RUNS; r++) {
		uint64_t t0 = cpu_ns();

		for (int i = 0; i < CALLS; i++)
			if (parse)
				p->parse(p->self, m, out, L7_PLUGIN_MAX_RECORDS);
			else
				p->check(p->self, m, &dir);
		runs[r] = (double)(cpu_ns() - t0) / CALLS;
	}
	qsort(runs, RUNS, sizeof(runs[0]), cmp);
	return runs[RUNS / 2];
}

int main(int argc, char **argv)
{
	static uint8_t payload[200];
	struct l7_msg m = { .tuple = { .family = 4, .l4 = 6, .sport = 40000, .dport = 80 },
			    .payload = payload, .len = sizeof(payload), .buf_size = 1024,
			    .protocol = 200, .flow_id = 1 };

	memset(payload, 'x', sizeof(payload));
	printf("%-10s %14s %14s\n", "abi", "check ns/call", "parse ns/call");
	for (int i = 1; i < argc; i++) {
		struct l7_plugin_spec spec = { argv[i], NULL, 0 };
		struct l7_plugins_worker *w;
		struct l7_plugins *set;
		struct wbpf_error err;

		if (!(set = l7_plugins__load(&spec, 1, NULL, &err)) ||
		    !(w = l7_plugins__instantiate(set, &err))) {
			fprintf(stderr, "hook_bench: %s\n", err.msg);
			return 1;
		}
		printf("%-10s %14.0f %14.0f\n", set->plugins[0].abi->module,
		       measure(&w->parsers[0], &m, false), measure(&w->parsers[0], &m, true));
		l7_plugins_worker__free(w);
		l7_plugins__free(set);
	}
	return 0;
}
