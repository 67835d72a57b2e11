/* SPDX-License-Identifier: MIT */
/*
 * virtio-pci discovery and register access: the PCI capability walk
 * (VIRTIO 1.2 §4.1.4), device reset with a bounded poll, status and feature
 * helpers. Register accesses go through the transport (REGION_READ/WRITE in
 * simulation); only the doorbells are mapped.
 */
#include <string.h>
#include <time.h>

#include "vionic/vfio_user.h"
#include "vpmd.h"

#define RESET_TIMEOUT_MS 1000

static int bar_rd(struct vionic_dev *dev, uint32_t off, void *v, unsigned n)
{
	return dev->ops->bar_read(dev, dev->caps.bar, off, v, n);
}

static int bar_wr(struct vionic_dev *dev, uint32_t off, const void *v, unsigned n)
{
	return dev->ops->bar_write(dev, dev->caps.bar, off, v, n);
}

int vpmd_reg_read32(struct vionic_dev *dev, uint32_t off, uint32_t *val)
{
	return bar_rd(dev, off, val, 4);
}

int vpmd_reg_write32(struct vionic_dev *dev, uint32_t off, uint32_t val)
{
	return bar_wr(dev, off, &val, 4);
}

int vpmd_reg_read16(struct vionic_dev *dev, uint32_t off, uint16_t *val)
{
	return bar_rd(dev, off, val, 2);
}

int vpmd_reg_write16(struct vionic_dev *dev, uint32_t off, uint16_t val)
{
	return bar_wr(dev, off, &val, 2);
}

int vpmd_reg_read8(struct vionic_dev *dev, uint32_t off, uint8_t *val)
{
	return bar_rd(dev, off, val, 1);
}

int vpmd_reg_write8(struct vionic_dev *dev, uint32_t off, uint8_t val)
{
	return bar_wr(dev, off, &val, 1);
}

int vpmd_read_status(struct vionic_dev *dev, uint8_t *status)
{
	return vpmd_reg_read8(dev, dev->caps.common_off + VIRTIO_PCI_COMMON_STATUS, status);
}

/* VIRTIO 1.2 §4.1.4.3.2: write 0, then poll until device_status reads 0. */
int vpmd_device_reset(struct vionic_dev *dev)
{
	int64_t deadline = vpmd_mono_ms() + RESET_TIMEOUT_MS;
	uint8_t st;
	int r;

	r = vpmd_reg_write8(dev, dev->caps.common_off + VIRTIO_PCI_COMMON_STATUS, 0);
	if (r)
		return r;
	for (;;) {
		r = vpmd_read_status(dev, &st);
		if (r)
			return r;
		if (st == 0)
			return 0;
		if (vpmd_mono_ms() > deadline)
			return vpmd_err(VIONIC_ETIMEDOUT, "device did not finish reset within %d ms "
					"(device_status still 0x%02x); the device is stuck, restart "
					"the device server or the board", RESET_TIMEOUT_MS, st);
		{
			struct timespec ts = { 0, 20000 };
			nanosleep(&ts, NULL);
		}
	}
}

/*
 * Walks the capability list of the PCI configuration space and records where
 * the virtio structures the driver uses are (the first of each type in a
 * memory BAR, as the spec recommends); all four must be there. The MSI-X
 * vector count comes from the transport (irq_count).
 */
int vpmd_pci_probe(struct vionic_dev *dev)
{
	uint8_t cfg[VIONIC_PCI_CONFIG_SIZE];
	struct vpmd_pci_caps *c = &dev->caps;
	bool have[6] = { 0 };
	unsigned guard = 0;
	uint16_t vid, did, status;
	uint8_t ptr;
	int r;

	memset(c, 0, sizeof(*c));
	r = dev->ops->cfg_read(dev, 0, cfg, sizeof(cfg));
	if (r)
		return r;
	memcpy(&vid, cfg + 0x00, 2);
	memcpy(&did, cfg + 0x02, 2);
	memcpy(&status, cfg + 0x06, 2);
	if (vid != VIONIC_PCI_VENDOR_ID || did < 0x1040 || did > 0x107F)
		return vpmd_err(VIONIC_ENODEV, "PCI device %04x:%04x is not a modern virtio device "
				"(expected %04x:1041); check the URI", vid, did,
				VIONIC_PCI_VENDOR_ID);
	if (did != VIONIC_PCI_DEVICE_ID)
		return vpmd_err(VIONIC_ENODEV, "virtio device %04x:%04x is not virtio-net "
				"(expected %04x:%04x)", vid, did, VIONIC_PCI_VENDOR_ID,
				VIONIC_PCI_DEVICE_ID);
	if (!(status & 0x10))
		return vpmd_err(VIONIC_EPROTO, "PCI status says there is no capability list; "
				"a virtio-pci device needs one");
	ptr = cfg[0x34] & 0xFC;
	while (ptr) {
		uint8_t id, next;

		if (ptr < 0x40 || ptr + 2 > (int)sizeof(cfg) || ++guard > 48)
			return vpmd_err(VIONIC_EPROTO, "PCI capability list is corrupt (pointer "
					"0x%02x after %u entries)", ptr, guard);
		id = cfg[ptr];
		next = cfg[ptr + 1] & 0xFC;
		if (id == PCI_CAP_ID_VNDR && ptr + sizeof(struct virtio_pci_cap) <= sizeof(cfg)) {
			struct virtio_pci_cap vc;

			memcpy(&vc, cfg + ptr, sizeof(vc));
			if (vc.cfg_type >= 1 && vc.cfg_type <= 4 && vc.bar <= 5 &&
			    !have[vc.cfg_type] && vc.cap_len >= sizeof(vc)) {
				/* vionic puts every structure in one BAR; take the common one's */
				if (vc.cfg_type == VIRTIO_PCI_CAP_COMMON_CFG)
					c->bar = vc.bar;
				switch (vc.cfg_type) {
				case VIRTIO_PCI_CAP_COMMON_CFG:
					c->common_off = vc.offset; c->common_len = vc.length; break;
				case VIRTIO_PCI_CAP_DEVICE_CFG:
					c->device_off = vc.offset; break;
				case VIRTIO_PCI_CAP_NOTIFY_CFG:
					if (vc.cap_len < sizeof(struct virtio_pci_notify_cap) ||
					    ptr + sizeof(struct virtio_pci_notify_cap) > sizeof(cfg))
						return vpmd_err(VIONIC_EPROTO, "virtio notify capability "
								"too short (%u bytes)", vc.cap_len);
					c->notify_off = vc.offset; c->notify_len = vc.length;
					memcpy(&c->notify_mult, cfg + ptr + sizeof(vc), 4);
					break;
				}
				have[vc.cfg_type] = true;
			}
		}
		ptr = next;
	}
	if (!have[VIRTIO_PCI_CAP_COMMON_CFG] || !have[VIRTIO_PCI_CAP_NOTIFY_CFG] ||
	    !have[VIRTIO_PCI_CAP_ISR_CFG] || !have[VIRTIO_PCI_CAP_DEVICE_CFG])
		return vpmd_err(VIONIC_EPROTO, "virtio-pci capabilities missing (common %d, notify "
				"%d, isr %d, device %d); this is not a modern virtio-pci device",
				have[1], have[2], have[3], have[4]);
	if (c->common_len < VIONIC_COMMON_CFG_SIZE - 4)
		return vpmd_err(VIONIC_EPROTO, "common configuration is %u bytes; need %d",
				c->common_len, VIONIC_COMMON_CFG_SIZE - 4);
	return 0;
}

/* ---- public register access ------------------------------------------- */
static int check_size(unsigned size)
{
	if (size != 1 && size != 2 && size != 4)
		return vpmd_err(VIONIC_EINVAL, "access size %u: use 1, 2 or 4", size);
	return 0;
}

int vionic_reg_read(vionic_dev *dev, uint32_t off, unsigned size, uint32_t *val)
{
	uint32_t v = 0;
	int r;

	if (!dev || !val)
		return vpmd_err(VIONIC_EINVAL, "vionic_reg_read: NULL argument");
	if ((r = check_size(size)))
		return r;
	if ((uint64_t)off + size > VIONIC_BAR0_SIZE)
		return vpmd_err(VIONIC_EINVAL, "BAR0 offset 0x%x is outside the 0x%x-byte BAR",
				off, VIONIC_BAR0_SIZE);
	r = bar_rd(dev, off, &v, size);
	if (!r)
		*val = v;
	return r;
}

int vionic_reg_write(vionic_dev *dev, uint32_t off, unsigned size, uint32_t val)
{
	int r;

	if (!dev)
		return vpmd_err(VIONIC_EINVAL, "vionic_reg_write: NULL device");
	if ((r = check_size(size)))
		return r;
	if ((uint64_t)off + size > VIONIC_BAR0_SIZE)
		return vpmd_err(VIONIC_EINVAL, "BAR0 offset 0x%x is outside the 0x%x-byte BAR",
				off, VIONIC_BAR0_SIZE);
	return bar_wr(dev, off, &val, size);
}

int vionic_cfg_read(vionic_dev *dev, uint32_t off, unsigned size, uint32_t *val)
{
	uint32_t v = 0;
	int r;

	if (!dev || !val)
		return vpmd_err(VIONIC_EINVAL, "vionic_cfg_read: NULL argument");
	if ((r = check_size(size)))
		return r;
	if ((uint64_t)off + size > VIONIC_PCI_CONFIG_SIZE)
		return vpmd_err(VIONIC_EINVAL, "config offset 0x%x is outside the %d-byte "
				"configuration space", off, VIONIC_PCI_CONFIG_SIZE);
	r = dev->ops->cfg_read(dev, off, &v, size);
	if (!r)
		*val = v;
	return r;
}
