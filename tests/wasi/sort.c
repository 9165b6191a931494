// SPDX-License-Identifier: MIT
/* qsort and bsearch over ints, doubles, strings and structs. */
//! slow
#include <string.h>

#include "common.h"

#define N 200000

struct rec {
	unsigned key;
	int idx;
};

static int cmp_uint(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return (x > y) - (x < y);
}

static int cmp_double_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y) - (x > y);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Ties broken by index: a total order, so any qsort gives this result. */
static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->key != y->key)
		return (x->key > y->key) - (x->key < y->key);
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static void ints(void)
{
	static unsigned v[N];
	unsigned seed = 1, sum = 0;
	int sorted = 1, found = 0;

	for (int i = 0; i < N; i++)
		v[i] = lcg(&seed);
	qsort(v, N, sizeof(v[0]), cmp_uint);
	for (int i = 1; i < N; i++)
		sorted &= v[i - 1] <= v[i];
	for (int i = 0; i < N; i += 1000)
		sum = sum * 31 + v[i];
	for (unsigned k = 0; k < 2000; k++) {
		unsigned key = v[(k * 97) % N];

		found += bsearch(&key, v, N, sizeof(v[0]), cmp_uint) != NULL;
	}
	unsigned absent = 0x7fffffff;
	printf("ints: sorted %d sample %u min %u max %u found %d absent found %d\n", sorted, sum,
	       v[0], v[N - 1], found, bsearch(&absent, v, N, sizeof(v[0]), cmp_uint) != NULL);
}

static void doubles(void)
{
	static double d[50000];
	unsigned seed = 2;

	for (int i = 0; i < 50000; i++)
		d[i] = (double)lcg(&seed) / 16777216.0 - 0.5;
	qsort(d, 50000, sizeof(d[0]), cmp_double_desc);
	printf("doubles: first %.17g median %.17g last %.17g\n", d[0], d[25000], d[49999]);
}

static void strings(void)
{
	static const char *words[] = {"pear", "apple", "fig", "banana", "cherry", "date",
				      "elderberry", "grape", "kiwi", "lemon", "Apple", "apple2"};
	size_t n = sizeof(words) / sizeof(words[0]);
	const char *key = "kiwi", **hit;

	qsort(words, n, sizeof(words[0]), cmp_str);
	for (size_t i = 0; i < n; i++)
		printf("%s%s", words[i], i + 1 < n ? " " : "\n");
	hit = bsearch(&key, words, n, sizeof(words[0]), cmp_str);
	printf("kiwi at %td\n", hit ? hit - words : -1);
}

static void records(void)
{
	static struct rec r[30000];
	unsigned seed = 3, sum = 0;

	for (int i = 0; i < 30000; i++)
		r[i] = (struct rec){lcg(&seed) % 100, i};
	qsort(r, 30000, sizeof(r[0]), cmp_rec);
	for (int i = 0; i < 30000; i += 7)
		sum = sum * 131 + (unsigned)r[i].idx;
	printf("records: checksum %u first %u/%d last %u/%d\n", sum, r[0].key, r[0].idx,
	       r[29999].key, r[29999].idx);
}

int main(void)
{
	ints();
	doubles();
	strings();
	records();
	return 0;
}
