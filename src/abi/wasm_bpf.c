// SPDX-License-Identifier: MIT
/*
 * Module `wasm_bpf`: wasm-bpf's six imports with their exact types and
 * return conventions (docs/abi-wasm-bpf.md), on the same host
 * objects as `wbpf`, without that runtime's defects: objects are handles
 * (i64 there), map "fds" are map handles of the guest's own objects, each
 * map gets its own buffer, every record is delivered, per-CPU values are
 * sized for every CPU, and attach targets obey the permissions.
 */
#include <errno.h>
#include <linux/bpf.h>

#include "abi/abi.h"

#define HOST ((struct wbpf_bpf_host *)user)

/* (buf, size) -> i64 object handle, 0 on failure. */
static int load_bpf_object(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	uint32_t size = ARG_U32(slots, 1);
	void *buf;
	int obj = 0;

	if (size && !abi_buf(c, ARG_U32(slots, 0), size, &buf))
		obj = wbpf_bpf_host__object_open(HOST, buf, size, NULL);
	if (obj > 0 && wbpf_bpf_host__object_load(HOST, obj)) {
		wbpf_bpf_host__object_close(HOST, obj);
		obj = 0;
	}
	slots[0] = obj > 0 ? (uint64_t)obj : 0;
	return 0;
}

/* Non-empty targets mean something for xdp (an interface) and for
 * cgroup programs such as sockops (a cgroup path); other kinds ignore it. */
static int attach_with_target(struct wbpf_bpf_host *host, int prog, const char *target)
{
	int kind = wbpf_bpf_host__program_kind(host, prog);
	struct wbpf_bpf_target t = { .kind = kind };

	if (kind == WBPF_ATTACH_XDP)
		t.ifname = target;
	else if (kind == WBPF_ATTACH_CGROUP)
		t.cgroup = target;
	else
		return wbpf_bpf_host__attach(host, prog, NULL);
	return wbpf_bpf_host__attach(host, prog, &t);
}

/* (obj i64, name, target) -> i32 */
static int attach_bpf_program(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	int obj = abi_handle64(slots[0]), prog;
	const char *name, *target;
	int err = abi_str(c, ARG_U32(slots, 1), &name);

	if (!err)
		err = abi_opt_str(c, ARG_U32(slots, 2), &target);
	if (err)
		return abi_ret(slots, err);
	prog = wbpf_bpf_host__find_program(HOST, obj, name);
	if (prog < 0)
		return abi_ret(slots, prog);
	if (!target || !*target)
		err = wbpf_bpf_host__attach(HOST, prog, NULL);
	else
		err = attach_with_target(HOST, prog, target);
	return abi_ret(slots, err < 0 ? err : 0);
}

/* (obj i64, name) -> map "fd": a map handle. */
static int map_fd_by_name(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	const char *name;
	int err = abi_str(c, ARG_U32(slots, 1), &name);

	if (!err)
		err = wbpf_bpf_host__find_map(HOST, abi_handle64(slots[0]), name);
	return abi_ret(slots, err);
}

static int map_operate_checked(struct wbpf_caller *c, uint64_t *slots, void *user, int map,
			       const struct wbpf_bpf_map_info *info)
{
	void *key = NULL, *value = NULL, *next = NULL;
	uint32_t cmd = ARG_U32(slots, 1), key_addr = ARG_U32(slots, 2);
	uint64_t flags = slots[5];
	int err = 0;

	/* Only get-next-key takes a NULL key (the first key). */
	if (key_addr || cmd != BPF_MAP_GET_NEXT_KEY)
		err = abi_buf(c, key_addr, info->key_size, &key);
	if (!err && (cmd == BPF_MAP_LOOKUP_ELEM || cmd == BPF_MAP_UPDATE_ELEM))
		err = abi_buf(c, ARG_U32(slots, 3), info->value_stride, &value);
	if (!err && cmd == BPF_MAP_GET_NEXT_KEY)
		err = abi_buf(c, ARG_U32(slots, 4), info->key_size, &next);
	if (err)
		return err;
	switch (cmd) {
	case BPF_MAP_LOOKUP_ELEM:
		return wbpf_bpf_host__map_lookup(HOST, map, key, info->key_size, value,
						 info->value_stride, flags);
	case BPF_MAP_UPDATE_ELEM:
		return wbpf_bpf_host__map_update(HOST, map, key, info->key_size, value,
						 info->value_stride, flags);
	case BPF_MAP_DELETE_ELEM:
		return wbpf_bpf_host__map_delete(HOST, map, key, info->key_size, flags);
	case BPF_MAP_GET_NEXT_KEY:
		return wbpf_bpf_host__map_next_key(HOST, map, key, next, info->key_size);
	default:
		return -EINVAL;
	}
}

/* (fd, cmd, key, value, next_key, flags i64) -> i32 */
static int map_operate(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct wbpf_bpf_map_info info;
	int map = ARG_I32(slots, 0);
	int err = wbpf_bpf_host__map_info(HOST, map, &info);

	return abi_ret(slots, err ? err : map_operate_checked(c, slots, user, map, &info));
}

/* The map's buffer, checked to belong to `obj` and given this poll's
 * callback parameters. */
static int poll_buffer(void *user, uint64_t obj, int map, const struct wbpf_bpf_cb *cb)
{
	int owner = wbpf_bpf_host__owner(HOST, map);

	if (owner < 0 || owner != abi_handle64(obj))
		return -EBADF;
	return wbpf_bpf_host__map_buffer(HOST, map, cb);
}

/* (obj i64, fd, sample_func, ctx, data, max_size, timeout_ms) -> i32 */
static int buffer_poll(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct wbpf_bpf_cb cb = { .sample = ARG_U32(slots, 2), .ctx = ARG_U32(slots, 3),
				  .buf = ARG_U32(slots, 4), .buf_size = ARG_U32(slots, 5) };
	void *data;
	int buf, err = abi_buf(c, cb.buf, cb.buf_size, &data);

	if (!err && !abi_table_func(c, cb.sample, ABI_SIG_RING))
		err = -EINVAL;
	buf = err ? err : poll_buffer(user, slots[0], ARG_I32(slots, 1), &cb);
	if (buf < 0)
		return abi_ret(slots, buf);
	return abi_poll(c, HOST, buf, ARG_I32(slots, 6), ABI_CB_COMPAT, slots);
}

/* callback-wrapper: (obj i64, fd, ctx, data, max_size, timeout_ms) -> i32,
 * records go to the guest's export `go-callback`. */
static int go_buffer_poll(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct wbpf_bpf_cb cb = { .ctx = ARG_U32(slots, 2), .buf = ARG_U32(slots, 3),
				  .buf_size = ARG_U32(slots, 4) };
	void *data;
	int buf, err = abi_buf(c, cb.buf, cb.buf_size, &data);

	if (!err && !wbpf_instance__func(wbpf_caller__instance(c), "go-callback"))
		err = -EINVAL;
	buf = err ? err : poll_buffer(user, slots[0], ARG_I32(slots, 1), &cb);
	if (buf < 0)
		return abi_ret(slots, buf);
	return abi_poll(c, HOST, buf, ARG_I32(slots, 5), ABI_CB_GO_EXPORT, slots);
}

/* (obj i64) -> i32 */
static int close_bpf_object(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	(void)c;
	return abi_ret(slots, wbpf_bpf_host__object_close(HOST, abi_handle64(slots[0])));
}

static const struct abi_func wasm_bpf_funcs[] = {
	{ "wasm_load_bpf_object", "(ii)I", load_bpf_object },
	{ "wasm_attach_bpf_program", "(Iii)i", attach_bpf_program },
	{ "wasm_bpf_buffer_poll", "(Iiiiiii)i", buffer_poll },
	{ "wasm_bpf_map_fd_by_name", "(Ii)i", map_fd_by_name },
	{ "wasm_bpf_map_operate", "(iiiiiI)i", map_operate },
	{ "wasm_close_bpf_object", "(I)i", close_bpf_object },
};

static const struct abi_func go_funcs[] = {
	{ "wasm_bpf_buffer_poll", "(Iiiiii)i", go_buffer_poll },
};

int abi_define_wasm_bpf(struct wbpf_store *store, struct wbpf_bpf_host *host)
{
	int err = abi_define(store, "wasm_bpf", wasm_bpf_funcs,
			     sizeof(wasm_bpf_funcs) / sizeof(wasm_bpf_funcs[0]), host);

	return err ? err : abi_define(store, "callback-wrapper", go_funcs, 1, host);
}
