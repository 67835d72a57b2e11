/* SPDX-License-Identifier: MIT */
/*
 * The server loop: one thread busy-polls the doorbell words of the shared
 * notify page, the wire and the core, without a system call per packet; the
 * control socket and the wire's housekeeping are looked at on a clock, and a
 * server idle for 20 us naps in short ppoll()s (README: "The server loop").
 */
#include <poll.h>
#include <time.h>

#include "vsrv_internal.h"

#define RX_BUDGET          64         /* wire frames offered to the core per iteration */
#define CLOCK_EVERY        64         /* iterations between clock reads */
#define CTRL_BUSY_NS       100000     /* control socket check while busy */
#define CTRL_IDLE_NS       10000      /* ... while idle */
#define CTRL_FAST_NS       (1000000)  /* after a message: check at every clock read for 1 ms */
#define NAP_AFTER_NS       20000      /* idle this long: sleep between polls ... */
#define NAP_NS             25000      /* ... this long (the wire and the control socket wake it) */
#define DROWSY_AFTER_NS    50000000   /* idle this long: sleep longer ... */
#define DROWSY_NS          50000      /* ... this long */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

void vsrv_serve_client(struct vsrv_server *s)
{
	struct vsrv_dev *dev = &s->dev;
	const struct vsrv_core_ops *core = dev->core_ops;
	void *c = dev->core;
	struct vsrv_wire *w = &dev->wire;
	const int paced = (w->ops->flags & VSRV_WIRE_PACED) != 0;
	const unsigned ndb = dev->ndoorbells;
	uint64_t iter = 0, now = vsrv_now_ns();
	uint64_t next_ctrl = now, last_work = now, last_msg = now, next_hk = now;
	int busy_since_clock = 1;

	while (!vsrv_stop) {
		int work = 0;

		/* doorbells: changed words of the notify page */
		for (unsigned q = 0; q < ndb; q++) {
			uint32_t v = __atomic_load_n(&dev->doorbell[q], __ATOMIC_ACQUIRE);
			if (v != dev->db_seen[q]) {
				dev->db_seen[q] = v;
				core->notify(c, (uint16_t)q, v);
				work = 1;
			}
		}
		/* wire -> core */
		if (w->ops->rx) {
			for (int i = 0; i < RX_BUDGET; i++) {
				const uint8_t *f;
				uint32_t len;
				if (paced && !core->rx_ready(c))
					break;
				if (!w->ops->rx(w, &f, &len))
					break;
				if (core->rx_frame(c, f, len) == VSRV_BUSY)
					break;
				if (dev->capture)
					(void)vsrv_pcap_write(dev->capture, f, len);
				w->ops->rx_done(w);
				work = 1;
			}
		}
		/* core work */
		if (core->poll(c))
			work = 1;
		if (vsrv_client_broken) {
			vsrv_client_broken = 0;
			vsrv_log(dev, "the client's DMA memory disappeared under the device "
				 "(memfd truncated?): dropping the client");
			return;
		}
		busy_since_clock |= work;

		if (!work)
			cpu_relax();   /* spare the sibling hyperthread while idle */
		if (++iter % CLOCK_EVERY)
			continue;
		now = vsrv_now_ns();
		if (busy_since_clock)
			last_work = now;
		busy_since_clock = 0;
		if (now >= next_hk) {
			if (w->ops->housekeep)
				w->ops->housekeep(w);
			next_hk = now + CTRL_BUSY_NS;
		}
		uint64_t idle = now - last_work;
		if (idle > NAP_AFTER_NS) {
			/* idle for a while: sleep briefly on the control socket and
			 * the wire, so an idle server leaves the CPU to the driver
			 * and the applications it serves (a doorbell waits at most
			 * one nap) */
			struct pollfd pfd[2] = { { .fd = s->cfd, .events = POLLIN } };
			int n = 1;
			if (w->ops->wait_fd && (pfd[1].fd = w->ops->wait_fd(w)) >= 0) {
				pfd[1].events = POLLIN;
				n = 2;
			}
			struct timespec ts = { 0, idle > DROWSY_AFTER_NS ? DROWSY_NS : NAP_NS };
			if (ppoll(pfd, (nfds_t)n, &ts, NULL) > 0) {
				if (pfd[0].revents)
					next_ctrl = now;
				if (n == 2 && pfd[1].revents && w->ops->housekeep)
					w->ops->housekeep(w);   /* e.g. accept, look at the socket now */
			}
		}
		if (now >= next_ctrl) {
			int r = vsrv_ctrl_poll(s);
			if (r < 0)
				return;  /* client gone */
			if (r > 0) {
				last_msg = vsrv_now_ns();
				last_work = last_msg;
			}
			if (now - last_msg < CTRL_FAST_NS)
				next_ctrl = now;
			else
				next_ctrl = now + (now - last_work < 1000000 ? CTRL_BUSY_NS : CTRL_IDLE_NS);
		}
	}
}

