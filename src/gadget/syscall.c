// SPDX-License-Identifier: MIT
/*
 * Syscall numbers and names of this architecture. The table is generated
 * at build time from the kernel headers' asm/unistd_64.h (mk/gadget.mk),
 * so it follows the installed headers rather than a copy in the tree.
 */
#include <string.h>

#include "gadget/internal.h"

static const char *const names[] = {
#include "gadget_syscalls.h"
};

#define NNAMES (sizeof(names) / sizeof(names[0]))

const char *gsyscall_name(uint32_t nr)
{
	return nr < NNAMES ? names[nr] : NULL;
}

int gsyscall_id(const char *name)
{
	for (size_t i = 0; i < NNAMES; i++)
		if (names[i] && !strcmp(names[i], name))
			return (int)i;
	return -1;
}
