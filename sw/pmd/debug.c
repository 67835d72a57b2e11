/* SPDX-License-Identifier: MIT */
/*
 * Fault injection for tests and tools: raw descriptor writes and avail
 * posts that bypass the driver's bookkeeping, so the device sees exactly
 * what a buggy or hostile driver would give it. debug_post makes `head` the
 * next entry the device takes: appended where the ring has room and nothing
 * is pending, otherwise written over the pending entry the device reads next
 * (an RX ring is normally full, so appending would itself be an index
 * error, and the device would fill the buffers ahead first). After such a post the
 * device is expected to end in NEEDS_RESET; vionic_reset recovers and every
 * mbuf goes back to the mempool (the driver's cookies are untouched here).
 */
#include "vpmd.h"

static int debug_vq(struct vionic_dev *dev, uint16_t vq, struct vpmd_vq **out, const char *fn)
{
	if (!dev)
		return vpmd_err(VIONIC_EINVAL, "%s: NULL device", fn);
	if (dev->state == VPMD_ST_OPEN || !dev->nb_qp)
		return vpmd_err(VIONIC_ESTATE, "%s: device not configured; call vionic_configure", fn);
	if (vq >= 2u * dev->nb_qp)
		return vpmd_err(VIONIC_EQUEUE, "%s: virtqueue %u does not exist; use 0..%u "
				"(rx = 2*qp, tx = 2*qp+1)", fn, vq, 2u * dev->nb_qp - 1);
	*out = &dev->vq[vq];
	return 0;
}

int vionic_debug_write_desc(vionic_dev *dev, uint16_t vq, uint16_t slot,
			    uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	struct vpmd_vq *q = NULL;
	int r = debug_vq(dev, vq, &q, "vionic_debug_write_desc");

	if (r)
		return r;
	if (slot >= q->size)
		return vpmd_err(VIONIC_EINVAL, "descriptor slot %u is outside the %u-entry ring; "
				"use 0..%u", slot, q->size, q->size - 1);
	q->desc[slot].addr = addr;
	q->desc[slot].len = len;
	q->desc[slot].flags = flags;
	q->desc[slot].next = next;
	return 0;
}

int vionic_debug_post(vionic_dev *dev, uint16_t vq, uint16_t head)
{
	struct vpmd_vq *q = NULL;
	int r = debug_vq(dev, vq, &q, "vionic_debug_post");
	uint16_t dev_pos;

	if (r)
		return r;
	if (q->index & 1)   /* completed TX buffers free their slots first */
		vpmd_tx_reclaim(dev, q, q->size);
	dev_pos = vpmd_used_idx(q);
	if (((q->index & 1) == 0 && q->avail_idx != dev_pos) || ((q->index & 1) && !q->nb_free)) {
		/* entries are pending (an RX ring is normally full): `head`
		 * replaces the one the device takes next; that buffer stays
		 * with the driver and returns to the mempool at reset */
		__atomic_store_n(&q->avail->ring[dev_pos & q->mask], head, __ATOMIC_RELEASE);
	} else {
		if (q->nb_free)
			(void)vpmd_id_get(q);   /* the slot is taken: keep the count right */
		q->avail->ring[q->avail_idx & q->mask] = head;
		q->avail_idx++;
		__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
	}
	return vpmd_vq_kick(dev, q);
}
