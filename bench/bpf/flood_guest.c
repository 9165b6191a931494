// SPDX-License-Identifier: MIT
/* Per-event cost benchmark, wasm side: the same consumer as the native
 * one in flood.c, as a bare wasm32 guest of the `wbpf` ABI, draining
 * through wbpf's buffers or wasm-bpf's buffer poll. */
#include <stdint.h>

#define W(name) __attribute__((import_module("wbpf"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))

W(object_open) int object_open(const void *buf, uint32_t size, const char *name);
W(object_load) int object_load(int obj);
W(object_find_program) int object_find_program(int obj, const char *name);
W(object_find_map) int object_find_map(int obj, const char *name);
W(map_data_write) int map_data_write(int map, uint32_t off, const void *buf, uint32_t len);
W(program_attach) int program_attach(int prog);
W(ringbuf_new) int ringbuf_new(int map, int fn, void *ctx, void *buf, uint32_t size);
W(ringbuf_consume) int ringbuf_consume(int rb);
W(ringbuf_read) int ringbuf_read(int rb, void *buf, uint32_t size, int timeout_ms);
__attribute__((import_module("wasm_bpf"), import_name("wasm_bpf_buffer_poll"))) int
wasm_bpf_buffer_poll(int64_t obj, int fd, int sample_fn, void *ctx, void *data, uint32_t size,
		     int timeout_ms);

struct rec {
	uint64_t seq;
	uint64_t value;
	uint32_t pid;
	uint32_t cpu;
	uint64_t pad;
};

/* The per-event work, identical on both sides: a checksum and an order check. */
struct tally {
	uint64_t n, sum, last, gaps;
};

static uint8_t elf[64 * 1024];
static uint8_t scratch[64];
static uint64_t batch[64 * 1024 / 8];
static struct tally tally;
static int obj, events, rb;

EXPORT(elf_buf) uint8_t *elf_buf(void)
{
	return elf;
}

static int on_rec(void *ctx, void *data, uint32_t size)
{
	struct tally *t = ctx;
	const struct rec *r = data;

	(void)size;
	t->sum += r->value ^ r->seq;
	t->gaps += r->seq != t->last + 1;
	t->last = r->seq;
	t->n++;
	return 0;
}

/* .rodata is flood.bpf.c's cfg: target_pid, burst. */
EXPORT(setup) int setup(uint32_t size, uint32_t pid, uint32_t burst)
{
	uint32_t ro[2] = { pid, burst };

	obj = object_open(elf, size, "flood");
	if (obj < 0 || map_data_write(object_find_map(obj, ".rodata"), 0, ro, sizeof(ro)) ||
	    object_load(obj) || program_attach(object_find_program(obj, "flood")) < 0)
		return -1;
	events = object_find_map(obj, "events");
	return events > 0 ? 0 : -2;
}

/* wbpf's buffer, made on first use: a drain uses one kind of buffer. */
static int ring(void)
{
	if (!rb)
		rb = ringbuf_new(events, (int)(uintptr_t)on_rec, &tally, scratch, sizeof(scratch));
	return rb;
}

EXPORT(consume) int consume(void)
{
	return ringbuf_consume(ring());
}

/* As a wasm-bpf guest polls: the map "fd" is wbpf's map handle. */
EXPORT(poll) int poll(void)
{
	return wasm_bpf_buffer_poll(obj, events, (int)(uintptr_t)on_rec, &tally, scratch,
				    sizeof(scratch), 0);
}

typedef int (*sample_fn)(void *ctx, void *data, uint32_t size);

/* As an SDK's ring_buffer__consume over ringbuf_read would: records come
 * in batches and the callback is called through its pointer. */
EXPORT(consume_batch) int consume_batch(void)
{
	volatile sample_fn cb = on_rec;
	int total = 0, n;

	while ((n = ringbuf_read(ring(), batch, sizeof(batch), 0)) > 0) {
		const uint8_t *p = (const uint8_t *)batch, *end = p + n;

		while (p < end) {
			const uint32_t *h = (const uint32_t *)p;

			cb(&tally, (void *)(p + 8), h[0]);
			p += (8 + h[0] + 7) & ~7u;
			total++;
		}
	}
	return n < 0 ? n : total;
}

EXPORT(checksum) uint64_t checksum(void)
{
	return tally.sum + tally.gaps;
}
