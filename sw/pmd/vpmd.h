/* SPDX-License-Identifier: MIT */
/*
 * libvionic internals: the device structure, the transport ops table, the
 * virtqueue and mempool state. Not installed; every non-static symbol is
 * vionic_ (public, in include/vionic.h) or vpmd_ (internal, here).
 */
#ifndef VPMD_H
#define VPMD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vionic.h"
#include "vionic/regs.h"
#include "vionic/virtio.h"

#define VPMD_MAX_QP           1        /* queue pairs the PMD drives (no MQ yet) */
#define VPMD_MAX_VQ           (2 * VPMD_MAX_QP)
#define VPMD_HEADROOM         64       /* frame data starts here in each buffer */
#define VPMD_DEFAULT_RING     256
#define VPMD_DEFAULT_MBUF     2048
#define VPMD_MIN_MBUF         (VIONIC_NET_HDR_LEN + 64)
#define VPMD_MAX_MBUF         (VIONIC_NET_HDR_LEN + 9216 + 14)
#define VPMD_IOVA_BASE        0x100000000ull  /* IOVA != VA on purpose */
#define VPMD_DMA_GUARD        16384    /* unused tail of the DMA window (test scratch) */
#define VPMD_REQ_TIMEOUT_MS   1000
#define VPMD_RX_REFILL_THRESH 32     /* refill RX once this many slots are free */
#define VPMD_TX_FREE_THRESH   32     /* reclaim TX when fewer free than burst+this */

/* Features the PMD implements (DESIGN §3 "Always"). */
#define VPMD_SUPPORTED_FEATURES VIONIC_DEVICE_FEATURES

#define VPMD_LIKELY(x)   __builtin_expect(!!(x), 1)
#define VPMD_UNLIKELY(x) __builtin_expect(!!(x), 0)

struct vionic_dev;

/* ---- errors.c --------------------------------------------------------- */
/* Records a detailed message for vionic_last_error() and returns `err`. */
int vpmd_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vpmd_err_clear(void);

/* ---- transports -------------------------------------------------------- */
/* A transport moves register and config-space accesses, maps DMA memory
 * into the device, wires MSI-X vectors to eventfds and maps the doorbell
 * page. "sim" is the vfio-user client (transport_sim.c); "vfio" (Linux VFIO
 * for a board) slots in here later. All return 0 or a negative VIONIC_E*. */
struct vpmd_transport_ops {
	const char *name;
	int  (*open)(struct vionic_dev *dev, const char *arg);
	void (*close)(struct vionic_dev *dev);
	int  (*cfg_read)(struct vionic_dev *dev, uint32_t off, void *buf, uint32_t len);
	int  (*cfg_write)(struct vionic_dev *dev, uint32_t off, const void *buf, uint32_t len);
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

extern const struct vpmd_transport_ops vpmd_sim_ops;

/* ---- mempool ------------------------------------------------------------ */
struct vpmd_mempool {
	struct vionic_mbuf  *mbufs;   /* metadata, host memory */
	struct vionic_mbuf **stack;   /* LIFO of free mbufs */
	uint32_t             top;     /* number of free mbufs */
	uint32_t             n;
	uint32_t             stride;  /* bytes per buffer in DMA memory */
	uint16_t             room;    /* largest frame */
	uint16_t             mbuf_size;
	uint8_t             *base;    /* first buffer (host VA) */
	uint64_t             base_iova;
};

/* ---- split virtqueue ---------------------------------------------------- */
struct vpmd_vq {
	/* hot: touched every burst */
	struct vring_desc   *desc;
	struct vring_avail  *avail;
	struct vring_used   *used;
	struct vionic_mbuf **cookie;     /* mbuf by descriptor id */
	uint16_t            *free_ids;   /* FIFO of free descriptor ids */
	volatile uint32_t   *doorbell;   /* mapped notify register, or NULL */
	uint16_t size, mask;
	uint16_t avail_idx;              /* shadow of avail->idx */
	uint16_t used_cons;              /* next used entry to consume */
	uint16_t nb_free;                /* descriptors not posted */
	uint16_t free_head;              /* FIFO position of the next free id */
	uint16_t index;                  /* virtqueue number */
	uint32_t notify_base;            /* value written: index (| avail << 16) */
	bool     notify_data;
	/* driver counters */
	uint64_t packets, bytes, nombuf, ring_full, doorbells, errors;
	/* cold */
	uint64_t desc_iova, avail_iova, used_iova;
	uint32_t notify_off;             /* BAR0 offset of the doorbell */
	uint16_t msix_vector;
	struct vionic_dev *dev;
};

/* ---- device ----------------------------------------------------------- */
enum vpmd_state {
	VPMD_ST_OPEN = 0,      /* transport up, device reset */
	VPMD_ST_CONFIGURED,    /* queues enabled, RX filled, no DRIVER_OK */
	VPMD_ST_STARTED,       /* DRIVER_OK */
	VPMD_ST_BROKEN,        /* configuration failed half-way: configure again */
};

struct vpmd_pci_caps {
	uint32_t common_off, common_len;
	uint32_t isr_off, isr_len;
	uint32_t device_off, device_len;
	uint32_t notify_off, notify_len, notify_mult;
	uint16_t msix_table_size;     /* vectors (0: no MSI-X cap) */
	uint8_t  bar;                 /* BAR of the common cfg (0 for vionic) */
};

struct vionic_dev {
	/* data path first */
	struct vpmd_vq       vq[VPMD_MAX_VQ];
	struct vpmd_mempool  pool;
	int                  state;
	uint16_t             nb_qp;

	/* transport */
	const struct vpmd_transport_ops *ops;
	void                *tp;          /* transport private state */
	char                 uri[256];

	/* PCI / virtio */
	struct vpmd_pci_caps caps;
	uint64_t             device_features;
	uint64_t             driver_features;
	uint8_t              mac[6];
	uint16_t             mtu;
	uint16_t             max_qp;
	uint16_t             max_ring;
	uint16_t             link_status;
	uint32_t             impl, regmap_version;
	volatile uint8_t    *notify_map;  /* mapped notify area (BAR0 offset caps.notify_off) */

	/* configuration in effect */
	struct vionic_conf   conf;

	/* DMA memory */
	int                  dma_fd;
	uint8_t             *dma_va;
	uint64_t             dma_iova;
	uint64_t             dma_size;
	bool                 dma_mapped;
	bool                 dma_huge;

	/* MSI-X eventfds: 0 = config, 1 + vq = queue vq */
	int                  irq_fd[VPMD_MAX_VQ + 1];
	unsigned             nb_irq;
};

/* ---- pci.c ----------------------------------------------------------- */
int  vpmd_reg_read32(struct vionic_dev *dev, uint32_t off, uint32_t *val);
int  vpmd_reg_write32(struct vionic_dev *dev, uint32_t off, uint32_t val);
int  vpmd_reg_read16(struct vionic_dev *dev, uint32_t off, uint16_t *val);
int  vpmd_reg_write16(struct vionic_dev *dev, uint32_t off, uint16_t val);
int  vpmd_reg_read8(struct vionic_dev *dev, uint32_t off, uint8_t *val);
int  vpmd_reg_write8(struct vionic_dev *dev, uint32_t off, uint8_t val);
int  vpmd_read_status(struct vionic_dev *dev, uint8_t *status);
int  vpmd_device_reset(struct vionic_dev *dev);
int  vpmd_pci_probe(struct vionic_dev *dev);

/* ---- dma.c / mempool.c --------------------------------------------------- */
int  vpmd_dma_alloc(struct vionic_dev *dev, uint64_t size);
void vpmd_dma_free(struct vionic_dev *dev);
int  vpmd_mempool_init(struct vionic_dev *dev, uint64_t off, uint32_t n, uint16_t mbuf_size);
void vpmd_mempool_fini(struct vionic_dev *dev);
uint64_t vpmd_mempool_bytes(uint32_t n, uint16_t mbuf_size);
static inline uint64_t vpmd_va2iova(const struct vionic_dev *dev, const void *va)
{
	return dev->dma_iova + (uint64_t)((const uint8_t *)va - dev->dma_va);
}

/* ---- virtqueue.c -------------------------------------------------------- */
/* Free descriptor ids are a FIFO: with a device that completes in order the
 * id posted in avail slot s is always s & mask, so avail ring entries (and,
 * with the mempool's order, descriptor contents) are rewritten with the
 * values they already hold; the stores are skipped and the device's cached
 * copies of those lines stay valid. Out-of-order completion is still fine. */
static inline uint16_t vpmd_id_get(struct vpmd_vq *vq)
{
	uint16_t id = vq->free_ids[vq->free_head & vq->mask];
	vq->free_head++;
	vq->nb_free--;
	return id;
}

static inline void vpmd_id_put(struct vpmd_vq *vq, uint16_t id)
{
	vq->free_ids[(uint16_t)(vq->free_head + vq->nb_free) & vq->mask] = id;
	vq->nb_free++;
}

/* Store only if different: keeps a line the device has read shared. */
#define VPMD_SET(lv, v) do { if ((lv) != (v)) (lv) = (v); } while (0)

unsigned vpmd_tx_reclaim(struct vionic_dev *dev, struct vpmd_vq *vq, unsigned max);
uint64_t vpmd_vq_ring_bytes(uint16_t size);
void vpmd_vq_layout(struct vionic_dev *dev, struct vpmd_vq *vq, uint16_t index,
		    uint16_t size, uint64_t off);
int  vpmd_vq_alloc_meta(struct vpmd_vq *vq);
void vpmd_vq_free_meta(struct vpmd_vq *vq);
void vpmd_vq_reset(struct vpmd_vq *vq);          /* zero rings, ids all free */
unsigned vpmd_vq_release_all(struct vionic_dev *dev, struct vpmd_vq *vq);
int  vpmd_vq_setup(struct vionic_dev *dev, struct vpmd_vq *vq);  /* program + enable */
void vpmd_vq_kick(struct vionic_dev *dev, struct vpmd_vq *vq);
unsigned vpmd_rx_refill(struct vionic_dev *dev, struct vpmd_vq *vq, bool kick);

#endif /* VPMD_H */
