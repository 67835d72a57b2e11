"""Bring-up, identity and feature negotiation (VIRTIO 1.2 §3.1.1, DESIGN §2-§3)."""

import pytest

import vionic
from swutil import wait_for

# include/vionic/regs.h
COMMON, DEVICE_CFG, VENDOR = 0x0000, 0x2000, 0x4000
DFSELECT, DF, GFSELECT, GF, STATUS, Q_SELECT, Q_SIZE = 0x00, 0x04, 0x08, 0x0C, 0x14, 0x16, 0x18
ACK, DRIVER, DRIVER_OK, FEATURES_OK, NEEDS_RESET, FAILED = 1, 2, 4, 8, 0x40, 0x80
OFFERED = {"VERSION_1", "ACCESS_PLATFORM", "MAC", "MTU", "STATUS", "NOTIFICATION_DATA"}


def test_identity_and_offered_features(nic):
    info = nic.info()
    assert set(vionic.feature_names(info["device_features"])) == OFFERED
    assert info["driver_features"] == info["device_features"]
    assert info["mac"] == "02:56:4e:49:43:00"
    assert info["mtu"] == 1500
    assert info["max_queue_pairs"] == 1
    assert info["max_ring_size"] == 1024
    assert info["link_up"] is True
    assert info["hdr_len"] == 12
    assert nic.read_reg(VENDOR + 0x00) == 0x43494E56          # "VNIC"
    assert nic.read_reg(VENDOR + 0x04) == 0x00010000
    assert nic.read_reg(VENDOR + 0x0C) == 1
    assert nic.read_reg(COMMON + STATUS, 1) == ACK | DRIVER | FEATURES_OK | DRIVER_OK
    assert nic.read_reg(COMMON + 0x12, 2) == 2                  # num_queues: rx0, tx0
    mac = bytes(nic.read_reg(DEVICE_CFG + i, 1) for i in range(6))
    assert mac.hex(":") == info["mac"]
    assert nic.read_reg(DEVICE_CFG + 0x0A, 2) == 1500


def test_pci_config_space_and_virtio_capabilities(nic):
    assert nic.read_config(0x00, 2) == 0x1AF4
    assert nic.read_config(0x02, 2) == 0x1041
    assert nic.read_config(0x08, 1) == 0x01                       # revision
    assert nic.read_config(0x06, 2) & 0x10                        # capability list
    caps, ptr = {}, nic.read_config(0x34, 1)
    seen = set()
    while ptr:
        assert ptr not in seen, "capability list loops"
        seen.add(ptr)
        cap_id = nic.read_config(ptr, 1)
        if cap_id == 0x09:                                        # virtio vendor cap
            cfg_type = nic.read_config(ptr + 3, 1)
            caps[cfg_type] = (nic.read_config(ptr + 4, 1), nic.read_config(ptr + 8),
                              nic.read_config(ptr + 12))
            if cfg_type == 2:
                assert nic.read_config(ptr + 16) == 4             # notify_off_multiplier
        elif cap_id == 0x11:
            caps["msix"] = nic.read_config(ptr + 2, 2)
        ptr = nic.read_config(ptr + 1, 1)
    assert caps[1][:2] == (0, 0x0000)                             # common cfg in BAR0
    assert caps[3][:2] == (0, 0x1000)                             # ISR
    assert caps[4][:2] == (0, 0x2000)                             # device cfg
    assert caps[2][:2] == (0, 0x3000)                             # notify
    assert "msix" in caps


def _cycles(dev):
    lo = dev.read_reg(VENDOR + 0x10)                               # latches HI
    return dev.read_reg(VENDOR + 0x14) << 32 | lo


def test_cycle_counter_runs(nic):
    first = _cycles(nic)
    assert wait_for(lambda: _cycles(nic) > first)


def test_refused_feature_bit_raises_and_device_stays_usable(backend):
    packed = 1 << 34                                               # RING_PACKED: not offered
    with vionic.open(backend, start=False) as dev:
        offered = dev.info()["device_features"]
        with pytest.raises(vionic.FeatureError, match="(?i)feature"):
            dev.configure(features=offered | packed)
        assert dev.read_reg(COMMON + STATUS, 1) & FEATURES_OK == 0
        dev.configure()                                            # defaults work afterwards
        dev.start()
        frame = bytes(range(60))
        dev.send([frame])
        assert dev.recv(1, timeout=2.0) == [frame]


def _raw_bring_up_to_features(dev, accept):
    dev.write_reg(COMMON + STATUS, 0, 1)
    assert wait_for(lambda: dev.read_reg(COMMON + STATUS, 1) == 0)
    dev.write_reg(COMMON + STATUS, ACK, 1)
    dev.write_reg(COMMON + STATUS, ACK | DRIVER, 1)
    for half in (0, 1):
        dev.write_reg(COMMON + GFSELECT, half)
        dev.write_reg(COMMON + GF, (accept >> (32 * half)) & 0xFFFFFFFF)


def test_device_refuses_features_ok_for_unoffered_bits(backend):
    with vionic.open(backend, start=False) as dev:
        offered = dev.info()["device_features"]
        _raw_bring_up_to_features(dev, offered | 1 << 34)
        dev.write_reg(COMMON + STATUS, ACK | DRIVER | FEATURES_OK, 1)
        assert dev.read_reg(COMMON + STATUS, 1) & FEATURES_OK == 0
        # without VERSION_1 it is refused too
        _raw_bring_up_to_features(dev, offered & ~(1 << 32))
        dev.write_reg(COMMON + STATUS, ACK | DRIVER | FEATURES_OK, 1)
        assert dev.read_reg(COMMON + STATUS, 1) & FEATURES_OK == 0
        # and a subset of what is offered is accepted
        _raw_bring_up_to_features(dev, offered)
        dev.write_reg(COMMON + STATUS, ACK | DRIVER | FEATURES_OK, 1)
        assert dev.read_reg(COMMON + STATUS, 1) & FEATURES_OK


def test_driver_that_skips_features_ok_gets_no_data_path(backend):
    """DRIVER_OK without FEATURES_OK: the device does not go live."""
    with vionic.open(backend, start=False) as dev:
        offered = dev.info()["device_features"]
        _raw_bring_up_to_features(dev, offered)
        dev.write_reg(COMMON + STATUS, ACK | DRIVER | DRIVER_OK, 1)
        status = dev.read_reg(COMMON + STATUS, 1)
        assert status & FEATURES_OK == 0
        assert status & DRIVER_OK == 0 or status & NEEDS_RESET, \
            f"status {status:#x}: DRIVER_OK accepted without FEATURES_OK"
        # the proper sequence still works afterwards
        dev.configure()
        dev.start()
        dev.send([bytes(64)])
        assert dev.recv(1, timeout=2.0) == [bytes(64)]


def test_device_feature_select_reads_both_halves(nic):
    words = []
    for sel in (0, 1):
        nic.write_reg(COMMON + DFSELECT, sel)
        words.append(nic.read_reg(COMMON + DF))
    assert words[0] | words[1] << 32 == nic.info()["device_features"]


def test_queue_size_reads_device_maximum_after_reset(backend):
    with vionic.open(backend, start=False) as dev:
        dev.write_reg(COMMON + STATUS, 0, 1)
        for q in (0, 1):
            dev.write_reg(COMMON + Q_SELECT, q, 2)
            assert dev.read_reg(COMMON + Q_SIZE, 2) == 1024
        dev.write_reg(COMMON + Q_SELECT, 2, 2)                     # no such queue
        assert dev.read_reg(COMMON + Q_SIZE, 2) == 0
