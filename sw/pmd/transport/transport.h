/* SPDX-License-Identifier: MIT */
/*
 * The interface between libvionic and a transport. A transport moves
 * register and config-space accesses, maps DMA memory into the device,
 * wires MSI-X vectors to eventfds and maps the doorbell page; device.c picks
 * one by URI scheme and everything else calls it through dev->ops.
 * "sim" (sim.c) is the vfio-user client of the device servers; "vfio"
 * (Linux VFIO for a board) is the next one. All return 0 or a negative
 * VIONIC_E*.
 */
#ifndef VPMD_TRANSPORT_H
#define VPMD_TRANSPORT_H

#include <stdint.h>

struct vionic_dev;

struct vpmd_transport_ops {
	int  (*open)(struct vionic_dev *dev, const char *arg);
	void (*close)(struct vionic_dev *dev);
	int  (*cfg_read)(struct vionic_dev *dev, uint32_t off, void *buf, uint32_t len);
	int  (*bar_read)(struct vionic_dev *dev, unsigned bar, uint32_t off, void *buf, uint32_t len);
	int  (*bar_write)(struct vionic_dev *dev, unsigned bar, uint32_t off, const void *buf, uint32_t len);
	/* Host pointer to BAR `bar` range [off, off+len) if it is mmappable, else NULL. */
	volatile void *(*bar_map)(struct vionic_dev *dev, unsigned bar, uint32_t off, uint32_t len);
	int  (*dma_map)(struct vionic_dev *dev, int fd, uint64_t fd_off, uint64_t iova, uint64_t size);
	int  (*dma_unmap)(struct vionic_dev *dev, uint64_t iova, uint64_t size);
	/* MSI-X vectors 0..n-1 -> eventfds (n == 0: disable all). */
	int  (*irq_set)(struct vionic_dev *dev, const int *efds, unsigned n);
	int  (*irq_count)(struct vionic_dev *dev);
	int  (*device_reset)(struct vionic_dev *dev);
	/* 0 if the device is reachable, VIONIC_ENODEV otherwise (system calls). */
	int  (*check)(struct vionic_dev *dev);
	/* fd that becomes readable/hung-up when the device goes away, or -1. */
	int  (*event_fd)(struct vionic_dev *dev);
};

/* sim.c: "sim:PATH", a vfio-user client over a UNIX socket. */
extern const struct vpmd_transport_ops vpmd_sim_ops;

#endif /* VPMD_TRANSPORT_H */
