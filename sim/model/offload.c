/* SPDX-License-Identifier: MIT */
/*
 * The model's offload stages, in the order of the RTL's stage chain. Each
 * follows the rules in include/vionic/regs.h (offload region) and acts only
 * when its feature was negotiated.
 */
#include <string.h>

#include "inet_csum.h"
#include "offload.h"

/* TX_CSUM: complete the checksum the driver asked for (NEEDS_CSUM). */
static int tx_csum_wants(const struct virtio_net_hdr *h)
{
	return h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;
}

static void tx_csum(struct offload *o, uint8_t *dst, const uint8_t *src, struct frame_meta *meta)
{
	const struct virtio_net_hdr *h = &meta->hdr;
	const uint32_t start = h->csum_start, at = start + h->csum_offset;
	uint32_t sum;

	if (at + 2 > meta->len) {   /* the field, or the start, is outside the frame */
		o->bad[VIONIC_STAGE_TX_CSUM]++;
		meta->drop = 1;
		return;
	}
	const int stream = dst != src && meta->stream && !(start & 1);
	if (stream) {
		/* moved and summed in one pass from byte 0 (aligned stores), but
		 * for the cache line(s) of the field, summed only here and
		 * written whole with it (vcsum_put_nt); then the bytes before
		 * csum_start, just read, taken out again */
		const uint32_t first = at & ~63u, line_end = ((at + 1) & ~63u) + 64;
		const uint32_t end = line_end < meta->len ? line_end : meta->len;

		sum = vcsum_copy_nt(dst, src, first, 0) + vcsum_add(src + first, end - first, 0);
		if (end < meta->len)
			sum += vcsum_copy_nt(dst + end, src + end, meta->len - end, 0);
		sum += (uint16_t)~vcsum_fold(vcsum_add(src, start, 0));
	} else if (dst != src) {    /* moved whole (the library's wide copy), then summed */
		memcpy(dst, src, meta->len);
		sum = vcsum_add(src + start, meta->len - start, 0);
	} else {
		sum = vcsum_add(dst + start, meta->len - start, 0);
	}
	if (stream)
		vcsum_put_nt(dst, src, meta->len, at, vcsum_finish(sum));
	else
		vcsum_put(dst + at, vcsum_finish(sum));
	o->good[VIONIC_STAGE_TX_CSUM]++;
}

/* RX_CSUM: check TCP/UDP checksums and mark the good ones DATA_VALID. The
 * frame is summed where the wire has it; the device copies it in after
 * (a library copy and a sum of bytes in the cache measured 12-25 % faster
 * than one pass that copies and sums, at 256 to 1514 B) */
static void rx_csum(struct offload *o, const uint8_t *frame, struct frame_meta *meta)
{
	struct vcsum_l4 l4;
	uint32_t sum;

	if (vcsum_locate(frame, meta->len, &l4))
		return;
	const uint8_t *p = frame + l4.l4_off;
	if (l4.ipv4 && l4.proto == 17 && l4.l4_len >= 8 && p[6] == 0 && p[7] == 0)
		return;                /* UDP over IPv4 without a checksum */
	sum = vcsum_add(p, l4.l4_len, vcsum_pseudo(frame, &l4));
	if (vcsum_fold(sum) == 0xFFFF) {
		meta->hdr.flags |= VIRTIO_NET_HDR_F_DATA_VALID;
		o->good[VIONIC_STAGE_RX_CSUM]++;
	} else {
		o->bad[VIONIC_STAGE_RX_CSUM]++;
	}
}

/* TX stages: `wants` tells from the driver's header whether the stage acts
 * on a frame (only those frames are copied out of the driver's buffer). */
static const struct {
	int (*wants)(const struct virtio_net_hdr *);
	void (*fn)(struct offload *, uint8_t *dst, const uint8_t *src, struct frame_meta *);
	unsigned feature;
} tx_stages[] = {
	{ tx_csum_wants, tx_csum, VIRTIO_NET_F_CSUM },
};

static const struct {
	void (*fn)(struct offload *, const uint8_t *, struct frame_meta *);
	unsigned feature;
} rx_stages[] = {
	{ rx_csum, VIRTIO_NET_F_GUEST_CSUM },
};

void offload_reset(struct offload *o)
{
	memset(o, 0, sizeof(*o));
}

#define NSTAGES(t) (sizeof(t) / sizeof((t)[0]))

void offload_negotiated(struct offload *o, uint64_t features)
{
	o->tx_on = o->rx_on = 0;
	for (unsigned i = 0; i < NSTAGES(tx_stages); i++)
		o->tx_on |= (uint32_t)(features >> tx_stages[i].feature & 1) << i;
	for (unsigned i = 0; i < NSTAGES(rx_stages); i++)
		o->rx_on |= (uint32_t)(features >> rx_stages[i].feature & 1) << i;
}

uint32_t offload_tx_wants(const struct offload *o, const uint8_t *hdr)
{
	struct virtio_net_hdr h;
	uint32_t acts = 0;

	memcpy(&h, hdr, sizeof(h));   /* the driver's buffer: any alignment */
	for (unsigned i = 0; i < NSTAGES(tx_stages); i++)
		if (o->tx_on >> i & 1)
			acts |= (uint32_t)(tx_stages[i].wants(&h) != 0) << i;
	return acts;
}

void offload_tx(struct offload *o, uint32_t acts, uint8_t *dst, const uint8_t *src,
		struct frame_meta *meta)
{
	/* a loop over the table, not over acts' bits: with its size known
	 * the compiler calls each stage directly */
	for (unsigned i = 0; i < NSTAGES(tx_stages) && !meta->drop; i++)
		if (acts >> i & 1) {
			tx_stages[i].fn(o, dst, src, meta);
			src = dst;   /* the next stage works in place */
		}
}

void offload_rx_stages(struct offload *o, const uint8_t *frame, struct frame_meta *meta)
{
	for (unsigned i = 0; i < NSTAGES(rx_stages) && !meta->drop; i++)
		if (o->rx_on >> i & 1)
			rx_stages[i].fn(o, frame, meta);
}

uint32_t offload_read(const struct offload *o, uint32_t reg)
{
	if (reg == VIONIC_REG_OFFLOAD_CAPS)
		return 1u << VIONIC_STAGE_TX_CSUM | 1u << VIONIC_STAGE_RX_CSUM;
	for (unsigned s = 0; s < OFFLOAD_STAGES; s++) {
		if (reg == VIONIC_REG_STAGE(s) + VIONIC_STAGE_CSUM_GOOD)
			return o->good[s];
		if (reg == VIONIC_REG_STAGE(s) + VIONIC_STAGE_CSUM_BAD)
			return o->bad[s];
	}
	return 0;
}
