/* SPDX-License-Identifier: MIT */
/*
 * The mempool: fixed-size buffers in DMA memory, one pool per queue pair
 * (each a LIFO stack of free ones: cache-warm reuse, no locks: one thread
 * drives a queue pair; frees from other threads are handed back, vpmd.h).
 * Buffer layout:
 *
 *   [ .. | virtio_net_hdr (12, 20 with HASH_REPORT) | frame (room bytes) .. ]
 *          ^ data - hdr_len                           ^ data = buffer + VPMD_HEADROOM
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

void vpmd_mempool_fini(struct vionic_dev *dev)
{
	for (unsigned k = 0; k < VPMD_MAX_QP; k++) {
		free(dev->pool[k].mbufs);
		free(dev->pool[k].stack);
		memset(&dev->pool[k], 0, sizeof(dev->pool[k]));
	}
	dev->nb_pools = 0;
}

/* n mbufs in `pools` pools, one after the other in the DMA memory at off:
 * pool 0 gets the remainder. */
int vpmd_mempool_init(struct vionic_dev *dev, uint64_t off, uint32_t n, uint16_t mbuf_size,
		      unsigned pools)
{
	const uint32_t stride = buffer_stride(mbuf_size);
	uint32_t first = 0;

	vpmd_mempool_fini(dev);
	for (unsigned k = 0; k < pools; k++) {
		struct vpmd_mempool *p = &dev->pool[k];
		uint32_t cnt = n / pools + (k == 0 ? n % pools : 0);

		p->mbufs = calloc(cnt, sizeof(*p->mbufs));
		p->stack = calloc(cnt, sizeof(*p->stack));
		if (!p->mbufs || !p->stack) {
			vpmd_mempool_fini(dev);
			return vpmd_err(VIONIC_ENOMEM, "out of host memory for %u mbufs", n);
		}
		p->n = cnt;
		p->mbuf_size = mbuf_size;
		p->hdr_len = vpmd_hdr_len(dev->conf.features);
		p->room = (uint16_t)(mbuf_size - p->hdr_len);
		p->stride = stride;
		p->base = dev->dma_va + off + (uint64_t)first * stride;
		p->iova_delta = dev->dma_iova - (uint64_t)(uintptr_t)dev->dma_va;
		for (uint32_t i = 0; i < cnt; i++) {
			struct vionic_mbuf *m = &p->mbufs[i];
			m->idx = (uint32_t)k << VPMD_POOL_SHIFT | i;
			m->data = vpmd_mbuf_data(p, m->idx);
			/* LIFO: the first mbufs come out first */
			p->stack[cnt - 1 - i] = m;
		}
		p->top = cnt;
		first += cnt;
	}
	dev->nb_pools = (uint16_t)pools;
	return 0;
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
	m->nb_segs = 1;
	m->pkt_len = 0;
	m->next = NULL;
}

unsigned vpmd_mbuf_alloc_upto(struct vpmd_mempool *p, struct vionic_mbuf **m, unsigned n)
{
	struct vionic_mbuf **top;

	if (VPMD_UNLIKELY(p->top < n))
		vpmd_mempool_drain(p);
	if (p->top < n)
		n = p->top;
	top = vpmd_mempool_take(p, n);
	for (unsigned i = 0; i < n; i++) {
		m[i] = top[i];
		mbuf_init(p, m[i]);
	}
	return n;
}

struct vionic_mbuf *vionic_mbuf_alloc(vionic_dev *dev)
{
	struct vionic_mbuf *m;

	return vpmd_mbuf_alloc_upto(&dev->pool[0], &m, 1) ? m : NULL;
}

int vionic_mbuf_alloc_bulk(vionic_dev *dev, struct vionic_mbuf **m, unsigned n)
{
	return vionic_mbuf_alloc_bulk_qp(dev, 0, m, n);
}

int vionic_mbuf_alloc_bulk_qp(vionic_dev *dev, uint16_t qp, struct vionic_mbuf **m, unsigned n)
{
	struct vpmd_mempool *p = vpmd_qp_pool(dev, qp);

	if (VPMD_UNLIKELY(p->top < n))
		vpmd_mempool_drain(p);
	if (VPMD_UNLIKELY(p->top < n))
		return VIONIC_ENOMEM;
	return vpmd_mbuf_alloc_upto(p, m, n) == n ? 0 : VIONIC_ENOMEM;
}

void vionic_mbuf_free(vionic_dev *dev, struct vionic_mbuf *m)
{
	if (VPMD_LIKELY(m != NULL))
		vpmd_mbuf_put_chains(dev, NULL, &m, 1);
}

void vionic_mbuf_free_bulk(vionic_dev *dev, struct vionic_mbuf **m, unsigned n)
{
	vpmd_mbuf_put_chains(dev, NULL, m, n);
}

/* Bytes after the end of segment m's data up to the end of its buffer. */
static uint32_t tailroom(const struct vpmd_mempool *p, const struct vionic_mbuf *m)
{
	return (uint32_t)(vpmd_mbuf_data(p, m->idx) + p->room - (m->data + m->len));
}

int vionic_mbuf_append(vionic_dev *dev, struct vionic_mbuf *m, const void *src, uint32_t len)
{
	struct vpmd_mempool *p;
	struct vionic_mbuf *last, *added = NULL, **link;
	const uint8_t *s = src;
	uint32_t c, left = len;
	uint16_t segs = 0;

	vpmd_err_clear();
	if (!dev || !m || (len && !src))
		return vpmd_err(VIONIC_EINVAL, "vionic_mbuf_append: NULL argument");
	p = vpmd_pool_of(dev, m);   /* new segments from the pool of m's thread */
	for (last = m; last->next; last = last->next)
		;
	/* the segments that are missing first: all or nothing */
	c = tailroom(vpmd_pool_of(dev, last), last);
	c = c < left ? c : left;
	left -= c;
	link = &added;
	while (left) {
		struct vionic_mbuf *nx;

		if (!vpmd_mbuf_alloc_upto(p, &nx, 1)) {
			vpmd_mbuf_put_chains(dev, p, &added, added ? 1 : 0);
			return vpmd_err(VIONIC_ENOMEM, "vionic_mbuf_append: the mempool has too few "
					"free mbufs for %u more bytes", len);
		}
		nx->len = (uint16_t)(left < p->room ? left : p->room);
		left -= nx->len;
		*link = nx;
		link = &nx->next;
		segs++;
	}
	memcpy(last->data + last->len, s, c);
	last->len = (uint16_t)(last->len + c);
	s += c;
	last->next = added;
	for (struct vionic_mbuf *x = added; x; x = x->next) {
		memcpy(x->data, s, x->len);
		s += x->len;
	}
	m->pkt_len += len;
	m->nb_segs = (uint16_t)(m->nb_segs + segs);
	return 0;
}

int vionic_mbuf_read(const struct vionic_mbuf *m, void *dst, uint32_t cap)
{
	uint8_t *d = dst;
	uint32_t total = 0;

	vpmd_err_clear();
	if (!m || !dst)
		return vpmd_err(VIONIC_EINVAL, "vionic_mbuf_read: NULL argument");
	for (const struct vionic_mbuf *s = m; s; s = s->next)
		total += s->len;
	if (total > cap)
		return vpmd_err(VIONIC_ETOOBIG, "vionic_mbuf_read: the frame is %u bytes, the "
				"buffer %u", total, cap);
	for (const struct vionic_mbuf *s = m; s; s = s->next) {
		memcpy(d, s->data, s->len);
		d += s->len;
	}
	return (int)total;
}

uint16_t vionic_mbuf_room(vionic_dev *dev)
{
	return dev ? dev->pool[0].room : 0;
}

uint16_t vionic_rx_max_frame(vionic_dev *dev)
{
	return dev ? vpmd_rx_max_frame(dev) : 0;
}
