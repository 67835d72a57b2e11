/* SPDX-License-Identifier: MIT */
/*
 * The PCI configuration space the server shows (vfio-user region 7): a type 0
 * header for 1AF4:1041 with BAR0 a 64-bit memory BAR, and the capability list
 * of vfio_user.h: virtio common / notify / ISR / device / PCI-cfg, then MSI-X.
 */
#include <string.h>

#include "vsrv_internal.h"

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

static unsigned virtio_cap(uint8_t *cfg, unsigned at, unsigned next, uint8_t type,
			   uint32_t off, uint32_t len, unsigned caplen)
{
	struct virtio_pci_cap c;

	memset(&c, 0, sizeof(c));
	c.cap_vndr = PCI_CAP_ID_VNDR;
	c.cap_next = (uint8_t)next;
	c.cap_len = (uint8_t)caplen;
	c.cfg_type = type;
	c.bar = 0;
	c.offset = off;
	c.length = len;
	memcpy(cfg + at, &c, sizeof(c));
	return at + caplen;
}

void vsrv_pci_config_build(uint8_t cfg[VIONIC_PCI_CONFIG_SIZE], unsigned nvectors)
{
	memset(cfg, 0, VIONIC_PCI_CONFIG_SIZE);
	put16(cfg + 0x00, VIONIC_PCI_VENDOR_ID);
	put16(cfg + 0x02, VIONIC_PCI_DEVICE_ID);
	put16(cfg + 0x04, 0x0006);                 /* command: memory space, bus master */
	put16(cfg + 0x06, 0x0010);                 /* status: capability list */
	cfg[0x08] = VIONIC_PCI_REVISION;
	cfg[0x09] = (uint8_t)(VIONIC_PCI_CLASS & 0xff);         /* prog-if */
	cfg[0x0A] = (uint8_t)((VIONIC_PCI_CLASS >> 8) & 0xff);  /* subclass */
	cfg[0x0B] = (uint8_t)((VIONIC_PCI_CLASS >> 16) & 0xff); /* class */
	cfg[0x0E] = 0x00;                          /* header type 0 */
	put32(cfg + 0x10, 0x4);                    /* BAR0: memory, 64-bit, address 0 */
	put32(cfg + 0x14, 0);                      /* BAR1: upper half of BAR0 */
	put16(cfg + 0x2C, VIONIC_PCI_VENDOR_ID);   /* subsystem vendor */
	put16(cfg + 0x2E, VIONIC_PCI_SUBSYS_ID);
	cfg[0x34] = VIONIC_PCI_CAP_START;

	const unsigned c_common = VIONIC_PCI_CAP_START;                      /* 0x40 */
	const unsigned c_notify = c_common + sizeof(struct virtio_pci_cap);   /* 0x50 */
	const unsigned c_isr = c_notify + sizeof(struct virtio_pci_notify_cap); /* 0x64 */
	const unsigned c_dev = c_isr + sizeof(struct virtio_pci_cap);         /* 0x74 */
	const unsigned c_pcicfg = c_dev + sizeof(struct virtio_pci_cap);      /* 0x84 */
	const unsigned c_msix = c_pcicfg + sizeof(struct virtio_pci_cap) + 4; /* 0x98 */

	virtio_cap(cfg, c_common, c_notify, VIRTIO_PCI_CAP_COMMON_CFG,
		   VIONIC_COMMON_CFG, VIONIC_COMMON_CFG_SIZE, sizeof(struct virtio_pci_cap));
	virtio_cap(cfg, c_notify, c_isr, VIRTIO_PCI_CAP_NOTIFY_CFG,
		   VIONIC_NOTIFY, VIONIC_NOTIFY_SIZE, sizeof(struct virtio_pci_notify_cap));
	put32(cfg + c_notify + sizeof(struct virtio_pci_cap), VIONIC_NOTIFY_OFF_MULT);
	virtio_cap(cfg, c_isr, c_dev, VIRTIO_PCI_CAP_ISR_CFG, VIONIC_ISR, 1,
		   sizeof(struct virtio_pci_cap));
	virtio_cap(cfg, c_dev, c_pcicfg, VIRTIO_PCI_CAP_DEVICE_CFG,
		   VIONIC_DEVICE_CFG, VIONIC_DEVICE_CFG_SIZE, sizeof(struct virtio_pci_cap));
	/* virtio_pci_cfg_cap: cap + pci_cfg_data[4]; window registers read 0 */
	virtio_cap(cfg, c_pcicfg, c_msix, VIRTIO_PCI_CAP_PCI_CFG, 0, 0,
		   sizeof(struct virtio_pci_cap) + 4);

	cfg[c_msix + 0] = PCI_CAP_ID_MSIX;
	cfg[c_msix + 1] = 0;                        /* end of list */
	put16(cfg + c_msix + 2, (uint16_t)(nvectors - 1));  /* table size - 1 */
	put32(cfg + c_msix + 4, VIONIC_MSIX_TABLE | 0);  /* offset | BIR 0 */
	put32(cfg + c_msix + 8, VIONIC_MSIX_PBA | 0);
}
