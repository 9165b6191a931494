// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the socket source's way into the L7 pipeline
 * (wbpf_l7_pipeline__feed_sock, src/l7/sock_flow.c): records of any processes'
 * payloads, in any order, with byte counts beyond what was captured (gaps),
 * roles, closes, TLS and syscall records of one socket, UDP and TCP, on
 * small limits so that eviction and the message size limit are reached.
 *
 * An input is a sequence of records: an 8-byte header
 *   [0] socket (low 3 bits) | egress 0x08 | close 0x10 | UDP 0x20 | TLS 0x40
 *   [1] role (mod 3)  [2] server port low byte  [3] payload length
 *   [4..7] bytes moved beyond the payload (little endian, capped)
 * then the payload.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "wbpf/l7.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_record(void *ctx, const struct wbpf_l7_record *r)
{
	char buf[4096];

	(void)ctx;
	wbpf_l7_record__format_json(r, buf, sizeof(buf));
}

static void record_of(const uint8_t *h, const uint8_t *payload, uint64_t t,
		      struct wbpf_l7_sock_data *d)
{
	uint32_t extra = (uint32_t)h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 |
			 (uint32_t)(h[7] & 0x0f) << 24;

	memset(d, 0, sizeof(*d));
	d->sock = 0x1000u + (h[0] & 7u) * 64u;
	d->time_us = t;
	d->family = 4;
	d->l4 = (h[0] & 0x20) ? IPPROTO_UDP : IPPROTO_TCP;
	d->lport = (h[0] & 1) ? (uint16_t)(h[2] | 0x100) : 40000;
	d->rport = (h[0] & 1) ? 40000 : (uint16_t)(h[2] | 0x100);
	memcpy(d->laddr, "\x7f\x00\x00\x01", 4);
	memcpy(d->raddr, "\x7f\x00\x00\x01", 4);
	d->egress = h[0] & 0x08;
	d->close = h[0] & 0x10;
	d->source = (h[0] & 0x40) ? 1 : 0;
	d->role = h[1] % 3;
	d->pid = 100 + (h[0] & 7u);
	d->tid = d->pid;
	memcpy(d->comm, "fuzz", 5);
	d->data = payload;
	d->len = h[3];
	d->bytes = (uint64_t)h[3] + extra;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wbpf_l7_config cfg;
	struct wbpf_l7_pipeline *p;
	struct wbpf_l7_sock_data d;
	char err[256];
	size_t off = 0;
	uint64_t t = 1700000000000000ull;

	wbpf_l7_config__init(&cfg);
	cfg.max_flows = 4;
	cfg.max_msg = 512;
	cfg.session_timeout_us = 2000000;
	cfg.on_record = on_record;
	p = wbpf_l7_pipeline__new(&cfg, err, sizeof(err));
	if (!p)
		return 0;
	while (off + 8 <= size && off + 8 + data[off + 3] <= size) {
		record_of(data + off, data + off + 8, t, &d);
		wbpf_l7_pipeline__feed_sock(p, &d);
		off += 8 + data[off + 3];
		t += 250000;
	}
	wbpf_l7_pipeline__finish(p);
	wbpf_l7_pipeline__free(p);
	return 0;
}
