/* SPDX-License-Identifier: MIT */
/* The services the runtime gives a device core (vsrv.h). */
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

#include "vsrv_internal.h"

uint64_t vsrv_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct vsrv_dma *vsrv_dev_dma(struct vsrv_dev *dev)
{
	return &dev->dma;
}

void *vsrv_dma(struct vsrv_dev *dev, uint64_t iova, uint64_t len, uint32_t prot)
{
	return vsrv_dma_ptr(&dev->dma, iova, len, prot);
}

int vsrv_wire_send(struct vsrv_dev *dev, const void *frame, uint32_t len)
{
	if (dev->capture)
		(void)vsrv_pcap_write(dev->capture, frame, len);
	return dev->wire.ops->send(&dev->wire, frame, len);
}

void *vsrv_wire_tx_slot(struct vsrv_dev *dev, uint32_t len)
{
	return dev->wire.ops->tx_slot ? dev->wire.ops->tx_slot(&dev->wire, len) : NULL;
}

int vsrv_wire_tx_stream(const struct vsrv_dev *dev)
{
	return !!(dev->wire.ops->flags & VSRV_WIRE_TX_STREAM);
}

void vsrv_wire_link(struct vsrv_dev *dev, int up)
{
	dev->link_up = up;
	if (dev->core && dev->core_ops->link)
		dev->core_ops->link(dev->core, up);
}

void vsrv_irq(struct vsrv_dev *dev, uint16_t vector)
{
	if (vector < dev->nvectors && dev->irq_fd[vector] >= 0) {
		uint64_t one = 1;
		ssize_t r = write(dev->irq_fd[vector], &one, sizeof(one));
		(void)r;
	}
}

void vsrv_log(struct vsrv_dev *dev, const char *fmt, ...)
{
	va_list ap;
	if (dev && dev->conf.quiet)
		return;
	char buf[512];
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vionic-server: %s\n", buf);
}
