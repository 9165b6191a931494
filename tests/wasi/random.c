// SPDX-License-Identifier: MIT
/* random_get through getentropy(): fills buffers, differs between draws,
 * looks uniform. */
#include <string.h>
#include <unistd.h>

#include "common.h"

int main(void)
{
	unsigned char a[256], b[256];
	static unsigned char big[256 * 1024];
	long counts[256] = {0};
	int ok = 1;

	CHECK("getentropy 256", getentropy(a, sizeof(a)));
	CHECK("getentropy 256 again", getentropy(b, sizeof(b)));
	printf("draws differ: %d\n", memcmp(a, b, sizeof(a)) != 0);
	CHECK("getentropy 257 (too much)", getentropy(a, 257));
	for (size_t off = 0; off < sizeof(big); off += 256)
		getentropy(big + off, 256);
	for (size_t i = 0; i < sizeof(big); i++)
		counts[big[i]]++;
	/* Expected 1024 each; a real source stays well inside +-40%. */
	for (int i = 0; i < 256; i++)
		ok &= counts[i] > 600 && counts[i] < 1450;
	printf("byte histogram plausible: %d\n", ok);
	return 0;
}
