/* SPDX-License-Identifier: MIT */
/*
 * Wire "gen:SIZE": a traffic generator. Produces SIZE-byte frames as fast as
 * the NIC has RX buffers (a paced wire: it asks the core first):
 *   dst = device MAC, src 02:00:00:00:00:01, ethertype 0x88B5,
 *   bytes 14..17 = sequence number (32-bit little endian, from 0),
 *   byte i >= 18 = (seq + i) & 0xff.
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

#include "vionic/regs.h"
#include "vsrv.h"

#define GEN_POOL_BYTES (256u << 10)   /* templates: above any L1 */

struct gen {
	uint32_t size;
	uint32_t seq;
	uint32_t pool;    /* templates, a multiple of 256 */
	uint8_t mac[6];
	uint8_t *tmpl;    /* pool * size */
};

static const uint8_t k_gen_src[6] = { 0x02, 0, 0, 0, 0, 0x01 };

/* SIZE: a frame the device may receive, VIONIC_MIN_FRAME..MTU + 14 bytes
 * (DESIGN §4); 0, or -1 with a message. */
static int gen_size(const char *arg, const struct vsrv_conf *conf, unsigned long *size,
		    char *err, size_t errlen)
{
	char *end;
	unsigned long max = (unsigned long)conf->mtu + 14;

	errno = 0;
	*size = strtoul(arg, &end, 10);
	if (*arg < '0' || *arg > '9' || *end || errno || *size < VIONIC_MIN_FRAME || *size > max) {
		snprintf(err, errlen, "gen:SIZE needs a frame size from %d to %lu (MTU + 14), got '%s'",
			 VIONIC_MIN_FRAME, max, arg);
		return -1;
	}
	return 0;
}

static int gen_check(const char *arg, const struct vsrv_conf *conf, char *err, size_t errlen)
{
	unsigned long size;
	return gen_size(arg, conf, &size, err, errlen);
}

static int gen_open(struct vsrv_wire *w, const char *arg, const struct vsrv_conf *conf,
		    char *err, size_t errlen)
{
	unsigned long size;

	if (gen_size(arg, conf, &size, err, errlen) < 0)
		return -1;
	uint32_t pool = (uint32_t)((GEN_POOL_BYTES / size + 255) & ~255ul);
	struct gen *g = calloc(1, sizeof(*g));
	if (!g || !(g->tmpl = malloc((size_t)pool * size))) {
		free(g);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	g->size = (uint32_t)size;
	g->pool = pool;
	memcpy(g->mac, conf->mac, 6);
	for (unsigned p = 0; p < pool; p++) {
		uint8_t *f = g->tmpl + (size_t)p * size;
		for (unsigned i = 18; i < size; i++)
			f[i] = (uint8_t)(p + i);
	}
	w->priv = g;
	return 0;
}

static void gen_close(struct vsrv_wire *w)
{
	struct gen *g = w->priv;
	if (g) {
		free(g->tmpl);
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
	uint8_t *f = g->tmpl + (size_t)(g->seq % g->pool) * g->size;
	uint32_t s = g->seq;
	memcpy(f, g->mac, 6);
	memcpy(f + 6, k_gen_src, 6);
	f[12] = 0x88;
	f[13] = 0xB5;
	memcpy(f + 14, &s, 4);   /* little-endian hosts */
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
