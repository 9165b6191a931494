// SPDX-License-Identifier: MIT
/*
 * Sorting the records of an array packet (a snapshot) by a list of
 * fields, "a,-b": numbers by value, everything else by its bytes. The
 * first MAX_KEYS fields count (output.c checks the names).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gadget/internal.h"

#define MAX_KEYS 8

struct skey {
	const struct wbpf_gadget_field *f;
	bool desc;
};

struct sorter {
	struct skey keys[MAX_KEYS];
	size_t n;
};

static bool numeric(const struct wbpf_gadget_field *f)
{
	return !f->array && f->kind >= WBPF_KIND_BOOL && f->kind <= WBPF_KIND_FLOAT64;
}

static int cmp_num(const struct wbpf_gadget_field *f, const struct wbpf_gadget_data *a,
		   const struct wbpf_gadget_data *b)
{
	uint64_t x = 0, y = 0;
	double dx, dy;
	float fx, fy;

	wbpf_gadget_field__get_u64(f, a, &x);
	wbpf_gadget_field__get_u64(f, b, &y);
	switch (f->kind) {
	case WBPF_KIND_FLOAT32:
		memcpy(&fx, &x, 4), memcpy(&fy, &y, 4);
		return (fx > fy) - (fx < fy);
	case WBPF_KIND_FLOAT64:
		memcpy(&dx, &x, 8), memcpy(&dy, &y, 8);
		return (dx > dy) - (dx < dy);
	case WBPF_KIND_INT8: case WBPF_KIND_INT16: case WBPF_KIND_INT32: case WBPF_KIND_INT64:
		return ((int64_t)x > (int64_t)y) - ((int64_t)x < (int64_t)y);
	default:
		return (x > y) - (x < y);
	}
}

static int cmp_bytes(const struct wbpf_gadget_field *f, const struct wbpf_gadget_data *a,
		     const struct wbpf_gadget_data *b)
{
	uint32_t la, lb;
	const uint8_t *pa = wbpf_gadget_field__bytes(f, a, &la);
	const uint8_t *pb = wbpf_gadget_field__bytes(f, b, &lb);
	int c;

	if (f->kind == WBPF_KIND_CSTRING) {
		la = (uint32_t)strnlen((const char *)pa, la);
		lb = (uint32_t)strnlen((const char *)pb, lb);
	}
	c = memcmp(pa, pb, la < lb ? la : lb);
	return c ? c : (la > lb) - (la < lb);
}

static int cmp(const void *x, const void *y, void *ctx)
{
	const struct sorter *s = ctx;
	const struct wbpf_gadget_data *a = *(struct wbpf_gadget_data *const *)x;
	const struct wbpf_gadget_data *b = *(struct wbpf_gadget_data *const *)y;

	for (size_t i = 0; i < s->n; i++) {
		const struct skey *k = &s->keys[i];
		int c = numeric(k->f) ? cmp_num(k->f, a, b) : cmp_bytes(k->f, a, b);

		if (c)
			return k->desc ? -c : c;
	}
	return 0;
}

void gsort_packet(const char *spec, struct wbpf_gadget_packet *p)
{
	struct sorter s = {.n = 0};

	for (const char *q = spec; q && *q && s.n < MAX_KEYS;) {
		size_t len = strcspn(q, ",");
		const char *name = q + (*q == '-' || *q == '+');
		char buf[256];

		snprintf(buf, sizeof(buf), "%.*s", (int)(len - (size_t)(name - q)), name);
		if ((s.keys[s.n].f = wbpf_gadget_ds__field(p->ds, buf)))
			s.keys[s.n++].desc = *q == '-';
		q += len + (q[len] == ',');
	}
	if (s.n && p->n > 1)
		qsort_r(p->elems, p->n, sizeof(*p->elems), cmp, &s);
}
