"""RSS (VIRTIO_NET_F_RSS) on a device with several queue pairs, driven by a
driver that is not libvionic (tests/sw/vdriver.py): the Toeplitz hash of an
independent reference (tests/sw/rss_ref.py) checked against the Microsoft RSS
specification's published examples, then every frame of a seeded mix (TCP,
UDP, IPv4, IPv6, VLAN, fragments, extension headers, other protocols)
landing on the receive queue the reference says, an indirection table
changed under traffic, and malformed configurations answered VIRTIO_NET_ERR.
A device that does not offer VIRTIO_NET_F_RSS (the RTL today) skips them."""

from __future__ import annotations

import ipaddress
import random
import struct

import pytest
from rss_ref import IPV4, IPV6, MS_KEY, TCPV4, TCPV6, UDPV6, RssConfig, rss_queue, toeplitz
from rss_traffic import MS_V4, MS_V6, PAIRS, random_frame, where_frames_land
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import ARP, Ether
from vdriver import ForeignDriver

import vionic
from swutil import PEER, mac_of, skip_without_rss
from vionic import regs

RSS = 1 << regs.VIRTIO_NET_F_RSS
OK, ERR = regs.VIRTIO_NET_OK, regs.VIRTIO_NET_ERR

def _addr(a: str) -> bytes:
    return ipaddress.ip_address(a).packed


@pytest.mark.parametrize("vectors", [MS_V4, MS_V6], ids=["ipv4", "ipv6"])
def test_toeplitz_reference_gives_the_published_hashes(vectors):
    for (src, sport), (dst, dport), l3, l4 in vectors:
        addrs = _addr(src) + _addr(dst)
        assert toeplitz(MS_KEY, addrs) == l3
        assert toeplitz(MS_KEY, addrs + struct.pack(">HH", sport, dport)) == l4


@pytest.fixture
def rss_drv(backend):
    with vionic.open(backend, wire="loopback", start=False, queue_pairs=PAIRS) as dev:
        skip_without_rss(dev)
        d = ForeignDriver(dev, size=128, pairs=PAIRS, mem_size=16 << 20)
        for qp in range(PAIRS):
            d.post_rx_chains([[2048]] * 96, kick=False, qp=qp)
        d.start()
        yield d
        d.close()


def test_rss_is_offered_with_its_limits(rss_drv):
    dev = rss_drv.dev
    cfg = regs.VIONIC_DEVICE_CFG
    assert dev.read_reg(cfg + regs.VIRTIO_NET_CFG_RSS_KEY_SIZE, 1) == regs.VIONIC_RSS_KEY_SIZE
    assert dev.read_reg(cfg + regs.VIRTIO_NET_CFG_RSS_TABLE_LEN, 2) == regs.VIONIC_RSS_TABLE_LEN
    assert dev.read_reg(cfg + regs.VIRTIO_NET_CFG_HASH_TYPES) == regs.VIONIC_RSS_HASH_TYPES


def random_config(rng: random.Random) -> RssConfig:
    size = rng.choice([1, 8, 64, 128])
    return RssConfig(hash_types=rng.choice([regs.VIONIC_RSS_HASH_TYPES, IPV4 | IPV6,
                                            TCPV4 | UDPV6, rng.randrange(64)]),
                     table=[rng.randrange(PAIRS) for _ in range(size)],
                     unclassified=rng.randrange(PAIRS), key=rng.randbytes(40),
                     max_tx_vq=rng.randint(1, PAIRS))


def test_frames_go_where_the_indirection_table_says(rss_drv, seed):
    rng = random.Random(seed)
    dst = mac_of(rss_drv.dev)
    for _ in range(3):
        cfg = random_config(rng)
        assert rss_drv.ctrl(cfg.command()) == (1, OK), cfg
        frames = list(dict.fromkeys(random_frame(rng, dst.hex(":")) for _ in range(48)))
        got = where_frames_land(rss_drv, frames)
        wrong = [(f.hex()[:80], got[f], rss_queue(cfg, f)) for f in frames
                 if got[f] != rss_queue(cfg, f)]
        assert not wrong, f"hash types {cfg.hash_types:#x}: frames on the wrong queue {wrong}"


def test_the_published_flows_through_the_device(rss_drv):
    """The specification's key and flows (with TCP): each lands on the queue
    of its hash's low bits, as the published hash says."""
    table = [0, 1, 2, 3, 3, 2, 1, 0]
    cfg = RssConfig(TCPV4 | TCPV6, table, 0, MS_KEY, PAIRS)
    assert rss_drv.ctrl(cfg.command()) == (1, OK)
    dst = mac_of(rss_drv.dev).hex(":")
    frames, want = [], []
    for (src, sport), (daddr, dport), _, l4 in MS_V4 + MS_V6:
        ip = IP(src=src, dst=daddr) if "." in src else IPv6(src=src, dst=daddr)
        frames.append(bytes(Ether(src=PEER, dst=dst) / ip / TCP(sport=sport, dport=dport)))
        want.append(table[l4 & 7])
    got = where_frames_land(rss_drv, frames)
    assert [got[f] for f in frames] == want


def test_an_indirection_table_change_under_traffic(rss_drv, seed):
    rng = random.Random(seed)
    dst = mac_of(rss_drv.dev).hex(":")
    a = random_config(rng)
    b = RssConfig(a.hash_types, [(q + 1) % PAIRS for q in a.table], a.unclassified, a.key,
                  a.max_tx_vq)
    frames = list(dict.fromkeys(random_frame(rng, dst) for _ in range(64)))
    assert rss_drv.ctrl(a.command()) == (1, OK)
    first = where_frames_land(rss_drv, frames[:32])
    assert rss_drv.ctrl(b.command()) == (1, OK)
    second = where_frames_land(rss_drv, frames[32:])
    assert all(first[f] == rss_queue(a, f) for f in frames[:32])
    assert all(second[f] == rss_queue(b, f) for f in frames[32:])
    # VQ_PAIRS_SET returns to automatic steering: non-flow frames to receiveq 0
    assert rss_drv.ctrl(struct.pack("<BBH", regs.VIRTIO_NET_CTRL_MQ,
                                    regs.VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, PAIRS)) == (1, OK)
    arp = bytes(Ether(src=PEER, dst=dst) / ARP(pdst="198.18.0.9")).ljust(60, b"\0")
    assert where_frames_land(rss_drv, [arp])[arp] == 0


def test_malformed_rss_configurations_are_refused(rss_drv):
    good = RssConfig(regs.VIONIC_RSS_HASH_TYPES, [0, 1, 2, 3], 0, bytes(range(40)), PAIRS)
    assert rss_drv.ctrl(good.command()) == (1, OK)
    bad = {
        "table of 3": RssConfig(good.hash_types, [0, 1, 2], 0, good.key, PAIRS),
        "table of 256": RssConfig(good.hash_types, [0] * 256, 0, good.key, PAIRS),
        "queue out of range": RssConfig(good.hash_types, [0, PAIRS, 1, 2], 0, good.key, PAIRS),
        "unclassified out of range": RssConfig(good.hash_types, [0] * 4, PAIRS, good.key,
                                               PAIRS),
        "no TX queue": RssConfig(good.hash_types, [0] * 4, 0, good.key, 0),
        "too many TX queues": RssConfig(good.hash_types, [0] * 4, 0, good.key, PAIRS + 1),
        "no key": RssConfig(good.hash_types, [0] * 4, 0, b"", PAIRS),
        "key too long": RssConfig(good.hash_types, [0] * 4, 0, bytes(41), PAIRS),
        "an _EX hash type": RssConfig(1 << 6, [0] * 4, 0, good.key, PAIRS),
    }
    for what, cfg in bad.items():
        assert rss_drv.ctrl(cfg.command()) == (1, ERR), what
    assert rss_drv.ctrl(good.command()[:-1]) == (1, ERR), "a byte short"
    assert rss_drv.ctrl(good.command() + b"\0") == (1, ERR), "a byte too many"
    assert rss_drv.dev.stats()["error"]["code"] == 0


def test_rss_config_without_rss_negotiated_is_refused(backend):
    with vionic.open(backend, wire="loopback", start=False, queue_pairs=PAIRS) as dev:
        skip_without_rss(dev)
        features = dev.info()["device_features"] & ~(RSS | 1 << regs.VIRTIO_F_NOTIFICATION_DATA)
        d = ForeignDriver(dev, size=64, pairs=PAIRS, features=features, mem_size=16 << 20)
        try:
            d.start()
            cfg = RssConfig(IPV4, [0, 1], 0, bytes(40), PAIRS)
            assert d.ctrl(cfg.command()) == (1, ERR)
        finally:
            d.close()
