// SPDX-License-Identifier: GPL-2.0
/* trace_dns, a gadget: a socket filter on each interface copies every UDP
 * packet to or from the DNS port (its first 512 bytes of DNS message) into
 * a ring buffer; the operator parses them and pairs queries with answers.
 * The filter returns 0: nothing is queued on the capture socket. */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include <gadget/buffer.h>
#include <gadget/macros.h>
#include <gadget/types.h>

#define DNS_MAX 512
#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_UDP_ 17
#define PACKET_OUTGOING 4
#define LOOPBACK_IFINDEX 1

struct event {
	gadget_timestamp timestamp_raw;
	gadget_l4endpoint_t src;
	gadget_l4endpoint_t dst;
	__u32 ifindex;
	__u32 dns_len;
	__u8 dns[DNS_MAX];
};

/* The DNS server port: packets from or to it are captured. */
const volatile __u16 dns_port = 53;
GADGET_PARAM(dns_port);

GADGET_TRACER_MAP(events, 1024 * 1024);
GADGET_TRACER(dns, events, event);

/* The L3 header: addresses into e, the UDP header's offset, or -1. */
static __always_inline int l3(struct __sk_buff *skb, struct event *e)
{
	__u8 b[40];

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN, b, 20) || b[9] != IPPROTO_UDP_)
			return -1;
		e->src.version = e->dst.version = 4;
		__builtin_memcpy(&e->src.addr_raw.v4, b + 12, 4);
		__builtin_memcpy(&e->dst.addr_raw.v4, b + 16, 4);
		return ETH_HLEN + (b[0] & 0xf) * 4;
	}
	if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN, b, 40) || b[6] != IPPROTO_UDP_)
			return -1; /* extension headers are not followed */
		e->src.version = e->dst.version = 6;
		__builtin_memcpy(e->src.addr_raw.v6, b + 8, 16);
		__builtin_memcpy(e->dst.addr_raw.v6, b + 24, 16);
		return ETH_HLEN + 40;
	}
	return -1;
}

SEC("socket")
int trace_dns(struct __sk_buff *skb)
{
	struct event *e;
	__u16 ports[2];
	int off;
	__u32 len;

	/* loopback shows each packet twice: outgoing, then incoming */
	if (skb->ifindex == LOOPBACK_IFINDEX && skb->pkt_type == PACKET_OUTGOING)
		return 0;
	e = gadget_reserve_buf(&events, sizeof(*e));
	if (!e)
		return 0;
	off = l3(skb, e);
	if (off < 0 || off > 120 || bpf_skb_load_bytes(skb, off, ports, 4))
		goto discard;
	e->src.port = bpf_ntohs(ports[0]);
	e->dst.port = bpf_ntohs(ports[1]);
	if (e->src.port != dns_port && e->dst.port != dns_port)
		goto discard;
	off += 8;
	len = skb->len > (__u32)off ? skb->len - off : 0;
	if (len > DNS_MAX)
		len = DNS_MAX;
	/* the mask shows the verifier 1 <= length <= DNS_MAX (a power of two) */
	if (len < 12 || bpf_skb_load_bytes(skb, off, e->dns, ((len - 1) & (DNS_MAX - 1)) + 1))
		goto discard;
	e->src.proto_raw = e->dst.proto_raw = IPPROTO_UDP_;
	e->dns_len = len;
	e->ifindex = skb->ifindex;
	e->timestamp_raw = bpf_ktime_get_boot_ns();
	gadget_submit_buf(skb, &events, e, sizeof(*e));
	return 0;
discard:
	gadget_discard_buf(e);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
