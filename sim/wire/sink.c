/* SPDX-License-Identifier: MIT */
/* Wire "sink": counts and drops what the NIC transmits. Each frame is still
 * copied out of DMA memory into a wire buffer, as a real NIC's DMA would, so
 * benchmarks measure an honest data path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsrv.h"

struct sink {
	uint64_t frames, bytes;
	uint8_t buf[65536];
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
	if (len > sizeof(s->buf))
		return -1;
	memcpy(s->buf, frame, len);
	__asm__ __volatile__("" : : "r"(s->buf) : "memory");  /* keep the copy */
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
