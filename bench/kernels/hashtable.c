/* SPDX-License-Identifier: MIT */
/* Open-addressing hash table (linear probing, backward-shift deletion) of
 * 64-bit keys: inserts with updates, hit and miss lookups, deletions. */
#include "bench.h"

#include <string.h>

#define BITS 16
#define CAP (1u << BITS)
#define NKEYS 40000
#define EXPECTED 0x6658ab315a7c671cull

struct slot {
	uint64_t key; /* 0 = empty */
	uint64_t val;
};

struct table {
	struct slot s[CAP];
	uint32_t n;
};

static struct table tab;
static uint64_t keys[NKEYS], misses[NKEYS];

static inline uint32_t home(uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> (64 - BITS));
}

static void put(struct table *t, uint64_t key, uint64_t val)
{
	uint32_t i = home(key);

	while (t->s[i].key && t->s[i].key != key)
		i = (i + 1) & (CAP - 1);
	if (!t->s[i].key)
		t->n++;
	t->s[i].key = key;
	t->s[i].val = val;
}

static struct slot *find(struct table *t, uint64_t key)
{
	for (uint32_t i = home(key);; i = (i + 1) & (CAP - 1)) {
		if (t->s[i].key == key)
			return &t->s[i];
		if (!t->s[i].key)
			return NULL;
	}
}

static void del(struct table *t, uint64_t key)
{
	struct slot *s = find(t, key);
	uint32_t hole, j;

	if (!s)
		return;
	t->n--;
	hole = (uint32_t)(s - t->s);
	/* Move later members of the probe run back so lookups need no
	 * tombstones: an entry may fill the hole if its home is not in
	 * (hole, j]. */
	for (j = (hole + 1) & (CAP - 1); t->s[j].key; j = (j + 1) & (CAP - 1)) {
		uint32_t h = home(t->s[j].key);

		if (((j - h) & (CAP - 1)) >= ((j - hole) & (CAP - 1))) {
			t->s[hole] = t->s[j];
			hole = j;
		}
	}
	t->s[hole].key = 0;
}

static uint64_t workload(struct table *t, const uint64_t *k, const uint64_t *miss,
			 uint64_t *hits)
{
	uint64_t sum = 0;

	memset(t, 0, sizeof(*t));
	*hits = 0;
	for (uint32_t i = 0; i < NKEYS; i++)
		put(t, k[i], i);
	for (uint32_t i = 0; i < NKEYS; i += 7)
		put(t, k[i], (uint64_t)i * 3); /* updates */
	for (int round = 0; round < 2; round++) {
		for (uint32_t i = 0; i < NKEYS; i++) {
			struct slot *s = find(t, k[i]);

			if (s) {
				sum += s->val;
				++*hits;
			}
			if (find(t, miss[i]))
				sum += 1000000007;
		}
		if (round == 0)
			for (uint32_t i = 0; i < NKEYS; i += 3)
				del(t, k[i]);
	}
	return bench_mix(bench_mix(BENCH_MIX_INIT, sum), t->n);
}

int main(int argc, char **argv)
{
	struct bench b;
	uint64_t seed = 0x4a5b, hits = 0, want = 0;

	bench_begin(&b, "hashtable", argc, argv, 120);
	/* Random odd keys (distinct, as the size check confirms) and even
	 * misses, which therefore never equal a key. */
	for (uint32_t i = 0; i < NKEYS; i++) {
		keys[i] = bench_rand(&seed) | 1;
		misses[i] = (bench_rand(&seed) & ~1ull) | 2;
	}
	bench_start(&b);
	for (long r = 0; r < b.reps; r++)
		bench_rep(&b, workload(&tab, bench_opaque_ptr(keys), bench_opaque_ptr(misses),
				       &hits));
	want = NKEYS + (NKEYS - (NKEYS + 2) / 3);
	if (hits != want || tab.n != NKEYS - (NKEYS + 2) / 3)
		bench_fail(&b, "hit count or size after deletions");
	return bench_end(&b, EXPECTED);
}
