/* SPDX-License-Identifier: MIT */
/*
 * libvionic internals: the device structure, the virtqueue and mempool
 * state, and the inline helpers of the data path. Not installed; every
 * non-static symbol is vionic_ (public, in include/vionic.h) or vpmd_
 * (internal, here).
 */
#ifndef VPMD_H
#define VPMD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "transport/transport.h"
#include "vionic.h"
#include "vionic/regs.h"
#include "vionic/virtio.h"

#define VPMD_MAX_QP           VIONIC_MAX_QUEUE_PAIRS   /* queue pairs the data path drives */
#define VPMD_MAX_VQ           VIONIC_MAX_VQS   /* virtqueues a vDPA frontend may run */
#define VPMD_HEADROOM         64       /* frame data starts here in each buffer */
#define VPMD_ETH_HLEN         14       /* shortest frame; MTU + this is the longest */
#define VPMD_DEFAULT_RING     256
#define VPMD_DEFAULT_MBUF     2048
#define VPMD_MIN_MBUF         (VIONIC_NET_HDR_LEN + 64)
#define VPMD_MAX_MBUF         (VIONIC_NET_HDR_LEN + VIONIC_MAX_MTU + VPMD_ETH_HLEN)
#define VPMD_IOVA_BASE        0x100000000ull  /* IOVA != VA on purpose */
#define VPMD_DMA_GUARD        16384    /* unused tail of the DMA window (test scratch) */
#define VPMD_REQ_TIMEOUT_MS   1000
#define VPMD_RX_REFILL_THRESH 32     /* refill RX once this many slots are free */
#define VPMD_TX_FREE_THRESH   32     /* reclaim TX when fewer free than burst+this */
#define VPMD_NO_ID            0xFFFF /* end of a TX descriptor chain (chain_next) */
#define VPMD_VDPA_CTRL_BYTES  8192u  /* vDPA shadow control queue: ring page + command page */

/* Features the PMD implements: what every core offers, and multiqueue with
 * the control queue, RSS and HASH_REPORT where a device has several queue
 * pairs. */
#define VPMD_SUPPORTED_FEATURES \
	(VIONIC_DEVICE_FEATURES | VIONIC_MQ_FEATURES | VIONIC_RSS_FEATURES)

#define VPMD_LIKELY(x)   __builtin_expect(!!(x), 1)
#define VPMD_UNLIKELY(x) __builtin_expect(!!(x), 0)

struct vionic_dev;

/* ---- errors.c --------------------------------------------------------- */
/* Records a detailed message for vionic_last_error() and returns `err`. */
int vpmd_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vpmd_err_clear(void);

/* ---- time --------------------------------------------------------------- */
/* CLOCK_MONOTONIC: request deadlines, reset polls, TSC calibration. */
static inline uint64_t vpmd_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline int64_t vpmd_mono_ms(void)
{
	return (int64_t)(vpmd_mono_ns() / 1000000u);
}

/* ---- mempool ------------------------------------------------------------ */
/* One pool per queue pair, each a slice of the mbufs, so that the thread of
 * each pair allocates and frees with no lock. An mbuf's idx names its pool
 * (idx >> VPMD_POOL_SHIFT). One freed by a thread that does not own its pool
 * (another pair's, or any thread but the pair's own when there are several
 * pairs) is handed back to the pool's `returned` list with one atomic
 * exchange per run of mbufs; the owner takes them when its stack runs short. */
#define VPMD_POOL_SHIFT 24
#define VPMD_POOL_MASK  ((1u << VPMD_POOL_SHIFT) - 1)
struct vpmd_mempool {
	struct vionic_mbuf  *mbufs;   /* metadata, host memory */
	struct vionic_mbuf **stack;   /* LIFO of free mbufs */
	uint32_t             top;     /* number of free mbufs */
	uint32_t             n;
	uint32_t             stride;  /* bytes per buffer in DMA memory */
	uint16_t             room;    /* largest frame */
	uint16_t             mbuf_size;
	uint16_t             hdr_len; /* virtio header before data (vpmd_hdr_len) */
	uint8_t             *base;    /* first buffer (host VA) */
	uint64_t             iova_delta;  /* IOVA minus host VA of every buffer */
	struct vionic_mbuf *_Atomic returned;   /* handed back by other threads (next) */
	_Atomic uint32_t     nreturned;
};

/* The virtio header of the features negotiated: virtio_net_hdr_v1_hash
 * with HASH_REPORT (both directions), else virtio_net_hdr. */
static inline uint16_t vpmd_hdr_len(uint64_t features)
{
	return features & (1ULL << VIRTIO_NET_F_HASH_REPORT) ? VIONIC_NET_HDR_HASH_LEN
							     : VIONIC_NET_HDR_LEN;
}

/* Where an mbuf's frame starts when it leaves the pool: after the full
 * headroom, so the virtio_net_hdr fits just before it. */
static inline uint8_t *vpmd_mbuf_data(const struct vpmd_mempool *p, uint32_t idx)
{
	return p->base + (uint64_t)(idx & VPMD_POOL_MASK) * p->stride + VPMD_HEADROOM;
}

/* What a descriptor points at: the IOVA of the header before m->data. */
static inline uint64_t vpmd_mbuf_hdr_iova(const struct vpmd_mempool *p,
					  const struct vionic_mbuf *m)
{
	return (uint64_t)(uintptr_t)(m->data - p->hdr_len) + p->iova_delta;
}

/* The owner takes back what other threads handed back. */
static inline void vpmd_mempool_drain(struct vpmd_mempool *p)
{
	struct vionic_mbuf *l = atomic_exchange_explicit(&p->returned, NULL, memory_order_acquire);
	uint32_t k = 0;

	for (; l && p->top < p->n; k++) {
		struct vionic_mbuf *nx = l->next;
		l->next = NULL;
		p->stack[p->top++] = l;
		l = nx;
	}
	if (k)
		atomic_fetch_sub_explicit(&p->nreturned, k, memory_order_relaxed);
}

/* The n mbufs on top of the free stack, in the order they were freed (the
 * caller checked p->top >= n, after vpmd_mempool_drain). The list stays
 * valid until the next put. */
static inline struct vionic_mbuf **vpmd_mempool_take(struct vpmd_mempool *p, unsigned n)
{
	p->top -= n;
	return &p->stack[p->top];
}

/* Onto the owner's stack (its own thread). */
static inline void vpmd_mempool_push(struct vpmd_mempool *p, struct vionic_mbuf *const *m,
				     unsigned n)
{
	if (VPMD_UNLIKELY(n > p->n - p->top))
		n = p->n - p->top;   /* double free: never overflow the stack */
	for (unsigned i = 0; i < n; i++)
		p->stack[p->top + i] = m[i];
	p->top += n;
}

/* From another thread: linked by `next`, published with one exchange. */
static inline void vpmd_mempool_hand_back(struct vpmd_mempool *p, struct vionic_mbuf *const *m,
					  unsigned n)
{
	struct vionic_mbuf *old;

	for (unsigned i = 0; i + 1 < n; i++)
		m[i]->next = m[i + 1];
	old = atomic_load_explicit(&p->returned, memory_order_relaxed);
	do
		m[n - 1]->next = old;
	while (!atomic_compare_exchange_weak_explicit(&p->returned, &old, m[0],
						     memory_order_release, memory_order_relaxed));
	atomic_fetch_add_explicit(&p->nreturned, n, memory_order_relaxed);
}

/* ---- split virtqueue ---------------------------------------------------- */
struct vpmd_vq {
	/* hot: touched every burst */
	struct vring_desc   *desc;
	struct vring_avail  *avail;
	struct vring_used   *used;
	struct vionic_mbuf **cookie;     /* mbuf by descriptor id (a chain's first at its head) */
	uint16_t            *chain_next; /* TX chains: the next descriptor id, VPMD_NO_ID at the end */
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
};

struct vpmd_pci_caps {
	uint32_t common_off, common_len;
	uint32_t device_off;
	uint32_t notify_off, notify_len, notify_mult;
	uint8_t  bar;                 /* BAR of the common cfg (0 for vionic) */
};

struct vionic_dev {
	/* data path first */
	struct vpmd_vq       vq[VPMD_MAX_VQ];
	struct vpmd_mempool  pool[VPMD_MAX_QP];   /* one per queue pair */
	uint16_t             nb_pools;
	int                  state;
	uint16_t             nb_qp;

	/* transport */
	const struct vpmd_transport_ops *ops;
	void                *tp;          /* transport private state */

	/* PCI / virtio */
	struct vpmd_pci_caps caps;
	uint64_t             device_features;
	uint64_t             driver_features;
	uint8_t              mac[6];
	uint16_t             mtu;
	uint16_t             max_qp;
	uint16_t             max_ring;
	uint32_t             impl, regmap_version;

	/* configuration in effect */
	struct vionic_conf   conf;
	/* the control queue (VIRTIO_NET_F_CTRL_VQ): vq[2 * max_qp], its command
	 * buffer in the DMA memory */
	bool                 ctrl;
	uint8_t             *ctrl_buf;
	uint64_t             ctrl_buf_iova;
	/* vionic_rss_configure's, sent again at every start */
	bool                 rss_set;
	struct vionic_rss_conf rss;

	/* DMA memory */
	int                  dma_fd;
	uint8_t             *dma_va;
	uint64_t             dma_iova;
	uint64_t             dma_size;
	bool                 dma_mapped;

	/* vDPA (vdpa.c): a foreign driver's rings are on the device; libvionic
	 * owns neither the data path nor the eventfds */
	bool                 vdpa;
	bool                 vdpa_irqs;
	/* the control queue libvionic keeps for a frontend that answers its
	 * driver's control commands itself (vionic_vdpa_set_queue_pairs) */
	int                  vdpa_ctrl_fd;
	uint8_t             *vdpa_ctrl_va;   /* VPMD_VDPA_CTRL_BYTES, or NULL */

	/* MSI-X eventfds: 0 = config, 1 + vq = queue vq */
	int                  irq_fd[VPMD_MAX_VQ + 1];
	unsigned             nb_irq;

	/* the netdev forwarding queue pair 0, or NULL (set by netdev.c, which
	 * sits above this file: vionic_close stops it through netdev_stop) */
	struct vionic_netdev *netdev;
	pthread_t            netdev_thread;
	char                 netdev_ifname[16];
	void               (*netdev_stop)(struct vionic_netdev *nd, struct vionic_netdev_stats *st);
};

static inline struct vpmd_mempool *vpmd_pool_of(struct vionic_dev *dev,
						const struct vionic_mbuf *m)
{
	return &dev->pool[m->idx >> VPMD_POOL_SHIFT];
}

/* The one way back into the pools, for lone mbufs (no chains): from the
 * thread of the queue pair that owns pool `mine` (NULL: a thread of no
 * pair, e.g. the application's). With one pair every mbuf is pool 0's and
 * one thread drives the device. */
static inline void vpmd_mbuf_put(struct vionic_dev *dev, struct vpmd_mempool *mine,
				 struct vionic_mbuf *const *m, unsigned n)
{
	if (VPMD_LIKELY(dev->nb_pools <= 1)) {
		vpmd_mempool_push(&dev->pool[0], m, n);
		return;
	}
	for (unsigned i = 0, j; i < n; i = j) {   /* runs of one pool */
		struct vpmd_mempool *p = vpmd_pool_of(dev, m[i]);
		for (j = i + 1; j < n && vpmd_pool_of(dev, m[j]) == p; j++)
			;
		if (p == mine)
			vpmd_mempool_push(p, m + i, j - i);
		else
			vpmd_mempool_hand_back(p, m + i, j - i);
	}
}

/* Whole chains back (every segment); a lone mbuf, the usual case, costs
 * one test. */
static inline void vpmd_mbuf_put_chains(struct vionic_dev *dev, struct vpmd_mempool *mine,
					struct vionic_mbuf *const *m, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (VPMD_UNLIKELY(m[i]->next != NULL)) {
			vpmd_mbuf_put(dev, mine, m, i);
			for (; i < n; i++)
				for (struct vionic_mbuf *s = m[i], *nx; s; s = nx) {
					nx = s->next;
					s->next = NULL;
					vpmd_mbuf_put(dev, mine, &s, 1);
				}
			return;
		}
	}
	vpmd_mbuf_put(dev, mine, m, n);
}

/* The pool of the thread that polls queue pair qp. */
static inline struct vpmd_mempool *vpmd_qp_pool(struct vionic_dev *dev, unsigned qp)
{
	return &dev->pool[qp < dev->nb_pools ? qp : 0];
}

/* 0, or VIONIC_ESTATE (with a message naming fn) when a netdev forwards the
 * device and the caller is not its thread: the life-cycle and non-burst
 * data-path calls use it. */
static inline int vpmd_netdev_owns(struct vionic_dev *dev, const char *fn)
{
	if (!dev->netdev || pthread_equal(pthread_self(), dev->netdev_thread))
		return 0;
	return vpmd_err(VIONIC_ESTATE, "%s: queue pair 0 is forwarded to interface %s; stop "
			"the netdev first", fn, dev->netdev_ifname);
}

/* Largest frame sent: MTU plus Ethernet header (a chain where one mbuf is
 * too small). */
static inline uint16_t vpmd_max_frame(const struct vionic_dev *dev)
{
	return (uint16_t)(dev->mtu + VPMD_ETH_HLEN);
}

static inline bool vpmd_mrg_rxbuf(const struct vionic_dev *dev)
{
	return dev->driver_features & (1ull << VIRTIO_NET_F_MRG_RXBUF);
}

/* Largest frame received: one RX buffer's room, unless MRG_RXBUF spreads
 * frames over several. */
static inline uint16_t vpmd_rx_max_frame(const struct vionic_dev *dev)
{
	unsigned f = dev->mtu + VPMD_ETH_HLEN;

	return f < dev->pool[0].room || vpmd_mrg_rxbuf(dev) ? (uint16_t)f : dev->pool[0].room;
}

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

/* ---- device.c ------------------------------------------------------------ */
int  vpmd_negotiate(struct vionic_dev *dev, uint64_t want, bool pmd_data_path);
int  vpmd_set_driver_ok(struct vionic_dev *dev);

/* ---- dma.c / mempool.c --------------------------------------------------- */
int  vpmd_dma_alloc(struct vionic_dev *dev, uint64_t size);
void vpmd_dma_free(struct vionic_dev *dev);
int  vpmd_mempool_init(struct vionic_dev *dev, uint64_t off, uint32_t n, uint16_t mbuf_size,
		       unsigned pools);
/* Up to n mbufs from pool p (its own thread); returns how many. */
unsigned vpmd_mbuf_alloc_upto(struct vpmd_mempool *p, struct vionic_mbuf **m, unsigned n);
void vpmd_mempool_fini(struct vionic_dev *dev);
uint64_t vpmd_mempool_bytes(uint32_t n, uint16_t mbuf_size);

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

/* used->idx as the device last published it (acquire: the entries before
 * it are visible). */
static inline uint16_t vpmd_used_idx(const struct vpmd_vq *vq)
{
	return __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
}

/* Used entries ready to consume, at most max; none if used->idx claims
 * more than a ring (a broken device: never read past the ring). */
static inline uint16_t vpmd_used_count(const struct vpmd_vq *vq, unsigned max)
{
	uint16_t n = (uint16_t)(vpmd_used_idx(vq) - vq->used_cons);

	if (VPMD_UNLIKELY(n > vq->size))
		return 0;
	return n < max ? n : (uint16_t)max;
}

/* Consumes the next used entry (one of vpmd_used_count): frees its
 * descriptor id and returns its mbuf, the length the device wrote and the
 * id, or NULL (counted in errors) for an id that names no posted buffer. */
static inline struct vionic_mbuf *vpmd_used_take_id(struct vpmd_vq *vq, uint32_t *len,
						    uint16_t *idp)
{
	const struct vring_used_elem *e = &vq->used->ring[vq->used_cons++ & vq->mask];
	uint32_t id = e->id;
	struct vionic_mbuf *m;

	*len = e->len;
	if (VPMD_UNLIKELY(id >= vq->size || !(m = vq->cookie[id]))) {
		vq->errors++;
		return NULL;
	}
	vq->cookie[id] = NULL;
	vpmd_id_put(vq, (uint16_t)id);
	*idp = (uint16_t)id;
	return m;
}

static inline struct vionic_mbuf *vpmd_used_take(struct vpmd_vq *vq, uint32_t *len)
{
	uint16_t id;

	return vpmd_used_take_id(vq, len, &id);
}

/* RX interrupts on (clear VRING_AVAIL_F_NO_INTERRUPT) for a sleep; returns
 * nonzero if a used entry arrived meanwhile (then do not sleep). Disarm after
 * the sleep: the data path runs with interrupts suppressed. */
static inline int vpmd_rx_irq_arm(struct vpmd_vq *vq)
{
	__atomic_store_n(&vq->avail->flags, 0, __ATOMIC_RELAXED);
	atomic_thread_fence(memory_order_seq_cst);   /* the flag before the re-check */
	return vpmd_used_idx(vq) != vq->used_cons;
}

static inline void vpmd_rx_irq_disarm(struct vpmd_vq *vq)
{
	__atomic_store_n(&vq->avail->flags, VRING_AVAIL_F_NO_INTERRUPT, __ATOMIC_RELAXED);
}

/* Completed TX buffers, up to `max`, back to the mempool in completion order. */
void vpmd_tx_reclaim(struct vionic_dev *dev, struct vpmd_vq *vq, unsigned max);
uint64_t vpmd_vq_ring_bytes(uint16_t size);
void vpmd_vq_layout(struct vionic_dev *dev, struct vpmd_vq *vq, uint16_t index,
		    uint16_t size, uint64_t off);
int  vpmd_vq_alloc_meta(struct vpmd_vq *vq);
void vpmd_vq_free_meta(struct vpmd_vq *vq);
void vpmd_vq_reset(struct vpmd_vq *vq);          /* zero rings, ids all free */
void vpmd_vq_release_all(struct vionic_dev *dev, struct vpmd_vq *vq);
int  vpmd_vq_setup(struct vionic_dev *dev, struct vpmd_vq *vq);  /* program + enable */
int  vpmd_vq_kick(struct vionic_dev *dev, struct vpmd_vq *vq);
void vpmd_rx_refill(struct vionic_dev *dev, struct vpmd_vq *vq, bool kick);
/* The control queue: a ring of VPMD_CTRL_RING entries and a buffer with the
 * command at 0 and the ack byte at VPMD_CTRL_ACK_OFF. vpmd_ctrl_cmd sends one
 * command (descriptors 0 and 1) and waits up to timeout_ms for the answer:
 * 0 for VIRTIO_NET_OK, VIONIC_EPROTO for VIRTIO_NET_ERR. */
#define VPMD_CTRL_RING        4
#define VPMD_CTRL_ACK_OFF     512u   /* after the largest command (RSS_CONFIG) */
#define VPMD_CTRL_TIMEOUT_MS  1000
int  vpmd_ctrl_cmd(struct vionic_dev *dev, struct vpmd_vq *vq, uint8_t *buf, uint64_t buf_iova,
		   const void *cmd, unsigned len, int timeout_ms);

#endif /* VPMD_H */
