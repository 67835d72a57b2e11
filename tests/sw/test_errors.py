"""Every device error of DESIGN §4: the code in the vendor block, NEEDS_RESET,
a typed exception, then reset and recovery with no buffer lost."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swutil import (
    RX,
    TX,
    exhaust_rx,
    mempool_full,
    raw_bring_up_to_features,
    recovers,
    recv_exactly,
    status,
    wait_for,
    wait_needs_reset,
)
from vionic import regs

F_NEXT, F_WRITE = regs.VRING_DESC_F_NEXT, regs.VRING_DESC_F_WRITE
NEEDS_RESET = regs.VIRTIO_STATUS_DEVICE_NEEDS_RESET


def test_dma_outside_the_map(nic):
    iova, size, _ = nic.dma_window()
    bad = iova + size + 0x10000
    nic.debug_write_desc(TX, 0, bad, 100)
    nic.debug_post(TX, 0)
    err = wait_needs_reset(nic)
    assert err["code"] == regs.VIONIC_ERR_DMA and err["queue"] == TX and err["addr"] == bad
    assert recovers(nic)


def test_dma_straddling_the_end_of_the_map_on_rx(nic):
    """A device-writable buffer that starts inside the map and ends outside.
    (Hardware learns of the fault from the IOMMU only for the burst that
    crosses, so the part inside the map may have been written.)"""
    iova, size, _ = nic.dma_window()
    exhaust_rx(nic)
    before = nic.stats()["device"]["rx"]["packets"]
    nic.debug_write_desc(RX, 0, iova + size - 64, 2048, F_WRITE)
    nic.debug_post(RX, 0)
    nic.send([bytes(range(200))])                            # loopback: an RX frame arrives
    err = wait_needs_reset(nic)
    assert err["code"] == regs.VIONIC_ERR_DMA and err["queue"] == RX and err["desc"] == 0
    assert err["addr"] == iova + size - 64
    assert nic.stats()["device"]["rx"]["packets"] == before  # not delivered
    assert recovers(nic)


def test_descriptor_loop(nic):
    iova, size, _ = nic.dma_window()
    nic.debug_write_desc(TX, 0, iova + size - 4096, 64, F_NEXT, 1)
    nic.debug_write_desc(TX, 1, iova + size - 4096, 64, F_NEXT, 0)
    nic.debug_post(TX, 0)
    err = wait_needs_reset(nic)
    assert err["code"] == regs.VIONIC_ERR_CHAIN and err["queue"] == TX
    assert recovers(nic)


def test_zero_length_descriptor(nic):
    iova, size, _ = nic.dma_window()
    nic.debug_write_desc(TX, 0, iova + size - 4096, 0)
    nic.debug_post(TX, 0)
    err = wait_needs_reset(nic)
    assert err["code"] == regs.VIONIC_ERR_ZERO_LEN and err["queue"] == TX and err["desc"] == 0
    assert recovers(nic)


def test_write_only_descriptor_on_tx(nic):
    iova, size, _ = nic.dma_window()
    nic.debug_write_desc(TX, 3, iova + size - 4096, 128, F_WRITE)
    nic.debug_post(TX, 3)
    err = wait_needs_reset(nic)
    assert err["code"] == regs.VIONIC_ERR_DIRECTION and err["queue"] == TX and err["desc"] == 3
    assert recovers(nic)


def test_read_only_descriptor_on_rx(nic):
    iova, size, _ = nic.dma_window()
    exhaust_rx(nic)
    nic.debug_write_desc(RX, 5, iova + size - 4096, 2048, 0)
    nic.debug_post(RX, 5)
    nic.send([bytes(64)])
    err = wait_needs_reset(nic)
    assert err["code"] == regs.VIONIC_ERR_DIRECTION and err["queue"] == RX and err["desc"] == 5
    assert recovers(nic)


def test_avail_head_out_of_range(nic):
    ring = nic.info()["tx_ring_size"]
    nic.debug_post(TX, ring)
    err = wait_needs_reset(nic)
    assert err["code"] == regs.VIONIC_ERR_INDEX and err["queue"] == TX
    assert recovers(nic)


def test_next_index_out_of_range(nic):
    iova, size, _ = nic.dma_window()
    ring = nic.info()["tx_ring_size"]
    nic.debug_write_desc(TX, 0, iova + size - 4096, 64, F_NEXT, ring + 7)
    nic.debug_post(TX, 0)
    err = wait_needs_reset(nic)
    assert err["code"] == regs.VIONIC_ERR_INDEX and err["queue"] == TX
    assert recovers(nic)


# ---- queue configuration errors, through raw register writes --------------

def raw_queue_enable(dev, size, desc_off):
    """Re-runs bring-up by hand up to enabling queue 0 with the given size and
    descriptor-table offset inside the DMA window."""
    iova, _, _ = dev.dma_window()
    page = 4096
    raw_bring_up_to_features(dev, dev.info()["device_features"])
    dev.write_reg(regs.VIRTIO_PCI_COMMON_STATUS, regs.VIRTIO_STATUS_ACKNOWLEDGE |
                  regs.VIRTIO_STATUS_DRIVER | regs.VIRTIO_STATUS_FEATURES_OK, 1)
    dev.write_reg(regs.VIRTIO_PCI_COMMON_Q_SELECT, 0, 2)
    dev.write_reg(regs.VIRTIO_PCI_COMMON_Q_SIZE, size, 2)
    for reg, addr in ((regs.VIRTIO_PCI_COMMON_Q_DESCLO, iova + desc_off),
                      (regs.VIRTIO_PCI_COMMON_Q_AVAILLO, iova + 4 * page),
                      (regs.VIRTIO_PCI_COMMON_Q_USEDLO, iova + 8 * page)):
        dev.write_reg(reg, addr & 0xFFFFFFFF)
        dev.write_reg(reg + 4, addr >> 32)
    dev.write_reg(regs.VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2)


@pytest.mark.parametrize("desc_off", [0x8, 0x1001])
def test_misaligned_ring(nic, desc_off):
    raw_queue_enable(nic, 256, desc_off)
    err = wait_needs_reset(nic)
    assert err["code"] == regs.VIONIC_ERR_ALIGN and err["queue"] == RX
    assert recovers(nic)


@pytest.mark.parametrize("size", [3, 100, 2048])
def test_invalid_queue_size_at_enable(nic, size):
    raw_queue_enable(nic, size, 0)
    err = wait_needs_reset(nic)
    assert err["code"] == regs.VIONIC_ERR_QUEUE_CFG and err["queue"] == RX
    assert recovers(nic)


# ---- random corruption: property test ---------------------------------------

descriptor = st.tuples(
    st.sampled_from(["in", "below", "above", "straddle", "wild"]),  # where addr points
    st.sampled_from([0, 1, 12, 64, 1514, 2048, 0xFFFFFFFF]),          # len
    st.integers(0, 7),                                                # flags
    st.integers(0, 1100),                                             # next
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(vq=st.sampled_from([RX, TX]), chain=st.lists(descriptor, min_size=1, max_size=4),
       head=st.integers(0, 1100), traffic=st.booleans())
def test_random_descriptor_corruption_is_contained(nic, vq, chain, head, traffic):
    iova, size, host = nic.dma_window()
    canary_off = size - 8192                                  # last two pages: guard area
    host[canary_off:canary_off + 4096] = b"\x5a" * 4096
    if vq == RX:
        exhaust_rx(nic)
    addrs = {"in": iova + size - 4096, "below": iova - 4096, "above": iova + size,
             "straddle": iova + size - 16, "wild": 0xFFFF_FFFF_FFFF_F000}
    for slot, (where, length, flags, nxt) in enumerate(chain):
        nic.debug_write_desc(vq, slot, addrs[where], length, flags, nxt)
    nic.debug_post(vq, head)
    if traffic:
        nic.send([bytes(range(64))])
    wait_for(lambda: status(nic) & NEEDS_RESET, timeout=0.2)
    assert nic.server is None or nic.server.alive(), "the device server died"
    err = nic.stats()["error"]
    if status(nic) & NEEDS_RESET:
        assert 1 <= err["code"] <= 7
        assert err["queue"] == vq
    else:
        assert err["code"] == 0
    assert bytes(host[canary_off:canary_off + 4096]) == b"\x5a" * 4096
    nic.reset()
    assert mempool_full(nic)
    frame = bytes(range(60))
    nic.send([frame])
    assert recv_exactly(nic, 1) == [frame]
