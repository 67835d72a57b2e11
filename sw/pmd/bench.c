/* SPDX-License-Identifier: MIT */
/*
 * testpmd-like measurement loops: txonly, rxonly and loop (send, receive,
 * check the content: LOOP_CHECK_EVERY). Timing uses the TSC, calibrated against
 * CLOCK_MONOTONIC. cycles_per_packet is the window's TSC cycles / packets:
 * both sides busy-poll a core each, so this is the cost on the bottleneck
 * core, the one definition `vionic bench` also applies to DPDK.
 * busy_cycles_per_packet counts only the loop iterations that moved a
 * packet (testpmd's "busy cycles"): the driver's own share of it.
 */
#include <string.h>

#include "inet_csum.h"
#include "vpmd.h"

#define MAX_BURST 512
#define BENCH_HDR_LEN 42   /* Ethernet + IPv4 + UDP headers txonly writes per frame */
/* loop checks every frame's length and reads its headers (as rxonly), and
 * compares every LOOP_CHECK_EVERY-th in full: its counterpart, DPDK's io
 * forwarding, reads no payload at all */
#define LOOP_CHECK_EVERY 32

static const struct {
	const char *name, *wire, *wire_csum;
} modes[] = {
	[VIONIC_BENCH_TXONLY] = { "txonly", "sink", "sink" },
	[VIONIC_BENCH_RXONLY] = { "rxonly", "gen:SIZE", "gen:SIZE:udp" },
	[VIONIC_BENCH_LOOP]   = { "loop", "loopback", "loopback" },
};

const char *vionic_bench_mode_name(int mode)
{
	return mode >= 0 && mode < (int)(sizeof(modes) / sizeof(modes[0])) ? modes[mode].name : NULL;
}

const char *vionic_bench_wire(int mode, unsigned flags)
{
	if (!vionic_bench_mode_name(mode))
		return NULL;
	return flags & VIONIC_BENCH_CSUM ? modes[mode].wire_csum : modes[mode].wire;
}

/* The features VIONIC_BENCH_CSUM puts to work */
#define BENCH_CSUM_FEATURES (1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM)

uint64_t vionic_bench_features(const vionic_dev *dev, unsigned flags)
{
	if (!dev)
		return 0;
	return dev->device_features & VPMD_SUPPORTED_FEATURES &
	       (flags & VIONIC_BENCH_CSUM ? ~0ULL : ~BENCH_CSUM_FEATURES);
}

static inline uint64_t vpmd_rdtsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#elif defined(__aarch64__)
	uint64_t v;
	__asm__ volatile("mrs %0, cntvct_el0" : "=r"(v));
	return v;
#else
	return vpmd_mono_ns();
#endif
}

/* TSC frequency, measured once against CLOCK_MONOTONIC over ~50 ms. */
static double tsc_hz(void)
{
	static double hz;
	uint64_t t0, t1, c0, c1;

	if (hz > 0)
		return hz;
	t0 = vpmd_mono_ns();
	c0 = vpmd_rdtsc();
	do {
		t1 = vpmd_mono_ns();
	} while (t1 - t0 < 50000000u);
	c1 = vpmd_rdtsc();
	hz = (double)(c1 - c0) * 1e9 / (double)(t1 - t0);
	return hz;
}

/* Ethernet / IPv4 / UDP frame of `size` bytes with a byte pattern payload. */
static void build_frame(struct vionic_dev *dev, uint8_t *f, uint16_t size)
{
	static const uint8_t dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
	uint16_t ip_len = size - 14, udp_len = size - 34;

	memset(f, 0, size);
	memcpy(f, dst, 6);
	memcpy(f + 6, dev->mac, 6);
	f[12] = 0x08; f[13] = 0x00;                      /* IPv4 */
	f[14] = 0x45;
	f[16] = ip_len >> 8; f[17] = ip_len & 0xFF;
	f[22] = 64; f[23] = 17;                          /* TTL, UDP */
	f[26] = 198; f[27] = 18; f[28] = 0; f[29] = 1;  /* 198.18.0.1 -> 198.18.0.2 */
	f[30] = 198; f[31] = 18; f[32] = 0; f[33] = 2;
	vcsum_put(f + 24, (uint16_t)~vcsum_fold(vcsum_add(f + 14, 20, 0)));   /* IPv4 header */
	f[34] = 0x04; f[35] = 0xD2; f[36] = 0x16; f[37] = 0x2E;  /* 1234 -> 5678 */
	f[38] = udp_len >> 8; f[39] = udp_len & 0xFF;
	for (unsigned i = 42; i < size; i++)
		f[i] = (uint8_t)(i * 7 + 3);
}

/* Writes the template into every free mbuf once, so the payload is there;
 * txonly then writes the headers of every frame it sends (as testpmd's
 * txonly does), loop checks what comes back (LOOP_CHECK_EVERY) and rewrites
 * a frame that came back different. */
static void prefill_pool(struct vionic_dev *dev, const uint8_t *tmpl, uint16_t size)
{
	struct vpmd_mempool *p = &dev->pool[0];   /* the bench drives queue pair 0 */

	for (uint32_t i = 0; i < p->top; i++)
		memcpy(p->stack[i]->data, tmpl, size);
}

/* VIONIC_BENCH_CSUM: the template asks the device for its UDP checksum
 * (the field seeded with the pseudo-header sum), and `full` is the frame as
 * it comes back with the checksum the device completed. */
static void csum_templates(uint8_t *tmpl, uint8_t *full, uint16_t size,
			   struct vionic_mbuf *req)
{
	struct vcsum_l4 l4 = { 0 };   /* zero only to the compiler: always found */

	memcpy(full, tmpl, size);
	(void)vcsum_locate(full, size, &l4);                 /* build_frame's UDP */
	vcsum_put(full + l4.l4_off + VCSUM_UDP_OFFSET,
		  vcsum_finish(vcsum_add(full + l4.l4_off, l4.l4_len, vcsum_pseudo(full, &l4))));
	req->data = tmpl;
	req->len = size;
	(void)vionic_tx_csum_prepare(req);
}

int vionic_bench_run(vionic_dev *dev, int mode, uint16_t size, double seconds,
		     uint16_t burst, unsigned flags, struct vionic_bench_result *res)
{
	uint8_t tmpl[VPMD_MAX_MBUF], full[VPMD_MAX_MBUF];
	struct vionic_mbuf req = { 0 };
	const uint8_t *expect = tmpl;   /* a frame as loop receives it */
	const int csum = (flags & VIONIC_BENCH_CSUM) != 0;
	struct vionic_mbuf *pk[MAX_BURST];
	uint64_t packets = 0, bytes = 0, errors = 0, busy = 0;
	uint64_t t_start, t_end, t_prev, now, last_progress, stall, resync;
	uint64_t sent_total = 0, lost = 0, window, seen = 0;
	uint16_t maxf;
	struct vpmd_vq *txq;
	double hz;
	int r;

	vpmd_err_clear();
	if (!dev || !res)
		return vpmd_err(VIONIC_EINVAL, "vionic_bench_run: NULL argument");
	memset(res, 0, sizeof(*res));
	if (dev->state != VPMD_ST_STARTED)
		return vpmd_err(VIONIC_ESTATE, "device not started; call vionic_configure and "
				"vionic_start before vionic_bench_run");
	if (!vionic_bench_mode_name(mode))
		return vpmd_err(VIONIC_EINVAL, "bench mode %d: use %d %s, %d %s, %d %s", mode,
				VIONIC_BENCH_TXONLY, modes[VIONIC_BENCH_TXONLY].name,
				VIONIC_BENCH_RXONLY, modes[VIONIC_BENCH_RXONLY].name,
				VIONIC_BENCH_LOOP, modes[VIONIC_BENCH_LOOP].name);
	maxf = vpmd_max_frame(dev) < dev->pool[0].room ? vpmd_max_frame(dev) : dev->pool[0].room;
	if (mode != VIONIC_BENCH_RXONLY && (size < VIONIC_MIN_FRAME || size > maxf))
		return vpmd_err(size < VIONIC_MIN_FRAME ? VIONIC_ETOOSMALL : VIONIC_ETOOBIG,
				"frame size %u: use %d..%u", size, VIONIC_MIN_FRAME, maxf);
	if (!(seconds > 0) || seconds > 86400)
		return vpmd_err(VIONIC_EINVAL, "seconds %.3f: use a positive duration", seconds);
	if (flags & ~VIONIC_BENCH_CSUM)
		return vpmd_err(VIONIC_EINVAL, "bench flags %#x: use 0 or VIONIC_BENCH_CSUM", flags);
	if (csum && (dev->driver_features & BENCH_CSUM_FEATURES) != BENCH_CSUM_FEATURES)
		return vpmd_err(VIONIC_EINVAL, "VIONIC_BENCH_CSUM needs VIRTIO_NET_F_CSUM and "
				"GUEST_CSUM negotiated");
	if (!burst)
		burst = 32;
	if (burst > MAX_BURST || burst > dev->vq[1].size)
		return vpmd_err(VIONIC_EINVAL, "burst %u: use 1..%u", burst,
				dev->vq[1].size < MAX_BURST ? dev->vq[1].size : MAX_BURST);

	txq = &dev->vq[1];
	hz = tsc_hz();
	if (mode != VIONIC_BENCH_RXONLY) {
		build_frame(dev, tmpl, size);
		if (csum) {
			csum_templates(tmpl, full, size, &req);
			expect = full;
		}
		prefill_pool(dev, tmpl, size);
	}
	stall = (uint64_t)(hz * 0.5);
	resync = (uint64_t)(hz * 0.02);
	window = dev->vq[0].size > burst ? dev->vq[0].size - burst : 1;
	t_start = vpmd_rdtsc();
	t_end = t_start + (uint64_t)(seconds * hz);
	t_prev = last_progress = t_start;

	for (;;) {
		unsigned moved = 0;

		if (mode != VIONIC_BENCH_RXONLY) {
			uint16_t sent = 0, k;

			/* room first: frames are prepared only for free slots */
			if (txq->nb_free < burst)
				vpmd_tx_reclaim(dev, txq, burst);
			k = txq->nb_free < burst ? txq->nb_free : burst;
			if (mode == VIONIC_BENCH_LOOP) {
				/* never more frames in flight than RX buffers: a frame
				 * the device would drop for want of one is wasted work */
				uint64_t inflight = sent_total - packets - lost;
				if (inflight >= window)
					k = 0;
				else if (k > window - inflight)
					k = (uint16_t)(window - inflight);
			}
			if (k && vionic_mbuf_alloc_bulk(dev, pk, k) == 0) {
				for (unsigned i = 0; i < k; i++) {
					pk[i]->len = size;
					/* Ethernet, IPv4, UDP (with the checksum
					 * request: loop's frames came back with the
					 * completed sum in the field) */
					if (mode == VIONIC_BENCH_TXONLY || csum) {
						memcpy(pk[i]->data, tmpl, BENCH_HDR_LEN);
						pk[i]->ol_flags = VIONIC_MBUF_F_TX_HANDOFF;
					}
					if (csum) {
						pk[i]->ol_flags |= req.ol_flags;
						pk[i]->l2_len = req.l2_len;
						pk[i]->l3_len = req.l3_len;
					}
				}
				sent = vionic_tx_burst(dev, 0, pk, k);
				if (sent < k)
					vionic_mbuf_free_bulk(dev, pk + sent, k - sent);
			}
			if (mode == VIONIC_BENCH_TXONLY) {
				packets += sent;
				bytes += (uint64_t)sent * size;
			}
			sent_total += sent;
			moved += sent;
		}
		if (mode != VIONIC_BENCH_TXONLY) {
			uint16_t got = vionic_rx_burst(dev, 0, pk, burst);

			if (got) {
				for (unsigned i = 0; i < got; i++) {
					struct vionic_mbuf *m = pk[i];
					const uint8_t *h = m->data - dev->pool[0].hdr_len;

					bytes += m->len;
					/* what a driver looks at in every frame: the
					 * virtio header (num_buffers) and the Ethernet
					 * header (testpmd's rxonly counts them) */
					seen += (uint64_t)(h[10] | h[11] << 8) + m->data[12] +
						m->data[0] + m->data[6];
					if (csum && !(m->ol_flags & VIONIC_MBUF_F_RX_L4_CKSUM_GOOD))
						errors++;
					if (mode == VIONIC_BENCH_LOOP &&
					    (m->len != size ||
					     (!((packets + i) % LOOP_CHECK_EVERY) &&
					      memcmp(m->data, expect, size)))) {
						errors++;
						/* keep the pool's content intact for later frames */
						memcpy(m->data, tmpl, size);
					}
				}
				vionic_mbuf_free_bulk(dev, pk, got);
				packets += got;
				moved += got;
			}
		}
		now = vpmd_rdtsc();
		if (moved) {
			busy += now - t_prev;
			last_progress = now;
		} else if (mode == VIONIC_BENCH_LOOP && now - last_progress > resync &&
			   sent_total - packets - lost) {
			/* nothing came back for a while: what is in flight was
			 * dropped (e.g. while this thread was descheduled) */
			lost = sent_total - packets;
		} else if (now - last_progress > stall) {
			if ((r = vionic_check(dev)))
				return r;
			last_progress = now;
		}
		t_prev = now;
		if (now >= t_end)
			break;
	}
	__asm__ __volatile__("" : : "r"(seen));   /* the header reads are real */
	res->packets = packets;
	res->bytes = bytes;
	res->seconds = (double)(now - t_start) / hz;
	res->mpps = packets / res->seconds / 1e6;
	res->gbps = bytes * 8.0 / res->seconds / 1e9;
	res->cycles_per_packet = packets ? (double)(now - t_start) / packets : 0;
	res->busy_cycles_per_packet = packets ? (double)busy / packets : 0;
	res->tsc_hz = hz;
	res->errors = errors;
	if (!packets) {
		if ((r = vionic_check(dev)))
			return r;
		return vpmd_err(VIONIC_ETIMEDOUT, "no frame moved in %.1f s; mode %s needs the "
				"device server's wire to be %s", seconds, modes[mode].name,
				vionic_bench_wire(mode, flags));
	}
	return 0;
}
