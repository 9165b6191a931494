/* SPDX-License-Identifier: GPL-2.0 */
/* BPF-side helper shared by the examples that filter by command name. */
#ifndef EXAMPLES_COMM_FILTER_BPF_H
#define EXAMPLES_COMM_FILTER_BPF_H

#define EXAMPLES_COMM_LEN 16

/* True when `want` is empty (no filter) or equals the current comm. */
static __always_inline bool comm_filter_pass(const volatile char *want)
{
	char comm[EXAMPLES_COMM_LEN];

	if (!want[0])
		return true;
	bpf_get_current_comm(comm, sizeof(comm));
	for (int i = 0; i < EXAMPLES_COMM_LEN; i++) {
		if (comm[i] != want[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

#endif /* EXAMPLES_COMM_FILTER_BPF_H */
