// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: what the ClickHouse sink reads before it sends a
 * batch (src/sink/retype.c, src/sink/rowbinary.c): a table's DESCRIBE
 * answer, then a payload as a spool file holds it (TYPES line, INSERT,
 * gzip'ed RowBinary rows), checked and re-encoded for that table. The
 * input is the answer, a NUL byte, the payload.
 */
#include <libdeflate.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sink/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	static struct ch_retype rt;
	struct ch_desc desc = { 0 };
	struct sink_buf out = { 0 };
	struct libdeflate_compressor *gz;
	struct ch_payload pl;
	char why[256];

	if (!nul)
		return 0;
	gz = libdeflate_alloc_compressor(1);
	if (gz && !ch_desc__parse(&desc, (const char *)data, (size_t)(nul - data)) &&
	    !ch_payload__split((const char *)nul + 1, size - (size_t)(nul + 1 - data), &pl) &&
	    !ch_payload__columns(&pl, &desc, &rt, why, sizeof(why)) && !rt.same)
		ch_payload__retype(&pl, &rt, gz, &out, why, sizeof(why));
	sink_buf__free(&out);
	ch_desc__free(&desc);
	libdeflate_free_compressor(gz);
	return 0;
}
