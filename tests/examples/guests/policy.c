// SPDX-License-Identifier: MIT
/*
 * The helper policy seen from a guest: loads policy.bpf.o, whose programs
 * call bpf_send_signal and bpf_probe_write_user, and prints what the host
 * answered. run.sh runs it with and without --allow-helper.
 *
 * usage: policy all|signal-only
 *   all          load both programs
 *   signal-only  turn policy_write_user off first, then load and attach
 * Exit status: 0 when loaded (and attached), 1 otherwise.
 */
#include <stdio.h>
#include <string.h>
#include <wbpf/abi.h>

#include "policy.bpf.h" /* policy_bpf_o[] */

int main(int argc, char **argv)
{
	int obj = wbpf_object_open(policy_bpf_o, sizeof(policy_bpf_o), "policy"), rc;

	if (argc != 2 || obj <= 0) {
		fprintf(stderr, "usage: policy all|signal-only (open: %d)\n", obj);
		return 2;
	}
	if (!strcmp(argv[1], "signal-only"))
		wbpf_program_set_autoload(wbpf_object_find_program(obj, "policy_write_user"), 0);
	rc = wbpf_object_load(obj);
	printf("load: %d\n", rc);
	if (rc)
		return 1;
	rc = wbpf_program_attach(wbpf_object_find_program(obj, "policy_signal"));
	printf("attach: %s\n", rc > 0 ? "ok" : "failed");
	return rc > 0 ? 0 : 1;
}
