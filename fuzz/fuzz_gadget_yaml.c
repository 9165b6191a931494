// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: gadget.yaml parsing (src/gadget/meta.c): the YAML
 * flattened into dotted keys, then checked key by key, as
 * wbpf_gadget__open does with a gadget directory's (or image's) file.
 */
#include <stddef.h>
#include <stdint.h>

#include "gadget/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gmeta m = {0};
	char msg[256];

	if (!gmeta_parse(&m, (const char *)data, size, msg, sizeof(msg)))
		gmeta_check(&m, msg, sizeof(msg));
	gmeta_free(&m);
	return 0;
}
