/* SPDX-License-Identifier: MIT */
/*
 * vionic-selftest: end-to-end checks of libvionic against a device server
 * whose wire is `loopback`:
 *
 *   build/bin/vionic-server --socket /tmp/v.sock --wire loopback &
 *   build/bin/vionic-selftest sim:/tmp/v.sock
 *
 * Bring-up and argument errors, every frame size 60..MTU+14 through the
 * loopback with content checks and many ring wraparounds, rx_wait, every
 * device error case (NEEDS_RESET, error log, reset, no leaked mbufs), stop
 * and reconfigure. Prints one line per check; exit status 0 if all pass.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vionic.h"
#include "vionic/regs.h"
#include "vionic/virtio.h"

static int failures, checks;

#define CHECK(cond, ...) do { \
	checks++; \
	if (!(cond)) { \
		failures++; \
		printf("FAIL %s:%d: ", __FILE__, __LINE__); \
		printf(__VA_ARGS__); \
		printf("  [last error: %s]\n", vionic_last_error()); \
	} \
} while (0)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void fill(uint8_t *f, unsigned len, unsigned seed)
{
	for (unsigned i = 0; i < len; i++)
		f[i] = (uint8_t)(seed * 31 + i * 7);
	memset(f, 0xFF, 6);
	f[12] = 0x88; f[13] = 0xB5;
}

/* Sends n frames of the given sizes and receives them back; returns the
 * number that came back intact. */
static unsigned roundtrip(vionic_dev *dev, const uint16_t *sizes, unsigned n, unsigned seed)
{
	static uint8_t tx[64][2048], rx[64][2048];
	uint16_t tl[64], rl[64];
	unsigned sent = 0, got = 0, ok = 0;
	double deadline = now_s() + 5;

	while ((sent < n || got < sent) && now_s() < deadline) {
		if (sent < n && sent - got < 32) {
			unsigned k = n - sent < 16 ? n - sent : 16;
			for (unsigned i = 0; i < k; i++) {
				tl[i] = sizes[sent + i];
				fill(tx[i], tl[i], seed + sent + i);
			}
			int r = vionic_tx_copy(dev, 0, &tx[0][0], 2048, tl, NULL, k);
			if (r < 0) {
				printf("tx_copy: %s\n", vionic_last_error());
				return ok;
			}
			sent += r;
		}
		int r = vionic_rx_copy(dev, 0, &rx[0][0], 2048, rl, NULL, NULL, NULL, 64);
		if (r < 0) {
			printf("rx_copy: %s\n", vionic_last_error());
			return ok;
		}
		for (int i = 0; i < r; i++, got++) {
			uint8_t exp[2048];
			unsigned el = sizes[got];
			fill(exp, el, seed + got);
			if (el < 60) {      /* the wire pads short frames? accept either */
				if (rl[i] >= el && !memcmp(rx[i], exp, el))
					ok++;
			} else if (rl[i] == el && !memcmp(rx[i], exp, el)) {
				ok++;
			}
		}
	}
	return ok;
}

struct inject {
	vionic_dev *dev;
	uint64_t bad_iova;
};

/* Another thread breaks the TX queue while the main thread sleeps in
 * rx_wait: the config interrupt must wake it with ENEEDS_RESET. */
static void *inject_later(void *arg)
{
	struct inject *in = arg;
	struct timespec ts = { 0, 100000000 };

	nanosleep(&ts, NULL);
	vionic_debug_write_desc(in->dev, 1, 9, in->bad_iova, 64, 0, 0);
	vionic_debug_post(in->dev, 1, 9);
	return NULL;
}

static int expect_needs_reset(vionic_dev *dev, uint32_t code, const char *what)
{
	struct vionic_stats st;
	double t0 = now_s();
	int r;

	do {
		r = vionic_check(dev);
	} while (r == 0 && now_s() - t0 < 3.0);   /* RTL in simulation is slow */
	CHECK(r == VIONIC_ENEEDS_RESET, "%s: vionic_check returned %d, want ENEEDS_RESET", what, r);
	if (r == VIONIC_ENEEDS_RESET)
		printf("  %s -> %s\n", what, vionic_last_error());
	vionic_stats_get(dev, &st);
	CHECK(st.err_code == code, "%s: err_code %u, want %u", what, st.err_code, code);
	CHECK(st.device_status & VIRTIO_STATUS_DEVICE_NEEDS_RESET, "%s: status 0x%x", what,
	      st.device_status);
	return r;
}

static void recover(vionic_dev *dev, const char *what)
{
	struct vionic_info info;
	uint16_t sizes[64];
	int r = vionic_reset(dev);

	CHECK(r == 0, "%s: vionic_reset returned %d", what, r);
	vionic_info_get(dev, &info);
	CHECK(vionic_mempool_avail(dev) + vionic_mempool_on_rings(dev) == info.nb_mbufs,
	      "%s: mempool %u + on rings %u != %u after reset", what,
	      vionic_mempool_avail(dev), vionic_mempool_on_rings(dev), info.nb_mbufs);
	CHECK(vionic_mempool_on_rings(dev) == info.rx_ring_size, "%s: RX ring fill %u != %u",
	      what, vionic_mempool_on_rings(dev), info.rx_ring_size);
	for (int i = 0; i < 64; i++)
		sizes[i] = 60 + i * 7;
	CHECK(roundtrip(dev, sizes, 64, 99) == 64, "%s: traffic after reset", what);
}

int main(int argc, char **argv)
{
	struct vionic_conf conf = { 0 };
	struct vionic_info info;
	struct vionic_stats st;
	vionic_dev *dev;
	uint64_t iova, wsize;
	void *host;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: vionic-selftest sim:PATH   (server wire: loopback)\n");
		return 2;
	}
	/* URIs */
	CHECK(vionic_open("vfio:0000:01:00.0", &dev) == VIONIC_EURI, "vfio URI");
	CHECK(vionic_open("bogus", &dev) == VIONIC_EURI, "bad URI");
	CHECK(vionic_open("sim:/nonexistent/sock", &dev) == VIONIC_ENODEV, "missing socket");

	r = vionic_open(argv[1], &dev);
	if (r) {
		printf("FAIL open %s: %s\n", argv[1], vionic_last_error());
		return 1;
	}
	CHECK(vionic_info_get(dev, &info) == 0, "info");
	printf("device: mac %02x:%02x:%02x:%02x:%02x:%02x mtu %u max ring %u impl %s "
	       "link %u features 0x%llx:", info.mac[0], info.mac[1], info.mac[2], info.mac[3],
	       info.mac[4], info.mac[5], info.mtu, info.max_ring_size,
	       vionic_impl_name(info.impl), info.link_up,
	       (unsigned long long)info.device_features);
	for (unsigned b = 0; b < 64; b++)
		if (info.device_features & (1ull << b))
			printf(" %s", vionic_feature_name(b) ? vionic_feature_name(b) : "?");
	printf("\n");
	CHECK(info.device_features == VIONIC_DEVICE_FEATURES, "device features");

	/* argument errors */
	conf.rx_ring_size = 300;
	CHECK(vionic_configure(dev, &conf) == VIONIC_ERING, "ring 300");
	printf("  ring 300 -> %s\n", vionic_last_error());
	conf.rx_ring_size = 4096;
	CHECK(vionic_configure(dev, &conf) == VIONIC_ERING, "ring 4096");
	conf.rx_ring_size = 0;
	conf.nb_queue_pairs = 2;
	CHECK(vionic_configure(dev, &conf) == VIONIC_EQUEUE, "2 queue pairs");
	conf.nb_queue_pairs = 0;
	conf.features = VIONIC_DEVICE_FEATURES | (1ull << VIRTIO_NET_F_MRG_RXBUF);
	CHECK(vionic_configure(dev, &conf) == VIONIC_EFEATURE, "unoffered feature");
	printf("  MRG_RXBUF -> %s\n", vionic_last_error());
	conf.features = 0;
	CHECK(vionic_start(dev) == VIONIC_ESTATE, "start before configure");
	CHECK(vionic_rx_wait(dev, 0, 10) == VIONIC_ESTATE, "rx_wait before configure");

	/* bring-up */
	for (unsigned ring = 64; ring <= 1024; ring *= 4) {
		uint16_t sizes[1455 + 2000];
		unsigned n = 0, ok;

		conf.rx_ring_size = conf.tx_ring_size = ring;
		r = vionic_configure(dev, &conf);
		CHECK(r == 0, "configure ring %u: %d", ring, r);
		r = vionic_start(dev);
		CHECK(r == 0, "start: %d", r);
		vionic_info_get(dev, &info);
		CHECK(info.driver_features == VIONIC_DEVICE_FEATURES, "negotiated 0x%llx",
		      (unsigned long long)info.driver_features);
		CHECK(vionic_mempool_on_rings(dev) == ring, "RX ring filled: %u",
		      vionic_mempool_on_rings(dev));
		for (unsigned s = 60; s <= 1514u; s++)
			sizes[n++] = s;
		for (unsigned i = 0; i < 2000; i++)
			sizes[n++] = 60 + (i * 389) % 1455;
		ok = roundtrip(dev, sizes, n, ring);
		CHECK(ok == n, "ring %u: %u of %u frames intact (60..1514 and random)", ring, ok, n);
		vionic_tx_reclaim(dev, 0);
		CHECK(vionic_mempool_avail(dev) + vionic_mempool_on_rings(dev) == info.nb_mbufs,
		      "no leak: %u + %u != %u", vionic_mempool_avail(dev),
		      vionic_mempool_on_rings(dev), info.nb_mbufs);
		vionic_stats_get(dev, &st);
		printf("  ring %4u: %u frames ok; driver tx %llu rx %llu doorbells %llu; device "
		       "tx %llu rx %llu drops %llu/%llu\n", ring, ok,
		       (unsigned long long)st.tx_packets, (unsigned long long)st.rx_packets,
		       (unsigned long long)st.doorbells, (unsigned long long)st.dev_tx.packets,
		       (unsigned long long)st.dev_rx.packets, (unsigned long long)st.dev_tx.drops,
		       (unsigned long long)st.dev_rx.drops);
		CHECK(st.dev_tx.packets == n && st.dev_rx.packets == n, "device counters");
		if (ring != 1024) {
			CHECK(vionic_stop(dev) == 0, "stop");
			CHECK(vionic_mempool_avail(dev) == info.nb_mbufs, "stop frees everything: %u/%u",
			      vionic_mempool_avail(dev), info.nb_mbufs);
		}
	}
	/* frame size errors */
	{
		uint8_t f[4096] = { 0 };
		uint16_t l = 1515;
		CHECK(vionic_tx_copy(dev, 0, f, 4096, &l, NULL, 1) == VIONIC_ETOOBIG, "1515 bytes");
		l = 13;
		CHECK(vionic_tx_copy(dev, 0, f, 4096, &l, NULL, 1) == VIONIC_ETOOSMALL, "13 bytes");
		l = 100;
		CHECK(vionic_tx_copy(dev, 1, f, 4096, &l, NULL, 1) == VIONIC_EQUEUE, "queue 1");
	}
	/* oversize frame via tx_burst: the device drops and counts, no reset */
	{
		struct vionic_mbuf *m = vionic_mbuf_alloc(dev);
		struct vionic_stats s0, s1;
		vionic_stats_get(dev, &s0);
		memset(m->data, 0xAB, 1600);
		m->len = 1600;
		CHECK(vionic_tx_burst(dev, 0, &m, 1) == 1, "tx oversize");
		struct timespec ts = { 0, 20000000 };
		nanosleep(&ts, NULL);
		vionic_stats_get(dev, &s1);
		CHECK(s1.dev_tx.drops == s0.dev_tx.drops + 1, "oversize dropped: %llu -> %llu",
		      (unsigned long long)s0.dev_tx.drops, (unsigned long long)s1.dev_tx.drops);
		CHECK(vionic_check(dev) == 0, "no NEEDS_RESET after a drop");
	}

	/* rx_wait */
	{
		double t0 = now_s();
		r = vionic_rx_wait(dev, 0, 200);
		double dt = now_s() - t0;
		CHECK(r == 0 && dt > 0.15 && dt < 0.5, "rx_wait timeout: %d after %.3f s", r, dt);
		uint8_t f[64];
		uint16_t l = 64;
		fill(f, 64, 1);
		CHECK(vionic_tx_copy(dev, 0, f, 64, &l, NULL, 1) == 1, "tx one");
		t0 = now_s();
		r = vionic_rx_wait(dev, 0, 1000);
		dt = now_s() - t0;
		CHECK(r == 1 && dt < 0.5, "rx_wait ready: %d after %.3f s", r, dt);
		uint8_t rb[2048];
		CHECK(vionic_rx_copy(dev, 0, rb, 2048, &l, NULL, NULL, NULL, 1) == 1 && l == 64 && !memcmp(rb, f, 64),
		      "the frame");
	}

	/* device errors: each ends in NEEDS_RESET, reset recovers without leaks */
	CHECK(vionic_debug_dma_window(dev, &iova, &wsize, &host) == 0, "dma window");
	printf("  DMA window: IOVA 0x%llx, %llu bytes, host %p\n", (unsigned long long)iova,
	       (unsigned long long)wsize, host);
	{
		struct {
			const char *name;
			uint16_t vq;
			uint64_t addr;
			uint32_t len;
			uint16_t flags, next;
			uint16_t head;
			uint32_t code;
		} cases[] = {
			{ "TX DMA outside the map", 1, 0x1000, 64, 0, 0, 5, VIONIC_ERR_DMA },
			{ "TX DMA crossing the end", 1, 0, 200, 0, 0, 5, VIONIC_ERR_DMA },
			{ "TX zero length", 1, 0, 0, 0, 0, 5, VIONIC_ERR_ZERO_LEN },
			{ "TX write-only descriptor", 1, 0, 64, VRING_DESC_F_WRITE, 0, 5,
			  VIONIC_ERR_DIRECTION },
			{ "TX chain loop", 1, 0, 64, VRING_DESC_F_NEXT, 5, 5, VIONIC_ERR_CHAIN },
			{ "TX next out of range", 1, 0, 64, VRING_DESC_F_NEXT, 5000, 5,
			  VIONIC_ERR_INDEX },
			{ "TX head out of range", 1, 0, 64, 0, 0, 4000, VIONIC_ERR_INDEX },
			{ "RX read-only descriptor", 0, 0, 2048, 0, 0, 7, VIONIC_ERR_DIRECTION },
		};
		for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			uint64_t a = cases[i].addr;
			if (i == 1)
				a = iova + wsize - 100;
			else if (a == 0)
				a = iova + 4096 * 8;
			if (cases[i].vq == 0) {
				/* RX: every posted buffer turns read-only, then a frame
				 * arrives. Descriptors made available belong to the device
				 * (the RTL fetches them ahead), so rewrite them between
				 * configure and start, before the device has seen them. */
				struct vionic_conf c1 = { .rx_ring_size = 1024, .tx_ring_size = 1024 };
				CHECK(vionic_stop(dev) == 0 && vionic_configure(dev, &c1) == 0,
				      "reconfigure for RX injection");
				for (unsigned k = 0; k < 1024; k++)
					vionic_debug_write_desc(dev, 0, k, a, cases[i].len,
								cases[i].flags, 0);
				CHECK(vionic_start(dev) == 0, "start after RX injection");
				struct vionic_mbuf *m = vionic_mbuf_alloc(dev);
				memset(m->data, 0, 60);
				m->len = 60;
				if (vionic_tx_burst(dev, 0, &m, 1) != 1)
					vionic_mbuf_free(dev, m);
			} else {
				if (cases[i].head < 1024)
					vionic_debug_write_desc(dev, cases[i].vq, cases[i].head, a,
								cases[i].len, cases[i].flags,
								cases[i].next);
				vionic_debug_post(dev, cases[i].vq, cases[i].head);
			}
			expect_needs_reset(dev, cases[i].code, cases[i].name);
			recover(dev, cases[i].name);
		}
	}

	/* NEEDS_RESET wakes a blocked rx_wait through the config vector */
	{
		struct inject in = { dev, 0x2000 };
		pthread_t th;
		double t0 = now_s(), dt;

		pthread_create(&th, NULL, inject_later, &in);
		r = vionic_rx_wait(dev, 0, 2000);
		dt = now_s() - t0;
		pthread_join(th, NULL);
		CHECK(r == VIONIC_ENEEDS_RESET && dt < 0.5, "rx_wait woken by NEEDS_RESET: %d "
		      "after %.3f s", r, dt);
		printf("  rx_wait during a device error -> %d after %.3f s\n", r, dt);
		recover(dev, "after rx_wait wake");
	}

	/* stop, reconfigure with other sizes, close */
	CHECK(vionic_stop(dev) == 0, "stop");
	vionic_info_get(dev, &info);
	CHECK(vionic_mempool_avail(dev) == info.nb_mbufs, "after stop: %u of %u",
	      vionic_mempool_avail(dev), info.nb_mbufs);
	conf.rx_ring_size = 128;
	conf.tx_ring_size = 512;
	conf.nb_mbufs = 4096;
	CHECK(vionic_configure(dev, &conf) == 0 && vionic_start(dev) == 0, "reconfigure");
	{
		uint16_t sizes[5000];
		for (int i = 0; i < 5000; i++)
			sizes[i] = 60 + (i * 13) % 1455;
		CHECK(roundtrip(dev, sizes, 5000, 7) == 5000, "traffic after reconfigure");
	}
	vionic_close(dev);
	printf("%s: %d checks, %d failures\n", failures ? "FAIL" : "PASS", checks, failures);
	return failures ? 1 : 0;
}
