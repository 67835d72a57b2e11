/* SPDX-License-Identifier: MIT */
/*
 * The exception path: a vionic NIC's host side as a Linux interface. A TAP
 * (sw/common/tapdev.h) and a forwarding thread that moves frames between it
 * and queue pair 0 in bursts, both ways, with one read() or write() per frame
 * on the TAP and none on the NIC side (as DPDK's virtio-user exception path
 * does with vhost-kernel). While it runs, the thread owns the data path of
 * the device: the other data-path and life-cycle calls answer VIONIC_ESTATE.
 *
 * The thread sleeps in poll() on the TAP, the RX interrupt and the config
 * interrupt when neither side has work; it follows the NIC's link in the
 * TAP's carrier, resets a device that reports NEEDS_RESET (counted), and
 * performs the resets vionic_netdev_reset asks for.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tapdev.h"
#include "vpmd.h"

#define ND_BURST    32
#define ND_IDLE_MS  100     /* a sleeping forwarder looks at its flags this often */
#define ND_RECENT_ROUNDS 1000   /* idle sleeps of 1 ms after traffic before ND_IDLE_MS */
#define ND_SCRATCH  65536   /* catches the tail of a TAP frame too large for an mbuf */

struct vionic_netdev {
	struct vionic_dev *dev;
	int fd;
	char ifname[VTAP_NAME_MAX + 1];
	pthread_t thread;
	pthread_mutex_t lock;   /* guards the request fields and stats */
	pthread_cond_t done;
	bool stop;
	bool reset_req;         /* vionic_netdev_reset: asked, not yet done */
	int reset_rc;
	struct vionic_netdev_stats st;
	/* thread-private */
	struct vionic_mbuf *pend[ND_BURST];   /* read from the TAP, not yet taken by TX */
	unsigned npend;
	unsigned idle_rounds;   /* idle sleeps since frames last moved */
	uint8_t scratch[ND_SCRATCH];
};

static void count(struct vionic_netdev *nd, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&nd->lock);
	*field += n;
	pthread_mutex_unlock(&nd->lock);
}

/* TAP -> NIC: frames read into mbufs, handed to tx_burst; what the ring
 * does not take waits in pend for the next round. Returns frames moved. */
static unsigned tap_to_nic(struct vionic_netdev *nd)
{
	struct vionic_dev *dev = nd->dev;
	const uint16_t room = vionic_mbuf_room(dev);
	uint64_t oversize = 0;
	unsigned sent;

	while (nd->npend < ND_BURST) {
		struct vionic_mbuf *m = vionic_mbuf_alloc(dev);
		if (!m) {
			vpmd_tx_reclaim(dev, &dev->vq[1], dev->vq[1].size);
			if (!(m = vionic_mbuf_alloc(dev)))
				break;
		}
		struct iovec iov[2] = { { m->data, room }, { nd->scratch, sizeof(nd->scratch) } };
		ssize_t n = readv(nd->fd, iov, 2);
		if (n <= 0) {
			vionic_mbuf_free(dev, m);
			break;
		}
		if (n > vpmd_max_frame(dev)) {   /* never truncated: dropped and counted */
			vionic_mbuf_free(dev, m);
			oversize++;
			continue;
		}
		if (n < VIONIC_MIN_FRAME) {      /* the MAC pads short frames */
			memset(m->data + n, 0, VIONIC_MIN_FRAME - (size_t)n);
			n = VIONIC_MIN_FRAME;
		}
		m->len = (uint16_t)(n < room ? n : room);
		m->pkt_len = m->len;
		if (n > room && vionic_mbuf_append(dev, m, nd->scratch, (uint32_t)(n - room))) {
			vionic_mbuf_free(dev, m);   /* no mbufs for the rest: lost like a full ring */
			break;
		}
		nd->pend[nd->npend++] = m;
	}
	if (oversize)
		count(nd, &nd->st.tap_oversize, oversize);
	if (!nd->npend)
		return 0;
	sent = vionic_tx_burst(dev, 0, nd->pend, (uint16_t)nd->npend);
	if (sent) {
		memmove(nd->pend, nd->pend + sent, (nd->npend - sent) * sizeof(nd->pend[0]));
		nd->npend -= sent;
		count(nd, &nd->st.to_nic, sent);
	}
	return sent;
}

/* NIC -> TAP. Returns frames moved. */
static unsigned nic_to_tap(struct vionic_netdev *nd)
{
	struct vionic_mbuf *m[ND_BURST];
	uint16_t got = vionic_rx_burst(nd->dev, 0, m, ND_BURST);
	uint64_t lost = 0;

	for (unsigned i = 0; i < got; i++) {
		struct iovec iov[VIONIC_RX_MAX_BUFFERS];
		int k = 0;
		ssize_t want = 0;

		for (const struct vionic_mbuf *s = m[i]; s && k < VIONIC_RX_MAX_BUFFERS; s = s->next) {
			iov[k++] = (struct iovec){ s->data, s->len };
			want += s->len;
		}
		if (writev(nd->fd, iov, k) != want)
			lost++;   /* TAP queue full or interface down: the stack's loss */
	}
	vionic_mbuf_free_bulk(nd->dev, m, got);
	if (got) {
		pthread_mutex_lock(&nd->lock);
		nd->st.to_tap += got - lost;
		nd->st.tap_write_drops += lost;
		pthread_mutex_unlock(&nd->lock);
	}
	return got;
}

static void release_pending(struct vionic_netdev *nd)
{
	vionic_mbuf_free_bulk(nd->dev, nd->pend, nd->npend);
	nd->npend = 0;
}

/* Device reset from the forwarder thread; the frames it held are dropped. */
static int do_reset(struct vionic_netdev *nd)
{
	release_pending(nd);
	int r = vionic_reset(nd->dev);
	count(nd, &nd->st.resets, 1);
	return r;
}

/* The config interrupt: link state to the TAP's carrier; NEEDS_RESET. */
static void config_changed(struct vionic_netdev *nd)
{
	struct vionic_info info;
	uint8_t st = 0;

	if (vionic_info_get(nd->dev, &info) == 0)
		vtap_set_carrier(nd->fd, info.link_up);
	if (vpmd_read_status(nd->dev, &st) == 0 && (st & VIRTIO_STATUS_DEVICE_NEEDS_RESET))
		do_reset(nd);
}

static void drain(int fd)
{
	uint64_t v;
	if (fd >= 0 && read(fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing pending */
	}
}

/* Nothing moved: sleep until the TAP has a frame, the NIC an RX interrupt,
 * or the config interrupt fires. TX completions need no wake-up: the next
 * burst reclaims them. */
static void idle_wait(struct vionic_netdev *nd)
{
	struct vionic_dev *dev = nd->dev;
	struct vpmd_vq *rx = &dev->vq[0];
	int qfd = rx->msix_vector != VIRTIO_MSI_NO_VECTOR ? dev->irq_fd[rx->msix_vector] : -1;
	int cfd = dev->nb_irq ? dev->irq_fd[0] : -1;
	struct pollfd p[3] = { { .fd = nd->fd, .events = nd->npend ? 0 : POLLIN } };
	int np = 1;

	if (qfd >= 0)
		p[np++] = (struct pollfd){ .fd = qfd, .events = POLLIN };
	if (cfd >= 0)
		p[np++] = (struct pollfd){ .fd = cfd, .events = POLLIN };
	if (vpmd_rx_irq_arm(rx) == 0) {
		/* pending TX frames wait for ring room, and a device may take a
		 * while to see an armed ring (the RTL core reads avail.flags only
		 * with avail.idx): look again soon while traffic is recent */
		int ms = nd->npend || qfd < 0 || nd->idle_rounds < ND_RECENT_ROUNDS ? 1 : ND_IDLE_MS;
		int pr = poll(p, (nfds_t)np, ms);
		nd->idle_rounds++;
		for (int i = 1; pr > 0 && i < np; i++) {
			if (!p[i].revents)
				continue;
			drain(p[i].fd);
			if (p[i].fd == cfd)
				config_changed(nd);
		}
	}
	vpmd_rx_irq_disarm(rx);
}

static void *forward(void *arg)
{
	struct vionic_netdev *nd = arg;

	for (;;) {
		pthread_mutex_lock(&nd->lock);
		bool stop = nd->stop, reset = nd->reset_req;
		pthread_mutex_unlock(&nd->lock);
		if (stop)
			break;
		if (reset) {
			int r = do_reset(nd);
			pthread_mutex_lock(&nd->lock);
			nd->reset_req = false;
			nd->reset_rc = r;
			pthread_cond_broadcast(&nd->done);
			pthread_mutex_unlock(&nd->lock);
		}
		if (nd->dev->state != VPMD_ST_STARTED) {
			poll(NULL, 0, ND_IDLE_MS);   /* a reset that failed: wait to be told */
			continue;
		}
		unsigned moved = tap_to_nic(nd);
		moved += nic_to_tap(nd);
		if (!moved)
			idle_wait(nd);
		else
			nd->idle_rounds = 0;
	}
	release_pending(nd);
	return NULL;
}

int vionic_netdev_start(vionic_dev *dev, const char *ifname, const char *netns,
			vionic_netdev **out)
{
	char err[256];
	struct vionic_netdev *nd;
	int r;

	vpmd_err_clear();
	if (!dev || !ifname || !out)
		return vpmd_err(VIONIC_EINVAL, "vionic_netdev_start: NULL argument");
	if (dev->netdev)
		return vpmd_err(VIONIC_ESTATE, "the device is already forwarded to %s; stop that "
				"netdev first", dev->netdev->ifname);
	if (dev->state != VPMD_ST_STARTED)
		return vpmd_err(VIONIC_ESTATE, "vionic_netdev_start: device not started; call "
				"vionic_start first");
	if (vtap_check(ifname, netns, err, sizeof(err)) < 0)
		return vpmd_err(VIONIC_EINVAL, "%s", err);
	if (!(nd = calloc(1, sizeof(*nd))))
		return vpmd_err(VIONIC_ENOMEM, "out of memory");
	nd->dev = dev;
	strcpy(nd->ifname, ifname);
	nd->fd = vtap_open(ifname, netns, dev->mtu, NULL, err, sizeof(err));
	if (nd->fd < 0) {
		free(nd);
		return vpmd_err(VIONIC_EINVAL, "%s", err);
	}
	{
		struct vionic_info info;
		if (vionic_info_get(dev, &info) == 0)
			vtap_set_carrier(nd->fd, info.link_up);
	}
	pthread_mutex_init(&nd->lock, NULL);
	pthread_cond_init(&nd->done, NULL);
	/* ownership before the thread runs: it checks it. The lock keeps the
	 * thread from running before netdev_thread is set. */
	pthread_mutex_lock(&nd->lock);
	strcpy(dev->netdev_ifname, ifname);
	dev->netdev_stop = vionic_netdev_stop;
	dev->netdev = nd;
	r = pthread_create(&nd->thread, NULL, forward, nd);
	if (!r)
		dev->netdev_thread = nd->thread;
	pthread_mutex_unlock(&nd->lock);
	if (r) {
		dev->netdev = NULL;
		close(nd->fd);
		free(nd);
		return vpmd_err(VIONIC_ENOMEM, "cannot start the forwarding thread: %s",
				strerror(r));
	}
	*out = nd;
	return 0;
}

void vionic_netdev_stop(vionic_netdev *nd, struct vionic_netdev_stats *final)
{
	if (!nd)
		return;
	pthread_mutex_lock(&nd->lock);
	nd->stop = true;
	pthread_mutex_unlock(&nd->lock);
	pthread_join(nd->thread, NULL);
	if (final)
		*final = nd->st;
	nd->dev->netdev = NULL;
	close(nd->fd);   /* removes the TAP, unless it existed before */
	pthread_cond_destroy(&nd->done);
	pthread_mutex_destroy(&nd->lock);
	free(nd);
}

int vionic_netdev_reset(vionic_netdev *nd)
{
	int r;

	if (!nd)
		return vpmd_err(VIONIC_EINVAL, "vionic_netdev_reset: NULL netdev");
	pthread_mutex_lock(&nd->lock);
	nd->reset_req = true;
	while (nd->reset_req)
		pthread_cond_wait(&nd->done, &nd->lock);
	r = nd->reset_rc;
	pthread_mutex_unlock(&nd->lock);
	return r ? vpmd_err(r, "the device reset by the netdev of %s failed", nd->ifname) : 0;
}

int vionic_netdev_stats_get(vionic_netdev *nd, struct vionic_netdev_stats *st)
{
	if (!nd || !st)
		return vpmd_err(VIONIC_EINVAL, "vionic_netdev_stats_get: NULL argument");
	pthread_mutex_lock(&nd->lock);
	*st = nd->st;
	pthread_mutex_unlock(&nd->lock);
	return 0;
}
