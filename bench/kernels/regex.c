/* SPDX-License-Identifier: MIT */
/* Regular expressions: 8 patterns (character classes, escapes, groups,
 * alternation, *, +, ?, anchors) parsed, compiled to a small instruction
 * program and run as a Thompson NFA (a Pike VM: one pass over the text,
 * each state at most once per position) over generated log lines of five
 * kinds, as a log-filtering plugin would. A backtracking matcher over the
 * same programs cross-checks every line's result. */
#include "bench.h"

#include <string.h>

#define NLINES 1500
#define LINE_MAX 192
#define MAX_INSNS 256
#define MAX_NODES 512
#define MAX_CLASSES 32
#define EXPECTED 0xf00f547584a3c238ull

static const char *const patterns[] = {
	"^[0-9]+-[0-9][0-9]-[0-9]+T[0-9:]+Z host-[0-9]+ sshd\\[",
	"Failed password for (invalid user )?[a-z_][a-z0-9_]* from (\\d+\\.)+\\d+ port \\d+ ssh2$",
	"\"(GET|POST|PUT|DELETE) /api/v[12]/[a-z]+(/[0-9]+)* HTTP/1\\.[01]\" [45][0-9][0-9] ",
	"level=(error|warn|crit)",
	"user=(root|admin)( |$)",
	"\\[ *\\d+\\.\\d+\\] oom-killer: .*order=[1-9]",
	"latency_ms=([5-9]\\d\\d|\\d\\d\\d\\d+)$",
	"[^ \"]+\\.js\\?v=\\w+ HTTP",
};
#define NPAT (sizeof(patterns) / sizeof(patterns[0]))

enum op { I_CHAR, I_ANY, I_CLASS, I_BOL, I_EOL, I_SPLIT, I_JMP, I_MATCH };

struct insn {
	uint8_t op, c;
	uint16_t x, y; /* SPLIT: x, then y; JMP: x; CLASS: x is the class */
};

struct prog {
	struct insn code[MAX_INSNS];
	uint32_t classes[MAX_CLASSES][8];
	int n, nclasses;
};

/* ---- parsing to a tree ---- */

enum kind { N_CHAR, N_ANY, N_CLASS, N_BOL, N_EOL, N_EMPTY, N_CAT, N_ALT, N_STAR, N_PLUS, N_QUEST };

struct node {
	uint8_t kind, c;
	int16_t a, b; /* operands; for N_CLASS, a is the class */
};

struct parser {
	const char *p;
	struct node nodes[MAX_NODES];
	int n, err;
	struct prog *pg;
};

static int node(struct parser *ps, enum kind k, int a, int b)
{
	if (ps->n == MAX_NODES) {
		ps->err = 1;
		return 0;
	}
	ps->nodes[ps->n] = (struct node){ (uint8_t)k, 0, (int16_t)a, (int16_t)b };
	return ps->n++;
}

static void set_range(uint32_t *cls, int lo, int hi)
{
	for (int c = lo; c <= hi; c++)
		cls[c >> 5] |= 1u << (c & 31);
}

/* \d, \w, \s into cls; 0 if `c` is not one of them. */
static int shorthand(uint32_t *cls, char c)
{
	switch (c) {
	case 'd': set_range(cls, '0', '9'); return 1;
	case 'w':
		set_range(cls, '0', '9');
		set_range(cls, 'a', 'z');
		set_range(cls, 'A', 'Z');
		set_range(cls, '_', '_');
		return 1;
	case 's':
		set_range(cls, ' ', ' ');
		set_range(cls, '\t', '\r');
		return 1;
	}
	return 0;
}

static int new_class(struct parser *ps)
{
	if (ps->pg->nclasses == MAX_CLASSES) {
		ps->err = 1;
		return 0;
	}
	memset(ps->pg->classes[ps->pg->nclasses], 0, sizeof(ps->pg->classes[0]));
	return ps->pg->nclasses++;
}

/* [...] after the '[': members, ranges, shorthands, leading ^. */
static int bracket(struct parser *ps)
{
	int k = new_class(ps), neg = *ps->p == '^';
	uint32_t *cls = ps->pg->classes[k];

	ps->p += neg;
	do {
		int lo = (unsigned char)*ps->p++, hi;

		if (!lo) {
			ps->err = 1;
			return 0;
		}
		if (lo == '\\' && *ps->p) {
			if (shorthand(cls, *ps->p)) {
				ps->p++;
				continue;
			}
			lo = (unsigned char)*ps->p++;
		}
		hi = lo;
		if (ps->p[0] == '-' && ps->p[1] && ps->p[1] != ']') {
			hi = (unsigned char)ps->p[1];
			ps->p += 2;
		}
		set_range(cls, lo, hi);
	} while (*ps->p != ']');
	ps->p++;
	if (neg)
		for (int i = 0; i < 8; i++)
			cls[i] = ~cls[i];
	return node(ps, N_CLASS, k, 0);
}

static int alt(struct parser *ps);

static int atom(struct parser *ps)
{
	char c = *ps->p++;
	int n, k;

	switch (c) {
	case '(':
		n = alt(ps);
		if (*ps->p++ != ')')
			ps->err = 1;
		return n;
	case '[': return bracket(ps);
	case '.': return node(ps, N_ANY, 0, 0);
	case '^': return node(ps, N_BOL, 0, 0);
	case '$': return node(ps, N_EOL, 0, 0);
	case '\\':
		c = *ps->p++;
		if (c == 'd' || c == 'w' || c == 's') {
			k = new_class(ps);
			shorthand(ps->pg->classes[k], c);
			return node(ps, N_CLASS, k, 0);
		}
		if (!c) { /* a lone backslash at the end */
			ps->p--;
			ps->err = 1;
			return 0;
		}
		break;
	case 0:
	case '*':
	case '+':
	case '?':
	case ')':
	case '|':
		ps->err = 1;
		return 0;
	}
	n = node(ps, N_CHAR, 0, 0);
	ps->nodes[n].c = (uint8_t)c;
	return n;
}

static int repeat(struct parser *ps)
{
	int n = atom(ps);

	for (;; ps->p++) {
		if (*ps->p == '*')
			n = node(ps, N_STAR, n, 0);
		else if (*ps->p == '+')
			n = node(ps, N_PLUS, n, 0);
		else if (*ps->p == '?')
			n = node(ps, N_QUEST, n, 0);
		else
			return n;
	}
}

static int cat(struct parser *ps)
{
	int n = node(ps, N_EMPTY, 0, 0);

	while (*ps->p && *ps->p != '|' && *ps->p != ')' && !ps->err)
		n = node(ps, N_CAT, n, repeat(ps));
	return n;
}

static int alt(struct parser *ps)
{
	int n = cat(ps);

	while (*ps->p == '|' && !ps->err) {
		ps->p++;
		n = node(ps, N_ALT, n, cat(ps));
	}
	return n;
}

/* ---- compiling the tree ---- */

static int emit(struct prog *pg, enum op op, int x, int y)
{
	if (pg->n == MAX_INSNS)
		return -1;
	pg->code[pg->n] = (struct insn){ (uint8_t)op, 0, (uint16_t)x, (uint16_t)y };
	return pg->n++;
}

static int gen(struct prog *pg, const struct node *nodes, int i)
{
	const struct node *n = &nodes[i];
	int split, jmp;

	switch (n->kind) {
	case N_CHAR:
		if ((split = emit(pg, I_CHAR, 0, 0)) < 0)
			return -1;
		pg->code[split].c = n->c;
		return 0;
	case N_ANY: return emit(pg, I_ANY, 0, 0) < 0 ? -1 : 0;
	case N_CLASS: return emit(pg, I_CLASS, n->a, 0) < 0 ? -1 : 0;
	case N_BOL: return emit(pg, I_BOL, 0, 0) < 0 ? -1 : 0;
	case N_EOL: return emit(pg, I_EOL, 0, 0) < 0 ? -1 : 0;
	case N_EMPTY: return 0;
	case N_CAT: return gen(pg, nodes, n->a) || gen(pg, nodes, n->b) ? -1 : 0;
	case N_ALT: /* split L1, L2; L1: a; jmp L3; L2: b; L3: */
		if ((split = emit(pg, I_SPLIT, pg->n + 1, 0)) < 0 || gen(pg, nodes, n->a) ||
		    (jmp = emit(pg, I_JMP, 0, 0)) < 0)
			return -1;
		pg->code[split].y = (uint16_t)pg->n;
		if (gen(pg, nodes, n->b))
			return -1;
		pg->code[jmp].x = (uint16_t)pg->n;
		return 0;
	case N_STAR: /* L1: split L2, L3; L2: a; jmp L1; L3: */
		if ((split = emit(pg, I_SPLIT, pg->n + 1, 0)) < 0 || gen(pg, nodes, n->a) ||
		    emit(pg, I_JMP, split, 0) < 0)
			return -1;
		pg->code[split].y = (uint16_t)pg->n;
		return 0;
	case N_PLUS: /* L1: a; split L1, L2; L2: */
		jmp = pg->n;
		if (gen(pg, nodes, n->a) || emit(pg, I_SPLIT, jmp, pg->n + 1) < 0)
			return -1;
		return 0;
	default: /* N_QUEST: split L1, L2; L1: a; L2: */
		if ((split = emit(pg, I_SPLIT, pg->n + 1, 0)) < 0 || gen(pg, nodes, n->a))
			return -1;
		pg->code[split].y = (uint16_t)pg->n;
		return 0;
	}
}

static int compile(struct prog *pg, const char *re)
{
	static struct parser ps;
	int root;

	memset(pg, 0, sizeof(*pg));
	ps.p = re;
	ps.n = ps.err = 0;
	ps.pg = pg;
	root = alt(&ps);
	if (ps.err || *ps.p || gen(pg, ps.nodes, root) || emit(pg, I_MATCH, 0, 0) < 0)
		return -1;
	return 0;
}

/* ---- the Pike VM ---- */

struct list {
	int n;
	uint16_t pc[MAX_INSNS];
};

struct vm {
	const struct prog *pg;
	const uint8_t *s;
	int len;
	uint32_t gen; /* marks[pc] == gen: pc already in the list being built */
	uint32_t marks[MAX_INSNS];
	uint16_t stack[2 * MAX_INSNS + 1]; /* a SPLIT pushes 2, each pc is expanded once */
};

/* Adds pc and everything reachable from it without consuming input, at
 * position i; a SPLIT's first branch goes first (an explicit stack, so
 * the order is depth-first as in a recursive version). */
static void add(struct vm *vm, struct list *l, int pc, int i)
{
	int sp = 0;

	vm->stack[sp++] = (uint16_t)pc;
	while (sp) {
		const struct insn *in;

		pc = vm->stack[--sp];
		if (vm->marks[pc] == vm->gen)
			continue;
		vm->marks[pc] = vm->gen;
		in = &vm->pg->code[pc];
		switch (in->op) {
		case I_JMP: vm->stack[sp++] = in->x; break;
		case I_SPLIT:
			vm->stack[sp++] = in->y;
			vm->stack[sp++] = in->x;
			break;
		case I_BOL:
			if (i == 0)
				vm->stack[sp++] = (uint16_t)(pc + 1);
			break;
		case I_EOL:
			if (i == vm->len)
				vm->stack[sp++] = (uint16_t)(pc + 1);
			break;
		default: l->pc[l->n++] = (uint16_t)pc;
		}
	}
}

static int has(const uint32_t *cls, uint8_t c)
{
	return cls[c >> 5] >> (c & 31) & 1;
}

/* Does the program match anywhere in s? */
static int pike(struct vm *vm, const uint8_t *s, int len)
{
	static struct list lists[2];
	struct list *cur = &lists[0], *next = &lists[1], *t;
	const struct insn *code = vm->pg->code;

	vm->s = s;
	vm->len = len;
	cur->n = 0;
	vm->gen++;
	add(vm, cur, 0, 0);
	for (int i = 0;; i++) {
		next->n = 0;
		vm->gen++;
		for (int k = 0; k < cur->n; k++) {
			const struct insn *in = &code[cur->pc[k]];
			int ok;

			switch (in->op) {
			case I_MATCH: return 1;
			case I_CHAR: ok = i < len && s[i] == in->c; break;
			case I_ANY: ok = i < len; break;
			default: ok = i < len && has(vm->pg->classes[in->x], s[i]);
			}
			if (ok)
				add(vm, next, cur->pc[k] + 1, i + 1);
		}
		if (i == len)
			return 0;
		add(vm, next, 0, i + 1); /* a match may also start at i + 1 */
		t = cur;
		cur = next;
		next = t;
	}
}

/* ---- the backtracking matcher, for the cross-check ---- */

static int backtrack(const struct prog *pg, int pc, const uint8_t *s, int i, int len)
{
	for (;;) {
		const struct insn *in = &pg->code[pc];

		switch (in->op) {
		case I_MATCH: return 1;
		case I_CHAR:
			if (i == len || s[i] != in->c)
				return 0;
			pc++, i++;
			break;
		case I_ANY:
			if (i == len)
				return 0;
			pc++, i++;
			break;
		case I_CLASS:
			if (i == len || !has(pg->classes[in->x], s[i]))
				return 0;
			pc++, i++;
			break;
		case I_BOL:
			if (i)
				return 0;
			pc++;
			break;
		case I_EOL:
			if (i != len)
				return 0;
			pc++;
			break;
		case I_JMP: pc = in->x; break;
		default:
			if (backtrack(pg, in->x, s, i, len))
				return 1;
			pc = in->y;
		}
	}
}

static int backtrack_search(const struct prog *pg, const uint8_t *s, int len)
{
	for (int i = 0; i <= len; i++)
		if (backtrack(pg, 0, s, i, len))
			return 1;
	return 0;
}

/* ---- log lines ---- */

struct lines {
	uint8_t text[NLINES][LINE_MAX];
	int len[NLINES];
};

static void gen_line(char *o, uint64_t *seed, int i)
{
	static const char *const users[] = { "root", "admin", "deploy", "alice", "bob_2", "git" };
	static const char *const methods[] = { "GET", "POST", "PUT", "DELETE", "HEAD" };
	static const char *const paths[] = { "/api/v1/items/", "/api/v2/users/", "/api/v1/orders/",
					     "/static/app", "/healthz", "/api/v3/x/" };
	static const char *const levels[] = { "debug", "info", "warn", "error", "crit" };
	uint64_t r = bench_rand(seed), q = bench_rand(seed); /* no calls in arguments: their order */
	unsigned a = (unsigned)(r >> 8), b = (unsigned)(r >> 24), c = (unsigned)(r >> 40);
	const char *user = users[q % 6];
	int n = sprintf(o, "2026-12-%02dT%02d:%02d:%02uZ host-%u ", 1 + i % 28, i / 60 % 24,
			i % 60, a % 60, b % 40);

	switch (r % 5) {
	case 0:
		sprintf(o + n, "sshd[%u]: Failed password for %s%s from %u.%u.%u.%u port %u ssh2%s",
			a % 65536, r >> 5 & 1 ? "invalid user " : "", user, a & 255,
			b & 255, c & 255, a >> 8 & 255, c % 65536, r >> 6 & 1 ? "" : " [preauth]");
		break;
	case 1:
		sprintf(o + n, "sshd[%u]: Accepted publickey for %s from 10.%u.%u.%u port %u ssh2",
			a % 65536, user, a & 255, b & 255, c & 255, c % 65536);
		break;
	case 2:
		sprintf(o + n, "nginx[%u]: 10.0.%u.%u - - \"%s %s%u%s HTTP/1.%u\" %u %u", a % 4096,
			b & 255, c & 255, methods[(q >> 8) % 5], paths[(q >> 16) % 6], c % 1000,
			r >> 5 & 1 ? ".js?v=3a" : "", (unsigned)(r >> 6 & 1),
			(unsigned[]){ 200, 201, 304, 404, 500, 503 }[b % 6], c % 100000);
		break;
	case 3:
		sprintf(o + n, "kernel: [%5u.%06u] oom-killer: gfp_mask=0x%x, order=%u, oom_score_adj=%d",
			a % 100000, b % 1000000, c & 0xfffff, (unsigned)(r >> 5) % 4,
			(int)(c % 2001) - 1000);
		break;
	default:
		sprintf(o + n, "app[%u]: level=%s msg=\"request done\" user=%s latency_ms=%u",
			a % 65536, levels[(q >> 8) % 5], user,
			(unsigned)(q >> (50 + r % 14)));
	}
}

static uint64_t filter(const struct prog *progs, const struct lines *ln)
{
	static struct vm vm;
	uint64_t h = BENCH_MIX_INIT;

	for (size_t p = 0; p < NPAT; p++) {
		uint64_t count = 0;

		vm.pg = &progs[p];
		for (int i = 0; i < NLINES; i++)
			if (pike(&vm, ln->text[i], ln->len[i])) {
				h = bench_mix(h, p << 16 | (uint64_t)i);
				count++;
			}
		h = bench_mix(h, count);
	}
	return h;
}

/* Each pattern matches some lines and not all, and both matchers agree
 * on every line. */
static int cross_check(const struct prog *progs, const struct lines *ln)
{
	static struct vm vm;

	for (size_t p = 0; p < NPAT; p++) {
		int count = 0;

		vm.pg = &progs[p];
		for (int i = 0; i < NLINES; i++) {
			int m = pike(&vm, ln->text[i], ln->len[i]);

			if (m != backtrack_search(&progs[p], ln->text[i], ln->len[i]))
				return -1;
			count += m;
		}
		if (count == 0 || count == NLINES)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct prog progs[NPAT];
	static struct lines ln;
	struct bench b;
	uint64_t seed = 0x4e6a;

	bench_begin(&b, "regex", argc, argv, 80);
	for (size_t p = 0; p < NPAT; p++)
		if (compile(&progs[p], patterns[p]))
			bench_fail(&b, "a pattern does not compile");
	for (int i = 0; i < NLINES; i++) {
		gen_line((char *)ln.text[i], &seed, i);
		ln.len[i] = (int)strlen((char *)ln.text[i]);
	}
	if (!b.failed && cross_check(progs, &ln))
		bench_fail(&b, "the Pike VM and the backtracker disagree, or a pattern is trivial");
	bench_start(&b);
	for (long r = 0; r < b.reps; r++)
		bench_rep(&b, filter(bench_opaque_ptr(progs), &ln));
	return bench_end(&b, EXPECTED);
}
