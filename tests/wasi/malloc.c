// SPDX-License-Identifier: MIT
/* Heavy malloc/calloc/realloc/free with a deterministic pattern; checks
 * contents survive, calloc zeroes, big blocks work and memory is reused. */
//! slow
#include <stdint.h>
#include <string.h>

#include "common.h"

#define SLOTS 4096

static void fill(unsigned char *p, size_t n, unsigned tag)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(tag + i * 7);
}

static int check(const unsigned char *p, size_t n, unsigned tag)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(tag + i * 7))
			return 0;
	return 1;
}

int main(void)
{
	static unsigned char *slot[SLOTS];
	static size_t size[SLOTS];
	static unsigned tag[SLOTS];
	unsigned seed = 42;
	long ops = 0, bad = 0;
	size_t peak = 0, live = 0;

	for (int round = 0; round < 120000; round++) {
		unsigned i = lcg(&seed) % SLOTS, r = lcg(&seed);

		if (slot[i]) {
			bad += !check(slot[i], size[i], tag[i]);
			if (r % 3 == 0) {
				size_t n = (lcg(&seed) % 4096) + 1;
				unsigned char *p = realloc(slot[i], n);
				size_t keep = n < size[i] ? n : size[i];

				bad += !p || !check(p, keep, tag[i]);
				live += n - size[i];
				slot[i] = p;
				size[i] = n;
				fill(p, n, tag[i]);
			} else {
				free(slot[i]);
				live -= size[i];
				slot[i] = NULL;
			}
		} else {
			size_t n = r % 8 == 0 ? (lcg(&seed) % 32768) + 1 : (lcg(&seed) % 256) + 1;

			slot[i] = r % 5 == 0 ? calloc(1, n) : malloc(n);
			if (r % 5 == 0)
				for (size_t k = 0; k < n; k++)
					bad += slot[i][k] != 0;
			size[i] = n;
			tag[i] = r;
			live += n;
			fill(slot[i], n, r);
		}
		peak = live > peak ? live : peak;
		ops++;
	}
	for (int i = 0; i < SLOTS; i++)
		free(slot[i]);
	printf("ops %ld bad %ld peak %zu\n", ops, bad, peak);

	/* Big blocks, then again: the space must be reused. */
	for (int k = 0; k < 20; k++) {
		unsigned char *p = malloc(16u << 20);

		if (!p) {
			printf("16 MiB malloc %d failed\n", k);
			return 1;
		}
		p[0] = 1;
		p[(16u << 20) - 1] = 2;
		free(p);
	}
	printf("20 x 16 MiB malloc/free: ok\n");
	printf("absurd malloc fails: %d\n", malloc(SIZE_MAX / 2) == NULL);
	return 0;
}
