/* SPDX-License-Identifier: MIT */
/*
 * Device life cycle: open (URI -> transport, PCI probe), configure (VIRTIO
 * 1.2 §3.1.1 up to DRIVER_OK), start, stop, reset (the way out of
 * NEEDS_RESET), close; info, counters and the health check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vpmd.h"

static uint32_t common(struct vionic_dev *dev, uint32_t reg)
{
	return dev->caps.common_off + reg;
}

static int set_status(struct vionic_dev *dev, uint8_t st)
{
	return vpmd_reg_write8(dev, common(dev, VIRTIO_PCI_COMMON_STATUS), st);
}

static void fail_status(struct vionic_dev *dev)
{
	uint8_t st = 0;

	if (!vpmd_read_status(dev, &st))
		set_status(dev, st | VIRTIO_STATUS_FAILED);
}

/* "VERSION_1 MTU ..." for a feature mask; bits without a name as bitN. */
static void feature_list(uint64_t f, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (unsigned b = 0; b < 64 && o < len; b++) {
		const char *name = vionic_feature_name(b);

		if (!(f & (1ull << b)))
			continue;
		if (name)
			o += snprintf(buf + o, len - o, "%s%s", o ? " " : "", name);
		else
			o += snprintf(buf + o, len - o, "%sbit%u", o ? " " : "", b);
	}
}

static int read_device_features(struct vionic_dev *dev, uint64_t *f)
{
	uint32_t lo, hi;
	int r;

	if ((r = vpmd_reg_write32(dev, common(dev, VIRTIO_PCI_COMMON_DFSELECT), 0)) ||
	    (r = vpmd_reg_read32(dev, common(dev, VIRTIO_PCI_COMMON_DF), &lo)) ||
	    (r = vpmd_reg_write32(dev, common(dev, VIRTIO_PCI_COMMON_DFSELECT), 1)) ||
	    (r = vpmd_reg_read32(dev, common(dev, VIRTIO_PCI_COMMON_DF), &hi)))
		return r;
	*f = (uint64_t)hi << 32 | lo;
	return 0;
}

/* Device identity and configuration that do not depend on negotiation. */
static int read_identity(struct vionic_dev *dev)
{
	uint32_t d = dev->caps.device_off;
	uint16_t v16;
	int r;

	if ((r = read_device_features(dev, &dev->device_features)))
		return r;
	if ((r = dev->ops->bar_read(dev, dev->caps.bar, d + VIRTIO_NET_CFG_MAC, dev->mac, 6)))
		return r;
	dev->mtu = VIONIC_DEFAULT_MTU;
	if (dev->device_features & (1ull << VIRTIO_NET_F_MTU)) {
		if ((r = vpmd_reg_read16(dev, d + VIRTIO_NET_CFG_MTU, &v16)))
			return r;
		if (v16 >= 68)
			dev->mtu = v16;
	}
	dev->max_qp = 1;
	if ((r = vpmd_reg_read16(dev, d + VIRTIO_NET_CFG_MAX_VQ_PAIRS, &v16)))
		return r;
	if (dev->device_features & (1ull << VIRTIO_NET_F_MQ) && v16)
		dev->max_qp = v16;
	if ((r = vpmd_reg_write16(dev, common(dev, VIRTIO_PCI_COMMON_Q_SELECT), 0)) ||
	    (r = vpmd_reg_read16(dev, common(dev, VIRTIO_PCI_COMMON_Q_SIZE), &dev->max_ring)))
		return r;
	if ((r = vpmd_reg_read32(dev, VIONIC_REG_ID, &dev->impl)))
		return r;
	if (dev->impl == VIONIC_ID_MAGIC) {
		if ((r = vpmd_reg_read32(dev, VIONIC_REG_VERSION, &dev->regmap_version)) ||
		    (r = vpmd_reg_read32(dev, VIONIC_REG_IMPL, &dev->impl)))
			return r;
	} else {
		dev->impl = 0;    /* a virtio-net device without the vionic vendor block */
	}
	return 0;
}

/* ---- open / close ---------------------------------------------------- */
int vionic_open(const char *uri, vionic_dev **out)
{
	struct vionic_dev *dev;
	const struct vpmd_transport_ops *ops;
	const char *arg;
	int r;

	vpmd_err_clear();
	if (!out)
		return vpmd_err(VIONIC_EINVAL, "vionic_open: NULL output pointer");
	*out = NULL;
	if (!uri)
		return vpmd_err(VIONIC_EURI, "no URI; use sim:/path/to/socket");
	if (!strncmp(uri, "sim:", 4)) {
		ops = &vpmd_sim_ops;
		arg = uri + 4;
	} else if (!strncmp(uri, "vfio:", 5)) {
		return vpmd_err(VIONIC_EURI, "URI \"%s\": the vfio transport (Linux VFIO for a "
				"board) is not built yet; use sim:/path/to/socket with a device "
				"server", uri);
	} else {
		return vpmd_err(VIONIC_EURI, "URI \"%s\" not understood; use sim:/path/to/socket "
				"(a vionic device server) or vfio:DDDD:BB:DD.F (a board)", uri);
	}
	dev = aligned_alloc(64, (sizeof(*dev) + 63) & ~(size_t)63);
	if (!dev)
		return vpmd_err(VIONIC_ENOMEM, "out of memory");
	memset(dev, 0, sizeof(*dev));
	dev->ops = ops;
	dev->dma_fd = -1;
	dev->vdpa_ctrl_fd = -1;
	for (unsigned i = 0; i < sizeof(dev->irq_fd) / sizeof(dev->irq_fd[0]); i++)
		dev->irq_fd[i] = -1;
	r = ops->open(dev, arg);
	if (r) {
		free(dev);
		return r;
	}
	if ((r = vpmd_pci_probe(dev)) || (r = ops->device_reset(dev)) ||
	    (r = vpmd_device_reset(dev)) || (r = read_identity(dev))) {
		ops->close(dev);
		free(dev);
		return r;
	}
	*out = dev;
	return 0;
}

static void release_inflight(struct vionic_dev *dev)
{
	for (unsigned q = 0; q < VPMD_MAX_VQ; q++)
		if (dev->vq[q].size)
			vpmd_vq_release_all(dev, &dev->vq[q]);
}

static void teardown(struct vionic_dev *dev)
{
	release_inflight(dev);
	for (unsigned q = 0; q < VPMD_MAX_VQ; q++) {
		vpmd_vq_free_meta(&dev->vq[q]);
		memset(&dev->vq[q], 0, sizeof(dev->vq[q]));
	}
	vpmd_mempool_fini(dev);
	vpmd_dma_free(dev);
	dev->nb_qp = 0;
}

static void irq_teardown(struct vionic_dev *dev)
{
	if (dev->nb_irq && dev->tp)
		dev->ops->irq_set(dev, NULL, 0);
	for (unsigned i = 0; i < sizeof(dev->irq_fd) / sizeof(dev->irq_fd[0]); i++) {
		if (dev->irq_fd[i] >= 0)
			close(dev->irq_fd[i]);
		dev->irq_fd[i] = -1;
	}
	dev->nb_irq = 0;
}

void vionic_close(vionic_dev *dev)
{
	if (!dev)
		return;
	if (dev->netdev)
		dev->netdev_stop(dev->netdev, NULL);
	if (dev->tp && dev->ops->check(dev) == 0)
		set_status(dev, 0);      /* quiesce the device before unmapping */
	if (dev->vdpa_irqs && dev->tp)
		dev->ops->irq_set(dev, NULL, 0);
	irq_teardown(dev);
	teardown(dev);
	if (dev->vdpa_ctrl_va) {    /* the device is gone with the transport */
		munmap(dev->vdpa_ctrl_va, VPMD_VDPA_CTRL_BYTES);
		close(dev->vdpa_ctrl_fd);
	}
	if (dev->tp)
		dev->ops->close(dev);
	free(dev);
}

/* ---- bring-up ---------------------------------------------------------- */
/* VIRTIO 1.2 §3.1.1 steps 1-6: reset, ACKNOWLEDGE, DRIVER, features `want`
 * (checked against what the device offers and, with `pmd_data_path`, what
 * libvionic's data path implements), FEATURES_OK checked. */
int vpmd_negotiate(struct vionic_dev *dev, uint64_t want, bool pmd_data_path)
{
	uint64_t dfeat;
	uint8_t st = 0;
	char b1[256], b2[256];
	int r;

	if ((r = vpmd_device_reset(dev)))
		return r;
	if ((r = set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE)) ||
	    (r = set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER)))
		return r;
	if ((r = read_device_features(dev, &dfeat)))
		return r;
	dev->device_features = dfeat;
	if (dfeat & (1ull << VIRTIO_F_ACCESS_PLATFORM))
		want |= 1ull << VIRTIO_F_ACCESS_PLATFORM;   /* we always use IOVAs */
	if (want & ~dfeat) {
		feature_list(want & ~dfeat, b1, sizeof(b1));
		feature_list(dfeat, b2, sizeof(b2));
		fail_status(dev);
		return vpmd_err(VIONIC_EFEATURE, "the device does not offer %s (it offers %s); "
				"request only offered features (features = 0 takes what "
				"both sides support)", b1, b2);
	}
	if (pmd_data_path && (want & ~VPMD_SUPPORTED_FEATURES)) {
		feature_list(want & ~VPMD_SUPPORTED_FEATURES, b1, sizeof(b1));
		fail_status(dev);
		return vpmd_err(VIONIC_EFEATURE, "libvionic does not implement %s yet; leave "
				"those bits out of features", b1);
	}
	if (!(want & (1ull << VIRTIO_F_VERSION_1))) {
		fail_status(dev);
		return vpmd_err(VIONIC_EFEATURE, "VERSION_1 is required (legacy virtio is not "
				"supported); include bit %d in features", VIRTIO_F_VERSION_1);
	}
	if ((r = vpmd_reg_write32(dev, common(dev, VIRTIO_PCI_COMMON_GFSELECT), 0)) ||
	    (r = vpmd_reg_write32(dev, common(dev, VIRTIO_PCI_COMMON_GF), (uint32_t)want)) ||
	    (r = vpmd_reg_write32(dev, common(dev, VIRTIO_PCI_COMMON_GFSELECT), 1)) ||
	    (r = vpmd_reg_write32(dev, common(dev, VIRTIO_PCI_COMMON_GF), (uint32_t)(want >> 32))))
		return r;
	if ((r = set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			    VIRTIO_STATUS_FEATURES_OK)) ||
	    (r = vpmd_read_status(dev, &st)))
		return r;
	if (!(st & VIRTIO_STATUS_FEATURES_OK)) {
		feature_list(want, b1, sizeof(b1));
		fail_status(dev);
		return vpmd_err(VIONIC_EFEATURE, "the device refused features 0x%llx (%s): "
				"FEATURES_OK did not stick (status 0x%02x); request fewer features",
				(unsigned long long)want, b1, st);
	}
	dev->driver_features = want;
	return 0;
}

/* VIRTIO 1.2 §3.1.1 steps 1-7 with the queues of dev->vq[] laid out. */
static int bringup(struct vionic_dev *dev)
{
	int r;

	if ((r = vpmd_negotiate(dev, dev->conf.features, true)))
		return r;
	/* MSI-X: vector 0 config changes, 1 + vq for each queue */
	if (dev->nb_irq) {
		uint16_t v;
		if ((r = vpmd_reg_write16(dev, common(dev, VIRTIO_PCI_COMMON_MSIX), 0)) ||
		    (r = vpmd_reg_read16(dev, common(dev, VIRTIO_PCI_COMMON_MSIX), &v)))
			return r;
	}
	for (unsigned q = 0; q < 2u * dev->nb_qp; q++) {
		struct vpmd_vq *vq = &dev->vq[q];

		vq->msix_vector = q + 1 < dev->nb_irq ? q + 1 : VIRTIO_MSI_NO_VECTOR;
		if ((r = vpmd_vq_setup(dev, vq)))
			return r;
	}
	if (dev->ctrl) {
		struct vpmd_vq *cq = &dev->vq[2 * dev->max_qp];
		cq->msix_vector = VIRTIO_MSI_NO_VECTOR;   /* answers are polled for */
		if ((r = vpmd_vq_setup(dev, cq)))
			return r;
	}
	/* step 7: fill the receive queues (no notification before DRIVER_OK) */
	for (unsigned q = 0; q < 2u * dev->nb_qp; q += 2)
		vpmd_rx_refill(dev, &dev->vq[q], false);
	return 0;
}

static int irq_setup(struct vionic_dev *dev, unsigned want)
{
	int avail = dev->ops->irq_count(dev);
	unsigned n = want;
	int r;

	if (dev->nb_irq >= want)
		return 0;
	irq_teardown(dev);
	if (avail <= 0)
		return 0;    /* no MSI-X: rx_wait polls */
	if ((unsigned)avail < n)
		n = (unsigned)avail;
	for (unsigned i = 0; i < n; i++) {
		dev->irq_fd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (dev->irq_fd[i] < 0) {
			r = vpmd_err(VIONIC_ENOMEM, "eventfd: %s", strerror(errno));
			irq_teardown(dev);
			return r;
		}
	}
	r = dev->ops->irq_set(dev, dev->irq_fd, n);
	if (r) {
		irq_teardown(dev);
		return r;
	}
	dev->nb_irq = n;
	return 0;
}

static bool is_pow2(unsigned x)
{
	return x && !(x & (x - 1));
}

static int check_ring(struct vionic_dev *dev, const char *what, uint32_t size)
{
	if (!is_pow2(size))
		return vpmd_err(VIONIC_ERING, "%s ring size %u is not a power of two; use a power "
				"of two from 1 to %u (e.g. 256)", what, size, dev->max_ring);
	if (size > dev->max_ring)
		return vpmd_err(VIONIC_ERING, "%s ring size %u is above the device maximum %u; "
				"use a power of two from 1 to %u", what, size, dev->max_ring,
				dev->max_ring);
	return 0;
}

int vionic_configure(vionic_dev *dev, const struct vionic_conf *conf_in)
{
	struct vionic_conf c = { 0 };
	uint16_t default_ring;
	uint64_t off, total;
	bool reuse;
	int r;

	vpmd_err_clear();
	if (!dev)
		return vpmd_err(VIONIC_EINVAL, "vionic_configure: NULL device");
	if ((r = vpmd_netdev_owns(dev, "vionic_configure")))
		return r;
	if (dev->state == VPMD_ST_STARTED)
		return vpmd_err(VIONIC_ESTATE, "device is started; call vionic_stop before "
				"configuring it again");
	if (dev->vdpa)
		return vpmd_err(VIONIC_ESTATE, "the device runs a vDPA frontend's rings; call "
				"vionic_vdpa_reset before configuring it for libvionic");
	if (conf_in)
		c = *conf_in;
	if (!c.nb_queue_pairs)
		c.nb_queue_pairs = 1;
	if (c.nb_queue_pairs > VPMD_MAX_QP || c.nb_queue_pairs > dev->max_qp)
		return vpmd_err(VIONIC_EQUEUE, "%u queue pairs requested; this device has %u%s; "
				"use 1..%u", c.nb_queue_pairs, dev->max_qp,
				dev->max_qp == 1 ? " (no VIRTIO_NET_F_MQ)" : "", dev->max_qp);
	default_ring = dev->max_ring < VPMD_DEFAULT_RING ? dev->max_ring : VPMD_DEFAULT_RING;
	if (!c.rx_ring_size)
		c.rx_ring_size = default_ring;
	if (!c.tx_ring_size)
		c.tx_ring_size = default_ring;
	if ((r = check_ring(dev, "rx", c.rx_ring_size)) || (r = check_ring(dev, "tx", c.tx_ring_size)))
		return r;
	if (!c.mbuf_size)
		c.mbuf_size = VPMD_DEFAULT_MBUF;
	if (c.mbuf_size < VPMD_MIN_MBUF || c.mbuf_size > VPMD_MAX_MBUF)
		return vpmd_err(VIONIC_EINVAL, "mbuf_size %u is out of range; use %u..%u (0 = %u), "
				"at least MTU + %u + %u = %u for full-size frames", c.mbuf_size,
				VPMD_MIN_MBUF, VPMD_MAX_MBUF, VPMD_DEFAULT_MBUF, VPMD_ETH_HLEN,
				VIONIC_NET_HDR_LEN, dev->mtu + VPMD_ETH_HLEN + VIONIC_NET_HDR_LEN);
	if (!c.nb_mbufs)
		c.nb_mbufs = 2u * c.nb_queue_pairs * (c.rx_ring_size + c.tx_ring_size) + 1024;
	if (c.nb_mbufs < (uint32_t)c.nb_queue_pairs * c.rx_ring_size + 64)
		return vpmd_err(VIONIC_ENOMEM, "nb_mbufs %u cannot fill the RX ring (%u) and leave "
				"mbufs to send; use at least %u (0 picks a good default)",
				c.nb_mbufs, c.rx_ring_size,
				(uint32_t)c.nb_queue_pairs * c.rx_ring_size + 64);
	if (c.nb_mbufs > (1u << 24))
		return vpmd_err(VIONIC_EINVAL, "nb_mbufs %u is too many; use at most %u",
				c.nb_mbufs, 1u << 24);
	if (!c.features)
		c.features = VPMD_SUPPORTED_FEATURES & dev->device_features;
	if (c.nb_queue_pairs > 1 && (c.features & VIONIC_MQ_FEATURES) != VIONIC_MQ_FEATURES)
		return vpmd_err(VIONIC_EFEATURE, "%u queue pairs need VIRTIO_NET_F_MQ and CTRL_VQ "
				"in features", c.nb_queue_pairs);

	/* the same layout keeps the DMA memory (and mbufs the caller holds) */
	reuse = dev->dma_va && dev->conf.nb_queue_pairs == c.nb_queue_pairs &&
		dev->conf.features == c.features &&
		dev->conf.rx_ring_size == c.rx_ring_size &&
		dev->conf.tx_ring_size == c.tx_ring_size &&
		dev->conf.nb_mbufs == c.nb_mbufs && dev->conf.mbuf_size == c.mbuf_size;
	if (dev->state != VPMD_ST_OPEN || dev->dma_va) {
		if ((r = vpmd_device_reset(dev)))
			return r;
	}
	if (!reuse)
		teardown(dev);
	else
		release_inflight(dev);
	dev->conf = c;
	dev->rss_set = false;
	dev->nb_qp = c.nb_queue_pairs;
	dev->ctrl = (c.features >> VIRTIO_NET_F_CTRL_VQ) & 1;
	dev->state = VPMD_ST_OPEN;

	if (!reuse) {
		off = 0;
		for (unsigned q = 0; q < 2u * c.nb_queue_pairs; q++)
			off += vpmd_vq_ring_bytes(q & 1 ? c.tx_ring_size : c.rx_ring_size);
		if (dev->ctrl)   /* its ring, then a page for the command */
			off += vpmd_vq_ring_bytes(VPMD_CTRL_RING) + 4096;
		total = off + vpmd_mempool_bytes(c.nb_mbufs, c.mbuf_size) + VPMD_DMA_GUARD;
		if ((r = vpmd_dma_alloc(dev, total)))
			goto fail;
		off = 0;
		for (unsigned q = 0; q < 2u * c.nb_queue_pairs; q++) {
			uint16_t sz = q & 1 ? c.tx_ring_size : c.rx_ring_size;
			vpmd_vq_layout(dev, &dev->vq[q], q, sz, off);
			if ((r = vpmd_vq_alloc_meta(&dev->vq[q])))
				goto fail;
			off += vpmd_vq_ring_bytes(sz);
		}
		if (dev->ctrl) {
			struct vpmd_vq *cq = &dev->vq[2 * dev->max_qp];
			vpmd_vq_layout(dev, cq, (uint16_t)(2 * dev->max_qp), VPMD_CTRL_RING, off);
			if ((r = vpmd_vq_alloc_meta(cq)))
				goto fail;
			off += vpmd_vq_ring_bytes(VPMD_CTRL_RING);
			dev->ctrl_buf = dev->dma_va + off;
			dev->ctrl_buf_iova = dev->dma_iova + off;
			off += 4096;
		}
		if ((r = vpmd_mempool_init(dev, off, c.nb_mbufs, c.mbuf_size, c.nb_queue_pairs)))
			goto fail;
	}
	for (unsigned q = 0; q < 2u * c.nb_queue_pairs; q++) {
		struct vpmd_vq *vq = &dev->vq[q];
		vq->packets = vq->bytes = vq->nombuf = vq->ring_full = vq->doorbells = vq->errors = 0;
		vpmd_vq_reset(vq);
	}
	if (dev->ctrl)
		vpmd_vq_reset(&dev->vq[2 * dev->max_qp]);
	if ((r = irq_setup(dev, 1 + 2u * c.nb_queue_pairs)))
		goto fail;
	if ((r = bringup(dev)))
		goto fail;
	dev->state = VPMD_ST_CONFIGURED;
	return 0;
fail:
	release_inflight(dev);
	dev->state = VPMD_ST_OPEN;
	return r;
}

/* VIRTIO 1.2 §3.1.1 step 8: DRIVER_OK, checked (NEEDS_RESET with the
 * device's error log). */
int vpmd_set_driver_ok(struct vionic_dev *dev)
{
	uint8_t st = 0;
	int r;

	if ((r = set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			    VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK)) ||
	    (r = vpmd_read_status(dev, &st)))
		return r;
	if (st & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return vionic_check(dev);
	if (!(st & VIRTIO_STATUS_DRIVER_OK))
		return vpmd_err(VIONIC_EPROTO, "device did not accept DRIVER_OK (status 0x%02x); "
				"check the device error log (vionic_stats_get) and reset", st);
	return 0;
}

/* RSS_CONFIG (a table) or HASH_CONFIG (hash report only) of c on the
 * control queue, as regs.h lays them out. */
static int rss_send(struct vionic_dev *dev, const struct vionic_rss_conf *c)
{
	uint8_t cmd[VPMD_CTRL_ACK_OFF], *p = cmd;

	*p++ = VIRTIO_NET_CTRL_MQ;
	*p++ = c->reta_size ? VIRTIO_NET_CTRL_MQ_RSS_CONFIG : VIRTIO_NET_CTRL_MQ_HASH_CONFIG;
	memcpy(p, &c->hash_types, 4);
	p += 4;
	if (c->reta_size) {
		const uint16_t mask = (uint16_t)(c->reta_size - 1), unclassified = 0;
		const uint16_t tx = dev->nb_qp;

		memcpy(p, &mask, 2);
		memcpy(p + 2, &unclassified, 2);
		memcpy(p + 4, c->reta, 2u * c->reta_size);
		p += 4 + 2u * c->reta_size;
		memcpy(p, &tx, 2);
		p += 2;
	} else {
		memset(p, 0, 8);   /* reserved */
		p += 8;
	}
	*p++ = c->key_len;
	memcpy(p, c->key, c->key_len);
	p += c->key_len;
	return vpmd_ctrl_cmd(dev, &dev->vq[2 * dev->max_qp], dev->ctrl_buf, dev->ctrl_buf_iova,
			     cmd, (unsigned)(p - cmd), VPMD_CTRL_TIMEOUT_MS);
}

int vionic_rss_configure(vionic_dev *dev, const struct vionic_rss_conf *conf)
{
	const uint64_t need = 1ULL << (conf && conf->reta_size ? VIRTIO_NET_F_RSS
						      : VIRTIO_NET_F_HASH_REPORT);
	int r;

	vpmd_err_clear();
	if (!dev || !conf)
		return vpmd_err(VIONIC_EINVAL, "vionic_rss_configure: NULL argument");
	if (dev->state != VPMD_ST_STARTED)
		return vpmd_err(VIONIC_ESTATE, "vionic_rss_configure needs a started device "
				"(vionic_start first)");
	if (!(dev->driver_features & need))
		return vpmd_err(VIONIC_EFEATURE, "%s was not negotiated: %s",
				conf->reta_size ? "VIRTIO_NET_F_RSS" : "VIRTIO_NET_F_HASH_REPORT",
				"the device offers it only with several queue pairs");
	if (conf->hash_types & ~VIONIC_RSS_HASH_TYPES)
		return vpmd_err(VIONIC_EINVAL, "hash_types 0x%x: only the IPv4/IPv6, TCP and UDP "
				"types (mask 0x%x) are supported", conf->hash_types,
				VIONIC_RSS_HASH_TYPES);
	if (!conf->key_len || conf->key_len > VIONIC_RSS_KEY_SIZE)
		return vpmd_err(VIONIC_EINVAL, "key_len %u: use 1..%u", conf->key_len,
				VIONIC_RSS_KEY_SIZE);
	if (conf->reta_size & (conf->reta_size - 1) || conf->reta_size > VIONIC_RSS_TABLE_LEN)
		return vpmd_err(VIONIC_EINVAL, "reta_size %u: use 0 (hash report only) or a power "
				"of two up to %u", conf->reta_size, VIONIC_RSS_TABLE_LEN);
	for (unsigned i = 0; i < conf->reta_size; i++)
		if (conf->reta[i] >= dev->nb_qp)
			return vpmd_err(VIONIC_EQUEUE, "reta[%u] = %u: the device was configured with "
					"%u queue pairs", i, conf->reta[i], dev->nb_qp);
	if ((r = rss_send(dev, conf)))
		return r;
	dev->rss = *conf;
	dev->rss_set = true;
	return 0;
}

static int driver_ok(struct vionic_dev *dev)
{
	int r;

	if ((r = vpmd_set_driver_ok(dev)))
		return r;
	if (dev->nb_qp > 1) {   /* the device starts with one pair in use */
		const uint8_t cmd[4] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
					 (uint8_t)dev->nb_qp, (uint8_t)(dev->nb_qp >> 8) };
		if ((r = vpmd_ctrl_cmd(dev, &dev->vq[2 * dev->max_qp], dev->ctrl_buf,
				       dev->ctrl_buf_iova, cmd, sizeof(cmd), VPMD_CTRL_TIMEOUT_MS)))
			return r;
	}
	if (dev->rss_set && (r = rss_send(dev, &dev->rss)))   /* a reset forgot it */
		return r;
	dev->state = VPMD_ST_STARTED;
	/* now the RX buffers posted at configure may be announced */
	for (unsigned q = 0; q < 2u * dev->nb_qp; q += 2)
		vpmd_vq_kick(dev, &dev->vq[q]);
	return 0;
}

int vionic_start(vionic_dev *dev)
{
	if (!dev)
		return vpmd_err(VIONIC_EINVAL, "vionic_start: NULL device");
	if (dev->state == VPMD_ST_STARTED)
		return 0;
	if (dev->state != VPMD_ST_CONFIGURED)
		return vpmd_err(VIONIC_ESTATE, "device not configured; call vionic_configure "
				"before vionic_start");
	return driver_ok(dev);
}

/* Device reset, then every mbuf back to the mempool and the rings empty
 * (also when the reset fails: the driver lets go either way). */
static int reset_rings(struct vionic_dev *dev)
{
	int r;

	dev->state = VPMD_ST_OPEN;
	r = vpmd_device_reset(dev);   /* the device lets go of every buffer */
	release_inflight(dev);
	for (unsigned q = 0; q < 2u * dev->nb_qp; q++)
		vpmd_vq_reset(&dev->vq[q]);
	if (dev->ctrl)
		vpmd_vq_reset(&dev->vq[2 * dev->max_qp]);
	return r;
}

int vionic_stop(vionic_dev *dev)
{
	int r;

	if (!dev)
		return vpmd_err(VIONIC_EINVAL, "vionic_stop: NULL device");
	if ((r = vpmd_netdev_owns(dev, "vionic_stop")))
		return r;
	if (dev->state == VPMD_ST_OPEN)
		return 0;
	return reset_rings(dev);
}

int vionic_reset(vionic_dev *dev)
{
	int r;

	vpmd_err_clear();
	if (!dev)
		return vpmd_err(VIONIC_EINVAL, "vionic_reset: NULL device");
	if ((r = vpmd_netdev_owns(dev, "vionic_reset")))
		return r;
	if (!dev->dma_va || !dev->nb_qp)
		return vpmd_err(VIONIC_ESTATE, "device not configured; call vionic_configure "
				"(vionic_reset restores a configuration made before)");
	if ((r = reset_rings(dev)))
		return r;
	if ((r = bringup(dev))) {
		release_inflight(dev);
		return r;
	}
	dev->state = VPMD_ST_CONFIGURED;
	return driver_ok(dev);
}

/* ---- info, counters, health --------------------------------------------- */
int vionic_info_get(vionic_dev *dev, struct vionic_info *info)
{
	uint16_t st = 0;
	int r;

	if (!dev || !info)
		return vpmd_err(VIONIC_EINVAL, "vionic_info_get: NULL argument");
	memset(info, 0, sizeof(*info));
	memcpy(info->mac, dev->mac, 6);
	info->mtu = dev->mtu;
	info->max_queue_pairs = dev->max_qp;
	info->max_ring_size = dev->max_ring;
	info->link_up = 1;
	if (dev->device_features & (1ull << VIRTIO_NET_F_STATUS)) {
		if ((r = vpmd_reg_read16(dev, dev->caps.device_off + VIRTIO_NET_CFG_STATUS, &st)))
			return r;
		info->link_up = !!(st & VIRTIO_NET_S_LINK_UP);
	}
	info->impl = dev->impl;
	info->regmap_version = dev->regmap_version;
	info->device_features = dev->device_features;
	info->hdr_len = VIONIC_NET_HDR_LEN;
	if (dev->state != VPMD_ST_OPEN || dev->dma_va) {
		info->hdr_len = dev->pool[0].hdr_len;
		info->driver_features = dev->driver_features;
		info->rx_ring_size = dev->conf.rx_ring_size;
		info->tx_ring_size = dev->conf.tx_ring_size;
		info->mbuf_size = dev->conf.mbuf_size;
		info->nb_mbufs = dev->conf.nb_mbufs;
	}
	return 0;
}

static int read64(struct vionic_dev *dev, uint32_t lo_off, uint64_t *v)
{
	uint32_t lo, hi;
	int r;

	if ((r = vpmd_reg_read32(dev, lo_off, &lo)) || (r = vpmd_reg_read32(dev, lo_off + 4, &hi)))
		return r;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

static int read_qstats(struct vionic_dev *dev, unsigned q, struct vionic_queue_stats *s)
{
	uint32_t b = VIONIC_REG_QSTATS(q), v;
	int r;

	if ((r = read64(dev, b + VIONIC_QSTAT_PACKETS_LO, &s->packets)) ||
	    (r = read64(dev, b + VIONIC_QSTAT_BYTES_LO, &s->bytes)))
		return r;
	if ((r = vpmd_reg_read32(dev, b + VIONIC_QSTAT_DROPS, &v)))
		return r;
	s->drops = v;
	if ((r = vpmd_reg_read32(dev, b + VIONIC_QSTAT_ERRORS, &v)))
		return r;
	s->errors = v;
	return 0;
}

/* The vendor block's record of the first device error. */
static int read_error_log(struct vionic_dev *dev, uint32_t *code, uint32_t *queue,
			  uint32_t *desc, uint64_t *addr)
{
	int r;

	if ((r = vpmd_reg_read32(dev, VIONIC_REG_ERR_CODE, code)) ||
	    (r = vpmd_reg_read32(dev, VIONIC_REG_ERR_QUEUE, queue)) ||
	    (r = vpmd_reg_read32(dev, VIONIC_REG_ERR_DESC, desc)))
		return r;
	return read64(dev, VIONIC_REG_ERR_ADDR_LO, addr);
}

int vionic_stats_get(vionic_dev *dev, struct vionic_stats *st)
{
	int r;

	if (!dev || !st)
		return vpmd_err(VIONIC_EINVAL, "vionic_stats_get: NULL argument");
	memset(st, 0, sizeof(*st));
	if (dev->nb_qp) {
		struct vpmd_vq *rx = &dev->vq[0], *tx = &dev->vq[1];
		st->rx_packets = rx->packets;
		st->rx_bytes = rx->bytes;
		st->rx_nombuf = rx->nombuf;
		st->rx_errors = rx->errors;
		st->tx_packets = tx->packets;
		st->tx_bytes = tx->bytes;
		st->tx_ring_full = tx->ring_full;
		st->doorbells = rx->doorbells + tx->doorbells;
	}
	if (dev->impl &&
	    ((r = read_qstats(dev, 0, &st->dev_rx)) || (r = read_qstats(dev, 1, &st->dev_tx)) ||
	     (r = read64(dev, VIONIC_REG_CYCLES_LO, &st->dev_cycles)) ||
	     (r = read_error_log(dev, &st->err_code, &st->err_queue, &st->err_desc,
				 &st->err_addr))))
		return r;
	return vpmd_read_status(dev, &st->device_status);
}

int vionic_check(vionic_dev *dev)
{
	uint8_t st = 0;
	int r;

	if (!dev)
		return vpmd_err(VIONIC_EINVAL, "vionic_check: NULL device");
	if ((r = dev->ops->check(dev)) || (r = vpmd_read_status(dev, &st)))
		return r;
	if (st & VIRTIO_STATUS_DEVICE_NEEDS_RESET) {
		uint32_t code = 0, q = 0, d = 0;
		uint64_t addr = 0;

		if (dev->impl)
			read_error_log(dev, &code, &q, &d, &addr);   /* best effort: report anyway */
		return vpmd_err(VIONIC_ENEEDS_RESET, "device needs reset: error %u (%s) on "
				"virtqueue %u, descriptor %u, IOVA 0x%llx; call vionic_reset to "
				"recover (buffers in flight return to the mempool)", code,
				vionic_device_error_text(code), q, d, (unsigned long long)addr);
	}
	if (st & VIRTIO_STATUS_FAILED)
		return vpmd_err(VIONIC_ESTATE, "device status is FAILED (0x%02x); call "
				"vionic_configure again", st);
	return 0;
}
