// SPDX-License-Identifier: MIT
/*
 * A hostile operator on trace_exec: its first callback traps, the
 * second loops forever, the third grows memory until the cap and then
 * traps; later ones behave. The host must contain and count all three
 * and keep delivering events.
 */
#include <stdio.h>
#include <stdlib.h>

#include <gadget/ig_api.h>

static int calls;

IG_EXPORT(gadgetAPIVersion) uint64_t gadgetAPIVersion(void)
{
	return 1;
}

IG_EXPORT(gadgetInit) int32_t gadgetInit(void)
{
	return ig_dataSourceSubscribe(ig_getDataSource(ig_cstr("exec")), IG_SUB_DATA, 0, 0);
}

IG_EXPORT(gadgetStop) int32_t gadgetStop(void)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "hostile: %d callbacks", calls);
	ig_log(IG_LOG_INFO, msg);
	return 0;
}

IG_EXPORT(dataSourceCallback) void dataSourceCallback(uint64_t cb, uint32_t ds, uint32_t data)
{
	volatile unsigned spin = 0;

	(void)cb, (void)ds, (void)data;
	switch (++calls) {
	case 1:
		__builtin_trap();
	case 2:
		for (;;)
			spin++;
	case 3: {
		static char *volatile keep;

		while ((keep = malloc(1 << 20)))
			keep[0] = 1;
		__builtin_trap(); /* out of memory: what a Go guest's panic does */
	}
	}
}
