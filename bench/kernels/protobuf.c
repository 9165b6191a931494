/* SPDX-License-Identifier: MIT */
/* Protocol Buffers decoder: about 256 KiB of generated wire-format events
 * (varints up to 10 bytes, zigzag, fixed32/64, strings, nested messages,
 * repeated messages, packed and unpacked repeated scalars, unknown fields
 * to skip), decoded with bounds checks on every read into a struct per
 * event whose fields are folded into the checksum. Every decoded event is
 * compared with the one the generator encoded.
 *
 * The schema, in .proto terms:
 *   message Batch { repeated Event events = 1; }
 *   message Event { uint64 ts = 1; sint32 delta = 2; string comm = 3;
 *                   Proc proc = 4; repeated uint32 args = 5;
 *                   fixed64 cookie = 6; fixed32 flags = 7;
 *                   repeated Label labels = 8; bool ok = 9;
 *                   repeated sint64 samples = 10; }
 *   message Proc  { uint32 pid = 1; uint32 tgid = 2; string path = 3;
 *                   sint64 nice = 4; int32 cpu = 5; }
 *   message Label { string key = 1; string value = 2; }
 * plus unknown fields 20-23, one of each wire type. */
#include "bench.h"

#include <stddef.h>
#include <string.h>

#define BUF_MAX (256u << 10)
#define MAX_EVENTS 2048
#define MAX_ARGS 12
#define MAX_LABELS 4
#define MAX_SAMPLES 8
#define EXPECTED 0x22f0d31836e84d91ull

enum wire { W_VARINT = 0, W_I64 = 1, W_LEN = 2, W_I32 = 5 };

struct str {
	const uint8_t *p;
	uint32_t n;
};

struct proc {
	uint32_t pid, tgid;
	struct str path;
	int64_t nice;
	int32_t cpu;
};

struct event {
	uint64_t ts;
	int32_t delta;
	struct str comm;
	struct proc proc;
	uint32_t nargs, nlabels, nsamples;
	uint64_t cookie;
	uint32_t flags;
	int ok;
	/* Only the first nargs, nlabels, nsamples are set. */
	uint32_t args[MAX_ARGS];
	struct str labels[MAX_LABELS][2];
	int64_t samples[MAX_SAMPLES];
};

struct rd {
	const uint8_t *p, *end;
	int err;
};

static uint8_t buf[BUF_MAX + 4096];
static struct event src[MAX_EVENTS];
static char strings[MAX_EVENTS * 256];

/* ---- the decoder ---- */

static uint64_t varint(struct rd *r)
{
	uint64_t v = 0;

	if (r->p < r->end && *r->p < 0x80)
		return *r->p++;
	for (int shift = 0; shift < 64 && r->p < r->end; shift += 7) {
		uint8_t b = *r->p++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	r->err = 1;
	return 0;
}

static uint64_t fixed(struct rd *r, int bytes)
{
	uint64_t v = 0;

	if (r->end - r->p < bytes) {
		r->err = 1;
		return 0;
	}
	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | r->p[i];
	r->p += bytes;
	return v;
}

/* The length-delimited payload at r->p, as a reader of its own. */
static struct rd sub(struct rd *r)
{
	uint64_t n = varint(r);
	struct rd s = { r->p, r->p, 0 };

	if (r->err || n > (uint64_t)(r->end - r->p)) {
		r->err = 1;
		return s;
	}
	s.end = r->p + n;
	r->p += n;
	return s;
}

static struct str string(struct rd *r)
{
	struct rd s = sub(r);

	return (struct str){ s.p, (uint32_t)(s.end - s.p) };
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static void skip(struct rd *r, unsigned wire)
{
	switch (wire) {
	case W_VARINT: varint(r); break;
	case W_I64: fixed(r, 8); break;
	case W_LEN: sub(r); break;
	case W_I32: fixed(r, 4); break;
	default: r->err = 1; /* groups are not supported */
	}
}

/* Reads the next tag; 0 at the end of the message or on an error. */
static uint32_t tag(struct rd *r, unsigned *wire)
{
	uint64_t t;

	if (r->p >= r->end || r->err)
		return 0;
	t = varint(r);
	*wire = t & 7;
	if (t >> 3 == 0 || t >> 32)
		r->err = 1;
	return r->err ? 0 : (uint32_t)(t >> 3);
}

static void decode_proc(struct rd r, struct proc *p, int *err)
{
	unsigned wire;

	memset(p, 0, sizeof(*p));
	for (uint32_t f; (f = tag(&r, &wire));) {
		if (f == 1 && wire == W_VARINT)
			p->pid = (uint32_t)varint(&r);
		else if (f == 2 && wire == W_VARINT)
			p->tgid = (uint32_t)varint(&r);
		else if (f == 3 && wire == W_LEN)
			p->path = string(&r);
		else if (f == 4 && wire == W_VARINT)
			p->nice = unzigzag(varint(&r));
		else if (f == 5 && wire == W_VARINT)
			p->cpu = (int32_t)varint(&r);
		else
			skip(&r, wire);
	}
	*err |= r.err;
}

static void decode_label(struct rd r, struct str kv[2], int *err)
{
	unsigned wire;

	kv[0] = kv[1] = (struct str){ NULL, 0 };
	for (uint32_t f; (f = tag(&r, &wire));) {
		if ((f == 1 || f == 2) && wire == W_LEN)
			kv[f - 1] = string(&r);
		else
			skip(&r, wire);
	}
	*err |= r.err;
}

/* A repeated scalar field: packed (one length-delimited run of varints)
 * or not (one varint per tag); a decoder must accept both. */
static void repeated(struct rd *r, unsigned wire, uint64_t *out, uint32_t *n, uint32_t max)
{
	int one = wire == W_VARINT;
	struct rd s = one ? *r : sub(r);

	while ((one || s.p < s.end) && !s.err) {
		if (*n == max) {
			r->err = 1;
			return;
		}
		out[(*n)++] = varint(&s);
		if (one)
			break;
	}
	if (one)
		r->p = s.p;
	r->err |= s.err;
}

static int decode_event(struct rd r, struct event *e)
{
	uint64_t vals[MAX_ARGS > MAX_SAMPLES ? MAX_ARGS : MAX_SAMPLES];
	unsigned wire;
	int err = 0;

	memset(e, 0, offsetof(struct event, args));
	for (uint32_t f; (f = tag(&r, &wire));) {
		uint32_t n;

		switch (f << 3 | wire) {
		case 1 << 3 | W_VARINT: e->ts = varint(&r); break;
		case 2 << 3 | W_VARINT: e->delta = (int32_t)unzigzag(varint(&r)); break;
		case 3 << 3 | W_LEN: e->comm = string(&r); break;
		case 4 << 3 | W_LEN: decode_proc(sub(&r), &e->proc, &err); break;
		case 5 << 3 | W_VARINT:
		case 5 << 3 | W_LEN:
			n = 0;
			repeated(&r, wire, vals, &n, MAX_ARGS - e->nargs);
			for (uint32_t i = 0; i < n; i++)
				e->args[e->nargs++] = (uint32_t)vals[i];
			break;
		case 6 << 3 | W_I64: e->cookie = fixed(&r, 8); break;
		case 7 << 3 | W_I32: e->flags = (uint32_t)fixed(&r, 4); break;
		case 8 << 3 | W_LEN:
			if (e->nlabels == MAX_LABELS)
				return -1;
			decode_label(sub(&r), e->labels[e->nlabels++], &err);
			break;
		case 9 << 3 | W_VARINT: e->ok = varint(&r) != 0; break;
		case 10 << 3 | W_VARINT:
		case 10 << 3 | W_LEN:
			n = 0;
			repeated(&r, wire, vals, &n, MAX_SAMPLES - e->nsamples);
			for (uint32_t i = 0; i < n; i++)
				e->samples[e->nsamples++] = unzigzag(vals[i]);
			break;
		default: skip(&r, wire);
		}
	}
	return r.err || err ? -1 : 0;
}

static uint64_t mix_str(uint64_t h, struct str s)
{
	return bench_mix_bytes(h, s.p, s.n);
}

/* A plugin's use of an event: every field folded into the checksum. */
static uint64_t fold(uint64_t h, const struct event *e)
{
	uint64_t args = 0, samples = 0;

	h = bench_mix(h, e->ts);
	h = bench_mix(h, (uint64_t)(int64_t)e->delta);
	h = mix_str(h, e->comm);
	h = bench_mix(h, (uint64_t)e->proc.pid << 32 | e->proc.tgid);
	h = mix_str(h, e->proc.path);
	h = bench_mix(h, (uint64_t)e->proc.nice ^ (uint64_t)(int64_t)e->proc.cpu << 8);
	for (uint32_t i = 0; i < e->nargs; i++)
		args = args * 31 + e->args[i];
	for (uint32_t i = 0; i < e->nsamples; i++)
		samples = samples * 31 + (uint64_t)e->samples[i];
	h = bench_mix(h, args ^ (uint64_t)e->nargs << 60);
	h = bench_mix(h, samples ^ (uint64_t)e->nsamples << 60);
	h = bench_mix(h, e->cookie ^ e->flags ^ (uint64_t)e->ok << 63);
	for (uint32_t i = 0; i < e->nlabels; i++)
		h = mix_str(mix_str(h, e->labels[i][0]), e->labels[i][1]);
	return h;
}

/* Decodes the batch; each event goes to `check` (if any) and the checksum.
 * Returns 0 on a malformed batch. */
static uint64_t decode_batch(const uint8_t *p, size_t n, int (*check)(uint32_t, const struct event *))
{
	struct rd r = { p, p + n, 0 };
	uint64_t h = BENCH_MIX_INIT;
	struct event e;
	uint32_t count = 0;
	unsigned wire;

	for (uint32_t f; (f = tag(&r, &wire));) {
		if (f != 1 || wire != W_LEN) {
			skip(&r, wire);
			continue;
		}
		if (decode_event(sub(&r), &e) || (check && check(count, &e)))
			return 0;
		h = fold(h, &e);
		count++;
	}
	return r.err ? 0 : bench_mix(h, count);
}

/* ---- the generator and encoder ---- */

static int same_str(struct str a, struct str b)
{
	return a.n == b.n && (!a.n || !memcmp(a.p, b.p, a.n));
}

static uint32_t nsrc;

static int differs(uint32_t i, const struct event *e)
{
	const struct event *s = &src[i];
	int bad = i >= nsrc;

	bad = bad || e->ts != s->ts || e->delta != s->delta || !same_str(e->comm, s->comm);
	bad = bad || e->proc.pid != s->proc.pid || e->proc.tgid != s->proc.tgid;
	bad = bad || !same_str(e->proc.path, s->proc.path) || e->proc.nice != s->proc.nice;
	bad = bad || e->proc.cpu != s->proc.cpu || e->cookie != s->cookie || e->flags != s->flags;
	bad = bad || e->ok != s->ok || e->nargs != s->nargs || e->nlabels != s->nlabels;
	bad = bad || e->nsamples != s->nsamples;
	bad = bad || memcmp(e->args, s->args, sizeof(e->args[0]) * e->nargs);
	bad = bad || memcmp(e->samples, s->samples, sizeof(e->samples[0]) * e->nsamples);
	for (uint32_t k = 0; !bad && k < e->nlabels; k++)
		bad = !same_str(e->labels[k][0], s->labels[k][0]) ||
		      !same_str(e->labels[k][1], s->labels[k][1]);
	return bad;
}

struct wr {
	uint8_t *p;
};

static void put_varint(struct wr *w, uint64_t v)
{
	while (v >= 0x80) {
		*w->p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*w->p++ = (uint8_t)v;
}

static void put_tag(struct wr *w, uint32_t field, enum wire wire)
{
	put_varint(w, (uint64_t)field << 3 | wire);
}

static uint64_t zigzag(int64_t v)
{
	return (uint64_t)v << 1 ^ (uint64_t)(v >> 63);
}

static void put_fixed(struct wr *w, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++, v >>= 8)
		*w->p++ = (uint8_t)v;
}

static void put_bytes(struct wr *w, uint32_t field, const void *p, size_t n)
{
	put_tag(w, field, W_LEN);
	put_varint(w, n);
	memcpy(w->p, p, n);
	w->p += n;
}

static void put_str(struct wr *w, uint32_t field, struct str s)
{
	put_bytes(w, field, s.p, s.n);
}

/* A repeated scalar, packed or one tag per value. */
static void put_repeated(struct wr *w, uint32_t field, const uint64_t *v, uint32_t n, int packed)
{
	uint8_t tmp[MAX_SAMPLES * 10 + MAX_ARGS * 10];
	struct wr t = { tmp };

	for (uint32_t i = 0; i < n; i++) {
		if (packed) {
			put_varint(&t, v[i]);
		} else {
			put_tag(w, field, W_VARINT);
			put_varint(w, v[i]);
		}
	}
	if (packed && n)
		put_bytes(w, field, tmp, (size_t)(t.p - tmp));
}

static void put_unknown(struct wr *w, uint64_t r)
{
	put_tag(w, 20 + (uint32_t)(r & 3), (enum wire[]){ W_VARINT, W_LEN, W_I32, W_I64 }[r & 3]);
	switch (r & 3) {
	case 0: put_varint(w, r >> 3); break;
	case 1: put_varint(w, 5); memcpy(w->p, "skip!", 5); w->p += 5; break;
	case 2: put_fixed(w, r, 4); break;
	default: put_fixed(w, r, 8);
	}
}

static void encode_event(struct wr *w, const struct event *e, uint64_t r)
{
	uint8_t tmp[512];
	struct wr t = { tmp };
	uint64_t vals[MAX_ARGS];

	if (r & 1)
		put_unknown(w, r >> 20);
	if (e->ts) {
		put_tag(w, 1, W_VARINT);
		put_varint(w, e->ts);
	}
	put_tag(w, 2, W_VARINT);
	put_varint(w, zigzag(e->delta));
	put_str(w, 3, e->comm);
	put_tag(&t, 1, W_VARINT);
	put_varint(&t, e->proc.pid);
	put_tag(&t, 2, W_VARINT);
	put_varint(&t, e->proc.tgid);
	put_str(&t, 3, e->proc.path);
	put_tag(&t, 4, W_VARINT);
	put_varint(&t, zigzag(e->proc.nice));
	put_tag(&t, 5, W_VARINT);
	put_varint(&t, (uint64_t)(int64_t)e->proc.cpu); /* negative: 10 bytes */
	put_bytes(w, 4, tmp, (size_t)(t.p - tmp));
	for (uint32_t i = 0; i < e->nargs; i++)
		vals[i] = e->args[i];
	put_repeated(w, 5, vals, e->nargs, r >> 1 & 1);
	put_tag(w, 6, W_I64);
	put_fixed(w, e->cookie, 8);
	put_tag(w, 7, W_I32);
	put_fixed(w, e->flags, 4);
	for (uint32_t i = 0; i < e->nlabels; i++) {
		t.p = tmp;
		put_str(&t, 1, e->labels[i][0]);
		put_str(&t, 2, e->labels[i][1]);
		put_bytes(w, 8, tmp, (size_t)(t.p - tmp));
	}
	if (r & 4)
		put_unknown(w, r >> 30);
	put_tag(w, 9, W_VARINT);
	put_varint(w, (uint64_t)e->ok);
	for (uint32_t i = 0; i < e->nsamples; i++)
		vals[i] = zigzag(e->samples[i]);
	put_repeated(w, 10, vals, e->nsamples, !(r >> 3 & 1) || e->nsamples > 4);
}

static struct str new_str(char **pool, const char *a, const char *b)
{
	struct str s = { (const uint8_t *)*pool, 0 };

	s.n = (uint32_t)sprintf(*pool, "%s%s", a, b);
	*pool += s.n + 1;
	return s;
}

/* A value of 1 to 64 significant bits, so varints of every length occur. */
static uint64_t any_width(uint64_t *seed)
{
	uint64_t r = bench_rand(seed);

	return r >> (bench_rand(seed) % 64);
}

static void gen_event(struct event *e, uint64_t *seed, uint64_t ts, char **pool)
{
	static const char *const comms[] = { "bash", "nginx", "sshd", "python3", "kworker/0:1",
					     "containerd-shim", "node", "postgres" };
	static const char *const lkeys[] = { "pod", "namespace", "container", "node" };
	static const char *const lvals[] = { "default", "kube-system", "web-7f9c", "db-0", "" };
	uint64_t r = bench_rand(seed);
	const char *comm = comms[r % 8];

	memset(e, 0, sizeof(*e));
	e->ts = ts;
	e->delta = (int32_t)(any_width(seed) >> 33) * ((r >> 3 & 1) ? -1 : 1);
	e->comm = new_str(pool, comm, "");
	e->proc.pid = (uint32_t)(r >> 8) % 4194304;
	e->proc.tgid = r >> 30 & 1 ? e->proc.pid : (uint32_t)(r >> 31) % 4194304;
	e->proc.path = new_str(pool, r >> 52 & 1 ? "/usr/bin/" : "/usr/local/sbin/", comm);
	e->proc.nice = (int64_t)(r >> 53 & 31) - 20;
	e->proc.cpu = r >> 58 & 1 ? -1 : (int32_t)(r >> 59);
	e->nargs = (uint32_t)(bench_rand(seed) % (MAX_ARGS + 1));
	for (uint32_t i = 0; i < e->nargs; i++)
		e->args[i] = (uint32_t)any_width(seed);
	e->cookie = bench_rand(seed);
	e->flags = (uint32_t)bench_rand(seed);
	e->nlabels = (uint32_t)(r >> 4 & 3) + (r >> 6 & 1);
	for (uint32_t i = 0; i < e->nlabels; i++) {
		uint64_t q = bench_rand(seed);

		e->labels[i][0] = new_str(pool, lkeys[q % 4], "");
		e->labels[i][1] = new_str(pool, lvals[(q >> 8) % 5], q >> 16 & 1 ? "-x" : "");
	}
	e->ok = r >> 7 & 1;
	e->nsamples = (uint32_t)(bench_rand(seed) % (MAX_SAMPLES + 1));
	for (uint32_t i = 0; i < e->nsamples; i++)
		e->samples[i] = (int64_t)(any_width(seed) >> 1) * ((i & 1) ? -1 : 1);
}

/* Events, each a length-delimited field 1 of the batch, until the buffer
 * is full; returns the batch's length. */
static size_t generate(uint64_t seed)
{
	struct wr w = { buf };
	char *pool = strings;
	uint64_t ts = 1700000000000000000ull;
	uint8_t tmp[2048];

	while (w.p < buf + BUF_MAX && nsrc < MAX_EVENTS) {
		struct wr t = { tmp };

		ts += bench_rand(&seed) % 100000;
		gen_event(&src[nsrc], &seed, nsrc % 97 ? ts : 0, &pool);
		encode_event(&t, &src[nsrc], bench_rand(&seed));
		put_bytes(&w, 1, tmp, (size_t)(t.p - tmp));
		nsrc++;
	}
	return (size_t)(w.p - buf);
}

int main(int argc, char **argv)
{
	struct bench b;
	size_t n = generate(0x9b0f);

	bench_begin(&b, "protobuf", argc, argv, 560);
	if (nsrc == MAX_EVENTS || !decode_batch(buf, n, differs))
		bench_fail(&b, "decoded events differ from the encoded ones");
	bench_start(&b);
	for (long r = 0; r < b.reps; r++)
		bench_rep(&b, decode_batch(bench_opaque_ptr(buf), n, NULL));
	return bench_end(&b, EXPECTED);
}
