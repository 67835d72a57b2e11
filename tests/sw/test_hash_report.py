"""HASH_REPORT (VIRTIO_NET_F_HASH_REPORT, VIRTIO 1.2 §5.1.6.4.3) on a device
with several queue pairs, driven by a driver that is not libvionic
(tests/sw/vdriver.py): the 20-byte header in both directions, the hash and
its report type of every frame of a seeded mix against the independent
reference (tests/sw/rss_ref.py), the specification's published hashes
through the device, HASH_CONFIG and RSS_CONFIG sharing one configuration,
and malformed HASH_CONFIG commands answered VIRTIO_NET_ERR."""

from __future__ import annotations

import contextlib
import random
import struct
import time

import pytest
from rss_ref import IPV4, IPV6, MS_KEY, TCPV4, TCPV6, UDPV4, RssConfig, hash_report, rss_queue
from rss_ref import hash_config_command as hash_cmd
from rss_traffic import MS_V4, MS_V6, PAIRS, landings, random_frame
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from vdriver import ForeignDriver

import vionic
from swutil import PEER, mac_of
from vionic import regs

HASH_REPORT = 1 << regs.VIRTIO_NET_F_HASH_REPORT
OK, ERR = regs.VIRTIO_NET_OK, regs.VIRTIO_NET_ERR
NONE = regs.VIRTIO_NET_HASH_REPORT_NONE
ALL_TYPES = regs.VIONIC_RSS_HASH_TYPES


def test_several_queue_pairs_offer_rss_and_hash_report(backend):
    """Both cores offer them with several pairs (so the tests that skip on a
    device without them cannot hide their loss) and neither with one."""
    want = regs.VIONIC_RSS_FEATURES | regs.VIONIC_MQ_FEATURES
    with vionic.open(backend, wire="loopback", start=False, queue_pairs=PAIRS) as dev:
        assert dev.info()["device_features"] & want == want
    with vionic.open(backend, wire="loopback", start=False) as dev:
        assert dev.info()["device_features"] & want == 0


def _driver(dev, features: int) -> ForeignDriver:
    d = ForeignDriver(dev, size=128, pairs=PAIRS, features=features, mem_size=16 << 20)
    for qp in range(PAIRS):
        d.post_rx_chains([[2048]] * 96, kick=False, qp=qp)
    d.start()
    return d


@contextlib.contextmanager
def _hash_report_device(backend):
    """An unstarted loopback device with PAIRS pairs and its offered
    features; the test skips if HASH_REPORT is not among them."""
    with vionic.open(backend, wire="loopback", start=False, queue_pairs=PAIRS) as dev:
        offered = dev.info()["device_features"]
        if not offered & HASH_REPORT:
            pytest.skip(f"the {backend} device with {PAIRS} queue pairs does not offer "
                        "HASH_REPORT")
        yield dev, offered


@pytest.fixture
def hash_drv(backend):
    with _hash_report_device(backend) as (dev, offered):
        d = _driver(dev, offered & ~(1 << regs.VIRTIO_F_NOTIFICATION_DATA))
        yield d
        d.close()


def _hashes(drv, frames: list[bytes]) -> dict[bytes, tuple[int, int, int]]:
    """(queue pair, hash_value, hash_report) of each frame sent through the wire."""
    return {f: (qp, hdr[7], hdr[8]) for f, (qp, hdr) in landings(drv, frames).items()}


def test_without_a_configuration_every_frame_reports_none(hash_drv, seed):
    """The 20-byte header both ways: the frames come back whole, with hash 0
    and NONE until the driver configures hashing."""
    rng = random.Random(seed)
    dst = mac_of(hash_drv.dev).hex(":")
    frames = list(dict.fromkeys(random_frame(rng, dst) for _ in range(32)))
    got = _hashes(hash_drv, frames)
    assert sorted(got) == sorted(frames)
    assert {(h, r) for _, h, r in got.values()} == {(0, NONE)}


def test_every_frame_gets_its_hash_and_report_type(hash_drv, seed):
    """HASH_CONFIG: hashes reported, RSS steering stays off (the frames that
    are no flow stay on receiveq 0)."""
    rng = random.Random(seed)
    dst = mac_of(hash_drv.dev).hex(":")
    for types in [ALL_TYPES, IPV4 | IPV6, TCPV4 | UDPV4, rng.randrange(64)]:
        key = rng.randbytes(rng.choice([40, 40, 16]))   # a short key reads as zero-padded
        assert hash_drv.ctrl(hash_cmd(types, key)) == (1, OK)
        frames = list(dict.fromkeys(random_frame(rng, dst) for _ in range(48)))
        got = _hashes(hash_drv, frames)
        wrong = [(f.hex()[:80], got[f][1:], hash_report(types, key, f)) for f in frames
                 if got[f][1:] != hash_report(types, key, f)]
        assert not wrong, f"hash types {types:#x}: wrong hash or report {wrong}"
        assert any(r != NONE for _, _, r in got.values()) or types == 0


def test_the_published_hashes_come_back_in_the_header(hash_drv):
    dst = mac_of(hash_drv.dev).hex(":")
    frames, want = [], []
    for (src, sport), (daddr, dport), l3, l4 in MS_V4 + MS_V6:
        v4 = "." in src
        ip = IP(src=src, dst=daddr) if v4 else IPv6(src=src, dst=daddr)
        frames.append(bytes(Ether(src=PEER, dst=dst) / ip / TCP(sport=sport, dport=dport)))
        want.append((l3, l4, v4))
    assert hash_drv.ctrl(hash_cmd(TCPV4 | TCPV6, MS_KEY)) == (1, OK)
    got = _hashes(hash_drv, frames)
    assert [got[f][1:] for f in frames] == [
        (l4, regs.VIRTIO_NET_HASH_REPORT_TCPv4 if v4 else regs.VIRTIO_NET_HASH_REPORT_TCPv6)
        for _, l4, v4 in want]
    assert hash_drv.ctrl(hash_cmd(IPV4 | IPV6, MS_KEY)) == (1, OK)
    got = _hashes(hash_drv, frames)
    assert [got[f][1:] for f in frames] == [
        (l3, regs.VIRTIO_NET_HASH_REPORT_IPv4 if v4 else regs.VIRTIO_NET_HASH_REPORT_IPv6)
        for l3, _, v4 in want]


def test_rss_steers_and_reports_by_one_configuration(hash_drv, seed):
    """RSS_CONFIG sets the hash that steers and the hash reported;
    VQ_PAIRS_SET ends the steering and keeps the hash; HASH_CONFIG replaces
    the hash and leaves steering off."""
    rng = random.Random(seed)
    dst = mac_of(hash_drv.dev).hex(":")
    cfg = RssConfig(ALL_TYPES, [rng.randrange(PAIRS) for _ in range(64)], rng.randrange(PAIRS),
                    rng.randbytes(40), PAIRS)
    assert hash_drv.ctrl(cfg.command()) == (1, OK)
    frames = list(dict.fromkeys(random_frame(rng, dst) for _ in range(48)))
    got = _hashes(hash_drv, frames)
    assert all(got[f] == (rss_queue(cfg, f), *hash_report(cfg.hash_types, cfg.key, f))
               for f in frames)
    assert hash_drv.ctrl(struct.pack("<BBH", regs.VIRTIO_NET_CTRL_MQ,
                                     regs.VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, PAIRS)) == (1, OK)
    # automatic steering again: an unclassified queue other than 0 no longer takes ARP
    arp = [f for f in frames if f[12:14] == b"\x08\x06"] or [random_frame(rng, dst)]
    got = _hashes(hash_drv, frames)
    assert all(got[f][1:] == hash_report(cfg.hash_types, cfg.key, f) for f in frames)
    assert all(got[f][0] == 0 for f in arp if f[12:14] == b"\x08\x06")
    key = rng.randbytes(40)
    assert hash_drv.ctrl(hash_cmd(IPV6, key)) == (1, OK)
    got = _hashes(hash_drv, frames)
    assert all(got[f][1:] == hash_report(IPV6, key, f) for f in frames)


def test_malformed_hash_configurations_are_refused(hash_drv):
    good = hash_cmd(ALL_TYPES, bytes(range(40)))
    assert hash_drv.ctrl(good) == (1, OK)
    bad = {
        "no key": hash_cmd(ALL_TYPES, b""),
        "key too long": hash_cmd(ALL_TYPES, bytes(41)),
        "an _EX hash type": hash_cmd(1 << 6, bytes(40)),
        "a byte short": good[:-1],
        "a byte too many": good + b"\0",
        "no data": good[:2],
    }
    for what, command in bad.items():
        assert hash_drv.ctrl(command) == (1, ERR), what
    assert hash_drv.dev.stats()["error"]["code"] == 0


def test_hash_config_without_hash_report_negotiated_is_refused(backend):
    with _hash_report_device(backend) as (dev, offered):
        d = _driver(dev, offered & ~(HASH_REPORT | 1 << regs.VIRTIO_F_NOTIFICATION_DATA))
        try:
            assert d.hdr == regs.VIONIC_NET_HDR_LEN
            assert d.ctrl(hash_cmd(IPV4, bytes(40))) == (1, ERR)
            # the 12-byte header again: frames come back whole
            dst = mac_of(dev).hex(":")
            frame = random_frame(random.Random(1), dst)
            assert list(landings(d, [frame])) == [frame]
        finally:
            d.close()


# ---- through libvionic (Device.set_rss, Frame.hash) --------------------------------
@pytest.fixture
def rss_nic(backend):
    with vionic.open(backend, wire="loopback", queue_pairs=PAIRS) as dev:
        if not dev.info()["driver_features"] & HASH_REPORT:
            pytest.skip(f"the {backend} device with {PAIRS} queue pairs does not offer "
                        "HASH_REPORT")
        yield dev


def _recv_all(dev, count: int) -> dict[bytes, tuple[int, vionic.Frame]]:
    """Polls every pair until `count` distinct frames arrived: frame -> (pair, Frame)."""
    got: dict[bytes, tuple[int, vionic.Frame]] = {}
    deadline = time.monotonic() + 10
    while len(got) < count and time.monotonic() < deadline:
        for qp in range(PAIRS):
            got.update((bytes(f), (qp, f)) for f in dev.recv(64, qp=qp))
    return got


def test_libvionic_spreads_by_its_table_and_hands_over_the_hash(rss_nic, seed):
    rng = random.Random(seed)
    dst = mac_of(rss_nic).hex(":")
    assert rss_nic.info()["hdr_len"] == regs.VIONIC_NET_HDR_HASH_LEN
    key, reta = rng.randbytes(40), [rng.randrange(PAIRS) for _ in range(32)]
    rss_nic.set_rss(ALL_TYPES, key, reta)
    cfg = RssConfig(ALL_TYPES, reta, 0, key, PAIRS)
    frames = list(dict.fromkeys(random_frame(rng, dst) for _ in range(64)))
    assert rss_nic.send(frames) == len(frames)
    got = _recv_all(rss_nic, len(frames))
    assert sorted(got) == sorted(frames)
    for f in frames:
        qp, frame = got[f]
        value, report = hash_report(ALL_TYPES, key, f)
        assert qp == rss_queue(cfg, f), f.hex()[:80]
        assert (frame.hash, frame.hash_type) == ((value if report != NONE else None), report)
    # a device reset forgets the configuration; libvionic gives it again
    rss_nic.reset()
    assert rss_nic.send(frames[:16]) == 16
    got = _recv_all(rss_nic, 16)
    assert all(got[f][0] == rss_queue(cfg, f) for f in frames[:16])


def test_libvionic_hash_report_without_a_table_keeps_automatic_steering(rss_nic, seed):
    rng = random.Random(seed)
    dst = mac_of(rss_nic).hex(":")
    key = rng.randbytes(40)
    rss_nic.set_rss(IPV4 | TCPV6, key)
    frames = list(dict.fromkeys(random_frame(rng, dst) for _ in range(32)))
    assert rss_nic.send(frames) == len(frames)
    got = _recv_all(rss_nic, len(frames))
    for f in frames:
        value, report = hash_report(IPV4 | TCPV6, key, f)
        assert (got[f][1].hash, got[f][1].hash_type) == \
            ((value if report != NONE else None), report)
        if report == NONE and f[12:14] == b"\x08\x06":
            assert got[f][0] == 0   # ARP: no flow, receiveq 0


def test_libvionic_refuses_bad_rss_arguments(rss_nic):
    with pytest.raises(vionic.InvalidArgument, match="key_len"):
        rss_nic.set_rss(IPV4, b"")
    with pytest.raises(vionic.InvalidArgument, match="key of 41"):
        rss_nic.set_rss(IPV4, bytes(41))
    with pytest.raises(vionic.InvalidArgument, match="power of two"):
        rss_nic.set_rss(IPV4, bytes(40), [0, 1, 2])
    with pytest.raises(vionic.QueueOutOfRange, match="reta\\[1\\]"):
        rss_nic.set_rss(IPV4, bytes(40), [0, PAIRS])
    with pytest.raises(vionic.InvalidArgument, match="hash_types"):
        rss_nic.set_rss(1 << 6, bytes(40))


def test_one_queue_pair_has_no_rss(backend):
    with vionic.open(backend, wire="loopback") as dev:
        assert dev.info()["hdr_len"] == regs.VIONIC_NET_HDR_LEN
        with pytest.raises(vionic.FeatureError, match="HASH_REPORT was not negotiated"):
            dev.set_rss(IPV4, bytes(40))
        frame = random_frame(random.Random(2), mac_of(dev).hex(":"))
        assert dev.send([frame]) == 1
        (got,) = dev.recv(8, timeout=5.0)
        assert got == frame and got.hash is None and got.hash_type == NONE
