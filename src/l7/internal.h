/* SPDX-License-Identifier: MIT */
/*
 * The L7 pipeline's parts (see include/wbpf/l7.h and docs/l7.md):
 *   decode.c   link, network and transport headers -> l7_pkt
 *   flow.c     per-worker flow table: lookup, direction, LRU, expiry
 *   tcp.c      per-direction TCP reassembly
 *   stream.c   messages out of a direction's bytes: inference, parse
 *   session.c  request/response pairing, timeouts, records
 *   http.c dns.c  the built-in parsers
 *   worker.c   a worker's state and its packet loop; pipeline.c the
 *              workers, their queues and the public calls
 *   source.c   libpcap; record.c output formats
 */
#ifndef WBPF_L7_INTERNAL_H
#define WBPF_L7_INTERNAL_H

#include <pthread.h>
#include <signal.h>

#include "l7/message.h"
#include "wbpf/l7.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* The process side of a socket source's record (zero for packets). */
struct l7_proc {
	uint64_t sock; /* the observing socket: flows are keyed by it too */
	uint32_t pid, tid;
	char comm[16];
	uint8_t source; /* enum l7_source_kind */
	uint8_t role;	/* enum wbpf_l7_sock_role */
	bool local_is_src; /* the process wrote the bytes */
	bool close;
};

/* One decoded packet; payload points into the frame (or a batch copy). */
struct l7_pkt {
	struct l7_tuple t;
	uint64_t time_us;
	uint32_t seq, ack;
	uint8_t tcp_flags;
	uint32_t hash;	    /* same both ways */
	uint32_t len;	    /* payload bytes captured */
	uint32_t wire_len;  /* payload bytes sent (more when the capture cut it) */
	const uint8_t *payload;
	struct l7_proc proc;
};

/* frag.c: IP fragments waiting for the rest of their datagram. */
struct l7_frags;
struct l7_frag_key {
	uint8_t family, proto;
	uint16_t zero;
	uint32_t id;
	uint8_t src[16], dst[16];
};
struct l7_frags *l7_frags__new(void);
void l7_frags__free(struct l7_frags *t);
/* 0 with the whole datagram's payload in *out (valid until the next
 * call), -EAGAIN while parts are missing, else a negative errno. */
int l7_frags__add(struct l7_frags *t, const struct l7_frag_key *k, uint32_t off, bool more,
		  const uint8_t *p, uint32_t len, uint64_t now_us, const uint8_t **out,
		  uint32_t *out_len, struct wbpf_l7_stats *st);

/* 0: a TCP or UDP packet in *pkt; else a negative errno, counted in st.
 * Fragments go to `frags` (NULL: only counted). */
int l7_decode(int linktype, const uint8_t *frame, uint32_t caplen, uint64_t time_us,
	      struct l7_frags *frags, struct l7_pkt *pkt, struct wbpf_l7_stats *st);
bool l7_linktype_supported(int linktype);
/* Same both ways of a flow. */
uint32_t l7_pkt__hash(const struct l7_pkt *pkt);

/* Out-of-order data waiting for what comes before it. */
struct l7_seg {
	struct l7_seg *next;
	uint32_t seq, len;
	uint64_t time_us;
	uint8_t data[];
};

/* One direction of a flow: what its sender wrote. */
struct l7_stream {
	uint8_t *buf; /* bytes of the message being assembled */
	uint32_t len, cap;
	uint64_t buf_time_us; /* arrival of buf[0] */
	uint64_t skip;	      /* bytes still to drop (a body parsed by its header) */
	struct l7_seg *ooo;   /* sorted by seq, no overlaps */
	uint32_t ooo_bytes;
	uint32_t next_seq;
	uint32_t fin_seq;
	bool seq_known, fin, ended, resync;
};

struct l7_pending;

struct l7_flow {
	struct l7_flow *hnext;
	struct l7_flow *lru_prev, *lru_next;
	/* canonical: side 0 is the smaller (address, port) */
	uint8_t family, l4;
	uint16_t port[2];
	uint8_t ip[2][16];
	uint32_t hash;
	uint64_t id, last_us;
	uint8_t client;	   /* the side that is the client */
	uint8_t dir_level; /* 0 first talker, 1 well-known port, 2 SYN, 3 parser */
	uint8_t infer_tries;
	bool unknown; /* gave up inferring */
	bool rst;
	int16_t parser; /* index into the worker's parsers, -1 not yet */
	uint16_t protocol;
	struct l7_stream s[2];	   /* by sending side */
	struct l7_proc proc;	   /* the socket source's process (last seen) */
	uint8_t local;		   /* the socket source's side: the process's end */
	struct l7_pending *pending; /* oldest first */
	uint32_t n_pending;
};

/* A request waiting for its response, whole (a record in `packed`, while
 * the worker holds fewer than L7_WHOLE_MAX) or packed (wbpf_l7_info is
 * large); or the parts of a multi-record exchange (need_merge) merged so
 * far, with PENDING_* bits in `merge`. */
#define PENDING_MERGING 0x1
#define PENDING_REQ_END 0x2
#define PENDING_RESP_END 0x4
struct l7_pending {
	struct l7_pending *next;		/* in the flow */
	struct l7_pending *tprev, *tnext;	/* in the worker's time order */
	struct l7_flow *flow;
	uint64_t time_us;
	uint64_t resp_us; /* merging: the first response part's time, 0 none */
	bool has_id;
	uint8_t merge; /* PENDING_* bits: a multi-record exchange being merged */
	bool whole; /* packed[] is a struct wbpf_l7_info, not packed */
	uint32_t id;
	uint32_t size;
	_Alignas(8) uint8_t packed[];
};

struct l7_batch;

struct l7_worker {
	struct wbpf_l7_pipeline *p;
	unsigned idx;
	pthread_t thread;
	struct wbpf_l7_stats st;
	int start_err;

	/* flow table */
	struct l7_flow **buckets;
	uint32_t mask, n_flows, max_flows;
	struct l7_flow lru; /* sentinel: lru.lru_next is the most recent */
	uint64_t next_flow_id;
	uint64_t now_us, next_sweep_us;

	/* pending requests, oldest first */
	struct l7_pending *p_head, *p_tail;
	/* whole ones' blocks free for reuse, and how many exist */
	struct l7_pending *spare;
	unsigned n_whole;

	/* parsers: the plugin set's, then the built-ins */
	struct wbpf_l7_plugin_set plugins;
	bool plugins_open;
	struct wbpf_l7_parser *parsers;
	unsigned n_parsers;
	void *http_self;
	struct l7_server_cache *cache;

	struct wbpf_l7_info *out; /* cfg.max_records of them */
	struct wbpf_l7_record_priv *fmt; /* records' priv; NULL without memory for it */
	struct wbpf_l7_info merged;
	/* a packed request before it is stored: at worst all of it, with
	 * every string's and attribute's length */
	uint8_t pack_buf[sizeof(struct wbpf_l7_info) + 2 * L7_INFO_N_STRINGS + 4 * L7_ATTR_MAX];

	/* queue from the reader (workers > 1) */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct l7_batch *q_head, *q_tail, *free_batches, *cur;
	unsigned q_len;
	bool done;
};

struct wbpf_l7_pipeline {
	struct wbpf_l7_config cfg;
	unsigned n_workers;
	struct l7_worker *workers;
	struct wbpf_l7_stats rd; /* the reader's own: packets, decoding */
	struct l7_frags *frags;
	bool threaded, finished;
};

/* flow.c */
int l7_flows__init(struct l7_worker *w, uint32_t max_flows);
void l7_flows__fini(struct l7_worker *w);
struct l7_flow *l7_flows__get(struct l7_worker *w, const struct l7_pkt *pkt, int *side);
void l7_flows__close(struct l7_worker *w, struct l7_flow *f);
void l7_flows__expire(struct l7_worker *w);
bool l7_port_well_known(uint16_t port);

/* tcp.c: hands in-order bytes to l7_stream__data */
void l7_tcp__packet(struct l7_worker *w, struct l7_flow *f, int side, const struct l7_pkt *pkt);
void l7_tcp__flush(struct l7_worker *w, struct l7_flow *f, int side);
void l7_stream__free(struct l7_stream *s);

/* stream.c */
void l7_stream__data(struct l7_worker *w, struct l7_flow *f, int side, const uint8_t *data,
		     uint32_t len, uint64_t time_us);
void l7_stream__gap(struct l7_worker *w, struct l7_flow *f, int side, uint64_t bytes);
void l7_stream__end(struct l7_worker *w, struct l7_flow *f, int side);
void l7_stream__datagram(struct l7_worker *w, struct l7_flow *f, int side, const uint8_t *data,
			 uint32_t len, uint64_t time_us);
int l7_parsers__init(struct l7_worker *w);
void l7_parsers__fini(struct l7_worker *w);

/* session.c */
void l7_session__info(struct l7_worker *w, struct l7_flow *f, struct wbpf_l7_info *info,
		      uint64_t time_us);
void l7_session__flush_flow(struct l7_worker *w, struct l7_flow *f);
void l7_session__expire(struct l7_worker *w);
/* Frees the blocks kept for reuse (every flow closed first). */
void l7_session__fini(struct l7_worker *w);

/* record.c: what JSON lines of a flow share, kept per worker */
struct wbpf_l7_record_priv *l7_fmt_cache__new(void);

/* worker.c */
int l7_worker__init(struct l7_worker *w, struct wbpf_l7_pipeline *p, unsigned idx);
void l7_worker__packet(struct l7_worker *w, const struct l7_pkt *pkt);
/* sock_flow.c: a socket source's record, in place of TCP/UDP headers */
void l7_worker__sock(struct l7_worker *w, struct l7_flow *f, int side, const struct l7_pkt *pkt);
void l7_worker__finish(struct l7_worker *w);
void l7_worker__fini(struct l7_worker *w);

/* sock.c, sock_tls.c: the eBPF socket source behind wbpf_l7_source__open_socket */
struct l7_sock;
struct bpf_link;
struct bpf_program;
struct l7_sock *l7_sock__open(const struct wbpf_l7_sock_opts *o, char *err, size_t err_len);
int l7_sock__run(struct l7_sock *s, struct wbpf_l7_pipeline *p, uint64_t duration_us,
		 volatile sig_atomic_t *stop, char *err, size_t err_len);
void l7_sock__stats(struct l7_sock *s, struct wbpf_l7_sock_stats *out);
void l7_sock__free(struct l7_sock *s);

/* sock_rings.c: the socket source's ring per CPU, merged by time */
struct sock_rings;
struct sock_ev;
typedef void (*sock_ring_cb)(void *ctx, const struct sock_ev *ev, uint32_t size);
size_t sock_rings__value_size(uint32_t ring_size);
unsigned sock_rings__assign(unsigned cpus, uint64_t *ring_of_cpu);
struct sock_rings *sock_rings__new(int rings_fd, int doorbell_fd, unsigned n, uint32_t ring_size,
				   uint64_t seal, int *err);
uint64_t sock_rings__dropped(const struct sock_rings *rs);
int sock_rings__poll(struct sock_rings *rs, int ms);
void sock_rings__drain(struct sock_rings *rs, uint64_t until, sock_ring_cb on_record, void *ctx);
void sock_rings__free(struct sock_rings *rs);

/* record.c, for fields.c: an address as inet_ntop writes it (returns its
 * length); the attributes as the JSON lines' object ("" when it does not
 * fit). */
size_t l7_ip_str(uint8_t family, const uint8_t *ip, char *buf, size_t size);
void l7_info__attributes_json(const struct wbpf_l7_info *in, char *buf, size_t size);
struct bpf_program *l7_sock__program(struct l7_sock *s, const char *name);
/* Takes the link (destroyed when the source is); -ENOSPC when full. */
int l7_sock__add_link(struct l7_sock *s, struct bpf_link *link);
int l7_sock__attach_tls(struct l7_sock *s, const struct wbpf_l7_sock_opts *o, unsigned *libs,
			unsigned *probes, char *err, size_t err_len);

/* built-in parsers */
extern const struct wbpf_l7_parser l7_http_parser;
extern const struct wbpf_l7_parser l7_dns_parser;
extern const struct wbpf_l7_parser l7_nats_parser;
/* The hooks' state for the built-ins that call them (HTTP, NATS): the
 * worker's hooks, its failure counter, and the HTTP parser's own state. */
struct l7_http_self {
	const struct wbpf_l7_http_hooks *hooks;
	unsigned n_hooks;
	uint64_t *failures;
	void *state; /* the parser's own, allocated on first use */
};


#endif
