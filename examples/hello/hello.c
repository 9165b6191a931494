// SPDX-License-Identifier: MIT
/*
 * The smallest useful WASI program: greets whoever is named on the command
 * line (or the world) and lists the directory it was given, if any.
 *
 *   clang --target=wasm32-wasi -O2 -c hello.c -o hello.o
 *   clang --target=wasm32-wasi hello.o -o hello.wasm
 *   wbpf run hello.wasm Ada
 *   wbpf run --dir .::/here hello.wasm Ada /here
 */
#include <dirent.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "world";
	struct dirent *e;
	DIR *d;

	printf("Hello, %s! (from WebAssembly)\n", name);
	if (argc < 3)
		return 0;
	d = opendir(argv[2]);
	if (!d) {
		perror(argv[2]);
		return 1;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			printf("  %s\n", e->d_name);
	closedir(d);
	return 0;
}
