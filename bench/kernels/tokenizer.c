/* SPDX-License-Identifier: MIT */
/* Tokenizer for a JSON-like text of about 256 KiB: punctuation, strings
 * with escapes, numbers (integers parsed), literals. */
#include "bench.h"

#include <string.h>

#define DOC_MAX (256u << 10)
#define EXPECTED 0x531e1bcefb71ec0full

enum tok { T_LBRACE, T_RBRACE, T_LBRACK, T_RBRACK, T_COLON, T_COMMA,
	   T_STRING, T_NUMBER, T_TRUE, T_FALSE, T_NULL, T_ERROR, T_KINDS };

struct gen {
	char *p, *end;
	uint64_t seed;
	uint64_t count[T_KINDS];
};

static char doc[DOC_MAX + 4096];

static void put(struct gen *g, const char *s, enum tok kind)
{
	size_t n = strlen(s);

	memcpy(g->p, s, n);
	g->p += n;
	if (kind != T_KINDS)
		g->count[kind]++;
}

static void gen_string(struct gen *g)
{
	static const char *const parts[] = { "id", "name", "value", "\\\"q\\\"", "path\\/x",
					     "\\u00e9t\\u00e9", "tab\\t", "a b c", "\\\\" };
	int n = 1 + (int)(bench_rand(&g->seed) % 3);

	put(g, "\"", T_STRING);
	while (n--)
		put(g, parts[bench_rand(&g->seed) % (sizeof(parts) / sizeof(parts[0]))], T_KINDS);
	put(g, "\"", T_KINDS);
}

static void gen_value(struct gen *g, int depth)
{
	uint64_t r = bench_rand(&g->seed);
	char num[32];
	int n;

	switch (depth > 5 ? 3 + r % 5 : r % 8) {
	case 0:
	case 1:
		put(g, "{", T_LBRACE);
		n = (int)(r >> 8) % 6;
		for (int i = 0; i < n && g->p < g->end; i++) {
			if (i)
				put(g, ", ", T_COMMA);
			gen_string(g);
			put(g, ": ", T_COLON);
			gen_value(g, depth + 1);
		}
		put(g, "}", T_RBRACE);
		break;
	case 2:
		put(g, "[", T_LBRACK);
		n = (int)(r >> 8) % 8;
		for (int i = 0; i < n && g->p < g->end; i++) {
			if (i)
				put(g, ",\n", T_COMMA);
			gen_value(g, depth + 1);
		}
		put(g, "]", T_RBRACK);
		break;
	case 3:
	case 4:
		snprintf(num, sizeof(num), "%s%u%s", (r >> 40) & 1 ? "-" : "",
			 (unsigned)(r >> 12) % 100000, (r >> 41) & 1 ? ".25e+3" : "");
		put(g, num, T_NUMBER);
		break;
	case 5:
		gen_string(g);
		break;
	case 6:
		put(g, (r >> 9) & 1 ? "true" : "false", (r >> 9) & 1 ? T_TRUE : T_FALSE);
		break;
	default:
		put(g, "null", T_NULL);
	}
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int literal(const char **pp, const char *word, size_t n)
{
	if (strncmp(*pp, word, n))
		return 0;
	*pp += n;
	return 1;
}

/* One token at *pp; advances past it. Integer values add to *ints. */
static enum tok next(const char **pp, uint64_t *ints)
{
	const char *p = *pp;
	enum tok t;

	switch (*p) {
	case '{': t = T_LBRACE; p++; break;
	case '}': t = T_RBRACE; p++; break;
	case '[': t = T_LBRACK; p++; break;
	case ']': t = T_RBRACK; p++; break;
	case ':': t = T_COLON; p++; break;
	case ',': t = T_COMMA; p++; break;
	case '"':
		t = T_STRING;
		for (p++; *p != '"'; p++) {
			if (!*p)
				return T_ERROR;
			if (*p == '\\') {
				p++;
				if (*p == 'u') {
					for (int i = 1; i <= 4; i++)
						if (!p[i])
							return T_ERROR;
					p += 4;
				} else if (!*p) {
					return T_ERROR;
				}
			}
		}
		p++;
		break;
	case 't': t = literal(&p, "true", 4) ? T_TRUE : T_ERROR; break;
	case 'f': t = literal(&p, "false", 5) ? T_FALSE : T_ERROR; break;
	case 'n': t = literal(&p, "null", 4) ? T_NULL : T_ERROR; break;
	default: {
		int neg = *p == '-';
		uint64_t v = 0;

		p += neg;
		if (!is_digit(*p))
			return T_ERROR;
		while (is_digit(*p))
			v = v * 10 + (uint64_t)(*p++ - '0');
		*ints += neg ? -v : v;
		if (*p == '.')
			for (p++; is_digit(*p); p++)
				;
		if (*p == 'e' || *p == 'E') {
			p++;
			if (*p == '+' || *p == '-')
				p++;
			while (is_digit(*p))
				p++;
		}
		t = T_NUMBER;
	}
	}
	*pp = p;
	return t;
}

static uint64_t tokenize(const char *p, uint64_t count[T_KINDS])
{
	uint64_t h = BENCH_MIX_INIT, ints = 0;

	memset(count, 0, sizeof(uint64_t[T_KINDS]));
	for (;;) {
		const char *start;
		enum tok t;

		while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
			p++;
		if (!*p)
			break;
		start = p;
		t = next(&p, &ints);
		count[t]++;
		if (t == T_ERROR)
			break;
		h = bench_mix(h, (uint64_t)t << 32 | (uint64_t)(p - start));
	}
	return bench_mix(h, ints);
}

int main(int argc, char **argv)
{
	struct bench b;
	struct gen g = { .p = doc, .end = doc + DOC_MAX, .seed = 0x70c3 };
	uint64_t count[T_KINDS];

	bench_begin(&b, "tokenizer", argc, argv, 400);
	put(&g, "[", T_LBRACK);
	while (g.p < g.end) {
		gen_value(&g, 1);
		put(&g, ",\n", T_COMMA);
	}
	put(&g, "0]", T_NUMBER);
	*g.p = 0;
	g.count[T_RBRACK]++;
	bench_start(&b);
	for (long r = 0; r < b.reps; r++)
		bench_rep(&b, tokenize(bench_opaque_ptr(doc), count));
	if (memcmp(count, g.count, sizeof(count)))
		bench_fail(&b, "token counts differ from the generator's");
	return bench_end(&b, EXPECTED);
}
