// SPDX-License-Identifier: MIT
/* Where cgroup v2 is mounted: the root whose hooks see every process,
 * and beneath which the guests' cgroup paths are opened (attach.c). */
#include <errno.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>

#include "wbpf/bpf.h"

static bool is_cgroup2(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

static int copy_path(char *buf, size_t len, const char *path)
{
	return (size_t)snprintf(buf, len, "%s", path) < len ? 0 : -ENAMETOOLONG;
}

/* The usual places are asked first (one statfs each, where reading the
 * mount table costs a file's parse); a host that mounts it elsewhere is
 * found in /proc/self/mounts. */
int wbpf_cgroup2_root(char *buf, size_t len)
{
	static const char *const usual[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
	char dir[4096], type[64];
	FILE *f;
	int rc = -ENOENT;

	for (size_t i = 0; i < sizeof(usual) / sizeof(*usual); i++)
		if (is_cgroup2(usual[i]))
			return copy_path(buf, len, usual[i]);
	f = fopen("/proc/self/mounts", "re");
	if (!f)
		return -errno;
	while (rc == -ENOENT && fscanf(f, "%*s %4095s %63s %*[^\n]", dir, type) == 2)
		if (!strcmp(type, "cgroup2"))
			rc = copy_path(buf, len, dir);
	fclose(f);
	return rc;
}
