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
	m->nb_segs = 1;
	m->pkt_len = 0;
	m->next = NULL;
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
		vpmd_mbuf_put_chains(&dev->pool, &m, 1);
}

void vionic_mbuf_free_bulk(vionic_dev *dev, struct vionic_mbuf **m, unsigned n)
{
	vpmd_mbuf_put_chains(&dev->pool, m, n);
}

/* Bytes after the end of segment m's data up to the end of its buffer. */
static uint32_t tailroom(const struct vpmd_mempool *p, const struct vionic_mbuf *m)
{
	return (uint32_t)(vpmd_mbuf_data(p, m->idx) + p->room - (m->data + m->len));
}

int vionic_mbuf_append(vionic_dev *dev, struct vionic_mbuf *m, const void *src, uint32_t len)
{
	struct vpmd_mempool *p = &dev->pool;
	struct vionic_mbuf *last, *added = NULL, **link;
	const uint8_t *s = src;
	uint32_t c, left = len;
	uint16_t segs = 0;

	vpmd_err_clear();
	if (!dev || !m || (len && !src))
		return vpmd_err(VIONIC_EINVAL, "vionic_mbuf_append: NULL argument");
	for (last = m; last->next; last = last->next)
		;
	/* the segments that are missing first: all or nothing */
	c = tailroom(p, last) < left ? tailroom(p, last) : left;
	left -= c;
	link = &added;
	while (left) {
		struct vionic_mbuf *nx = vionic_mbuf_alloc(dev);

		if (!nx) {
			vionic_mbuf_free(dev, added);
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
	return dev ? dev->pool.room : 0;
}

uint16_t vionic_rx_max_frame(vionic_dev *dev)
{
	return dev ? vpmd_rx_max_frame(dev) : 0;
}
