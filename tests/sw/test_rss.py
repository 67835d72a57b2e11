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
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrHopByHop
from scapy.layers.l2 import ARP, Dot1Q, Ether
from vdriver import ForeignDriver

import vionic
from swutil import PEER, mac_of, skip_without_rss, wait_for
from vionic import regs

PAIRS = 4
RSS = 1 << regs.VIRTIO_NET_F_RSS
OK, ERR = regs.VIRTIO_NET_OK, regs.VIRTIO_NET_ERR

# Microsoft's "Verifying the RSS hash calculation": (source, destination,
# IPv4-or-IPv6-only hash, hash with TCP)
MS_V4 = [(("66.9.149.187", 2794), ("161.142.100.80", 1766), 0x323e8fc2, 0x51ccc178),
         (("199.92.111.2", 14230), ("65.69.140.83", 4739), 0xd718262a, 0xc626b0ea),
         (("24.19.198.95", 12898), ("12.22.207.184", 38024), 0xd2d0a5de, 0x5c2b394a),
         (("38.27.205.30", 48228), ("209.142.163.6", 2217), 0x82989176, 0xafc7327f),
         (("153.39.163.191", 44251), ("202.188.127.2", 1303), 0x5d1809c5, 0x10e828a2)]
MS_V6 = [(("3ffe:2501:200:1fff::7", 2794), ("3ffe:2501:200:3::1", 1766),
          0x2cc18cd5, 0x40207d3d),
         (("3ffe:501:8::260:97ff:fe40:efab", 14230), ("ff02::1", 4739),
          0x0f0c461c, 0xdde51bbf),
         (("3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251), ("fe80::200:f8ff:fe21:67cf", 38024),
          0x4b61e985, 0x02d1feef)]


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


def random_frame(rng: random.Random, dst: str) -> bytes:
    """A frame of every kind RSS tells apart."""
    eth = Ether(src=PEER, dst=dst)
    if rng.random() < 0.2:
        eth = eth / Dot1Q(vlan=rng.randrange(1, 4095))
    kind = rng.choice(["v4", "v6", "v4frag", "v6ext", "icmp", "arp"])
    sport, dport = rng.randrange(1, 65536), rng.randrange(1, 65536)
    l4 = (TCP if rng.random() < 0.5 else UDP)(sport=sport, dport=dport)
    v4 = IP(src=str(ipaddress.IPv4Address(rng.getrandbits(32))),
            dst=str(ipaddress.IPv4Address(rng.getrandbits(32))))
    v6 = IPv6(src=str(ipaddress.IPv6Address(rng.getrandbits(128))),
              dst=str(ipaddress.IPv6Address(rng.getrandbits(128))))
    pay = rng.randbytes(rng.randint(0, 64))
    if kind == "v4":
        p = eth / v4 / l4 / pay
    elif kind == "v6":
        p = eth / v6 / l4 / pay
    elif kind == "v4frag":
        v4.flags, v4.frag = "MF", rng.choice([0, 10])
        p = eth / v4 / l4 / pay
    elif kind == "v6ext":
        p = eth / v6 / IPv6ExtHdrHopByHop() / l4 / pay
    elif kind == "icmp":
        p = eth / (v4 if rng.random() < 0.5 else IP()) / ICMP() / pay
    else:
        p = eth / ARP()
    return bytes(p).ljust(60, b"\0")


def random_config(rng: random.Random) -> RssConfig:
    size = rng.choice([1, 8, 64, 128])
    return RssConfig(hash_types=rng.choice([regs.VIONIC_RSS_HASH_TYPES, IPV4 | IPV6,
                                            TCPV4 | UDPV6, rng.randrange(64)]),
                     table=[rng.randrange(PAIRS) for _ in range(size)],
                     unclassified=rng.randrange(PAIRS), key=rng.randbytes(40),
                     max_tx_vq=rng.randint(1, PAIRS))


def _where(drv, frames: list[bytes]) -> dict[bytes, int]:
    """Sends frames (through the loopback wire) and returns where each landed."""
    got: dict[bytes, int] = {}

    def poll():
        for qp in range(PAIRS):
            for _, f, _ in drv.received_frames(qp):
                got[f] = qp
        return len(got) >= len(set(frames))
    for i in range(0, len(frames), 16):
        drv.send(frames[i:i + 16])
        assert wait_for(lambda: drv.tx_done() >= 0 and drv.rings[1].used_cons ==
                        drv.rings[1].avail_idx, 10.0), \
            (drv.rings[1].used_cons, drv.rings[1].avail_idx, drv.dev.stats()["error"],
             drv.dev.stats()["device"])
    assert wait_for(poll, 10.0), f"{len(got)} of {len(set(frames))} frames came back"
    for qp in range(PAIRS):   # the buffers used, posted again
        drv.post_rx_chains([[2048]] * sum(q == qp for q in got.values()), qp=qp)
    return got


def test_frames_go_where_the_indirection_table_says(rss_drv, seed):
    rng = random.Random(seed)
    dst = mac_of(rss_drv.dev)
    for _ in range(3):
        cfg = random_config(rng)
        assert rss_drv.ctrl(cfg.command()) == (1, OK), cfg
        frames = list(dict.fromkeys(random_frame(rng, dst.hex(":")) for _ in range(48)))
        got = _where(rss_drv, frames)
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
    got = _where(rss_drv, frames)
    assert [got[f] for f in frames] == want


def test_an_indirection_table_change_under_traffic(rss_drv, seed):
    rng = random.Random(seed)
    dst = mac_of(rss_drv.dev).hex(":")
    a = random_config(rng)
    b = RssConfig(a.hash_types, [(q + 1) % PAIRS for q in a.table], a.unclassified, a.key,
                  a.max_tx_vq)
    frames = list(dict.fromkeys(random_frame(rng, dst) for _ in range(64)))
    assert rss_drv.ctrl(a.command()) == (1, OK)
    first = _where(rss_drv, frames[:32])
    assert rss_drv.ctrl(b.command()) == (1, OK)
    second = _where(rss_drv, frames[32:])
    assert all(first[f] == rss_queue(a, f) for f in frames[:32])
    assert all(second[f] == rss_queue(b, f) for f in frames[32:])
    # VQ_PAIRS_SET returns to automatic steering: non-flow frames to receiveq 0
    assert rss_drv.ctrl(struct.pack("<BBH", regs.VIRTIO_NET_CTRL_MQ,
                                    regs.VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, PAIRS)) == (1, OK)
    arp = bytes(Ether(src=PEER, dst=dst) / ARP(pdst="198.18.0.9")).ljust(60, b"\0")
    assert _where(rss_drv, [arp])[arp] == 0


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
