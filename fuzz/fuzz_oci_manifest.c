// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the manifest and index parser (src/oci/manifest.c)
 * and what reads its result (format detection, platform choice): the
 * bytes a registry or a tarball sends. The first byte picks the media
 * type a registry would have announced.
 */
#include <stddef.h>
#include <stdint.h>

#include "oci/internal.h"

static const char *const content_types[] = {
	NULL, WBPF_OCI_MT_MANIFEST, WBPF_OCI_MT_INDEX, WBPF_OCI_MT_DOCKER_MANIFEST,
	WBPF_OCI_MT_DOCKER_LIST, "application/json",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wbpf_oci_error err;
	struct oci_manifest m;
	struct oci_parts p;

	if (!size)
		return 0;
	if (oci_manifest__parse(data + 1, size - 1,
				content_types[data[0] % (sizeof(content_types) /
							 sizeof(content_types[0]))], &m, &err))
		return 0;
	if (m.is_index)
		oci_index__pick(&m);
	else
		oci_parts__find(&m, &p, &err);
	oci_manifest__free(&m);
	return 0;
}
