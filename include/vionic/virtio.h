/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueue and virtio-net structures (VIRTIO 1.2 §2.7, §5.1.6), as they
 * lie in DMA memory. Shared by the software model and the PMD so both read the
 * same layout; all fields little-endian (x86 and arm64 hosts are).
 */
#ifndef VIONIC_VIRTIO_H
#define VIONIC_VIRTIO_H

#include <stdint.h>

#define VRING_DESC_F_NEXT        1
#define VRING_DESC_F_WRITE       2
#define VRING_DESC_F_INDIRECT    4

#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY     1

/* Ring alignment the device checks at queue_enable (error VIONIC_ERR_ALIGN). */
#define VRING_DESC_ALIGN   16
#define VRING_AVAIL_ALIGN  2
#define VRING_USED_ALIGN   4

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];   /* queue size entries, then used_event */
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;      /* bytes written into the buffer (header included) */
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[]; /* queue size entries, then avail_event */
};

/* Bytes of each ring part for a queue of n entries. */
#define VRING_DESC_BYTES(n)   ((uint64_t)(n) * sizeof(struct vring_desc))
#define VRING_AVAIL_BYTES(n)  (4 + 2 * (uint64_t)(n) + 2)
#define VRING_USED_BYTES(n)   (4 + 8 * (uint64_t)(n) + 2)

/* virtio_net_hdr.flags (VIRTIO 1.2 §5.1.6) */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1 /* TX: the device completes the checksum */
#define VIRTIO_NET_HDR_F_DATA_VALID 2 /* RX: the device checked the L4 checksum */

/* virtio_net_hdr as negotiated with VERSION_1 (12 bytes). */
struct virtio_net_hdr {
	uint8_t  flags;
	uint8_t  gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

_Static_assert(sizeof(struct vring_desc) == 16, "vring_desc layout");
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "virtio_net_hdr layout");

#endif /* VIONIC_VIRTIO_H */
