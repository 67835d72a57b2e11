/* SPDX-License-Identifier: MIT */
/*
 * DMA memory: one memfd (hugetlb where the machine has huge pages, plain
 * shared memory otherwise), mapped here and handed to the device with the
 * transport's dma_map at an IOVA different from its VA.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vpmd.h"

#define HUGE_2M (2ull << 20)

static int try_alloc(struct vionic_dev *dev, uint64_t size, bool huge)
{
	int fd = memfd_create("vionic-dma", MFD_CLOEXEC | (huge ? MFD_HUGETLB : 0));
	void *va;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	va = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (va == MAP_FAILED) {
		int e = errno;
		close(fd);
		return -e;
	}
	if (!huge)   /* transparent huge pages for shmem, where the kernel allows them */
		madvise(va, size, MADV_HUGEPAGE);
	dev->dma_fd = fd;
	dev->dma_va = va;
	dev->dma_size = size;
	return 0;
}

int vpmd_dma_alloc(struct vionic_dev *dev, uint64_t size)
{
	uint64_t hsz = (size + HUGE_2M - 1) & ~(HUGE_2M - 1);
	uint64_t psz = (size + 4095) & ~4095ull;
	int r;

	dev->dma_fd = -1;
	if (try_alloc(dev, hsz, true) == 0)
		goto map;
	r = try_alloc(dev, psz, false);
	if (r)
		return vpmd_err(VIONIC_ENOMEM, "cannot allocate %llu bytes of DMA memory (memfd: "
				"%s); use fewer or smaller mbufs or free memory",
				(unsigned long long)psz, strerror(-r));
map:
	dev->dma_iova = VPMD_IOVA_BASE;
	r = dev->ops->dma_map(dev, dev->dma_fd, 0, dev->dma_iova, dev->dma_size);
	if (r) {
		vpmd_dma_free(dev);
		return r;
	}
	dev->dma_mapped = true;
	return 0;
}

void vpmd_dma_free(struct vionic_dev *dev)
{
	if (dev->dma_mapped && dev->ops && dev->tp)
		dev->ops->dma_unmap(dev, dev->dma_iova, dev->dma_size);
	dev->dma_mapped = false;
	if (dev->dma_va)
		munmap(dev->dma_va, dev->dma_size);
	if (dev->dma_fd >= 0)
		close(dev->dma_fd);
	dev->dma_va = NULL;
	dev->dma_fd = -1;
	dev->dma_size = 0;
}

int vionic_debug_dma_window(vionic_dev *dev, uint64_t *iova, uint64_t *size, void **host)
{
	if (!dev)
		return vpmd_err(VIONIC_EINVAL, "vionic_debug_dma_window: NULL device");
	if (!dev->dma_va)
		return vpmd_err(VIONIC_ESTATE, "no DMA memory yet; call vionic_configure first");
	if (iova)
		*iova = dev->dma_iova;
	if (size)
		*size = dev->dma_size;
	if (host)
		*host = dev->dma_va;
	return 0;
}
