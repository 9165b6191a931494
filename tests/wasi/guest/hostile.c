// SPDX-License-Identifier: MIT
/*
 * wasm32-wasi only: calls the WASI imports directly, many thousand times,
 * with arguments a hostile guest would pick: pointers at and past the end
 * of memory, huge lengths, wrapped offsets, random fds and flags. The host
 * must answer every call with an errno and never crash; exit status 0
 * means the guest got through all of them. Run with a scratch --dir (it
 * creates and removes random names there), stdin from /dev/null and a
 * seed as the argument.
 *
 * poll_oneoff only gets bad subscription pointers (random clock timeouts
 * could sleep for years). Host writes land anywhere in memory, libc's own
 * data included, so the program ends with a bare proc_exit.
 */
#include <stdint.h>

#define WASI(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))

typedef int32_t i32;
typedef int64_t i64;

WASI(args_get) i32 w_args_get(i32, i32);
WASI(environ_sizes_get) i32 w_environ_sizes_get(i32, i32);
WASI(clock_time_get) i32 w_clock_time_get(i32, i64, i32);
WASI(clock_res_get) i32 w_clock_res_get(i32, i32);
WASI(fd_advise) i32 w_fd_advise(i32, i64, i64, i32);
WASI(fd_allocate) i32 w_fd_allocate(i32, i64, i64);
WASI(fd_close) i32 w_fd_close(i32);
WASI(fd_fdstat_get) i32 w_fd_fdstat_get(i32, i32);
WASI(fd_fdstat_set_flags) i32 w_fd_fdstat_set_flags(i32, i32);
WASI(fd_filestat_get) i32 w_fd_filestat_get(i32, i32);
WASI(fd_filestat_set_size) i32 w_fd_filestat_set_size(i32, i64);
WASI(fd_filestat_set_times) i32 w_fd_filestat_set_times(i32, i64, i64, i32);
WASI(fd_pread) i32 w_fd_pread(i32, i32, i32, i64, i32);
WASI(fd_prestat_dir_name) i32 w_fd_prestat_dir_name(i32, i32, i32);
WASI(fd_pwrite) i32 w_fd_pwrite(i32, i32, i32, i64, i32);
WASI(fd_read) i32 w_fd_read(i32, i32, i32, i32);
WASI(fd_readdir) i32 w_fd_readdir(i32, i32, i32, i64, i32);
WASI(fd_renumber) i32 w_fd_renumber(i32, i32);
WASI(fd_seek) i32 w_fd_seek(i32, i64, i32, i32);
WASI(fd_tell) i32 w_fd_tell(i32, i32);
WASI(fd_write) i32 w_fd_write(i32, i32, i32, i32);
WASI(path_create_directory) i32 w_path_create_directory(i32, i32, i32);
WASI(path_filestat_get) i32 w_path_filestat_get(i32, i32, i32, i32, i32);
WASI(path_filestat_set_times) i32 w_path_filestat_set_times(i32, i32, i32, i32, i64, i64, i32);
WASI(path_link) i32 w_path_link(i32, i32, i32, i32, i32, i32, i32);
WASI(path_open) i32 w_path_open(i32, i32, i32, i32, i32, i64, i64, i32, i32);
WASI(path_readlink) i32 w_path_readlink(i32, i32, i32, i32, i32, i32);
WASI(path_remove_directory) i32 w_path_remove_directory(i32, i32, i32);
WASI(path_rename) i32 w_path_rename(i32, i32, i32, i32, i32, i32);
WASI(path_symlink) i32 w_path_symlink(i32, i32, i32, i32, i32);
WASI(path_unlink_file) i32 w_path_unlink_file(i32, i32, i32);
WASI(poll_oneoff) i32 w_poll_oneoff(i32, i32, i32, i32);
WASI(random_get) i32 w_random_get(i32, i32);
WASI(proc_exit) void w_proc_exit(i32);

static uint64_t state = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}

/* Short names inside a page of our own, so paths are usually valid. */
static char names[4096];

static uint32_t mem_end(void)
{
	return (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
}

/* Never inside memory. */
static i32 bad_ptr(void)
{
	return next() % 2 ? (i32)(mem_end() + (uint32_t)(next() % 4096))
			  : (i32)0xffffffffu - (i32)(next() % 16);
}

/* A pointer: mostly a valid one, else at the end of memory, past it,
 * wrapped, or anywhere. */
static i32 ptr(void)
{
	uint32_t end = mem_end();

	switch (next() % 8) {
	case 4: return (i32)(end - (uint32_t)(next() % 64));
	case 5: return bad_ptr();
	case 6: return 0;
	case 7: return (i32)(next() % end);
	}
	return (i32)(uintptr_t)names + (i32)(next() % 64);
}

static i32 len(void)
{
	switch (next() % 8) {
	case 0: return (i32)0xffffffffu - (i32)(next() % 16);
	case 1: return (i32)next();
	case 2: return (i32)(next() % 300);
	}
	return (i32)(next() % 12);
}

/* Mostly the granted directory (3) or a file opened since. */
static i32 fd(void)
{
	switch (next() % 4) {
	case 0: return (i32)next();
	case 1: return (i32)(next() % 8);
	}
	return 3;
}

static i64 wide(void)
{
	return next() % 2 ? (i64)(next() % 100000) : (i64)next();
}

static i32 small(void)
{
	return next() % 2 ? (i32)(next() % 16) : (i32)next();
}

static void fd_calls(unsigned k)
{
	switch (k) {
	case 0: w_fd_advise(fd(), wide(), wide(), small()); break;
	case 1: w_fd_allocate(fd(), wide() % 65536, wide() % 65536); break;
	case 2: if (next() % 8 == 0) w_fd_close(fd() + 4); break;
	case 3: w_fd_fdstat_get(fd(), ptr()); break;
	case 4: w_fd_fdstat_set_flags(fd() + 3, small()); break;
	case 5: w_fd_filestat_get(fd(), ptr()); break;
	case 6: w_fd_filestat_set_size(fd() + 4, wide() % 65536); break;
	case 7: w_fd_filestat_set_times(fd(), wide(), wide(), small()); break;
	case 8: w_fd_pread(fd(), ptr(), len(), wide(), ptr()); break;
	case 9: w_fd_prestat_dir_name(fd(), ptr(), len()); break;
	case 10: w_fd_pwrite(fd() + 4, ptr(), small(), wide() % 65536, ptr()); break;
	case 11: w_fd_read(fd() + 3, ptr(), len(), ptr()); break;
	case 12: w_fd_readdir(fd(), ptr(), len(), wide(), ptr()); break;
	case 13: w_fd_renumber(fd() + 4, fd() + 4); break;
	case 14: w_fd_seek(fd(), wide(), small(), ptr()); break;
	case 15: w_fd_tell(fd(), ptr()); break;
	case 16: w_fd_write(fd() + 4, ptr(), small(), ptr()); break;
	}
}

static void path_calls(unsigned k)
{
	i64 rights = (i64)next();

	switch (k) {
	case 0: w_path_create_directory(fd(), ptr(), len()); break;
	case 1: w_path_filestat_get(fd(), small(), ptr(), len(), ptr()); break;
	case 2: w_path_filestat_set_times(fd(), small(), ptr(), len(), wide(), wide(), small());
		break;
	case 3: w_path_link(fd(), small(), ptr(), len(), fd(), ptr(), len()); break;
	case 4: {
		i32 out[1];

		if (!w_path_open(fd(), small(), ptr(), len(), small(), rights, rights, small(),
				 next() % 2 ? (i32)(uintptr_t)out : ptr()) && next() % 2)
			w_fd_close(out[0]);
		break;
	}
	case 5: w_path_readlink(fd(), ptr(), len(), ptr(), len(), ptr()); break;
	case 6: w_path_remove_directory(fd(), ptr(), len()); break;
	case 7: w_path_rename(fd(), ptr(), len(), fd(), ptr(), len()); break;
	case 8: w_path_symlink(ptr(), len(), fd(), ptr(), len()); break;
	case 9: w_path_unlink_file(fd(), ptr(), len()); break;
	}
}

static void other_calls(unsigned k)
{
	switch (k) {
	case 0: w_args_get(ptr(), ptr()); break;
	case 1: w_environ_sizes_get(ptr(), ptr()); break;
	case 2: w_clock_time_get(small(), wide(), ptr()); break;
	case 3: w_clock_res_get(small(), ptr()); break;
	case 4: w_random_get(ptr(), len() % 100000); break;
	case 5: w_poll_oneoff(bad_ptr(), ptr(), small() + 1, ptr()); break;
	}
}

int main(int argc, char **argv)
{
	/* argv[1]: a seed, so that runs can differ. */
	for (const char *p = argc > 1 ? argv[1] : ""; *p >= '0' && *p <= '9'; p++)
		state = state * 10 + (uint64_t)(*p - '0') + 1;
	for (unsigned i = 0; i < sizeof(names); i++)
		names[i] = "ab/.-_\0"[next() % 7];
	for (int i = 0; i < 40000; i++) {
		unsigned k = (unsigned)(next() % 33);

		if (k < 17)
			fd_calls(k);
		else if (k < 27)
			path_calls(k - 17);
		else
			other_calls(k - 27);
	}
	w_proc_exit(0);
	return 1;
}
