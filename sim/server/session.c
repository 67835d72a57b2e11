/* SPDX-License-Identifier: MIT */
/*
 * One client's session: the notify page it maps, the device reset it starts
 * with, and what it leaves behind (MSI-X eventfds, the DMA map, the socket).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vsrv_internal.h"

/* After a device reset: the doorbell words restart from 0, so the first
 * doorbell after reset is never mistaken for an old one, and frames in
 * flight inside the wire are forgotten. */
void vsrv_device_was_reset(struct vsrv_dev *dev)
{
	if (dev->notify_map)
		memset(dev->notify_map + VIONIC_NOTIFY, 0, VIONIC_NOTIFY_SIZE);
	memset(dev->db_seen, 0, sizeof(dev->db_seen));
	if (dev->wire.ops->reset)
		dev->wire.ops->reset(&dev->wire);
}

void vsrv_irqs_clear(struct vsrv_dev *dev)
{
	for (unsigned i = 0; i < VSRV_MSIX_VECTORS; i++) {
		if (dev->irq_fd[i] >= 0)
			close(dev->irq_fd[i]);
		dev->irq_fd[i] = -1;
	}
}

int vsrv_session_open(struct vsrv_server *s)
{
	struct vsrv_dev *dev = &s->dev;
	size_t sz = VIONIC_NOTIFY + VIONIC_NOTIFY_SIZE;

	dev->notify_fd = memfd_create("vionic-notify", MFD_CLOEXEC);
	if (dev->notify_fd < 0 || ftruncate(dev->notify_fd, (off_t)sz) < 0) {
		vsrv_log(NULL, "memfd for the notify page: %s", strerror(errno));
		return -1;
	}
	void *p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, dev->notify_fd, 0);
	if (p == MAP_FAILED) {
		vsrv_log(NULL, "mmap notify page: %s", strerror(errno));
		return -1;
	}
	dev->notify_map = p;
	dev->doorbell = (volatile uint32_t *)(dev->notify_map + VIONIC_NOTIFY);
	dev->core_ops->reset(dev->core);
	vsrv_device_was_reset(dev);
	return 0;
}

void vsrv_session_close(struct vsrv_server *s)
{
	struct vsrv_dev *dev = &s->dev;

	/* the device stops touching DMA memory before it goes away */
	dev->core_ops->reset(dev->core);
	vsrv_irqs_clear(dev);
	vsrv_dma_clear(&dev->dma);
	if (dev->notify_map)
		munmap(dev->notify_map, VIONIC_NOTIFY + VIONIC_NOTIFY_SIZE);
	dev->notify_map = NULL;
	dev->doorbell = NULL;
	if (dev->notify_fd >= 0)
		close(dev->notify_fd);
	dev->notify_fd = -1;
	if (s->cfd >= 0)
		close(s->cfd);
	s->cfd = -1;
}
