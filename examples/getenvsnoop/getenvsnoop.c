// SPDX-License-Identifier: MIT
/*
 * getenvsnoop: one line per getenv() call in a C library, with the value
 * it returned: a uprobe and a uretprobe on libc's getenv. Written against
 * libbpf's object API without a skeleton: open from memory, set .rodata
 * through bpf_map__initial_value, attach each program explicitly.
 *
 * usage: getenvsnoop [-d SECONDS] [-p PID] [-b BINARY]
 *   BINARY: the C library to probe (default libc.so.6); the runner must
 *   allow it: wbpf run --allow-uprobe /lib/x86_64-linux-gnu/libc.so.6 ...
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "example.h"
#include "getenvsnoop.h"
#include "getenvsnoop.bpf.h" /* getenvsnoop_bpf_o[] */

struct options {
	uint64_t deadline;
	uint32_t pid;
	const char *binary;
};

struct tracer {
	struct bpf_object *obj;
	struct bpf_link *enter;
	struct bpf_link *exit;
	struct ring_buffer *rb;
};

static int on_getenv(void *ctx, void *data, size_t size)
{
	const struct getenv_event *e = data;

	(void)ctx;
	if (size < sizeof(*e))
		return 0;
	printf("%-7u %-16.*s %-5s %.*s=%.*s\n", e->pid, GETENVSNOOP_COMM_LEN, e->comm,
	       e->found ? "yes" : "no", GETENVSNOOP_STR_LEN, e->name,
	       GETENVSNOOP_STR_LEN, e->value);
	return 0;
}

/* .rodata without a skeleton: edit the section's initial image. */
static int set_target_pid(struct bpf_object *obj, uint32_t pid)
{
	struct bpf_map *rodata = bpf_object__find_map_by_name(obj, ".rodata");
	size_t size = 0;
	uint32_t *image;

	image = rodata ? bpf_map__initial_value(rodata, &size) : NULL;
	if (!image || size < sizeof(*image))
		return -ENOENT;
	image[0] = pid; /* target_pid is the section's only variable */
	return 0;
}

static struct bpf_link *attach(struct bpf_object *obj, const char *prog_name, bool ret,
			       const struct options *opt)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = ret, .func_name = "getenv");
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, prog_name);
	struct bpf_link *link;

	if (!prog) {
		fprintf(stderr, "no program %s\n", prog_name);
		return NULL;
	}
	link = bpf_program__attach_uprobe_opts(prog, -1, opt->binary, 0, &uo);
	if (!link)
		fprintf(stderr, "attach %s to %s: %s\n", prog_name, opt->binary,
			strerror(errno));
	return link;
}

static int start(struct tracer *t, const struct options *opt)
{
	int err;

	t->obj = bpf_object__open_mem(getenvsnoop_bpf_o, sizeof(getenvsnoop_bpf_o), NULL);
	if (!t->obj)
		return -errno;
	err = set_target_pid(t->obj, opt->pid);
	if (!err)
		err = bpf_object__load(t->obj);
	if (err)
		return err;
	t->enter = attach(t->obj, "getenv_enter", false, opt);
	t->exit = t->enter ? attach(t->obj, "getenv_exit", true, opt) : NULL;
	if (!t->exit)
		return -errno;
	t->rb = ring_buffer__new(bpf_object__find_map_fd_by_name(t->obj, "events"), on_getenv,
				 NULL, NULL);
	return t->rb ? 0 : -errno;
}

static void stop(struct tracer *t)
{
	ring_buffer__free(t->rb);
	bpf_link__destroy(t->exit);
	bpf_link__destroy(t->enter);
	bpf_object__close(t->obj);
}

static int trace(struct tracer *t, uint64_t deadline)
{
	int err = 0;

	printf("%-7s %-16s %-5s %s\n", "PID", "COMM", "FOUND", "NAME=VALUE");
	while (!example_expired(deadline) && err >= 0)
		err = ring_buffer__poll(t->rb, EXAMPLE_POLL_MS);
	return example_poll_status(err);
}

static int parse_args(int argc, char **argv, struct options *opt)
{
	int c;

	opt->binary = "libc.so.6";
	while ((c = getopt(argc, argv, "d:p:b:")) != -1) {
		if (c == 'd' && example_parse_deadline(optarg, &opt->deadline) == 0)
			continue;
		if (c == 'p' && example_parse_u32(optarg, &opt->pid) == 0)
			continue;
		if (c == 'b') {
			opt->binary = optarg;
			continue;
		}
		fprintf(stderr, "usage: getenvsnoop [-d SECONDS] [-p PID] [-b BINARY]\n");
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options opt = {0};
	struct tracer t = {0};
	int err;

	example_init_output();
	if (parse_args(argc, argv, &opt))
		return 2;
	err = start(&t, &opt);
	if (!err)
		err = trace(&t, opt.deadline);
	if (err)
		fprintf(stderr, "getenvsnoop: %s\n", strerror(-err));
	stop(&t);
	return err ? 1 : 0;
}
