/* SPDX-License-Identifier: MIT */
/*
 * The mempool: fixed-size buffers in DMA memory, a LIFO stack of free ones
 * (cache-warm reuse, no locks: one thread drives a device). Buffer layout:
 *
 *   [ .. | virtio_net_hdr (12) | frame (room bytes) .. ]
 *          ^ data - 12           ^ data = buffer + VPMD_HEADROOM (64-aligned)
 *
 * Metadata (struct vionic_mbuf) lives in host memory the device cannot reach.
 */
#include <stdlib.h>
#include <string.h>

#include "vpmd.h"

int vpmd_mempool_init(struct vionic_dev *dev, uint64_t off, uint32_t n, uint16_t mbuf_size)
{
	struct vpmd_mempool *p = &dev->pool;
	uint32_t i;

	memset(p, 0, sizeof(*p));
	p->mbufs = calloc(n, sizeof(*p->mbufs));
	p->stack = calloc(n, sizeof(*p->stack));
	if (!p->mbufs || !p->stack) {
		free(p->mbufs);
		free(p->stack);
		memset(p, 0, sizeof(*p));
		return vpmd_err(VIONIC_ENOMEM, "out of host memory for %u mbufs", n);
	}
	p->n = n;
	p->mbuf_size = mbuf_size;
	p->room = mbuf_size - VIONIC_NET_HDR_LEN;
	p->stride = (VPMD_HEADROOM - VIONIC_NET_HDR_LEN + mbuf_size + 63) & ~63u;
	p->base = dev->dma_va + off;
	p->base_iova = dev->dma_iova + off;
	for (i = 0; i < n; i++) {
		struct vionic_mbuf *m = &p->mbufs[i];
		m->idx = i;
		m->data = p->base + (uint64_t)i * p->stride + VPMD_HEADROOM;
		m->iova = p->base_iova + (uint64_t)i * p->stride + VPMD_HEADROOM;
		m->len = 0;
		/* LIFO: the first mbufs come out first */
		p->stack[n - 1 - i] = m;
	}
	p->top = n;
	return 0;
}

void vpmd_mempool_fini(struct vionic_dev *dev)
{
	struct vpmd_mempool *p = &dev->pool;

	free(p->mbufs);
	free(p->stack);
	memset(p, 0, sizeof(*p));
}

uint64_t vpmd_mempool_bytes(uint32_t n, uint16_t mbuf_size)
{
	uint32_t stride = (VPMD_HEADROOM - VIONIC_NET_HDR_LEN + mbuf_size + 63) & ~63u;
	return (uint64_t)n * stride;
}

static inline void mbuf_init(struct vpmd_mempool *p, struct vionic_mbuf *m)
{
	m->data = p->base + (uint64_t)m->idx * p->stride + VPMD_HEADROOM;
	m->len = 0;
}

struct vionic_mbuf *vionic_mbuf_alloc(vionic_dev *dev)
{
	struct vpmd_mempool *p = &dev->pool;
	struct vionic_mbuf *m;

	if (VPMD_UNLIKELY(!p->top))
		return NULL;
	m = p->stack[--p->top];
	mbuf_init(p, m);
	return m;
}

int vionic_mbuf_alloc_bulk(vionic_dev *dev, struct vionic_mbuf **m, unsigned n)
{
	struct vpmd_mempool *p = &dev->pool;
	unsigned i;

	if (VPMD_UNLIKELY(p->top < n))
		return VIONIC_ENOMEM;
	/* the block on top of the stack, in the order it was freed */
	p->top -= n;
	for (i = 0; i < n; i++) {
		m[i] = p->stack[p->top + i];
		mbuf_init(p, m[i]);
	}
	return 0;
}

void vionic_mbuf_free(vionic_dev *dev, struct vionic_mbuf *m)
{
	struct vpmd_mempool *p = &dev->pool;

	if (VPMD_UNLIKELY(!m || p->top >= p->n))
		return;
	p->stack[p->top++] = m;
}

void vionic_mbuf_free_bulk(vionic_dev *dev, struct vionic_mbuf **m, unsigned n)
{
	struct vpmd_mempool *p = &dev->pool;
	unsigned i;

	if (VPMD_UNLIKELY(p->top + n > p->n))
		n = p->n - p->top;   /* double free: never overflow the stack */
	for (i = 0; i < n; i++)
		p->stack[p->top++] = m[i];
}

uint32_t vionic_mempool_avail(vionic_dev *dev)
{
	if (!dev)
		return 0;
	/* TX buffers the device has completed are free: take them back first,
	 * so avail + on_rings == nb_mbufs once nothing is in flight */
	if (dev->state != VPMD_ST_OPEN)
		for (unsigned q = 1; q < 2u * dev->nb_qp; q += 2)
			vpmd_tx_reclaim(dev, &dev->vq[q], dev->vq[q].size);
	return dev->pool.top;
}

uint32_t vionic_mempool_on_rings(vionic_dev *dev)
{
	uint32_t n = 0;

	if (!dev || dev->state == VPMD_ST_OPEN)
		return 0;
	for (unsigned q = 0; q < 2u * dev->nb_qp; q += 2)
		if (dev->vq[q].size)
			n += (uint16_t)(dev->vq[q].size - dev->vq[q].nb_free);
	return n;
}

uint16_t vionic_mbuf_room(vionic_dev *dev)
{
	return dev ? dev->pool.room : 0;
}
