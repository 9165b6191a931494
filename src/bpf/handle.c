// SPDX-License-Identifier: MIT
/*
 * Guest-visible handles: (generation << 16) | (slot + 1). A freed slot's
 * generation moves on, so a stale or forged value no longer matches; the
 * kind stored in the slot makes a map handle useless where a program is
 * expected. Values are always > 0 and fit in an i32.
 */
#include <errno.h>
#include <stdlib.h>

#include "bpf/internal.h"

#define SLOT_BITS 16
#define SLOT_MAX ((1u << SLOT_BITS) - 1)
#define GEN_MASK 0x7fffu

static int encode(uint32_t slot, uint32_t gen)
{
	return (int)(((gen & GEN_MASK) << SLOT_BITS) | (slot + 1));
}

static struct handle_slot *lookup(const struct handle_table *t, int64_t h)
{
	uint32_t slot, gen;

	if (h <= 0 || h > INT32_MAX)
		return NULL;
	slot = ((uint32_t)h & SLOT_MAX);
	gen = (uint32_t)h >> SLOT_BITS;
	if (slot == 0 || slot > t->len)
		return NULL;
	if (t->slots[slot - 1].kind == WBPF_HANDLE_NONE ||
	    (t->slots[slot - 1].gen & GEN_MASK) != gen)
		return NULL;
	return &t->slots[slot - 1];
}

static int grow(struct handle_table *t)
{
	uint32_t max = t->max < SLOT_MAX ? t->max : SLOT_MAX, cap = t->cap ? t->cap * 2 : 16;
	struct handle_slot *s;

	if (cap > max)
		cap = max;
	if (cap <= t->len)
		return -EMFILE;
	s = realloc(t->slots, cap * sizeof(*s));
	if (!s)
		return -ENOMEM;
	t->slots = s;
	t->cap = cap;
	return 0;
}

int htable_add(struct handle_table *t, enum wbpf_bpf_handle_kind kind, void *ptr)
{
	struct handle_slot *s;
	uint32_t i;
	int err;

	if (t->free_head) {
		i = t->free_head - 1;
		t->free_head = t->slots[i].next_free;
	} else {
		if (t->len == t->cap && (err = grow(t)))
			return err;
		i = t->len++;
		t->slots[i].gen = 0;
	}
	s = &t->slots[i];
	s->kind = kind;
	s->ptr = ptr;
	t->live++;
	return encode(i, s->gen);
}

void *htable_get(const struct handle_table *t, int64_t h, enum wbpf_bpf_handle_kind kind)
{
	struct handle_slot *s = lookup(t, h);

	return s && s->kind == kind ? s->ptr : NULL;
}

enum wbpf_bpf_handle_kind htable_kind(const struct handle_table *t, int64_t h)
{
	struct handle_slot *s = lookup(t, h);

	return s ? s->kind : WBPF_HANDLE_NONE;
}

void htable_del(struct handle_table *t, int h)
{
	struct handle_slot *s = lookup(t, h);

	if (!s)
		return;
	s->kind = WBPF_HANDLE_NONE;
	s->ptr = NULL;
	s->gen++;
	s->next_free = t->free_head;
	t->free_head = (uint32_t)(s - t->slots) + 1;
	t->live--;
}

void *htable_slot(const struct handle_table *t, uint32_t i, enum wbpf_bpf_handle_kind kind)
{
	if (i >= t->len || t->slots[i].kind != kind)
		return NULL;
	return t->slots[i].ptr;
}

void htable_release(struct handle_table *t)
{
	free(t->slots);
	*t = (struct handle_table){ 0 };
}
