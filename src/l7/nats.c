// SPDX-License-Identifier: MIT
/*
 * NATS (the client protocol of nats-server), built in as DeepFlow has it,
 * and with it the source of DeepFlow's custom messages: every PUB, HPUB,
 * MSG and HMSG is offered to the plugins' on_custom_message hook as a
 * NatsMessage protobuf {1 subject, 2 reply_to, 3 payload} of type code 104
 * at hook point 0 (protocol parse), and what a plugin answers (attributes,
 * a protocol name) goes into the message's record.
 *
 * One record per protocol message, as DeepFlow logs them: PUB, HPUB, SUB,
 * UNSUB, MSG, HMSG, +OK and -ERR stand alone; PING pairs with PONG, and
 * the server's INFO with the client's CONNECT. The verb is the request
 * type, the subject the resource, its first token the endpoint.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "l7/internal.h"

#define NATS_HOOK_POINT 0 /* protocol parse */

enum verb { INFO, CONNECT, PUB, HPUB, SUB, UNSUB, MSG, HMSG, PING, PONG, OK, ERR, NVERBS };

static const struct {
	const char *word, *name;
	enum l7_msg_type type;
	uint8_t args; /* what the line holds after the verb */
} verbs[NVERBS] = {
	[INFO] = { "INFO", "INFO", L7_MSG_REQUEST, 'j' },
	[CONNECT] = { "CONNECT", "CONNECT", L7_MSG_RESPONSE, 'j' },
	[PUB] = { "PUB", "PUB", WBPF_L7_MSG_SESSION, 'p' },
	[HPUB] = { "HPUB", "HPUB", WBPF_L7_MSG_SESSION, 'h' },
	[SUB] = { "SUB", "SUB", WBPF_L7_MSG_SESSION, 's' },
	[UNSUB] = { "UNSUB", "UNSUB", WBPF_L7_MSG_SESSION, 'u' },
	[MSG] = { "MSG", "MSG", WBPF_L7_MSG_SESSION, 'm' },
	[HMSG] = { "HMSG", "HMSG", WBPF_L7_MSG_SESSION, 'n' },
	[PING] = { "PING", "PING", L7_MSG_REQUEST, 0 },
	[PONG] = { "PONG", "PONG", L7_MSG_RESPONSE, 0 },
	[OK] = { "+OK", "OK", WBPF_L7_MSG_SESSION, 0 },
	[ERR] = { "-ERR", "ERR", WBPF_L7_MSG_SESSION, 'e' },
};

/* One protocol message: its control line split into words, and where the
 * payload (PUB and MSG kinds) lies. */
struct nats_msg {
	enum verb verb;
	const uint8_t *word[5];
	uint32_t word_len[5];
	unsigned nwords;
	const uint8_t *line; /* after the verb */
	uint32_t line_len;
	const uint8_t *payload; /* headers included, for HPUB/HMSG */
	uint32_t payload_len, hdr_len, total; /* total: the message's bytes */
};

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static int find_verb(const uint8_t *p, uint32_t n, uint32_t *len)
{
	for (int v = 0; v < NVERBS; v++) {
		size_t k = strlen(verbs[v].word);

		if (n > k && !strncasecmp((const char *)p, verbs[v].word, k) &&
		    (is_space(p[k]) || p[k] == '\r')) {
			*len = (uint32_t)k;
			return v;
		}
	}
	return -1;
}

static bool number(const uint8_t *p, uint32_t n, uint32_t *v)
{
	uint64_t x = 0;

	if (!n || n > 9)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(p[i] - '0');
	}
	*v = (uint32_t)x;
	return true;
}

/* The words the verb takes, and the payload size if it has one. */
static bool words_fit(struct nats_msg *m)
{
	uint32_t *hdr = &m->hdr_len;

	switch (verbs[m->verb].args) {
	case 'p': /* PUB subject [reply-to] size */
		return (m->nwords == 2 || m->nwords == 3) &&
		       number(m->word[m->nwords - 1], m->word_len[m->nwords - 1], &m->payload_len);
	case 'h': /* HPUB subject [reply-to] header-size total-size */
	case 'm': /* MSG subject sid [reply-to] size */
		if (m->nwords < 3 || m->nwords > 4)
			return false;
		return verbs[m->verb].args == 'm'
			       ? number(m->word[m->nwords - 1], m->word_len[m->nwords - 1],
					&m->payload_len)
			       : number(m->word[m->nwords - 2], m->word_len[m->nwords - 2], hdr) &&
					 number(m->word[m->nwords - 1], m->word_len[m->nwords - 1],
						&m->payload_len) && *hdr <= m->payload_len;
	case 'n': /* HMSG subject sid [reply-to] header-size total-size */
		return (m->nwords == 4 || m->nwords == 5) &&
		       number(m->word[m->nwords - 2], m->word_len[m->nwords - 2], hdr) &&
		       number(m->word[m->nwords - 1], m->word_len[m->nwords - 1], &m->payload_len) &&
		       *hdr <= m->payload_len;
	case 's': /* SUB subject [queue] sid */
		return m->nwords == 2 || m->nwords == 3;
	case 'u': /* UNSUB sid [max] */
		return m->nwords == 1 || m->nwords == 2;
	case 'j': /* INFO / CONNECT {json} */
		return m->line_len && m->line[0] == '{';
	case 'e':
		return true;
	default:
		return m->nwords == 0;
	}
}

static bool has_payload(enum verb v)
{
	return v == PUB || v == HPUB || v == MSG || v == HMSG;
}

/* 1: one whole message at p; 0: incomplete; -1: not NATS. */
static int nats_read(const uint8_t *p, uint32_t n, struct nats_msg *m)
{
	const uint8_t *eol = memmem(p, n, "\r\n", 2);
	uint32_t vlen, line_end, i;
	int v = find_verb(p, n, &vlen);

	memset(m, 0, sizeof(*m));
	if (v < 0)
		return -1;
	if (!eol)
		return n > 4096 ? -1 : 0;
	m->verb = (enum verb)v;
	line_end = (uint32_t)(eol - p);
	for (i = vlen; i < line_end && is_space(p[i]); i++)
		;
	m->line = p + i;
	m->line_len = line_end - i;
	while (i < line_end && m->nwords < 5) {
		uint32_t s = i;

		while (i < line_end && !is_space(p[i]))
			i++;
		m->word[m->nwords] = p + s;
		m->word_len[m->nwords++] = i - s;
		while (i < line_end && is_space(p[i]))
			i++;
	}
	if (i < line_end && verbs[v].args != 'j' && verbs[v].args != 'e')
		return -1; /* more words than any verb takes */
	if (!words_fit(m))
		return -1;
	m->total = line_end + 2;
	if (has_payload(m->verb)) {
		if ((uint64_t)m->total + m->payload_len + 2 > n)
			return 0;
		m->payload = p + m->total;
		m->total += m->payload_len + 2;
		if (memcmp(p + m->total - 2, "\r\n", 2))
			return -1;
	}
	return 1;
}

static int nats_check(void *self, const struct l7_msg *m, enum l7_direction *dir)
{
	struct nats_msg nm;

	(void)self;
	if (m->tuple.l4 != IPPROTO_TCP || nats_read(m->payload, m->len, &nm) != 1)
		return 0;
	/* the server speaks first (INFO) and alone sends MSG, PONG to a client PING */
	*dir = nm.verb == INFO || nm.verb == MSG || nm.verb == HMSG || nm.verb == OK ||
			       nm.verb == ERR
		       ? L7_S2C
		       : m->dir;
	return L7_PROTO_NATS;
}

/* ------------------------------------------------- the custom message */

static size_t pb_field(uint8_t *out, size_t o, unsigned field, const uint8_t *s, uint32_t len)
{
	if (!len)
		return o; /* proto3: an empty field is not written */
	out[o++] = (uint8_t)(field << 3 | 2);
	for (uint32_t v = len; ; v >>= 7) {
		out[o++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		if (v <= 0x7f)
			break;
	}
	memcpy(out + o, s, len);
	return o + len;
}

/* NatsMessage {1 subject, 2 reply_to, 3 payload} to the plugins; the
 * payload without the headers of HPUB and HMSG, as DeepFlow sends it. */
static void custom_message(struct l7_http_self *hs, const struct l7_msg *lm,
			   const struct nats_msg *m, struct wbpf_l7_info *info)
{
	/* reply-to is the word before the size(s), when there is one more */
	unsigned fixed = m->verb == PUB ? 2 : m->verb == MSG || m->verb == HPUB ? 3 : 4;
	unsigned reply = m->nwords > fixed ? (m->verb == PUB || m->verb == HPUB ? 1 : 2) : 0;
	size_t cap = 32 + m->word_len[0] + (reply ? m->word_len[reply] : 0) + m->payload_len, o;
	uint8_t *pb = malloc(cap);
	struct l7_custom_msg cm = { .hook_point = NATS_HOOK_POINT, .type_code = L7_PROTO_NATS };

	if (!pb)
		return;
	o = pb_field(pb, 0, 1, m->word[0], m->word_len[0]);
	if (reply)
		o = pb_field(pb, o, 2, m->word[reply], m->word_len[reply]);
	o = pb_field(pb, o, 3, m->payload + m->hdr_len, m->payload_len - m->hdr_len);
	cm.pb = pb;
	cm.pb_len = (uint32_t)o;
	for (unsigned i = 0; i < hs->n_hooks; i++)
		if (hs->hooks[i].on_custom && hs->hooks[i].on_custom(hs->hooks[i].self, lm, &cm, info) < 0)
			(*hs->failures)++;
	free(pb);
}

/* ------------------------------------------------------------ records */

static void fill(struct wbpf_l7_info *out, const struct nats_msg *m)
{
	const char *name = verbs[m->verb].name;

	l7_info__init(out, verbs[m->verb].type);
	out->protocol = L7_PROTO_NATS;
	l7_info__set_str(out->request_type, sizeof(out->request_type), name, strlen(name));
	if (verbs[m->verb].type != L7_MSG_REQUEST)
		out->response_status = L7_STATUS_OK;
	if (m->verb == ERR) {
		l7_info__set_str(out->response_exception, sizeof(out->response_exception),
				 (const char *)m->line, m->line_len);
		out->response_status = L7_STATUS_SERVER_ERROR;
	}
	if (m->nwords && verbs[m->verb].args && strchr("phsmn", verbs[m->verb].args)) {
		const uint8_t *dot = memchr(m->word[0], '.', m->word_len[0]);

		l7_info__set_str(out->request_resource, sizeof(out->request_resource),
				 (const char *)m->word[0], m->word_len[0]);
		l7_info__set_str(out->endpoint, sizeof(out->endpoint), (const char *)m->word[0],
				 dot ? (size_t)(dot - m->word[0]) : m->word_len[0]);
	}
	if (verbs[m->verb].type == L7_MSG_RESPONSE)
		out->resp_len = m->total;
	else
		out->req_len = m->total;
	out->msg_end = m->total;
}

static int nats_parse(void *self, const struct l7_msg *lm, struct wbpf_l7_info *out, int max)
{
	struct nats_msg m;
	int r;

	if (max < 1)
		return -ENOSPC;
	r = nats_read(lm->payload, lm->len, &m);
	if (r <= 0)
		return r < 0 || lm->truncated ? -EINVAL : -EAGAIN;
	fill(out, &m);
	if (has_payload(m.verb))
		custom_message(self, lm, &m, out);
	return 1;
}

const struct wbpf_l7_parser l7_nats_parser = {
	.name = "nats",
	.check = nats_check,
	.parse = nats_parse,
};
