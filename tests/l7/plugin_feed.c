// SPDX-License-Identifier: MIT
/*
 * Feeds captured payloads to plugins through the plugin host, one record a
 * line, for tests/l7/plugins_e2e.sh (which compares them with tshark's
 * dissectors). Input, one segment or datagram a line, tab-separated, as
 * `tshark -T fields` writes it:
 *	frame  src  sport  dst  dport  l4(6|17)  payload-hex
 * Output, a record a line, tab-separated: frame, direction (c2s|s2c),
 * type (req|resp), protocol name, request_type, request_resource,
 * request_id, response_code ("-" when absent), response_status (-1 for a
 * request), trace_id, then key=value attributes, then version=V when the
 * record has a version.
 *	plugin_feed --server-port N --plugin P.wasm [--plugin-arg k=v]... < in
 * Each segment is one message: the captures are small exchanges on
 * loopback. The protocol is inferred once per flow, as the pipeline does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l7/plugin.h"

#define MAX_ARGS 16
#define MAX_FLOWS 64

struct flow {
	uint64_t key;
	struct wbpf_l7_parser *parser;
	uint16_t proto;
};

static int unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s) / 2;

	if (n > cap)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (sscanf(s + 2 * i, "%2hhx", &out[i]) != 1)
			return -1;
	return (int)n;
}

static void print(const char *frame, const struct l7_msg *m, const struct wbpf_l7_info *r)
{
	printf("%s\t%s\t%s\t%s\t%s\t%s\t", frame, m->dir == L7_C2S ? "c2s" : "s2c",
	       r->type == L7_MSG_REQUEST ? "req" : "resp", r->protocol_str, r->request_type,
	       r->request_resource);
	if (r->has_request_id)
		printf("%u\t", r->request_id);
	else
		printf("-\t");
	if (r->has_response_code)
		printf("%d\t", r->response_code);
	else
		printf("-\t");
	printf("%d\t%s", r->type == L7_MSG_REQUEST ? -1 : (int)r->response_status, r->trace_id);
	for (unsigned i = 0; i < r->n_attrs; i++)
		printf("\t%s=%s", r->attrs[i].key, r->attrs[i].val);
	if (r->version[0])
		printf("\tversion=%s", r->version);
	printf("\n");
}

static struct flow *flow_of(struct flow *flows, size_t *n, uint64_t key)
{
	for (size_t i = 0; i < *n; i++)
		if (flows[i].key == key)
			return &flows[i];
	if (*n == MAX_FLOWS)
		return NULL;
	flows[*n] = (struct flow){ .key = key };
	return &flows[(*n)++];
}

static void feed(struct l7_plugins_worker *w, struct l7_msg *m, struct flow *f, const char *frame)
{
	struct wbpf_l7_info out[16];
	enum l7_direction dir;
	int n;

	for (size_t i = 0; i < w->n_parsers && !f->parser; i++) {
		int proto = w->parsers[i].check(w->parsers[i].self, m, &dir);

		if (proto) {
			f->parser = &w->parsers[i];
			f->proto = (uint16_t)proto;
		}
	}
	if (!f->parser)
		return;
	m->protocol = f->proto;
	n = f->parser->parse(f->parser->self, m, out, 16);
	for (int i = 0; i < n; i++)
		print(frame, m, &out[i]);
}

static int run(struct l7_plugins_worker *w, unsigned server_port)
{
	static uint8_t payload[1 << 20];
	static char line[3 << 20];
	struct flow flows[MAX_FLOWS];
	size_t nflows = 0;

	while (fgets(line, sizeof(line), stdin)) {
		char frame[32], src[64], dst[64], hex[sizeof(line)];
		unsigned sport, dport, l4;
		struct l7_msg m = { .source = L7_SRC_PACKET, .buf_size = 65535 };
		struct flow *f;
		int n;

		if (sscanf(line, "%31s %63s %u %63s %u %u %s", frame, src, &sport, dst, &dport, &l4,
			   hex) != 7 || (n = unhex(hex, payload, sizeof(payload))) <= 0)
			continue;
		m.tuple = (struct l7_tuple){ .family = 4, .l4 = (uint8_t)l4, .sport = (uint16_t)sport,
					     .dport = (uint16_t)dport };
		inet_pton(AF_INET, src, m.tuple.src);
		inet_pton(AF_INET, dst, m.tuple.dst);
		m.dir = dport == server_port ? L7_C2S : L7_S2C;
		m.payload = payload;
		m.len = (uint32_t)n;
		m.flow_id = (uint64_t)(m.dir == L7_C2S ? sport : dport) << 8 | l4;
		if ((f = flow_of(flows, &nflows, m.flow_id)))
			feed(w, &m, f, frame);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const char *args[MAX_ARGS];
	struct l7_plugin_spec spec = { .args = args };
	struct l7_plugins_worker *w;
	struct l7_plugins *set;
	struct wbpf_error err;
	unsigned port = 0;
	int ret;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--plugin"))
			spec.path = argv[i + 1];
		else if (!strcmp(argv[i], "--plugin-arg") && spec.nargs < MAX_ARGS)
			args[spec.nargs++] = argv[i + 1];
		else if (!strcmp(argv[i], "--server-port"))
			port = (unsigned)atoi(argv[i + 1]);
	}
	if (!spec.path || !port) {
		fprintf(stderr, "usage: plugin_feed --server-port N --plugin P.wasm [--plugin-arg k=v]...\n");
		return 2;
	}
	if (!(set = l7_plugins__load(&spec, 1, NULL, &err)) ||
	    !(w = l7_plugins__instantiate(set, &err))) {
		fprintf(stderr, "plugin_feed: %s\n", err.msg);
		return 1;
	}
	ret = run(w, port);
	l7_plugins_worker__free(w);
	l7_plugins__free(set);
	return ret;
}
