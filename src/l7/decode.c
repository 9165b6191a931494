// SPDX-License-Identifier: MIT
/* Frames to l7_pkt: link layer, VLAN tags, IPv4/IPv6, TCP/UDP. Every
 * length is checked against what was captured; nothing is trusted. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "l7/internal.h"

/* pcap DLT numbers (include/pcap/dlt.h), also as pcapng LINKTYPEs map. */
enum {
	DLT_NULL_ = 0,
	DLT_EN10MB_ = 1,
	DLT_RAW_ = 12,
	DLT_RAW_OPENBSD_ = 14,
	LINKTYPE_RAW_ = 101,
	DLT_LOOP_ = 108,
	DLT_LINUX_SLL_ = 113,
	LINKTYPE_IPV4_ = 228,
	LINKTYPE_IPV6_ = 229,
	DLT_LINUX_SLL2_ = 276,
};

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool l7_linktype_supported(int lt)
{
	switch (lt) {
	case DLT_NULL_: case DLT_EN10MB_: case DLT_RAW_: case DLT_RAW_OPENBSD_:
	case LINKTYPE_RAW_: case DLT_LOOP_: case DLT_LINUX_SLL_: case LINKTYPE_IPV4_:
	case LINKTYPE_IPV6_: case DLT_LINUX_SLL2_:
		return true;
	}
	return false;
}

/* BSD loopback: the address family, host order (NULL) or network (LOOP);
 * AF_INET6 is 24, 28 or 30 depending on the BSD that wrote it. */
static int null_ethertype(const uint8_t *p, bool big)
{
	uint32_t af = big ? be32(p) : (uint32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);

	if (af == 2)
		return ETH_IPV4;
	if (af == 24 || af == 28 || af == 30)
		return ETH_IPV6;
	return -1;
}

/* The offset of the network header, with *etype set; -1 when not IP. */
static int link_header(int lt, const uint8_t *f, uint32_t caplen, int *etype)
{
	uint32_t off;

	switch (lt) {
	case DLT_EN10MB_:
		if (caplen < 14)
			return -1;
		*etype = be16(f + 12);
		off = 14;
		/* 802.1Q, 802.1ad and the old QinQ tag, stacked */
		while ((*etype == 0x8100 || *etype == 0x88a8 || *etype == 0x9100) && off + 4 <= caplen) {
			*etype = be16(f + off + 2);
			off += 4;
		}
		return (int)off;
	case DLT_LINUX_SLL_:
		if (caplen < 16)
			return -1;
		*etype = be16(f + 14);
		return 16;
	case DLT_LINUX_SLL2_:
		if (caplen < 20)
			return -1;
		*etype = be16(f);
		return 20;
	case DLT_NULL_:
	case DLT_LOOP_:
		if (caplen < 4)
			return -1;
		*etype = null_ethertype(f, lt == DLT_LOOP_);
		return 4;
	case DLT_RAW_:
	case DLT_RAW_OPENBSD_:
	case LINKTYPE_RAW_:
	case LINKTYPE_IPV4_:
	case LINKTYPE_IPV6_:
		if (caplen < 1)
			return -1;
		*etype = (f[0] >> 4) == 6 ? ETH_IPV6 : ETH_IPV4;
		return 0;
	}
	return -1;
}

/* What the network layer leaves for transport, and where fragments go. */
struct l3 {
	const uint8_t *l4;
	uint32_t len, wire; /* captured, sent */
	struct l7_frags *frags;
	uint64_t time_us;
	struct wbpf_l7_stats *st;
};

/* A fragment [p, p+len) at byte `off`: 0 with the whole datagram in *l3
 * once its last part came, else -EAGAIN (or -EINVAL, -ENOMEM). */
static int fragment(struct l3 *l3, struct l7_frag_key *k, uint32_t off, bool more,
		    const uint8_t *p, uint32_t len, bool cut)
{
	const uint8_t *whole;
	uint32_t n;
	int err;

	if (!l3->frags || cut) {
		l3->st->ip_fragments++;
		return -EAGAIN;
	}
	err = l7_frags__add(l3->frags, k, off, more, p, len, l3->time_us, &whole, &n, l3->st);
	if (err)
		return err == -EINVAL ? -EINVAL : -EAGAIN;
	l3->l4 = whole;
	l3->len = l3->wire = n;
	return 0;
}

static int ipv4(const uint8_t *p, uint32_t cap, struct l7_pkt *pkt, struct l3 *l3)
{
	uint32_t ihl, tot;
	uint16_t frag;

	if (cap < 20 || (p[0] >> 4) != 4)
		return -EINVAL;
	ihl = (uint32_t)(p[0] & 15) * 4;
	tot = be16(p + 2);
	if (ihl < 20 || tot < ihl || cap < ihl)
		return -EINVAL;
	pkt->t.family = 4;
	pkt->t.l4 = p[9];
	memcpy(pkt->t.src, p + 12, 4);
	memcpy(pkt->t.dst, p + 16, 4);
	l3->l4 = p + ihl;
	l3->wire = tot - ihl;
	l3->len = (tot < cap ? tot : cap) - ihl;
	frag = be16(p + 6);
	if (frag & 0x3fff) { /* MF or an offset */
		struct l7_frag_key k = {.family = 4, .proto = p[9], .id = be16(p + 4)};

		memcpy(k.src, p + 12, 4);
		memcpy(k.dst, p + 16, 4);
		return fragment(l3, &k, (uint32_t)(frag & 0x1fff) * 8, frag & 0x2000, l3->l4,
				l3->len, l3->len < l3->wire);
	}
	return 0;
}

static bool ipv6_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60 || nh == 51;
}

static int ipv6(const uint8_t *p, uint32_t cap, struct l7_pkt *pkt, struct l3 *l3)
{
	uint32_t off = 40, plen, end;
	uint8_t nh;

	if (cap < 40 || (p[0] >> 4) != 6)
		return -EINVAL;
	plen = be16(p + 4);
	end = 40 + plen < cap ? 40 + plen : cap;
	nh = p[6];
	memcpy(pkt->t.src, p + 8, 16);
	memcpy(pkt->t.dst, p + 24, 16);
	pkt->t.family = 6;
	while (ipv6_ext(nh) || nh == 44) {
		if (off + 8 > end)
			return -EINVAL;
		if (nh == 44) {
			uint16_t fo = be16(p + off + 2);
			struct l7_frag_key k = {.family = 6, .proto = p[off], .id = be32(p + off + 4)};

			memcpy(k.src, p + 8, 16);
			memcpy(k.dst, p + 24, 16);
			pkt->t.l4 = p[off];
			l3->l4 = p + off + 8;
			l3->len = end - off - 8;
			return fragment(l3, &k, fo & 0xfff8, fo & 1, l3->l4, l3->len,
					end < 40 + plen);
		}
		/* AH counts its length in 4-byte units, the others in 8 */
		uint32_t hl = nh == 51 ? ((uint32_t)p[off + 1] + 2) * 4 : ((uint32_t)p[off + 1] + 1) * 8;
		nh = p[off];
		off += hl;
	}
	if (off > 40 + plen || off > cap)
		return -EINVAL;
	pkt->t.l4 = nh;
	l3->l4 = p + off;
	l3->wire = 40 + plen - off;
	l3->len = end - off;
	return 0;
}

/* Symmetric: both directions of a flow land on the same worker. */
uint32_t l7_pkt__hash(const struct l7_pkt *pkt)
{
	uint32_t a = 2166136261u, b = 2166136261u;
	unsigned n = pkt->t.family == 4 ? 4 : 16;

	for (unsigned i = 0; i < n; i++) {
		a = (a ^ pkt->t.src[i]) * 16777619u;
		b = (b ^ pkt->t.dst[i]) * 16777619u;
	}
	a = (a ^ pkt->t.sport) * 16777619u;
	b = (b ^ pkt->t.dport) * 16777619u;
	uint32_t h = (a ^ b) + pkt->t.l4;

	h ^= h >> 16;
	h *= 0x7feb352d;
	h ^= h >> 15;
	return h;
}

static int transport(const uint8_t *p, uint32_t len, uint32_t wire, struct l7_pkt *pkt)
{
	uint32_t hl;

	if (pkt->t.l4 == IPPROTO_TCP) {
		if (len < 20)
			return -EINVAL;
		hl = (uint32_t)(p[12] >> 4) * 4;
		if (hl < 20 || hl > len)
			return -EINVAL;
		pkt->seq = be32(p + 4);
		pkt->ack = be32(p + 8);
		pkt->tcp_flags = p[13];
	} else if (pkt->t.l4 == IPPROTO_UDP) {
		if (len < 8)
			return -EINVAL;
		hl = 8;
		uint32_t ulen = be16(p + 4);

		if (ulen >= 8 && ulen < wire)
			wire = ulen;
		if (len > wire)
			len = wire;
	} else {
		return -EPROTONOSUPPORT;
	}
	pkt->t.sport = be16(p);
	pkt->t.dport = be16(p + 2);
	pkt->payload = p + hl;
	pkt->len = len - hl;
	pkt->wire_len = wire > hl ? wire - hl : 0;
	if (pkt->wire_len < pkt->len)
		pkt->wire_len = pkt->len;
	return 0;
}

int l7_decode(int linktype, const uint8_t *f, uint32_t caplen, uint64_t time_us,
	      struct l7_frags *frags, struct l7_pkt *pkt, struct wbpf_l7_stats *st)
{
	struct l3 l3 = {.frags = frags, .time_us = time_us, .st = st};
	int etype = -1, off, err;

	memset(&pkt->t, 0, sizeof(pkt->t));
	memset(&pkt->proc, 0, sizeof(pkt->proc)); /* a packet: no process */
	pkt->time_us = time_us;
	pkt->seq = 0;
	pkt->tcp_flags = 0;
	off = link_header(linktype, f, caplen, &etype);
	if (off < 0 || (etype != ETH_IPV4 && etype != ETH_IPV6)) {
		st->not_ip++;
		return -EPROTONOSUPPORT;
	}
	f += off;
	caplen -= (uint32_t)off;
	err = etype == ETH_IPV4 ? ipv4(f, caplen, pkt, &l3) : ipv6(f, caplen, pkt, &l3);
	if (!err)
		err = transport(l3.l4, l3.len, l3.wire, pkt);
	if (err == -EINVAL)
		st->malformed++;
	else if (err == -EPROTONOSUPPORT)
		st->not_ip++;
	if (err)
		return err;
	pkt->hash = l7_pkt__hash(pkt);
	return 0;
}
