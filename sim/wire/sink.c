/* SPDX-License-Identifier: MIT */
/* Wire "sink": counts and drops what the NIC transmits. Each frame is still
 * copied out of DMA memory, every byte, into a rotating pool of wire
 * buffers larger than the L2 cache, as a real NIC's DMA would move it
 * somewhere new, so benchmarks measure an honest data path (the same work
 * as DPDK's vhost copying each packet into a fresh mbuf). The copy writes
 * around the caches where it can (non-temporal stores), as a DMA write
 * does: nothing here reads the pool again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsrv.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define SINK_POOL (8u << 20)   /* bytes of destinations, above any L2 */
#define SINK_MAX  65536u

struct sink {
	uint64_t frames, bytes;
	uint32_t pos;              /* where the next frame goes */
	uint8_t buf[SINK_POOL + SINK_MAX] __attribute__((aligned(64)));
};

static int sink_open(struct vsrv_wire *w, const char *arg, const struct vsrv_conf *conf,
		     char *err, size_t errlen)
{
	(void)arg;
	(void)conf;
	w->priv = aligned_alloc(64, sizeof(struct sink));   /* the pool's alignment */
	if (w->priv)
		memset(w->priv, 0, sizeof(struct sink));
	if (!w->priv) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static void sink_close(struct vsrv_wire *w)
{
	free(w->priv);
	w->priv = NULL;
}

static int sink_send(struct vsrv_wire *w, const void *frame, uint32_t len)
{
	struct sink *s = w->priv;
	if (len > SINK_MAX)
		return -1;
	uint8_t *dst = s->buf + s->pos;   /* 64-byte aligned */
	const uint8_t *src = frame;
	uint32_t n = frame == dst ? 0 : len;   /* built in place: nothing to move */
#ifdef __SSE2__
	for (; n >= 64; n -= 64, src += 64, dst += 64)
		for (int k = 0; k < 64; k += 16)
			_mm_stream_si128((__m128i *)(void *)(dst + k),
					 _mm_loadu_si128((const __m128i *)(const void *)(src + k)));
#endif
	memcpy(dst, src, n);
	__asm__ __volatile__("" : : "r"(s->buf) : "memory");  /* keep the copy */
	s->pos += (len + 63) & ~63u;
	if (s->pos >= SINK_POOL)
		s->pos = 0;
	s->frames++;
	s->bytes += len;
	return 0;
}

static void *sink_tx_slot(struct vsrv_wire *w, uint32_t len)
{
	struct sink *s = w->priv;
	return len <= SINK_MAX ? s->buf + s->pos : NULL;
}

const struct vsrv_wire_ops vsrv_wire_sink = {
	.name = "sink",
	.flags = VSRV_WIRE_TX_STREAM,
	.open = sink_open,
	.close = sink_close,
	.send = sink_send,
	.tx_slot = sink_tx_slot,
};
