/* SPDX-License-Identifier: MIT */
/*
 * The subset of the vfio-user protocol (QEMU docs/interop/vfio-user.rst,
 * protocol version 0.1) that the vionic sim link uses (DESIGN §5). One header
 * for both ends: the device server (sim/server) and the PMD's "sim"
 * transport (sw/pmd) include it, so the wire format is written down once.
 *
 * Framing: every message starts with struct vfu_hdr; `size` counts the
 * header and the payload. File descriptors travel as SCM_RIGHTS ancillary
 * data on the message that carries them (DMA_MAP, SET_IRQS, and the reply
 * to GET_REGION_INFO for a mappable region).
 */
#ifndef VIONIC_VFIO_USER_H
#define VIONIC_VFIO_USER_H

#include <stdint.h>

#define VFU_VERSION_MAJOR     0
#define VFU_VERSION_MINOR     1
#define VFU_MAX_MSG_SIZE      (1u << 20)   /* max_msg_size we announce and accept */
#define VFU_MAX_DATA_XFER     (1u << 20)   /* max bytes in one REGION_READ/WRITE */
#define VFU_MAX_FDS           8            /* fds per message */

enum vfu_command {
	VFU_CMD_VERSION                = 1,
	VFU_CMD_DMA_MAP                = 2,
	VFU_CMD_DMA_UNMAP              = 3,
	VFU_CMD_DEVICE_GET_INFO        = 4,
	VFU_CMD_DEVICE_GET_REGION_INFO = 5,
	VFU_CMD_DEVICE_GET_REGION_IO_FDS = 6,  /* not used */
	VFU_CMD_DEVICE_GET_IRQ_INFO    = 7,
	VFU_CMD_DEVICE_SET_IRQS        = 8,
	VFU_CMD_REGION_READ            = 9,
	VFU_CMD_REGION_WRITE           = 10,
	VFU_CMD_DMA_READ               = 11,  /* not used: the device maps memory */
	VFU_CMD_DMA_WRITE              = 12,  /* not used */
	VFU_CMD_DEVICE_RESET           = 13,
};

/* vfu_hdr.flags */
#define VFU_FLAG_TYPE_MASK    0xF
#define VFU_FLAG_TYPE_COMMAND 0x0
#define VFU_FLAG_TYPE_REPLY   0x1
#define VFU_FLAG_NO_REPLY     (1u << 4)
#define VFU_FLAG_ERROR        (1u << 5)   /* reply: `error` holds an errno */

struct vfu_hdr {
	uint16_t msg_id;
	uint16_t command;
	uint32_t size;
	uint32_t flags;
	uint32_t error;
};

/* VERSION: both directions; followed by a NUL-terminated JSON string, e.g.
 * {"capabilities":{"max_msg_fds":8,"max_data_xfer_size":1048576}} */
struct vfu_version {
	uint16_t major;
	uint16_t minor;
	char     caps[];
};

/* DMA_MAP: one fd in SCM_RIGHTS; `offset` is the offset into that fd. */
#define VFU_DMA_FLAG_READ     (1u << 0)
#define VFU_DMA_FLAG_WRITE    (1u << 1)
struct vfu_dma_map {
	uint32_t argsz;
	uint32_t flags;
	uint64_t offset;
	uint64_t addr;      /* IOVA */
	uint64_t size;
};

struct vfu_dma_unmap {
	uint32_t argsz;
	uint32_t flags;
	uint64_t addr;
	uint64_t size;
};

/* DEVICE_GET_INFO */
#define VFU_DEVICE_FLAGS_RESET (1u << 0)
#define VFU_DEVICE_FLAGS_PCI   (1u << 1)
struct vfu_device_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t num_regions;
	uint32_t num_irqs;
};

/* Region indexes, as vfio-pci numbers them. */
enum vfu_pci_region {
	VFU_PCI_BAR0_REGION   = 0,
	VFU_PCI_BAR5_REGION   = 5,
	VFU_PCI_ROM_REGION    = 6,
	VFU_PCI_CONFIG_REGION = 7,
	VFU_PCI_NUM_REGIONS   = 9,
};

/* DEVICE_GET_REGION_INFO. The request carries argsz = the client's buffer
 * size; a reply that does not fit sets argsz to the size needed. For a
 * region with MMAP, the reply carries one fd; area i maps with
 * mmap(fd, offset = info.offset + area.offset, length = area.size). */
#define VFU_REGION_FLAG_READ  (1u << 0)
#define VFU_REGION_FLAG_WRITE (1u << 1)
#define VFU_REGION_FLAG_MMAP  (1u << 2)
#define VFU_REGION_FLAG_CAPS  (1u << 3)
struct vfu_region_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t cap_offset; /* from the start of this struct */
	uint64_t size;
	uint64_t offset;
};

struct vfu_cap_header {
	uint16_t id;
	uint16_t version;
	uint32_t next;       /* from the start of vfu_region_info; 0 ends */
};

#define VFU_REGION_INFO_CAP_SPARSE_MMAP 1
struct vfu_sparse_mmap_area {
	uint64_t offset;     /* inside the region */
	uint64_t size;
};
struct vfu_cap_sparse_mmap {
	struct vfu_cap_header header;  /* id 1, version 1 */
	uint32_t nr_areas;
	uint32_t reserved;
	struct vfu_sparse_mmap_area areas[];
};

/* IRQ indexes, as vfio-pci numbers them. */
enum vfu_pci_irq {
	VFU_PCI_INTX_IRQ = 0,
	VFU_PCI_MSI_IRQ  = 1,
	VFU_PCI_MSIX_IRQ = 2,
	VFU_PCI_ERR_IRQ  = 3,
	VFU_PCI_REQ_IRQ  = 4,
	VFU_PCI_NUM_IRQS = 5,
};

#define VFU_IRQ_INFO_EVENTFD   (1u << 0)
struct vfu_irq_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t count;
};

/* DEVICE_SET_IRQS. With DATA_EVENTFD|ACTION_TRIGGER, `count` fds arrive in
 * SCM_RIGHTS for vectors start..start+count-1; count 0 with DATA_NONE
 * disables every vector of the index. */
#define VFU_IRQ_SET_DATA_NONE      (1u << 0)
#define VFU_IRQ_SET_DATA_BOOL      (1u << 1)
#define VFU_IRQ_SET_DATA_EVENTFD   (1u << 2)
#define VFU_IRQ_SET_ACTION_MASK    (1u << 3)
#define VFU_IRQ_SET_ACTION_UNMASK  (1u << 4)
#define VFU_IRQ_SET_ACTION_TRIGGER (1u << 5)
struct vfu_irq_set {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t start;
	uint32_t count;
};

/* REGION_READ / REGION_WRITE: request carries data for a write, the reply
 * carries data for a read (the header part is echoed in both replies). */
struct vfu_region_access {
	uint64_t offset;
	uint32_t region;
	uint32_t count;
	uint8_t  data[];
};

/* ---- vionic's PCI configuration space (served by the device server) ----
 * Standard header with a capability list at 0x40: the five virtio-pci
 * capabilities (cfg_type 1 common, 3 ISR, 4 device, 2 notify with
 * notify_off_multiplier, 5 PCI cfg access) all in BAR0 at the offsets of
 * regs.h, then MSI-X (table and PBA in BAR0). 256 bytes. */
#define VIONIC_PCI_CONFIG_SIZE   256
#define VIONIC_PCI_CAP_START     0x40

#define PCI_CAP_ID_VNDR          0x09
#define PCI_CAP_ID_MSIX          0x11
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG    3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG    5

/* struct virtio_pci_cap (VIRTIO 1.2 §4.1.4) */
struct virtio_pci_cap {
	uint8_t  cap_vndr;
	uint8_t  cap_next;
	uint8_t  cap_len;
	uint8_t  cfg_type;
	uint8_t  bar;
	uint8_t  id;
	uint8_t  padding[2];
	uint32_t offset;
	uint32_t length;
};
struct virtio_pci_notify_cap {
	struct virtio_pci_cap cap;
	uint32_t notify_off_multiplier;
};

#endif /* VIONIC_VFIO_USER_H */
