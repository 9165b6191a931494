// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for untrusted BPF objects: arbitrary bytes through
 * wbpf_bpf_host__object_open (libbpf's parse in the confined child, then
 * the host's own) and, when that succeeds, everything a guest may do with
 * the object before load (programs, maps, global data) and the helper
 * policy's scan of its code. The host process must survive every input;
 * libbpf dying in the child is an expected refusal. Nothing here touches
 * the kernel.
 *
 * Half the mutations change 1-4 bytes inside .BTF, where libbpf trusts its
 * input most (the other half are libFuzzer's own): libbpf's code is not
 * instrumented, so coverage alone would not lead the fuzzer there.
 *
 * At exit it prints how the inputs ended (opened, refused by errno). With
 * FUZZ_OBJECT_LOG set, the host also logs each refusal ("it crashes
 * libbpf's parser" for the inputs that killed the child).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bpf/internal.h"
#include "../tests/bpf/corrupt_btf.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

/* Outcome counts: [0] opened, [e] refused with -e (e < 256). */
static unsigned long outcomes[256];
static bool log_refusals;

static void print_outcomes(void)
{
	fprintf(stderr, "fuzz_object: %lu opened", outcomes[0]);
	for (int e = 1; e < 256; e++)
		if (outcomes[e])
			fprintf(stderr, ", %lu refused with %s", outcomes[e], strerror(e));
	fputc('\n', stderr);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	libbpf_set_print(NULL); /* the parent's libbpf messages: one per input */
	log_refusals = getenv("FUZZ_OBJECT_LOG") != NULL;
	atexit(print_outcomes);
	return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	size_t off, len;
	uint64_t r = seed;

	if (!(seed & 1) || corrupt_find_btf(data, size, &off, &len) || !len)
		return LLVMFuzzerMutate(data, size, max_size);
	for (unsigned n = 1 + (seed >> 1) % 4; n; n--) {
		r = r * 6364136223846793005u + 1442695040888963407u; /* an LCG step */
		data[off + (size_t)(r >> 33) % len] = (uint8_t)(r >> 17);
	}
	return size;
}

/* The pre-load calls of the guest ABI on every program and map. */
static void use_object(struct wbpf_bpf_host *host, int obj)
{
	struct wbpf_bpf_map_info info;
	const char *name, *sec;
	uint8_t image[256];
	int h;

	for (uint32_t i = 0; (h = wbpf_bpf_host__program_at(host, obj, i)) > 0; i++) {
		wbpf_bpf_host__program_name(host, h, &name);
		wbpf_bpf_host__program_section(host, h, &sec);
		wbpf_bpf_host__find_program(host, obj, name);
		wbpf_bpf_host__program_kind(host, h);
		wbpf_bpf_host__program_set_autoload(host, h, i & 1);
	}
	for (uint32_t i = 0; (h = wbpf_bpf_host__map_at(host, obj, i)) > 0; i++) {
		wbpf_bpf_host__map_name(host, h, &name);
		wbpf_bpf_host__find_map(host, obj, name);
		if (wbpf_bpf_host__map_info(host, h, &info))
			continue;
		for (uint64_t off = 0; off < info.value_size; off += sizeof(image)) {
			size_t n = info.value_size - off < sizeof(image) ? info.value_size - off
									  : sizeof(image);

			if (!wbpf_bpf_host__map_data_read(host, h, off, image, n))
				wbpf_bpf_host__map_data_write(host, h, off, image, n);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wbpf_bpf_host_opts opts = { .sz = sizeof(opts), .quiet = !log_refusals };
	struct wbpf_bpf_host *host = wbpf_bpf_host__new(&opts);
	struct bpf_obj *o;
	int h;

	if (!host)
		return 0;
	h = wbpf_bpf_host__object_open(host, data, size, "fuzz");
	outcomes[h > 0 ? 0 : (-h > 0 && -h < 256 ? -h : EINVAL)]++;
	if (h > 0 && (o = host_obj(host, h))) {
		use_object(host, h);
		wbpf_bpf_host__allow_helper(host, size && data[0] & 1 ? "signal" : "kfunc");
		object_check_helpers(host, o);
		wbpf_bpf_host__object_close(host, h);
	}
	wbpf_bpf_host__free(host);
	return 0;
}
