/* SPDX-License-Identifier: MIT */
/*
 * vionic software NIC model: one device core for the device-server runtime.
 *
 * - virtio-pci modern register file (common cfg, ISR, device cfg) and the
 *   vendor block of include/vionic/regs.h;
 * - split virtqueues for one pair: vq 0 receiveq, vq 1 transmitq;
 * - DESIGN §4 errors: the queue stops, the first error is logged in the
 *   vendor block, DEVICE_NEEDS_RESET, ISR bit 1 and the config vector.
 *   A chain is walked first, each descriptor checked in the shared order
 *   (next index 6, direction 4, zero length 3, chain too long 2); then the
 *   frame is dropped or its bytes are accessed, and only the bytes accessed
 *   must be in the DMA map (1). So a TX frame above MTU + 14 is a drop
 *   whatever its addresses, the virtio header of a TX chain is never read,
 *   and the RX buffer bytes after the frame are never written. A chain with
 *   a fault gets no used entry; nothing of it is sent or written.
 *
 * Data path: the device polls the avail rings once DRIVER_OK is set (a
 * poll-mode device: doorbells are checked, never required for progress),
 * processes up to TX_BUDGET TX chains per poll and publishes used entries in
 * batches (release store of used->idx; acquire load of avail->idx). Every
 * DMA access goes through the runtime's map (vsrv_dma_ptr) for its whole
 * length; ring pointers are translated once and re-translated when the map
 * changes.
 *
 * Frames shorter than 60 bytes from the driver are transmitted as they are:
 * the wire pads nothing. TX frames below 14 bytes or above MTU + 14, RX frames
 * likewise, RX frames with no buffer or a buffer too small: dropped and
 * counted in that queue's DROPS (an RX buffer that is too small stays on the
 * ring for the next frame). With VIRTIO_NET_F_MRG_RXBUF an RX frame spreads
 * over up to VIONIC_RX_MAX_BUFFERS chains (regs.h has the rule); they are
 * all reserved, walked and checked before a byte is written.
 */
#include <stdlib.h>
#include <string.h>

#include "cacheline.h"
#include "inet_csum.h"
#include "offload.h"
#include "vmodel.h"
#include "vionic/regs.h"
#include "vionic/virtio.h"

#define TX_BUDGET   64         /* TX chains per poll */
#define TX_DIRECT_MIN 640      /* frames a TX stage builds in the wire's slot (smaller:
				* in a scratch the wire copies from; txonly with
				* checksums, scratch / slot: 512 B 20.5 / 19.3 Mpps,
				* 768 B 15.0 / 15.8) */
#define TX_STREAM_MIN 256      /* frames a TX stage writes to the sink around the caches */
#define RX_PUBLISH  32         /* publish RX used entries at least this often */
#define FLOW_SLOTS  256        /* automatic receive steering: flows remembered */
#define ETH_HLEN    14

struct vq {
	/* configuration (common cfg) */
	uint16_t size, msix, enabled;
	uint64_t desc_iova, avail_iova, used_iova;
	/* run state */
	int stopped;
	int mapped;
	uint32_t map_gen;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail;       /* next avail entry to take */
	uint16_t used_idx;         /* next used entry to write */
	uint16_t published;        /* used->idx as last stored */
	uint16_t avail_cache;      /* avail->idx as last read */
	uint16_t pf_idx;           /* next avail entry whose buffer to prefetch */
	uint16_t start_avail;      /* VQ_STATE as written while disabled: where */
	uint16_t start_used;       /* ... queue enable starts */
	/* counters */
	uint64_t packets, bytes;
	uint32_t drops, errors;
	uint32_t latch_packets_hi, latch_bytes_hi;
};

struct seg {                   /* a descriptor of the walked chain */
	uint64_t addr;
	uint32_t len;
	uint16_t desc;             /* its index, for an error report */
	uint8_t writable;          /* VRING_DESC_F_WRITE */
};

struct piece {                 /* host memory of the bytes a frame accesses */
	uint8_t *p;
	uint32_t len;
};

struct model {
	struct vsrv_dev *dev;
	struct vsrv_dma *dma;
	struct vsrv_conf conf;
	uint32_t max_frame;        /* mtu + 14 */
	uint64_t t0;
	/* common cfg */
	uint32_t dfselect, gfselect;
	uint64_t gf;               /* driver_feature as written */
	uint64_t features;         /* accepted at FEATURES_OK */
	uint16_t config_msix;
	uint8_t status;
	uint16_t qsel;
	uint8_t isr;
	uint8_t config_generation; /* changes with the device config; kept across resets */
	uint8_t link_up;           /* the wire's link (virtio-net status LINK_UP) */
	uint8_t suspended;         /* SUSPEND written 1: no new work on any queue */
	uint16_t pairs;            /* queue pairs (conf.queue_pairs) */
	uint16_t nq;               /* virtqueues: 2 * pairs, + the control queue if pairs > 1 */
	uint16_t nvectors;         /* MSI-X vectors */
	uint64_t offered;          /* device_feature */
	uint16_t pairs_active;     /* VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET; 1 after reset */
	uint8_t flow_pair[FLOW_SLOTS];   /* by flow hash: 1 + the pair that last sent it, 0 none */
	uint32_t hdr_len;          /* virtio header: 12, VIONIC_NET_HDR_HASH_LEN with HASH_REPORT */
	struct {                   /* hash configuration (RSS_CONFIG, HASH_CONFIG); on: RSS
	                            * steering instead of automatic steering */
		uint8_t on, key_len;
		uint32_t types;
		uint16_t mask, unclassified;
		uint16_t table[VIONIC_RSS_TABLE_LEN];
		uint8_t key[VIONIC_RSS_KEY_SIZE];
	} rss;
	struct vq q[VIONIC_MAX_VQS];
	/* vendor block */
	uint32_t err_code, err_queue, err_desc;
	uint64_t err_addr;
	uint32_t latch_cycles_hi;
	struct { uint32_t code, desc; uint64_t addr; } pend;   /* error found by walk() */
	struct offload off;        /* the offload stages' state and counters */
	/* scratch */
	unsigned rx_max_chains;    /* chains an RX frame may take: VIONIC_RX_MAX_BUFFERS with MRG_RXBUF */
	struct { uint16_t head; uint64_t cap; } rx_chains[VIONIC_RX_MAX_BUFFERS];
	struct seg segs[VIONIC_MAX_QUEUE_SIZE];
	struct piece pieces[VIONIC_MAX_QUEUE_SIZE];
	uint8_t frame[65536];
};

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* ---- reset ------------------------------------------------------------------ */
static void queue_init(struct vq *q)
{
	memset(q, 0, sizeof(*q));
	q->size = VIONIC_MAX_QUEUE_SIZE;
	q->msix = VIRTIO_MSI_NO_VECTOR;
}

static void model_reset_all(struct model *m)
{
	m->dfselect = m->gfselect = 0;
	m->gf = m->features = 0;
	m->rx_max_chains = 1;
	m->hdr_len = VIONIC_NET_HDR_LEN;
	m->config_msix = VIRTIO_MSI_NO_VECTOR;
	m->status = 0;
	m->qsel = 0;
	m->isr = 0;
	m->suspended = 0;
	m->pairs_active = 1;
	memset(m->flow_pair, 0, sizeof(m->flow_pair));
	memset(&m->rss, 0, sizeof(m->rss));
	for (int i = 0; i < VIONIC_MAX_VQS; i++)
		queue_init(&m->q[i]);
	m->err_code = m->err_queue = m->err_desc = 0;
	m->err_addr = 0;
	m->latch_cycles_hi = 0;
	offload_reset(&m->off);
}

/* ---- used ring publication and errors ----------------------------------------- */
static int map_rings(struct model *m, int qi);

/* Ring pointers valid for the current DMA map (else re-translated; 0: DMA
 * error raised). The check is the hot path; the translation is not. */
static inline int ensure_mapped(struct model *m, int qi)
{
	const struct vq *q = &m->q[qi];
	if (__builtin_expect(q->mapped && q->map_gen == m->dma->gen, 1))
		return 1;
	return map_rings(m, qi);
}

static int publish(struct model *m, int qi)
{
	struct vq *q = &m->q[qi];
	if (q->used_idx == q->published)
		return 0;
	/* the DMA map changed since the entries were written: the used ring
	 * must still be mapped (else a DMA error, nothing written) */
	if ((!q->mapped || q->map_gen != m->dma->gen) && !ensure_mapped(m, qi))
		return 1;
	__atomic_store_n(&q->used->idx, q->used_idx, __ATOMIC_RELEASE);
	q->published = q->used_idx;
	/* the driver clears NO_INTERRUPT then re-checks used->idx: order our
	 * used->idx store before the flags load */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint16_t fl = __atomic_load_n(&q->avail->flags, __ATOMIC_RELAXED);
	if (!(fl & VRING_AVAIL_F_NO_INTERRUPT)) {
		m->isr |= VIRTIO_ISR_QUEUE;
		if (q->msix != VIRTIO_MSI_NO_VECTOR)
			vsrv_irq(m->dev, q->msix);
	}
	return 1;
}

/* ISR bit 1 and the config vector: the device status or config changed. */
static void config_interrupt(struct model *m)
{
	m->isr |= VIRTIO_ISR_CONFIG;
	if (m->config_msix != VIRTIO_MSI_NO_VECTOR)
		vsrv_irq(m->dev, m->config_msix);
}

static void dev_error(struct model *m, int qi, uint32_t code, uint32_t desc, uint64_t addr)
{
	struct vq *q = &m->q[qi];

	if (q->mapped && q->map_gen == m->dma->gen)
		publish(m, qi);   /* what completed before the error is returned */
	q->stopped = 1;
	q->errors++;
	if (m->err_code == VIONIC_ERR_NONE) {
		m->err_code = code;
		m->err_queue = (uint32_t)qi;
		m->err_desc = desc;
		m->err_addr = addr;
	}
	m->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	config_interrupt(m);
}

/* Translates the rings (again after a DMA map change). 0: DMA error raised. */
static int map_rings(struct model *m, int qi)
{
	struct vq *q = &m->q[qi];
	q->mapped = 0;
	q->desc = vsrv_dma_ptr(m->dma, q->desc_iova, VRING_DESC_BYTES(q->size), VSRV_DMA_READ);
	if (!q->desc) {
		dev_error(m, qi, VIONIC_ERR_DMA, 0, q->desc_iova);
		return 0;
	}
	q->avail = vsrv_dma_ptr(m->dma, q->avail_iova, VRING_AVAIL_BYTES(q->size), VSRV_DMA_READ);
	if (!q->avail) {
		dev_error(m, qi, VIONIC_ERR_DMA, 0, q->avail_iova);
		return 0;
	}
	q->used = vsrv_dma_ptr(m->dma, q->used_iova, VRING_USED_BYTES(q->size),
			       VSRV_DMA_READ | VSRV_DMA_WRITE);
	if (!q->used) {
		dev_error(m, qi, VIONIC_ERR_DMA, 0, q->used_iova);
		return 0;
	}
	/* a poll-mode device: the driver need not kick (a hint, §2.7.10) */
	if (!(__atomic_load_n(&q->used->flags, __ATOMIC_RELAXED) & VRING_USED_F_NO_NOTIFY))
		__atomic_store_n(&q->used->flags, VRING_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
	q->mapped = 1;
	q->map_gen = m->dma->gen;
	return 1;
}

static inline int queue_live(const struct model *m, const struct vq *q)
{
	return (m->status & VIRTIO_STATUS_DRIVER_OK) && q->enabled && !q->stopped;
}

static inline void pend_error(struct model *m, uint32_t code, uint32_t desc, uint64_t addr)
{
	m->pend.code = code;
	m->pend.desc = desc;
	m->pend.addr = addr;
}

static void raise_pending(struct model *m, int qi)
{
	dev_error(m, qi, m->pend.code, m->pend.desc, m->pend.addr);
}

/* Walks the chain at `head` into segs (room entries), checking every
 * descriptor in the shared order (DESIGN §4): next index out of range, wrong
 * direction, zero length, chain too long or a loop (a descriptor with NEXT at
 * position queue size - 1). Addresses are not checked here: map_pieces()
 * checks the bytes a frame accesses. Returns the number of segments, 0 with
 * the error in m->pend (the caller raises it after completing what came
 * before), or WALK_NO_ROOM when the chain has more than `room` segments. */
#define WALK_NO_ROOM (~0u)
#define WALK_CTRL    2         /* `writable`: readable descriptors, then writable ones */
static inline __attribute__((always_inline)) unsigned walk(struct model *m, int qi, uint16_t head,
							 int writable, struct seg *segs,
							 unsigned room, uint64_t *total)
{
	struct vq *q = &m->q[qi];
	uint16_t i = head;
	unsigned n = 0;
	uint64_t tot = 0;
	int seen_write = 0;

	for (;;) {
		const struct vring_desc *d = &q->desc[i];
		uint64_t addr = __atomic_load_n(&d->addr, __ATOMIC_RELAXED);
		uint32_t len = __atomic_load_n(&d->len, __ATOMIC_RELAXED);
		uint16_t flags = __atomic_load_n(&d->flags, __ATOMIC_RELAXED);
		uint16_t next = __atomic_load_n(&d->next, __ATOMIC_RELAXED);
		const int more = (flags & VRING_DESC_F_NEXT) != 0;

		if (more && next >= q->size) {
			pend_error(m, VIONIC_ERR_INDEX, i, q->desc_iova + 16ull * i);
			return 0;
		}
		const int w = (flags & VRING_DESC_F_WRITE) != 0;
		if (writable == WALK_CTRL ? w < seen_write : w != writable) {
			pend_error(m, VIONIC_ERR_DIRECTION, i, addr);
			return 0;
		}
		seen_write = w;
		if (len == 0) {
			pend_error(m, VIONIC_ERR_ZERO_LEN, i, addr);
			return 0;
		}
		if (more && n + 1u >= q->size) {
			pend_error(m, VIONIC_ERR_CHAIN, i, addr);
			return 0;
		}
		if (n == room) {
			*total = tot;
			return WALK_NO_ROOM;
		}
		segs[n].addr = addr;
		segs[n].len = len;
		segs[n].desc = i;
		segs[n].writable = (uint8_t)w;
		n++;
		tot += len;
		if (!more)
			break;
		i = next;
	}
	*total = tot;
	return n;
}

/* Translates the bytes [skip, skip + len) of the walked chain
 * (m->segs[0..ns)) into m->pieces, the accessed part of each segment in
 * order. Returns the number of pieces, or 0 with a DMA error pending for
 * the first segment whose accessed bytes are outside the map (reported with
 * the descriptor and its buffer address). len > 0, within the chain. */
static inline __attribute__((always_inline)) unsigned map_pieces(struct model *m, unsigned ns,
								  uint32_t skip, uint32_t len,
								  uint32_t prot)
{
	unsigned np = 0;
	for (unsigned k = 0; k < ns && len; k++) {
		const struct seg *s = &m->segs[k];
		if (skip >= s->len) {
			skip -= s->len;
			continue;
		}
		uint32_t n = s->len - skip < len ? s->len - skip : len;
		uint8_t *p = vsrv_dma_ptr(m->dma, s->addr + skip, n, prot);
		if (!p) {
			pend_error(m, VIONIC_ERR_DMA, s->desc, s->addr);
			return 0;
		}
		m->pieces[np].p = p;
		m->pieces[np].len = n;
		np++;
		len -= n;
		skip = 0;
	}
	return np;
}

/* Reads avail->idx; raises VIONIC_ERR_INDEX if it is more than the queue
 * size ahead. Returns 0 on error. */
static inline int read_avail(struct model *m, int qi, uint16_t *idx)
{
	struct vq *q = &m->q[qi];
	uint16_t a = __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE);
	if ((uint16_t)(a - q->last_avail) > q->size) {
		dev_error(m, qi, VIONIC_ERR_INDEX, a, q->avail_iova + 2);
		return 0;
	}
	q->avail_cache = a;
	*idx = a;
	return 1;
}

/* The head of avail entry `idx`; 0 with VIONIC_ERR_INDEX pending if it is
 * out of range. */
static inline int read_head(struct model *m, int qi, uint16_t idx, uint16_t *head)
{
	struct vq *q = &m->q[qi];
	uint16_t slot = idx & (q->size - 1);
	uint16_t h = __atomic_load_n(&q->avail->ring[slot], __ATOMIC_RELAXED);
	if (h >= q->size) {
		pend_error(m, VIONIC_ERR_INDEX, h, q->avail_iova + 4 + 2ull * slot);
		return 0;
	}
	*head = h;
	return 1;
}

static inline void prefetch_w(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("prefetchw %0" : : "m"(*(const char *)p));
#else
	__builtin_prefetch(p, 1, 3);
#endif
}

/* Prefetches for writing the buffers of the next PF_AHEAD avail entries
 * (up to `limit`), `bytes` of each (those of the frame in hand: the next are
 * likely as long; at most the descriptor's length and PF_MAX_BYTES), so
 * that their misses overlap: the buffers were last touched by the driver on
 * the other core, and the hardware prefetcher does not follow a copy into
 * another buffer per frame (rxonly 1514 B: about +10 %). Nothing is
 * validated here (walk() does that); a bad entry is just not prefetched. */
#define PF_AHEAD 8
#define PF_MAX_BYTES 4096u
static inline void prefetch_rx_ahead(struct model *m, struct vq *q, uint16_t limit, uint32_t bytes)
{
	const uint16_t mask = q->size - 1;
	if ((int16_t)(q->pf_idx - q->last_avail) < 0)
		q->pf_idx = q->last_avail;
	if (bytes > PF_MAX_BYTES)
		bytes = PF_MAX_BYTES;
	while ((uint16_t)(q->pf_idx - q->last_avail) < PF_AHEAD && q->pf_idx != limit) {
		uint16_t h = __atomic_load_n(&q->avail->ring[q->pf_idx & mask], __ATOMIC_RELAXED);
		if (h < q->size) {
			uint64_t a = __atomic_load_n(&q->desc[h].addr, __ATOMIC_RELAXED);
			uint32_t dl = __atomic_load_n(&q->desc[h].len, __ATOMIC_RELAXED);
			uint32_t n = bytes < dl ? bytes : dl;
			const uint8_t *p = n ? vsrv_dma_ptr(m->dma, a, n, VSRV_DMA_WRITE) : NULL;
			if (p)
				for (uintptr_t l = (uintptr_t)p & ~(uintptr_t)63; l < (uintptr_t)p + n; l += 64)
					prefetch_w((const void *)l);
		}
		q->pf_idx++;
	}
}

static inline void add_used(struct vq *q, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e = &q->used->ring[q->used_idx & (q->size - 1)];
	e->id = head;
	e->len = len;
	q->used_idx++;
	q->last_avail++;
}

/* ---- automatic receive steering (VIRTIO 1.2 §5.1.6.5.5) ----------------------- */
/* A hash of a TCP/UDP flow over IPv4/IPv6 that is the same both ways (the
 * addresses and the ports enter by XOR); -1 for other frames. */
static int64_t flow_hash(const uint8_t *f, uint32_t len)
{
	struct vcsum_l4 l4;
	uint32_t a = 0, w1, w2;
	uint16_t p1, p2;

	if (vcsum_locate(f, len, &l4) || l4.l4_len < 4)
		return -1;
	const unsigned words = l4.ipv4 ? 1 : 4;
	const uint8_t *src = f + l4.l3_off + (l4.ipv4 ? 12 : 8);
	for (unsigned k = 0; k < words; k++) {
		memcpy(&w1, src + 4 * k, 4);
		memcpy(&w2, src + 4 * (k + words), 4);
		a ^= w1 ^ w2;
	}
	memcpy(&p1, f + l4.l4_off, 2);
	memcpy(&p2, f + l4.l4_off + 2, 2);
	uint32_t h = (a ^ ((uint32_t)(p1 ^ p2) << 16) ^ l4.proto) * 0x9E3779B1u;
	return h >> 16;
}

/* A frame sent on transmitq `pair`: its flow's frames come back there. */
static void flow_note(struct model *m, const uint8_t *f, uint32_t len, uint16_t pair)
{
	int64_t h = flow_hash(f, len);
	if (h >= 0)
		m->flow_pair[h % FLOW_SLOTS] = (uint8_t)(pair + 1);
}

/* Toeplitz hash (Microsoft RSS): for each bit of the input from the most
 * significant of its first byte, XOR in the 32 bits of the key at that bit
 * position when the bit is set. */
static uint32_t toeplitz(const uint8_t *key, unsigned key_len, const uint8_t *in, unsigned n)
{
	uint32_t h = 0, window = 0;
	unsigned next = 0;   /* key bytes shifted into the window */

	for (; next < 4; next++)
		window = window << 8 | (next < key_len ? key[next] : 0);
	for (unsigned i = 0; i < n; i++) {
		uint8_t nb = next < key_len ? key[next] : 0;
		next++;
		for (int b = 7; b >= 0; b--) {
			if (in[i] >> b & 1)
				h ^= window;
			window = window << 1 | (uint32_t)(nb >> b & 1);
		}
	}
	return h;
}

/* The hash of a frame by the configured hash types (regs.h has the rule):
 * meta->hash and the report type (VIRTIO_NET_HASH_REPORT_*) of the type
 * that applied; hash 0 and NONE when none applies. */
static void rss_hash(const struct model *m, const uint8_t *f, uint32_t len,
		     struct frame_meta *meta)
{
	uint8_t in[36];
	unsigned off = 14, n;
	uint16_t et, report;

	meta->hash = 0;
	meta->hash_report = VIRTIO_NET_HASH_REPORT_NONE;
	if (len < 14)
		return;
	et = (uint16_t)(f[12] << 8 | f[13]);
	if (et == 0x8100 && len >= 18) {
		et = (uint16_t)(f[16] << 8 | f[17]);
		off = 18;
	}
	const uint8_t *ip = f + off;
	const uint32_t t = m->rss.types;
	if (et == 0x0800 && len >= off + 20 && ip[0] >> 4 == 4 && (ip[0] & 0xF) >= 5) {
		unsigned ihl = (ip[0] & 0xFu) * 4, l4 = off + ihl;
		int frag = (ip[6] << 8 | ip[7]) & 0x3FFF;
		memcpy(in, ip + 12, 8);
		n = 8;
		report = VIRTIO_NET_HASH_REPORT_IPv4;
		if (!frag && len >= l4 + 4 && ((ip[9] == 6 && (t & VIRTIO_NET_RSS_HASH_TYPE_TCPv4)) ||
		    (ip[9] == 17 && (t & VIRTIO_NET_RSS_HASH_TYPE_UDPv4)))) {
			memcpy(in + 8, f + l4, 4);
			n = 12;
			report = ip[9] == 6 ? VIRTIO_NET_HASH_REPORT_TCPv4 : VIRTIO_NET_HASH_REPORT_UDPv4;
		}
		if (n == 8 && !(t & VIRTIO_NET_RSS_HASH_TYPE_IPv4))
			return;
	} else if (et == 0x86DD && len >= off + 40 && ip[0] >> 4 == 6) {
		unsigned l4 = off + 40;
		memcpy(in, ip + 8, 32);
		n = 32;
		report = VIRTIO_NET_HASH_REPORT_IPv6;
		if (len >= l4 + 4 && ((ip[6] == 6 && (t & VIRTIO_NET_RSS_HASH_TYPE_TCPv6)) ||
		    (ip[6] == 17 && (t & VIRTIO_NET_RSS_HASH_TYPE_UDPv6)))) {
			memcpy(in + 32, f + l4, 4);
			n = 36;
			report = ip[6] == 6 ? VIRTIO_NET_HASH_REPORT_TCPv6 : VIRTIO_NET_HASH_REPORT_UDPv6;
		}
		if (n == 32 && !(t & VIRTIO_NET_RSS_HASH_TYPE_IPv6))
			return;
	} else {
		return;
	}
	meta->hash = toeplitz(m->rss.key, m->rss.key_len, in, n);
	meta->hash_report = report;
}

/* The receiveq of a frame (and, when hash types are configured and RSS
 * steers or HASH_REPORT reports, its hash in meta). RSS: by the indirection
 * table. Automatic steering: that of the transmitq that last sent its
 * flow, else one by its flow hash; frames that are no TCP/UDP flow,
 * receiveq 0. */
static int rx_steer(struct model *m, const uint8_t *f, uint32_t len, struct frame_meta *meta)
{
	if (m->rss.types && (m->rss.on || m->hdr_len != VIONIC_NET_HDR_LEN)) {
		rss_hash(m, f, len, meta);
		if (m->rss.on)
			return 2 * (meta->hash_report == VIRTIO_NET_HASH_REPORT_NONE ?
				    m->rss.unclassified : m->rss.table[meta->hash & m->rss.mask]);
	} else if (m->rss.on) {
		return 2 * m->rss.unclassified;   /* no type configured: none applies */
	}
	if (m->pairs_active == 1)
		return 0;
	int64_t h = flow_hash(f, len);
	if (h < 0)
		return 0;
	unsigned p = m->flow_pair[h % FLOW_SLOTS];
	return 2 * (int)(p && p <= m->pairs_active ? p - 1 : (unsigned)h % m->pairs_active);
}

/* ---- TX ------------------------------------------------------------------------ */
/* A TX buffer of `total` bytes (virtio header + frame) carries a frame the
 * wire may take: 14..MTU+14 bytes. Others are dropped and counted. */
static inline int tx_size_ok(const struct model *m, uint64_t total)
{
	return total >= m->hdr_len + ETH_HLEN && total - m->hdr_len <= m->max_frame;
}

/* Puts a frame on the wire and counts it. A frame the wire loses (no link
 * partner) still counts as transmitted: the MAC sent it, as the RTL's does;
 * wire-side loss is not the device's to count. */
static inline void tx_out(struct model *m, struct vq *q, const uint8_t *frame, uint32_t len)
{
	if (__builtin_expect(m->pairs_active > 1, 0))
		flow_note(m, frame, len, (uint16_t)((q - m->q) / 2));
	(void)vsrv_wire_send(m->dev, frame, len);
	q->packets++;
	q->bytes += len;
}

/* Runs the TX stages in acts on buffer b (virtio header and frame, `total` bytes:
 * the driver's memory or a gather), which leave the frame at `dst` (the
 * wire's slot, a private copy, or b's frame itself; stream: dst is a slot
 * best written around the caches). Returns dst, or NULL when a stage
 * dropped the frame. */
static uint8_t *tx_offload(struct model *m, int qi, uint32_t acts, const uint8_t *b,
			   uint32_t total, uint8_t *dst, int stream)
{
	struct frame_meta meta;

	/* field by field: an initializer zeroes the whole struct, which GCC
	 * made a byte-wise `rep stos` (about 30 instructions a frame) */
	meta.queue = (uint16_t)qi;
	meta.len = total - m->hdr_len;
	memcpy(&meta.hdr, b, sizeof(meta.hdr));   /* HASH_REPORT's 8 more bytes: ignored */
	meta.hash = 0;
	meta.hash_report = 0;
	meta.drop = 0;
	meta.stream = (uint8_t)stream;
	offload_tx(&m->off, acts, dst, b + m->hdr_len, &meta);
	return meta.drop ? NULL : dst;
}

/* Sends a frame a TX stage acts on (b: its virtio header and frame, `total`
 * bytes, read in place), built in the wire's slot from TX_DIRECT_MIN bytes,
 * else (or for a wire without one) at `scratch`, and counts it. */
static void tx_send_staged(struct model *m, struct vq *q, uint32_t acts, const uint8_t *b,
			   uint32_t total, uint8_t *scratch)
{
	const uint32_t flen = total - m->hdr_len;
	uint8_t *dst = flen >= TX_DIRECT_MIN ? vsrv_wire_tx_slot(m->dev, flen) : NULL;
	/* around the caches from TX_STREAM_MIN bytes: below, the few lines'
	 * plain stores measured faster */
	const int stream = dst && flen >= TX_STREAM_MIN && vsrv_wire_tx_stream(m->dev);
	const uint8_t *f = tx_offload(m, (int)(q - m->q), acts, b, total, dst ? dst : scratch,
				      stream);

	if (f)
		tx_out(m, q, f, flen);
	else
		q->drops++;
}

/* Sends the frame of a walked chain (m->segs[0..ns)) and counts it, or
 * drops it unread if its size is not for the wire. With a TX offload
 * negotiated the virtio header is read too, and a frame that a stage acts
 * on goes through the stages in a private copy (the driver's buffer is
 * read-only). Returns 0 with a DMA error pending if its bytes are not all
 * in the map (nothing sent). */
static int tx_send_chain(struct model *m, struct vq *q, unsigned ns, uint64_t total)
{
	if (!tx_size_ok(m, total)) {
		q->drops++;
		return 1;
	}
	uint32_t flen = (uint32_t)(total - m->hdr_len);
	uint32_t skip = offload_tx_active(&m->off) ? 0 : m->hdr_len;
	unsigned np = map_pieces(m, ns, skip, (uint32_t)total - skip, VSRV_DMA_READ);
	if (!np)
		return 0;
	const uint8_t *b = m->pieces[0].p;   /* header (if read) and frame */
	if (np > 1) {   /* gather */
		uint32_t o = 0;
		for (unsigned k = 0; k < np; k++) {
			memcpy(m->frame + o, m->pieces[k].p, m->pieces[k].len);
			o += m->pieces[k].len;
		}
		b = m->frame;
	}
	const uint32_t acts = skip ? 0 : offload_tx_wants(&m->off, b);
	if (!acts) {
		tx_out(m, q, b + m->hdr_len - skip, flen);
		return 1;
	}
	/* where the wire has no slot, a gather is worked on in place */
	tx_send_staged(m, q, acts, b, (uint32_t)total,
		       b == m->frame ? m->frame + m->hdr_len : m->frame);
	return 1;
}

/* Single-descriptor chains are handled in two passes: first every chain of
 * the batch is checked and its virtio header (where a TX stage may read it)
 * and frame prefetched, then the TX stages run and the frames go to the
 * wire; so the cache misses on the driver's buffers overlap. Once sent, the
 * first line of the frame in the driver's buffer goes to the shared cache,
 * where a NIC's DMA read would have left it: the driver writes the next
 * frame's headers there (cacheline.h). */
struct tx_one {
	const uint8_t *frame;      /* in the driver's buffer; NULL: dropped for its size */
	const uint8_t *hdr;        /* its virtio header where a TX stage may act, else NULL */
	uint32_t len;
	uint16_t head;
};

static void tx_flush(struct model *m, struct vq *q, const struct tx_one *b, unsigned nb)
{
	for (unsigned i = 0; i < nb; i++) {
		if (b[i].frame) {
			const uint32_t acts = b[i].hdr ? offload_tx_wants(&m->off, b[i].hdr) : 0;

			if (acts)
				tx_send_staged(m, q, acts, b[i].hdr, b[i].len + m->hdr_len,
					       m->frame);
			else
				tx_out(m, q, b[i].frame, b[i].len);
			vcl_demote(b[i].frame);
		} else {
			q->drops++;
		}
		add_used(q, b[i].head, 0);
	}
}

static int tx_poll(struct model *m, int qi)
{
	struct vq *q = &m->q[qi];
	struct tx_one b[TX_BUDGET];
	unsigned nb = 0;
	uint16_t avail;

	if (!q->enabled || q->stopped || m->suspended)
		return 0;
	if (!ensure_mapped(m, qi))
		return 1;
	if (!read_avail(m, qi, &avail))
		return 1;
	uint16_t n = (uint16_t)(avail - q->last_avail);
	if (n == 0)
		return 0;
	if (n > TX_BUDGET)
		n = TX_BUDGET;
	/* entry i of this batch is avail slot last_avail + i; add_used in
	 * tx_flush advances last_avail, so index the ring by a local cursor */
	uint16_t cur = q->last_avail;
	const uint16_t mask = q->size - 1;
	/* the virtio header is read only when a TX offload may use it */
	const uint32_t hdr_skip = offload_tx_active(&m->off) ? 0 : m->hdr_len;
	for (uint16_t i = 0; i < n; i++, cur++) {
		uint16_t head = __atomic_load_n(&q->avail->ring[cur & mask], __ATOMIC_RELAXED);
		uint64_t total;
		if (head >= q->size) {
			pend_error(m, VIONIC_ERR_INDEX, head, q->avail_iova + 4 + 2ull * (cur & mask));
			goto fail;
		}
		unsigned ns = walk(m, qi, head, 0, m->segs, VIONIC_MAX_QUEUE_SIZE, &total);
		if (!ns)
			goto fail;
		if (ns == 1) {
			b[nb].frame = b[nb].hdr = NULL;
			b[nb].head = head;
			if (tx_size_ok(m, total)) {
				b[nb].len = (uint32_t)total - m->hdr_len;
				if (!map_pieces(m, 1, hdr_skip, (uint32_t)total - hdr_skip,
						VSRV_DMA_READ))
					goto fail;
				const uint8_t *p = m->pieces[0].p;
				b[nb].frame = p + m->hdr_len - hdr_skip;
				if (!hdr_skip) {
					b[nb].hdr = p;
					__builtin_prefetch(p, 0, 3);
				}
				__builtin_prefetch(b[nb].frame, 0, 3);
				if (b[nb].len > 64)
					__builtin_prefetch(b[nb].frame + 64, 0, 3);
			}
			nb++;
			continue;
		}
		/* a multi-descriptor chain: finish the batch, then this one */
		tx_flush(m, q, b, nb);
		nb = 0;
		if (!tx_send_chain(m, q, ns, total))
			goto fail;
		add_used(q, head, 0);
	}
	tx_flush(m, q, b, nb);
	publish(m, qi);
	return 1;
fail:
	tx_flush(m, q, b, nb);
	raise_pending(m, qi);
	return 1;
}

/* ---- RX ------------------------------------------------------------------------ */
/* Whether receiveq qi has a buffer posted (0 if it cannot take frames). */
static int rx_has_buffer(struct model *m, int qi)
{
	struct vq *q = &m->q[qi];
	uint16_t a;

	if (!queue_live(m, q))
		return 0;
	if (q->avail_cache != q->last_avail && q->mapped && q->map_gen == m->dma->gen)
		return 1;
	if (!ensure_mapped(m, qi) || !read_avail(m, qi, &a))
		return 0;
	return a != q->last_avail;
}

/* A paced wire asks before it makes a frame: some receiveq in use has a
 * buffer (the frame may still be steered to one without). */
static int m_rx_ready(void *core)
{
	struct model *m = core;

	if (m->suspended)
		return 0;
	for (int p = 0; p < m->pairs_active; p++)
		if (rx_has_buffer(m, 2 * p))
			return 1;
	return 0;
}


/* Reserves further avail chains for a frame of `need` bytes whose first
 * chain (at last_avail, walked into m->segs[0..*ns), in m->rx_chains[0])
 * holds only `have`: takes the chains after it, walking each, until they
 * hold the frame within m->rx_max_chains chains (VIRTIO_NET_F_MRG_RXBUF:
 * VIONIC_RX_MAX_BUFFERS); nothing is consumed. Returns the number of
 * chains (*ns segments in all), 0 when they do not suffice (the frame is
 * dropped, the chains stay), -1 with a device error raised. */
static int rx_reserve_more(struct model *m, int qi, uint32_t need, uint64_t have,
			   unsigned *ns)
{
	struct vq *q = &m->q[qi];
	uint16_t idx = q->last_avail + 1;
	unsigned k = 1, n = *ns;

	while (have < need) {
		uint16_t head;
		uint64_t cap;

		if (k == m->rx_max_chains)
			return 0;
		if (idx == q->avail_cache) {
			uint16_t a;
			if (!read_avail(m, qi, &a))
				return -1;
			if (a == idx)
				return 0;   /* no more buffers */
		}
		if (!read_head(m, qi, idx, &head)) {
			raise_pending(m, qi);
			return -1;
		}
		unsigned c = walk(m, qi, head, 1, m->segs + n, VIONIC_MAX_QUEUE_SIZE - n, &cap);
		if (c == WALK_NO_ROOM)
			return 0;   /* more descriptors than a ring has: not a sane layout */
		if (!c) {
			raise_pending(m, qi);
			return -1;
		}
		m->rx_chains[k].head = head;
		m->rx_chains[k].cap = cap;
		k++;
		n += c;
		have += cap;
		idx++;
	}
	*ns = n;
	return (int)k;
}

/* Writes bytes [0, a_len) of `a` then [0, b_len) of `b` over m->pieces[0..np)
 * as one stream: the virtio header and the frame. */
static void rx_scatter(struct model *m, unsigned np, const void *a, uint32_t a_len,
		       const uint8_t *b, uint32_t b_len)
{
	if (np == 1) {
		memcpy(m->pieces[0].p, a, a_len);
		memcpy(m->pieces[0].p + a_len, b, b_len);
		return;
	}
	const uint8_t *src[2] = { a, b };
	uint32_t srclen[2] = { a_len, b_len };
	unsigned si = 0, k = 0;
	uint32_t so = 0, ko = 0;
	while (si < 2) {
		uint32_t c = srclen[si] - so;
		if (c > m->pieces[k].len - ko)
			c = m->pieces[k].len - ko;
		memcpy(m->pieces[k].p + ko, src[si] + so, c);
		so += c;
		ko += c;
		if (so == srclen[si]) {
			si++;
			so = 0;
		}
		if (ko == m->pieces[k].len) {
			k++;
			ko = 0;
		}
	}
}

static int m_rx_frame(void *core, const uint8_t *frame, uint32_t len)
{
	struct model *m = core;

	if (!(m->status & VIRTIO_STATUS_DRIVER_OK))
		return 0;   /* not running: the MAC drops it, nothing counts */
	struct frame_meta meta = { .len = len };
	const int qi = rx_steer(m, frame, len, &meta);
	struct vq *q = &m->q[qi];
	if (!q->enabled || q->stopped || m->suspended || len < ETH_HLEN || len > m->max_frame) {
		q->drops++;
		return 0;
	}
	if (!ensure_mapped(m, qi))
		return 0;
	if (q->avail_cache == q->last_avail) {
		uint16_t a;
		if (!read_avail(m, qi, &a))
			return 0;
		if (a == q->last_avail) {   /* no buffer */
			q->drops++;
			return 0;
		}
	}
	prefetch_rx_ahead(m, q, q->avail_cache, m->hdr_len + len);
	uint16_t head;
	uint64_t cap;
	if (!read_head(m, qi, q->last_avail, &head)) {
		raise_pending(m, qi);
		return 0;
	}
	unsigned ns = walk(m, qi, head, 1, m->segs, VIONIC_MAX_QUEUE_SIZE, &cap);
	if (!ns) {
		raise_pending(m, qi);
		return 0;
	}
	const uint32_t need = m->hdr_len + len;
	int k = 1;
	if (cap < need) {   /* too small: more chains with MRG_RXBUF, else it stays */
		m->rx_chains[0].head = head;
		m->rx_chains[0].cap = cap;
		k = m->rx_max_chains > 1 ? rx_reserve_more(m, qi, need, cap, &ns) : 0;
		if (k <= 0) {
			q->drops += k == 0;
			return 0;
		}
	}
	unsigned np = map_pieces(m, ns, 0, need, VSRV_DMA_WRITE);
	if (!np) {
		raise_pending(m, qi);
		return 0;
	}
	meta.queue = (uint16_t)qi;
	meta.hdr.num_buffers = (uint16_t)k;
	offload_rx(&m->off, frame, &meta);
	if (meta.drop) {
		q->drops++;
		return 0;
	}
	const void *h = &meta.hdr;
	uint8_t hh[VIONIC_NET_HDR_HASH_LEN] = { 0 };   /* virtio_net_hdr_v1_hash */
	if (m->hdr_len == VIONIC_NET_HDR_HASH_LEN) {
		memcpy(hh, &meta.hdr, sizeof(meta.hdr));
		put32(hh + VIONIC_NET_HDR_HASH_VALUE, meta.hash);
		put16(hh + VIONIC_NET_HDR_HASH_REPORT, meta.hash_report);
		h = hh;
	}
	rx_scatter(m, np, h, m->hdr_len, frame, len);
	if (k == 1) {
		add_used(q, head, need);
	} else {   /* each chain is filled before the next: all but the last are full */
		uint32_t left = need;
		for (int i = 0; i < k; i++) {
			uint32_t n = m->rx_chains[i].cap < left ? (uint32_t)m->rx_chains[i].cap : left;
			add_used(q, m->rx_chains[i].head, n);
			left -= n;
		}
	}
	q->packets++;
	q->bytes += len;
	if ((uint16_t)(q->used_idx - q->published) >= RX_PUBLISH)
		publish(m, qi);
	return 0;
}

/* ---- control queue (VIRTIO_NET_F_CTRL_VQ) -------------------------------------- */

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

/* The key and types that RSS_CONFIG (at d + key_at - 1: u8 key length, the
 * key) and HASH_CONFIG share, checked as regs.h says; n: data bytes. */
static int hash_key_ok(const uint8_t *d, uint32_t n, uint32_t key_at, uint32_t types)
{
	const uint8_t key_len = d[key_at - 1];
	return !(types & ~VIONIC_RSS_HASH_TYPES) && key_len && key_len <= VIONIC_RSS_KEY_SIZE &&
	       n == key_at + key_len;
}

/* VIRTIO_NET_CTRL_MQ_RSS_CONFIG (data d, n bytes), checked as regs.h says. */
static uint8_t rss_config(struct model *m, const uint8_t *d, uint32_t n)
{
	uint32_t types;
	uint16_t mask, tx;

	if (n < 8)
		return VIRTIO_NET_ERR;
	memcpy(&types, d, 4);
	mask = get16(d + 4);
	const uint32_t entries = (uint32_t)mask + 1, tail = 8 + 2 * entries;
	if ((entries & mask) || entries > VIONIC_RSS_TABLE_LEN || n < tail + 3 ||
	    get16(d + 6) >= m->pairs)
		return VIRTIO_NET_ERR;
	tx = get16(d + tail);
	const uint8_t key_len = d[tail + 2];
	if (!tx || tx > m->pairs || !hash_key_ok(d, n, tail + 3, types))
		return VIRTIO_NET_ERR;
	for (uint32_t i = 0; i < entries; i++)
		if (get16(d + 8 + 2 * i) >= m->pairs)
			return VIRTIO_NET_ERR;
	m->rss.types = types;
	m->rss.mask = mask;
	m->rss.unclassified = get16(d + 6);
	for (uint32_t i = 0; i < entries; i++)
		m->rss.table[i] = get16(d + 8 + 2 * i);
	m->rss.key_len = key_len;
	memcpy(m->rss.key, d + tail + 3, key_len);
	m->rss.on = 1;
	m->pairs_active = tx;
	return VIRTIO_NET_OK;
}

/* VIRTIO_NET_CTRL_MQ_HASH_CONFIG (HASH_REPORT): the hash configuration,
 * RSS steering off. */
static uint8_t hash_config(struct model *m, const uint8_t *d, uint32_t n)
{
	uint32_t types;

	if (n < 13)
		return VIRTIO_NET_ERR;
	memcpy(&types, d, 4);
	if (!hash_key_ok(d, n, 13, types))
		return VIRTIO_NET_ERR;
	m->rss.types = types;
	m->rss.key_len = d[12];
	memcpy(m->rss.key, d + 13, d[12]);
	m->rss.on = 0;
	return VIRTIO_NET_OK;
}

/* Executes a command (class, command, data as read); returns its ack. */
static uint8_t ctrl_exec(struct model *m, const uint8_t *c, uint32_t len)
{
	if (len < 2 || c[0] != VIRTIO_NET_CTRL_MQ)
		return VIRTIO_NET_ERR;   /* a class this device does not offer */
	if (c[1] == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET && len == 4 &&
	    (m->features & (1ULL << VIRTIO_NET_F_MQ))) {
		uint16_t n = get16(c + 2);
		if (n >= 1 && n <= m->pairs) {
			m->pairs_active = n;
			m->rss.on = 0;   /* automatic steering again */
			return VIRTIO_NET_OK;
		}
	}
	if (c[1] == VIRTIO_NET_CTRL_MQ_RSS_CONFIG && (m->features & (1ULL << VIRTIO_NET_F_RSS)))
		return rss_config(m, c + 2, len - 2);
	if (c[1] == VIRTIO_NET_CTRL_MQ_HASH_CONFIG &&
	    (m->features & (1ULL << VIRTIO_NET_F_HASH_REPORT)))
		return hash_config(m, c + 2, len - 2);
	return VIRTIO_NET_ERR;   /* malformed */
}

/* Runs the commands posted on the control queue (2 * pairs), in order. A
 * chain is checked as walk() checks any (its direction may change once,
 * readable to writable); only the bytes read and the ack byte must be in
 * the DMA map. */
static int ctrl_poll(struct model *m)
{
	const int qi = 2 * m->pairs;
	struct vq *q = &m->q[qi];
	uint16_t avail;

	if (!queue_live(m, q) || m->suspended)
		return 0;
	if (!ensure_mapped(m, qi) || !read_avail(m, qi, &avail))
		return 1;
	if (avail == q->last_avail)
		return 0;
	while (q->last_avail != avail) {
		uint8_t cmd[VIONIC_CTRL_MAX_CMD], *p;
		uint32_t clen = 0, written = 0;
		uint16_t head;
		uint64_t total;
		unsigned ns, k;
		int too_long = 0;

		if (!read_head(m, qi, q->last_avail, &head))
			goto fail;
		if (!(ns = walk(m, qi, head, WALK_CTRL, m->segs, VIONIC_MAX_QUEUE_SIZE, &total)))
			goto fail;
		for (k = 0; k < ns && !m->segs[k].writable; k++) {
			const struct seg *sg = &m->segs[k];
			uint32_t take = sg->len;
			if (take > VIONIC_CTRL_MAX_CMD - clen) {
				too_long = 1;
				take = VIONIC_CTRL_MAX_CMD - clen;
			}
			if (!take)
				continue;
			if (!(p = vsrv_dma_ptr(m->dma, sg->addr, take, VSRV_DMA_READ))) {
				pend_error(m, VIONIC_ERR_DMA, sg->desc, sg->addr);
				goto fail;
			}
			memcpy(cmd + clen, p, take);
			clen += take;
		}
		if (k < ns) {   /* the ack: the first device-writable byte */
			if (!(p = vsrv_dma_ptr(m->dma, m->segs[k].addr, 1, VSRV_DMA_WRITE))) {
				pend_error(m, VIONIC_ERR_DMA, m->segs[k].desc, m->segs[k].addr);
				goto fail;
			}
			*p = too_long ? VIRTIO_NET_ERR : ctrl_exec(m, cmd, clen);
			written = 1;
		}
		add_used(q, head, written);
	}
	publish(m, qi);
	return 1;
fail:
	raise_pending(m, qi);
	return 1;
}

/* ---- poll and doorbells ----------------------------------------------------------- */
static int m_poll(void *core)
{
	struct model *m = core;
	int work = 0;

	if (!(m->status & VIRTIO_STATUS_DRIVER_OK))
		return 0;
	for (int qi = 0; qi < 2 * m->pairs; qi += 2) {
		if (m->q[qi].mapped)
			work |= publish(m, qi);
		work |= tx_poll(m, qi + 1);
	}
	if (m->features & (1ULL << VIRTIO_NET_F_CTRL_VQ))
		work |= ctrl_poll(m);
	return work;
}

static void m_notify(void *core, uint16_t slot, uint32_t value)
{
	struct model *m = core;
	(void)slot;

	if (!(m->status & VIRTIO_STATUS_DRIVER_OK) ||
	    !(m->features & (1ULL << VIRTIO_F_NOTIFICATION_DATA)))
		return;
	uint16_t vq = (uint16_t)(value & 0xffff), next = (uint16_t)(value >> 16);
	if (vq >= m->nq)
		return;
	struct vq *q = &m->q[vq];
	if (!q->enabled || q->stopped)
		return;
	/* Only "ahead" is an error: the device polls the avail ring, so it may
	 * already have consumed past a doorbell value it sees late. */
	uint16_t ahead = (uint16_t)(next - q->last_avail);
	if (ahead > q->size && ahead < 0x8000)
		dev_error(m, vq, VIONIC_ERR_INDEX, next, 0);
}

/* ---- common cfg ----------------------------------------------------------------- */
static void common_snapshot(struct model *m, uint8_t b[VIONIC_COMMON_CFG_SIZE])
{
	memset(b, 0, VIONIC_COMMON_CFG_SIZE);
	put32(b + VIRTIO_PCI_COMMON_DFSELECT, m->dfselect);
	put32(b + VIRTIO_PCI_COMMON_DF,
	      m->dfselect < 2 ? (uint32_t)(m->offered >> (32 * m->dfselect)) : 0);
	put32(b + VIRTIO_PCI_COMMON_GFSELECT, m->gfselect);
	put32(b + VIRTIO_PCI_COMMON_GF, m->gfselect < 2 ? (uint32_t)(m->gf >> (32 * m->gfselect)) : 0);
	put16(b + VIRTIO_PCI_COMMON_MSIX, m->config_msix);
	put16(b + VIRTIO_PCI_COMMON_NUMQ, m->nq);
	b[VIRTIO_PCI_COMMON_STATUS] = m->status;
	b[VIRTIO_PCI_COMMON_CFGGENERATION] = m->config_generation;
	put16(b + VIRTIO_PCI_COMMON_Q_SELECT, m->qsel);
	if (m->qsel < m->nq) {
		const struct vq *q = &m->q[m->qsel];
		put16(b + VIRTIO_PCI_COMMON_Q_SIZE, q->size);
		put16(b + VIRTIO_PCI_COMMON_Q_MSIX, q->msix);
		put16(b + VIRTIO_PCI_COMMON_Q_ENABLE, q->enabled);
		put16(b + VIRTIO_PCI_COMMON_Q_NOFF, m->qsel);
		put64(b + VIRTIO_PCI_COMMON_Q_DESCLO, q->desc_iova);
		put64(b + VIRTIO_PCI_COMMON_Q_AVAILLO, q->avail_iova);
		put64(b + VIRTIO_PCI_COMMON_Q_USEDLO, q->used_iova);
		put16(b + VIRTIO_PCI_COMMON_Q_NDATA, m->qsel);
		put16(b + VIRTIO_PCI_COMMON_Q_RESET, 0);
	}
}

static void queue_enable(struct model *m, int qi)
{
	struct vq *q = &m->q[qi];

	if (q->size == 0 || (q->size & (q->size - 1)) || q->size > VIONIC_MAX_QUEUE_SIZE) {
		dev_error(m, qi, VIONIC_ERR_QUEUE_CFG, q->size, 0);
		return;
	}
	if (q->desc_iova % VRING_DESC_ALIGN) {
		dev_error(m, qi, VIONIC_ERR_ALIGN, 0, q->desc_iova);
		return;
	}
	if (q->avail_iova % VRING_AVAIL_ALIGN) {
		dev_error(m, qi, VIONIC_ERR_ALIGN, 0, q->avail_iova);
		return;
	}
	if (q->used_iova % VRING_USED_ALIGN) {
		dev_error(m, qi, VIONIC_ERR_ALIGN, 0, q->used_iova);
		return;
	}
	q->enabled = 1;
	q->stopped = 0;
	q->mapped = 0;
	q->desc = NULL;
	q->avail = NULL;
	q->used = NULL;
	q->last_avail = q->avail_cache = q->pf_idx = q->start_avail;
	q->used_idx = q->published = q->start_used;
}

static void status_write(struct model *m, uint8_t v)
{
	if (v == 0) {
		model_reset_all(m);
		return;
	}
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(m->status & VIRTIO_STATUS_FEATURES_OK)) {
		if ((m->gf & ~m->offered) ||
		    !(m->gf & (1ULL << VIRTIO_F_VERSION_1)))
			v &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;   /* refused: reads back clear */
		else {
			m->features = m->gf;
			offload_negotiated(&m->off, m->features);
			if (m->features & (1ULL << VIRTIO_NET_F_MRG_RXBUF))
				m->rx_max_chains = VIONIC_RX_MAX_BUFFERS;
			if (m->features & (1ULL << VIRTIO_NET_F_HASH_REPORT))
				m->hdr_len = VIONIC_NET_HDR_HASH_LEN;
		}
	}
	/* DRIVER_OK needs accepted features: without FEATURES_OK it reads back
	 * clear and the data path stays off */
	if ((v & VIRTIO_STATUS_DRIVER_OK) && !(v & VIRTIO_STATUS_FEATURES_OK))
		v &= (uint8_t)~VIRTIO_STATUS_DRIVER_OK;
	v = (uint8_t)((v & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET) |
		      (m->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET));
	m->status = v;
}

static uint16_t valid_vector(const struct model *m, uint32_t v)
{
	return v < m->nvectors ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
}

static void common_field_write(struct model *m, uint32_t off, uint32_t v)
{
	struct vq *q = m->qsel < m->nq ? &m->q[m->qsel] : NULL;

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		m->dfselect = v;
		break;
	case VIRTIO_PCI_COMMON_GFSELECT:
		m->gfselect = v;
		break;
	case VIRTIO_PCI_COMMON_GF:
		if (m->gfselect < 2 && !(m->status & VIRTIO_STATUS_FEATURES_OK)) {
			unsigned sh = 32 * m->gfselect;
			m->gf = (m->gf & ~(0xffffffffULL << sh)) | ((uint64_t)v << sh);
		}
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		m->config_msix = valid_vector(m, v);
		break;
	case VIRTIO_PCI_COMMON_STATUS:
		status_write(m, (uint8_t)v);
		break;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		m->qsel = (uint16_t)v;
		break;
	case VIRTIO_PCI_COMMON_Q_SIZE:
		if (q && !q->enabled)
			q->size = (uint16_t)v;
		break;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		if (q)
			q->msix = valid_vector(m, v);
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (q && v == 1 && !q->enabled)
			queue_enable(m, m->qsel);
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI: {
		if (!q || q->enabled)
			break;
		uint64_t *a = off < VIRTIO_PCI_COMMON_Q_AVAILLO ? &q->desc_iova :
			      off < VIRTIO_PCI_COMMON_Q_USEDLO ? &q->avail_iova : &q->used_iova;
		if (off & 4)
			*a = (*a & 0xffffffffULL) | ((uint64_t)v << 32);
		else
			*a = (*a & ~0xffffffffULL) | v;
		break;
	}
	case VIRTIO_PCI_COMMON_Q_RESET:
		if (q && v == 1) {
			uint64_t p = q->packets, b = q->bytes;
			uint32_t d = q->drops, e = q->errors;
			queue_init(q);
			q->packets = p;
			q->bytes = b;
			q->drops = d;
			q->errors = e;
		}
		break;
	default:  /* read-only */
		break;
	}
}

/* Field layout of the common cfg: (offset, width). */
static const uint8_t k_common_fields[][2] = {
	{ 0x00, 4 }, { 0x04, 4 }, { 0x08, 4 }, { 0x0C, 4 }, { 0x10, 2 }, { 0x12, 2 },
	{ 0x14, 1 }, { 0x15, 1 }, { 0x16, 2 }, { 0x18, 2 }, { 0x1A, 2 }, { 0x1C, 2 },
	{ 0x1E, 2 }, { 0x20, 4 }, { 0x24, 4 }, { 0x28, 4 }, { 0x2C, 4 }, { 0x30, 4 },
	{ 0x34, 4 }, { 0x38, 2 }, { 0x3A, 2 },
};

static void common_write(struct model *m, uint32_t off, unsigned size, uint32_t val)
{
	uint8_t bytes[4];
	put32(bytes, val);
	for (size_t i = 0; i < sizeof(k_common_fields) / sizeof(k_common_fields[0]); i++) {
		uint32_t fo = k_common_fields[i][0], fw = k_common_fields[i][1];
		if (fo + fw <= off || fo >= off + size)
			continue;
		/* merge the written bytes into the field's current value */
		uint8_t snap[VIONIC_COMMON_CFG_SIZE];
		common_snapshot(m, snap);
		for (uint32_t b = 0; b < fw; b++)
			if (fo + b >= off && fo + b < off + size)
				snap[fo + b] = bytes[fo + b - off];
		uint32_t v = 0;
		memcpy(&v, snap + fo, fw);
		common_field_write(m, fo, v);
	}
}

/* ---- vendor block ------------------------------------------------------------------ */
static uint64_t cycles(const struct model *m)
{
	return (vsrv_now_ns() - m->t0) / 4;   /* nominal 250 MHz */
}

static uint32_t vendor_read(struct model *m, uint32_t reg)
{
	switch (reg) {
	case VIONIC_REG_ID:
		return VIONIC_ID_MAGIC;
	case VIONIC_REG_VERSION:
		return VIONIC_REGMAP_VERSION;
	case VIONIC_REG_IMPL:
		return VIONIC_IMPL_MODEL;
	case VIONIC_REG_MAX_QUEUE_PAIRS:
		return m->pairs;
	case VIONIC_REG_CYCLES_LO: {
		uint64_t c = cycles(m);
		m->latch_cycles_hi = (uint32_t)(c >> 32);
		return (uint32_t)c;
	}
	case VIONIC_REG_CYCLES_HI:
		return m->latch_cycles_hi;
	case VIONIC_REG_ERR_CODE:
		return m->err_code;
	case VIONIC_REG_ERR_QUEUE:
		return m->err_queue;
	case VIONIC_REG_ERR_DESC:
		return m->err_desc;
	case VIONIC_REG_ERR_ADDR_LO:
		return (uint32_t)m->err_addr;
	case VIONIC_REG_ERR_ADDR_HI:
		return (uint32_t)(m->err_addr >> 32);
	case VIONIC_REG_MTU:
		return m->conf.mtu;
	case VIONIC_REG_MAX_MTU:
		return VIONIC_MAX_MTU;
	case VIONIC_REG_SUSPEND:   /* one thread: a suspend is done when written */
		return m->suspended ? VIONIC_SUSPEND_REQ | VIONIC_SUSPEND_DONE : 0;
	}
	if (reg >= VIONIC_REG_OFFLOAD && reg < VIONIC_OFFLOAD_END)
		return offload_read(&m->off, reg);
	if (reg >= VIONIC_REG_VQ_STATE(0) && reg < (uint32_t)VIONIC_REG_VQ_STATE(m->nq) &&
	    (reg - VIONIC_REG_VQ_STATE(0)) % VIONIC_VQ_STATE_STRIDE == 0) {
		const struct vq *q = &m->q[(reg - VIONIC_REG_VQ_STATE(0)) / VIONIC_VQ_STATE_STRIDE];
		uint16_t avail = q->enabled ? q->last_avail : q->start_avail;
		uint16_t used = q->enabled ? q->used_idx : q->start_used;
		return (uint32_t)avail << VIONIC_VQ_STATE_AVAIL_SHIFT |
		       (uint32_t)used << VIONIC_VQ_STATE_USED_SHIFT;
	}
	if (reg >= VIONIC_REG_QSTATS(0) && reg < (uint32_t)VIONIC_REG_QSTATS(m->nq)) {
		struct vq *q = &m->q[(reg - VIONIC_REG_QSTATS(0)) / 0x20];
		switch ((reg - VIONIC_REG_QSTATS(0)) % 0x20) {
		case VIONIC_QSTAT_PACKETS_LO:
			q->latch_packets_hi = (uint32_t)(q->packets >> 32);
			return (uint32_t)q->packets;
		case VIONIC_QSTAT_PACKETS_HI:
			return q->latch_packets_hi;
		case VIONIC_QSTAT_BYTES_LO:
			q->latch_bytes_hi = (uint32_t)(q->bytes >> 32);
			return (uint32_t)q->bytes;
		case VIONIC_QSTAT_BYTES_HI:
			return q->latch_bytes_hi;
		case VIONIC_QSTAT_DROPS:
			return q->drops;
		case VIONIC_QSTAT_ERRORS:
			return q->errors;
		}
	}
	return 0;
}

/* SUSPEND, MTU and VQ_STATE are the vendor block's writable registers. */
static void vendor_write(struct model *m, uint32_t reg, uint32_t v)
{
	if (reg == VIONIC_REG_MTU) {   /* before a driver starts, within the range */
		if (m->status == 0 && v >= VIONIC_MIN_MTU && v <= VIONIC_MAX_MTU) {
			m->conf.mtu = (uint16_t)v;
			m->max_frame = v + ETH_HLEN;
		}
		return;
	}
	if (reg == VIONIC_REG_SUSPEND) {
		int on = (v & VIONIC_SUSPEND_REQ) != 0;
		if (on && !m->suspended && (m->status & VIRTIO_STATUS_DRIVER_OK)) {
			/* what completed is returned before the state is read */
			for (int i = 0; i < m->nq; i++)
				if (m->q[i].enabled && !m->q[i].stopped && m->q[i].mapped)
					publish(m, i);
		}
		m->suspended = (uint8_t)on;
		return;
	}
	if (reg >= VIONIC_REG_VQ_STATE(0) && reg < (uint32_t)VIONIC_REG_VQ_STATE(m->nq) &&
	    (reg - VIONIC_REG_VQ_STATE(0)) % VIONIC_VQ_STATE_STRIDE == 0) {
		struct vq *q = &m->q[(reg - VIONIC_REG_VQ_STATE(0)) / VIONIC_VQ_STATE_STRIDE];
		if (q->enabled)
			return;   /* only a disabled queue takes a new state */
		q->start_avail = (uint16_t)(v >> VIONIC_VQ_STATE_AVAIL_SHIFT);
		q->start_used = (uint16_t)(v >> VIONIC_VQ_STATE_USED_SHIFT);
	}
}

/* ---- BAR0 ---------------------------------------------------------------------------- */
static uint32_t m_bar_read(void *core, uint32_t off, unsigned size)
{
	struct model *m = core;
	uint8_t b[VIONIC_COMMON_CFG_SIZE];
	uint32_t v = 0;

	if (size != 1 && size != 2 && size != 4)
		return 0;
	if (off < VIONIC_COMMON_CFG + VIONIC_COMMON_CFG_SIZE) {
		common_snapshot(m, b);
		memcpy(&v, b + off, size);
		return v;
	}
	if (off == VIONIC_ISR) {   /* read-to-clear */
		v = m->isr;
		m->isr = 0;
		return v;
	}
	if (off >= VIONIC_DEVICE_CFG && off < VIONIC_DEVICE_CFG + VIONIC_DEVICE_CFG_SIZE) {
		memset(b, 0, sizeof(b));
		memcpy(b + VIRTIO_NET_CFG_MAC, m->conf.mac, 6);
		put16(b + VIRTIO_NET_CFG_STATUS, m->link_up ? VIRTIO_NET_S_LINK_UP : 0);
		put16(b + VIRTIO_NET_CFG_MAX_VQ_PAIRS, m->pairs);
		if (m->offered & VIONIC_RSS_FEATURES) {
			b[VIRTIO_NET_CFG_RSS_KEY_SIZE] = VIONIC_RSS_KEY_SIZE;
			put16(b + VIRTIO_NET_CFG_RSS_TABLE_LEN, VIONIC_RSS_TABLE_LEN);
			put32(b + VIRTIO_NET_CFG_HASH_TYPES, VIONIC_RSS_HASH_TYPES);
		}
		put16(b + VIRTIO_NET_CFG_MTU, m->conf.mtu);
		put32(b + VIRTIO_NET_CFG_SPEED, VIONIC_DEFAULT_SPEED);
		b[VIRTIO_NET_CFG_DUPLEX] = VIRTIO_NET_DUPLEX_FULL;
		memcpy(&v, b + (off - VIONIC_DEVICE_CFG), size);
		return v;
	}
	if (off >= VIONIC_VENDOR && off < VIONIC_VENDOR + 0x1000) {
		v = vendor_read(m, off & ~3u);
		v >>= 8 * (off & 3);
		return size == 4 ? v : v & ((1u << (8 * size)) - 1);
	}
	return 0;
}

static void m_bar_write(void *core, uint32_t off, unsigned size, uint32_t val)
{
	struct model *m = core;
	if (size != 1 && size != 2 && size != 4)
		return;
	if (off < VIONIC_COMMON_CFG + VIONIC_COMMON_CFG_SIZE)
		common_write(m, off, size, val);
	else if (off >= VIONIC_VENDOR && size == 4)
		vendor_write(m, off, val);
	/* ISR, device cfg and the rest of the vendor block are read-only */
}

/* ---- core ops -------------------------------------------------------------------------- */
static void m_reset(void *core)
{
	model_reset_all(core);
}

static int m_create(struct vsrv_dev *dev, const struct vsrv_conf *conf, void **core,
		    char *err, size_t errlen)
{
	struct model *m = calloc(1, sizeof(*m));
	if (!m) {
		if (errlen)
			strncpy(err, "out of memory", errlen - 1);
		return -1;
	}
	m->dev = dev;
	m->dma = vsrv_dev_dma(dev);
	m->conf = *conf;
	m->max_frame = (uint32_t)conf->mtu + ETH_HLEN;
	m->pairs = conf->queue_pairs ? conf->queue_pairs : 1;
	m->nq = m->pairs > 1 ? 2 * m->pairs + 1 : 2;
	m->nvectors = VIONIC_MSIX_VECTORS(m->pairs);
	m->offered = VIONIC_DEVICE_FEATURES |
		     (m->pairs > 1 ? VIONIC_MQ_FEATURES | VIONIC_RSS_FEATURES : 0);
	m->t0 = vsrv_now_ns();
	m->link_up = 1;
	model_reset_all(m);
	*core = m;
	return 0;
}

/* Link change (§5.1.4: status LINK_UP): a new config generation and the
 * config interrupt. */
static void m_link(void *core, int up)
{
	struct model *m = core;
	if (m->link_up == !!up)
		return;
	m->link_up = !!up;
	m->config_generation++;
	config_interrupt(m);
}

static void m_destroy(void *core)
{
	free(core);
}

const struct vsrv_core_ops vmodel_core_ops = {
	.name = "model",
	.doorbells = 2,   /* one queue pair; the runtime polls 2N + 1 for N */
	.create = m_create,
	.destroy = m_destroy,
	.bar_read = m_bar_read,
	.bar_write = m_bar_write,
	.notify = m_notify,
	.reset = m_reset,
	.poll = m_poll,
	.rx_ready = m_rx_ready,
	.rx_frame = m_rx_frame,
	.link = m_link,
	.max_queue_pairs = VIONIC_MAX_QUEUE_PAIRS,
};
