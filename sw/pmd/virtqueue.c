/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueues (VIRTIO 1.2 §2.7): ring layout in DMA memory, descriptor
 * bookkeeping, programming a queue through the common configuration, the
 * doorbell (with NOTIFICATION_DATA), the bulk RX refill and the TX reclaim.
 *
 * An mbuf is one descriptor (virtio_net_hdr and frame contiguous, as
 * VERSION_1 allows): cookie[id] is the mbuf, free_ids a FIFO of unposted
 * ids. A TX chain of mbufs is a descriptor chain: cookie[head] is its first
 * mbuf, chain_next links the other ids (in host memory: the device cannot
 * change what is freed). The device may complete out of order; nothing
 * here assumes it does not.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vpmd.h"

#define PAGE 4096ull
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))

/* desc + avail on the driver's pages, used on its own page (the device's). */
uint64_t vpmd_vq_ring_bytes(uint16_t size)
{
	return ALIGN_UP(VRING_DESC_BYTES(size) + VRING_AVAIL_BYTES(size), PAGE) +
	       ALIGN_UP(VRING_USED_BYTES(size), PAGE);
}

void vpmd_vq_layout(struct vionic_dev *dev, struct vpmd_vq *vq, uint16_t index,
		    uint16_t size, uint64_t off)
{
	uint64_t used_off = off + ALIGN_UP(VRING_DESC_BYTES(size) + VRING_AVAIL_BYTES(size), PAGE);

	vq->dev = dev;
	vq->index = index;
	vq->size = size;
	vq->mask = size - 1;
	vq->desc = (struct vring_desc *)(dev->dma_va + off);
	vq->avail = (struct vring_avail *)(dev->dma_va + off + VRING_DESC_BYTES(size));
	vq->used = (struct vring_used *)(dev->dma_va + used_off);
	vq->desc_iova = dev->dma_iova + off;
	vq->avail_iova = dev->dma_iova + off + VRING_DESC_BYTES(size);
	vq->used_iova = dev->dma_iova + used_off;
}

int vpmd_vq_alloc_meta(struct vpmd_vq *vq)
{
	vq->cookie = calloc(vq->size, sizeof(*vq->cookie));
	vq->free_ids = calloc(vq->size, sizeof(*vq->free_ids));
	vq->chain_next = calloc(vq->size, sizeof(*vq->chain_next));
	if (!vq->cookie || !vq->free_ids || !vq->chain_next) {
		vpmd_vq_free_meta(vq);
		return vpmd_err(VIONIC_ENOMEM, "out of host memory for a %u-entry ring", vq->size);
	}
	return 0;
}

void vpmd_vq_free_meta(struct vpmd_vq *vq)
{
	free(vq->cookie);
	free(vq->free_ids);
	free(vq->chain_next);
	vq->cookie = NULL;
	vq->free_ids = NULL;
	vq->chain_next = NULL;
}

/* Back to the state after reset: rings zeroed, nothing posted. Call after
 * vpmd_vq_release_all so no mbuf is forgotten. */
void vpmd_vq_reset(struct vpmd_vq *vq)
{
	uint16_t i;

	memset(vq->desc, 0, VRING_DESC_BYTES(vq->size));
	memset(vq->avail, 0, VRING_AVAIL_BYTES(vq->size));
	memset(vq->used, 0, VRING_USED_BYTES(vq->size));
	/* poll mode: no interrupts unless vionic_rx_wait asks */
	vq->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	vq->avail_idx = 0;
	vq->used_cons = 0;
	for (i = 0; i < vq->size; i++)
		vq->free_ids[i] = i;
	vq->free_head = 0;
	vq->nb_free = vq->size;
}

/* Every mbuf the ring holds goes back to the mempool. */
void vpmd_vq_release_all(struct vionic_dev *dev, struct vpmd_vq *vq)
{
	if (!vq->cookie)
		return;
	for (uint16_t i = 0; i < vq->size; i++) {
		if (vq->cookie[i]) {
			vpmd_mbuf_put_chains(dev, vpmd_qp_pool(dev, vq->index / 2),
					     &vq->cookie[i], 1);
			vq->cookie[i] = NULL;
		}
	}
}

/* Programs queue `vq->index` (§4.1.5.1.3) and enables it. */
int vpmd_vq_setup(struct vionic_dev *dev, struct vpmd_vq *vq)
{
	uint32_t c = dev->caps.common_off;
	uint16_t max, noff, vec;
	int r;

#define W16(o, v) do { if ((r = vpmd_reg_write16(dev, c + (o), (v)))) return r; } while (0)
#define W32(o, v) do { if ((r = vpmd_reg_write32(dev, c + (o), (v)))) return r; } while (0)
	W16(VIRTIO_PCI_COMMON_Q_SELECT, vq->index);
	if ((r = vpmd_reg_read16(dev, c + VIRTIO_PCI_COMMON_Q_SIZE, &max)))
		return r;
	if (max == 0)
		return vpmd_err(VIONIC_EPROTO, "device has no virtqueue %u (queue_size reads 0)",
				vq->index);
	if (vq->size > max)
		return vpmd_err(VIONIC_ERING, "ring size %u is above the device maximum %u for "
				"virtqueue %u; use a power of two from 1 to %u", vq->size, max,
				vq->index, max);
	W16(VIRTIO_PCI_COMMON_Q_SIZE, vq->size);
	W16(VIRTIO_PCI_COMMON_Q_MSIX, vq->msix_vector);
	if (vq->msix_vector != VIRTIO_MSI_NO_VECTOR) {
		if ((r = vpmd_reg_read16(dev, c + VIRTIO_PCI_COMMON_Q_MSIX, &vec)))
			return r;
		if (vec != vq->msix_vector)
			vq->msix_vector = VIRTIO_MSI_NO_VECTOR;  /* rx_wait falls back to polling */
	}
	W32(VIRTIO_PCI_COMMON_Q_DESCLO, (uint32_t)vq->desc_iova);
	W32(VIRTIO_PCI_COMMON_Q_DESCHI, (uint32_t)(vq->desc_iova >> 32));
	W32(VIRTIO_PCI_COMMON_Q_AVAILLO, (uint32_t)vq->avail_iova);
	W32(VIRTIO_PCI_COMMON_Q_AVAILHI, (uint32_t)(vq->avail_iova >> 32));
	W32(VIRTIO_PCI_COMMON_Q_USEDLO, (uint32_t)vq->used_iova);
	W32(VIRTIO_PCI_COMMON_Q_USEDHI, (uint32_t)(vq->used_iova >> 32));
	if ((r = vpmd_reg_read16(dev, c + VIRTIO_PCI_COMMON_Q_NOFF, &noff)))
		return r;
	vq->notify_off = dev->caps.notify_off + (uint32_t)noff * dev->caps.notify_mult;
	if ((uint64_t)noff * dev->caps.notify_mult + 4 > dev->caps.notify_len)
		return vpmd_err(VIONIC_EPROTO, "virtqueue %u doorbell at notify offset %u*%u is "
				"outside the %u-byte notify region", vq->index, noff,
				dev->caps.notify_mult, dev->caps.notify_len);
	vq->doorbell = dev->ops->bar_map(dev, dev->caps.bar, vq->notify_off, 4);
	vq->notify_data = !!(dev->driver_features & (1ull << VIRTIO_F_NOTIFICATION_DATA));
	vq->notify_base = vq->index;
	/* the device starts where the driver's shadow indices are (0 for a
	 * fresh ring; a vDPA frontend's vring base otherwise) */
	if ((r = vpmd_reg_write32(dev, VIONIC_REG_VQ_STATE(vq->index),
				  (uint32_t)vq->avail_idx << VIONIC_VQ_STATE_AVAIL_SHIFT |
				  (uint32_t)vq->used_cons << VIONIC_VQ_STATE_USED_SHIFT)))
		return r;
	W16(VIRTIO_PCI_COMMON_Q_ENABLE, 1);
#undef W16
#undef W32
	return 0;
}

/* The doorbell: no system call when the notify area is mapped. One per
 * burst, always: VRING_USED_F_NO_NOTIFY is a hint (§2.7.10) and checking it
 * would cost a full fence and a load of the line the device writes most;
 * an extra notification is always harmless. */
int vpmd_vq_kick(struct vionic_dev *dev, struct vpmd_vq *vq)
{
	uint32_t v = vq->notify_data ? vq->notify_base | ((uint32_t)vq->avail_idx << 16)
				     : vq->notify_base;

	vq->doorbells++;
	if (VPMD_LIKELY(vq->doorbell != NULL)) {
		/* ordered after the release store of avail->idx */
		__atomic_store_n(vq->doorbell, v, __ATOMIC_RELEASE);
		return 0;
	}
	return dev->ops->bar_write(dev, dev->caps.bar, vq->notify_off, &v, 4);
}

/* Posts as many free mbufs as there are free RX descriptors, one doorbell
 * (none before DRIVER_OK: §3.1.1 forbids notifications then). */
void vpmd_rx_refill(struct vionic_dev *dev, struct vpmd_vq *vq, bool kick)
{
	struct vpmd_mempool *p = vpmd_qp_pool(dev, vq->index / 2);
	struct vionic_mbuf **take;
	unsigned n = vq->nb_free, i;
	uint16_t idx = vq->avail_idx;
	const uint32_t blen = p->mbuf_size;

	if (n > p->top)
		vpmd_mempool_drain(p);
	if (n > p->top) {
		vq->nombuf += n - p->top;
		n = p->top;
	}
	if (!n)
		return;
	/* the mbufs freed last, in the order they were freed: after an
	 * rx_burst + free_bulk cycle each id gets back the mbuf it had */
	take = vpmd_mempool_take(p, n);
	for (i = 0; i < n; i++) {
		struct vionic_mbuf *m = take[i];
		uint16_t id = vpmd_id_get(vq);
		struct vring_desc *d = &vq->desc[id];

		m->data = vpmd_mbuf_data(p, m->idx);
		m->next = NULL;            /* a freed chain keeps its links */
		m->nb_segs = 1;
		vq->cookie[id] = m;
		VPMD_SET(d->addr, vpmd_mbuf_hdr_iova(p, m));
		VPMD_SET(d->len, blen);
		VPMD_SET(d->flags, VRING_DESC_F_WRITE);
		VPMD_SET(d->next, 0);
		VPMD_SET(vq->avail->ring[idx & vq->mask], id);
		idx++;
	}
	vq->avail_idx = idx;
	__atomic_store_n(&vq->avail->idx, idx, __ATOMIC_RELEASE);
	if (kick)
		vpmd_vq_kick(dev, vq);
}

/* Completed TX buffers go back to the mempool in blocks, in completion
 * order (the bench and tx_burst take them out again in that order). */
void vpmd_tx_reclaim(struct vionic_dev *dev, struct vpmd_vq *vq, unsigned max)
{
	struct vpmd_mempool *mine = vpmd_qp_pool(dev, vq->index / 2);
	struct vionic_mbuf *done[64];
	unsigned cnt = vpmd_used_count(vq, max), k = 0;
	uint32_t len;

	for (unsigned i = 0; i < cnt; i++) {
		uint16_t id;
		struct vionic_mbuf *m = vpmd_used_take_id(vq, &len, &id);

		if (VPMD_UNLIKELY(!m))
			continue;
		if (VPMD_UNLIKELY(m->next != NULL)) {   /* a chain: its other ids too */
			for (uint16_t x = vq->chain_next[id]; x != VPMD_NO_ID; x = vq->chain_next[x])
				vpmd_id_put(vq, x);
			vpmd_mbuf_put_chains(dev, mine, &m, 1);
			continue;
		}
		done[k++] = m;
		if (k == sizeof(done) / sizeof(done[0])) {
			vpmd_mbuf_put(dev, mine, done, k);
			k = 0;
		}
	}
	vpmd_mbuf_put(dev, mine, done, k);
}

int vpmd_ctrl_cmd(struct vionic_dev *dev, struct vpmd_vq *vq, uint8_t *buf, uint64_t buf_iova,
		  const void *cmd, unsigned len, int timeout_ms)
{
	int64_t deadline = vpmd_mono_ms() + timeout_ms;
	uint16_t head = 0;

	if (len > VPMD_CTRL_ACK_OFF)
		return vpmd_err(VIONIC_EINVAL, "a control command of %u bytes; at most %u", len,
				VPMD_CTRL_ACK_OFF);
	memcpy(buf, cmd, len);
	buf[VPMD_CTRL_ACK_OFF] = 0xFF;
	vq->desc[0] = (struct vring_desc){ buf_iova, len, VRING_DESC_F_NEXT, 1 };
	vq->desc[1] = (struct vring_desc){ buf_iova + VPMD_CTRL_ACK_OFF, 1, VRING_DESC_F_WRITE, 0 };
	vq->avail->ring[vq->avail_idx & vq->mask] = head;
	vq->avail_idx++;
	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
	vpmd_vq_kick(dev, vq);
	while (vpmd_used_idx(vq) != vq->avail_idx) {
		if (vpmd_mono_ms() > deadline)
			return vpmd_err(VIONIC_ETIMEDOUT, "the device did not answer a control "
					"command (class %u, command %u) within %d ms",
					((const uint8_t *)cmd)[0], len > 1 ? ((const uint8_t *)cmd)[1] : 0,
					timeout_ms);
		struct timespec ts = { 0, 20000 };
		nanosleep(&ts, NULL);
	}
	vq->used_cons = vq->avail_idx;
	return __atomic_load_n(&buf[VPMD_CTRL_ACK_OFF], __ATOMIC_ACQUIRE) == VIRTIO_NET_OK ? 0 :
	       vpmd_err(VIONIC_EPROTO, "the device answered VIRTIO_NET_ERR to a control command "
			"(class %u, command %u)", ((const uint8_t *)cmd)[0],
			len > 1 ? ((const uint8_t *)cmd)[1] : 0);
}
