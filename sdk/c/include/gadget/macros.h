/* SPDX-License-Identifier: MIT */
/*
 * Markers a gadget's BPF side leaves in its BTF for the host (wbpf, or
 * Inspektor Gadget: same names, same meaning). Each is an unused global
 * whose name carries the declaration, parts separated by "___":
 *
 *   GADGET_TRACER(name, map, struct)   gadget_tracer_<name>___<map>___<struct>
 *       records of `struct` sent through ring/perf buffer `map` become
 *       datasource `name`, one record per event.
 *   GADGET_SNAPSHOTTER(name, struct)   gadget_snapshotter_<name>___<struct>
 *       records of `struct` from iterator programs (wbpf: fields only).
 *   GADGET_MAPITER(name, map)          gadget_mapiter_<name>___<map>
 *       hash or array map `map` read on an interval into array
 *       datasource `name` (key and value structs from the map's BTF).
 *   GADGET_PARAM(var)                  gadget_param_<var>
 *       `const volatile` global `var` is a param, set before load.
 *
 * See docs/gadgets.md.
 */
#ifndef GADGET_MACROS_H
#define GADGET_MACROS_H

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* The ring buffer a tracer writes; size in bytes (a power of two, a
 * multiple of the page size). */
#define GADGET_TRACER_MAP(name, size)                 \
	struct {                                      \
		__uint(type, BPF_MAP_TYPE_RINGBUF);   \
		__uint(max_entries, size);            \
	} name SEC(".maps")

/* The second global keeps `struct` in BTF even when the program only
 * uses it through a pointer the compiler could drop. */
#define GADGET_TRACER(name, map, struct_name)                                             \
	const void *gadget_tracer_##name##___##map##___##struct_name __attribute__((unused)); \
	const struct struct_name *gadget_type_##name __attribute__((unused))

#define GADGET_SNAPSHOTTER(name, struct_name)                                         \
	const void *gadget_snapshotter_##name##___##struct_name __attribute__((unused)); \
	const struct struct_name *gadget_type_##name __attribute__((unused))

#define GADGET_MAPITER(name, map) \
	const void *gadget_mapiter_##name##___##map __attribute__((unused))

#define GADGET_PARAM(var) const void *gadget_param_##var __attribute__((unused))

#endif /* GADGET_MACROS_H */
