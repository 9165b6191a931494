// SPDX-License-Identifier: MIT
/*
 * A `wbpf_l7` plugin that misbehaves as --plugin-arg mode=... says, for
 * plugins_test.c: the host must contain it, count it and go on.
 *	loop_check  check never returns
 *	loop_parse  parse never returns
 *	sleep       parse sleeps in poll_oneoff for a minute
 *	trap        parse traps
 *	grow        parse grows memory until refused, then traps
 *	records     parse makes 40 records (past a small --max-records)
 *	garbage     check answers with bits no protocol has
 *	badptr      parse hands the host bad pointers; reports what it got
 *	exit        parse calls proc_exit
 * Its own messages start with "HOSTILE"; it claims them as protocol 201.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wbpf/l7_plugin.h>

static char mode[32];

WBPF_L7_HOOK(wbpf_l7_init)
{
	if (!wbpf_l7_config("mode", mode, sizeof(mode)))
		return 1;
	wbpf_l7_set_name("hostile");
	return 0;
}

static int mine(void)
{
	const struct wbpf_l7_ctx *c = wbpf_l7_context();

	return c->payload.len >= 7 && !memcmp(wbpf_l7_bytes(c, c->payload), "HOSTILE", 7);
}

static volatile int spin = 1;

WBPF_L7_HOOK(wbpf_l7_check)
{
	if (!strcmp(mode, "loop_check"))
		while (spin)
			;
	if (!strcmp(mode, "garbage"))
		return 0x7fff0000;
	return mine() ? 201 : 0;
}

static void note(const char *key, int v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", v);
	wbpf_l7_add_attr(key, buf);
}

static int bad_pointers(void)
{
	char buf[8];

	note("before_record", wbpf_l7_set_str(WBPF_L7_TRACE_ID, "x"));
	wbpf_l7_record(WBPF_L7_REC_REQUEST);
	note("str_oob", wbpf_l7_set_strn(WBPF_L7_TRACE_ID, (const char *)0xfffffff0, 64));
	note("str_huge", wbpf_l7_set_strn(WBPF_L7_TRACE_ID, "x", 0x7fffffff));
	note("attr_oob", wbpf_l7_add_attrn("k", 1, (const char *)0x7ffffff0, 0x20));
	note("field_bad", wbpf_l7_set_str(999, "x"));
	note("int_field_bad", wbpf_l7_set_int(WBPF_L7_TRACE_ID, 1));
	note("status_bad", wbpf_l7_set_int(WBPF_L7_RESPONSE_STATUS, 1));
	note("config_oob", wbpf_l7_config_raw((const char *)0xfffffff0, 64, buf, sizeof(buf)));
	note("config_out_oob", wbpf_l7_config_raw("mode", 4, (char *)0xfffffffc, 8));
	note("config_missing", wbpf_l7_config_raw("nope", 4, buf, sizeof(buf)));
	note("config_key_past", wbpf_l7_config_key(99, buf, sizeof(buf)));
	note("type_bad", wbpf_l7_record(7));
	return 1;
}

WBPF_L7_HOOK(wbpf_l7_parse)
{
	if (!strcmp(mode, "loop_parse"))
		while (spin)
			;
	if (!strcmp(mode, "sleep")) {
		struct timespec ts = { 60, 0 };

		nanosleep(&ts, NULL);
	}
	if (!strcmp(mode, "trap"))
		__builtin_trap();
	if (!strcmp(mode, "grow")) {
		while (__builtin_wasm_memory_grow(0, 16) != (size_t)-1)
			;
		__builtin_trap();
	}
	if (!strcmp(mode, "exit"))
		exit(3);
	if (!strcmp(mode, "records")) {
		for (int i = 0; i < 40; i++)
			wbpf_l7_record(WBPF_L7_REC_REQUEST);
		return 1;
	}
	if (!strcmp(mode, "badptr"))
		return bad_pointers();
	return 0;
}
