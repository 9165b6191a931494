// SPDX-License-Identifier: MIT
/*
 * Module `wbpf`: the native eBPF ABI (docs/abi-wbpf.md). Each function
 * checks its guest arguments and forwards to the host (src/bpf), which
 * checks handles; results go back as i32 (or i64) values, errors as
 * negative errno.
 */
#include <errno.h>
#include <string.h>

#include "abi/abi.h"

#define HOST ((struct wbpf_bpf_host *)user)
#define H(i) ARG_I32(slots, i)

_Static_assert(sizeof(struct wbpf_bpf_map_info) == 32, "ABI struct wbpf_map_info is 32 bytes");

/* ------------------------------------------------------------- objects */

static int object_open(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	uint32_t size = ARG_U32(slots, 1);
	const char *name;
	void *buf;
	int err = abi_buf(c, ARG_U32(slots, 0), size, &buf);

	if (!err)
		err = abi_opt_str(c, ARG_U32(slots, 2), &name);
	if (!err)
		err = size ? wbpf_bpf_host__object_open(HOST, buf, size, name) : -EINVAL;
	return abi_ret(slots, err);
}

static int object_load(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	(void)c;
	return abi_ret(slots, wbpf_bpf_host__object_load(HOST, H(0)));
}

static int object_close(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	(void)c;
	return abi_ret(slots, wbpf_bpf_host__object_close(HOST, H(0)));
}

typedef int (*find_fn)(struct wbpf_bpf_host *, int, const char *);

static int find_named(struct wbpf_caller *c, uint64_t *slots, void *user, find_fn find)
{
	const char *name;
	int err = abi_str(c, ARG_U32(slots, 1), &name);

	return abi_ret(slots, err ? err : find(HOST, H(0), name));
}

static int object_find_program(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	return find_named(c, slots, user, wbpf_bpf_host__find_program);
}

static int object_find_map(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	return find_named(c, slots, user, wbpf_bpf_host__find_map);
}

static int object_program(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	(void)c;
	return abi_ret(slots, wbpf_bpf_host__program_at(HOST, H(0), ARG_U32(slots, 1)));
}

static int object_map(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	(void)c;
	return abi_ret(slots, wbpf_bpf_host__map_at(HOST, H(0), ARG_U32(slots, 1)));
}

/* ------------------------------------------------------------ programs */

typedef int (*name_fn)(struct wbpf_bpf_host *, int, const char **);

static int copy_name(struct wbpf_caller *c, uint64_t *slots, void *user, name_fn get)
{
	const char *s;
	int err = get(HOST, H(0), &s);

	if (err)
		return abi_ret(slots, err);
	return abi_ret(slots, abi_copy_str(c, s, ARG_U32(slots, 1), ARG_U32(slots, 2)));
}

static int program_name(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	return copy_name(c, slots, user, wbpf_bpf_host__program_name);
}

static int program_section(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	return copy_name(c, slots, user, wbpf_bpf_host__program_section);
}

static int program_set_autoload(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	(void)c;
	return abi_ret(slots, wbpf_bpf_host__program_set_autoload(HOST, H(0), ARG_U32(slots, 1)));
}

static int attach(uint64_t *slots, void *user, const struct wbpf_bpf_target *t)
{
	return abi_ret(slots, wbpf_bpf_host__attach(HOST, H(0), t));
}

static int program_attach(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	(void)c;
	return attach(slots, user, NULL);
}

static int program_attach_tracepoint(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct wbpf_bpf_target t = { .kind = WBPF_ATTACH_TRACEPOINT };
	int err = abi_str(c, ARG_U32(slots, 1), &t.category);

	if (!err)
		err = abi_str(c, ARG_U32(slots, 2), &t.name);
	return err ? abi_ret(slots, err) : attach(slots, user, &t);
}

static int program_attach_raw_tracepoint(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct wbpf_bpf_target t = { .kind = WBPF_ATTACH_RAW_TP };
	int err = abi_str(c, ARG_U32(slots, 1), &t.name);

	return err ? abi_ret(slots, err) : attach(slots, user, &t);
}

/* tp_btf and fentry programs carry their target from load time. */
static int program_attach_trace(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct wbpf_bpf_target t = { .kind = WBPF_ATTACH_TP_BTF };
	int kind = wbpf_bpf_host__program_kind(HOST, H(0));

	(void)c;
	if (kind == WBPF_ATTACH_FENTRY)
		t.kind = WBPF_ATTACH_FENTRY;
	return kind < 0 ? abi_ret(slots, kind) : attach(slots, user, &t);
}

static int program_attach_uprobe(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct wbpf_bpf_target t = {
		.kind = WBPF_ATTACH_UPROBE,
		.retprobe = ARG_U32(slots, 1) != 0,
		.pid = ARG_I32(slots, 2),
		.offset = slots[5],
	};
	int err = abi_str(c, ARG_U32(slots, 3), &t.binary);

	if (!err)
		err = abi_opt_str(c, ARG_U32(slots, 4), &t.func);
	return err ? abi_ret(slots, err) : attach(slots, user, &t);
}

/* Socket, cgroup and xdp targets: one string each. */
static int attach_named(struct wbpf_caller *c, uint64_t *slots, void *user,
			enum wbpf_bpf_attach_kind kind)
{
	struct wbpf_bpf_target t = { .kind = kind };
	const char *s;
	int err = abi_str(c, ARG_U32(slots, 1), &s);

	if (err)
		return abi_ret(slots, err);
	if (kind == WBPF_ATTACH_CGROUP)
		t.cgroup = s;
	else
		t.ifname = s;
	return attach(slots, user, &t);
}

static int program_attach_socket(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	return attach_named(c, slots, user, WBPF_ATTACH_SOCKET);
}

static int program_attach_cgroup(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	return attach_named(c, slots, user, WBPF_ATTACH_CGROUP);
}

static int program_attach_xdp(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	return attach_named(c, slots, user, WBPF_ATTACH_XDP);
}

static int link_destroy(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	(void)c;
	return abi_ret(slots, wbpf_bpf_host__link_destroy(HOST, H(0)));
}

/* ---------------------------------------------------------------- maps */

static int map_info(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct wbpf_bpf_map_info info;
	int err = wbpf_bpf_host__map_info(HOST, H(0), &info);
	void *out;

	if (!err)
		err = abi_buf(c, ARG_U32(slots, 1), sizeof(info), &out);
	if (!err)
		memcpy(out, &info, sizeof(info));
	return abi_ret(slots, err);
}

static int map_name(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	return copy_name(c, slots, user, wbpf_bpf_host__map_name);
}

static int map_set_max_entries(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	(void)c;
	return abi_ret(slots, wbpf_bpf_host__map_set_max_entries(HOST, H(0), ARG_U32(slots, 1)));
}

/* Guest pointers of an element op; the sizes are the guest's, which the
 * host then checks against the map. */
struct elem_args {
	void *key, *value;
};

static int elem_args(struct wbpf_caller *c, uint64_t *slots, int key_i, int value_i,
		     struct elem_args *a)
{
	int err = abi_buf(c, ARG_U32(slots, key_i), ARG_U32(slots, key_i + 1), &a->key);

	a->value = NULL;
	if (!err && value_i >= 0)
		err = abi_buf(c, ARG_U32(slots, value_i), ARG_U32(slots, value_i + 1), &a->value);
	return err;
}

static int map_lookup(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct elem_args a;
	int err = elem_args(c, slots, 1, 3, &a);

	if (!err)
		err = wbpf_bpf_host__map_lookup(HOST, H(0), a.key, ARG_U32(slots, 2), a.value,
						ARG_U32(slots, 4), slots[5]);
	return abi_ret(slots, err);
}

static int map_update(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct elem_args a;
	int err = elem_args(c, slots, 1, 3, &a);

	if (!err)
		err = wbpf_bpf_host__map_update(HOST, H(0), a.key, ARG_U32(slots, 2), a.value,
						ARG_U32(slots, 4), slots[5]);
	return abi_ret(slots, err);
}

static int map_delete(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct elem_args a;
	int err = elem_args(c, slots, 1, -1, &a);

	if (!err)
		err = wbpf_bpf_host__map_delete(HOST, H(0), a.key, ARG_U32(slots, 2), slots[3]);
	return abi_ret(slots, err);
}

static int map_next_key(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	uint32_t key = ARG_U32(slots, 1), size = ARG_U32(slots, 3);
	void *cur = NULL, *next;
	int err = key ? abi_buf(c, key, size, &cur) : 0;

	if (!err)
		err = abi_buf(c, ARG_U32(slots, 2), size, &next);
	if (!err)
		err = wbpf_bpf_host__map_next_key(HOST, H(0), cur, next, size);
	return abi_ret(slots, err);
}

static int map_lookup_and_delete(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct elem_args a;
	int err = elem_args(c, slots, 1, 3, &a);

	if (!err)
		err = wbpf_bpf_host__map_lookup_and_delete(HOST, H(0), a.key, ARG_U32(slots, 2),
							   a.value, ARG_U32(slots, 4), slots[5]);
	return abi_ret(slots, err);
}

/* Batch arguments in slot order; 0 for those an op does not take. */
struct batch_addrs {
	uint32_t in, out, keys, values, count;
	uint64_t flags;
};

static int batch_run(struct wbpf_caller *c, uint64_t *slots, void *user, enum wbpf_bpf_batch_op op,
		     const struct batch_addrs *ba)
{
	struct wbpf_bpf_map_info info;
	struct wbpf_bpf_batch_sizes sz;
	void *in = NULL, *out = NULL, *keys, *values = NULL, *pcount;
	bool lookup = op == WBPF_BATCH_LOOKUP || op == WBPF_BATCH_LOOKUP_AND_DELETE;
	uint32_t count;
	int err = wbpf_bpf_host__map_info(HOST, H(0), &info);

	if (!err)
		err = abi_buf(c, ba->count, sizeof(count), &pcount);
	if (err)
		return abi_ret(slots, err);
	memcpy(&count, pcount, sizeof(count));
	wbpf_bpf_batch_sizes(&info, count, &sz);
	err = abi_buf(c, ba->keys, sz.keys, &keys);
	if (!err && op != WBPF_BATCH_DELETE)
		err = abi_buf(c, ba->values, sz.values, &values);
	if (!err && lookup && ba->in)
		err = abi_buf(c, ba->in, sz.cursor, &in);
	if (!err && lookup)
		err = abi_buf(c, ba->out, sz.cursor, &out);
	if (err)
		return abi_ret(slots, err);
	err = wbpf_bpf_host__map_batch(HOST, H(0), op, in, out, keys, values, &count, ba->flags);
	/* The count is meaningful on -ENOENT too (the last, partial batch). */
	memcpy(pcount, &count, sizeof(count));
	return abi_ret(slots, err);
}

static int map_lookup_batch(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct batch_addrs ba = { ARG_U32(slots, 1), ARG_U32(slots, 2), ARG_U32(slots, 3),
				  ARG_U32(slots, 4), ARG_U32(slots, 5), slots[6] };

	return batch_run(c, slots, user, WBPF_BATCH_LOOKUP, &ba);
}

static int map_lookup_and_delete_batch(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct batch_addrs ba = { ARG_U32(slots, 1), ARG_U32(slots, 2), ARG_U32(slots, 3),
				  ARG_U32(slots, 4), ARG_U32(slots, 5), slots[6] };

	return batch_run(c, slots, user, WBPF_BATCH_LOOKUP_AND_DELETE, &ba);
}

static int map_update_batch(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct batch_addrs ba = { .keys = ARG_U32(slots, 1), .values = ARG_U32(slots, 2),
				  .count = ARG_U32(slots, 3), .flags = slots[4] };

	return batch_run(c, slots, user, WBPF_BATCH_UPDATE, &ba);
}

static int map_delete_batch(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct batch_addrs ba = { .keys = ARG_U32(slots, 1), .count = ARG_U32(slots, 2),
				  .flags = slots[3] };

	return batch_run(c, slots, user, WBPF_BATCH_DELETE, &ba);
}

static int map_data_read(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	void *buf;
	int err = abi_buf(c, ARG_U32(slots, 2), ARG_U32(slots, 3), &buf);

	if (!err)
		err = wbpf_bpf_host__map_data_read(HOST, H(0), ARG_U32(slots, 1), buf,
						   ARG_U32(slots, 3));
	return abi_ret(slots, err);
}

static int map_data_write(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	void *buf;
	int err = abi_buf(c, ARG_U32(slots, 2), ARG_U32(slots, 3), &buf);

	if (!err)
		err = wbpf_bpf_host__map_data_write(HOST, H(0), ARG_U32(slots, 1), buf,
						    ARG_U32(slots, 3));
	return abi_ret(slots, err);
}

/* ------------------------------------------------------------- buffers */

/* Checks what the guest gives at creation; the scratch buffer is checked
 * again at each record, as memory may change meanwhile. */
static int check_cb(struct wbpf_caller *c, const struct wbpf_bpf_cb *cb, const char *sample_sig)
{
	void *scratch;

	if (!abi_table_func(c, cb->sample, sample_sig) ||
	    (cb->lost && !abi_table_func(c, cb->lost, ABI_SIG_LOST)))
		return -EINVAL;
	return abi_buf(c, cb->buf, cb->buf_size, &scratch);
}

static int ringbuf_new(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct wbpf_bpf_cb cb = { .sample = ARG_U32(slots, 1), .ctx = ARG_U32(slots, 2),
				  .buf = ARG_U32(slots, 3), .buf_size = ARG_U32(slots, 4) };
	int err = check_cb(c, &cb, ABI_SIG_RING);

	return abi_ret(slots, err ? err : wbpf_bpf_host__ringbuf_new(HOST, H(0), &cb));
}

static bool is_kind(void *user, int h, enum wbpf_bpf_handle_kind kind)
{
	return wbpf_bpf_host__handle_kind(HOST, h) == kind;
}

static int ringbuf_add(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct wbpf_bpf_cb cb;
	int err = wbpf_bpf_host__buffer_cb(HOST, H(0), &cb);

	if (err || !is_kind(user, H(0), WBPF_HANDLE_RINGBUF))
		return abi_ret(slots, -EBADF);
	cb.sample = ARG_U32(slots, 2);
	cb.ctx = ARG_U32(slots, 3);
	err = check_cb(c, &cb, ABI_SIG_RING);
	return abi_ret(slots, err ? err : wbpf_bpf_host__ringbuf_add(HOST, H(0), H(1), &cb));
}

static int buf_poll(struct wbpf_caller *c, uint64_t *slots, void *user,
		    enum wbpf_bpf_handle_kind kind, int timeout_ms)
{
	if (!is_kind(user, H(0), kind))
		return abi_ret(slots, -EBADF);
	return abi_poll(c, HOST, H(0), timeout_ms,
			kind == WBPF_HANDLE_RINGBUF ? ABI_CB_RING : ABI_CB_PERF, slots);
}

static int buf_lost(uint64_t *slots, void *user, enum wbpf_bpf_handle_kind kind)
{
	int64_t n = is_kind(user, H(0), kind) ? wbpf_bpf_host__buffer_lost(HOST, H(0)) : -EBADF;

	slots[0] = (uint64_t)n;
	return 0;
}

static int buf_free(uint64_t *slots, void *user, enum wbpf_bpf_handle_kind kind)
{
	if (!is_kind(user, H(0), kind))
		return abi_ret(slots, -EBADF);
	return abi_ret(slots, wbpf_bpf_host__buffer_free(HOST, H(0)));
}

static int ringbuf_poll(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	return buf_poll(c, slots, user, WBPF_HANDLE_RINGBUF, ARG_I32(slots, 1));
}

static int ringbuf_consume(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	return buf_poll(c, slots, user, WBPF_HANDLE_RINGBUF, 0);
}

static int ringbuf_read(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	void *buf;
	int err = abi_buf(c, ARG_U32(slots, 1), ARG_U32(slots, 2), &buf);

	if (!err)
		err = wbpf_bpf_host__ringbuf_read(HOST, H(0), buf, ARG_U32(slots, 2),
						  ARG_I32(slots, 3));
	return abi_ret(slots, err);
}

static int ringbuf_lost(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	(void)c;
	return buf_lost(slots, user, WBPF_HANDLE_RINGBUF);
}

static int ringbuf_free(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	(void)c;
	return buf_free(slots, user, WBPF_HANDLE_RINGBUF);
}

static int perfbuf_new(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct wbpf_bpf_cb cb = { .sample = ARG_U32(slots, 2), .lost = ARG_U32(slots, 3),
				  .ctx = ARG_U32(slots, 4), .buf = ARG_U32(slots, 5),
				  .buf_size = ARG_U32(slots, 6) };
	int err = check_cb(c, &cb, ABI_SIG_PERF);

	if (!err)
		err = wbpf_bpf_host__perfbuf_new(HOST, H(0), ARG_U32(slots, 1), &cb);
	return abi_ret(slots, err);
}

static int perfbuf_poll(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	return buf_poll(c, slots, user, WBPF_HANDLE_PERFBUF, ARG_I32(slots, 1));
}

static int perfbuf_consume(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	return buf_poll(c, slots, user, WBPF_HANDLE_PERFBUF, 0);
}

static int perfbuf_lost(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	(void)c;
	return buf_lost(slots, user, WBPF_HANDLE_PERFBUF);
}

static int perfbuf_free(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	(void)c;
	return buf_free(slots, user, WBPF_HANDLE_PERFBUF);
}

static const struct abi_func wbpf_funcs[] = {
	{ "object_open", "(iii)i", object_open },
	{ "object_load", "(i)i", object_load },
	{ "object_close", "(i)i", object_close },
	{ "object_find_program", "(ii)i", object_find_program },
	{ "object_find_map", "(ii)i", object_find_map },
	{ "object_program", "(ii)i", object_program },
	{ "object_map", "(ii)i", object_map },
	{ "program_name", "(iii)i", program_name },
	{ "program_section", "(iii)i", program_section },
	{ "program_set_autoload", "(ii)i", program_set_autoload },
	{ "program_attach", "(i)i", program_attach },
	{ "program_attach_tracepoint", "(iii)i", program_attach_tracepoint },
	{ "program_attach_raw_tracepoint", "(ii)i", program_attach_raw_tracepoint },
	{ "program_attach_trace", "(i)i", program_attach_trace },
	{ "program_attach_uprobe", "(iiiiiI)i", program_attach_uprobe },
	{ "program_attach_socket", "(ii)i", program_attach_socket },
	{ "program_attach_cgroup", "(ii)i", program_attach_cgroup },
	{ "program_attach_xdp", "(ii)i", program_attach_xdp },
	{ "link_destroy", "(i)i", link_destroy },
	{ "map_info", "(ii)i", map_info },
	{ "map_name", "(iii)i", map_name },
	{ "map_set_max_entries", "(ii)i", map_set_max_entries },
	{ "map_lookup", "(iiiiiI)i", map_lookup },
	{ "map_update", "(iiiiiI)i", map_update },
	{ "map_delete", "(iiiI)i", map_delete },
	{ "map_next_key", "(iiii)i", map_next_key },
	{ "map_lookup_and_delete", "(iiiiiI)i", map_lookup_and_delete },
	{ "map_lookup_batch", "(iiiiiiI)i", map_lookup_batch },
	{ "map_lookup_and_delete_batch", "(iiiiiiI)i", map_lookup_and_delete_batch },
	{ "map_update_batch", "(iiiiI)i", map_update_batch },
	{ "map_delete_batch", "(iiiI)i", map_delete_batch },
	{ "map_data_read", "(iiii)i", map_data_read },
	{ "map_data_write", "(iiii)i", map_data_write },
	{ "ringbuf_new", "(iiiii)i", ringbuf_new },
	{ "ringbuf_add", "(iiii)i", ringbuf_add },
	{ "ringbuf_poll", "(ii)i", ringbuf_poll },
	{ "ringbuf_consume", "(i)i", ringbuf_consume },
	{ "ringbuf_read", "(iiii)i", ringbuf_read },
	{ "ringbuf_lost", "(i)I", ringbuf_lost },
	{ "ringbuf_free", "(i)i", ringbuf_free },
	{ "perfbuf_new", "(iiiiiii)i", perfbuf_new },
	{ "perfbuf_poll", "(ii)i", perfbuf_poll },
	{ "perfbuf_consume", "(i)i", perfbuf_consume },
	{ "perfbuf_lost", "(i)I", perfbuf_lost },
	{ "perfbuf_free", "(i)i", perfbuf_free },
};

int wbpf_bpf_abi__define(struct wbpf_store *store, struct wbpf_bpf_host *host)
{
	int err = abi_define(store, "wbpf", wbpf_funcs, sizeof(wbpf_funcs) / sizeof(wbpf_funcs[0]),
			     host);

	return err ? err : abi_define_wasm_bpf(store, host);
}
