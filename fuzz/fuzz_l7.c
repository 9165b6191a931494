// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the L7 packet path: decoding, flows, TCP
 * reassembly, inference, the HTTP, DNS and NATS parsers, sessions and the JSON
 * output, with small limits so that eviction, out-of-order bounds and the
 * message size limit are reached by short inputs.
 *
 * An input is a pcap file (the seeds are the test captures), whose link
 * type the fuzzer may change too; or 'H'/'D'/'N' followed by a payload given
 * straight to the HTTP/DNS/NATS parser, once as a part and once as all there
 * is, so that the parsers' corners are reached without a TCP handshake.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l7/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_record(void *ctx, const struct wbpf_l7_record *r)
{
	char buf[4096];

	(void)ctx;
	wbpf_l7_record__format_json(r, buf, sizeof(buf));
	wbpf_l7_record__format_row(r, buf, sizeof(buf));
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void run_pcap(const uint8_t *data, size_t size)
{
	struct wbpf_l7_config cfg;
	struct wbpf_l7_pipeline *p;
	char err[256];
	size_t off = 24;
	int linktype;

	if (size < 24)
		return;
	linktype = (int)le32(data + 20);
	wbpf_l7_config__init(&cfg);
	cfg.max_flows = 16;
	cfg.max_msg = 2048;
	cfg.max_ooo = 4096;
	cfg.session_timeout_us = 2000000;
	cfg.on_record = on_record;
	p = wbpf_l7_pipeline__new(&cfg, err, sizeof(err));
	if (!p)
		return;
	while (off + 16 <= size) {
		uint32_t caplen = le32(data + off + 8);
		uint64_t t = (uint64_t)le32(data + off) * 1000000 + le32(data + off + 4) % 1000000;

		off += 16;
		if (caplen > size - off)
			caplen = (uint32_t)(size - off);
		wbpf_l7_pipeline__feed(p, linktype, t, data + off, caplen);
		off += caplen;
	}
	wbpf_l7_pipeline__finish(p);
	wbpf_l7_pipeline__free(p);
}

static void run_parser(const struct wbpf_l7_parser *parser, const uint8_t *data, size_t size)
{
	static struct wbpf_l7_info out[4];
	struct l7_http_self hs = {0};
	uint64_t failures = 0;
	struct l7_msg m = {0};
	enum l7_direction dir;

	hs.failures = &failures;
	m.tuple.family = 4;
	m.payload = data;
	m.len = (uint32_t)size;
	for (int round = 0; round < 4; round++) {
		m.tuple.l4 = round & 1 ? IPPROTO_UDP : IPPROTO_TCP;
		m.truncated = round >= 2;
		parser->check(&hs, &m, &dir);
		parser->parse(&hs, &m, out, 4);
	}
	free(hs.state);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size && data[0] == 'H')
		run_parser(&l7_http_parser, data + 1, size - 1);
	else if (size && data[0] == 'D')
		run_parser(&l7_dns_parser, data + 1, size - 1);
	else if (size && data[0] == 'N')
		run_parser(&l7_nats_parser, data + 1, size - 1);
	else
		run_pcap(data, size);
	return 0;
}
