// SPDX-License-Identifier: MIT
/* A socket source's record in its flow. The kernel hands over each
 * direction's bytes in order, once, so there is no TCP reassembly: the
 * bytes go straight to the stream, and the bytes a call moved beyond the
 * captured ones are a gap. The socket's role, when the kernel saw
 * connect() or accept(), says who the client is. */
#include <netinet/in.h>

#include "l7/internal.h"

void l7_worker__sock(struct l7_worker *w, struct l7_flow *f, int side, const struct l7_pkt *pkt)
{
	const struct l7_proc *pr = &pkt->proc;
	int local = pr->local_is_src ? side : !side;

	f->proc = *pr;
	f->local = (uint8_t)local;
	if (pr->role != WBPF_L7_SOCK_ROLE_UNKNOWN && f->dir_level < 2) {
		f->client = (uint8_t)(pr->role == WBPF_L7_SOCK_ROLE_CLIENT ? local : !local);
		f->dir_level = 2;
	}
	if (pr->close) {
		l7_flows__close(w, f);
		return;
	}
	if (f->l4 != IPPROTO_TCP) {
		if (pkt->len)
			l7_stream__datagram(w, f, side, pkt->payload, pkt->len, pkt->time_us);
		return;
	}
	if (pkt->len)
		l7_stream__data(w, f, side, pkt->payload, pkt->len, pkt->time_us);
	if (pkt->wire_len > pkt->len)
		l7_stream__gap(w, f, side, pkt->wire_len - pkt->len);
}
