/* SPDX-License-Identifier: MIT */
/* Wire "loopback": every frame the NIC transmits comes back on its RX side,
 * through a FIFO of frame slots (the MAC's loopback buffer). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsrv.h"

#define LB_SLOTS 1024u   /* > one poll's TX budget: the FIFO never fills in practice */

struct lb {
	uint32_t slot_size;
	uint32_t head, tail;     /* head: next to receive, tail: next to fill */
	uint32_t *len;
	uint8_t *buf;
};

static int lb_open(struct vsrv_wire *w, const char *arg, const struct vsrv_conf *conf,
		   char *err, size_t errlen)
{
	(void)arg;
	struct lb *lb = calloc(1, sizeof(*lb));
	if (!lb) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	lb->slot_size = ((uint32_t)conf->mtu + 14 + 63) & ~63u;
	lb->len = calloc(LB_SLOTS, sizeof(*lb->len));
	lb->buf = malloc((size_t)LB_SLOTS * lb->slot_size);
	if (!lb->len || !lb->buf) {
		free(lb->len);
		free(lb->buf);
		free(lb);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	w->priv = lb;
	return 0;
}

static void lb_close(struct vsrv_wire *w)
{
	struct lb *lb = w->priv;
	if (lb) {
		free(lb->len);
		free(lb->buf);
		free(lb);
	}
	w->priv = NULL;
}

static int lb_send(struct vsrv_wire *w, const void *frame, uint32_t len)
{
	struct lb *lb = w->priv;
	if (lb->tail - lb->head >= LB_SLOTS || len > lb->slot_size)
		return -1;
	uint32_t s = lb->tail % LB_SLOTS;
	uint8_t *slot = lb->buf + (size_t)s * lb->slot_size;
	if (frame != slot)   /* else built in place (lb_tx_slot) */
		memcpy(slot, frame, len);
	lb->len[s] = len;
	lb->tail++;
	return 0;
}

static void *lb_tx_slot(struct vsrv_wire *w, uint32_t len)
{
	struct lb *lb = w->priv;
	if (lb->tail - lb->head >= LB_SLOTS || len > lb->slot_size)
		return NULL;
	return lb->buf + (size_t)(lb->tail % LB_SLOTS) * lb->slot_size;
}

static int lb_rx(struct vsrv_wire *w, const uint8_t **frame, uint32_t *len)
{
	struct lb *lb = w->priv;
	if (lb->head == lb->tail)
		return 0;
	uint32_t s = lb->head % LB_SLOTS;
	*frame = lb->buf + (size_t)s * lb->slot_size;
	*len = lb->len[s];
	return 1;
}

static void lb_rx_done(struct vsrv_wire *w)
{
	struct lb *lb = w->priv;
	/* empty again: start over at the first slot, so the few slots a burst
	 * takes stay in cache (like DPDK's mempool cache handing back the mbuf
	 * it just took) instead of walking the whole FIFO, larger than L2 */
	if (++lb->head == lb->tail)
		lb->head = lb->tail = 0;
}

static void lb_reset(struct vsrv_wire *w)
{
	struct lb *lb = w->priv;
	lb->head = lb->tail;
}

const struct vsrv_wire_ops vsrv_wire_loopback = {
	.name = "loopback",
	.open = lb_open,
	.close = lb_close,
	.send = lb_send,
	.rx = lb_rx,
	.rx_done = lb_rx_done,
	.reset = lb_reset,
	.tx_slot = lb_tx_slot,
};
