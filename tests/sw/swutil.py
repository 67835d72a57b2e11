"""Helpers shared by the host-library tests."""

from __future__ import annotations

import random
import time


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
