/* SPDX-License-Identifier: MIT */
/*
 * wbpf's L7 pipeline: packets in, request logs out.
 *
 *   source (pcap file / live capture) -> decode -> flow table (sharded over
 *   workers by flow hash) -> TCP reassembly -> protocol inference ->
 *   parsers (plugins first, then the built-ins) -> sessions (request and
 *   response paired) -> one `wbpf_l7_record` per pair.
 *
 * Parsers and HTTP hooks speak the contract in src/l7/message.h
 * (`struct wbpf_l7_parser`, `struct wbpf_l7_http_hooks`, `struct wbpf_l7_info`); this
 * header only needs their names. Plugins plug in through an
 * `wbpf_l7_plugin_factory`: every worker asks it for its own instances, so no
 * plugin instance is ever shared between threads.
 *
 * Functions return 0 / a count, or a negative errno; constructors return
 * NULL with errno set and, where they take one, a message in `err`.
 */
#ifndef WBPF_L7_H
#define WBPF_L7_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct wbpf_l7_parser;
struct wbpf_l7_http_hooks;
struct wbpf_l7_info;

/* One worker's plugin instances. Parsers are checked before the built-ins,
 * in array order; HTTP hooks are called by the built-in HTTP parser, in
 * array order. The arrays belong to the factory and must stay valid until
 * its close() for that worker. */
struct wbpf_l7_plugin_set {
	struct wbpf_l7_parser *parsers;
	unsigned n_parsers;
	struct wbpf_l7_http_hooks *http_hooks;
	unsigned n_http_hooks;
};

/* Per-plugin counters for the summary, summed over workers by the factory. */
struct wbpf_l7_plugin_counters {
	char name[64];
	uint64_t calls;	   /* hook calls (check, parse, HTTP hooks) */
	uint64_t failures; /* traps, deadlines, bad results */
	uint64_t time_ns;  /* time spent inside the plugin */
	uint64_t records_dropped; /* results past the records limit */
	bool disabled;	   /* turned off after repeated failures */
};

struct wbpf_l7_plugin_factory {
	/* Called in worker `worker`'s own thread before its first packet;
	 * fills `set` with instances only that worker will use. Nonzero
	 * fails the pipeline's start. */
	int (*open)(void *ctx, unsigned worker, struct wbpf_l7_plugin_set *set);
	/* Called in the same thread after its last packet. */
	void (*close)(void *ctx, unsigned worker, struct wbpf_l7_plugin_set *set);
	/* Fills up to `max` entries, returns how many. Called once every
	 * worker is closed. May be NULL. */
	int (*stats)(void *ctx, struct wbpf_l7_plugin_counters *out, unsigned max);
	void *ctx;
};

/* One request log: a request and its response, a request that timed out,
 * or a record a parser gave whole (WBPF_L7_MSG_SESSION). */
struct wbpf_l7_record {
	const struct wbpf_l7_info *info; /* request and response fields merged */
	unsigned worker;	    /* the worker (thread) that made it */
	uint64_t flow_id;
	uint8_t family, l4; /* 4 or 6; IPPROTO_TCP or IPPROTO_UDP */
	uint8_t client_ip[16], server_ip[16];
	uint16_t client_port, server_port;
	uint64_t req_time_us, resp_time_us; /* 0: that half is missing */
	int64_t latency_us;		    /* -1 without both halves */
	bool timeout;			    /* the request was never answered */
	const char *proc_name;		    /* "" when the source does not know */
	uint32_t pid;			    /* 0 when the source does not know */
	uint8_t tap_side;		    /* enum wbpf_l7_tap_side: where it was seen */
	/* The pipeline's own, opaque (what wbpf_l7_record__format_json may
	 * reuse); NULL in records made elsewhere. */
	struct wbpf_l7_record_priv *priv;
};

/* DeepFlow's tap_side: packets on the wire, or one process's socket. */
enum wbpf_l7_tap_side {
	WBPF_L7_TAP_NETWORK = 0,
	WBPF_L7_TAP_CLIENT_PROCESS = 1, /* "c-p" */
	WBPF_L7_TAP_SERVER_PROCESS = 2, /* "s-p" */
};

struct wbpf_l7_config {
	unsigned workers;	      /* 0 or 1: everything in the caller's thread */
	uint32_t max_flows;	      /* flow table bound, all workers together */
	uint32_t max_msg;	      /* largest L7 message parsers see whole */
	uint32_t max_ooo;	      /* out-of-order bytes buffered per direction */
	uint64_t tcp_idle_us;	      /* a TCP flow without packets expires */
	uint64_t udp_idle_us;	      /* same for UDP */
	uint64_t session_timeout_us;  /* an unanswered request is flushed */
	uint32_t max_records;	      /* records one message may give (plugins' batches) */
	const struct wbpf_l7_plugin_factory *plugins; /* NULL: built-ins only */
	/* Called from the worker's thread (rec->worker); records of one flow
	 * come from one worker, in order. */
	void (*on_record)(void *ctx, const struct wbpf_l7_record *rec);
	void *ctx;
};

/* Defaults: 1 worker, 1M flows, 64 KiB messages, 256 KiB out of order,
 * TCP idle 300 s, UDP idle 60 s, requests time out after 30 s, 64 records
 * a message. */
void wbpf_l7_config__init(struct wbpf_l7_config *cfg);

#define WBPF_L7_NPROTO 256

struct wbpf_l7_stats {
	uint64_t packets, bytes;
	uint64_t not_ip;	  /* link or network layer we do not handle */
	uint64_t malformed;	  /* cut or inconsistent headers */
	uint64_t ip_fragments;	  /* fragments seen */
	uint64_t ip_reassembled;  /* datagrams put back together from them */
	uint64_t ip_frags_dropped; /* datagrams given up (timeout, table full) */
	uint64_t flows;		  /* flows created */
	uint64_t flows_evicted;	  /* dropped to stay under max_flows */
	uint64_t flows_unknown;	  /* no parser recognised the flow */
	uint64_t records;
	uint64_t records_by_proto[WBPF_L7_NPROTO];
	uint64_t requests_timed_out;
	uint64_t responses_orphan; /* a response without its request */
	uint64_t gaps;		   /* missing TCP data skipped */
	uint64_t gap_bytes;
	uint64_t retransmitted_bytes; /* data seen twice (first copy kept) */
	uint64_t msgs_too_big;	  /* messages cut at max_msg */
	uint64_t parse_errors;	  /* a parser refused a message */
	uint64_t hook_failures;	  /* HTTP hooks that returned an error */
	uint64_t merged_parts;	  /* parts of multi-record exchanges (need_merge) */
};

struct wbpf_l7_pipeline;

/* Starts the workers (and their plugin instances). */
struct wbpf_l7_pipeline *wbpf_l7_pipeline__new(const struct wbpf_l7_config *cfg, char *err, size_t err_len);
/* One captured frame of DLT `linktype` (pcap's numbering). Never fails on
 * bad bytes: they are counted. */
void wbpf_l7_pipeline__feed(struct wbpf_l7_pipeline *p, int linktype, uint64_t time_us,
		       const uint8_t *frame, uint32_t caplen);

/* A socket's role, when the kernel saw it given. */
enum wbpf_l7_sock_role {
	WBPF_L7_SOCK_ROLE_UNKNOWN = 0,
	WBPF_L7_SOCK_ROLE_CLIENT = 1, /* connect() */
	WBPF_L7_SOCK_ROLE_SERVER = 2, /* accept() */
};

/* One socket call seen by a process-side source (the eBPF socket source):
 * what one process sent or received on one socket. Flows are keyed by the
 * socket as well as the 5-tuple, so the two ends of a loopback connection
 * are two flows, each with its own process. */
struct wbpf_l7_sock_data {
	uint64_t sock;	  /* the observing socket: unique while it is open */
	uint64_t time_us; /* wall clock */
	uint8_t family, l4; /* 4 or 6; IPPROTO_TCP or IPPROTO_UDP */
	uint16_t lport, rport;
	uint8_t laddr[16], raddr[16]; /* IPv4 in the first 4 bytes */
	bool egress;	  /* the process sent the bytes */
	bool close;	  /* the socket was closed: its flows end */
	uint8_t role;	  /* enum wbpf_l7_sock_role */
	uint8_t source;	  /* DeepFlow's ebpf_type: 0 tracepoint, 1 TLS uprobe */
	uint32_t pid, tid;
	char comm[16];
	const uint8_t *data; /* the first len bytes of the call's payload */
	uint32_t len;
	uint64_t bytes; /* what the call moved: past len they are a gap */
};
void wbpf_l7_pipeline__feed_sock(struct wbpf_l7_pipeline *p, const struct wbpf_l7_sock_data *d);
/* Flushes every flow (pending requests go out as timeouts) and stops the
 * workers; afterwards only __stats and __free. */
void wbpf_l7_pipeline__finish(struct wbpf_l7_pipeline *p);
/* Counters summed over workers; exact after __finish. */
void wbpf_l7_pipeline__stats(const struct wbpf_l7_pipeline *p, struct wbpf_l7_stats *out);
void wbpf_l7_pipeline__free(struct wbpf_l7_pipeline *p);

/* Packet sources (libpcap). `filter` is a BPF capture filter expression or
 * NULL. */
struct wbpf_l7_source;
struct wbpf_l7_source *wbpf_l7_source__open_file(const char *path, const char *filter, char *err,
				       size_t err_len);
/* Live capture on `iface` through the kernel's mmap ring. */
struct wbpf_l7_source *wbpf_l7_source__open_live(const char *iface, const char *filter, char *err,
				       size_t err_len);
/* The eBPF socket source: read/write-family system calls on TCP and UDP
 * sockets, and OpenSSL's plaintext through uprobes (needs root and BTF). */
/* How the socket source hooks system calls (docs/l7.md, "Attach modes"). */
enum wbpf_l7_sock_attach {
	/* socket where the kernel has its tracepoints (Linux 6.3), else
	 * per-call where tracefs has the syscalls events (mounted if needed),
	 * else raw */
	WBPF_L7_SOCK_ATTACH_DEFAULT = 0,
	/* the raw sys_exit tracepoint: every system call of the machine runs
	 * a short program */
	WBPF_L7_SOCK_ATTACH_RAW = 1,
	/* syscalls/sys_exit_X of the traced calls only (tracefs): the
	 * machine's other calls pay next to nothing */
	WBPF_L7_SOCK_ATTACH_PER_CALL = 2,
	/* the kernel's socket I/O tracepoints (sock/sock_send_length,
	 * sock/sock_recv_length): no system call is hooked */
	WBPF_L7_SOCK_ATTACH_SOCKET = 3,
};

struct wbpf_l7_sock_opts {
	uint32_t pid;	    /* 0: every process (wbpf itself never) */
	const char *comm;   /* NULL: every process name */
	uint16_t port;	    /* 0: every port */
	const char *cgroup; /* a cgroup v2 directory; NULL: every cgroup */
	uint32_t payload;   /* bytes kept per call: 0 for 4096, at most 65536 */
	uint32_t ring_size; /* each CPU's ring: 0 for 1 MiB; a power of 2, 4 KiB-2 MiB */
	const char *const *tls_libs; /* libssl files; NULL: found in /proc/PID/maps */
	unsigned n_tls_libs;
	bool no_tls;
	enum wbpf_l7_sock_attach attach;
};
struct wbpf_l7_source *wbpf_l7_source__open_socket(const struct wbpf_l7_sock_opts *opts, char *err,
					 size_t err_len);
/* Records: the kernel side tried to send `sent`; `seen` arrived, `lost`
 * were refused by a full ring (sent = seen + lost once the source is
 * stopped); `unbound`: TLS calls whose socket was never seen; `truncated`:
 * seen records whose call moved more bytes than the payload size kept
 * (the rest is a gap in the flow). */
struct wbpf_l7_sock_stats {
	uint64_t sent, seen, lost, unbound, truncated;
	unsigned tls_libs, tls_probes; /* libssl files and functions probed */
};
/* -ENOTSUP for a packet source. */
int wbpf_l7_source__sock_stats(const struct wbpf_l7_source *s, struct wbpf_l7_sock_stats *out);
/* Feeds every packet to `p` until the file ends, `duration_us` (0: no
 * limit) passes, or wbpf_l7_source__stop(). 0, or a negative errno with a
 * message in `err` (e.g. a truncated file). */
int wbpf_l7_source__run(struct wbpf_l7_source *s, struct wbpf_l7_pipeline *p, uint64_t duration_us,
		   char *err, size_t err_len);
/* Async-signal-safe: makes __run return soon. */
void wbpf_l7_source__stop(struct wbpf_l7_source *s);
/* Packets the kernel dropped (live capture), 0 for files. */
uint64_t wbpf_l7_source__dropped(const struct wbpf_l7_source *s);
void wbpf_l7_source__free(struct wbpf_l7_source *s);

/* Output. */
const char *wbpf_l7_protocol__str(unsigned protocol);
/* DeepFlow's names: "c-p", "s-p"; "" for packets. */
const char *wbpf_l7_tap_side__str(unsigned tap_side);
/* Like snprintf: writes at most `size` bytes (NUL included) and returns
 * the length the whole text needs. One JSON object and a newline: */
size_t wbpf_l7_record__format_json(const struct wbpf_l7_record *rec, char *buf, size_t size);
/* One line of the readable table (wbpf_l7_record__fprint_header prints its
 * column titles). */
size_t wbpf_l7_record__format_row(const struct wbpf_l7_record *rec, char *buf, size_t size);
void wbpf_l7_record__fprint_header(FILE *f);
/* The record as sink fields (include/wbpf/sink.h): wbpf_l7_record__format_json's
 * names and order, absent numbers -1, attributes as JSON text. Strings
 * made here live in `text`. Fills WBPF_L7_RECORD_FIELDS entries. */
#define WBPF_L7_RECORD_FIELDS 37
struct wbpf_l7_record_text {
	char client_ip[46], server_ip[46];
	char attributes[16 * 1280];
};
struct wbpf_field;
size_t wbpf_l7_record__fields(const struct wbpf_l7_record *rec, struct wbpf_field *out,
			 struct wbpf_l7_record_text *text);
/* The exit summary: counters, per-protocol records, per-plugin figures. */
void wbpf_l7_stats__fprint(const struct wbpf_l7_stats *st, const struct wbpf_l7_plugin_counters *plugins,
		      unsigned n_plugins, FILE *f);

#ifdef __cplusplus
}
#endif

#endif /* WBPF_L7_H */
