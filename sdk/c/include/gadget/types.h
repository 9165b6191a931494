/* SPDX-License-Identifier: MIT */
/*
 * Typedefs the host recognises by name in a record's BTF and formats
 * (docs/gadgets.md lists what each becomes). Members of these types
 * named NAME_raw get a readable field NAME; otherwise the member is
 * renamed NAME_raw and the readable field takes NAME.
 */
#ifndef GADGET_TYPES_H
#define GADGET_TYPES_H

typedef __u64 gadget_timestamp;	/* bpf_ktime_get_boot_ns(): shown as wall time */
typedef __u64 gadget_mntns_id;	/* hidden by default */
typedef __u32 gadget_netns_id;	/* hidden by default */
typedef char gadget_comm;	/* gadget_comm comm[TASK_COMM_LEN] */
typedef __u32 gadget_pid;
typedef __u32 gadget_ppid;	/* plus a field with the parent's name */
typedef __u32 gadget_tid;
typedef __u32 gadget_uid;	/* plus a field with the user name */
typedef __u32 gadget_gid;	/* plus a field with the group name */
typedef __u32 gadget_errno;	/* positive or negative: ENOENT */
typedef __u32 gadget_signal;	/* SIGKILL */
typedef __u64 gadget_syscall;	/* SYS_OPENAT */
typedef __u64 gadget_duration;	/* nanoseconds: 1.500ms */
typedef __u64 gadget_bytes;	/* 1.5KiB */

union gadget_ip_addr_t {
	__u8 v6[16];
	__u32 v4; /* network byte order */
};

/* Shown as one column: "ADDR" and "ADDR:PORT" ("[ADDR]:PORT" for v6). */
struct gadget_l3endpoint_t {
	union gadget_ip_addr_t addr_raw;
	__u8 version; /* 4 or 6 */
	__u8 pad[3];
};

struct gadget_l4endpoint_t {
	union gadget_ip_addr_t addr_raw;
	__u16 port;	 /* host byte order */
	__u16 proto_raw; /* IPPROTO_TCP, IPPROTO_UDP */
	__u8 version;
	__u8 pad[3];
};

typedef struct gadget_l3endpoint_t gadget_l3endpoint_t;
typedef struct gadget_l4endpoint_t gadget_l4endpoint_t;

#endif /* GADGET_TYPES_H */
