/* SPDX-License-Identifier: MIT */
/*
 * The model's offload pipeline (DESIGN §6): stages that share one interface,
 * a frame plus its metadata, called in a fixed order, the same order as the
 * RTL's stage chain. A new offload is one stage function here, one RTL
 * module and their tests; the rules each stage follows are in
 * include/vionic/regs.h (offload region).
 */
#ifndef VIONIC_OFFLOAD_H
#define VIONIC_OFFLOAD_H

#include <stdint.h>

#include "vionic/regs.h"
#include "vionic/virtio.h"

/* What travels with a frame through the stages. */
struct frame_meta {
	uint16_t queue;              /* virtqueue of the frame */
	uint32_t len;                /* frame bytes (no virtio header) */
	struct virtio_net_hdr hdr;   /* TX: as the driver wrote it; RX: what the device writes */
	uint32_t hash;               /* RX: hash_value and hash_report (HASH_REPORT) */
	uint16_t hash_report;
	uint8_t drop;                /* set by a stage: the frame goes no further */
	uint8_t stream;              /* TX: dst is 32-byte aligned and nothing reads it
	                              * soon (the sink's pool): write it around the caches */
};

#define OFFLOAD_STAGES 2         /* VIONIC_STAGE_TX_CSUM, VIONIC_STAGE_RX_CSUM */

struct offload {
	uint32_t tx_on, rx_on;       /* stages whose feature was negotiated (bit per
	                              * entry of the TX / RX stage table) */
	uint32_t good[OFFLOAD_STAGES], bad[OFFLOAD_STAGES];   /* VIONIC_STAGE_CSUM_GOOD/BAD */
};

/* Device reset: counters 0, nothing negotiated. */
void offload_reset(struct offload *o);
/* FEATURES_OK accepted `features`: the stages of those features act. */
void offload_negotiated(struct offload *o, uint64_t features);
/* The negotiated TX stages that act on the frame whose virtio header (as
 * the driver wrote it, any alignment) is at hdr: a bit per entry of the TX
 * stage table, 0 for none. */
uint32_t offload_tx_wants(const struct offload *o, const uint8_t *hdr);
/* Runs the TX stages in `acts` (offload_tx_wants) on the frame at src (the
 * driver's buffer, read-only) and leaves the frame, as they made it, at dst
 * (the wire's own buffer, or a private copy): the first stage that acts
 * moves it there while it reads it, so a stage that reads every byte (the
 * checksum) costs one pass, not a copy and a pass. src == dst: in place. */
void offload_tx(struct offload *o, uint32_t acts, uint8_t *dst, const uint8_t *src,
		struct frame_meta *meta);
/* Runs the RX stages on a frame from the wire (they read it, and set the
 * header the device writes). */
void offload_rx_stages(struct offload *o, const uint8_t *frame, struct frame_meta *meta);
static inline void offload_rx(struct offload *o, const uint8_t *frame, struct frame_meta *meta)
{
	if (o->rx_on)          /* the common case without offloads: no call */
		offload_rx_stages(o, frame, meta);
}
/* Whether TX frames need their header read and possibly a private copy. */
static inline int offload_tx_active(const struct offload *o)
{
	return o->tx_on != 0;
}
/* A register of the offload region (VIONIC_REG_OFFLOAD..VIONIC_OFFLOAD_END). */
uint32_t offload_read(const struct offload *o, uint32_t reg);

#endif /* VIONIC_OFFLOAD_H */
