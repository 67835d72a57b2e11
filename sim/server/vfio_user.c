/* SPDX-License-Identifier: MIT */
/*
 * The vfio-user messages of DESIGN §5 on the client's UNIX stream socket:
 * reading a request with its SCM_RIGHTS file descriptors, one handler per
 * command, the reply.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vsrv_internal.h"

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Reads exactly len bytes, collecting SCM_RIGHTS fds. 0, or -1 (client gone
 * or broken: drop it). */
static int recv_full(int fd, uint8_t *buf, size_t len, int *fds, int *nfds)
{
	size_t got = 0;
	while (got < len) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * VFU_MAX_FDS)];
			struct cmsghdr align;
		} cbuf;
		struct iovec iov = { buf + got, len - got };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf) };
		ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR && !vsrv_stop)
			continue;
		if (n <= 0)
			return -1;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			int *p = (int *)CMSG_DATA(c);
			for (int i = 0; i < k; i++) {
				if (*nfds < VFU_MAX_FDS)
					fds[(*nfds)++] = p[i];
				else
					close(p[i]);
			}
		}
		if (mh.msg_flags & MSG_CTRUNC)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static int send_reply(struct vsrv_server *s, const struct vfu_hdr *req, uint32_t err,
		      const void *payload, uint32_t plen, int fd)
{
	struct vfu_hdr h = {
		.msg_id = req->msg_id, .command = req->command,
		.size = (uint32_t)sizeof(h) + (err ? 0 : plen),
		.flags = VFU_FLAG_TYPE_REPLY | (err ? VFU_FLAG_ERROR : 0), .error = err,
	};
	if (req->flags & VFU_FLAG_NO_REPLY)
		return 0;
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)payload, err ? 0 : plen } };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	if (fd >= 0 && !err) {
		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	size_t total = sizeof(h) + iov[1].iov_len, sent = 0;
	while (sent < total) {
		ssize_t n = sendmsg(s->cfd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR && !vsrv_stop)
			continue;
		if (n <= 0)
			return -1;
		sent += (size_t)n;
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		/* advance the iovecs */
		size_t k = (size_t)n;
		while (mh.msg_iovlen && k >= mh.msg_iov[0].iov_len) {
			k -= mh.msg_iov[0].iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen) {
			mh.msg_iov[0].iov_base = (uint8_t *)mh.msg_iov[0].iov_base + k;
			mh.msg_iov[0].iov_len -= k;
		}
	}
	return 0;
}

/* A reply under construction: payload in the server's txbuf, optional fd. */
struct reply {
	uint8_t *out;
	uint32_t len;
	int fd;
};

static const char k_caps[] =
	"{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576}}";

static uint32_t cmd_version(const uint8_t *p, uint32_t plen, struct reply *r)
{
	struct vfu_version v;
	if (plen < sizeof(v))
		return EINVAL;
	memcpy(&v, p, sizeof(v));
	if (v.major != VFU_VERSION_MAJOR)
		return ENOTSUP;
	struct vfu_version ours = { VFU_VERSION_MAJOR, VFU_VERSION_MINOR };
	memcpy(r->out, &ours, sizeof(ours));
	memcpy(r->out + sizeof(ours), k_caps, sizeof(k_caps));
	r->len = (uint32_t)(sizeof(ours) + sizeof(k_caps));
	return 0;
}

static uint32_t cmd_dma_map(struct vsrv_dev *dev, const uint8_t *p, uint32_t plen,
			    const int *fds, int nfds)
{
	struct vfu_dma_map m;
	if (plen < sizeof(m) || nfds != 1)
		return EINVAL;
	memcpy(&m, p, sizeof(m));
	uint32_t prot = m.flags & (VFU_DMA_FLAG_READ | VFU_DMA_FLAG_WRITE);
	if (!prot)
		prot = VSRV_DMA_READ | VSRV_DMA_WRITE;
	else
		prot = ((prot & VFU_DMA_FLAG_READ) ? VSRV_DMA_READ : 0) |
		       ((prot & VFU_DMA_FLAG_WRITE) ? VSRV_DMA_WRITE : 0);
	return (uint32_t)-vsrv_dma_map(&dev->dma, fds[0], m.offset, m.addr, m.size, prot);
}

static uint32_t cmd_dma_unmap(struct vsrv_dev *dev, const uint8_t *p, uint32_t plen,
			      struct reply *r)
{
	struct vfu_dma_unmap u;
	if (plen < sizeof(u))
		return EINVAL;
	memcpy(&u, p, sizeof(u));
	memcpy(r->out, &u, sizeof(u));
	r->len = sizeof(u);
	return (uint32_t)-vsrv_dma_unmap(&dev->dma, u.addr, u.size);
}

static uint32_t cmd_device_info(uint32_t plen, struct reply *r)
{
	if (plen < sizeof(uint32_t))
		return EINVAL;
	struct vfu_device_info di = {
		.argsz = sizeof(di), .flags = VFU_DEVICE_FLAGS_PCI | VFU_DEVICE_FLAGS_RESET,
		.num_regions = VFU_PCI_NUM_REGIONS, .num_irqs = VFU_PCI_NUM_IRQS,
	};
	memcpy(r->out, &di, sizeof(di));
	r->len = sizeof(di);
	return 0;
}

/* BAR0 comes with a sparse-mmap capability: the notify page, whose fd goes
 * with the reply. */
static uint32_t cmd_region_info(struct vsrv_dev *dev, const uint8_t *p, uint32_t plen,
				struct reply *r)
{
	struct vfu_region_info ri;
	if (plen < sizeof(ri))
		return EINVAL;
	memcpy(&ri, p, sizeof(ri));
	if (ri.index >= VFU_PCI_NUM_REGIONS)
		return EINVAL;
	struct {
		struct vfu_region_info info;
		struct vfu_cap_sparse_mmap cap;
		struct vfu_sparse_mmap_area area;
	} full;
	memset(&full, 0, sizeof(full));
	full.info.index = ri.index;
	full.info.argsz = sizeof(full.info);
	if (ri.index == VFU_PCI_BAR0_REGION) {
		full.info.argsz = sizeof(full);
		full.info.flags = VFU_REGION_FLAG_READ | VFU_REGION_FLAG_WRITE |
				  VFU_REGION_FLAG_MMAP | VFU_REGION_FLAG_CAPS;
		full.info.size = VIONIC_BAR0_SIZE;
		full.info.offset = 0;
		full.info.cap_offset = sizeof(full.info);
		full.cap.header.id = VFU_REGION_INFO_CAP_SPARSE_MMAP;
		full.cap.header.version = 1;
		full.cap.header.next = 0;
		full.cap.nr_areas = 1;
		full.area.offset = VIONIC_NOTIFY;
		full.area.size = VIONIC_NOTIFY_SIZE;
	} else if (ri.index == VFU_PCI_CONFIG_REGION) {
		full.info.flags = VFU_REGION_FLAG_READ;
		full.info.size = VIONIC_PCI_CONFIG_SIZE;
	}
	if (ri.argsz >= full.info.argsz) {
		r->len = full.info.argsz;
		if (ri.index == VFU_PCI_BAR0_REGION)
			r->fd = dev->notify_fd;
	} else {
		/* too small: the client retries with argsz = full.info.argsz */
		full.info.cap_offset = 0;
		r->len = sizeof(full.info);
	}
	memcpy(r->out, &full, r->len);
	return 0;
}

static uint32_t cmd_irq_info(const struct vsrv_dev *dev, const uint8_t *p, uint32_t plen,
			     struct reply *r)
{
	struct vfu_irq_info ii;
	if (plen < sizeof(ii))
		return EINVAL;
	memcpy(&ii, p, sizeof(ii));
	if (ii.index >= VFU_PCI_NUM_IRQS)
		return EINVAL;
	ii.argsz = sizeof(ii);
	ii.flags = ii.index == VFU_PCI_MSIX_IRQ ? VFU_IRQ_INFO_EVENTFD : 0;
	ii.count = ii.index == VFU_PCI_MSIX_IRQ ? dev->nvectors : 0;
	memcpy(r->out, &ii, sizeof(ii));
	r->len = sizeof(ii);
	return 0;
}

/* MSI-X only: eventfds for vectors (taken from fds), or a trigger / clear
 * without data. */
static uint32_t cmd_set_irqs(struct vsrv_dev *dev, const uint8_t *p, uint32_t plen,
			     int *fds, int nfds)
{
	struct vfu_irq_set is;
	if (plen < sizeof(is))
		return EINVAL;
	memcpy(&is, p, sizeof(is));
	if (is.index >= VFU_PCI_NUM_IRQS)
		return EINVAL;
	if (is.index != VFU_PCI_MSIX_IRQ)
		return is.count != 0 || nfds ? EINVAL : 0;
	int in_range = is.start <= dev->nvectors && is.count <= dev->nvectors - is.start;
	if (is.flags & VFU_IRQ_SET_DATA_EVENTFD) {
		if (!in_range || (int)is.count != nfds)
			return EINVAL;
		for (uint32_t i = 0; i < is.count; i++) {
			if (dev->irq_fd[is.start + i] >= 0)
				close(dev->irq_fd[is.start + i]);
			dev->irq_fd[is.start + i] = fds[i];
			fds[i] = -1;  /* taken */
		}
		return 0;
	}
	if (nfds)
		return EINVAL;
	if (!(is.flags & VFU_IRQ_SET_DATA_NONE) || !(is.flags & VFU_IRQ_SET_ACTION_TRIGGER))
		return 0;
	if (is.count == 0) {
		vsrv_irqs_clear(dev);
		return 0;
	}
	if (!in_range)
		return EINVAL;
	for (uint32_t i = 0; i < is.count; i++)
		vsrv_irq(dev, (uint16_t)(is.start + i));
	return 0;
}

static uint32_t cmd_region_access(struct vsrv_dev *dev, int write, uint8_t *p, uint32_t plen,
				  struct reply *r)
{
	struct vfu_region_access ra;
	if (plen < sizeof(ra))
		return EINVAL;
	memcpy(&ra, p, sizeof(ra));
	if (ra.count > VFU_MAX_DATA_XFER || (write && plen - sizeof(ra) < ra.count))
		return EINVAL;
	uint8_t *data = write ? p + sizeof(ra) : r->out + sizeof(ra);
	uint32_t err = (uint32_t)vsrv_region_access(dev, ra.region, ra.offset, ra.count, data, write);
	memcpy(r->out, &ra, sizeof(ra));
	r->len = (uint32_t)sizeof(ra) + (write ? 0 : ra.count);
	return err;
}

/* Handles one request; returns 0, or -1 to drop the client. */
static int handle_msg(struct vsrv_server *s, const struct vfu_hdr *h, uint8_t *p, uint32_t plen,
		      int *fds, int nfds)
{
	struct vsrv_dev *dev = &s->dev;
	struct reply r = { s->txbuf, 0, -1 };
	uint32_t err;

	switch (h->command) {
	case VFU_CMD_VERSION:
		err = cmd_version(p, plen, &r);
		break;
	case VFU_CMD_DMA_MAP:
		err = cmd_dma_map(dev, p, plen, fds, nfds);
		break;
	case VFU_CMD_DMA_UNMAP:
		err = cmd_dma_unmap(dev, p, plen, &r);
		break;
	case VFU_CMD_DEVICE_GET_INFO:
		err = cmd_device_info(plen, &r);
		break;
	case VFU_CMD_DEVICE_GET_REGION_INFO:
		err = cmd_region_info(dev, p, plen, &r);
		break;
	case VFU_CMD_DEVICE_GET_IRQ_INFO:
		err = cmd_irq_info(dev, p, plen, &r);
		break;
	case VFU_CMD_DEVICE_SET_IRQS:
		err = cmd_set_irqs(dev, p, plen, fds, nfds);
		break;
	case VFU_CMD_REGION_READ:
	case VFU_CMD_REGION_WRITE:
		err = cmd_region_access(dev, h->command == VFU_CMD_REGION_WRITE, p, plen, &r);
		break;
	case VFU_CMD_DEVICE_RESET:
		dev->core_ops->reset(dev->core);
		vsrv_device_was_reset(dev);
		err = 0;
		break;
	default:
		err = ENOSYS;
		break;
	}
	close_fds(fds, nfds);
	return send_reply(s, h, err, r.out, r.len, r.fd);
}

/* Reads and handles one message. 0, or -1: the client is gone or broken. */
static int ctrl_one(struct vsrv_server *s)
{
	struct vfu_hdr h;
	int fds[VFU_MAX_FDS], nfds = 0;

	if (recv_full(s->cfd, (uint8_t *)&h, sizeof(h), fds, &nfds) < 0) {
		close_fds(fds, nfds);
		return -1;
	}
	if (h.size < sizeof(h) || h.size - sizeof(h) > VFU_MAX_MSG_SIZE ||
	    (h.flags & VFU_FLAG_TYPE_MASK) != VFU_FLAG_TYPE_COMMAND) {
		vsrv_log(&s->dev, "malformed message (command %u, size %u): dropping the client",
			 h.command, h.size);
		close_fds(fds, nfds);
		return -1;
	}
	uint32_t plen = h.size - (uint32_t)sizeof(h);
	if (plen && recv_full(s->cfd, s->rxbuf, plen, fds, &nfds) < 0) {
		close_fds(fds, nfds);
		return -1;
	}
	memset(s->rxbuf + plen, 0, 8);
	return handle_msg(s, &h, s->rxbuf, plen, fds, nfds);
}

int vsrv_ctrl_poll(struct vsrv_server *s)
{
	int handled = 0;
	for (int i = 0; i < 64; i++) {
		struct pollfd pfd = { .fd = s->cfd, .events = POLLIN };
		int r = poll(&pfd, 1, 0);
		if (r < 0)
			return errno == EINTR ? handled : -1;
		if (r == 0)
			break;
		if (pfd.revents & (POLLERR | POLLNVAL))
			return -1;
		if (ctrl_one(s) < 0)
			return -1;
		handled = 1;
	}
	return handled;
}

