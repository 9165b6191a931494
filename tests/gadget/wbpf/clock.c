// SPDX-License-Identifier: MIT
/* Logs what WASI's clocks and random_get give an operator: the test
 * compares runs with and without --deterministic. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <gadget/wbpf_op.h>

static uint64_t now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

WG_EXPORT(gadgetInit) int32_t gadgetInit(void)
{
	uint64_t r1 = now(CLOCK_REALTIME), m1 = now(CLOCK_MONOTONIC), m2 = now(CLOCK_MONOTONIC);
	unsigned char rnd[12];
	char msg[160];
	int n;

	if (getentropy(rnd, sizeof(rnd)))
		return 1;
	n = snprintf(msg, sizeof(msg), "clock: realtime %llu monotonic %llu %llu random ",
		     (unsigned long long)r1, (unsigned long long)m1, (unsigned long long)m2);
	for (size_t i = 0; i < sizeof(rnd) && n < (int)sizeof(msg) - 3; i++)
		n += snprintf(msg + n, sizeof(msg) - (size_t)n, "%02x", rnd[i]);
	wg_log(WG_LOG_INFO, msg);
	return 0;
}
