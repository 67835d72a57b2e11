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

/* Bytes per buffer: headroom before the header, then the data room,
 * rounded to cache lines. */
static uint32_t buffer_stride(uint16_t mbuf_size)
{
	return (VPMD_HEADROOM - VIONIC_NET_HDR_LEN + mbuf_size + 63) & ~63u;
}

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
	p->stride = buffer_stride(mbuf_size);
	p->base = dev->dma_va + off;
	p->iova_delta = dev->dma_iova - (uint64_t)(uintptr_t)dev->dma_va;
	for (i = 0; i < n; i++) {
		struct vionic_mbuf *m = &p->mbufs[i];
		m->idx = i;
		m->data = vpmd_mbuf_data(p, i);
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
	return (uint64_t)n * buffer_stride(mbuf_size);
}

static inline void mbuf_init(struct vpmd_mempool *p, struct vionic_mbuf *m)
{
	m->data = vpmd_mbuf_data(p, m->idx);
	m->len = 0;
	m->ol_flags = 0;
}

struct vionic_mbuf *vionic_mbuf_alloc(vionic_dev *dev)
{
	struct vpmd_mempool *p = &dev->pool;
	struct vionic_mbuf *m;

	if (VPMD_UNLIKELY(!p->top))
		return NULL;
	m = *vpmd_mempool_take(p, 1);
	mbuf_init(p, m);
	return m;
}

int vionic_mbuf_alloc_bulk(vionic_dev *dev, struct vionic_mbuf **m, unsigned n)
{
	struct vpmd_mempool *p = &dev->pool;
	struct vionic_mbuf **top;

	if (VPMD_UNLIKELY(p->top < n))
		return VIONIC_ENOMEM;
	top = vpmd_mempool_take(p, n);
	for (unsigned i = 0; i < n; i++) {
		m[i] = top[i];
		mbuf_init(p, m[i]);
	}
	return 0;
}

void vionic_mbuf_free(vionic_dev *dev, struct vionic_mbuf *m)
{
	if (VPMD_LIKELY(m != NULL))
		vpmd_mempool_put_bulk(&dev->pool, &m, 1);
}

void vionic_mbuf_free_bulk(vionic_dev *dev, struct vionic_mbuf **m, unsigned n)
{
	vpmd_mempool_put_bulk(&dev->pool, m, n);
}

uint16_t vionic_mbuf_room(vionic_dev *dev)
{
	return dev ? dev->pool.room : 0;
}
