/* SPDX-License-Identifier: MIT */
/*
 * Wire "gen:SIZE" (or "gen:SIZE:udp"): a traffic generator. Produces
 * SIZE-byte frames as fast as the NIC has RX buffers (a paced wire: it asks
 * the core first):
 *   dst = device MAC, src 02:00:00:00:00:01, ethertype 0x88B5,
 *   bytes 14..17 = sequence number (32-bit little endian, from 0),
 *   byte i >= 18 = (seq + i) & 0xff.
 * With ":udp" each frame is IPv4/UDP 198.18.0.1:1234 -> 198.18.0.2:5678
 * with a correct UDP checksum (for the RX checksum offload), the sequence
 * number in payload bytes 42..45 and byte i >= 46 = (seq + i) & 0xff.
 * The frames come from a pool of templates larger than the L1 cache (a
 * multiple of 256, so frame seq uses template seq % pool, whose payload
 * depends on seq & 0xff only); producing a frame writes its headers (MAC
 * addresses, ethertype, sequence number), as a traffic generator does per
 * packet. Transmitted frames are dropped. The sequence restarts at 0 at
 * every device reset.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inet_csum.h"
#include "vionic/regs.h"
#include "vsrv.h"

#define GEN_POOL_BYTES (256u << 10)   /* templates: above any L1 */
#define GEN_UDP_HDR    42             /* Ethernet, IPv4, UDP */

struct gen {
	uint32_t size;
	uint32_t seq;
	uint32_t pool;    /* templates, a multiple of 256 */
	uint8_t mac[6];
	uint8_t udp;      /* ":udp": IPv4/UDP frames with their checksum */
	uint8_t hdr[GEN_UDP_HDR];   /* udp: the headers, UDP checksum 0 */
	uint8_t *tmpl;    /* pool * size */
	uint32_t *sum;    /* udp: per template, the checksum sum without the seq */
};

static const uint8_t k_gen_src[6] = { 0x02, 0, 0, 0, 0, 0x01 };

/* SIZE[:udp]: a frame the device may receive, VIONIC_MIN_FRAME..MTU + 14
 * bytes (DESIGN §4); 0, or -1 with a message. */
static int gen_size(const char *arg, const struct vsrv_conf *conf, unsigned long *size,
		    int *udp, char *err, size_t errlen)
{
	char *end;
	unsigned long max = (unsigned long)conf->mtu + 14;

	errno = 0;
	*size = strtoul(arg, &end, 10);
	*udp = !strcmp(end, ":udp");
	if (*arg < '0' || *arg > '9' || (*end && !*udp) || errno || *size < VIONIC_MIN_FRAME ||
	    *size > max) {
		snprintf(err, errlen, "gen:SIZE[:udp] needs a frame size from %d to %lu (MTU + 14), "
			 "got '%s'", VIONIC_MIN_FRAME, max, arg);
		return -1;
	}
	return 0;
}

static int gen_check(const char *arg, const struct vsrv_conf *conf, char *err, size_t errlen)
{
	unsigned long size;
	int udp;
	return gen_size(arg, conf, &size, &udp, err, errlen);
}

/* The Ethernet/IPv4/UDP headers of a SIZE-byte frame, UDP checksum 0. */
static void udp_headers(struct gen *g)
{
	static const uint8_t ip_udp[] = {
		0x08, 0x00,                                     /* IPv4 */
		0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0,        /* TTL 64, UDP */
		198, 18, 0, 1, 198, 18, 0, 2,
		0x04, 0xD2, 0x16, 0x2E, 0, 0, 0, 0,             /* 1234 -> 5678 */
	};
	uint8_t *h = g->hdr;
	uint16_t ip_len = (uint16_t)(g->size - 14), udp_len = (uint16_t)(g->size - 34);

	memcpy(h, g->mac, 6);
	memcpy(h + 6, k_gen_src, 6);
	memcpy(h + 12, ip_udp, sizeof(ip_udp));
	vcsum_put(h + 16, ip_len);
	vcsum_put(h + 38, udp_len);
	vcsum_put(h + 24, (uint16_t)~vcsum_fold(vcsum_add(h + 14, 20, 0)));   /* IPv4 header */
}

static int gen_open(struct vsrv_wire *w, const char *arg, const struct vsrv_conf *conf,
		    char *err, size_t errlen)
{
	unsigned long size;
	int udp;

	if (gen_size(arg, conf, &size, &udp, err, errlen) < 0)
		return -1;
	uint32_t pool = (uint32_t)((GEN_POOL_BYTES / size + 255) & ~255ul);
	struct gen *g = calloc(1, sizeof(*g));
	if (!g || !(g->tmpl = malloc((size_t)pool * size)) ||
	    (udp && !(g->sum = malloc(pool * sizeof(*g->sum))))) {
		if (g)
			free(g->tmpl);
		free(g);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	g->size = (uint32_t)size;
	g->pool = pool;
	g->udp = (uint8_t)udp;
	memcpy(g->mac, conf->mac, 6);
	if (udp)
		udp_headers(g);
	for (unsigned p = 0; p < pool; p++) {
		uint8_t *f = g->tmpl + (size_t)p * size;
		unsigned first = udp ? GEN_UDP_HDR + 4 : 18;
		for (unsigned i = first; i < size; i++)
			f[i] = (uint8_t)(p + i);
		if (udp) {   /* pseudo header, UDP header and payload but the seq */
			uint32_t s = vcsum_add(g->hdr + 26, 8, 17 + (uint32_t)(size - 34));
			s = vcsum_add(g->hdr + 34, 8, s);
			g->sum[p] = vcsum_add(f + first, (uint32_t)size - first, s);
		}
	}
	w->priv = g;
	return 0;
}

static void gen_close(struct vsrv_wire *w)
{
	struct gen *g = w->priv;
	if (g) {
		free(g->tmpl);
		free(g->sum);
		free(g);
	}
	w->priv = NULL;
}

static int gen_send(struct vsrv_wire *w, const void *frame, uint32_t len)
{
	(void)w;
	(void)frame;
	(void)len;
	return 0;
}

static int gen_rx(struct vsrv_wire *w, const uint8_t **frame, uint32_t *len)
{
	struct gen *g = w->priv;
	uint32_t p = g->seq % g->pool;
	uint8_t *f = g->tmpl + (size_t)p * g->size;
	uint32_t s = g->seq;
	if (g->udp) {
		memcpy(f, g->hdr, GEN_UDP_HDR);
		memcpy(f + GEN_UDP_HDR, &s, 4);   /* little-endian hosts */
		vcsum_put(f + 40, vcsum_finish(vcsum_add(f + GEN_UDP_HDR, 4, g->sum[p])));
	} else {
		memcpy(f, g->mac, 6);
		memcpy(f + 6, k_gen_src, 6);
		f[12] = 0x88;
		f[13] = 0xB5;
		memcpy(f + 14, &s, 4);   /* little-endian hosts */
	}
	*frame = f;
	*len = g->size;
	return 1;
}

static void gen_rx_done(struct vsrv_wire *w)
{
	struct gen *g = w->priv;
	g->seq++;
}

/* Device reset: the next frame the device receives carries sequence 0. */
static void gen_reset(struct vsrv_wire *w)
{
	struct gen *g = w->priv;
	g->seq = 0;
}

const struct vsrv_wire_ops vsrv_wire_gen = {
	.name = "gen",
	.arg_name = "SIZE",
	.flags = VSRV_WIRE_PACED,
	.open = gen_open,
	.close = gen_close,
	.send = gen_send,
	.rx = gen_rx,
	.rx_done = gen_rx_done,
	.reset = gen_reset,
	.check = gen_check,
};
