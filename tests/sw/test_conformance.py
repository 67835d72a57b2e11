"""Register and behaviour conformance: the decisions of DESIGN §4 that every
device core must share, run unchanged against the model and the RTL. Each
case fails if one core deviates."""

import pytest

import vionic
from swutil import (
    RX,
    TX,
    exhaust_rx,
    make_frame,
    msix_vectors,
    raw_bring_up_to_features,
    read_driver_features,
    recovers,
    recv_exactly,
    status,
    wait_for,
    wait_needs_reset,
    write_driver_features,
)
from vionic import regs

F_NEXT, F_WRITE = regs.VRING_DESC_F_NEXT, regs.VRING_DESC_F_WRITE
COMMON_STATUS = regs.VIRTIO_PCI_COMMON_STATUS


def scratch(dev, page: int = 1) -> int:
    """An IOVA in the driver's unused scratch pages at the end of the map."""
    iova, size, _ = dev.dma_window()
    return iova + size - 4096 * page


def outside(dev) -> int:
    iova, size, _ = dev.dma_window()
    return iova + size + 0x10000


# ---- several faults on one descriptor: the first in DESIGN §4 order wins ----

def _tx_wrong_direction_zero_length_outside(dev):
    dev.debug_write_desc(TX, 0, outside(dev), 0, F_WRITE)
    return TX, 0, regs.VIONIC_ERR_DIRECTION


def _tx_wrong_direction_loop(dev):
    dev.debug_write_desc(TX, 0, outside(dev), 0, F_WRITE | F_NEXT, 0)
    return TX, 0, regs.VIONIC_ERR_DIRECTION


def _tx_zero_length_outside(dev):
    dev.debug_write_desc(TX, 2, outside(dev), 0, 0)
    return TX, 2, regs.VIONIC_ERR_ZERO_LEN


def _tx_zero_length_loop(dev):
    dev.debug_write_desc(TX, 2, outside(dev), 0, F_NEXT, 2)
    return TX, 2, regs.VIONIC_ERR_ZERO_LEN


def _tx_loop_outside(dev):
    """A chain that loops through descriptors whose buffers lie outside the
    map: the chain fault is found before any buffer is accessed."""
    dev.debug_write_desc(TX, 0, outside(dev), 64, F_NEXT, 1)
    dev.debug_write_desc(TX, 1, outside(dev), 64, F_NEXT, 0)
    return TX, None, regs.VIONIC_ERR_CHAIN


def _rx_wrong_direction_zero_length_outside(dev):
    dev.debug_write_desc(RX, 3, outside(dev), 0, 0)
    return RX, 3, regs.VIONIC_ERR_DIRECTION


def _rx_zero_length_outside(dev):
    dev.debug_write_desc(RX, 3, outside(dev), 0, F_WRITE)
    return RX, 3, regs.VIONIC_ERR_ZERO_LEN


@pytest.mark.parametrize("case", [
    _tx_wrong_direction_zero_length_outside, _tx_wrong_direction_loop,
    _tx_zero_length_outside, _tx_zero_length_loop, _tx_loop_outside,
    _rx_wrong_direction_zero_length_outside, _rx_zero_length_outside,
], ids=lambda f: f.__name__.strip("_"))
def test_first_fault_in_design_order_is_reported(nic, case):
    if case.__name__.startswith("_rx"):
        exhaust_rx(nic)
    vq, desc, code = case(nic)
    head = desc if desc is not None else 0
    nic.debug_post(vq, head)
    if vq == RX:
        nic.send([bytes(range(64))])                  # an RX frame arrives
    err = wait_needs_reset(nic)
    assert (err["code"], err["queue"]) == (code, vq), \
        f"error {err['code']} ({regs.device_error_text(err['code'])}), expected {code} " \
        f"({regs.device_error_text(code)})"
    if desc is not None:
        assert err["desc"] == desc
    assert recovers(nic)


# ---- an oversize TX chain is a drop, even with a bad address in it ----------

@pytest.mark.parametrize("layout", ["one_descriptor_outside", "second_descriptor_outside"])
def test_oversize_tx_chain_with_bad_address_is_a_drop(nic, layout):
    mtu = nic.info()["mtu"]
    over = regs.VIONIC_NET_HDR_LEN + mtu + 14 + 1
    if layout == "one_descriptor_outside":
        nic.debug_write_desc(TX, 0, outside(nic), over)
    else:
        nic.debug_write_desc(TX, 0, scratch(nic), 1024, F_NEXT, 1)
        nic.debug_write_desc(TX, 1, outside(nic), over - 1024)
    before = nic.stats()["device"]
    nic.debug_post(TX, 0)
    assert wait_for(lambda: nic.stats()["device"]["tx"]["drops"] == before["tx"]["drops"] + 1)
    after = nic.stats()
    assert after["error"]["code"] == regs.VIONIC_ERR_NONE
    assert status(nic) & regs.VIRTIO_STATUS_DEVICE_NEEDS_RESET == 0
    assert after["device"]["tx"]["packets"] == before["tx"]["packets"]
    assert nic.recv(4, timeout=0.2) == []             # nothing reached the loopback wire
    frame = bytes(range(100))
    nic.send([frame])                                 # and traffic goes on
    assert recv_exactly(nic, 1) == [frame]


# ---- a fault found mid-transfer never delivers a frame ----------------------

def test_tx_fault_mid_chain_sends_no_frame(nic):
    """Header and first segment inside the map, the second segment outside:
    error 1, and no frame (good or truncated) reaches the wire."""
    nic.debug_write_desc(TX, 0, scratch(nic), regs.VIONIC_NET_HDR_LEN + 200, F_NEXT, 1)
    nic.debug_write_desc(TX, 1, outside(nic), 200)
    before = nic.stats()
    nic.debug_post(TX, 0)
    err = wait_needs_reset(nic)
    assert (err["code"], err["queue"]) == (regs.VIONIC_ERR_DMA, TX)
    assert err["addr"] == outside(nic)
    after = nic.stats()
    assert after["device"]["tx"]["packets"] == before["device"]["tx"]["packets"]
    assert after["device"]["rx"]["packets"] == before["device"]["rx"]["packets"]
    assert recovers(nic)


def test_rx_fault_mid_chain_publishes_no_used_entry(nic, seed):
    """An RX chain whose second buffer lies outside the map: error 1, the
    frame is not counted and the driver never sees a used entry for it."""
    import random

    exhaust_rx(nic)
    nic.debug_write_desc(RX, 0, scratch(nic), regs.VIONIC_NET_HDR_LEN + 64,
                         F_WRITE | F_NEXT, 1)
    nic.debug_write_desc(RX, 1, outside(nic), 2048, F_WRITE)
    nic.debug_post(RX, 0)
    before = nic.stats()
    frame = make_frame(random.Random(seed), 600, bytes(6))
    nic.send([frame])
    err = wait_needs_reset(nic)
    assert (err["code"], err["queue"], err["desc"]) == (regs.VIONIC_ERR_DMA, RX, 1)
    after = nic.stats()
    assert after["device"]["rx"]["packets"] == before["device"]["rx"]["packets"]
    assert after["rx_packets"] == before["rx_packets"]
    pending = []                                      # what exhaust_rx left on the ring
    while got := nic.recv(256, timeout=0):
        pending += got
    assert frame not in pending and set(pending) <= {bytes(60)}
    assert recovers(nic)


# ---- registers -----------------------------------------------------------------

def test_driver_feature_writes_after_features_ok_are_ignored(backend):
    with vionic.open(backend, start=False) as dev:
        offered = dev.info()["device_features"]
        raw_bring_up_to_features(dev, offered)
        ok = regs.VIRTIO_STATUS_ACKNOWLEDGE | regs.VIRTIO_STATUS_DRIVER | \
            regs.VIRTIO_STATUS_FEATURES_OK
        dev.write_reg(COMMON_STATUS, ok, 1)
        assert status(dev) & regs.VIRTIO_STATUS_FEATURES_OK
        write_driver_features(dev, 1 << regs.VIRTIO_F_VERSION_1)
        assert read_driver_features(dev) == offered
        assert status(dev) == ok
        # a reset opens the features again
        raw_bring_up_to_features(dev, 1 << regs.VIRTIO_F_VERSION_1)
        assert read_driver_features(dev) == 1 << regs.VIRTIO_F_VERSION_1
        # and the device still works
        dev.configure()
        dev.start()
        dev.send([bytes(64)])
        assert recv_exactly(dev, 1) == [bytes(64)]


def test_msix_vector_the_device_cannot_map_reads_no_vector(nic):
    vectors = msix_vectors(nic)
    assert vectors == 2 * nic.info()["max_queue_pairs"] + 2
    config, queue = regs.VIRTIO_PCI_COMMON_MSIX, regs.VIRTIO_PCI_COMMON_Q_MSIX
    nic.write_reg(regs.VIRTIO_PCI_COMMON_Q_SELECT, TX, 2)
    for reg in (config, queue):
        for vector in (0, vectors - 1):
            nic.write_reg(reg, vector, 2)
            assert nic.read_reg(reg, 2) == vector
        for vector in (vectors, vectors + 1, 0x100, 0x7FFF, regs.VIRTIO_MSI_NO_VECTOR):
            nic.write_reg(reg, vector, 2)
            assert nic.read_reg(reg, 2) == regs.VIRTIO_MSI_NO_VECTOR, \
                f"vector {vector:#x} of {vectors} read back {nic.read_reg(reg, 2):#x}"


def test_both_cores_read_the_same_registers():
    """Every register a driver reads before DRIVER_OK, on both cores after
    the same bring-up: identical (IMPL and CYCLES excepted)."""
    offsets = [(regs.VIONIC_REG_ID, 4), (regs.VIONIC_REG_VERSION, 4),
               (regs.VIONIC_REG_MAX_QUEUE_PAIRS, 4), (regs.VIONIC_REG_ERR_CODE, 4),
               (regs.VIRTIO_PCI_COMMON_NUMQ, 2), (regs.VIRTIO_PCI_COMMON_STATUS, 1),
               (regs.VIRTIO_PCI_COMMON_MSIX, 2)]
    offsets += [(regs.VIONIC_DEVICE_CFG + i, 1) for i in range(regs.VIONIC_DEVICE_CFG_SIZE)]
    per_queue = [regs.VIRTIO_PCI_COMMON_Q_SIZE, regs.VIRTIO_PCI_COMMON_Q_ENABLE,
                 regs.VIRTIO_PCI_COMMON_Q_NOFF, regs.VIRTIO_PCI_COMMON_Q_NDATA,
                 regs.VIRTIO_PCI_COMMON_Q_MSIX]

    def snapshot(backend):
        with vionic.open(backend) as dev:
            seen = {f"{off:#06x}": dev.read_reg(off, size) for off, size in offsets}
            for q in range(3):                         # rx0, tx0 and one that does not exist
                dev.write_reg(regs.VIRTIO_PCI_COMMON_Q_SELECT, q, 2)
                seen.update({f"q{q}+{off:#04x}": dev.read_reg(off, 2) for off in per_queue})
            for half in (0, 1):
                dev.write_reg(regs.VIRTIO_PCI_COMMON_DFSELECT, half)
                seen[f"device_feature[{half}]"] = dev.read_reg(regs.VIRTIO_PCI_COMMON_DF)
            seen["driver_feature"] = read_driver_features(dev)
            return seen

    model, rtl = snapshot("model"), snapshot("rtl")
    assert model == rtl
    assert model[f"{regs.VIONIC_REG_ID:#06x}"] == int.from_bytes(b"VNIC", "little")
