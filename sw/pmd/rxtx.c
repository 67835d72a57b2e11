/* SPDX-License-Identifier: MIT */
/*
 * The data path, DPDK style: rx_burst / tx_burst on split virtqueues.
 * No system call and no lock here: the device is another process on
 * another core, synchronised through the rings only (acquire on used->idx,
 * release on avail->idx) and one doorbell store per burst into the mapped
 * notify page. Poll mode keeps VRING_AVAIL_F_NO_INTERRUPT set; rx_wait
 * clears it only while it sleeps.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vpmd.h"


static inline uint16_t used_idx_acquire(const struct vpmd_vq *vq)
{
	return __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
}

static inline unsigned rx_thresh(const struct vpmd_vq *vq)
{
	return vq->size / 2 < VPMD_RX_REFILL_THRESH ? vq->size / 2 : VPMD_RX_REFILL_THRESH;
}

uint16_t vionic_rx_burst(vionic_dev *dev, uint16_t qp, struct vionic_mbuf **pkts, uint16_t n)
{
	struct vpmd_vq *vq;
	uint16_t avail, cons, i, nb = 0;
	uint64_t bytes = 0;
	const uint32_t maxlen = dev->pool.mbuf_size;

	if (VPMD_UNLIKELY(qp >= dev->nb_qp || dev->state != VPMD_ST_STARTED))
		return 0;
	vq = &dev->vq[2 * qp];
	/* Refill first, with the mbufs the caller freed since the last call:
	 * each descriptor gets back the buffer it had (no descriptor store). */
	if (vq->nb_free >= rx_thresh(vq))
		vpmd_rx_refill(dev, vq, true);
	cons = vq->used_cons;
	avail = (uint16_t)(used_idx_acquire(vq) - cons);
	if (avail > n)
		avail = n;
	if (VPMD_UNLIKELY(avail > vq->size))   /* device went mad: never read past the ring */
		avail = 0;
	for (i = 0; i < avail; i++) {
		const struct vring_used_elem *e = &vq->used->ring[(uint16_t)(cons + i) & vq->mask];
		uint32_t id = e->id, len = e->len;
		struct vionic_mbuf *m;

		if (i + 8 < avail)
			__builtin_prefetch(&vq->used->ring[(uint16_t)(cons + i + 8) & vq->mask]);
		if (VPMD_UNLIKELY(id >= vq->size || !(m = vq->cookie[id]))) {
			vq->errors++;
			continue;
		}
		vq->cookie[id] = NULL;
		vpmd_id_put(vq, (uint16_t)id);
		if (VPMD_UNLIKELY(len < VIONIC_NET_HDR_LEN + 14 || len > maxlen)) {
			vq->errors++;
			vionic_mbuf_free(dev, m);
			continue;
		}
		m->len = (uint16_t)(len - VIONIC_NET_HDR_LEN);
		bytes += m->len;
		pkts[nb++] = m;
	}
	vq->used_cons = cons + avail;
	vq->packets += nb;
	vq->bytes += bytes;
	return nb;
}

/* Returns up to `max` completed TX buffers to the mempool, in completion
 * order; returns how many. */
unsigned vpmd_tx_reclaim(struct vionic_dev *dev, struct vpmd_vq *vq, unsigned max)
{
	struct vpmd_mempool *p = &dev->pool;
	uint16_t cons = vq->used_cons;
	uint16_t cnt = (uint16_t)(used_idx_acquire(vq) - cons);
	unsigned done = 0;

	if (VPMD_UNLIKELY(cnt > vq->size))
		cnt = 0;
	if (cnt > max)
		cnt = (uint16_t)max;
	for (uint16_t i = 0; i < cnt; i++) {
		uint32_t id = vq->used->ring[(uint16_t)(cons + i) & vq->mask].id;
		struct vionic_mbuf *m;

		if (VPMD_UNLIKELY(id >= vq->size || !(m = vq->cookie[id]))) {
			vq->errors++;
			continue;
		}
		vq->cookie[id] = NULL;
		vpmd_id_put(vq, (uint16_t)id);
		if (VPMD_LIKELY(p->top < p->n))
			p->stack[p->top++] = m;
		done++;
	}
	vq->used_cons = cons + cnt;
	return done;
}

uint16_t vionic_tx_burst(vionic_dev *dev, uint16_t qp, struct vionic_mbuf **pkts, uint16_t n)
{
	struct vpmd_vq *vq;
	uint16_t k, i, idx;
	uint64_t bytes = 0;
	const uint64_t iova_delta = dev->dma_iova - (uint64_t)(uintptr_t)dev->dma_va;

	if (VPMD_UNLIKELY(qp >= dev->nb_qp || dev->state != VPMD_ST_STARTED || !n))
		return 0;
	vq = &dev->vq[2 * qp + 1];
	/* reclaim in blocks of at least VPMD_TX_FREE_THRESH, only when short */
	if (vq->nb_free < n)
		vpmd_tx_reclaim(dev, vq, n - vq->nb_free > VPMD_TX_FREE_THRESH ?
				n - vq->nb_free : VPMD_TX_FREE_THRESH);
	k = n < vq->nb_free ? n : vq->nb_free;
	idx = vq->avail_idx;
	for (i = 0; i < k; i++) {
		struct vionic_mbuf *m = pkts[i];
		uint16_t id = vpmd_id_get(vq);
		struct vring_desc *d = &vq->desc[id];
		uint8_t *hdr = m->data - VIONIC_NET_HDR_LEN;
		uint64_t h8;
		uint32_t h4;

		if (i + 4 < k)
			__builtin_prefetch(pkts[i + 4]);
		/* virtio_net_hdr: no offloads negotiated, all zero (an RX header
		 * has num_buffers = 1: clear it only where it is not zero) */
		memcpy(&h8, hdr, 8);
		memcpy(&h4, hdr + 8, 4);
		if (VPMD_UNLIKELY(h8 | h4))
			memset(hdr, 0, VIONIC_NET_HDR_LEN);
		vq->cookie[id] = m;
		VPMD_SET(d->addr, (uint64_t)(uintptr_t)hdr + iova_delta);
		VPMD_SET(d->len, (uint32_t)m->len + VIONIC_NET_HDR_LEN);
		VPMD_SET(d->flags, 0);
		VPMD_SET(d->next, 0);
		VPMD_SET(vq->avail->ring[idx & vq->mask], id);
		idx++;
		bytes += m->len;
	}
	if (VPMD_LIKELY(k)) {
		vq->avail_idx = idx;
		__atomic_store_n(&vq->avail->idx, idx, __ATOMIC_RELEASE);
		vpmd_vq_kick(dev, vq);
	}
	vq->packets += k;
	vq->bytes += bytes;
	vq->ring_full += n - k;
	return k;
}

int vionic_tx_reclaim(vionic_dev *dev, uint16_t qp)
{
	struct vpmd_vq *vq;

	if (!dev)
		return vpmd_err(VIONIC_EINVAL, "vionic_tx_reclaim: NULL device");
	if (qp >= dev->nb_qp)
		return vpmd_err(VIONIC_EQUEUE, "queue pair %u does not exist; this device has %u "
				"(use 0..%u)", qp, dev->nb_qp, dev->nb_qp ? dev->nb_qp - 1 : 0);
	if (dev->state == VPMD_ST_OPEN)
		return vpmd_err(VIONIC_ESTATE, "device not configured; call vionic_configure");
	vq = &dev->vq[2 * qp + 1];
	vpmd_tx_reclaim(dev, vq, vq->size);
	return vq->nb_free;
}

static int check_qp_started(struct vionic_dev *dev, uint16_t qp, const char *fn)
{
	if (!dev)
		return vpmd_err(VIONIC_EINVAL, "%s: NULL device", fn);
	if (qp >= dev->nb_qp || dev->state == VPMD_ST_OPEN) {
		if (dev->state == VPMD_ST_OPEN)
			return vpmd_err(VIONIC_ESTATE, "%s: device not configured; call "
					"vionic_configure and vionic_start first", fn);
		return vpmd_err(VIONIC_EQUEUE, "%s: queue pair %u does not exist; this device "
				"has %u (use 0..%u)", fn, qp, dev->nb_qp, dev->nb_qp - 1);
	}
	if (dev->state != VPMD_ST_STARTED)
		return vpmd_err(VIONIC_ESTATE, "%s: device not started; call vionic_start", fn);
	return 0;
}

int vionic_tx_copy(vionic_dev *dev, uint16_t qp, const uint8_t *buf, size_t stride,
		   const uint16_t *len, unsigned n)
{
	struct vionic_mbuf *m[64];
	unsigned done = 0, i;
	uint16_t maxf;
	int r;

	if ((r = check_qp_started(dev, qp, "vionic_tx_copy")))
		return r;
	if (n && (!buf || !len))
		return vpmd_err(VIONIC_EINVAL, "vionic_tx_copy: NULL buffer or length array");
	maxf = dev->mtu + 14;
	if (maxf > dev->pool.room)
		maxf = dev->pool.room;
	for (i = 0; i < n; i++) {
		if (len[i] < 14)
			return vpmd_err(VIONIC_ETOOSMALL, "frame %u is %u bytes; an Ethernet frame "
					"has at least 14 (the device pads to %d)", i, len[i],
					VIONIC_MIN_FRAME);
		if (len[i] > maxf)
			return vpmd_err(VIONIC_ETOOBIG, "frame %u is %u bytes; the largest is %u "
					"(MTU %u + 14-byte Ethernet header%s)", i, len[i], maxf,
					dev->mtu, maxf < dev->mtu + 14 ? ", limited by the mbuf size" : "");
		if (stride < len[i])
			return vpmd_err(VIONIC_EINVAL, "frame %u is %u bytes but the stride is only "
					"%zu", i, len[i], stride);
	}
	while (done < n) {
		struct vpmd_vq *vq = &dev->vq[2 * qp + 1];
		unsigned want = n - done, got;
		uint16_t sent;

		if (want > 64)
			want = 64;
		if (vq->nb_free < want)
			vpmd_tx_reclaim(dev, vq, vq->size);
		if (want > vq->nb_free)
			want = vq->nb_free;
		if (want > dev->pool.top)
			want = dev->pool.top;
		if (!want)
			break;
		if (vionic_mbuf_alloc_bulk(dev, m, want))
			break;
		for (i = 0; i < want; i++) {
			const uint8_t *src = buf + (size_t)(done + i) * stride;
			memcpy(m[i]->data, src, len[done + i]);
			m[i]->len = len[done + i];
		}
		sent = vionic_tx_burst(dev, qp, m, (uint16_t)want);
		if (sent < want)
			vionic_mbuf_free_bulk(dev, m + sent, want - sent);
		done += sent;
		got = sent;
		if (got < want)
			break;
	}
	return (int)done;
}

int vionic_rx_copy(vionic_dev *dev, uint16_t qp, uint8_t *buf, size_t stride,
		   uint16_t *len, unsigned n)
{
	struct vionic_mbuf *m[64];
	unsigned done = 0;
	int r;

	if ((r = check_qp_started(dev, qp, "vionic_rx_copy")))
		return r;
	if (n && (!buf || !len))
		return vpmd_err(VIONIC_EINVAL, "vionic_rx_copy: NULL buffer or length array");
	if (n && stride < (size_t)dev->mtu + 14)
		return vpmd_err(VIONIC_EINVAL, "vionic_rx_copy: stride %zu is smaller than the "
				"largest frame (%u = MTU %u + 14); use a stride of at least %u",
				stride, dev->mtu + 14, dev->mtu, dev->mtu + 14);
	while (done < n) {
		unsigned want = n - done < 64 ? n - done : 64, i;
		uint16_t got = vionic_rx_burst(dev, qp, m, (uint16_t)want);

		for (i = 0; i < got; i++) {
			if (m[i]->len > stride) {
				dev->vq[2 * qp].errors++;  /* never truncate silently */
				continue;
			}
			memcpy(buf + (size_t)done * stride, m[i]->data, m[i]->len);
			len[done++] = m[i]->len;
		}
		vionic_mbuf_free_bulk(dev, m, got);
		/* the mbufs just freed go straight back to their descriptors:
		 * the ring is full again when this call returns */
		if (got)
			vpmd_rx_refill(dev, &dev->vq[2 * qp], true);
		if (got < want)
			break;
	}
	return (int)done;
}

/* ---- blocking receive --------------------------------------------------- */
static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void drain_efd(int fd)
{
	uint64_t v;

	if (fd >= 0 && read(fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing pending */
	}
}

static int needs_reset_err(struct vionic_dev *dev)
{
	uint8_t st = 0;
	int r = vpmd_read_status(dev, &st);

	if (r)
		return r;
	if (st & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return vionic_check(dev);
	return 0;
}

int vionic_rx_wait(vionic_dev *dev, uint16_t qp, int timeout_ms)
{
	struct vpmd_vq *vq;
	int64_t deadline;
	int r, efd, cfd, sfd, ret = 0;

	if ((r = check_qp_started(dev, qp, "vionic_rx_wait")))
		return r;
	vq = &dev->vq[2 * qp];
	if (vq->nb_free)
		vpmd_rx_refill(dev, vq, true);   /* the device needs buffers to wake us */
	if (used_idx_acquire(vq) != vq->used_cons)
		return 1;
	deadline = timeout_ms < 0 ? INT64_MAX : mono_ms() + timeout_ms;
	efd = vq->msix_vector != VIRTIO_MSI_NO_VECTOR ? dev->irq_fd[vq->msix_vector] : -1;
	cfd = dev->nb_irq ? dev->irq_fd[0] : -1;
	sfd = dev->ops->event_fd(dev);

	/* arm: clear NO_INTERRUPT, then re-check (the device may have completed
	 * between our check and the flag store) */
	__atomic_store_n(&vq->avail->flags, 0, __ATOMIC_RELAXED);
	atomic_thread_fence(memory_order_seq_cst);
	for (;;) {
		struct pollfd p[3];
		int np = 0, left, pr;

		if (used_idx_acquire(vq) != vq->used_cons) {
			ret = 1;
			break;
		}
		if (dev->state != VPMD_ST_STARTED) {
			ret = vpmd_err(VIONIC_ESTATE, "device stopped while waiting");
			break;
		}
		if (mono_ms() >= deadline) {
			ret = 0;
			break;
		}
		if (efd >= 0)
			p[np++] = (struct pollfd){ .fd = efd, .events = POLLIN };
		if (cfd >= 0)
			p[np++] = (struct pollfd){ .fd = cfd, .events = POLLIN };
		if (sfd >= 0)
			p[np++] = (struct pollfd){ .fd = sfd, .events = POLLIN | POLLRDHUP };
		left = deadline == INT64_MAX ? 100 : (int)(deadline - mono_ms());
		if (left < 0)
			left = 0;
		/* without a queue vector, poll the ring every millisecond; with one,
		 * still wake every 100 ms as a guard against a lost interrupt */
		if (efd < 0 && left > 1)
			left = 1;
		else if (left > 100)
			left = 100;
		pr = poll(p, np, left);
		if (pr < 0 && errno != EINTR) {
			ret = vpmd_err(VIONIC_ENODEV, "poll: %s", strerror(errno));
			break;
		}
		if (pr <= 0)
			continue;
		for (int i = 0; i < np; i++) {
			if (!p[i].revents)
				continue;
			if (p[i].fd == efd) {
				drain_efd(efd);
			} else if (p[i].fd == cfd) {
				drain_efd(cfd);
				if ((r = needs_reset_err(dev))) {
					ret = r;
					goto out;
				}
			} else if (p[i].fd == sfd) {
				if ((r = dev->ops->check(dev))) {
					ret = r;
					goto out;
				}
			}
		}
	}
out:
	__atomic_store_n(&vq->avail->flags, VRING_AVAIL_F_NO_INTERRUPT, __ATOMIC_RELAXED);
	return ret;
}
