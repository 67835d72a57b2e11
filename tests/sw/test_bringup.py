"""Bring-up, identity and feature negotiation (VIRTIO 1.2 §3.1.1, DESIGN §2-§3)."""

import pytest

import vionic
from swutil import (
    PCI_CAP_ID_MSIX,
    PCI_CAP_ID_VNDR,
    pci_capabilities,
    raw_bring_up_to_features,
    status,
    wait_for,
)
from vionic import regs

STATUS = regs.VIRTIO_PCI_COMMON_STATUS
ACK, DRIVER = regs.VIRTIO_STATUS_ACKNOWLEDGE, regs.VIRTIO_STATUS_DRIVER
DRIVER_OK, FEATURES_OK = regs.VIRTIO_STATUS_DRIVER_OK, regs.VIRTIO_STATUS_FEATURES_OK
NEEDS_RESET = regs.VIRTIO_STATUS_DEVICE_NEEDS_RESET
# DESIGN §3 "Always" (written out: what regs.h offers is checked against it)
OFFERED = {"VERSION_1", "ACCESS_PLATFORM", "MAC", "MTU", "STATUS", "NOTIFICATION_DATA", "CSUM",
           "GUEST_CSUM", "MRG_RXBUF"}


def test_identity_and_offered_features(nic):
    info = nic.info()
    assert set(vionic.feature_names(info["device_features"])) == OFFERED
    assert info["driver_features"] == info["device_features"]
    assert info["device_features"] == regs.VIONIC_DEVICE_FEATURES
    assert info["mac"] == "02:" + b"VNIC".hex(":") + ":00"      # locally administered "VNIC"
    assert info["mtu"] == regs.VIONIC_DEFAULT_MTU
    assert info["max_queue_pairs"] == 1
    assert info["max_ring_size"] == regs.VIONIC_MAX_QUEUE_SIZE
    assert info["link_up"] is True
    assert info["hdr_len"] == regs.VIONIC_NET_HDR_LEN
    assert info["impl"] == {"model": "model", "rtl": "rtl-sim"}[nic.uri]
    assert nic.read_reg(regs.VIONIC_REG_ID) == int.from_bytes(b"VNIC", "little")
    assert nic.read_reg(regs.VIONIC_REG_VERSION) == regs.VIONIC_REGMAP_VERSION
    assert nic.read_reg(regs.VIONIC_REG_MAX_QUEUE_PAIRS) == 1
    assert status(nic) == ACK | DRIVER | FEATURES_OK | DRIVER_OK
    assert nic.read_reg(regs.VIRTIO_PCI_COMMON_NUMQ, 2) == 2    # num_queues: rx0, tx0
    mac = bytes(nic.read_reg(regs.VIONIC_DEVICE_CFG + regs.VIRTIO_NET_CFG_MAC + i, 1)
                for i in range(6))
    assert mac.hex(":") == info["mac"]
    assert nic.read_reg(regs.VIONIC_DEVICE_CFG + regs.VIRTIO_NET_CFG_MTU, 2) == info["mtu"]


def test_pci_config_space_and_virtio_capabilities(nic):
    assert nic.read_config(0x00, 2) == regs.VIONIC_PCI_VENDOR_ID
    assert nic.read_config(0x02, 2) == regs.VIONIC_PCI_DEVICE_ID == 0x1040 + 1  # virtio-net
    assert nic.read_config(0x08, 1) == regs.VIONIC_PCI_REVISION
    assert nic.read_config(0x06, 2) & 0x10                        # capability list
    caps = pci_capabilities(nic)
    regions = {}
    for ptr in caps[PCI_CAP_ID_VNDR]:                             # virtio_pci_cap
        cfg_type = nic.read_config(ptr + 3, 1)
        regions[cfg_type] = (nic.read_config(ptr + 4, 1), nic.read_config(ptr + 8))
        if cfg_type == 2:
            assert nic.read_config(ptr + 16) == regs.VIONIC_NOTIFY_OFF_MULT
    # VIRTIO 1.2 §4.1.4 cfg_type: 1 common, 2 notify, 3 ISR, 4 device; all in BAR0
    assert regions[1] == (0, regs.VIONIC_COMMON_CFG)
    assert regions[3] == (0, regs.VIONIC_ISR)
    assert regions[4] == (0, regs.VIONIC_DEVICE_CFG)
    assert regions[2] == (0, regs.VIONIC_NOTIFY)
    assert len(caps[PCI_CAP_ID_MSIX]) == 1


def _cycles(dev):
    lo = dev.read_reg(regs.VIONIC_REG_CYCLES_LO)                   # latches HI
    return dev.read_reg(regs.VIONIC_REG_CYCLES_HI) << 32 | lo


def test_cycle_counter_runs(nic):
    first = _cycles(nic)
    assert wait_for(lambda: _cycles(nic) > first)


def test_refused_feature_bit_raises_and_device_stays_usable(backend):
    packed = 1 << regs.VIRTIO_F_RING_PACKED                        # not offered
    with vionic.open(backend, start=False) as dev:
        offered = dev.info()["device_features"]
        with pytest.raises(vionic.FeatureError, match="(?i)feature"):
            dev.configure(features=offered | packed)
        assert status(dev) & FEATURES_OK == 0
        dev.configure()                                            # defaults work afterwards
        dev.start()
        frame = bytes(range(60))
        dev.send([frame])
        assert dev.recv(1, timeout=2.0) == [frame]


def test_device_refuses_features_ok_for_unoffered_bits(backend):
    with vionic.open(backend, start=False) as dev:
        offered = dev.info()["device_features"]
        raw_bring_up_to_features(dev, offered | 1 << regs.VIRTIO_F_RING_PACKED)
        dev.write_reg(STATUS, ACK | DRIVER | FEATURES_OK, 1)
        assert status(dev) & FEATURES_OK == 0
        # without VERSION_1 it is refused too
        raw_bring_up_to_features(dev, offered & ~(1 << regs.VIRTIO_F_VERSION_1))
        dev.write_reg(STATUS, ACK | DRIVER | FEATURES_OK, 1)
        assert status(dev) & FEATURES_OK == 0
        # and a subset of what is offered is accepted
        raw_bring_up_to_features(dev, offered)
        dev.write_reg(STATUS, ACK | DRIVER | FEATURES_OK, 1)
        assert status(dev) & FEATURES_OK


def test_driver_that_skips_features_ok_gets_no_data_path(backend):
    """DRIVER_OK without FEATURES_OK: the device does not go live."""
    with vionic.open(backend, start=False) as dev:
        offered = dev.info()["device_features"]
        raw_bring_up_to_features(dev, offered)
        dev.write_reg(STATUS, ACK | DRIVER | DRIVER_OK, 1)
        now = status(dev)
        assert now & FEATURES_OK == 0
        assert now & DRIVER_OK == 0 or now & NEEDS_RESET, \
            f"status {now:#x}: DRIVER_OK accepted without FEATURES_OK"
        # the proper sequence still works afterwards
        dev.configure()
        dev.start()
        dev.send([bytes(64)])
        assert dev.recv(1, timeout=2.0) == [bytes(64)]


def test_device_feature_select_reads_both_halves(nic):
    words = []
    for sel in (0, 1):
        nic.write_reg(regs.VIRTIO_PCI_COMMON_DFSELECT, sel)
        words.append(nic.read_reg(regs.VIRTIO_PCI_COMMON_DF))
    assert words[0] | words[1] << 32 == nic.info()["device_features"]


def test_queue_size_reads_device_maximum_after_reset(backend):
    with vionic.open(backend, start=False) as dev:
        dev.write_reg(STATUS, 0, 1)
        for q in (0, 1):
            dev.write_reg(regs.VIRTIO_PCI_COMMON_Q_SELECT, q, 2)
            assert dev.read_reg(regs.VIRTIO_PCI_COMMON_Q_SIZE, 2) == regs.VIONIC_MAX_QUEUE_SIZE
        dev.write_reg(regs.VIRTIO_PCI_COMMON_Q_SELECT, 2, 2)                     # no such queue
        assert dev.read_reg(regs.VIRTIO_PCI_COMMON_Q_SIZE, 2) == 0
