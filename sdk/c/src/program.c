// SPDX-License-Identifier: MIT
/* Programs and links: accessors and every attach flavour. */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

const char *bpf_program__name(const struct bpf_program *prog)
{
	return prog ? prog->name : NULL;
}

const char *bpf_program__section_name(const struct bpf_program *prog)
{
	return prog ? prog->section : NULL;
}

bool bpf_program__autoload(const struct bpf_program *prog)
{
	return prog && prog->autoload;
}

int bpf_program__set_autoload(struct bpf_program *prog, bool autoload)
{
	int err;

	if (!prog)
		return sdk_fail(EINVAL);
	err = wbpf_program_set_autoload(prog->handle, autoload);
	if (err)
		return sdk_ret(err);
	prog->autoload = autoload;
	return 0;
}

int bpf_program__fd(const struct bpf_program *prog)
{
	return prog ? prog->handle : sdk_fail(EINVAL);
}

/* Wraps a link handle from an attach import. */
static struct bpf_link *link_from(int host_ret)
{
	struct bpf_link *link;

	if (host_ret < 0)
		return sdk_null(host_ret);
	link = malloc(sizeof(*link));
	if (!link) {
		wbpf_link_destroy(host_ret);
		return sdk_fail_null(ENOMEM);
	}
	link->handle = host_ret;
	return link;
}

struct bpf_link *bpf_program__attach(const struct bpf_program *prog)
{
	if (!prog)
		return sdk_fail_null(EINVAL);
	return link_from(wbpf_program_attach(prog->handle));
}

struct bpf_link *bpf_program__attach_tracepoint_opts(const struct bpf_program *prog,
						     const char *category, const char *name,
						     const struct bpf_tracepoint_opts *opts)
{
	if (!prog || !category || !name)
		return sdk_fail_null(EINVAL);
	if (opts && opts->bpf_cookie)
		return sdk_fail_null(EOPNOTSUPP);
	return link_from(wbpf_program_attach_tracepoint(prog->handle, category, name));
}

struct bpf_link *bpf_program__attach_tracepoint(const struct bpf_program *prog,
						const char *category, const char *name)
{
	return bpf_program__attach_tracepoint_opts(prog, category, name, NULL);
}

struct bpf_link *bpf_program__attach_raw_tracepoint(const struct bpf_program *prog,
						    const char *name)
{
	if (!prog || !name)
		return sdk_fail_null(EINVAL);
	return link_from(wbpf_program_attach_raw_tracepoint(prog->handle, name));
}

struct bpf_link *bpf_program__attach_trace(const struct bpf_program *prog)
{
	if (!prog)
		return sdk_fail_null(EINVAL);
	return link_from(wbpf_program_attach_trace(prog->handle));
}

struct bpf_link *bpf_program__attach_uprobe_opts(const struct bpf_program *prog, int pid,
						 const char *binary_path, size_t func_offset,
						 const struct bpf_uprobe_opts *opts)
{
	bool retprobe = opts && opts->retprobe;
	const char *func = opts ? opts->func_name : NULL;

	if (!prog || !binary_path)
		return sdk_fail_null(EINVAL);
	if (opts && (opts->ref_ctr_offset || opts->bpf_cookie))
		return sdk_fail_null(EOPNOTSUPP);
	return link_from(wbpf_program_attach_uprobe(prog->handle, retprobe, pid, binary_path,
						    func, func_offset));
}

struct bpf_link *bpf_program__attach_uprobe(const struct bpf_program *prog, bool retprobe,
					    int pid, const char *binary_path,
					    size_t func_offset)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = retprobe);

	return bpf_program__attach_uprobe_opts(prog, pid, binary_path, func_offset, &opts);
}

struct bpf_link *wbpf_program__attach_xdp(const struct bpf_program *prog, const char *ifname)
{
	if (!prog || !ifname)
		return sdk_fail_null(EINVAL);
	return link_from(wbpf_program_attach_xdp(prog->handle, ifname));
}

struct bpf_link *wbpf_program__attach_socket(const struct bpf_program *prog,
					     const char *ifname)
{
	if (!prog || !ifname)
		return sdk_fail_null(EINVAL);
	return link_from(wbpf_program_attach_socket(prog->handle, ifname));
}

struct bpf_link *wbpf_program__attach_cgroup(const struct bpf_program *prog,
					     const char *path)
{
	if (!prog || !path)
		return sdk_fail_null(EINVAL);
	return link_from(wbpf_program_attach_cgroup(prog->handle, path));
}

/* The host may already have destroyed the link (its object was closed);
 * the guest's wrapper is freed either way. */
int bpf_link__destroy(struct bpf_link *link)
{
	int err;

	if (!link)
		return 0;
	err = wbpf_link_destroy(link->handle);
	free(link);
	return sdk_ret(err);
}

int bpf_link__fd(const struct bpf_link *link)
{
	return link ? link->handle : sdk_fail(EINVAL);
}
