/* SPDX-License-Identifier: MIT */
/*
 * vionic-bench: testpmd-like throughput measurement of libvionic.
 *
 *   vionic-bench --uri sim:PATH --mode txonly|rxonly|loop --size N --seconds S
 *                [--burst B] [--ring N] [--cpu C] [--csum] [--json]
 *
 * The device server's wire must match the mode: txonly -> sink,
 * rxonly -> gen:SIZE (gen:SIZE:udp with --csum), loop -> loopback.
 * --csum: the device completes every frame's UDP checksum and checks every
 * received one (VIONIC_BENCH_CSUM). Pins itself to --cpu (default 0;
 * -1 leaves the affinity alone); give the server another core (--cpu 1).
 */
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vionic.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: vionic-bench --uri sim:PATH --mode txonly|rxonly|loop [--size N] "
		"[--seconds S] [--burst B] [--ring N] [--cpu C] [--csum] [--json]\n"
		"  wire of the device server: txonly -> sink, rxonly -> gen:SIZE (gen:SIZE:udp with "
		"--csum), loop -> loopback\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "uri", required_argument, 0, 'u' }, { "mode", required_argument, 0, 'm' },
		{ "size", required_argument, 0, 's' }, { "seconds", required_argument, 0, 't' },
		{ "burst", required_argument, 0, 'b' }, { "ring", required_argument, 0, 'r' },
		{ "cpu", required_argument, 0, 'c' }, { "json", no_argument, 0, 'j' },
		{ "csum", no_argument, 0, 'k' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *uri = NULL, *mode_s = "txonly";
	int size = 64, burst = 32, ring = 0, cpu = 0, json = 0, mode, o, r;
	unsigned flags = 0;
	double seconds = 5;
	struct vionic_conf conf = { 0 };
	struct vionic_bench_result res;
	struct vionic_info info;
	struct vionic_stats st;
	vionic_dev *dev;

	while ((o = getopt_long(argc, argv, "u:m:s:t:b:r:c:jkh", opts, NULL)) != -1) {
		switch (o) {
		case 'u': uri = optarg; break;
		case 'm': mode_s = optarg; break;
		case 's': size = atoi(optarg); break;
		case 't': seconds = atof(optarg); break;
		case 'b': burst = atoi(optarg); break;
		case 'r': ring = atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		case 'j': json = 1; break;
		case 'k': flags |= VIONIC_BENCH_CSUM; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!uri) {
		usage(stderr);
		return 2;
	}
	for (mode = 0; vionic_bench_mode_name(mode); mode++)
		if (!strcmp(mode_s, vionic_bench_mode_name(mode)))
			break;
	if (!vionic_bench_mode_name(mode)) {
		fprintf(stderr, "vionic-bench: unknown mode \"%s\"; use txonly, rxonly or loop\n", mode_s);
		return 2;
	}
	if (size < 0 || size > 65535 || burst < 0 || burst > 65535 || ring < 0 || ring > 65535) {
		fprintf(stderr, "vionic-bench: size, burst and ring must be 0..65535\n");
		return 2;
	}
	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			fprintf(stderr, "vionic-bench: cannot pin to cpu %d (running unpinned)\n", cpu);
	}
	if ((r = vionic_open(uri, &dev))) {
		fprintf(stderr, "vionic-bench: %s: %s\n", vionic_strerror(r), vionic_last_error());
		return 1;
	}
	if ((r = vionic_info_get(dev, &info)))
		goto fail;
	if (!ring)
		ring = info.max_ring_size < 1024 ? info.max_ring_size : 1024;
	conf.rx_ring_size = conf.tx_ring_size = (uint16_t)ring;
	conf.features = vionic_bench_features(dev, flags);
	if ((r = vionic_configure(dev, &conf)) || (r = vionic_start(dev)))
		goto fail;
	if ((r = vionic_bench_run(dev, mode, (uint16_t)size, seconds, (uint16_t)burst, flags, &res)))
		goto fail;
	vionic_stats_get(dev, &st);
	if (json) {
		printf("{\"mode\": \"%s\", \"size\": %d, \"burst\": %d, \"ring\": %d, "
		       "\"seconds\": %.3f, \"packets\": %llu, \"bytes\": %llu, \"mpps\": %.3f, "
		       "\"gbps\": %.3f, \"cycles_per_packet\": %.1f, "
		       "\"busy_cycles_per_packet\": %.1f, \"tsc_hz\": %.0f, "
		       "\"errors\": %llu, \"dev_tx_drops\": %llu, \"dev_rx_drops\": %llu}\n",
		       mode_s, size, burst ? burst : 32, ring, res.seconds,
		       (unsigned long long)res.packets, (unsigned long long)res.bytes, res.mpps,
		       res.gbps, res.cycles_per_packet, res.busy_cycles_per_packet, res.tsc_hz,
		       (unsigned long long)res.errors,
		       (unsigned long long)st.dev_tx.drops, (unsigned long long)st.dev_rx.drops);
	} else {
		printf("vionic-bench  %s  mode %s  size %d  burst %d  ring %d  %.2f s  tsc %.2f GHz\n",
		       uri, mode_s, size, burst ? burst : 32, ring, res.seconds, res.tsc_hz / 1e9);
		printf("  %-14s %-9s %-9s %-12s %-8s\n", "packets", "Mpps", "Gb/s", "cycles/pkt",
		       "errors");
		printf("  %-14llu %-9.2f %-9.2f %-12.1f %-8llu\n", (unsigned long long)res.packets,
		       res.mpps, res.gbps, res.cycles_per_packet, (unsigned long long)res.errors);
		printf("  driver: tx %llu rx %llu ring-full %llu nombuf %llu doorbells %llu | device: "
		       "tx %llu (drops %llu) rx %llu (drops %llu)\n",
		       (unsigned long long)st.tx_packets, (unsigned long long)st.rx_packets,
		       (unsigned long long)st.tx_ring_full, (unsigned long long)st.rx_nombuf,
		       (unsigned long long)st.doorbells, (unsigned long long)st.dev_tx.packets,
		       (unsigned long long)st.dev_tx.drops, (unsigned long long)st.dev_rx.packets,
		       (unsigned long long)st.dev_rx.drops);
	}
	vionic_close(dev);
	return res.errors ? 3 : 0;
fail:
	fprintf(stderr, "vionic-bench: %s: %s\n", vionic_strerror(r), vionic_last_error());
	vionic_close(dev);
	return 1;
}
