/* SPDX-License-Identifier: MIT */
/* Wire "sink": counts and drops what the NIC transmits. Each frame is still
 * copied out of DMA memory, every byte, into a rotating pool of wire
 * buffers larger than the L2 cache, as a real NIC's DMA would move it
 * somewhere new, so benchmarks measure an honest data path (the same work
 * as DPDK's vhost copying each packet into a fresh mbuf). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsrv.h"

#define SINK_POOL (8u << 20)   /* bytes of destinations, above any L2 */
#define SINK_MAX  65536u

struct sink {
	uint64_t frames, bytes;
	uint32_t pos;              /* where the next frame goes */
	uint8_t buf[SINK_POOL + SINK_MAX];
};

static int sink_open(struct vsrv_wire *w, const char *arg, const struct vsrv_conf *conf,
		     char *err, size_t errlen)
{
	(void)arg;
	(void)conf;
	w->priv = calloc(1, sizeof(struct sink));
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
	memcpy(s->buf + s->pos, frame, len);
	__asm__ __volatile__("" : : "r"(s->buf) : "memory");  /* keep the copy */
	s->pos += (len + 63) & ~63u;
	if (s->pos >= SINK_POOL)
		s->pos = 0;
	s->frames++;
	s->bytes += len;
	return 0;
}

const struct vsrv_wire_ops vsrv_wire_sink = {
	.name = "sink",
	.open = sink_open,
	.close = sink_close,
	.send = sink_send,
};
