/* SPDX-License-Identifier: MIT */
/*
 * libvionic: the vionic poll-mode driver. Public API for C applications and
 * for the Python package (which binds exactly this header through cffi, so
 * keep it to plain C declarations cffi's cdef can parse: no macros with
 * expressions, no inline functions, no includes of system headers other
 * than stdint/stddef).
 *
 * Model: one vionic_dev per device, opened from a URI, configured once,
 * started, then driven by rx_burst / tx_burst from one thread per queue (no
 * locks, no system calls on that path). Every function that can fail returns
 * a negative VIONIC_E* code; vionic_strerror() and vionic_last_error() say
 * what happened and what to do.
 */
#ifndef VIONIC_H
#define VIONIC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ------------------------------------------------------------ */
enum vionic_err {
	VIONIC_OK           = 0,
	VIONIC_EINVAL       = -1,  /* bad argument (message says which) */
	VIONIC_EURI         = -2,  /* URI not understood */
	VIONIC_ENODEV       = -3,  /* cannot connect / device gone */
	VIONIC_EPROTO       = -4,  /* protocol violation by the device */
	VIONIC_ENOMEM       = -5,  /* DMA memory or mbufs exhausted */
	VIONIC_EFEATURE     = -6,  /* device refused the features (FEATURES_OK) */
	VIONIC_ENEEDS_RESET = -7,  /* device set DEVICE_NEEDS_RESET */
	VIONIC_EQUEUE       = -8,  /* queue index out of range */
	VIONIC_ETOOBIG      = -9,  /* frame larger than MTU + 14 */
	VIONIC_ETOOSMALL    = -10, /* frame shorter than 14 bytes */
	VIONIC_ESTATE       = -11, /* call not valid in this state (e.g. burst before start) */
	VIONIC_ETIMEDOUT    = -12,
	VIONIC_ERING        = -13, /* ring size not a power of two or above the device maximum */
};

/* Static text for an error code. */
const char *vionic_strerror(int err);
/* Detailed message of the last error on this thread (what and what to do). */
const char *vionic_last_error(void);

/* ---- device ----------------------------------------------------------- */
typedef struct vionic_dev vionic_dev;

/* URI: "sim:/path/to/socket" (vfio-user device server) or "vfio:0000:01:00.0". */
int  vionic_open(const char *uri, vionic_dev **out);
/* Resets the device, unmaps DMA memory, closes the transport. NULL is fine. */
void vionic_close(vionic_dev *dev);

struct vionic_conf {
	/* 32-bit so that libvionic, which owns these rules, sees any value a
	 * caller passes and rejects it with a typed error (not a silent wrap). */
	uint32_t nb_queue_pairs;  /* 1 for now */
	uint32_t rx_ring_size;    /* power of two, <= device queue_size max; 0 = 256 */
	uint32_t tx_ring_size;    /* same; 0 = 256 */
	uint32_t nb_mbufs;        /* mempool size; 0 = enough for the rings * 2 + 1024 */
	uint32_t mbuf_size;       /* data room per mbuf incl. virtio header; 0 = 2048 */
	uint64_t features;        /* features to request; 0 = everything the PMD supports */
};

/* Bring-up per VIRTIO 1.2 §3.1.1 up to (not including) DRIVER_OK:
 * reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK (checked), queues set up
 * and enabled, mempool allocated, RX rings filled. */
int vionic_configure(vionic_dev *dev, const struct vionic_conf *conf);
/* Sets DRIVER_OK: the data path may run. */
int vionic_start(vionic_dev *dev);
/* Stops the data path: resets the device and frees every mbuf in flight back
 * to the mempool; vionic_configure may be called again. */
int vionic_stop(vionic_dev *dev);
/* Device reset (status <- 0, polled until it reads 0), then the same queue
 * configuration and vionic_start again: the way out of NEEDS_RESET. */
int vionic_reset(vionic_dev *dev);

/* RSS and hash report (DPDK's rte_eth_rss_conf and RETA in one call):
 * the Toeplitz hash over the hash types' fields (VIRTIO_NET_RSS_HASH_TYPE_*
 * of regs.h: IPv4/IPv6 addresses, with ports for TCP/UDP) with `key`, then
 * with reta_size > 0 (VIRTIO_NET_F_RSS) each frame goes to the queue pair
 * reta[hash % reta_size] (frames no type applies to: pair 0), and with
 * VIRTIO_NET_F_HASH_REPORT every mbuf carries its hash
 * (VIONIC_MBUF_F_RX_RSS_HASH). reta_size 0: hash report only, receive
 * steering stays the device's automatic one. Kept across vionic_reset;
 * vionic_configure drops it. */
struct vionic_rss_conf {
	uint32_t hash_types;     /* VIRTIO_NET_RSS_HASH_TYPE_* bits */
	uint8_t  key[40];        /* VIONIC_RSS_KEY_SIZE */
	uint8_t  key_len;        /* 1..40 */
	uint16_t reta_size;      /* 0, or a power of two up to 128 */
	uint16_t reta[128];      /* queue pair of each entry, below nb_queue_pairs */
};
/* Sends the configuration on the control queue (started device). */
int vionic_rss_configure(vionic_dev *dev, const struct vionic_rss_conf *conf);

struct vionic_info {
	uint8_t  mac[6];
	uint16_t mtu;
	uint16_t max_queue_pairs;
	uint16_t max_ring_size;    /* queue_size as the device reports it */
	uint16_t link_up;
	uint32_t impl;             /* VIONIC_REG_IMPL (VIONIC_IMPL_*; vionic_impl_name) */
	uint32_t regmap_version;
	uint64_t device_features;
	uint64_t driver_features;  /* negotiated (0 before configure) */
	uint16_t rx_ring_size;     /* configured (0 before configure) */
	uint16_t tx_ring_size;
	uint16_t hdr_len;          /* virtio header bytes in each buffer (12; 20 with HASH_REPORT) */
	uint16_t mbuf_size;
	uint32_t nb_mbufs;
};
int vionic_info_get(vionic_dev *dev, struct vionic_info *info);

/* ---- mbufs -------------------------------------------------------------- */
/* A buffer in DMA memory. The virtio_net_hdr lives in the headroom just
 * before `data`; applications see only the Ethernet frame. A frame larger
 * than one mbuf is a chain of segments (DPDK's multi-segment mbufs):
 * rx_burst returns chains when VIRTIO_NET_F_MRG_RXBUF spread a frame over
 * several RX buffers, and tx_burst sends a chain as one descriptor chain. */
struct vionic_mbuf {
	uint8_t  *data;      /* this segment's bytes */
	uint16_t len;        /* bytes in this segment (DPDK data_len) */
	uint16_t l2_len;     /* TX checksum offload: Ethernet (+ VLAN) header bytes */
	uint16_t l3_len;     /* ... and IP header bytes: the L4 header is at l2 + l3 */
	uint16_t nb_segs;    /* first segment: segments in the chain (1 when allocated) */
	uint32_t ol_flags;   /* VIONIC_MBUF_F_*: 0 when allocated */
	uint32_t pkt_len;    /* first segment: frame bytes of the chain, as rx_burst and
				vionic_mbuf_append set it (tx_burst adds up the lens) */
	struct vionic_mbuf *next;   /* next segment, NULL in the last */
	uint32_t idx;        /* index in the mempool (private) */
	uint32_t hash;       /* RX with VIONIC_MBUF_F_RX_RSS_HASH: the device's RSS hash */
	uint16_t hash_type;  /* ... and what it hashed (VIRTIO_NET_HASH_REPORT_*) */
};

/* Offload flags (DPDK's RTE_MBUF_F_*). TX: the device completes the TCP or
 * UDP checksum of the frame; l2_len and l3_len say where the L4 header is,
 * and its checksum field holds the pseudo-header sum (vionic_tx_csum_prepare
 * sets all three). Needs VIRTIO_NET_F_CSUM (vionic_tx_prepare checks). */
#define VIONIC_MBUF_F_TX_TCP_CKSUM     (1u << 0)
#define VIONIC_MBUF_F_TX_UDP_CKSUM     (1u << 1)
#define VIONIC_MBUF_F_TX_L4_MASK       (VIONIC_MBUF_F_TX_TCP_CKSUM | VIONIC_MBUF_F_TX_UDP_CKSUM)
/* TX: this thread has just written the frame's first cache line (its
 * headers at data). tx_burst then moves that line to the shared cache
 * (CLDEMOTE) as it posts the frame, so that the device reads it from there
 * instead of snooping this core, and the next write to it does not snoop
 * the device (txonly 64 B: 29 -> 46 Mpps here). Leave it off for a frame
 * sent on as received (io forwarding): there it only costs. A hint: no
 * data changes; a CPU without CLDEMOTE, or VIONIC_CLDEMOTE=0 in the
 * environment, skips it. */
#define VIONIC_MBUF_F_TX_HANDOFF       (1u << 2)
/* RX: the device checked the frame's TCP/UDP checksum and it is right
 * (VIRTIO_NET_HDR_F_DATA_VALID, with VIRTIO_NET_F_GUEST_CSUM). Without it
 * the checksum is unknown (not checked, or wrong). */
#define VIONIC_MBUF_F_RX_L4_CKSUM_GOOD (1u << 8)
/* RX: hash and hash_type hold the device's RSS hash of the frame
 * (VIRTIO_NET_F_HASH_REPORT, after vionic_rss_configure set hash types;
 * DPDK's RTE_MBUF_F_RX_RSS_HASH). */
#define VIONIC_MBUF_F_RX_RSS_HASH      (1u << 9)

struct vionic_mbuf *vionic_mbuf_alloc(vionic_dev *dev);
/* Allocates n or nothing; returns 0 or VIONIC_ENOMEM. With several queue
 * pairs each has a pool of its own, used by the thread that polls that pair
 * (no locks): vionic_mbuf_alloc and _alloc_bulk take from queue pair 0's,
 * _alloc_bulk_qp from qp's. An mbuf may be freed by any thread: one that
 * does not poll its pair hands it back to that pair's pool. */
int  vionic_mbuf_alloc_bulk(vionic_dev *dev, struct vionic_mbuf **m, unsigned n);
int  vionic_mbuf_alloc_bulk_qp(vionic_dev *dev, uint16_t qp, struct vionic_mbuf **m, unsigned n);
/* Free whole chains (every segment). */
void vionic_mbuf_free(vionic_dev *dev, struct vionic_mbuf *m);
void vionic_mbuf_free_bulk(vionic_dev *dev, struct vionic_mbuf **m, unsigned n);
/* Appends len bytes to the chain m: the last segment's room first, then new
 * segments from the mempool; pkt_len and nb_segs follow. 0, or
 * VIONIC_ENOMEM with the chain as it was. */
int vionic_mbuf_append(vionic_dev *dev, struct vionic_mbuf *m, const void *src, uint32_t len);
/* Copies the frame of chain m into dst (cap bytes); returns its length, or
 * VIONIC_ETOOBIG (nothing copied) when it is longer than cap. */
int vionic_mbuf_read(const struct vionic_mbuf *m, void *dst, uint32_t cap);
/* Free mbufs in the mempool now (== nb_mbufs minus ring fill minus in use);
 * takes back the TX buffers the device has completed first, so it equals
 * nb_mbufs - vionic_mempool_on_rings() once nothing is in flight. */
uint32_t vionic_mempool_avail(vionic_dev *dev);
/* Mbufs the driver holds on RX rings, posted but not yet received. */
uint32_t vionic_mempool_on_rings(vionic_dev *dev);
/* Largest frame one mbuf holds (mbuf_size - header). */
uint16_t vionic_mbuf_room(vionic_dev *dev);
/* Largest frame this configuration receives: MTU + 14, or the mbuf room if
 * that is smaller and VIRTIO_NET_F_MRG_RXBUF was not negotiated. Sending
 * takes MTU + 14 always (larger frames go as chains). */
uint16_t vionic_rx_max_frame(vionic_dev *dev);

/* ---- data path (DPDK semantics) ----------------------------------------- */
/* Receive up to n frames from RX queue pair `qp` (virtqueue 2*qp); returns
 * the count. Caller owns and frees the mbufs. The ring is refilled in bulk
 * at the start of the call, with the mbufs freed since the previous one (so
 * each descriptor gets back the buffer it had and the device's cached ring
 * lines stay valid): the slots of the frames returned are refilled on the
 * next call (or by rx_wait / rx_copy, which keep the ring full). */
uint16_t vionic_rx_burst(vionic_dev *dev, uint16_t qp, struct vionic_mbuf **pkts, uint16_t n);
/* Transmit up to n frames on TX queue pair `qp` (virtqueue 2*qp+1); one
 * doorbell per call; reclaims completed buffers. Returns how many the ring
 * took: the driver owns those, the caller still owns the rest. Frames above
 * MTU+14 are handed to the device too (the device drops and counts them). */
uint16_t vionic_tx_burst(vionic_dev *dev, uint16_t qp, struct vionic_mbuf **pkts, uint16_t n);

/* For TX checksum offload of a TCP or UDP frame over IPv4/IPv6 (after at
 * most one VLAN tag): sets l2_len, l3_len and the TCP or UDP flag, and
 * writes the pseudo-header sum into the L4 checksum field (as DPDK's
 * rte_net_intel_cksum_prepare). VIONIC_EINVAL for any other frame. */
int vionic_tx_csum_prepare(struct vionic_mbuf *m);
/* DPDK's tx_prepare: checks what the frames ask of the device (offloads
 * negotiated, checksum field inside the frame). Returns how many leading
 * frames may go to vionic_tx_burst; below n, the first one that may not has
 * its reason in vionic_last_error(). */
uint16_t vionic_tx_prepare(vionic_dev *dev, uint16_t qp, struct vionic_mbuf **pkts, uint16_t n);

/* Copying variants for language bindings: one call per batch, no per-frame
 * crossing. Frame i is buf[i*stride .. i*stride+len[i]). tx returns how many
 * were queued (or a negative error for bad arguments, with nothing queued);
 * rx returns how many were received. ol_flags (NULL: none) are per frame:
 * tx takes VIONIC_MBUF_F_TX_TCP_CKSUM or _UDP_CKSUM as "complete this
 * frame's L4 checksum" (libvionic finds the headers and seeds the field,
 * vionic_tx_csum_prepare); rx gives each frame's VIONIC_MBUF_F_RX_* flags,
 * and (each NULL: not wanted) its mbuf hash and hash_type. */
int vionic_tx_copy(vionic_dev *dev, uint16_t qp, const uint8_t *buf, size_t stride,
		   const uint16_t *len, const uint32_t *ol_flags, unsigned n);
int vionic_rx_copy(vionic_dev *dev, uint16_t qp, uint8_t *buf, size_t stride,
		   uint16_t *len, uint32_t *ol_flags, uint32_t *hash, uint16_t *hash_type,
		   unsigned n);

/* Blocks until RX queue pair `qp` has a frame, the device needs reset or
 * goes away, or timeout_ms passes (-1 forever). Arms the queue's MSI-X
 * eventfd only while waiting. Returns 1 ready, 0 timeout, or an error. */
int vionic_rx_wait(vionic_dev *dev, uint16_t qp, int timeout_ms);
/* Reclaims completed TX buffers; returns how many descriptors are free. */
int vionic_tx_reclaim(vionic_dev *dev, uint16_t qp);

/* Checks, with system calls, that the device is reachable and healthy:
 * returns 0, VIONIC_ENODEV (server gone) or VIONIC_ENEEDS_RESET. Call it
 * where a data-path loop makes no progress. */
int vionic_check(vionic_dev *dev);

/* ---- exception path: the NIC's host side as a Linux interface ------------ */
typedef struct vionic_netdev vionic_netdev;
struct vionic_netdev_stats {
	uint64_t to_nic;          /* frames read from the TAP and queued for TX */
	uint64_t to_tap;          /* frames received and written to the TAP */
	uint64_t tap_oversize;    /* TAP frames above MTU + 14 (or the mbuf): dropped */
	uint64_t tap_write_drops; /* received frames the TAP did not take */
	uint64_t resets;          /* device resets (asked for, or after NEEDS_RESET) */
};
/* Creates TAP `ifname` (or attaches to it) in network namespace `netns`
 * (a name under /run/netns; NULL: the caller's), MTU = the device's, up,
 * its carrier following the NIC's link, and starts a thread that forwards
 * frames both ways between it and queue pair 0 in bursts. The device must
 * be started; until vionic_netdev_stop the thread owns its data path. */
int  vionic_netdev_start(vionic_dev *dev, const char *ifname, const char *netns,
			 vionic_netdev **out);
/* Stops the thread and closes the TAP (which removes it, unless it existed
 * before); every mbuf is back with the device. `final` (may be NULL) gets
 * the counters as the thread left them. NULL nd is fine. */
void vionic_netdev_stop(vionic_netdev *nd, struct vionic_netdev_stats *final);
/* Resets the device from the forwarding thread (as vionic_reset), which then
 * goes on forwarding. */
int  vionic_netdev_reset(vionic_netdev *nd);
int  vionic_netdev_stats_get(vionic_netdev *nd, struct vionic_netdev_stats *st);

/* ---- vDPA: a foreign driver's virtqueues on the device ------------------ */
/* For a vhost-user backend (vionic vdpa): a frontend's memory, rings and
 * eventfds go to the device as they are, and libvionic drives none of the
 * data path. Use on an opened device that is not configured; until
 * vionic_vdpa_reset the device belongs to the frontend (configure, start and
 * the bursts are refused). */
struct vionic_vdpa_vq {
	uint64_t desc, avail, used;  /* ring IOVAs */
	uint16_t size;               /* 0: the queue stays disabled */
	uint16_t avail_idx;          /* where the device starts (VQ_STATE) */
	uint16_t used_idx;
	uint16_t vector;             /* MSI-X vector, 0xFFFF for none */
};
/* Adds [iova, iova+size) backed by fd at fd_offset to the device's DMA map. */
int vionic_vdpa_dma_map(vionic_dev *dev, int fd, uint64_t fd_offset, uint64_t iova,
			uint64_t size);
int vionic_vdpa_dma_unmap(vionic_dev *dev, uint64_t iova, uint64_t size);
/* MSI-X vectors 0..n-1 signal efds[i] (the caller's, not closed here); n = 0
 * disconnects them all. */
int vionic_vdpa_set_irqs(vionic_dev *dev, const int *efds, unsigned n);
/* Device reset, features negotiated as `features` (only what the device
 * offers, VERSION_1 included), config vector, queues 0..nvq-1 programmed
 * from vqs, DRIVER_OK. The device then runs the frontend's rings. */
int vionic_vdpa_start(vionic_dev *dev, uint64_t features, uint16_t config_vector,
		      const struct vionic_vdpa_vq *vqs, unsigned nvq);
/* SUSPEND: the device stops taking work and returns what it started; waits
 * (at most timeout_ms) until it says so. VQ_STATE is then exact. */
int vionic_vdpa_suspend(vionic_dev *dev, int timeout_ms);
/* VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET(n) on the device, for a frontend that
 * answers its driver's control commands itself (QEMU's and DPDK's
 * vhost-user frontends do, and give no control ring): vionic_vdpa_start
 * with MQ and CTRL_VQ and no ring 2 * max_queue_pairs keeps a control ring
 * of libvionic's on the device for it. Waits for the device's answer. */
int vionic_vdpa_set_queue_pairs(vionic_dev *dev, uint16_t n);
int vionic_vdpa_resume(vionic_dev *dev);
/* VQ_STATE of virtqueue vq: the next avail entry the device has not
 * completed and the next used index it writes. */
int vionic_vdpa_vq_state(vionic_dev *dev, uint16_t vq, uint16_t *avail_idx, uint16_t *used_idx);
/* Doorbell of virtqueue vq (started by vionic_vdpa_start) saying the driver
 * made avail entries up to next_avail; no system call. */
int vionic_vdpa_kick(vionic_dev *dev, uint16_t vq, uint16_t next_avail);
/* device_status as the device reports it (NEEDS_RESET among its bits). */
int vionic_vdpa_status(vionic_dev *dev, uint8_t *status);
/* Device reset and vectors disconnected: the device is libvionic's again
 * (vionic_configure works). The caller unmaps what it mapped. */
int vionic_vdpa_reset(vionic_dev *dev);

/* ---- counters ----------------------------------------------------------- */
struct vionic_queue_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t drops;
	uint64_t errors;
};
struct vionic_stats {
	/* driver side, per queue pair 0 */
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t rx_nombuf;         /* refills that found no mbuf */
	uint64_t tx_ring_full;      /* frames tx_burst could not take */
	uint64_t doorbells;
	uint64_t rx_errors;         /* used entries dropped by the driver (bad id or length) */
	/* device side (vendor block), for virtqueues 0 (rx) and 1 (tx) */
	struct vionic_queue_stats dev_rx, dev_tx;
	uint64_t dev_cycles;
	uint32_t err_code, err_queue, err_desc;
	uint64_t err_addr;
	uint8_t  device_status;
};
int vionic_stats_get(vionic_dev *dev, struct vionic_stats *st);

/* ---- register access and fault injection (tests, tools) ----------------- */
/* BAR0 access through the transport (size 1, 2 or 4). */
int vionic_reg_read(vionic_dev *dev, uint32_t off, unsigned size, uint32_t *val);
int vionic_reg_write(vionic_dev *dev, uint32_t off, unsigned size, uint32_t val);
/* PCI configuration space access (size 1, 2 or 4). */
int vionic_cfg_read(vionic_dev *dev, uint32_t off, unsigned size, uint32_t *val);

/* Raw descriptor and avail-ring writes on virtqueue `vq`, bypassing the
 * driver's bookkeeping, for testing how the device handles bad input.
 * debug_post makes `head` (any value) an avail entry and rings the doorbell:
 * on TX it is appended while the ring has room; on RX, where buffers are
 * pending (the ring is kept full, so an extra entry would itself be an index
 * error), it is written over the entry the device takes next, so the next
 * frame that arrives uses it (appended only if nothing is pending).
 * The device is expected to end in NEEDS_RESET; recover with vionic_reset. */
int vionic_debug_write_desc(vionic_dev *dev, uint16_t vq, uint16_t slot,
			    uint64_t addr, uint32_t len, uint16_t flags, uint16_t next);
int vionic_debug_post(vionic_dev *dev, uint16_t vq, uint16_t head);
/* The DMA window: IOVA range the device has mapped, for building in-map and
 * out-of-map addresses, and a host pointer to its first byte. The last
 * 16 KiB of the window are never used by the driver (scratch for tests). */
int vionic_debug_dma_window(vionic_dev *dev, uint64_t *iova, uint64_t *size, void **host);

/* ---- benchmark (testpmd-like), used by examples/vionic-bench and Python --- */
enum vionic_bench_mode {
	VIONIC_BENCH_TXONLY = 0,  /* transmit only; the device's wire is `sink` */
	VIONIC_BENCH_RXONLY = 1,  /* receive only; the device's wire is `gen:SIZE` */
	VIONIC_BENCH_LOOP   = 2,  /* transmit and receive; wire `loopback` */
};
struct vionic_bench_result {
	uint64_t packets;         /* frames sent (txonly), received (rxonly, loop) */
	uint64_t bytes;
	double   seconds;
	double   mpps;
	double   gbps;            /* frame bytes only */
	double   cycles_per_packet; /* TSC cycles of the window / packets: the
	                            * bottleneck core's cost, as for DPDK */
	double   busy_cycles_per_packet; /* cycles of driver iterations that moved
	                                  * packets / packets: the driver's own share */
	double   tsc_hz;
	uint64_t errors;          /* loop: frames that came back different; with
	                           * VIONIC_BENCH_CSUM, received frames not marked
	                           * L4_CKSUM_GOOD */
};
/* Offloads the bench asks of the device (flags). CSUM: every frame sent
 * asks for its UDP checksum (TX csum); every frame received must be checked
 * good (RX csum; rxonly's wire is then gen:SIZE:udp). */
#define VIONIC_BENCH_CSUM 1u
/* "txonly", "rxonly", "loop" for a vionic_bench_mode, NULL for another number. */
const char *vionic_bench_mode_name(int mode);
/* The device server wire a mode needs: "sink", "gen:SIZE" (SIZE = the frame
 * size; "gen:SIZE:udp" with VIONIC_BENCH_CSUM), "loopback"; NULL for
 * another number. */
const char *vionic_bench_wire(int mode, unsigned flags);
/* The features a bench run with `flags` negotiates (vionic_conf.features):
 * all that the device offers and libvionic supports, but the checksum
 * offloads only with VIONIC_BENCH_CSUM. Without it no side does checksum
 * work, as with testpmd, whose virtio PMD negotiates them only for a port
 * configured with checksum offloads. 0 for a NULL device. */
uint64_t vionic_bench_features(const vionic_dev *dev, unsigned flags);
/* Runs for `seconds` on the calling thread (pin it first if you care);
 * flags: VIONIC_BENCH_* (0: no offload). */
int vionic_bench_run(vionic_dev *dev, int mode, uint16_t size, double seconds,
		     uint16_t burst, unsigned flags, struct vionic_bench_result *res);

#ifdef __cplusplus
}
#endif
#endif /* VIONIC_H */
