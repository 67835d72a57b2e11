"""Helpers shared by the host-library tests."""

from __future__ import annotations

import random
import time

from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Dot1Q, Ether

from vionic import regs


def mac_of(dev) -> bytes:
    return bytes.fromhex(dev.info()["mac"].replace(":", ""))


def make_frame(rng: random.Random, size: int, dst: bytes, tag: int = 0) -> bytes:
    """An Ethernet frame of `size` bytes: dst, a fixed source, the local
    experimental ethertype, a 4-byte tag, random payload."""
    body = rng.randbytes(size - 18)
    return dst + bytes.fromhex("020000000001") + b"\x88\xb5" + tag.to_bytes(4, "little") + body


def recv_exactly(dev, count: int, timeout: float = 5.0) -> list[bytes]:
    """Receives until `count` frames arrived or `timeout` passed."""
    got: list[bytes] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        got.extend(dev.recv(min(256, count - len(got)), timeout=0.1))
    return got


def wait_for(predicate, timeout: float = 2.0, interval: float = 0.005):
    """Polls `predicate` until it returns something true; returns that."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def mempool_full(dev) -> bool:
    """Every mbuf is either free in the mempool or posted on an RX ring."""
    return dev.mempool_avail() + dev.mempool_on_rings() == dev.info()["nb_mbufs"]


def skip_without_rss(dev) -> None:
    """Skips a test of receive steering or RSS on a device that does not offer
    VIRTIO_NET_F_RSS: decided by the device's features, so the test runs on
    whichever core offers it."""
    import pytest

    if not dev.info()["device_features"] & 1 << regs.VIRTIO_NET_F_RSS:
        pytest.skip("the device does not offer VIRTIO_NET_F_RSS (receive steering and RSS)")


def connect_partner(dev, path: str):
    """Connects a link partner to a `unix:PATH` wire and waits until the
    device server has accepted it (a probe frame crosses), so no frame the
    NIC sends afterwards is dropped for want of a partner."""
    import socket

    peer = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    peer.connect(path)
    peer.settimeout(5.0)
    probe = bytes.fromhex("ffffffffffff020000000001") + b"\x88\xb5" + b"probe".ljust(46, b".")
    peer.send(probe)
    got = recv_exactly(dev, 1, timeout=5.0)
    assert got == [probe], "the link partner's probe frame did not arrive"
    return peer


# ---- registers and fault injection (include/vionic/regs.h names) -----------

RX, TX = 0, 1                                   # virtqueues of queue pair 0


def status(dev) -> int:
    return dev.read_reg(regs.VIRTIO_PCI_COMMON_STATUS, 1)


def wait_needs_reset(dev) -> dict:
    """Waits for DEVICE_NEEDS_RESET and returns the device's error log, as the
    typed exception carries it."""
    import pytest

    import vionic

    assert wait_for(lambda: status(dev) & regs.VIRTIO_STATUS_DEVICE_NEEDS_RESET), \
        "the device did not report NEEDS_RESET"
    with pytest.raises(vionic.DeviceNeedsReset) as exc:
        dev.check()
    return exc.value.error


def exhaust_rx(dev):
    """Lets the device fill every posted RX buffer (loopback traffic nobody
    receives), so the next RX avail entry is one the device has not fetched
    yet: a device may prefetch ring entries, as the RTL does."""
    posted = dev.mempool_on_rings()        # the driver refills in bulk: maybe not all
    before = dev.stats()["device"]["rx"]["packets"]
    dev.send([bytes(60)] * posted)
    assert wait_for(lambda: dev.stats()["device"]["rx"]["packets"] - before == posted, 5.0)


def recovers(dev, seed=0) -> bool:
    """After reset: traffic flows, counters start again, no buffer lost."""
    dev.reset()
    assert dev.stats()["error"]["code"] == regs.VIONIC_ERR_NONE
    assert status(dev) & regs.VIRTIO_STATUS_DEVICE_NEEDS_RESET == 0
    rng = random.Random(seed)
    frames = [make_frame(rng, rng.randint(60, 1514), mac_of(dev), i) for i in range(40)]
    dev.send(frames)
    assert recv_exactly(dev, 40) == frames
    assert mempool_full(dev)
    return True


def raw_bring_up_to_features(dev, accept: int) -> None:
    """Resets the device and runs bring-up by hand up to writing `accept` as
    the driver features (FEATURES_OK not yet set)."""
    dev.write_reg(regs.VIRTIO_PCI_COMMON_STATUS, 0, 1)
    assert wait_for(lambda: status(dev) == 0)
    dev.write_reg(regs.VIRTIO_PCI_COMMON_STATUS, regs.VIRTIO_STATUS_ACKNOWLEDGE, 1)
    dev.write_reg(regs.VIRTIO_PCI_COMMON_STATUS,
                  regs.VIRTIO_STATUS_ACKNOWLEDGE | regs.VIRTIO_STATUS_DRIVER, 1)
    write_driver_features(dev, accept)


def write_driver_features(dev, features: int) -> None:
    for half in (0, 1):
        dev.write_reg(regs.VIRTIO_PCI_COMMON_GFSELECT, half)
        dev.write_reg(regs.VIRTIO_PCI_COMMON_GF, features >> (32 * half) & 0xFFFFFFFF)


def read_driver_features(dev) -> int:
    words = []
    for half in (0, 1):
        dev.write_reg(regs.VIRTIO_PCI_COMMON_GFSELECT, half)
        words.append(dev.read_reg(regs.VIRTIO_PCI_COMMON_GF))
    return words[0] | words[1] << 32


def pci_capabilities(dev) -> dict:
    """The PCI capability list: {cap id: [offsets in config space]}."""
    caps: dict[int, list[int]] = {}
    ptr, seen = dev.read_config(PCI_CAPABILITY_LIST, 1), set()
    while ptr:
        assert ptr not in seen, "capability list loops"
        seen.add(ptr)
        caps.setdefault(dev.read_config(ptr, 1), []).append(ptr)
        ptr = dev.read_config(ptr + 1, 1)
    return caps


# PCI Local Bus 3.0: capability pointer, and the ids of the two kinds vionic has
PCI_CAPABILITY_LIST, PCI_CAP_ID_VNDR, PCI_CAP_ID_MSIX = 0x34, 0x09, 0x11


def msix_vectors(dev) -> int:
    """Table size of the MSI-X capability (Message Control bits 10:0, N - 1)."""
    (cap,) = pci_capabilities(dev)[PCI_CAP_ID_MSIX]
    return (dev.read_config(cap + 2, 2) & 0x7FF) + 1


# ---- offloads ------------------------------------------------------------------

PEER = "02:00:00:00:00:01"                     # the link partner's MAC in frames


def stage_counters(dev, stage: int) -> tuple[int, int]:
    """(CSUM_GOOD, CSUM_BAD) of offload stage `stage` (VIONIC_STAGE_*)."""
    return (dev.read_reg(regs.stage_reg(stage, regs.VIONIC_STAGE_CSUM_GOOD)),
            dev.read_reg(regs.stage_reg(stage, regs.VIONIC_STAGE_CSUM_BAD)))


def random_l4(rng: random.Random, dst: bytes, vlan: bool | None = None,
              payload: int | None = None, max_frame: int = 1514):
    """A TCP or UDP frame over IPv4 or IPv6, maybe VLAN-tagged, random payload
    (`payload` bytes if given, as many as fit in max_frame)."""
    eth = Ether(src=PEER, dst=dst.hex(":"))
    if vlan if vlan is not None else rng.random() < 0.25:
        eth = eth / Dot1Q(vlan=rng.randrange(1, 4095))
    v6 = rng.random() < 0.5
    ip = IPv6(src="2001:db8::1", dst="2001:db8::2") if v6 else \
        IP(src="198.18.0.1", dst="198.18.0.2", id=rng.randrange(65536))
    l4 = TCP(sport=rng.randrange(1, 65536), dport=80, seq=rng.randrange(1 << 32)) \
        if rng.random() < 0.5 else UDP(sport=rng.randrange(1, 65536), dport=53)
    room = max_frame - len(eth / ip / l4)
    n = rng.randrange(0, min(room, 1200)) if payload is None else min(payload, room)
    return eth / ip / l4 / rng.randbytes(n)
