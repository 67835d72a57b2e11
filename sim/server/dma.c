/* SPDX-License-Identifier: MIT */
/* The device's DMA map (its IOMMU): IOVA ranges backed by the client's memfds. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "vsrv_internal.h"

void vsrv_dma_init(struct vsrv_dma *d)
{
	memset(d, 0, sizeof(*d));
}

void *vsrv_dma_lookup(struct vsrv_dma *d, uint64_t iova, uint64_t len, uint32_t prot)
{
	unsigned lo = 0, hi = d->n;

	/* last region whose iova <= the address */
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (d->r[mid].iova <= iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct vsrv_dma_region *r = &d->r[lo - 1];
	uint64_t off = iova - r->iova;
	if (off >= r->size || len > r->size - off || (r->prot & prot) != prot)
		return NULL;
	d->last = r;
	return r->host + off;
}

int vsrv_dma_map(struct vsrv_dma *d, int fd, uint64_t offset, uint64_t iova,
		 uint64_t size, uint32_t prot)
{
	struct stat st;

	if (size == 0 || iova + size < iova || offset + size < offset)
		return -EINVAL;
	/* Never map past the end of the file: touching that page would be
	 * SIGBUS in the server. Seal against shrinking where the fd allows. */
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < offset + size)
		return -EINVAL;
	(void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK);
	if (d->n >= 4096)
		return -ENOSPC;
	unsigned pos = 0;
	while (pos < d->n && d->r[pos].iova < iova)
		pos++;
	/* no overlap with neighbours */
	if (pos > 0 && d->r[pos - 1].iova + d->r[pos - 1].size > iova)
		return -EEXIST;
	if (pos < d->n && iova + size > d->r[pos].iova)
		return -EEXIST;
	int mprot = PROT_READ | ((prot & VSRV_DMA_WRITE) ? PROT_WRITE : 0);
	void *p = mmap(NULL, size, mprot, MAP_SHARED, fd, (off_t)offset);
	if (p == MAP_FAILED)
		return -errno;
	if (d->n == d->cap) {
		unsigned ncap = d->cap ? d->cap * 2 : 8;
		struct vsrv_dma_region *nr = realloc(d->r, ncap * sizeof(*nr));
		if (!nr) {
			munmap(p, size);
			return -ENOMEM;
		}
		d->r = nr;
		d->cap = ncap;
	}
	memmove(&d->r[pos + 1], &d->r[pos], (d->n - pos) * sizeof(*d->r));
	d->r[pos] = (struct vsrv_dma_region){ .iova = iova, .size = size, .host = p,
					      .prot = prot };
	d->n++;
	d->last = NULL;
	d->gen++;
	return 0;
}

/* Removes every region inside [iova, iova + size); a region only partly
 * inside makes the whole call fail with nothing removed. */
int vsrv_dma_unmap(struct vsrv_dma *d, uint64_t iova, uint64_t size)
{
	uint64_t end = iova + size;
	unsigned i, found = 0;

	if (size == 0 || end < iova)
		return -EINVAL;
	for (i = 0; i < d->n; i++) {
		const struct vsrv_dma_region *r = &d->r[i];
		uint64_t rend = r->iova + r->size;
		if (rend <= iova || r->iova >= end)
			continue;
		if (r->iova < iova || rend > end)
			return -EINVAL;
		found++;
	}
	if (!found)
		return -ENOENT;
	unsigned w = 0;
	for (i = 0; i < d->n; i++) {
		struct vsrv_dma_region *r = &d->r[i];
		if (r->iova >= iova && r->iova + r->size <= end)
			munmap(r->host, r->size);
		else
			d->r[w++] = *r;
	}
	d->n = w;
	d->last = NULL;
	d->gen++;
	return 0;
}

void vsrv_dma_clear(struct vsrv_dma *d)
{
	for (unsigned i = 0; i < d->n; i++)
		munmap(d->r[i].host, d->r[i].size);
	free(d->r);
	uint32_t gen = d->gen;
	memset(d, 0, sizeof(*d));
	d->gen = gen + 1;
}
