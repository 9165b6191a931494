// SPDX-License-Identifier: MIT
/*
 * Map iterators (GADGET_MAPITER): on every interval the map's entries
 * are read into one packet of the array datasource, one record per
 * entry (the key's bytes, then the value's), and emitted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gadget/internal.h"

#define DEFAULT_INTERVAL 1000000000ull
#define MAX_KEY 512u

/* Map types whose entries are one key and one value each. */
static bool plain_map(uint32_t type)
{
	return type == 1 /* HASH */ || type == 2 /* ARRAY */ || type == 9 /* LRU_HASH */;
}

static void snapshot(struct wbpf_gadget *g, void *ctx)
{
	struct wbpf_gadget_ds *ds = ctx;
	struct wbpf_gadget_packet *p = ds->pkt;
	uint32_t ks = ds->key_size, vs = ds->raw_size - ds->key_size;
	struct wbpf_gadget_data *d;
	uint8_t key[MAX_KEY];
	bool first = true;

	p->n = 0;
	/* Bounded: entries deleted while we walk can make the walk restart. */
	for (uint32_t i = 0; i < ds->max_entries; i++, first = false) {
		if (wbpf_bpf_host__map_next_key(g->host, ds->map, first ? NULL : key, key, ks))
			break;
		if (!(d = wbpf_gadget_packet__append(p)))
			break;
		memcpy(d->raw, key, ks);
		if (wbpf_bpf_host__map_lookup(g->host, ds->map, key, ks, d->raw + ks, vs, 0))
			p->n--; /* gone meanwhile */
	}
	g->stats.events += p->n;
	wbpf_gadget_ds__emit(ds, p);
}

int gsnapshot_start(struct wbpf_gadget *g, struct wbpf_gadget_ds *ds)
{
	struct wbpf_bpf_map_info info;

	if (ds->origin == GDS_SNAPSHOTTER)
		return gerr(g, -EOPNOTSUPP, "snapshotter %s: iterator programs are not run yet "
			    "(GADGET_MAPITER is)", ds->name);
	ds->map = wbpf_bpf_host__find_map(g->host, g->obj, ds->map_name);
	if (ds->map < 0)
		return gerr(g, ds->map, "map iterator %s: no map '%s' in the object", ds->name,
			    ds->map_name);
	wbpf_bpf_host__map_info(g->host, ds->map, &info);
	if (!plain_map(info.type))
		return gerr(g, -EINVAL, "map iterator %s: map '%s' is not a hash or array map "
			    "(type %u)", ds->name, ds->map_name, info.type);
	if (info.key_size != ds->key_size || info.value_size != ds->raw_size - ds->key_size ||
	    info.key_size > MAX_KEY)
		return gerr(g, -EINVAL, "map iterator %s: map '%s' has %u-byte keys and %u-byte "
			    "values, its BTF says %u and %u", ds->name, ds->map_name, info.key_size,
			    info.value_size, ds->key_size, ds->raw_size - ds->key_size);
	ds->max_entries = info.max_entries;
	if (!(ds->pkt = wbpf_gadget_ds__new_packet(ds)))
		return -ENOMEM;
	return gtimer_add(g, g->opts.interval_ns ? g->opts.interval_ns : DEFAULT_INTERVAL,
			  snapshot, ds);
}
