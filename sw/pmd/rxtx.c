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
#include <unistd.h>

#include "cacheline.h"
#include "inet_csum.h"
#include "vpmd.h"

static inline unsigned rx_thresh(const struct vpmd_vq *vq)
{
	return vq->size / 2 < VPMD_RX_REFILL_THRESH ? vq->size / 2 : VPMD_RX_REFILL_THRESH;
}

/* What the header of m (hl bytes) says: DATA_VALID when GUEST_CSUM checked
 * the frame; with HASH_REPORT the hash and its type. */
static inline void rx_offload(struct vionic_mbuf *m, unsigned hl)
{
	const uint8_t *h = m->data - hl;

	m->ol_flags = h[0] & VIRTIO_NET_HDR_F_DATA_VALID ? VIONIC_MBUF_F_RX_L4_CKSUM_GOOD : 0;
	if (hl != VIONIC_NET_HDR_LEN) {
		uint16_t type;

		memcpy(&m->hash, h + VIONIC_NET_HDR_HASH_VALUE, 4);
		memcpy(&type, h + VIONIC_NET_HDR_HASH_REPORT, 2);
		m->hash_type = type;
		if (type != VIRTIO_NET_HASH_REPORT_NONE)
			m->ol_flags |= VIONIC_MBUF_F_RX_RSS_HASH;
	}
}

/* rx_burst with VIRTIO_NET_F_MRG_RXBUF: a frame is num_buffers used
 * entries, the first with the header; the device publishes them together.
 * Later buffers hold frame bytes from their start (no header), so their
 * segment data begins the header length before the usual place. A frame
 * whose entries are not all there, or with a bad length, is dropped and
 * counted in errors (a broken device). */
static uint16_t rx_burst_mrg(struct vionic_dev *dev, struct vpmd_vq *vq,
			     struct vionic_mbuf **pkts, uint16_t n)
{
	struct vpmd_mempool *mine = vpmd_qp_pool(dev, vq->index / 2);
	const uint32_t maxlen = mine->mbuf_size, hl = mine->hdr_len;
	uint16_t left = vpmd_used_count(vq, vq->size), nb = 0;
	uint64_t bytes = 0;

	while (nb < n && left) {
		struct vionic_mbuf *m, *last;
		uint16_t nbuf;
		uint32_t len;
		bool fits, bad;

		m = vpmd_used_take(vq, &len);
		left--;
		if (VPMD_UNLIKELY(!m))
			continue;
		if (left > 8)
			__builtin_prefetch(&vq->used->ring[(uint16_t)(vq->used_cons + 8) & vq->mask]);
		memcpy(&nbuf, m->data - hl + VIONIC_NET_HDR_NUM_BUFFERS, 2);
		/* a count beyond the entries published: nothing to pair it with */
		fits = nbuf && nbuf - 1u <= left;
		bad = !fits || len < hl || len > maxlen;
		m->len = bad ? 0 : (uint16_t)(len - hl);
		m->pkt_len = m->len;
		last = m;
		for (uint16_t k = 1; fits && k < nbuf; k++) {
			struct vionic_mbuf *s = vpmd_used_take(vq, &len);

			left--;
			if (VPMD_UNLIKELY(!s || bad || !len || len > maxlen)) {
				if (s)   /* the rest of a bad frame is consumed too */
					vpmd_mbuf_put(dev, mine, &s, 1);
				bad = true;
				continue;
			}
			s->data -= hl;
			s->len = (uint16_t)len;
			last->next = s;
			last = s;
			m->pkt_len += len;
			m->nb_segs++;
		}
		if (VPMD_UNLIKELY(bad || m->pkt_len < VPMD_ETH_HLEN)) {
			vq->errors++;
			vpmd_mbuf_put_chains(dev, mine, &m, 1);
			continue;
		}
		rx_offload(m, hl);
		bytes += m->pkt_len;
		pkts[nb++] = m;
	}
	vq->packets += nb;
	vq->bytes += bytes;
	return nb;
}

uint16_t vionic_rx_burst(vionic_dev *dev, uint16_t qp, struct vionic_mbuf **pkts, uint16_t n)
{
	struct vpmd_vq *vq;
	uint16_t cnt, i, nb = 0;
	uint64_t bytes = 0;
	const uint32_t maxlen = dev->pool[0].mbuf_size, hl = dev->pool[0].hdr_len;

	if (VPMD_UNLIKELY(qp >= dev->nb_qp || dev->state != VPMD_ST_STARTED))
		return 0;
	vq = &dev->vq[2 * qp];
	/* Refill first, with the mbufs the caller freed since the last call:
	 * each descriptor gets back the buffer it had (no descriptor store). */
	if (vq->nb_free >= rx_thresh(vq))
		vpmd_rx_refill(dev, vq, true);
	if (vpmd_mrg_rxbuf(dev))
		return rx_burst_mrg(dev, vq, pkts, n);
	cnt = vpmd_used_count(vq, n);
	for (i = 0; i < cnt; i++) {
		struct vionic_mbuf *m;
		uint32_t len;

		if (i + 8 < cnt)
			__builtin_prefetch(&vq->used->ring[(uint16_t)(vq->used_cons + 8) & vq->mask]);
		m = vpmd_used_take(vq, &len);
		if (VPMD_UNLIKELY(!m))
			continue;
		if (VPMD_UNLIKELY(len < hl + VPMD_ETH_HLEN || len > maxlen)) {
			vq->errors++;
			vpmd_mbuf_put(dev, vpmd_qp_pool(dev, qp), &m, 1);
			continue;
		}
		m->len = (uint16_t)(len - hl);
		m->pkt_len = m->len;
		rx_offload(m, hl);
		bytes += m->len;
		pkts[nb++] = m;
	}
	vq->packets += nb;
	vq->bytes += bytes;
	return nb;
}

/* Writes the virtio_net_hdr asking the device to complete the L4 checksum,
 * unless hdr already holds it (as DPDK's virtio PMD assigns header fields
 * only where they differ): a buffer that carries the same kind of frame
 * again keeps its header line clean, so the device reads it from its own
 * cache rather than from this core's. Returns whether it wrote. */
static bool tx_csum_hdr(const struct vionic_mbuf *m, uint8_t *hdr)
{
	struct virtio_net_hdr h = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.csum_start = (uint16_t)(m->l2_len + m->l3_len),
		.csum_offset = m->ol_flags & VIONIC_MBUF_F_TX_TCP_CKSUM ? VCSUM_TCP_OFFSET
									: VCSUM_UDP_OFFSET,
	};
	if (!memcmp(hdr, &h, sizeof(h)))
		return false;
	memcpy(hdr, &h, sizeof(h));
	return true;
}

#define CSUM_NOT_NEGOTIATED "TX checksum offload needs VIRTIO_NET_F_CSUM, which was not " \
	"negotiated (compute the checksum in software)"

/* The L4 header of a frame whose checksum the device may complete: TCP or
 * UDP as vcsum_locate finds it, with the checksum field inside; 0 or -1. */
static int csum_locate(const uint8_t *f, uint16_t len, struct vcsum_l4 *l4)
{
	return vcsum_locate(f, len, l4) || l4->l4_len < (l4->proto == 6 ? VCSUM_TCP_OFFSET :
							  VCSUM_UDP_OFFSET) + 2u ? -1 : 0;
}

/* Where a TX checksum request of m breaks the rules, the reason (else NULL). */
static const char *tx_csum_refusal(const struct vionic_dev *dev, const struct vionic_mbuf *m)
{
	uint32_t flags = m->ol_flags & VIONIC_MBUF_F_TX_L4_MASK;

	if (!flags)
		return NULL;
	if (!(dev->driver_features & (1ULL << VIRTIO_NET_F_CSUM)))
		return CSUM_NOT_NEGOTIATED;
	if (flags == VIONIC_MBUF_F_TX_L4_MASK)
		return "both TCP and UDP checksum flags set: set the one of the frame's protocol";
	if ((uint32_t)m->l2_len + m->l3_len + (flags == VIONIC_MBUF_F_TX_TCP_CKSUM ?
	    VCSUM_TCP_OFFSET : VCSUM_UDP_OFFSET) + 2 > m->len)
		return "l2_len + l3_len put the checksum field beyond the frame "
		       "(vionic_tx_csum_prepare sets them)";
	return NULL;
}

uint16_t vionic_tx_prepare(vionic_dev *dev, uint16_t qp, struct vionic_mbuf **pkts, uint16_t n)
{
	vpmd_err_clear();
	if (!dev || (n && !pkts)) {
		vpmd_err(VIONIC_EINVAL, "vionic_tx_prepare: NULL argument");
		return 0;
	}
	if (qp >= dev->nb_qp) {
		vpmd_err(VIONIC_EQUEUE, "vionic_tx_prepare: queue pair %u does not exist", qp);
		return 0;
	}
	for (uint16_t i = 0; i < n; i++) {
		const char *why = tx_csum_refusal(dev, pkts[i]);
		if (why) {
			vpmd_err(VIONIC_EINVAL, "frame %u: %s", i, why);
			return i;
		}
	}
	return n;
}

int vionic_tx_csum_prepare(struct vionic_mbuf *m)
{
	struct vcsum_l4 l4;
	uint16_t seed;
	uint8_t *field;

	uint32_t frame_len = 0;

	vpmd_err_clear();
	if (!m)
		return vpmd_err(VIONIC_EINVAL, "vionic_tx_csum_prepare: NULL mbuf");
	for (const struct vionic_mbuf *s = m; s; s = s->next)
		frame_len += s->len;
	/* the headers are read in the first segment only */
	if (csum_locate(m->data, frame_len > 0xFFFF ? 0xFFFF : (uint16_t)frame_len, &l4) ||
	    l4.l4_off + (l4.proto == 6 ? VCSUM_TCP_OFFSET : VCSUM_UDP_OFFSET) + 2u > m->len)
		return vpmd_err(VIONIC_EINVAL, "the frame is not TCP or UDP over IPv4 (unfragmented) "
				"or IPv6 (no extension header) with its IP length inside the frame "
				"and its headers in the first segment: compute its checksum in "
				"software");
	m->l2_len = (uint16_t)l4.l3_off;
	m->l3_len = (uint16_t)(l4.l4_off - l4.l3_off);
	m->ol_flags = (m->ol_flags & ~VIONIC_MBUF_F_TX_L4_MASK) |
		      (l4.proto == 6 ? VIONIC_MBUF_F_TX_TCP_CKSUM : VIONIC_MBUF_F_TX_UDP_CKSUM);
	seed = vcsum_fold(vcsum_pseudo(m->data, &l4));   /* not complemented: the device sums it */
	field = m->data + l4.l4_off + (l4.proto == 6 ? VCSUM_TCP_OFFSET : VCSUM_UDP_OFFSET);
	vcsum_put(field, seed);
	return 0;
}

/* The virtio header (hl bytes) in front of m->data: a checksum request,
 * else zero (an RX header has num_buffers = 1: clear it only where it is
 * not zero). HASH_REPORT's 8 more bytes are not read on TX. A checksum
 * request written here goes to the shared cache at once (cacheline.h): the
 * device reads it next (txonly 64 B with checksums: 18.5 -> 26 Mpps). With
 * VIONIC_MBUF_F_TX_HANDOFF the frame's first line follows: here, as late as
 * the frame allows, so the application's stores to it have reached the line
 * (data is 64-byte aligned: the line is the frame's). */
static inline void tx_hdr(const struct vionic_mbuf *m, unsigned hl)
{
	uint8_t *hdr = m->data - hl;
	uint64_t h8;
	uint32_t h4;

	if (VPMD_UNLIKELY(m->ol_flags & VIONIC_MBUF_F_TX_L4_MASK)) {
		if (tx_csum_hdr(m, hdr))
			vcl_demote(hdr);   /* written here, read next by the device */
	} else {
		memcpy(&h8, hdr, 8);
		memcpy(&h4, hdr + 8, 4);
		if (VPMD_UNLIKELY(h8 | h4))
			memset(hdr, 0, VIONIC_NET_HDR_LEN);
	}
	if (m->ol_flags & VIONIC_MBUF_F_TX_HANDOFF)
		vcl_demote(m->data);
}

/* Posts chain m (header + first segment, then one descriptor per further
 * non-empty segment) in avail slot `slot`; false if the ring has too few
 * free descriptors. Adds its frame bytes to *bytes. */
static bool tx_post_chain(struct vionic_dev *dev, struct vpmd_vq *vq, struct vionic_mbuf *m,
			  uint16_t slot, uint64_t *bytes)
{
	const struct vpmd_mempool *p = &dev->pool[0];   /* the same IOVA delta for all */
	unsigned ndesc = 1;
	uint16_t head, id;

	for (const struct vionic_mbuf *s = m->next; s; s = s->next)
		ndesc += s->len != 0;   /* a zero-length descriptor is a device error */
	if (ndesc > vq->nb_free)
		return false;
	tx_hdr(m, p->hdr_len);
	head = id = vpmd_id_get(vq);
	vq->cookie[head] = m;
	for (const struct vionic_mbuf *s = m; s; s = s->next) {
		struct vring_desc *d = &vq->desc[id];
		const struct vionic_mbuf *nx = s->next;
		uint16_t nid = VPMD_NO_ID;

		if (s != m && !s->len)
			continue;
		while (nx && !nx->len)
			nx = nx->next;
		if (nx)
			nid = vpmd_id_get(vq);
		d->addr = s == m ? vpmd_mbuf_hdr_iova(p, m) : (uint64_t)(uintptr_t)s->data + p->iova_delta;
		d->len = s->len + (s == m ? p->hdr_len : 0u);
		d->flags = nx ? VRING_DESC_F_NEXT : 0;
		d->next = nx ? nid : 0;
		vq->chain_next[id] = nid;
		*bytes += s->len;
		id = nid;
	}
	VPMD_SET(vq->avail->ring[slot & vq->mask], head);
	return true;
}

uint16_t vionic_tx_burst(vionic_dev *dev, uint16_t qp, struct vionic_mbuf **pkts, uint16_t n)
{
	struct vpmd_vq *vq;
	uint16_t i, idx;
	uint64_t bytes = 0;
	const unsigned hl = dev->pool[0].hdr_len;

	if (VPMD_UNLIKELY(qp >= dev->nb_qp || dev->state != VPMD_ST_STARTED || !n))
		return 0;
	vq = &dev->vq[2 * qp + 1];
	/* reclaim in blocks of at least VPMD_TX_FREE_THRESH, only when short */
	if (vq->nb_free < n)
		vpmd_tx_reclaim(dev, vq, n - vq->nb_free > VPMD_TX_FREE_THRESH ?
				n - vq->nb_free : VPMD_TX_FREE_THRESH);
	idx = vq->avail_idx;
	for (i = 0; i < n; i++) {
		struct vionic_mbuf *m = pkts[i];
		uint16_t id;
		struct vring_desc *d;

		if (i + 4 < n)
			__builtin_prefetch(pkts[i + 4]);
		if (VPMD_UNLIKELY(m->next != NULL)) {
			if (!tx_post_chain(dev, vq, m, idx, &bytes))
				break;
			idx++;
			continue;
		}
		if (VPMD_UNLIKELY(!vq->nb_free))
			break;
		tx_hdr(m, hl);
		id = vpmd_id_get(vq);
		d = &vq->desc[id];
		vq->cookie[id] = m;
		VPMD_SET(d->addr, vpmd_mbuf_hdr_iova(&dev->pool[0], m));
		VPMD_SET(d->len, (uint32_t)m->len + hl);
		VPMD_SET(d->flags, 0);
		VPMD_SET(d->next, 0);
		VPMD_SET(vq->avail->ring[idx & vq->mask], id);
		idx++;
		bytes += m->len;
	}
	if (VPMD_LIKELY(i)) {
		vq->avail_idx = idx;
		__atomic_store_n(&vq->avail->idx, idx, __ATOMIC_RELEASE);
		vpmd_vq_kick(dev, vq);
	}
	vq->packets += i;
	vq->bytes += bytes;
	vq->ring_full += n - i;
	return i;
}

/* The checks of the non-burst calls; `started`: the call needs DRIVER_OK. */
static int check_qp(struct vionic_dev *dev, uint16_t qp, const char *fn, bool started)
{
	if (!dev)
		return vpmd_err(VIONIC_EINVAL, "%s: NULL device", fn);
	if (dev->state == VPMD_ST_OPEN)
		return vpmd_err(VIONIC_ESTATE, "%s: device not configured; call "
				"vionic_configure%s first", fn, started ? " and vionic_start" : "");
	if (qp >= dev->nb_qp)
		return vpmd_err(VIONIC_EQUEUE, "%s: queue pair %u does not exist; this device "
				"has %u (use 0..%u)", fn, qp, dev->nb_qp, dev->nb_qp - 1);
	if (started && dev->state != VPMD_ST_STARTED)
		return vpmd_err(VIONIC_ESTATE, "%s: device not started; call vionic_start", fn);
	return vpmd_netdev_owns(dev, fn);
}

int vionic_tx_reclaim(vionic_dev *dev, uint16_t qp)
{
	struct vpmd_vq *vq;
	int r;

	if ((r = check_qp(dev, qp, "vionic_tx_reclaim", false)))
		return r;
	vq = &dev->vq[2 * qp + 1];
	vpmd_tx_reclaim(dev, vq, vq->size);
	return vq->nb_free;
}

uint32_t vionic_mempool_avail(vionic_dev *dev)
{
	if (!dev)
		return 0;
	/* TX buffers the device has completed are free: take them back first,
	 * so avail + on_rings == nb_mbufs once nothing is in flight */
	if (dev->state != VPMD_ST_OPEN)
		for (unsigned q = 1; q < 2u * dev->nb_qp; q += 2)
			vpmd_tx_reclaim(dev, &dev->vq[q], dev->vq[q].size);
	uint32_t n = 0;
	for (unsigned k = 0; k < dev->nb_pools || k == 0; k++)
		n += dev->pool[k].top + atomic_load_explicit(&dev->pool[k].nreturned,
							     memory_order_relaxed);
	return n;
}

uint32_t vionic_mempool_on_rings(vionic_dev *dev)
{
	uint32_t n = 0;

	if (!dev || dev->state == VPMD_ST_OPEN)
		return 0;
	for (unsigned q = 0; q < 2u * dev->nb_qp; q += 2)
		if (dev->vq[q].size)
			n += (uint16_t)(dev->vq[q].size - dev->vq[q].nb_free);
	return n;
}

int vionic_tx_copy(vionic_dev *dev, uint16_t qp, const uint8_t *buf, size_t stride,
		   const uint16_t *len, const uint32_t *ol_flags, unsigned n)
{
	struct vionic_mbuf *m[64];
	unsigned done = 0, i;
	uint16_t maxf;
	int r;

	if ((r = check_qp(dev, qp, "vionic_tx_copy", true)))
		return r;
	if (n && (!buf || !len))
		return vpmd_err(VIONIC_EINVAL, "vionic_tx_copy: NULL buffer or length array");
	maxf = vpmd_max_frame(dev);
	for (i = 0; i < n; i++) {
		if (len[i] < VPMD_ETH_HLEN)
			return vpmd_err(VIONIC_ETOOSMALL, "frame %u is %u bytes; an Ethernet frame "
					"has at least %u (the device pads to %d)", i, len[i],
					VPMD_ETH_HLEN, VIONIC_MIN_FRAME);
		if (len[i] > maxf)
			return vpmd_err(VIONIC_ETOOBIG, "frame %u is %u bytes; the largest is %u "
					"(MTU %u + %u-byte Ethernet header)", i, len[i], maxf,
					dev->mtu, VPMD_ETH_HLEN);
		if (stride < len[i])
			return vpmd_err(VIONIC_EINVAL, "frame %u is %u bytes but the stride is only "
					"%zu", i, len[i], stride);
		if ((len[i] + dev->pool[0].room - 1u) / dev->pool[0].room > dev->vq[2 * qp + 1].size)
			return vpmd_err(VIONIC_ETOOBIG, "frame %u is %u bytes: %u mbufs of %u, more "
					"descriptors than the %u-entry TX ring has; use larger mbufs "
					"or a larger ring", i, len[i],
					(len[i] + dev->pool[0].room - 1u) / dev->pool[0].room,
					dev->pool[0].room, dev->vq[2 * qp + 1].size);
		if (ol_flags && (ol_flags[i] & VIONIC_MBUF_F_TX_L4_MASK)) {
			struct vcsum_l4 l4;

			if (!(dev->driver_features & (1ULL << VIRTIO_NET_F_CSUM)))
				return vpmd_err(VIONIC_EINVAL, "frame %u: %s", i, CSUM_NOT_NEGOTIATED);
			if (csum_locate(buf + (size_t)i * stride, len[i], &l4))
				return vpmd_err(VIONIC_EINVAL, "frame %u is not TCP or UDP over IPv4 "
						"or IPv6 with its IP length inside the frame: send it "
						"without checksum offload", i);
		}
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
		if (!want || !(want = vpmd_mbuf_alloc_upto(vpmd_qp_pool(dev, qp), m, want)))
			break;
		for (i = 0; i < want; i++) {
			const uint8_t *src = buf + (size_t)(done + i) * stride;
			/* larger than an mbuf: a chain (the mempool may run short) */
			if (vionic_mbuf_append(dev, m[i], src, len[done + i])) {
				vpmd_mbuf_put_chains(dev, vpmd_qp_pool(dev, qp), m + i, want - i);
				want = i;
				break;
			}
			m[i]->ol_flags = VIONIC_MBUF_F_TX_HANDOFF;   /* just written */
			if (ol_flags && (ol_flags[done + i] & VIONIC_MBUF_F_TX_L4_MASK) &&
			    (r = vionic_tx_csum_prepare(m[i]))) {   /* headers past one mbuf */
				vpmd_mbuf_put_chains(dev, vpmd_qp_pool(dev, qp), m, want);
				return done ? (int)done : r;
			}
		}
		if (!want)
			break;
		sent = vionic_tx_burst(dev, qp, m, (uint16_t)want);
		if (sent < want)
			vpmd_mbuf_put_chains(dev, vpmd_qp_pool(dev, qp), m + sent, want - sent);
		done += sent;
		got = sent;
		if (got < want)
			break;
	}
	return (int)done;
}

int vionic_rx_copy(vionic_dev *dev, uint16_t qp, uint8_t *buf, size_t stride,
		   uint16_t *len, uint32_t *ol_flags, uint32_t *hash, uint16_t *hash_type,
		   unsigned n)
{
	struct vionic_mbuf *m[64];
	unsigned done = 0;
	int r;

	if ((r = check_qp(dev, qp, "vionic_rx_copy", true)))
		return r;
	if (n && (!buf || !len))
		return vpmd_err(VIONIC_EINVAL, "vionic_rx_copy: NULL buffer or length array");
	if (n && stride < vpmd_rx_max_frame(dev))
		return vpmd_err(VIONIC_EINVAL, "vionic_rx_copy: stride %zu is smaller than the "
				"largest frame (%u: MTU %u + %u%s); use a stride of at least %u",
				stride, vpmd_rx_max_frame(dev), dev->mtu, VPMD_ETH_HLEN,
				vpmd_mrg_rxbuf(dev) ? "" : ", at most the mbuf room",
				vpmd_rx_max_frame(dev));
	while (done < n) {
		unsigned want = n - done < 64 ? n - done : 64, i;
		uint16_t got = vionic_rx_burst(dev, qp, m, (uint16_t)want);

		for (i = 0; i < got; i++) {
			uint8_t *dst = buf + (size_t)done * stride;
			int l;

			if (VPMD_LIKELY(!m[i]->next && m[i]->len <= stride)) {
				memcpy(dst, m[i]->data, m[i]->len);
				l = m[i]->len;
			} else {   /* a chain */
				l = vionic_mbuf_read(m[i], dst, stride < UINT32_MAX ?
						     (uint32_t)stride : UINT32_MAX);
			}

			if (l < 0) {
				dev->vq[2 * qp].errors++;  /* never truncate silently */
				continue;
			}
			if (ol_flags)
				ol_flags[done] = m[i]->ol_flags;
			if (hash)
				hash[done] = m[i]->hash;
			if (hash_type)
				hash_type[done] = m[i]->hash_type;
			len[done++] = (uint16_t)l;
		}
		vpmd_mbuf_put_chains(dev, vpmd_qp_pool(dev, qp), m, got);
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

	if ((r = check_qp(dev, qp, "vionic_rx_wait", true)))
		return r;
	vq = &dev->vq[2 * qp];
	if (vq->nb_free)
		vpmd_rx_refill(dev, vq, true);   /* the device needs buffers to wake us */
	if (vpmd_used_idx(vq) != vq->used_cons)
		return 1;
	deadline = timeout_ms < 0 ? INT64_MAX : vpmd_mono_ms() + timeout_ms;
	efd = vq->msix_vector != VIRTIO_MSI_NO_VECTOR ? dev->irq_fd[vq->msix_vector] : -1;
	cfd = dev->nb_irq ? dev->irq_fd[0] : -1;
	sfd = dev->ops->event_fd(dev);

	vpmd_rx_irq_arm(vq);   /* the loop re-checks the ring after arming */
	for (;;) {
		struct pollfd p[3];
		int np = 0, left, pr;

		if (vpmd_used_idx(vq) != vq->used_cons) {
			ret = 1;
			break;
		}
		if (dev->state != VPMD_ST_STARTED) {
			ret = vpmd_err(VIONIC_ESTATE, "device stopped while waiting");
			break;
		}
		if (vpmd_mono_ms() >= deadline) {
			ret = 0;
			break;
		}
		if (efd >= 0)
			p[np++] = (struct pollfd){ .fd = efd, .events = POLLIN };
		if (cfd >= 0)
			p[np++] = (struct pollfd){ .fd = cfd, .events = POLLIN };
		if (sfd >= 0)
			p[np++] = (struct pollfd){ .fd = sfd, .events = POLLIN | POLLRDHUP };
		left = deadline == INT64_MAX ? 100 : (int)(deadline - vpmd_mono_ms());
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
	vpmd_rx_irq_disarm(vq);
	return ret;
}
