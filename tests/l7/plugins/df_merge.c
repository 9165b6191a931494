// SPDX-License-Identifier: MIT
/*
 * A `deepflow` guest for a made-up line protocol whose messages say what
 * result records to send, so tests/l7/merge.sh can drive the pipeline's
 * handling of multi-record exchanges and of large batches with the bytes
 * deepflow-wasm-go-sdk sends (TinyGo is not packaged on Debian: the SDK's
 * C encoders write the same bytes).
 *
 * A message is one line, "Q ..." from the client or "A ..." from the
 * server, of space-separated key=value words:
 *	id=N	request id		merge=1	 a part (need_merge)
 *	end=1	the direction's last part	pb=1	 the "PB" format (else legacy)
 *	t= d= r=  request type, domain, resource
 *	c= res= x=  response code, result, exception	 k=KEY:VAL  an attribute
 *	many=N	N records instead of one, request ids id..id+N-1
 */
#include <stdlib.h>
#include <string.h>

#include <wbpf/deepflow.h>

#define PROTO 130
#define MAX_KV 4

static uint8_t ctx_buf[1024], payload[4096], out[65536];

DF_PAYLOAD_PLUGIN()

static int read_line(void)
{
	int n = df_vm_read_payload(payload, sizeof(payload) - 1);

	if (n < 2 || (payload[0] != 'Q' && payload[0] != 'A') || payload[1] != ' ')
		return -1;
	payload[n] = '\0';
	return n;
}

DF_EXPORT(check_payload)
{
	uint8_t name[8];
	size_t len = 0;

	if (read_line() < 0)
		return 0;
	df_encode_str("mrg", name, &len, sizeof(name));
	df_host_read_str_result(name, (uint32_t)len);
	return payload[0] == 'A' ? PROTO | DF_DIR_RESPONSE : PROTO;
}

struct spec {
	struct df_info info;
	struct df_kv kv[MAX_KV];
	unsigned many;
	bool pb;
};

/* One key=value word into the record; the line is cut in place. */
static void word(struct spec *s, char *key, char *val)
{
	struct df_info *i = &s->info;

	if (!strcmp(key, "id")) {
		i->has_request_id = true;
		i->request_id = (uint32_t)strtoul(val, NULL, 10);
	} else if (!strcmp(key, "merge")) {
		i->need_merge = *val == '1';
	} else if (!strcmp(key, "end")) {
		i->is_end = *val == '1';
	} else if (!strcmp(key, "pb")) {
		s->pb = *val == '1';
	} else if (!strcmp(key, "many")) {
		s->many = (unsigned)strtoul(val, NULL, 10);
	} else if (!strcmp(key, "t")) {
		i->req.type = val;
	} else if (!strcmp(key, "d")) {
		i->req.domain = val;
	} else if (!strcmp(key, "r")) {
		i->req.resource = val;
	} else if (!strcmp(key, "c")) {
		i->resp.has_code = true;
		i->resp.code = (int32_t)strtol(val, NULL, 10);
	} else if (!strcmp(key, "res")) {
		i->resp.result = val;
	} else if (!strcmp(key, "x")) {
		i->resp.exception = val;
	} else if (!strcmp(key, "k") && i->nkv < MAX_KV && strchr(val, ':')) {
		char *colon = strchr(val, ':');

		*colon = '\0';
		s->kv[i->nkv++] = (struct df_kv){ val, colon + 1 };
	}
}

static void read_spec(struct spec *s, int resp)
{
	char *save = NULL;

	memset(s, 0, sizeof(*s));
	s->many = 1;
	s->info.kv = s->kv;
	s->info.is_req = !resp;
	s->info.is_resp = resp;
	s->info.resp.status = 0;
	for (char *w = strtok_r((char *)payload + 2, " \r\n", &save); w;
	     w = strtok_r(NULL, " \r\n", &save)) {
		char *eq = strchr(w, '=');

		if (eq) {
			*eq = '\0';
			word(s, w, eq + 1);
		}
	}
}

DF_EXPORT(parse_payload)
{
	struct df_ctx ctx;
	struct spec s;
	size_t len = 0;
	int n = df_vm_read_ctx_base(ctx_buf, sizeof(ctx_buf));

	if (n <= 0 || df_ctx_decode(ctx_buf, (size_t)n, &ctx) || read_line() < 0)
		return 0;
	read_spec(&s, ctx.direction);
	for (unsigned k = 0; k < s.many; k++) {
		int r = s.pb ? df_encode_pb(&s.info, out, &len, sizeof(out))
			     : df_encode_legacy(&s.info, ctx.direction, out, &len, sizeof(out));

		if (r)
			return 0;
		s.info.request_id++;
	}
	return df_host_read_l7_protocol_info(out, (uint32_t)len) ? 1 : 0;
}

int main(void)
{
	return 0;
}
