// SPDX-License-Identifier: MIT
/* The native baseline of bench/bpf/startup.c: what a libbpf tool does
 * before its first event (open, load, auto-attach every program, make a
 * ring buffer for map RINGBUF), then waits to be killed.
 *
 * usage: attach_native OBJECT.bpf.o [RINGBUF] */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <unistd.h>

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj = argc > 1 ? bpf_object__open_file(argv[1], NULL) : NULL;
	struct bpf_program *prog;
	struct bpf_map *map;

	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "attach_native: cannot load %s\n", argc > 1 ? argv[1] : "(none)");
		return 1;
	}
	bpf_object__for_each_program(prog, obj)
		if (!bpf_program__attach(prog))
			return 1;
	map = argc > 2 ? bpf_object__find_map_by_name(obj, argv[2]) : NULL;
	if (map && !ring_buffer__new(bpf_map__fd(map), on_event, NULL, NULL))
		return 1;
	pause();
	return 0;
}
