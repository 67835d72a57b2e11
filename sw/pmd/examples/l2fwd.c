/* SPDX-License-Identifier: MIT */
/*
 * l2fwd: forwards frames between two vionic devices (or a device back to
 * itself with one URI), swapping source and destination MAC addresses, and
 * prints the rates every second; stops on SIGINT/SIGTERM.
 *
 *   l2fwd [--cpu C] URI_A [URI_B]
 *
 * Each device has its own DMA memory (its own IOMMU map), so a frame that
 * crosses from A to B is copied into one of B's mbufs; with one URI the
 * mbuf goes straight back out (zero copy).
 */
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vionic.h"

#define BURST 32

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline void swap_mac(uint8_t *f)
{
	uint8_t t[6];

	memcpy(t, f, 6);
	memcpy(f, f + 6, 6);
	memcpy(f + 6, t, 6);
}

struct port {
	const char *uri;
	vionic_dev *dev;
	uint64_t rx, tx, drop;
};

/* rx on `in`, tx on `out`; returns frames moved. */
static unsigned forward(struct port *in, struct port *out)
{
	struct vionic_mbuf *rx[BURST], *tx[BURST];
	uint16_t n = vionic_rx_burst(in->dev, 0, rx, BURST), sent, i;

	if (!n)
		return 0;
	in->rx += n;
	if (in->dev == out->dev) {
		for (i = 0; i < n; i++) {
			swap_mac(rx[i]->data);
			rx[i]->ol_flags = VIONIC_MBUF_F_TX_HANDOFF;   /* not RX's flags */
		}
		sent = vionic_tx_burst(out->dev, 0, rx, n);
		vionic_mbuf_free_bulk(in->dev, rx + sent, n - sent);
	} else {
		unsigned k = 0;
		for (i = 0; i < n; i++) {
			struct vionic_mbuf *m = vionic_mbuf_alloc(out->dev);
			const struct vionic_mbuf *s;

			if (!m)
				break;
			/* segment by segment: a jumbo frame may be a chain */
			for (s = rx[i]; s; s = s->next)
				if (vionic_mbuf_append(out->dev, m, s->data, s->len))
					break;
			if (s) {
				vionic_mbuf_free(out->dev, m);
				break;
			}
			swap_mac(m->data);
			m->ol_flags = VIONIC_MBUF_F_TX_HANDOFF;
			tx[k++] = m;
		}
		vionic_mbuf_free_bulk(in->dev, rx, n);
		sent = vionic_tx_burst(out->dev, 0, tx, k);
		vionic_mbuf_free_bulk(out->dev, tx + sent, k - sent);
	}
	out->tx += sent;
	out->drop += n - sent;
	return n;
}

static int setup(struct port *p)
{
	int r;

	if ((r = vionic_open(p->uri, &p->dev)) || (r = vionic_configure(p->dev, NULL)) ||
	    (r = vionic_start(p->dev))) {
		fprintf(stderr, "l2fwd: %s: %s: %s\n", p->uri, vionic_strerror(r),
			vionic_last_error());
		return r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cpu", required_argument, 0, 'c' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct port p[2] = { 0 };
	int cpu = -1, o, np, r = 0;
	double t_last;
	uint64_t last_rx[2] = { 0 }, last_tx[2] = { 0 };
	unsigned idle = 0;

	while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (o == 'c')
			cpu = atoi(optarg);
		else {
			fprintf(o == 'h' ? stdout : stderr, "usage: l2fwd [--cpu C] URI_A [URI_B]\n");
			return o == 'h' ? 0 : 2;
		}
	}
	np = argc - optind;
	if (np < 1 || np > 2) {
		fprintf(stderr, "usage: l2fwd [--cpu C] URI_A [URI_B]\n");
		return 2;
	}
	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (int i = 0; i < np; i++) {
		p[i].uri = argv[optind + i];
		if (setup(&p[i])) {
			r = 1;
			goto out;
		}
	}
	printf("l2fwd: forwarding %s <-> %s, Ctrl-C to stop\n", p[0].uri,
	       np == 2 ? p[1].uri : p[0].uri);
	t_last = now_s();
	while (!stop) {
		unsigned moved = np == 2 ? forward(&p[0], &p[1]) + forward(&p[1], &p[0])
					 : forward(&p[0], &p[0]);
		if (moved) {
			idle = 0;
		} else if (++idle >= (1u << 16)) {
			idle = 0;
			for (int i = 0; i < np; i++) {
				int c = vionic_check(p[i].dev);
				if (c == VIONIC_ENEEDS_RESET) {
					fprintf(stderr, "l2fwd: %s: %s; resetting\n", p[i].uri,
						vionic_last_error());
					c = vionic_reset(p[i].dev);
				}
				if (c) {
					fprintf(stderr, "l2fwd: %s: %s: %s\n", p[i].uri,
						vionic_strerror(c), vionic_last_error());
					r = 1;
					goto out;
				}
			}
		}
		if ((moved || !idle) && now_s() - t_last >= 1.0) {
			double t = now_s(), dt = t - t_last;
			for (int i = 0; i < np; i++) {
				printf("  port %d  rx %8.3f Mpps  tx %8.3f Mpps  (total rx %llu tx %llu "
				       "drop %llu)\n", i, (p[i].rx - last_rx[i]) / dt / 1e6,
				       (p[i].tx - last_tx[i]) / dt / 1e6, (unsigned long long)p[i].rx,
				       (unsigned long long)p[i].tx, (unsigned long long)p[i].drop);
				last_rx[i] = p[i].rx;
				last_tx[i] = p[i].tx;
			}
			fflush(stdout);
			t_last = t;
		}
	}
out:
	for (int i = 0; i < np; i++)
		vionic_close(p[i].dev);
	return r;
}
