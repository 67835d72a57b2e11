/* SPDX-License-Identifier: MIT */
/*
 * vionic device-server runtime: the interfaces between the runtime
 * (sim/server), a device core (the model in sim/model, the Verilated RTL in
 * sim/verilator) and a wire back-end (sim/wire).
 *
 *   vfio-user client (PMD)
 *        |  UNIX socket: REGION_READ/WRITE, DMA_MAP, SET_IRQS ...
 *        |  shared memory: notify page (doorbells), DMA memory (memfds)
 *   runtime (sim/server) -- busy loop: doorbells -> core, wire rx -> core, core->poll
 *        |  struct vsrv_core_ops        struct vsrv_wire_ops
 *   device core                          wire (loopback, unix, tap, pcap, sink, gen)
 *
 * Threading: everything runs on the single server thread; no op is ever
 * called concurrently with another. Ops are never re-entered: a core may call
 * vsrv_wire_send() and vsrv_irq() from any of its ops, and the runtime never
 * calls back into the core from those.
 *
 * Usable from C++ (a Verilated core is C++).
 */
#ifndef VIONIC_VSRV_H
#define VIONIC_VSRV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- configuration from the command line ------------------------------ */
struct vsrv_conf {
	uint8_t  mac[6];
	uint16_t mtu;          /* frames up to mtu + 14 bytes on the wire */
	int      quiet;
	uint16_t queue_pairs;  /* 1..VIONIC_MAX_QUEUE_PAIRS */
};

/* The runtime's per-device context. Cores and wires only pass it back. */
struct vsrv_dev;

/* ---- DMA: IOVA -> host pointer (the device's IOMMU) -------------------- */
struct vsrv_dma_region {
	uint64_t iova;
	uint64_t size;
	uint8_t *host;
	uint32_t prot;         /* VSRV_DMA_READ | VSRV_DMA_WRITE */
};
#define VSRV_DMA_READ  1u
#define VSRV_DMA_WRITE 2u

struct vsrv_dma {
	struct vsrv_dma_region *r;     /* sorted by iova, non-overlapping */
	unsigned n, cap;
	const struct vsrv_dma_region *last;  /* last hit (hot-path cache) */
	/* Incremented on every map change: a core caching host pointers
	 * (e.g. ring addresses) re-translates when it changes. */
	uint32_t gen;
};

/* Slow path of vsrv_dma_ptr: binary search, updates the cache. */
void *vsrv_dma_lookup(struct vsrv_dma *d, uint64_t iova, uint64_t len, uint32_t prot);

/* Host pointer for [iova, iova + len) if the whole range lies in one mapped
 * region with the access rights `prot`; NULL otherwise (the core reports its
 * DMA error, VIONIC_ERR_DMA). len 0 is checked like len 1. The pointer stays
 * valid until the map generation changes. */
static inline void *vsrv_dma_ptr(struct vsrv_dma *d, uint64_t iova, uint64_t len, uint32_t prot)
{
	const struct vsrv_dma_region *r = d->last;
	if (r) {
		uint64_t off = iova - r->iova;
		if (off < r->size && len <= r->size - off && (r->prot & prot) == prot)
			return r->host + off;
	}
	return vsrv_dma_lookup(d, iova, len, prot);
}

/* ---- services the runtime gives a core ---------------------------------- */
struct vsrv_dma *vsrv_dev_dma(struct vsrv_dev *dev);
/* Convenience (not inline): vsrv_dma_ptr on the device's map. */
void *vsrv_dma(struct vsrv_dev *dev, uint64_t iova, uint64_t len, uint32_t prot);
/* Hands one Ethernet frame to the wire. `frame` may point into DMA memory:
 * the wire copies it before returning. Returns 0 if sent, -1 if the wire
 * lost it (no partner, full). Wire-side loss is not the device's: a core
 * counts the frame as transmitted either way, as the MAC of a board would. */
int  vsrv_wire_send(struct vsrv_dev *dev, const void *frame, uint32_t len);
/* Where the core may build the next frame it transmits, len bytes, in the
 * wire's own buffer, so that vsrv_wire_send() of that pointer moves nothing
 * (a TX stage that reads every byte writes the frame there as it goes); NULL
 * when the wire has no such place. Valid until the next vsrv_wire_send(). */
void *vsrv_wire_tx_slot(struct vsrv_dev *dev, uint32_t len);
/* Whether frames built in a tx_slot are best written around the caches
 * (VSRV_WIRE_TX_STREAM): nothing reads them soon. */
int vsrv_wire_tx_stream(const struct vsrv_dev *dev);
/* Raises MSI-X vector `vector` (writes its eventfd, if the client gave one;
 * otherwise nothing happens). */
void vsrv_irq(struct vsrv_dev *dev, uint16_t vector);
/* A wire's link went down (0) or came back (1): the core shows it in the
 * virtio-net status (LINK_UP) and raises its config interrupt. A link is up
 * until its wire says otherwise; wires may call this from any of their ops. */
void vsrv_wire_link(struct vsrv_dev *dev, int up);
/* Monotonic nanoseconds (cheap: vDSO). */
uint64_t vsrv_now_ns(void);
/* Diagnostic message on stderr (suppressed by --quiet). */
void vsrv_log(struct vsrv_dev *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- a device core ------------------------------------------------------ */
#define VSRV_BUSY (-11)   /* rx_frame: not now, offer the same frame again later */

/* Field order is part of the interface (C++ cores initialize it
 * positionally): add new fields at the end only. */
struct vsrv_core_ops {
	const char *name;              /* --core NAME */
	/* Doorbell words of the notify page the runtime polls (one per
	 * virtqueue, 0x3000 + 4*q) with one queue pair; 0 means 2. With
	 * conf.queue_pairs N > 1 the runtime polls 2N + 1 (the control queue). */
	uint16_t doorbells;
	/* Creates the core; `dev` is kept for the services above. Returns 0, or
	 * -1 with a message in err. */
	int  (*create)(struct vsrv_dev *dev, const struct vsrv_conf *conf,
		       void **core, char *err, size_t errlen);
	void (*destroy)(void *core);
	/* BAR0 register access, naturally aligned, size 1, 2 or 4, little
	 * endian value in the low bits. Never called for the notify page
	 * [0x3000, 0x4000) nor for the MSI-X table/PBA [0x8000, 0xA000): the
	 * runtime serves those. */
	uint32_t (*bar_read)(void *core, uint32_t off, unsigned size);
	void (*bar_write)(void *core, uint32_t off, unsigned size, uint32_t val);
	/* A doorbell: the 32-bit value written at 0x3000 + 4*slot (with
	 * NOTIFICATION_DATA: vq | next_avail << 16). */
	void (*notify)(void *core, uint16_t slot, uint32_t value);
	/* Device reset (vfio-user DEVICE_RESET, a new client). A write of 0 to
	 * device_status arrives as a bar_write; the core resets itself. */
	void (*reset)(void *core);
	/* Called on every iteration of the server loop: do some work (process
	 * queues, step the clock). Returns nonzero if it did anything or has
	 * work pending (keeps the loop from backing off into idle sleeps). */
	int  (*poll)(void *core);
	/* Paced wires (gen) ask before producing a frame: nonzero if the core
	 * can take a frame now without dropping it for lack of RX buffers. */
	int  (*rx_ready)(void *core);
	/* A frame from the wire. Returns 0 when consumed (delivered, or dropped
	 * and counted), VSRV_BUSY to be offered the same frame later. The
	 * pointer is valid only during the call. */
	int  (*rx_frame)(void *core, const uint8_t *frame, uint32_t len);
	/* The wire's link state changed (vsrv_wire_link); also called once
	 * after create when the link is down already. */
	void (*link)(void *core, int up);
	/* Queue pairs the core can have (--queue-pairs); 0 means 1. */
	uint16_t max_queue_pairs;
};

/* Registers a core: each device-server program registers the core(s) it is
 * built with before it calls vionic_server_main(); the first one registered
 * is the default of --core. 0, or -1 if the registry is full. */
int vsrv_register_core(const struct vsrv_core_ops *ops);

/* ---- pcap files (sim/wire/pcap.c: the pcap wire and the --pcap capture) -- */
/* The file with its header written (LINKTYPE_ETHERNET), or NULL with a
 * message. A write is one frame, flushed so a reader sees it at once. */
FILE *vsrv_pcap_open(const char *path, char *err, size_t errlen);
int   vsrv_pcap_write(FILE *f, const void *frame, uint32_t len);

/* ---- a wire -------------------------------------------------------------- */
struct vsrv_wire;
#define VSRV_WIRE_PACED 1u   /* produce frames only when core rx_ready() */
#define VSRV_WIRE_TX_STREAM 2u   /* nothing reads a tx_slot soon: write it around the caches */

/* Add new fields at the end only. */
struct vsrv_wire_ops {
	const char *name;              /* --wire NAME[:ARG] */
	unsigned flags;
	/* arg: text after "NAME:" (NULL if the wire takes none), already
	 * accepted by check. May create resources (sockets, files). 0, or -1
	 * with err. */
	int  (*open)(struct vsrv_wire *w, const char *arg, const struct vsrv_conf *conf,
		     char *err, size_t errlen);
	void (*close)(struct vsrv_wire *w);
	/* A frame the NIC transmits: copy it, return 0 sent / -1 dropped. */
	int  (*send)(struct vsrv_wire *w, const void *frame, uint32_t len);
	/* Peek the next received frame: 1 and (frame, len) valid until rx_done,
	 * or 0 if none. NULL if the wire never receives. */
	int  (*rx)(struct vsrv_wire *w, const uint8_t **frame, uint32_t *len);
	void (*rx_done)(struct vsrv_wire *w);
	/* Every ~100 us and on idle wake-ups: accept partners, flush files. */
	void (*housekeep)(struct vsrv_wire *w);
	/* File descriptor to wait on while the server idles, or -1. */
	int  (*wait_fd)(struct vsrv_wire *w);
	/* Device reset: forget frames in flight inside the wire (optional). */
	void (*reset)(struct vsrv_wire *w);
	/* What ARG is ("PATH", "SIZE"); NULL: the wire takes no argument. The
	 * runtime rejects a spec whose argument is missing or superfluous. */
	const char *arg_name;
	/* Validates a present argument without creating anything (optional):
	 * 0, or -1 with a message in err that says what to give. */
	int  (*check)(const char *arg, const struct vsrv_conf *conf, char *err, size_t errlen);
	/* Where the next frame sent, len bytes, may be built (optional): a
	 * pointer into the wire's own buffer, 32-byte aligned, or NULL; send()
	 * given exactly that pointer takes the frame without copying it. */
	void *(*tx_slot)(struct vsrv_wire *w, uint32_t len);
};

struct vsrv_wire {
	const struct vsrv_wire_ops *ops;
	void *priv;
	struct vsrv_dev *dev;
};

#ifdef __cplusplus
}
#endif
#endif /* VIONIC_VSRV_H */
