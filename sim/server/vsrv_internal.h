/* SPDX-License-Identifier: MIT */
/* Private to the device-server runtime (the .c files of sim/server). */
#ifndef VIONIC_VSRV_INTERNAL_H
#define VIONIC_VSRV_INTERNAL_H

#include <stdint.h>
#include <stdio.h>
#include "vsrv.h"
#include "vionic/regs.h"
#include "vionic/vfio_user.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VSRV_MAX_DOORBELLS  (VIONIC_NOTIFY_SIZE / VIONIC_NOTIFY_OFF_MULT)
#define VSRV_MSIX_VECTORS   VIONIC_MSIX_VECTORS(1)

struct vsrv_dev {
	struct vsrv_conf conf;
	const struct vsrv_core_ops *core_ops;
	void *core;
	struct vsrv_wire wire;
	struct vsrv_dma dma;
	/* notify page (shared with the client) */
	int notify_fd;
	uint8_t *notify_map;          /* VIONIC_NOTIFY + VIONIC_NOTIFY_SIZE bytes */
	volatile uint32_t *doorbell;  /* = notify_map + VIONIC_NOTIFY */
	unsigned ndoorbells;          /* slots polled (core's doorbells) */
	uint32_t db_seen[VSRV_MAX_DOORBELLS];
	int irq_fd[VSRV_MSIX_VECTORS];
	uint8_t pci_cfg[VIONIC_PCI_CONFIG_SIZE];
	uint64_t wire_tx_drops;
};

/* dma.c */
void vsrv_dma_init(struct vsrv_dma *d);
int  vsrv_dma_map(struct vsrv_dma *d, int fd, uint64_t offset, uint64_t iova,
		  uint64_t size, uint32_t prot);        /* 0 or -errno */
int  vsrv_dma_unmap(struct vsrv_dma *d, uint64_t iova, uint64_t size);
void vsrv_dma_clear(struct vsrv_dma *d);

/* pciconf.c */
void vsrv_pci_config_build(uint8_t cfg[VIONIC_PCI_CONFIG_SIZE]);

/* wires */
extern const struct vsrv_wire_ops vsrv_wire_loopback;
extern const struct vsrv_wire_ops vsrv_wire_unix;
extern const struct vsrv_wire_ops vsrv_wire_pcap;
extern const struct vsrv_wire_ops vsrv_wire_sink;
extern const struct vsrv_wire_ops vsrv_wire_gen;

/* the built-in core (sim/model) */
extern const struct vsrv_core_ops vmodel_core_ops;

#ifdef __cplusplus
}
#endif
#endif
