// SPDX-License-Identifier: MIT
/*
 * The spool: batches a store could not take, one file each, replayed
 * oldest first. A file's name is its sequence number and row count
 * ("0000000000000042-1000.batch"), so the spool is rebuilt from the
 * directory alone after a restart. Files are written under a temporary
 * name and renamed, so a crash never leaves half a batch to replay.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink/internal.h"

struct spool_entry {
	uint64_t seq, rows, bytes;
};

struct sink_spool {
	int dir_fd;
	uint64_t max_bytes, bytes, next_seq;
	struct spool_entry *entries; /* oldest first: a ring would not pay here */
	size_t n, cap;
};

static void entry_name(const struct spool_entry *e, char *name, size_t size)
{
	snprintf(name, size, "%016" PRIu64 "-%" PRIu64 ".batch", e->seq, e->rows);
}

static int append_entry(struct sink_spool *sp, struct spool_entry e)
{
	if (sp->n == sp->cap) {
		size_t cap = sp->cap ? sp->cap * 2 : 64;
		struct spool_entry *p = realloc(sp->entries, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		sp->entries = p;
		sp->cap = cap;
	}
	sp->entries[sp->n++] = e;
	sp->bytes += e.bytes;
	if (e.seq >= sp->next_seq)
		sp->next_seq = e.seq + 1;
	return 0;
}

static int by_seq(const void *a, const void *b)
{
	const struct spool_entry *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* What an earlier run left: finished batches are kept, temporaries go. */
static int scan(struct sink_spool *sp)
{
	DIR *d = fdopendir(dup(sp->dir_fd));
	struct dirent *de;
	int err = 0;

	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		struct spool_entry e;
		struct stat st;
		char tail[8];

		if (!strncmp(de->d_name, "tmp.", 4)) {
			unlinkat(sp->dir_fd, de->d_name, 0);
			continue;
		}
		if (sscanf(de->d_name, "%16" SCNu64 "-%" SCNu64 "%7s", &e.seq, &e.rows, tail) != 3 ||
		    strcmp(tail, ".batch") || fstatat(sp->dir_fd, de->d_name, &st, 0))
			continue;
		e.bytes = (uint64_t)st.st_size;
		err = append_entry(sp, e);
	}
	closedir(d);
	if (sp->n) /* an empty spool has no array: qsort must not see NULL */
		qsort(sp->entries, sp->n, sizeof(*sp->entries), by_seq);
	return err;
}

struct sink_spool *sink_spool__open(const char *dir, uint64_t max_bytes, char *err,
				    size_t err_size)
{
	struct sink_spool *sp = calloc(1, sizeof(*sp));
	int e;

	if (!sp) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	sp->max_bytes = max_bytes;
	mkdir(dir, 0700);
	sp->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	e = sp->dir_fd < 0 ? -errno : scan(sp);
	if (e) {
		snprintf(err, err_size, "spool %s: %s", dir, strerror(-e));
		sink_spool__free(sp);
		return NULL;
	}
	return sp;
}

void sink_spool__free(struct sink_spool *sp)
{
	if (!sp)
		return;
	if (sp->dir_fd >= 0)
		close(sp->dir_fd);
	free(sp->entries);
	free(sp);
}

static void drop_oldest(struct sink_spool *sp)
{
	char name[64];

	entry_name(&sp->entries[0], name, sizeof(name));
	unlinkat(sp->dir_fd, name, 0);
	sp->bytes -= sp->entries[0].bytes;
	memmove(sp->entries, sp->entries + 1, --sp->n * sizeof(*sp->entries));
}

static int write_file(int dir_fd, const char *name, const void *data, size_t len)
{
	int fd = openat(dir_fd, "tmp.batch", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n = -1;

	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	/* fdatasync: a batch the producer was told is safe must survive a crash. */
	if (n != (ssize_t)len || fdatasync(fd)) {
		int err = n < 0 ? -errno : -EIO;

		close(fd);
		unlinkat(dir_fd, "tmp.batch", 0);
		return err;
	}
	close(fd);
	return renameat(dir_fd, "tmp.batch", dir_fd, name) ? -errno : 0;
}

int64_t sink_spool__push(struct sink_spool *sp, const void *data, size_t len, uint64_t rows)
{
	struct spool_entry e = { sp->next_seq, rows, len };
	uint64_t dropped = 0;
	char name[64];
	int err;

	if (len > sp->max_bytes)
		return (int64_t)rows;
	while (sp->n && sp->bytes + len > sp->max_bytes) {
		dropped += sp->entries[0].rows;
		drop_oldest(sp);
	}
	entry_name(&e, name, sizeof(name));
	err = write_file(sp->dir_fd, name, data, len);
	if (!err)
		err = append_entry(sp, e);
	return err ? err : (int64_t)dropped;
}

int sink_spool__peek(struct sink_spool *sp, void **data, size_t *len, uint64_t *rows)
{
	char name[64];
	ssize_t n;
	int fd;

	if (!sp->n)
		return -ENOENT;
	*rows = sp->entries[0].rows;
	entry_name(&sp->entries[0], name, sizeof(name));
	fd = openat(sp->dir_fd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*data = malloc(sp->entries[0].bytes ? sp->entries[0].bytes : 1);
	n = *data ? read(fd, *data, sp->entries[0].bytes) : -1;
	close(fd);
	if (n != (ssize_t)sp->entries[0].bytes) {
		free(*data);
		return -EIO;
	}
	*len = (size_t)n;
	return 0;
}

void sink_spool__pop(struct sink_spool *sp)
{
	if (sp->n)
		drop_oldest(sp);
}

uint64_t sink_spool__bytes(const struct sink_spool *sp)
{
	return sp->bytes;
}

bool sink_spool__empty(const struct sink_spool *sp)
{
	return !sp->n;
}
