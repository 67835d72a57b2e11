/* SPDX-License-Identifier: MIT */
/*
 * REGION_READ / REGION_WRITE: the PCI configuration space (read-only) and
 * BAR0, split into naturally aligned pieces of 1, 2 or 4 bytes. The runtime
 * serves the notify page and the MSI-X table/PBA itself; every other BAR0
 * access goes to the device core.
 */
#include <errno.h>
#include <string.h>

#include "vsrv_internal.h"

static int in_notify(uint32_t off)
{
	return off >= VIONIC_NOTIFY && off < VIONIC_NOTIFY + VIONIC_NOTIFY_SIZE;
}

static int in_msix(uint32_t off)
{
	return off >= VIONIC_MSIX_TABLE && off < VIONIC_MSIX_PBA + 0x1000;
}

static uint32_t bar_read_piece(struct vsrv_dev *dev, uint32_t off, unsigned size)
{
	if (in_notify(off)) {
		uint32_t v = 0;
		memcpy(&v, (const uint8_t *)dev->notify_map + off, size);
		return v;
	}
	if (in_msix(off))
		return 0;
	return dev->core_ops->bar_read(dev->core, off, size);
}

static void bar_write_piece(struct vsrv_dev *dev, uint32_t off, unsigned size, uint32_t val)
{
	if (in_notify(off)) {
		/* doorbell through REGION_WRITE: delivered directly (a 16-bit write
		 * is a doorbell without notification data) */
		if (size >= 2 && (off & 3) == 0)
			dev->core_ops->notify(dev->core, (uint16_t)((off - VIONIC_NOTIFY) / 4), val);
		return;
	}
	if (in_msix(off))
		return;
	dev->core_ops->bar_write(dev->core, off, size, val);
	/* device_status <- 0 is a device reset */
	uint32_t st = VIONIC_COMMON_CFG + VIRTIO_PCI_COMMON_STATUS;
	if (off <= st && st < off + size && ((val >> (8 * (st - off))) & 0xff) == 0)
		vsrv_device_was_reset(dev);
}

static unsigned piece_size(uint64_t off, uint32_t left)
{
	if (left >= 4 && (off & 3) == 0)
		return 4;
	if (left >= 2 && (off & 1) == 0)
		return 2;
	return 1;
}

int vsrv_region_access(struct vsrv_dev *dev, uint32_t region, uint64_t off,
		       uint32_t count, uint8_t *data, int write)
{
	if (region == VFU_PCI_CONFIG_REGION) {
		if (off > VIONIC_PCI_CONFIG_SIZE || count > VIONIC_PCI_CONFIG_SIZE - off)
			return EINVAL;
		if (write)
			return EPERM;
		memcpy(data, dev->pci_cfg + off, count);
		return 0;
	}
	if (region != VFU_PCI_BAR0_REGION)
		return EINVAL;
	if (off > VIONIC_BAR0_SIZE || count > VIONIC_BAR0_SIZE - off)
		return EINVAL;
	while (count) {
		unsigned sz = piece_size(off, count);
		uint32_t v = 0;
		if (write) {
			memcpy(&v, data, sz);
			bar_write_piece(dev, (uint32_t)off, sz, v);
		} else {
			v = bar_read_piece(dev, (uint32_t)off, sz);
			memcpy(data, &v, sz);
		}
		data += sz;
		off += sz;
		count -= sz;
	}
	return 0;
}
