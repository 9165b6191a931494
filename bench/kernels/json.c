/* SPDX-License-Identifier: MIT */
/* JSON parser: a generated document of about 384 KiB (records of nested
 * objects and arrays, strings with every escape including \u and surrogate
 * pairs, integers, fractions, exponents) parsed into a tree of nodes with
 * decoded strings and numbers, then walked with a key lookup per object.
 * The generator's own tally of what it wrote checks the walk. */
#include "bench.h"

#include <string.h>

#define DOC_MAX (384u << 10)
#define MAX_NODES (160u << 10)
#define MAX_DEPTH 32
#define EXPECTED 0x06d8fedf388c147cull

enum kind { J_NULL, J_FALSE, J_TRUE, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT, J_KINDS };

struct node {
	uint8_t kind;
	uint32_t key, keylen; /* the member's key in the string arena (objects) */
	uint32_t str, len;    /* a string's value in the string arena */
	int32_t child, next;  /* first child, next sibling; -1: none */
	double num;
};

/* What a document holds, in document order: computed by the generator as
 * it writes and by the walk from the tree. */
struct tally {
	uint64_t count[J_KINDS];
	uint64_t text; /* every decoded key and string, mixed in */
	double sum;    /* of every number; all are exact in a double */
};

struct parser {
	const char *p;
	struct node *nodes;
	uint32_t nn;
	char *arena;
	uint32_t na;
	int err;
};

static char doc[DOC_MAX + 4096];
static struct node nodes[MAX_NODES];
static char arena[DOC_MAX + 4096];

static void ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\t' || *ps->p == '\r')
		ps->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

static int32_t hex4(struct parser *ps)
{
	int32_t v = 0;

	for (int i = 0; i < 4; i++) {
		int d = hexval(ps->p[i]);

		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	ps->p += 4;
	return v;
}

static void put_utf8(struct parser *ps, uint32_t cp)
{
	char *o = ps->arena + ps->na;

	if (cp < 0x80) {
		o[0] = (char)cp;
		ps->na += 1;
	} else if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		ps->na += 2;
	} else if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		ps->na += 3;
	} else {
		o[0] = (char)(0xf0 | cp >> 18);
		o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[3] = (char)(0x80 | (cp & 0x3f));
		ps->na += 4;
	}
}

/* \uXXXX, or a surrogate pair of two, after the "\u". */
static int unicode_escape(struct parser *ps)
{
	int32_t hi = hex4(ps), lo;

	if (hi < 0 || (hi >= 0xdc00 && hi < 0xe000))
		return -1;
	if (hi >= 0xd800 && hi < 0xdc00) {
		if (ps->p[0] != '\\' || ps->p[1] != 'u')
			return -1;
		ps->p += 2;
		lo = hex4(ps);
		if (lo < 0xdc00 || lo >= 0xe000)
			return -1;
		hi = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	}
	put_utf8(ps, (uint32_t)hi);
	return 0;
}

/* A string at ps->p (on its quote), decoded into the arena. Escapes are at
 * least as long as what they decode to, so the arena, as long as the
 * document, cannot overflow. */
static int string(struct parser *ps, uint32_t *off, uint32_t *len)
{
	static const char unesc[128] = { ['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b',
					 ['f'] = '\f', ['n'] = '\n', ['r'] = '\r', ['t'] = '\t' };
	const char *p = ps->p + 1;

	*off = ps->na;
	for (;;) {
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			break;
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			ps->arena[ps->na++] = (char)c;
			p++;
			continue;
		}
		c = (unsigned char)p[1];
		p += 2;
		if (c == 'u') {
			ps->p = p;
			if (unicode_escape(ps))
				return -1;
			p = ps->p;
		} else if (c < 128 && unesc[c]) {
			ps->arena[ps->na++] = unesc[c];
		} else {
			return -1;
		}
	}
	ps->p = p + 1;
	*len = ps->na - *off;
	return 0;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits into *m; returns how many. */
static int digits(struct parser *ps, int64_t *m)
{
	int n = 0;

	while (is_digit(*ps->p)) {
		*m = *m * 10 + (*ps->p++ - '0');
		n++;
	}
	return n;
}

static int number(struct parser *ps, double *out)
{
	static const double pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
					1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18 };
	int neg = *ps->p == '-', frac = 0, scale;
	int64_t m = 0, e = 0;

	ps->p += neg;
	if (!digits(ps, &m))
		return -1;
	if (*ps->p == '.') {
		ps->p++;
		frac = digits(ps, &m);
		if (!frac)
			return -1;
	}
	if ((*ps->p | 0x20) == 'e') {
		int eneg;

		ps->p++;
		eneg = *ps->p == '-';
		ps->p += eneg || *ps->p == '+';
		if (!digits(ps, &e))
			return -1;
		e = eneg ? -e : e;
	}
	scale = (int)e - frac;
	if (scale > 18 || scale < -18)
		return -1;
	*out = scale >= 0 ? (double)m * pow10[scale] : (double)m / pow10[-scale];
	if (neg)
		*out = -*out;
	return 0;
}

static int32_t new_node(struct parser *ps, enum kind k)
{
	struct node *n;

	if (ps->nn == MAX_NODES)
		return -1;
	n = &ps->nodes[ps->nn];
	n->kind = (uint8_t)k;
	n->child = n->next = -1;
	n->keylen = n->len = 0;
	return (int32_t)ps->nn++;
}

static int32_t value(struct parser *ps, int depth);

/* The members or elements of a container whose opener ps->p is on. */
static int32_t container(struct parser *ps, int depth, enum kind k)
{
	char close = k == J_OBJECT ? '}' : ']';
	int32_t self = new_node(ps, k), last = -1;

	if (self < 0 || depth > MAX_DEPTH)
		return -1;
	ps->p++;
	ws(ps);
	if (*ps->p == close) {
		ps->p++;
		return self;
	}
	for (;;) {
		uint32_t key = 0, keylen = 0;
		int32_t v;

		if (k == J_OBJECT) {
			if (*ps->p != '"' || string(ps, &key, &keylen))
				return -1;
			ws(ps);
			if (*ps->p++ != ':')
				return -1;
		}
		v = value(ps, depth + 1);
		if (v < 0)
			return -1;
		ps->nodes[v].key = key;
		ps->nodes[v].keylen = keylen;
		if (last < 0)
			ps->nodes[self].child = v;
		else
			ps->nodes[last].next = v;
		last = v;
		ws(ps);
		if (*ps->p == close) {
			ps->p++;
			return self;
		}
		if (*ps->p++ != ',')
			return -1;
		ws(ps);
	}
}

static int32_t literal(struct parser *ps, const char *word, size_t n, enum kind k)
{
	if (strncmp(ps->p, word, n))
		return -1;
	ps->p += n;
	return new_node(ps, k);
}

static int32_t value(struct parser *ps, int depth)
{
	int32_t v;

	ws(ps);
	switch (*ps->p) {
	case '{':
		return container(ps, depth, J_OBJECT);
	case '[':
		return container(ps, depth, J_ARRAY);
	case '"':
		v = new_node(ps, J_STRING);
		if (v < 0 || string(ps, &ps->nodes[v].str, &ps->nodes[v].len))
			return -1;
		return v;
	case 't':
		return literal(ps, "true", 4, J_TRUE);
	case 'f':
		return literal(ps, "false", 5, J_FALSE);
	case 'n':
		return literal(ps, "null", 4, J_NULL);
	default:
		v = new_node(ps, J_NUMBER);
		if (v < 0 || number(ps, &ps->nodes[v].num))
			return -1;
		return v;
	}
}

/* Pre-order walk of the siblings from i (members of an object when
 * `members`): the tally, and for each object the numeric value of its "id"
 * member, as a plugin picking fields out of a record would. */
static void walk(const struct parser *ps, int32_t i, int members, struct tally *t, double *ids)
{
	for (; i >= 0; i = ps->nodes[i].next) {
		const struct node *n = &ps->nodes[i];

		t->count[n->kind]++;
		if (members)
			t->text = bench_mix_bytes(t->text, ps->arena + n->key, n->keylen);
		if (n->kind == J_STRING)
			t->text = bench_mix_bytes(t->text, ps->arena + n->str, n->len);
		else if (n->kind == J_NUMBER)
			t->sum += n->num;
		if (n->kind == J_OBJECT) {
			for (int32_t c = n->child; c >= 0; c = ps->nodes[c].next)
				if (ps->nodes[c].keylen == 2 && ps->nodes[c].kind == J_NUMBER &&
				    !memcmp(ps->arena + ps->nodes[c].key, "id", 2))
					*ids += ps->nodes[c].num;
		}
		walk(ps, n->child, n->kind == J_OBJECT, t, ids);
	}
}

static uint64_t parse_and_walk(const char *text, struct tally *t)
{
	struct parser ps = { .p = text, .nodes = nodes, .arena = arena };
	double ids = 0;
	int32_t root = value(&ps, 0);
	uint64_t h = BENCH_MIX_INIT;

	memset(t, 0, sizeof(*t));
	t->text = BENCH_MIX_INIT;
	ws(&ps);
	if (root < 0 || *ps.p)
		return 0;
	walk(&ps, root, 0, t, &ids);
	for (int k = 0; k < J_KINDS; k++)
		h = bench_mix(h, t->count[k]);
	h = bench_mix(h, t->text);
	h = bench_mix(h, (uint64_t)(int64_t)t->sum);
	h = bench_mix(h, (uint64_t)(int64_t)(ids * 4));
	return bench_mix(h, ps.nn);
}

/* ---- the generator ---- */

struct gen {
	char *p, *end;
	uint64_t seed;
	struct tally t;
};

/* Pieces of strings: as written in JSON, and decoded. */
static const char *const pieces[][2] = {
	{ "id", "id" },
	{ "name", "name" },
	{ "plain text ", "plain text " },
	{ "say \\\"hi\\\"", "say \"hi\"" },
	{ "C:\\\\tmp\\\\x", "C:\\tmp\\x" },
	{ "\\/usr\\/bin", "/usr/bin" },
	{ "line\\nnext\\ttab", "line\nnext\ttab" },
	{ "\\b\\f\\r", "\b\f\r" },
	{ "caf\\u00e9", "caf\xc3\xa9" },
	{ "\\u20AC 5", "\xe2\x82\xac 5" },
	{ "\\ud83d\\ude00!", "\xf0\x9f\x98\x80!" },
	{ "\\u0041BC", "ABC" },
	{ "gr\xc3\xbc\xc3\x9f", "gr\xc3\xbc\xc3\x9f" },
	{ "/api/v1/items", "/api/v1/items" },
};
#define NPIECES (sizeof(pieces) / sizeof(pieces[0]))

static const char *const keys[] = { "id", "name", "ts", "type", "tags", "value", "host", "attrs" };

static void emit(struct gen *g, const char *s)
{
	size_t n = strlen(s);

	memcpy(g->p, s, n);
	g->p += n;
}

/* A string of 1-3 pieces; also a key when it is one of `keys`. */
static void gen_string(struct gen *g, const char *key)
{
	char dec[128];
	size_t n = 0;

	emit(g, "\"");
	if (key) {
		emit(g, key);
		n = strlen(key);
		memcpy(dec, key, n);
	} else {
		for (int k = 1 + (int)(bench_rand(&g->seed) % 3); k > 0; k--) {
			const char *const *pc = pieces[bench_rand(&g->seed) % NPIECES];
			size_t m = strlen(pc[1]);

			emit(g, pc[0]);
			memcpy(dec + n, pc[1], m);
			n += m;
		}
	}
	emit(g, "\"");
	g->t.text = bench_mix_bytes(g->t.text, dec, n);
}

static void gen_number(struct gen *g, uint64_t r)
{
	static const char *const quarters[] = { "25", "5", "75" };
	long v = (long)(r >> 20 & 0xfffff) - (long)((r >> 19 & 1) << 19);
	char num[48];

	switch (r >> 48 & 3) {
	case 0:
		snprintf(num, sizeof(num), "%ld", v);
		g->t.sum += (double)v;
		break;
	case 1: {
		int q = (int)(r >> 50 & 1) + (int)(r >> 51 & 1);

		snprintf(num, sizeof(num), "%ld.%s", v < 0 ? -v : v, quarters[q]);
		g->t.sum += (v < 0 ? -v : v) + (q + 1) * 0.25;
		break;
	}
	case 2:
		snprintf(num, sizeof(num), "%ld%s3", v, r >> 50 & 1 ? "e+" : "E");
		g->t.sum += (double)v * 1000;
		break;
	default:
		snprintf(num, sizeof(num), "%ld25e-2", v);
		g->t.sum += (double)(v * 100 + (v < 0 ? -25 : 25)) / 100;
	}
	emit(g, num);
	g->t.count[J_NUMBER]++;
}

static void gen_value(struct gen *g, int depth)
{
	uint64_t r = bench_rand(&g->seed);
	int n;

	switch (depth > 4 ? 3 + r % 6 : r % 9) {
	case 0:
	case 1:
		g->t.count[J_OBJECT]++;
		emit(g, "{");
		n = 1 + (int)(r >> 8) % 6;
		for (int i = 0; i < n && g->p < g->end; i++) {
			emit(g, i ? ",\n  " : "");
			gen_string(g, (r >> 16 & 3) ? keys[(r >> 20) % 8 ^ (unsigned)i % 8] : NULL);
			emit(g, (r >> 12 & 1) ? ": " : ":");
			gen_value(g, depth + 1);
		}
		emit(g, "}");
		break;
	case 2:
		g->t.count[J_ARRAY]++;
		emit(g, "[");
		n = (int)(r >> 8) % 7;
		for (int i = 0; i < n && g->p < g->end; i++) {
			emit(g, i ? ", " : "");
			gen_value(g, depth + 1);
		}
		emit(g, "]");
		break;
	case 3:
	case 4:
	case 5:
		gen_number(g, r);
		break;
	case 6:
		g->t.count[J_STRING]++;
		gen_string(g, NULL);
		break;
	case 7:
		g->t.count[(r >> 9) & 1 ? J_TRUE : J_FALSE]++;
		emit(g, (r >> 9) & 1 ? "true" : "false");
		break;
	default:
		g->t.count[J_NULL]++;
		emit(g, "null");
	}
}

/* An array of records: objects with an "id" and a few other members. */
static void generate(struct gen *g)
{
	long id = 0;
	char num[32];

	g->t.text = BENCH_MIX_INIT;
	g->t.count[J_ARRAY]++;
	emit(g, "[\n");
	while (g->p < g->end) {
		g->t.count[J_OBJECT]++;
		g->t.count[J_NUMBER]++;
		g->t.text = bench_mix_bytes(g->t.text, "id", 2);
		snprintf(num, sizeof(num), "%s{\"id\": %ld", id ? ",\n" : "", id);
		emit(g, num);
		g->t.sum += (double)id++;
		for (int i = 0; i < 4; i++) {
			emit(g, ", ");
			gen_string(g, keys[1 + i]);
			emit(g, ": ");
			gen_value(g, 1);
		}
		emit(g, "}");
	}
	emit(g, "\n]\n");
	*g->p = 0;
}

int main(int argc, char **argv)
{
	struct bench b;
	struct gen g = { .p = doc, .end = doc + DOC_MAX, .seed = 0x150e };
	struct tally t;

	bench_begin(&b, "json", argc, argv, 240);
	generate(&g);
	bench_start(&b);
	for (long r = 0; r < b.reps; r++)
		bench_rep(&b, parse_and_walk(bench_opaque_ptr(doc), &t));
	if (memcmp(t.count, g.t.count, sizeof(t.count)) || t.text != g.t.text || t.sum != g.t.sum)
		bench_fail(&b, "the parsed tree differs from what the generator wrote");
	return bench_end(&b, EXPECTED);
}
