/* SPDX-License-Identifier: MIT */
/* Substring search (Boyer-Moore-Horspool) of 8 patterns in 1 MiB of
 * word-like text; a naive search over a prefix cross-checks the counts. */
#include "bench.h"

#include <string.h>

#define TEXT_LEN (1u << 20)
#define CHECK_LEN (64u << 10)
#define EXPECTED 0xd03a8678de9dfb68ull

static char text[TEXT_LEN + 1];

static const char *const patterns[] = {
	"the", "tortoise", "ran over", "dog the", "xyzzy", "sea shell sea", "cat ", "ora",
};
#define NPAT (sizeof(patterns) / sizeof(patterns[0]))

static size_t horspool(const char *t, size_t n, const char *p, size_t m)
{
	size_t shift[256], count = 0;

	for (int c = 0; c < 256; c++)
		shift[c] = m;
	for (size_t i = 0; i + 1 < m; i++)
		shift[(unsigned char)p[i]] = m - 1 - i;
	for (size_t i = 0; i + m <= n;) {
		unsigned char last = (unsigned char)t[i + m - 1];

		if (last == (unsigned char)p[m - 1] && !memcmp(t + i, p, m - 1))
			count++;
		i += shift[last];
	}
	return count;
}

static size_t naive(const char *t, size_t n, const char *p, size_t m)
{
	size_t count = 0;

	for (size_t i = 0; i + m <= n; i++) {
		size_t k = 0;

		while (k < m && t[i + k] == p[k])
			k++;
		count += k == m;
	}
	return count;
}

static uint64_t search_all(const char *t)
{
	uint64_t h = BENCH_MIX_INIT;

	for (size_t k = 0; k < NPAT; k++)
		h = bench_mix(h, horspool(t, TEXT_LEN, patterns[k], strlen(patterns[k])));
	return h;
}

int main(int argc, char **argv)
{
	static const char *const words[] = { "the", "cat", "sat", "on", "tortoise", "ran",
					     "over", "dog", "sea", "shell", "shore", "orange",
					     "a", "lazy", "quick", "brown" };
	struct bench b;
	uint64_t seed = 0x5ea5;
	size_t len = 0;

	bench_begin(&b, "strsearch", argc, argv, 32);
	while (len < TEXT_LEN) {
		const char *w = words[bench_rand(&seed) % 16];
		size_t n = strlen(w);

		if (len + n + 1 > TEXT_LEN)
			n = TEXT_LEN - len - 1;
		memcpy(text + len, w, n);
		len += n;
		text[len++] = ' ';
	}
	for (size_t k = 0; k < NPAT; k++) {
		size_t m = strlen(patterns[k]);

		if (horspool(text, CHECK_LEN, patterns[k], m) != naive(text, CHECK_LEN, patterns[k], m))
			bench_fail(&b, "Horspool and naive counts differ");
	}
	bench_start(&b);
	for (long r = 0; r < b.reps; r++)
		bench_rep(&b, search_all(bench_opaque_ptr(text)));
	return bench_end(&b, EXPECTED);
}
