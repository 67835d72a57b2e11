/* SPDX-License-Identifier: MIT */
/*
 * vDPA control plane: a foreign driver's virtqueues on the device, as
 * Linux's vdpa_config_ops see hardware (set_map, set_vq_address/num/state,
 * set_vq_cb, kick_vq, suspend, get_vq_state, reset). The vhost-user backend
 * (sw/driver/vionic/vdpa.py) calls these; the rings, buffers and eventfds
 * stay the frontend's, and the device DMAs into its memory directly.
 */
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vpmd.h"

/* The shadow control queue: a 4-entry ring on one page and the command on
 * the next, in a memfd of libvionic's mapped at an IOVA above any
 * guest-physical address. */
#define CTRL_IOVA     0xFFFF000000000000ull
#define CTRL_CMD_OFF  4096u
static int vdpa_owned(struct vionic_dev *dev, const char *fn)
{
	if (!dev)
		return vpmd_err(VIONIC_EINVAL, "%s: NULL device", fn);
	if (dev->state != VPMD_ST_OPEN || dev->dma_va)
		return vpmd_err(VIONIC_ESTATE, "%s: libvionic has configured this device for its "
				"own data path; vionic_stop and close it, or open the device anew "
				"for vDPA", fn);
	return 0;
}

int vionic_vdpa_dma_map(vionic_dev *dev, int fd, uint64_t fd_offset, uint64_t iova,
			uint64_t size)
{
	int r;

	vpmd_err_clear();
	if ((r = vdpa_owned(dev, "vionic_vdpa_dma_map")))
		return r;
	if (fd < 0 || size == 0 || iova + size < iova)
		return vpmd_err(VIONIC_EINVAL, "vionic_vdpa_dma_map: fd %d, %llu bytes at IOVA "
				"0x%llx: give an open fd and a non-empty range that does not wrap",
				fd, (unsigned long long)size, (unsigned long long)iova);
	dev->vdpa = true;
	return dev->ops->dma_map(dev, fd, fd_offset, iova, size);
}

int vionic_vdpa_dma_unmap(vionic_dev *dev, uint64_t iova, uint64_t size)
{
	int r;

	vpmd_err_clear();
	if ((r = vdpa_owned(dev, "vionic_vdpa_dma_unmap")))
		return r;
	return dev->ops->dma_unmap(dev, iova, size);
}

int vionic_vdpa_set_irqs(vionic_dev *dev, const int *efds, unsigned n)
{
	int avail, r;

	vpmd_err_clear();
	if ((r = vdpa_owned(dev, "vionic_vdpa_set_irqs")))
		return r;
	avail = dev->ops->irq_count(dev);
	if (n > (unsigned)(avail > 0 ? avail : 0))
		return vpmd_err(VIONIC_EINVAL, "vionic_vdpa_set_irqs: %u vectors asked, the device "
				"has %d", n, avail);
	if (n && !efds)
		return vpmd_err(VIONIC_EINVAL, "vionic_vdpa_set_irqs: NULL eventfd array");
	if ((r = dev->ops->irq_set(dev, efds, n)))
		return r;
	dev->vdpa = true;
	dev->vdpa_irqs = n > 0;
	return 0;
}

static void ctrl_free(struct vionic_dev *dev)
{
	if (dev->vdpa_ctrl_va) {
		(void)dev->ops->dma_unmap(dev, CTRL_IOVA, VPMD_VDPA_CTRL_BYTES);
		munmap(dev->vdpa_ctrl_va, VPMD_VDPA_CTRL_BYTES);
		close(dev->vdpa_ctrl_fd);
	}
	dev->vdpa_ctrl_va = NULL;
	dev->vdpa_ctrl_fd = -1;
}

/* Programs the device's control queue (2 * max_qp) on a ring of libvionic's. */
static int ctrl_setup(struct vionic_dev *dev)
{
	struct vpmd_vq *vq = &dev->vq[2 * dev->max_qp];
	int fd = memfd_create("vionic-vdpa-ctrl", MFD_CLOEXEC), r;
	uint8_t *va;

	if (fd < 0 || ftruncate(fd, VPMD_VDPA_CTRL_BYTES) < 0 ||
	    (va = mmap(NULL, VPMD_VDPA_CTRL_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		if (fd >= 0)
			close(fd);
		return vpmd_err(VIONIC_ENOMEM, "no memory for the control queue");
	}
	if ((r = dev->ops->dma_map(dev, fd, 0, CTRL_IOVA, VPMD_VDPA_CTRL_BYTES))) {
		munmap(va, VPMD_VDPA_CTRL_BYTES);
		close(fd);
		return r;
	}
	dev->vdpa_ctrl_fd = fd;
	dev->vdpa_ctrl_va = va;
	vq->index = (uint16_t)(2 * dev->max_qp);
	vq->size = VPMD_CTRL_RING;
	vq->mask = VPMD_CTRL_RING - 1;
	vq->desc = (struct vring_desc *)va;
	vq->avail = (struct vring_avail *)(va + VRING_DESC_BYTES(VPMD_CTRL_RING));
	vq->used = (struct vring_used *)(va + 2048);
	vq->desc_iova = CTRL_IOVA;
	vq->avail_iova = CTRL_IOVA + VRING_DESC_BYTES(VPMD_CTRL_RING);
	vq->used_iova = CTRL_IOVA + 2048;
	vq->msix_vector = VIRTIO_MSI_NO_VECTOR;
	if ((r = vpmd_vq_setup(dev, vq)))
		return r;
	vq->notify_data = true;
	return 0;
}

int vionic_vdpa_set_queue_pairs(vionic_dev *dev, uint16_t n)
{
	const uint8_t cmd[4] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
				 (uint8_t)n, (uint8_t)(n >> 8) };

	vpmd_err_clear();
	if (!dev || !dev->vdpa || !dev->vdpa_ctrl_va)
		return vpmd_err(VIONIC_ESTATE, "vionic_vdpa_set_queue_pairs: the device was not "
				"started with VIRTIO_NET_F_MQ and CTRL_VQ for a frontend");
	return vpmd_ctrl_cmd(dev, &dev->vq[2 * dev->max_qp], dev->vdpa_ctrl_va + CTRL_CMD_OFF,
			     CTRL_IOVA + CTRL_CMD_OFF, cmd, sizeof(cmd), VPMD_CTRL_TIMEOUT_MS);
}

int vionic_vdpa_start(vionic_dev *dev, uint64_t features, uint16_t config_vector,
		      const struct vionic_vdpa_vq *vqs, unsigned nvq)
{
	uint32_t c;
	int r;

	vpmd_err_clear();
	if ((r = vdpa_owned(dev, "vionic_vdpa_start")))
		return r;
	const unsigned have = dev->max_qp > 1 ? 2u * dev->max_qp + 1 : 2;
	if (nvq > have || (nvq && !vqs))
		return vpmd_err(VIONIC_EQUEUE, "vionic_vdpa_start: %u virtqueues; this device has "
				"%u (%u queue pairs%s)", nvq, have, dev->max_qp,
				dev->max_qp > 1 ? " and the control queue" : "");
	for (unsigned q = 0; q < nvq; q++) {
		if (vqs[q].size && (vqs[q].size & (vqs[q].size - 1)))
			return vpmd_err(VIONIC_ERING, "virtqueue %u: size %u is not a power of two",
					q, vqs[q].size);
		if (vqs[q].size > dev->max_ring)
			return vpmd_err(VIONIC_ERING, "virtqueue %u: size %u is above the device "
					"maximum %u", q, vqs[q].size, dev->max_ring);
	}
	dev->vdpa = true;
	ctrl_free(dev);
	memset(dev->vq, 0, sizeof(dev->vq));
	if ((r = vpmd_negotiate(dev, features, false)))
		return r;
	c = dev->caps.common_off;
	if ((r = vpmd_reg_write16(dev, c + VIRTIO_PCI_COMMON_MSIX, config_vector)))
		return r;
	for (unsigned q = 0; q < nvq; q++) {
		struct vpmd_vq *vq = &dev->vq[q];
		if (!vqs[q].size)
			continue;
		vq->index = (uint16_t)q;
		vq->size = vqs[q].size;
		vq->mask = (uint16_t)(vqs[q].size - 1);
		vq->desc_iova = vqs[q].desc;
		vq->avail_iova = vqs[q].avail;
		vq->used_iova = vqs[q].used;
		vq->avail_idx = vqs[q].avail_idx;
		vq->used_cons = vqs[q].used_idx;
		vq->msix_vector = vqs[q].vector;
		if ((r = vpmd_vq_setup(dev, vq)))
			return r;
		/* the doorbell word must change for the server to see a kick, so
		 * it always carries next_avail; a device without
		 * NOTIFICATION_DATA looks only at which word was written */
		vq->notify_data = true;
	}
	/* a frontend with MQ that gives no control ring answers its driver's
	 * control commands itself; libvionic keeps one for VQ_PAIRS_SET */
	if ((features & VIONIC_MQ_FEATURES) == VIONIC_MQ_FEATURES && nvq <= 2u * dev->max_qp &&
	    (r = ctrl_setup(dev)))
		return r;
	return vpmd_set_driver_ok(dev);
}

int vionic_vdpa_suspend(vionic_dev *dev, int timeout_ms)
{
	int64_t deadline = vpmd_mono_ms() + timeout_ms;
	uint32_t v;
	int r;

	vpmd_err_clear();
	if ((r = vdpa_owned(dev, "vionic_vdpa_suspend")))
		return r;
	if ((r = vpmd_reg_write32(dev, VIONIC_REG_SUSPEND, VIONIC_SUSPEND_REQ)))
		return r;
	for (;;) {
		if ((r = vpmd_reg_read32(dev, VIONIC_REG_SUSPEND, &v)))
			return r;
		if (v & VIONIC_SUSPEND_DONE)
			return 0;
		if (vpmd_mono_ms() > deadline)
			return vpmd_err(VIONIC_ETIMEDOUT, "device did not finish suspending within "
					"%d ms (SUSPEND reads 0x%x)", timeout_ms, v);
		struct timespec ts = { 0, 20000 };
		nanosleep(&ts, NULL);
	}
}

int vionic_vdpa_resume(vionic_dev *dev)
{
	int r;

	vpmd_err_clear();
	if ((r = vdpa_owned(dev, "vionic_vdpa_resume")))
		return r;
	return vpmd_reg_write32(dev, VIONIC_REG_SUSPEND, 0);
}

int vionic_vdpa_vq_state(vionic_dev *dev, uint16_t vq, uint16_t *avail_idx, uint16_t *used_idx)
{
	uint32_t v;
	int r;

	vpmd_err_clear();
	if ((r = vdpa_owned(dev, "vionic_vdpa_vq_state")))
		return r;
	if (vq >= 2u * dev->max_qp)
		return vpmd_err(VIONIC_EQUEUE, "virtqueue %u: the device has %u", vq,
				2u * dev->max_qp);
	if ((r = vpmd_reg_read32(dev, VIONIC_REG_VQ_STATE(vq), &v)))
		return r;
	if (avail_idx)
		*avail_idx = (uint16_t)(v >> VIONIC_VQ_STATE_AVAIL_SHIFT);
	if (used_idx)
		*used_idx = (uint16_t)(v >> VIONIC_VQ_STATE_USED_SHIFT);
	return 0;
}

int vionic_vdpa_kick(vionic_dev *dev, uint16_t vq, uint16_t next_avail)
{
	if (!dev || vq >= VPMD_MAX_VQ || !dev->vq[vq].size)
		return vpmd_err(VIONIC_EQUEUE, "vionic_vdpa_kick: virtqueue %u was not started", vq);
	dev->vq[vq].avail_idx = next_avail;
	return vpmd_vq_kick(dev, &dev->vq[vq]);
}

int vionic_vdpa_status(vionic_dev *dev, uint8_t *status)
{
	if (!dev || !status)
		return vpmd_err(VIONIC_EINVAL, "vionic_vdpa_status: NULL argument");
	return vpmd_read_status(dev, status);
}

int vionic_vdpa_reset(vionic_dev *dev)
{
	int r;

	vpmd_err_clear();
	if ((r = vdpa_owned(dev, "vionic_vdpa_reset")))
		return r;
	r = vpmd_device_reset(dev);
	ctrl_free(dev);
	memset(dev->vq, 0, sizeof(dev->vq));
	if (dev->vdpa_irqs) {
		int r2 = dev->ops->irq_set(dev, NULL, 0);
		if (!r)
			r = r2;
		dev->vdpa_irqs = false;
	}
	dev->driver_features = 0;
	dev->vdpa = false;
	return r;
}
