// SPDX-License-Identifier: MIT
/* File I/O in the current directory: create, write, read back, seek,
 * pread/pwrite, append, truncate, stat, and the errors of each. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static void stdio_roundtrip(void)
{
	FILE *f = fopen("data.txt", "w");
	char line[128];
	int n = 0;

	for (int i = 0; i < 1000; i++)
		fprintf(f, "line %d: %d\n", i, i * i);
	fclose(f);
	f = fopen("data.txt", "r");
	while (fgets(line, sizeof(line), f))
		n++;
	printf("lines read back: %d, last: %s", n, line);
	fseek(f, 0, SEEK_END);
	printf("size by ftell: %ld\n", ftell(f));
	rewind(f);
	printf("first byte: %c\n", fgetc(f));
	fclose(f);
}

static void fd_io(void)
{
	int fd = open("raw.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
	char buf[64] = {0};
	struct stat st;

	printf("write: %zd\n", write(fd, "0123456789abcdef", 16));
	printf("lseek cur: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
	printf("lseek set 4: %lld\n", (long long)lseek(fd, 4, SEEK_SET));
	printf("read 6: %zd '%.6s'\n", read(fd, buf, 6), buf);
	printf("pwrite at 20: %zd\n", pwrite(fd, "XY", 2, 20));
	printf("pread at 8: %zd '%.4s'\n", pread(fd, buf, 4, 8), buf);
	printf("offset unchanged: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
	fstat(fd, &st);
	printf("size with hole: %lld, regular: %d\n", (long long)st.st_size, S_ISREG(st.st_mode));
	printf("ftruncate 5: %d\n", ftruncate(fd, 5));
	fstat(fd, &st);
	printf("size: %lld\n", (long long)st.st_size);
	printf("lseek end: %lld\n", (long long)lseek(fd, 0, SEEK_END));
	CHECK("lseek negative", lseek(fd, -100, SEEK_SET));
	CHECK("fsync", fsync(fd));
	CHECK("fdatasync", fdatasync(fd));
	close(fd);
	CHECK("read closed fd", read(fd, buf, 1));
}

static void append_and_modes(void)
{
	int fd = open("log.txt", O_WRONLY | O_CREAT | O_APPEND, 0644);
	char buf[64] = {0};

	write(fd, "one\n", 4);
	lseek(fd, 0, SEEK_SET);
	write(fd, "two\n", 4); /* appends anyway */
	close(fd);
	fd = open("log.txt", O_RDONLY);
	printf("append result: %zd bytes: ", read(fd, buf, sizeof(buf) - 1));
	fputs(buf, stdout);
	CHECK("write to read-only fd", write(fd, "x", 1));
	close(fd);
	fd = open("log.txt", O_WRONLY);
	CHECK("read from write-only fd", read(fd, buf, 1));
	close(fd);
	CHECK("O_EXCL on existing", open("log.txt", O_WRONLY | O_CREAT | O_EXCL, 0644));
	CHECK("open missing", open("missing.txt", O_RDONLY));
	CHECK("open dir for writing", open(".", O_WRONLY));
	CHECK("O_DIRECTORY on file", open("log.txt", O_RDONLY | O_DIRECTORY));
	CHECK("file as directory", open("log.txt/x", O_RDONLY));
	fd = open("log.txt", O_WRONLY | O_TRUNC);
	close(fd);
	struct stat st;
	stat("log.txt", &st);
	printf("after O_TRUNC: %lld\n", (long long)st.st_size);
}

static void big_file(void)
{
	static char block[65536];
	unsigned seed = 7, sum = 0, sum2 = 0;
	FILE *f = fopen("big.bin", "wb");
	size_t n;

	for (int i = 0; i < 32; i++) {
		for (size_t j = 0; j < sizeof(block); j++)
			block[j] = (char)lcg(&seed);
		fwrite(block, 1, sizeof(block), f);
		for (size_t j = 0; j < sizeof(block); j++)
			sum = sum * 31 + (unsigned char)block[j];
	}
	fclose(f);
	f = fopen("big.bin", "rb");
	while ((n = fread(block, 1, 1000, f)) > 0)
		for (size_t j = 0; j < n; j++)
			sum2 = sum2 * 31 + (unsigned char)block[j];
	fclose(f);
	printf("2 MiB checksum match: %d\n", sum == sum2);
	remove("big.bin");
}

int main(void)
{
	/* stdin is a pipe, stdout a file: neither is a terminal. */
	printf("isatty: stdin %d stdout %d\n", isatty(0), isatty(1));
	stdio_roundtrip();
	fd_io();
	append_and_modes();
	big_file();
	return 0;
}
