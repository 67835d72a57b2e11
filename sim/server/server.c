/* SPDX-License-Identifier: MIT */
/*
 * vionic device-server runtime: command line, the vfio-user subset of
 * DESIGN §5 on a UNIX stream socket, and the busy-polling server loop that
 * moves doorbells, wire frames and core work without a system call per
 * packet.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vionic_server.h"
#include "vsrv_internal.h"

/* ---- tunables -------------------------------------------------------------- */
#define RX_BUDGET          64         /* wire frames offered to the core per iteration */
#define CLOCK_EVERY        64         /* iterations between clock reads */
#define CTRL_BUSY_NS       100000     /* control socket check while busy */
#define CTRL_IDLE_NS       10000      /* ... while idle */
#define CTRL_FAST_NS       (1000000)  /* after a message: check at every clock read for 1 ms */
#define DROWSY_AFTER_NS    50000000   /* idle this long: sleep 50 us per iteration */
#define DROWSY_SLEEP_NS    50000
#define SOCK_TIMEOUT_S     2          /* a client that stalls mid-message is dropped */

static volatile sig_atomic_t g_stop;

/* SIGBUS guard: a client can shrink a memfd it has mapped to the device
 * (a memfd without sealing cannot be protected), and the device's next
 * access to the lost pages would kill the server. The handler maps a zero
 * page over the faulting address if it lies in the DMA map, so the access
 * completes, and the server drops that client. */
static struct vsrv_dma *volatile g_guard_dma;
static volatile sig_atomic_t g_client_broken;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	uintptr_t a = (uintptr_t)si->si_addr;
	struct vsrv_dma *d = g_guard_dma;
	if (d) {
		for (unsigned i = 0; i < d->n; i++) {
			uintptr_t h = (uintptr_t)d->r[i].host;
			if (a < h || a - h >= d->r[i].size)
				continue;
			static const size_t pg[] = { 4096, 2u << 20, 1u << 30 };
			for (unsigned k = 0; k < 3; k++) {
				void *p = (void *)(a & ~(uintptr_t)(pg[k] - 1));
				if (mmap(p, pg[k], PROT_READ | PROT_WRITE,
					 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED) {
					g_client_broken = 1;
					return;
				}
			}
		}
	}
	signal(sig, SIG_DFL);   /* not ours: the fault repeats and kills */
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

/* ---- services for cores ---------------------------------------------------- */
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
	int r = dev->wire.ops->send(&dev->wire, frame, len);
	if (r)
		dev->wire_tx_drops++;
	return r;
}

void vsrv_irq(struct vsrv_dev *dev, uint16_t vector)
{
	if (vector < VSRV_MSIX_VECTORS && dev->irq_fd[vector] >= 0) {
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

/* ---- cores ----------------------------------------------------------------- */
#define MAX_CORES 8
static const struct vsrv_core_ops *g_cores[MAX_CORES];
static unsigned g_ncores;

int vsrv_register_core(const struct vsrv_core_ops *ops)
{
	for (unsigned i = 0; i < g_ncores; i++)
		if (strcmp(g_cores[i]->name, ops->name) == 0)
			return 0;
	if (g_ncores >= MAX_CORES)
		return -1;
	g_cores[g_ncores++] = ops;
	return 0;
}

static const struct vsrv_core_ops *find_core(const char *name)
{
	vsrv_register_core(&vmodel_core_ops);
	for (unsigned i = 0; i < g_ncores; i++)
		if (strcmp(g_cores[i]->name, name) == 0)
			return g_cores[i];
	return NULL;
}

static const struct vsrv_wire_ops *const g_wires[] = {
	&vsrv_wire_loopback, &vsrv_wire_unix, &vsrv_wire_pcap, &vsrv_wire_sink, &vsrv_wire_gen,
};

/* ---- session state ------------------------------------------------------------ */
struct server {
	struct vsrv_dev dev;
	const char *sock_path;
	int lfd;
	int cfd;
	int persist;
	uint8_t *rxbuf;    /* one request */
	uint8_t *txbuf;    /* one reply */
	int got_version;
};

/* After a device reset: the doorbell words restart from 0, so the first
 * doorbell after reset is never mistaken for an old one, and frames in
 * flight inside the wire are forgotten. */
static void device_was_reset(struct vsrv_dev *dev)
{
	if (dev->notify_map)
		memset(dev->notify_map + VIONIC_NOTIFY, 0, VIONIC_NOTIFY_SIZE);
	memset(dev->db_seen, 0, sizeof(dev->db_seen));
	if (dev->wire.ops->reset)
		dev->wire.ops->reset(&dev->wire);
}

static void irqs_clear(struct vsrv_dev *dev)
{
	for (unsigned i = 0; i < VSRV_MSIX_VECTORS; i++) {
		if (dev->irq_fd[i] >= 0)
			close(dev->irq_fd[i]);
		dev->irq_fd[i] = -1;
	}
}

static int session_open(struct server *s)
{
	struct vsrv_dev *dev = &s->dev;
	size_t sz = VIONIC_NOTIFY + VIONIC_NOTIFY_SIZE;

	dev->notify_fd = memfd_create("vionic-notify", MFD_CLOEXEC);
	if (dev->notify_fd < 0 || ftruncate(dev->notify_fd, (off_t)sz) < 0) {
		vsrv_log(NULL, "memfd for the notify page: %s", strerror(errno));
		return -1;
	}
	void *p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, dev->notify_fd, 0);
	if (p == MAP_FAILED) {
		vsrv_log(NULL, "mmap notify page: %s", strerror(errno));
		return -1;
	}
	dev->notify_map = p;
	dev->doorbell = (volatile uint32_t *)(dev->notify_map + VIONIC_NOTIFY);
	s->got_version = 0;
	dev->core_ops->reset(dev->core);
	device_was_reset(dev);
	return 0;
}

static void session_close(struct server *s)
{
	struct vsrv_dev *dev = &s->dev;

	/* the device stops touching DMA memory before it goes away */
	dev->core_ops->reset(dev->core);
	irqs_clear(dev);
	vsrv_dma_clear(&dev->dma);
	if (dev->notify_map)
		munmap(dev->notify_map, VIONIC_NOTIFY + VIONIC_NOTIFY_SIZE);
	dev->notify_map = NULL;
	dev->doorbell = NULL;
	if (dev->notify_fd >= 0)
		close(dev->notify_fd);
	dev->notify_fd = -1;
	if (s->cfd >= 0)
		close(s->cfd);
	s->cfd = -1;
}

/* ---- BAR0 and config space access ---------------------------------------------- */
static uint32_t bar_read_piece(struct vsrv_dev *dev, uint32_t off, unsigned size)
{
	if (off >= VIONIC_NOTIFY && off < VIONIC_NOTIFY + VIONIC_NOTIFY_SIZE) {
		uint32_t v = 0;
		memcpy(&v, (const uint8_t *)dev->notify_map + off, size);
		return v;
	}
	if (off >= VIONIC_MSIX_TABLE && off < VIONIC_MSIX_PBA + 0x1000)
		return 0;
	return dev->core_ops->bar_read(dev->core, off, size);
}

static void bar_write_piece(struct vsrv_dev *dev, uint32_t off, unsigned size, uint32_t val)
{
	if (off >= VIONIC_NOTIFY && off < VIONIC_NOTIFY + VIONIC_NOTIFY_SIZE) {
		/* doorbell through REGION_WRITE: delivered directly (a 16-bit write
		 * is a doorbell without notification data) */
		if (size >= 2 && (off & 3) == 0)
			dev->core_ops->notify(dev->core, (uint16_t)((off - VIONIC_NOTIFY) / 4), val);
		return;
	}
	if (off >= VIONIC_MSIX_TABLE && off < VIONIC_MSIX_PBA + 0x1000)
		return;
	dev->core_ops->bar_write(dev->core, off, size, val);
	/* device_status <- 0 is a device reset */
	uint32_t st = VIONIC_COMMON_CFG + VIRTIO_PCI_COMMON_STATUS;
	if (off <= st && st < off + size && ((val >> (8 * (st - off))) & 0xff) == 0)
		device_was_reset(dev);
}

static unsigned piece_size(uint64_t off, uint32_t left)
{
	if (left >= 4 && (off & 3) == 0)
		return 4;
	if (left >= 2 && (off & 1) == 0)
		return 2;
	return 1;
}

static int region_access(struct vsrv_dev *dev, uint32_t region, uint64_t off,
			 uint32_t count, uint8_t *data, int write)
{
	if (region == VFU_PCI_CONFIG_REGION) {
		if (off > VIONIC_PCI_CONFIG_SIZE || count > VIONIC_PCI_CONFIG_SIZE - off)
			return EINVAL;
		if (write)
			return EPERM;
		memcpy(data, dev->pci_cfg + off, count);
		return 0;
	}
	if (region != VFU_PCI_BAR0_REGION)
		return EINVAL;
	if (off > VIONIC_BAR0_SIZE || count > VIONIC_BAR0_SIZE - off)
		return EINVAL;
	while (count) {
		unsigned sz = piece_size(off, count);
		uint32_t v = 0;
		if (write) {
			memcpy(&v, data, sz);
			bar_write_piece(dev, (uint32_t)off, sz, v);
		} else {
			v = bar_read_piece(dev, (uint32_t)off, sz);
			memcpy(data, &v, sz);
		}
		data += sz;
		off += sz;
		count -= sz;
	}
	return 0;
}

/* ---- vfio-user messages --------------------------------------------------------- */
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
		if (n < 0 && errno == EINTR && !g_stop)
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

static int send_reply(struct server *s, const struct vfu_hdr *req, uint32_t err,
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
		if (n < 0 && errno == EINTR && !g_stop)
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

static const char k_caps[] =
	"{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576}}";

/* Handles one request; returns 0, or -1 to drop the client. */
static int handle_msg(struct server *s, const struct vfu_hdr *h, uint8_t *p, uint32_t plen,
		      int *fds, int nfds)
{
	struct vsrv_dev *dev = &s->dev;
	uint8_t *out = s->txbuf;
	uint32_t olen = 0, err = 0;
	int out_fd = -1;

	switch (h->command) {
	case VFU_CMD_VERSION: {
		if (plen < sizeof(struct vfu_version)) {
			err = EINVAL;
			break;
		}
		struct vfu_version v;
		memcpy(&v, p, sizeof(v));
		if (v.major != VFU_VERSION_MAJOR) {
			err = ENOTSUP;
			break;
		}
		struct vfu_version r = { VFU_VERSION_MAJOR, VFU_VERSION_MINOR };
		memcpy(out, &r, sizeof(r));
		memcpy(out + sizeof(r), k_caps, sizeof(k_caps));
		olen = (uint32_t)(sizeof(r) + sizeof(k_caps));
		s->got_version = 1;
		break;
	}
	case VFU_CMD_DMA_MAP: {
		struct vfu_dma_map m;
		if (plen < sizeof(m) || nfds != 1) {
			err = EINVAL;
			break;
		}
		memcpy(&m, p, sizeof(m));
		uint32_t prot = m.flags & (VFU_DMA_FLAG_READ | VFU_DMA_FLAG_WRITE);
		if (!prot)
			prot = VSRV_DMA_READ | VSRV_DMA_WRITE;
		else
			prot = ((prot & VFU_DMA_FLAG_READ) ? VSRV_DMA_READ : 0) |
			       ((prot & VFU_DMA_FLAG_WRITE) ? VSRV_DMA_WRITE : 0);
		int r = vsrv_dma_map(&dev->dma, fds[0], m.offset, m.addr, m.size, prot);
		if (r)
			err = (uint32_t)-r;
		break;
	}
	case VFU_CMD_DMA_UNMAP: {
		struct vfu_dma_unmap u;
		if (plen < sizeof(u)) {
			err = EINVAL;
			break;
		}
		memcpy(&u, p, sizeof(u));
		int r = vsrv_dma_unmap(&dev->dma, u.addr, u.size);
		if (r)
			err = (uint32_t)-r;
		memcpy(out, &u, sizeof(u));
		olen = sizeof(u);
		break;
	}
	case VFU_CMD_DEVICE_GET_INFO: {
		if (plen < sizeof(uint32_t)) {
			err = EINVAL;
			break;
		}
		struct vfu_device_info di = {
			.argsz = sizeof(di), .flags = VFU_DEVICE_FLAGS_PCI | VFU_DEVICE_FLAGS_RESET,
			.num_regions = VFU_PCI_NUM_REGIONS, .num_irqs = VFU_PCI_NUM_IRQS,
		};
		memcpy(out, &di, sizeof(di));
		olen = sizeof(di);
		break;
	}
	case VFU_CMD_DEVICE_GET_REGION_INFO: {
		struct vfu_region_info ri;
		if (plen < sizeof(ri)) {
			err = EINVAL;
			break;
		}
		memcpy(&ri, p, sizeof(ri));
		if (ri.index >= VFU_PCI_NUM_REGIONS) {
			err = EINVAL;
			break;
		}
		uint32_t argsz = ri.argsz;
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
		if (argsz >= full.info.argsz) {
			olen = full.info.argsz;
			if (ri.index == VFU_PCI_BAR0_REGION)
				out_fd = dev->notify_fd;
		} else {
			/* too small: the client retries with argsz = full.info.argsz */
			full.info.cap_offset = 0;
			olen = sizeof(full.info);
		}
		memcpy(out, &full, olen);
		break;
	}
	case VFU_CMD_DEVICE_GET_IRQ_INFO: {
		struct vfu_irq_info ii;
		if (plen < sizeof(ii)) {
			err = EINVAL;
			break;
		}
		memcpy(&ii, p, sizeof(ii));
		if (ii.index >= VFU_PCI_NUM_IRQS) {
			err = EINVAL;
			break;
		}
		ii.argsz = sizeof(ii);
		ii.flags = ii.index == VFU_PCI_MSIX_IRQ ? VFU_IRQ_INFO_EVENTFD : 0;
		ii.count = ii.index == VFU_PCI_MSIX_IRQ ? VSRV_MSIX_VECTORS : 0;
		memcpy(out, &ii, sizeof(ii));
		olen = sizeof(ii);
		break;
	}
	case VFU_CMD_DEVICE_SET_IRQS: {
		struct vfu_irq_set is;
		if (plen < sizeof(is)) {
			err = EINVAL;
			break;
		}
		memcpy(&is, p, sizeof(is));
		if (is.index >= VFU_PCI_NUM_IRQS) {
			err = EINVAL;
			break;
		}
		if (is.index != VFU_PCI_MSIX_IRQ) {
			if (is.count != 0 || nfds)
				err = EINVAL;
			break;
		}
		if (is.flags & VFU_IRQ_SET_DATA_EVENTFD) {
			if (is.start > VSRV_MSIX_VECTORS || is.count > VSRV_MSIX_VECTORS - is.start ||
			    (int)is.count != nfds) {
				err = EINVAL;
				break;
			}
			for (uint32_t i = 0; i < is.count; i++) {
				if (dev->irq_fd[is.start + i] >= 0)
					close(dev->irq_fd[is.start + i]);
				dev->irq_fd[is.start + i] = fds[i];
				fds[i] = -1;  /* taken */
			}
		} else if (is.flags & VFU_IRQ_SET_DATA_NONE) {
			if (nfds) {
				err = EINVAL;
			} else if (is.count == 0 && (is.flags & VFU_IRQ_SET_ACTION_TRIGGER)) {
				irqs_clear(dev);
			} else if (is.flags & VFU_IRQ_SET_ACTION_TRIGGER) {
				if (is.start > VSRV_MSIX_VECTORS || is.count > VSRV_MSIX_VECTORS - is.start)
					err = EINVAL;
				else
					for (uint32_t i = 0; i < is.count; i++)
						vsrv_irq(dev, (uint16_t)(is.start + i));
			}
		} else if (nfds) {
			err = EINVAL;
		}
		break;
	}
	case VFU_CMD_REGION_READ:
	case VFU_CMD_REGION_WRITE: {
		struct vfu_region_access ra;
		int wr = h->command == VFU_CMD_REGION_WRITE;
		if (plen < sizeof(ra)) {
			err = EINVAL;
			break;
		}
		memcpy(&ra, p, sizeof(ra));
		if (ra.count > VFU_MAX_DATA_XFER || (wr && plen - sizeof(ra) < ra.count)) {
			err = EINVAL;
			break;
		}
		uint8_t *data = wr ? p + sizeof(ra) : out + sizeof(ra);
		err = (uint32_t)region_access(dev, ra.region, ra.offset, ra.count, data, wr);
		memcpy(out, &ra, sizeof(ra));
		olen = (uint32_t)sizeof(ra) + (wr ? 0 : ra.count);
		break;
	}
	case VFU_CMD_DEVICE_RESET:
		dev->core_ops->reset(dev->core);
		device_was_reset(dev);
		break;
	default:
		err = ENOSYS;
		break;
	}
	close_fds(fds, nfds);
	return send_reply(s, h, err, out, olen, out_fd);
}

/* Reads and handles one message. 0, or -1: the client is gone or broken. */
static int ctrl_one(struct server *s)
{
	struct vfu_hdr h;
	int fds[VFU_MAX_FDS], nfds = 0, r;

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
	r = handle_msg(s, &h, s->rxbuf, plen, fds, nfds);
	return r;
}

/* Handles every pending message. 1 handled some, 0 none, -1 client gone. */
static int ctrl_poll(struct server *s, int timeout_ms)
{
	int handled = 0;
	for (int i = 0; i < 64; i++) {
		struct pollfd pfd = { .fd = s->cfd, .events = POLLIN };
		int r = poll(&pfd, 1, i ? 0 : timeout_ms);
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

/* ---- the server loop -------------------------------------------------------------- */
static int serve_client(struct server *s)
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

	while (!g_stop) {
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
				w->ops->rx_done(w);
				work = 1;
			}
		}
		/* core work */
		if (core->poll(c))
			work = 1;
		if (g_client_broken) {
			g_client_broken = 0;
			vsrv_log(dev, "the client's DMA memory disappeared under the device "
				 "(memfd truncated?): dropping the client");
			return 0;
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
		int drowsy = now - last_work > DROWSY_AFTER_NS;
		if (drowsy) {
			/* idle for a while: sleep briefly on the control socket and
			 * the wire, so an idle server does not burn its core */
			struct pollfd pfd[2] = { { .fd = s->cfd, .events = POLLIN } };
			int n = 1;
			if (w->ops->wait_fd && (pfd[1].fd = w->ops->wait_fd(w)) >= 0) {
				pfd[1].events = POLLIN;
				n = 2;
			}
			struct timespec ts = { 0, DROWSY_SLEEP_NS };
			if (ppoll(pfd, (nfds_t)n, &ts, NULL) > 0) {
				if (pfd[0].revents)
					next_ctrl = now;
				if (n == 2 && pfd[1].revents && w->ops->housekeep)
					w->ops->housekeep(w);   /* e.g. accept, look at the socket now */
			}
		}
		if (now >= next_ctrl) {
			int r = ctrl_poll(s, 0);
			if (r < 0)
				return 0;  /* client gone */
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
	return 0;
}

/* ---- command line ------------------------------------------------------------------- */
static void usage(FILE *f)
{
	fprintf(f,
		"usage: vionic-server --socket PATH [--wire SPEC] [--core model]\n"
		"                     [--mac 02:56:4e:49:43:00] [--mtu 1500] [--cpu N]\n"
		"                     [--persist] [--quiet]\n"
		"  --socket PATH   vfio-user UNIX socket to listen on\n"
		"  --wire SPEC     loopback (default) | unix:PATH | pcap:FILE | sink | gen:SIZE\n"
		"  --core NAME     device core (model)\n"
		"  --mac MAC       device MAC address\n"
		"  --mtu N         MTU, 68..9000 (default 1500)\n"
		"  --cpu N         pin the server thread to CPU N\n"
		"  --persist       serve clients one after another instead of exiting\n"
		"  --quiet         no messages on stderr except errors\n");
}

static int bad_arg(const char *fmt, const char *a)
{
	fprintf(stderr, "vionic-server: ");
	fprintf(stderr, fmt, a);
	fprintf(stderr, "\n");
	usage(stderr);
	return 2;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int vionic_server_main(int argc, char **argv)
{
	struct server srv;
	struct vsrv_dev *dev = &srv.dev;
	const char *sock = NULL, *wire_spec = "loopback", *core_name = "model";
	long cpu = -1;
	static const uint8_t def_mac[6] = VIONIC_DEFAULT_MAC;
	int rc = 0;

	memset(&srv, 0, sizeof(srv));
	srv.lfd = srv.cfd = -1;
	dev->notify_fd = -1;
	for (unsigned i = 0; i < VSRV_MSIX_VECTORS; i++)
		dev->irq_fd[i] = -1;
	memcpy(dev->conf.mac, def_mac, 6);
	dev->conf.mtu = VIONIC_DEFAULT_MTU;
	g_stop = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = NULL;
		char *eq = NULL;
		char opt[32];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "--persist") == 0) {
			srv.persist = 1;
			continue;
		}
		if (strcmp(a, "--quiet") == 0) {
			dev->conf.quiet = 1;
			continue;
		}
		if (strncmp(a, "--", 2) != 0 || strlen(a) >= sizeof(opt))
			return bad_arg("unknown argument '%s'", a);
		strcpy(opt, a);
		if ((eq = strchr(opt, '=')) != NULL)
			*eq = 0;
		static const char *const known[] = { "--socket", "--wire", "--core", "--mac",
						     "--mtu", "--cpu" };
		int ok = 0;
		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			ok |= strcmp(opt, known[k]) == 0;
		if (!ok)
			return bad_arg("unknown option '%s'", opt);
		if (eq) {   /* --opt=value */
			v = a + (eq - opt) + 1;
		} else if (i + 1 < argc) {
			v = argv[++i];
		} else {
			return bad_arg("option %s needs a value", a);
		}
		if (strcmp(opt, "--socket") == 0) {
			sock = v;
		} else if (strcmp(opt, "--wire") == 0) {
			wire_spec = v;
		} else if (strcmp(opt, "--core") == 0) {
			core_name = v;
		} else if (strcmp(opt, "--mac") == 0) {
			if (parse_mac(v, dev->conf.mac) < 0)
				return bad_arg("bad MAC address '%s' (expected xx:xx:xx:xx:xx:xx)", v);
		} else if (strcmp(opt, "--mtu") == 0) {
			unsigned long m;
			if (parse_uint(v, 9000, &m) < 0 || m < 68)
				return bad_arg("bad MTU '%s' (68..9000)", v);
			dev->conf.mtu = (uint16_t)m;
		} else if (strcmp(opt, "--cpu") == 0) {
			unsigned long n;
			if (parse_uint(v, CPU_SETSIZE - 1, &n) < 0)
				return bad_arg("bad CPU number '%s'", v);
			cpu = (long)n;
		} else {
			return bad_arg("unknown option '%s'", opt);
		}
	}
	if (!sock || !*sock)
		return bad_arg("%s", "--socket PATH is required");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(sock) >= sizeof(sa.sun_path))
		return bad_arg("socket path too long: '%s'", sock);

	/* core */
	dev->core_ops = find_core(core_name);
	if (!dev->core_ops) {
		char names[128] = "";
		for (unsigned k = 0; k < g_ncores; k++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 k ? ", " : "", g_cores[k]->name);
		fprintf(stderr, "vionic-server: unknown core '%s' (available: %s)\n", core_name, names);
		usage(stderr);
		return 2;
	}
	dev->ndoorbells = dev->core_ops->doorbells ? dev->core_ops->doorbells : 2;
	if (dev->ndoorbells > VSRV_MAX_DOORBELLS)
		dev->ndoorbells = VSRV_MAX_DOORBELLS;

	/* wire: NAME or NAME:ARG */
	const struct vsrv_wire_ops *wops = NULL;
	const char *warg = NULL;
	for (size_t k = 0; k < sizeof(g_wires) / sizeof(g_wires[0]); k++) {
		size_t n = strlen(g_wires[k]->name);
		if (strncmp(wire_spec, g_wires[k]->name, n) == 0 &&
		    (wire_spec[n] == 0 || wire_spec[n] == ':')) {
			wops = g_wires[k];
			warg = wire_spec[n] ? wire_spec + n + 1 : NULL;
		}
	}
	if (!wops)
		return bad_arg("unknown wire '%s' (loopback, unix:PATH, pcap:FILE, sink, gen:SIZE)",
			       wire_spec);
	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET((int)cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0) {
			char b[64];
			snprintf(b, sizeof(b), "%ld", cpu);
			return bad_arg("cannot pin to CPU %s", b);
		}
	}
	char err[256] = "";
	dev->wire.ops = wops;
	dev->wire.dev = dev;
	if (wops->open(&dev->wire, warg, &dev->conf, err, sizeof(err)) < 0)
		return bad_arg("%s", err);

	/* signals: clean exit on SIGINT/SIGTERM */
	/* (the previous handlers come back on return: the Python package may
	 * run this in its own process) */
	struct sigaction act, old_int, old_term, old_pipe, old_bus;
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	sigemptyset(&act.sa_mask);
	sigaction(SIGINT, &act, &old_int);
	sigaction(SIGTERM, &act, &old_term);
	act.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &act, &old_pipe);
	act.sa_handler = NULL;
	act.sa_sigaction = on_sigbus;
	act.sa_flags = SA_SIGINFO;
	sigaction(SIGBUS, &act, &old_bus);
	g_guard_dma = &dev->dma;
	g_client_broken = 0;
	sigset_t un;
	sigemptyset(&un);
	sigaddset(&un, SIGINT);
	sigaddset(&un, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &un, NULL);
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);

	vsrv_pci_config_build(dev->pci_cfg);
	vsrv_dma_init(&dev->dma);
	srv.rxbuf = malloc(VFU_MAX_MSG_SIZE + 64);
	srv.txbuf = malloc(VFU_MAX_MSG_SIZE + 64);
	if (!srv.rxbuf || !srv.txbuf) {
		fprintf(stderr, "vionic-server: out of memory\n");
		rc = 1;
		goto out_wire;
	}
	if (dev->core_ops->create(dev, &dev->conf, &dev->core, err, sizeof(err)) < 0) {
		fprintf(stderr, "vionic-server: core %s: %s\n", core_name, err);
		rc = 1;
		goto out_wire;
	}

	/* the vfio-user socket */
	strcpy(sa.sun_path, sock);
	srv.sock_path = sock;
	srv.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct stat st;
	if (stat(sock, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(sock);
	if (srv.lfd < 0 || bind(srv.lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(srv.lfd, 4) < 0) {
		fprintf(stderr, "vionic-server: cannot listen on %s: %s\n", sock, strerror(errno));
		rc = 1;
		goto out_core;
	}
	if (!dev->conf.quiet)
		fprintf(stderr, "vionic-server: listening on %s (core %s, wire %s)\n", sock,
			core_name, wire_spec);

	while (!g_stop) {
		struct pollfd pfd = { .fd = srv.lfd, .events = POLLIN };
		int r = poll(&pfd, 1, 100);
		if (r <= 0)
			continue;
		srv.cfd = accept4(srv.lfd, NULL, NULL, SOCK_CLOEXEC);
		if (srv.cfd < 0)
			continue;
		struct timeval tv = { SOCK_TIMEOUT_S, 0 };
		setsockopt(srv.cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(srv.cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (session_open(&srv) < 0) {
			session_close(&srv);
			rc = 1;
			break;
		}
		serve_client(&srv);
		session_close(&srv);
		if (!srv.persist)
			break;
	}

	close(srv.lfd);
	unlink(sock);
out_core:
	dev->core_ops->destroy(dev->core);
out_wire:
	wops->close(&dev->wire);
	free(srv.rxbuf);
	free(srv.txbuf);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	g_guard_dma = NULL;
	return rc;
}
