/* SPDX-License-Identifier: MIT */
/*
 * The "sim" transport: a vfio-user client (QEMU docs/interop/vfio-user.rst)
 * over a UNIX stream socket to the vionic device server (DESIGN §5).
 *
 * Every request is synchronous with a deadline (VPMD_REQ_TIMEOUT_MS): the
 * socket is non-blocking and every wait is a poll() with the time left. A
 * closed, reset or silent server marks the link dead; from then on every
 * call returns VIONIC_ENODEV with a message that says to reopen.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vionic/vfio_user.h"
#include "vpmd.h"

#define SIM_MAX_AREAS 8

struct sim_area {
	uint64_t off, size;     /* inside the region */
	void    *va;
};

struct vpmd_sim {
	pthread_mutex_t lock;   /* one request at a time (a netdev thread and the caller's) */
	int      sock;
	uint16_t msg_id;
	bool     dead;
	int      last_errno;    /* errno of the last refused request */
	char     why[160];      /* why the link is dead */
	char     path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint32_t max_xfer;
	uint32_t num_irqs;
	struct sim_area areas[SIM_MAX_AREAS];   /* BAR0 sparse mmap areas */
	unsigned nareas;
	int      msix_count;
};

static inline struct vpmd_sim *sim(struct vionic_dev *dev)
{
	return dev->tp;
}

static const char *cmd_name(uint16_t cmd)
{
	static const char *const names[] = {
		[VFU_CMD_VERSION] = "VERSION", [VFU_CMD_DMA_MAP] = "DMA_MAP",
		[VFU_CMD_DMA_UNMAP] = "DMA_UNMAP", [VFU_CMD_DEVICE_GET_INFO] = "DEVICE_GET_INFO",
		[VFU_CMD_DEVICE_GET_REGION_INFO] = "DEVICE_GET_REGION_INFO",
		[VFU_CMD_DEVICE_GET_IRQ_INFO] = "DEVICE_GET_IRQ_INFO",
		[VFU_CMD_DEVICE_SET_IRQS] = "DEVICE_SET_IRQS", [VFU_CMD_REGION_READ] = "REGION_READ",
		[VFU_CMD_REGION_WRITE] = "REGION_WRITE", [VFU_CMD_DEVICE_RESET] = "DEVICE_RESET",
	};
	if (cmd < sizeof(names) / sizeof(names[0]) && names[cmd])
		return names[cmd];
	return "?";
}

static int sim_dead(struct vpmd_sim *s)
{
	return vpmd_err(VIONIC_ENODEV, "device server at %s is gone or hung (%s); "
			"close the device and open it again once the server runs", s->path, s->why);
}

static int sim_kill(struct vpmd_sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sim_kill(struct vpmd_sim *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->dead) {
		va_start(ap, fmt);
		vsnprintf(s->why, sizeof(s->why), fmt, ap);
		va_end(ap);
		s->dead = true;
	}
	return sim_dead(s);
}

/* Waits for `events` on the socket until deadline; 0, or ENODEV (timeout/hangup). */
static int sim_wait(struct vpmd_sim *s, short events, int64_t deadline, uint16_t cmd)
{
	for (;;) {
		struct pollfd p = { .fd = s->sock, .events = events };
		int64_t left = deadline - vpmd_mono_ms();
		int r;

		if (left < 0)
			left = 0;
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return sim_kill(s, "poll: %s", strerror(errno));
		if (r == 0)
			return sim_kill(s, "no answer to %s within %d ms%s", cmd_name(cmd),
					VPMD_REQ_TIMEOUT_MS, cmd == VFU_CMD_VERSION ?
					"; is another client connected? a device server "
					"serves one client at a time" : "");
		if (p.revents & (events | POLLHUP | POLLERR))
			return 0;
	}
}

static int sim_send(struct vpmd_sim *s, const struct iovec *iov_in, int iovcnt,
		    const int *fds, unsigned nfds, int64_t deadline, uint16_t cmd)
{
	struct iovec iov[4];
	char cbuf[CMSG_SPACE(sizeof(int) * VFU_MAX_FDS)];
	bool fds_sent = false;
	int i;

	memcpy(iov, iov_in, sizeof(iov[0]) * iovcnt);
	for (;;) {
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = iovcnt };
		ssize_t n;

		if (nfds && !fds_sent) {
			struct cmsghdr *c;

			memset(cbuf, 0, sizeof(cbuf));
			mh.msg_control = cbuf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
		}
		n = sendmsg(s->sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				int r = sim_wait(s, POLLOUT, deadline, cmd);
				if (r)
					return r;
				continue;
			}
			return sim_kill(s, "sending %s: %s", cmd_name(cmd), strerror(errno));
		}
		fds_sent = true;
		/* advance over what was sent */
		for (i = 0; i < iovcnt && n > 0; i++) {
			size_t k = (size_t)n < iov[i].iov_len ? (size_t)n : iov[i].iov_len;
			iov[i].iov_base = (char *)iov[i].iov_base + k;
			iov[i].iov_len -= k;
			n -= k;
		}
		while (iovcnt && iov[0].iov_len == 0) {
			memmove(iov, iov + 1, sizeof(iov[0]) * (iovcnt - 1));
			iovcnt--;
		}
		if (!iovcnt)
			return 0;
	}
}

/* Receives exactly len bytes (collecting any fds). */
static int sim_recv(struct vpmd_sim *s, void *buf, size_t len, int *fds, unsigned *nfds,
		    int64_t deadline, uint16_t cmd)
{
	size_t got = 0;

	while (got < len) {
		char cbuf[CMSG_SPACE(sizeof(int) * VFU_MAX_FDS)];
		struct iovec iov = { (char *)buf + got, len - got };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c;
		ssize_t n = recvmsg(s->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				int r = sim_wait(s, POLLIN, deadline, cmd);
				if (r)
					return r;
				continue;
			}
			return sim_kill(s, "receiving the %s reply: %s", cmd_name(cmd), strerror(errno));
		}
		if (n == 0)
			return sim_kill(s, "server closed the connection during %s", cmd_name(cmd));
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				unsigned k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int), j;
				int *p = (int *)CMSG_DATA(c);

				for (j = 0; j < k; j++) {
					if (fds && nfds && *nfds < VFU_MAX_FDS)
						fds[(*nfds)++] = p[j];
					else
						close(p[j]);
				}
			}
		}
		got += n;
	}
	return 0;
}

/*
 * One request/reply exchange. `reply` receives the reply payload (after the
 * header), at most reply_cap bytes; *reply_len gets the payload size the
 * server sent. Received fds go to rfds (caller closes) or are closed.
 */
static int sim_exchange(struct vionic_dev *dev, uint16_t cmd, const void *req, uint32_t req_len,
			const void *req2, uint32_t req2_len, const int *fds, unsigned nfds,
			void *reply, uint32_t reply_cap, uint32_t *reply_len,
			int *rfds, unsigned *nrfds)
{
	struct vpmd_sim *s = sim(dev);
	struct vfu_hdr h = { 0 }, rh;
	struct iovec iov[3];
	int iovcnt = 0, r;
	int64_t deadline = vpmd_mono_ms() + VPMD_REQ_TIMEOUT_MS;
	uint32_t plen;
	unsigned got_fds = 0;
	int tmpfds[VFU_MAX_FDS];

	if (s->dead)
		return sim_dead(s);
	h.msg_id = ++s->msg_id;
	h.command = cmd;
	h.size = sizeof(h) + req_len + req2_len;
	h.flags = VFU_FLAG_TYPE_COMMAND;
	iov[iovcnt++] = (struct iovec){ &h, sizeof(h) };
	if (req_len)
		iov[iovcnt++] = (struct iovec){ (void *)req, req_len };
	if (req2_len)
		iov[iovcnt++] = (struct iovec){ (void *)req2, req2_len };
	r = sim_send(s, iov, iovcnt, fds, nfds, deadline, cmd);
	if (r)
		return r;
	r = sim_recv(s, &rh, sizeof(rh), tmpfds, &got_fds, deadline, cmd);
	if (r)
		goto out;
	if (rh.msg_id != h.msg_id || rh.command != cmd ||
	    (rh.flags & VFU_FLAG_TYPE_MASK) != VFU_FLAG_TYPE_REPLY ||
	    rh.size < sizeof(rh) || rh.size > VFU_MAX_MSG_SIZE) {
		r = sim_kill(s, "bad reply to %s (msg_id %u/%u, command %u, flags 0x%x, size %u)",
			     cmd_name(cmd), rh.msg_id, h.msg_id, rh.command, rh.flags, rh.size);
		r = vpmd_err(VIONIC_EPROTO, "device server sent a malformed reply to %s; "
			     "the link is closed, reopen the device (%s)", cmd_name(cmd), s->why);
		goto out;
	}
	plen = rh.size - sizeof(rh);
	if (plen) {
		uint32_t take = plen < reply_cap ? plen : reply_cap;
		if (take) {
			r = sim_recv(s, reply, take, tmpfds, &got_fds, deadline, cmd);
			if (r)
				goto out;
		}
		while (take < plen) {
			char junk[256];
			uint32_t k = plen - take < sizeof(junk) ? plen - take : sizeof(junk);
			r = sim_recv(s, junk, k, tmpfds, &got_fds, deadline, cmd);
			if (r)
				goto out;
			take += k;
		}
	}
	if (reply_len)
		*reply_len = plen;
	if (rh.flags & VFU_FLAG_ERROR) {
		s->last_errno = (int)rh.error;
		r = vpmd_err(VIONIC_EPROTO, "device server refused %s: %s", cmd_name(cmd),
			     strerror((int)rh.error));
		goto out;
	}
	if (rfds && nrfds) {
		memcpy(rfds, tmpfds, sizeof(int) * got_fds);
		*nrfds = got_fds;
		got_fds = 0;
	}
	r = 0;
out:
	for (unsigned i = 0; i < got_fds; i++)
		close(tmpfds[i]);
	return r;
}

/* One request and its reply, never interleaved with another thread's. */
static int sim_request(struct vionic_dev *dev, uint16_t cmd, const void *req, uint32_t req_len,
		       const void *req2, uint32_t req2_len, const int *fds, unsigned nfds,
		       void *reply, uint32_t reply_cap, uint32_t *reply_len,
		       int *rfds, unsigned *nrfds)
{
	struct vpmd_sim *s = sim(dev);
	pthread_mutex_lock(&s->lock);
	int r = sim_exchange(dev, cmd, req, req_len, req2, req2_len, fds, nfds, reply, reply_cap,
			     reply_len, rfds, nrfds);
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* ---- region access --------------------------------------------------- */
/* A refused REGION_READ/WRITE says which access and why (a dead link keeps
 * its own message). */
static int sim_refused(struct vpmd_sim *s, int r, const char *what, uint32_t n, uint32_t off,
		       unsigned region)
{
	if (r == VIONIC_EPROTO && !s->dead)
		vpmd_err(r, "device server refused to %s %u bytes at 0x%x of region %u (%s); "
			 "check offset and size against the register map", what, n, off, region,
			 strerror(s->last_errno));
	return r;
}

static int sim_region_read(struct vionic_dev *dev, unsigned region, uint32_t off, void *buf,
			   uint32_t len)
{
	struct vpmd_sim *s = sim(dev);

	while (len) {
		uint32_t n = len < s->max_xfer ? len : s->max_xfer;
		struct vfu_region_access req = { .offset = off, .region = region, .count = n };
		uint8_t rep[sizeof(struct vfu_region_access) + 4096];
		uint8_t *big = NULL, *rp = rep;
		uint32_t rlen;
		int r;

		if (n > 4096) {
			big = malloc(sizeof(req) + n);
			if (!big)
				return vpmd_err(VIONIC_ENOMEM, "out of memory");
			rp = big;
		}
		r = sim_request(dev, VFU_CMD_REGION_READ, &req, sizeof(req), NULL, 0, NULL, 0,
				rp, sizeof(req) + n, &rlen, NULL, NULL);
		if (!r && (rlen < sizeof(req) + n ||
			   ((struct vfu_region_access *)rp)->count != n)) {
			r = vpmd_err(VIONIC_EPROTO, "REGION_READ of region %u offset 0x%x: short "
				     "reply (%u bytes for %u)", region, off, rlen, n);
		}
		if (!r)
			memcpy(buf, rp + sizeof(req), n);
		free(big);
		if (r)
			return sim_refused(s, r, "read", n, off, region);
		buf = (uint8_t *)buf + n;
		off += n;
		len -= n;
	}
	return 0;
}

static int sim_region_write(struct vionic_dev *dev, unsigned region, uint32_t off,
			    const void *buf, uint32_t len)
{
	struct vpmd_sim *s = sim(dev);

	while (len) {
		uint32_t n = len < s->max_xfer ? len : s->max_xfer;
		struct vfu_region_access req = { .offset = off, .region = region, .count = n };
		struct vfu_region_access rep;
		uint32_t rlen;
		int r = sim_request(dev, VFU_CMD_REGION_WRITE, &req, sizeof(req), buf, n, NULL, 0,
				    &rep, sizeof(rep), &rlen, NULL, NULL);
		if (r)
			return sim_refused(s, r, "write", n, off, region);
		buf = (const uint8_t *)buf + n;
		off += n;
		len -= n;
	}
	return 0;
}

static int sim_cfg_read(struct vionic_dev *dev, uint32_t off, void *buf, uint32_t len)
{
	return sim_region_read(dev, VFU_PCI_CONFIG_REGION, off, buf, len);
}

static int sim_bar_read(struct vionic_dev *dev, unsigned bar, uint32_t off, void *buf,
			uint32_t len)
{
	return sim_region_read(dev, bar, off, buf, len);
}

static int sim_bar_write(struct vionic_dev *dev, unsigned bar, uint32_t off, const void *buf,
			 uint32_t len)
{
	return sim_region_write(dev, bar, off, buf, len);
}

static volatile void *sim_bar_map(struct vionic_dev *dev, unsigned bar, uint32_t off,
				  uint32_t len)
{
	struct vpmd_sim *s = sim(dev);

	if (bar != VFU_PCI_BAR0_REGION)
		return NULL;
	for (unsigned i = 0; i < s->nareas; i++) {
		struct sim_area *a = &s->areas[i];
		if (a->va && off >= a->off && (uint64_t)off + len <= a->off + a->size)
			return (volatile uint8_t *)a->va + (off - a->off);
	}
	return NULL;
}

/* ---- DMA, IRQs, reset ------------------------------------------------ */
static int sim_dma_map(struct vionic_dev *dev, int fd, uint64_t fd_off, uint64_t iova,
		       uint64_t size)
{
	struct vfu_dma_map m = {
		.argsz = sizeof(m), .flags = VFU_DMA_FLAG_READ | VFU_DMA_FLAG_WRITE,
		.offset = fd_off, .addr = iova, .size = size,
	};
	int r = sim_request(dev, VFU_CMD_DMA_MAP, &m, sizeof(m), NULL, 0, &fd, 1,
			    NULL, 0, NULL, NULL, NULL);

	if (r == VIONIC_EPROTO)
		return vpmd_err(r, "device server refused DMA_MAP of %llu bytes at IOVA 0x%llx: %s",
				(unsigned long long)size, (unsigned long long)iova,
				vionic_last_error());
	return r;
}

static int sim_dma_unmap(struct vionic_dev *dev, uint64_t iova, uint64_t size)
{
	struct vfu_dma_unmap m = { .argsz = sizeof(m), .flags = 0, .addr = iova, .size = size };
	uint8_t rep[64];

	return sim_request(dev, VFU_CMD_DMA_UNMAP, &m, sizeof(m), NULL, 0, NULL, 0,
			   rep, sizeof(rep), NULL, NULL, NULL);
}

static int sim_irq_count(struct vionic_dev *dev)
{
	return sim(dev)->msix_count;
}

/* Eventfds for vectors 0..n-1 (n = 0: none), VFU_MAX_FDS per message. */
static int sim_irq_set(struct vionic_dev *dev, const int *efds, unsigned n)
{
	unsigned start = 0;
	uint8_t rep[64];
	int r;

	do {
		unsigned k = n - start < VFU_MAX_FDS ? n - start : VFU_MAX_FDS;
		struct vfu_irq_set set = {
			.argsz = sizeof(set), .index = VFU_PCI_MSIX_IRQ, .start = start, .count = k,
			.flags = VFU_IRQ_SET_ACTION_TRIGGER |
				 (k ? VFU_IRQ_SET_DATA_EVENTFD : VFU_IRQ_SET_DATA_NONE),
		};
		if ((r = sim_request(dev, VFU_CMD_DEVICE_SET_IRQS, &set, sizeof(set), NULL, 0,
				     efds + start, k, rep, sizeof(rep), NULL, NULL, NULL)))
			return r;
		start += k;
	} while (start < n);
	return 0;
}

static int sim_device_reset(struct vionic_dev *dev)
{
	return sim_request(dev, VFU_CMD_DEVICE_RESET, NULL, 0, NULL, 0, NULL, 0,
			   NULL, 0, NULL, NULL, NULL);
}

static int sim_check(struct vionic_dev *dev)
{
	struct vpmd_sim *s = sim(dev);
	struct pollfd p = { .fd = s->sock, .events = POLLIN | POLLRDHUP };

	if (s->dead)
		return sim_dead(s);
	if (poll(&p, 1, 0) > 0) {
		if (p.revents & (POLLHUP | POLLERR | POLLRDHUP | POLLNVAL))
			return sim_kill(s, "the socket was hung up by the server");
		if (p.revents & POLLIN) {
			char c;
			ssize_t n = recv(s->sock, &c, 1, MSG_PEEK | MSG_DONTWAIT);
			if (n == 0)
				return sim_kill(s, "the server closed the connection");
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return sim_kill(s, "socket error: %s", strerror(errno));
		}
	}
	return 0;
}

static int sim_event_fd(struct vionic_dev *dev)
{
	return sim(dev)->sock;
}

/* ---- open / close ------------------------------------------------------ */
static int sim_region_info(struct vionic_dev *dev, unsigned index, uint8_t *buf, uint32_t cap,
			   int *fd)
{
	struct vfu_region_info req = { .argsz = cap, .index = index };
	struct vfu_region_info *ri = (struct vfu_region_info *)buf;
	int fds[VFU_MAX_FDS];
	unsigned nfds = 0;
	uint32_t rlen;
	int r;

	*fd = -1;
	r = sim_request(dev, VFU_CMD_DEVICE_GET_REGION_INFO, &req, sizeof(req), NULL, 0, NULL, 0,
			buf, cap, &rlen, fds, &nfds);
	if (r)
		return r;
	if (rlen < sizeof(*ri) || ri->index != index) {
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		return vpmd_err(VIONIC_EPROTO, "DEVICE_GET_REGION_INFO(%u): short or wrong reply",
				index);
	}
	if (nfds) {
		*fd = fds[0];
		for (unsigned i = 1; i < nfds; i++)
			close(fds[i]);
	}
	if (rlen < cap)
		memset(buf + rlen, 0, cap - rlen);
	return 0;
}

static int sim_setup_bar0(struct vionic_dev *dev)
{
	struct vpmd_sim *s = sim(dev);
	uint8_t buf[1024];
	struct vfu_region_info *ri = (struct vfu_region_info *)buf;
	int fd = -1, r;

	r = sim_region_info(dev, VFU_PCI_CONFIG_REGION, buf, sizeof(struct vfu_region_info), &fd);
	if (r)
		return r;
	if (fd >= 0)
		close(fd);
	if (ri->size < VIONIC_PCI_CONFIG_SIZE)
		return vpmd_err(VIONIC_EPROTO, "config region is %llu bytes; a vionic device "
				"serves %d", (unsigned long long)ri->size, VIONIC_PCI_CONFIG_SIZE);

	r = sim_region_info(dev, VFU_PCI_BAR0_REGION, buf, sizeof(buf), &fd);
	if (r)
		return r;
	if (ri->argsz > sizeof(buf)) {
		if (fd >= 0)
			close(fd);
		return vpmd_err(VIONIC_EPROTO, "BAR0 region info needs %u bytes (> %zu)",
				ri->argsz, sizeof(buf));
	}
	if (ri->size < VIONIC_BAR0_SIZE) {
		if (fd >= 0)
			close(fd);
		return vpmd_err(VIONIC_EPROTO, "BAR0 is %llu bytes; the vionic register map "
				"needs 0x%x", (unsigned long long)ri->size, VIONIC_BAR0_SIZE);
	}
	/* walk the capability chain for the sparse mmap areas */
	if (fd >= 0 && (ri->flags & VFU_REGION_FLAG_MMAP) && (ri->flags & VFU_REGION_FLAG_CAPS)) {
		uint32_t off = ri->cap_offset;
		unsigned guard = 0;

		while (off && off + sizeof(struct vfu_cap_header) <= sizeof(buf) && guard++ < 16) {
			struct vfu_cap_header *ch = (struct vfu_cap_header *)(buf + off);

			if (ch->id == VFU_REGION_INFO_CAP_SPARSE_MMAP &&
			    off + sizeof(struct vfu_cap_sparse_mmap) <= sizeof(buf)) {
				struct vfu_cap_sparse_mmap *sm = (struct vfu_cap_sparse_mmap *)ch;
				for (uint32_t i = 0; i < sm->nr_areas && s->nareas < SIM_MAX_AREAS; i++) {
					struct vfu_sparse_mmap_area *a = &sm->areas[i];
					void *va;

					if ((uint8_t *)(a + 1) > buf + sizeof(buf) || !a->size)
						break;
					va = mmap(NULL, a->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
						  (off_t)(ri->offset + a->offset));
					if (va == MAP_FAILED)
						continue;  /* falls back to REGION_WRITE doorbells */
					s->areas[s->nareas++] = (struct sim_area){ a->offset, a->size, va };
				}
			}
			if (ch->next <= off)
				break;
			off = ch->next;
		}
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

static void sim_close(struct vionic_dev *dev)
{
	struct vpmd_sim *s = sim(dev);

	if (!s)
		return;
	for (unsigned i = 0; i < s->nareas; i++)
		if (s->areas[i].va)
			munmap(s->areas[i].va, s->areas[i].size);
	if (s->sock >= 0)
		close(s->sock);
	pthread_mutex_destroy(&s->lock);
	free(s);
	dev->tp = NULL;
}

static int sim_open(struct vionic_dev *dev, const char *path)
{
	struct vpmd_sim *s;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char vbuf[512];
	struct vfu_version *v = (struct vfu_version *)vbuf;
	static const char caps[] =
		"{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576}}";
	struct vfu_device_info di = { .argsz = sizeof(di) };
	struct vfu_irq_info ii = { .argsz = sizeof(ii), .index = VFU_PCI_MSIX_IRQ };
	uint32_t rlen;
	int r;

	if (!*path)
		return vpmd_err(VIONIC_EURI, "URI \"sim:\" has no socket path; use sim:/path/to/socket");
	if (strlen(path) >= sizeof(sa.sun_path))
		return vpmd_err(VIONIC_EURI, "socket path \"%s\" is longer than %zu bytes; use a "
				"shorter path", path, sizeof(sa.sun_path) - 1);
	s = calloc(1, sizeof(*s));
	if (!s)
		return vpmd_err(VIONIC_ENOMEM, "out of memory");
	pthread_mutex_init(&s->lock, NULL);
	dev->tp = s;
	strcpy(s->path, path);
	strcpy(sa.sun_path, path);
	s->max_xfer = 4096;
	s->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->sock < 0) {
		r = vpmd_err(VIONIC_ENODEV, "socket: %s", strerror(errno));
		goto fail;
	}
	if (connect(s->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINPROGRESS || errno == EAGAIN) {
			struct pollfd p = { .fd = s->sock, .events = POLLOUT };
			int err = 0;
			socklen_t el = sizeof(err);

			if (poll(&p, 1, VPMD_REQ_TIMEOUT_MS) <= 0 ||
			    getsockopt(s->sock, SOL_SOCKET, SO_ERROR, &err, &el) || err) {
				r = vpmd_err(VIONIC_ENODEV, "cannot connect to the device server at %s: "
					     "%s; is it running and accepting?", path,
					     err ? strerror(err) : "timed out");
				goto fail;
			}
		} else {
			r = vpmd_err(VIONIC_ENODEV, "cannot connect to the device server at %s: %s; "
				     "start one (vionic model, vionic rtl or "
				     "build/bin/vionic-server --socket %s)",
				     path, strerror(errno), path);
			goto fail;
		}
	}

	/* VERSION */
	memset(vbuf, 0, sizeof(vbuf));
	v->major = VFU_VERSION_MAJOR;
	v->minor = VFU_VERSION_MINOR;
	memcpy(v->caps, caps, sizeof(caps));
	r = sim_request(dev, VFU_CMD_VERSION, vbuf, sizeof(*v) + sizeof(caps), NULL, 0, NULL, 0,
			vbuf, sizeof(vbuf) - 1, &rlen, NULL, NULL);
	if (r)
		goto fail;
	vbuf[rlen < sizeof(vbuf) ? rlen : sizeof(vbuf) - 1] = 0;
	if (rlen < sizeof(*v) || v->major != VFU_VERSION_MAJOR) {
		r = vpmd_err(VIONIC_EPROTO, "device server speaks vfio-user %u.%u; libvionic needs "
			     "%d.x", v->major, v->minor, VFU_VERSION_MAJOR);
		goto fail;
	}
	{
		const char *p = strstr(v->caps, "\"max_data_xfer_size\"");
		if (p && (p = strchr(p, ':'))) {
			unsigned long x = strtoul(p + 1, NULL, 10);
			if (x >= 8)
				s->max_xfer = x < VFU_MAX_DATA_XFER ? (uint32_t)x : VFU_MAX_DATA_XFER;
		}
	}

	/* DEVICE_GET_INFO */
	r = sim_request(dev, VFU_CMD_DEVICE_GET_INFO, &di, sizeof(di), NULL, 0, NULL, 0,
			&di, sizeof(di), &rlen, NULL, NULL);
	if (r)
		goto fail;
	if (rlen < sizeof(di) || !(di.flags & VFU_DEVICE_FLAGS_PCI) ||
	    di.num_regions <= VFU_PCI_CONFIG_REGION) {
		r = vpmd_err(VIONIC_EPROTO, "device at %s is not a vfio-user PCI device "
			     "(flags 0x%x, %u regions)", path, di.flags, di.num_regions);
		goto fail;
	}
	s->num_irqs = di.num_irqs;

	r = sim_setup_bar0(dev);
	if (r)
		goto fail;

	/* MSI-X vectors */
	if (s->num_irqs > VFU_PCI_MSIX_IRQ) {
		r = sim_request(dev, VFU_CMD_DEVICE_GET_IRQ_INFO, &ii, sizeof(ii), NULL, 0, NULL, 0,
				&ii, sizeof(ii), &rlen, NULL, NULL);
		if (r)
			goto fail;
		if (rlen >= sizeof(ii) && (ii.flags & VFU_IRQ_INFO_EVENTFD))
			s->msix_count = (int)ii.count;
	}
	return 0;
fail:
	sim_close(dev);
	return r;
}

const struct vpmd_transport_ops vpmd_sim_ops = {
	.open = sim_open,
	.close = sim_close,
	.cfg_read = sim_cfg_read,
	.bar_read = sim_bar_read,
	.bar_write = sim_bar_write,
	.bar_map = sim_bar_map,
	.dma_map = sim_dma_map,
	.dma_unmap = sim_dma_unmap,
	.irq_set = sim_irq_set,
	.irq_count = sim_irq_count,
	.device_reset = sim_device_reset,
	.check = sim_check,
	.event_fd = sim_event_fd,
};
