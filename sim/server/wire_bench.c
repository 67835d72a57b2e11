/* SPDX-License-Identifier: MIT */
/*
 * A wire's transmit path alone, outside any device: what the wire does with
 * every frame a device sends (the sink's copy into its pool, for one), timed
 * on the calling thread. The frames are read from `nsrc` buffers `stride`
 * bytes apart, in turn, as a device reads them from a driver's TX ring, so
 * the reads cost what the device's cost. A device sends no faster than its
 * wire takes frames: `make bench` prints this beside txonly.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vionic_server.h"
#include "vsrv_internal.h"

#define BATCH 1024u   /* frames between two looks at the clock */

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int vionic_server_wire_bench(const char *spec, uint32_t size, uint32_t nsrc, uint32_t stride,
			     double seconds, struct vionic_wire_bench *res, char *err,
			     size_t errlen)
{
	struct vsrv_conf conf = { .mtu = VIONIC_DEFAULT_MTU };
	struct vsrv_wire w = { 0 };
	const char *arg;
	uint8_t *src;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	if (!size || !nsrc || stride < size || !(seconds > 0)) {
		snprintf(err, errlen, "wire bench: size %u, %u sources %u bytes apart, %.3f s: "
			 "use a size of 1..stride and a positive duration", size, nsrc, stride,
			 seconds);
		return -1;
	}
	w.ops = vsrv_find_wire(spec, &conf, &arg, err, errlen);
	if (!w.ops)
		return -1;
	src = aligned_alloc(64, ((size_t)nsrc * stride + 63) & ~(size_t)63);
	if (!src) {
		snprintf(err, errlen, "wire bench: out of memory for %u sources", nsrc);
		return -1;
	}
	for (size_t i = 0; i < (size_t)nsrc * stride; i++)   /* every line present */
		src[i] = (uint8_t)(i * 7 + 3);
	if (w.ops->open(&w, arg, &conf, err, errlen))
		goto out;
	const double t0 = now_s();
	double t = t0;
	uint32_t k = 0;
	do {
		for (unsigned i = 0; i < BATCH; i++, k = k + 1 == nsrc ? 0 : k + 1)
			if (w.ops->send(&w, src + (size_t)k * stride, size) == 0)
				res->frames++;
			else
				res->drops++;
		t = now_s();
	} while (t - t0 < seconds);
	res->seconds = t - t0;
	res->mpps = (double)res->frames / res->seconds / 1e6;
	w.ops->close(&w);
	rc = 0;
out:
	free(src);
	return rc;
}
