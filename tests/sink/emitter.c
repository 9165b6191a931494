// SPDX-License-Identifier: MIT
/*
 * A guest that emits records through wbpf.record_emit_json:
 *	emitter COUNT [SLEEP_US] [BAD]
 * Record i is {"seq": i, "name": "rec-<i>", "value": i / 4.0,
 * "odd": i % 2 == 1, "tags": ["t", i]}. Every hundredth sleeps SLEEP_US * 100.
 * BAD also sends malformed records (not JSON, not an object, other fields,
 * a bad pointer) and exits 1 unless each is refused with the right errno
 * (the host's are Linux numbers, not wasi-libc's).
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((import_module("wbpf"), import_name("record_emit_json"))) int
record_emit_json(const char *json, unsigned len);

#define LINUX_EFAULT 14
#define LINUX_EINVAL 22

static int emit(const char *s)
{
	return record_emit_json(s, (unsigned)strlen(s));
}

static int misuse(void)
{
	static const char *const refused[] = { "not json", "[1,2]", "{\"other\": 1}",
						"{\"seq\": \"a string\"}" };
	int bad = 0;

	for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (emit(refused[i]) != -LINUX_EINVAL) {
			fprintf(stderr, "emitter: '%s' was not refused with EINVAL\n", refused[i]);
			bad = 1;
		}
	if (record_emit_json((const char *)0xfffffff0u, 64) != -LINUX_EFAULT ||
	    record_emit_json("", 0) != -LINUX_EINVAL) {
		fprintf(stderr, "emitter: a bad pointer or empty record was not refused\n");
		bad = 1;
	}
	return bad;
}

int main(int argc, char **argv)
{
	long count = argc > 1 ? atol(argv[1]) : 10;
	long sleep_us = argc > 2 ? atol(argv[2]) : 0;
	char buf[256];

	for (long i = 0; i < count; i++) {
		snprintf(buf, sizeof(buf),
			 "{\"seq\": %ld, \"name\": \"rec-%ld\", \"value\": %.2f, \"odd\": %s, "
			 "\"tags\": [\"t\", %ld]}",
			 i, i, (double)i / 4.0, i % 2 ? "true" : "false", i);
		int err = emit(buf);

		if (err) {
			fprintf(stderr, "emitter: record %ld refused: %d\n", i, err);
			return 1;
		}
		if (i == 0 && argc > 3 && misuse()) {
			fprintf(stderr, "emitter: a malformed record was not refused as expected\n");
			return 1;
		}
		if (sleep_us && i % 100 == 99)
			usleep((useconds_t)(sleep_us * 100));
	}
	return 0;
}
