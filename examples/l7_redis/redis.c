// SPDX-License-Identifier: MIT
/*
 * Redis (RESP) as a `wbpf_l7` plugin: a record per command and per reply,
 * pipelined messages included. The command name is the request type, the
 * command line the resource; an error reply is a server error.
 *	wbpf l7 ... --plugin redis.wasm [--plugin-arg port=6379]
 * The port is where a flow counts as Redis without looking at it; other
 * ports are recognised by their first bytes.
 */
#include <string.h>

#include <wbpf/l7_plugin.h>

#include "resp.h"

#define PROTO_REDIS 80

static unsigned long port = 6379;

WBPF_L7_HOOK(wbpf_l7_init)
{
	wbpf_l7_set_name("Redis");
	return wbpf_l7_config_uint("port", 65535, &port) < 0;
}

WBPF_L7_HOOK(wbpf_l7_check)
{
	const struct wbpf_l7_ctx *c = wbpf_l7_context();
	const uint8_t *p = wbpf_l7_bytes(c, c->payload);

	if (c->l4 != 6)
		return 0;
	if (resp_looks_like_command(p, c->payload.len))
		return PROTO_REDIS;
	return c->dport == port || c->sport == port ? PROTO_REDIS | (c->dir ? WBPF_L7_S2C : 0) : 0;
}

/* One record; `end` tells the pipeline where the message stopped, so an
 * incomplete message after it comes back whole with the next bytes. */
static void emit(const struct resp_msg *m, bool request, size_t end)
{
	wbpf_l7_record(request ? WBPF_L7_REC_REQUEST : WBPF_L7_REC_RESPONSE);
	wbpf_l7_set_int(WBPF_L7_MSG_END, (int64_t)end);
	if (request) {
		wbpf_l7_set_str(WBPF_L7_REQUEST_TYPE, m->cmd);
		wbpf_l7_set_str(WBPF_L7_REQUEST_RESOURCE, m->line);
		wbpf_l7_set_int(WBPF_L7_REQ_LEN, (int64_t)m->len);
		return;
	}
	wbpf_l7_set_int(WBPF_L7_RESP_LEN, (int64_t)m->len);
	if (m->type == '-' || m->type == '!') {
		wbpf_l7_set_int(WBPF_L7_RESPONSE_STATUS, 3);
		wbpf_l7_set_str(WBPF_L7_RESPONSE_EXCEPTION, m->text);
	} else {
		wbpf_l7_set_int(WBPF_L7_RESPONSE_STATUS, 0);
		wbpf_l7_set_str(WBPF_L7_RESPONSE_RESULT, m->text);
	}
}

WBPF_L7_HOOK(wbpf_l7_parse)
{
	const struct wbpf_l7_ctx *c = wbpf_l7_context();
	const uint8_t *p = wbpf_l7_bytes(c, c->payload);
	size_t n = c->payload.len, at = 0;
	int made = 0;
	struct resp_msg m;

	while (at < n && made < 16) {
		int r = resp_read(p + at, n - at, &m);

		if (r == RESP_MORE && !made && !c->truncated)
			return WBPF_L7_AGAIN;
		if (r != RESP_OK)
			break;
		at += m.len;
		emit(&m, c->dir == 0, at);
		made++;
	}
	return made ? 1 : 0;
}
