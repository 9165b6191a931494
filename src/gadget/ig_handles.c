// SPDX-License-Identifier: MIT
/*
 * Inspektor Gadget's handle table: plain IDs from 1, at most 4096 live,
 * the lowest free ID reused first (IG's guests rely on IDs staying
 * below 0x10000, see dataArrayGet), each entry typed.
 */
#include <string.h>

#include "gadget/ig.h"

int igh_add(struct gig *ig, enum igh_type type, void *p, bool scoped)
{
	for (uint32_t id = ig->hint; id <= IG_MAX_HANDLES; id++) {
		if (ig->h[id].type != IGH_FREE)
			continue;
		ig->h[id] = (struct igh){type, scoped, p};
		ig->hint = id + 1;
		ig->live++;
		return (int)id;
	}
	ig->hint = IG_MAX_HANDLES + 1;
	return 0;
}

void igh_del(struct gig *ig, uint32_t id)
{
	if (id == 0 || id > IG_MAX_HANDLES || ig->h[id].type == IGH_FREE)
		return;
	ig->h[id] = (struct igh){0};
	ig->live--;
	if (id < ig->hint)
		ig->hint = id;
}

struct igh *igh_get(struct gig *ig, uint32_t id, enum igh_type type)
{
	struct igh *e;

	if (id == 0 || id > IG_MAX_HANDLES)
		return NULL;
	e = &ig->h[id];
	if (e->type == type)
		return e;
	/* A packet also serves as its record or its array. */
	if (type == IGH_DATA && e->type == IGH_PACKET_SINGLE)
		return e;
	if (type == IGH_ARRAY && e->type == IGH_PACKET_ARRAY)
		return e;
	return NULL;
}
