/* SPDX-License-Identifier: MIT */
/*
 * Whole-file writes that readers never see half done: the OCI store's
 * blobs and index, and the code cache's entries.
 */
#ifndef WBPF_FILE_H
#define WBPF_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Writes n bytes to path through a temporary file beside it (created
 * with `mode`, close-on-exec) renamed over it: readers and other writers
 * see the old file or the new one, whole. `sync`: fsync before the rename,
 * so that a crash cannot leave the new name on lost data (a cache whose
 * entries are checked on reading can skip it). 0 or a negative errno;
 * the temporary file is gone either way. */
int file__write_atomic(const char *path, const void *p, size_t n, mode_t mode, bool sync);

#endif
