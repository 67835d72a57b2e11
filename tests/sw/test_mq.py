"""Multiqueue (VIRTIO_NET_F_MQ) and the control queue (VIRTIO_NET_F_CTRL_VQ),
driven by a driver that is not libvionic (tests/sw/vdriver.py): a device with
N queue pairs offers both, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET picks how many are
used, and automatic receive steering (VIRTIO 1.2 §5.1.6.5.5) brings the
frames of a flow back to the receiveq of the transmitq that sent it. Commands
the device does not offer, or malformed ones, get VIRTIO_NET_ERR.

Both cores take N pairs (the RTL is built for N on first use). Receive
steering comes with VIRTIO_NET_F_RSS: the tests that need it skip on a device
that does not offer it (the RTL, which puts every frame on receiveq 0)."""

from __future__ import annotations

import random
import socket
import struct
import threading
import time

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from vdriver import RX, ForeignDriver

import vionic
from swutil import (
    PEER,
    mac_of,
    make_frame,
    msix_vectors,
    skip_without_rss,
    wait_for,
    wait_needs_reset,
)
from vionic import regs
from vionic._ext import ffi, lib

PAIRS = 4
MQ = 1 << regs.VIRTIO_NET_F_MQ | 1 << regs.VIRTIO_NET_F_CTRL_VQ
MEM = 16 << 20


def pairs_set(n: int) -> bytes:
    return struct.pack("<BBH", regs.VIRTIO_NET_CTRL_MQ, regs.VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, n)


@pytest.fixture
def mq_dev(backend):
    with vionic.open(backend, wire="loopback", start=False, queue_pairs=PAIRS) as dev:
        yield dev


@pytest.fixture
def drv(mq_dev):
    d = ForeignDriver(mq_dev, size=64, pairs=PAIRS, mem_size=MEM)
    for qp in range(PAIRS):
        d.post_rx_chains([[2048]] * 32, kick=False, qp=qp)
    d.start()
    yield d
    d.close()


def flow(rng: random.Random, dst: bytes, sport: int, v6: bool = False) -> bytes:
    """A frame of the TCP or UDP flow from port `sport`."""
    ip = IPv6(src="2001:db8::1", dst="2001:db8::2") if v6 else \
        IP(src="198.18.0.1", dst="198.18.0.2")
    l4 = TCP(sport=sport, dport=80) if rng.random() < 0.5 else UDP(sport=sport, dport=53)
    return bytes(Ether(src=PEER, dst=dst.hex(":")) / ip / l4 / rng.randbytes(rng.randint(0, 200)))


def test_queue_pairs_offer_mq_and_the_control_queue(mq_dev):
    info = mq_dev.info()
    assert info["device_features"] & MQ == MQ and info["max_queue_pairs"] == PAIRS
    assert mq_dev.read_reg(regs.VIRTIO_PCI_COMMON_NUMQ, 2) == 2 * PAIRS + 1
    assert mq_dev.read_reg(regs.VIONIC_REG_MAX_QUEUE_PAIRS) == PAIRS
    assert msix_vectors(mq_dev) == 1 + 2 * PAIRS + 1   # config, every virtqueue


def test_one_queue_pair_offers_neither(nic):
    assert nic.info()["device_features"] & MQ == 0
    assert nic.read_reg(regs.VIRTIO_PCI_COMMON_NUMQ, 2) == 2


def test_control_commands_are_answered(drv):
    OK, ERR = regs.VIRTIO_NET_OK, regs.VIRTIO_NET_ERR
    assert drv.ctrl(pairs_set(PAIRS)) == (1, OK)
    for n in (0, PAIRS + 1, 0x8000):
        assert drv.ctrl(pairs_set(n)) == (1, ERR), f"{n} pairs"
    assert drv.ctrl(pairs_set(2)[:3]) == (1, ERR), "data too short"
    assert drv.ctrl(pairs_set(2) + b"\0") == (1, ERR), "data too long"
    assert drv.ctrl(b"\x04") == (1, ERR), "no command byte"
    # classes this device does not offer (CTRL_RX, CTRL_MAC_ADDR)
    assert drv.ctrl(bytes([regs.VIRTIO_NET_CTRL_RX, 0, 1])) == (1, ERR)
    assert drv.ctrl(bytes([regs.VIRTIO_NET_CTRL_MAC, 1]) + bytes(6)) == (1, ERR)
    assert drv.ctrl(pairs_set(2) + bytes(200)) == (1, ERR), "longer than any command"
    # no writable byte: not executed, returned with used length 0
    assert drv.ctrl(pairs_set(1), ack_bytes=0) == (0, -1)
    assert drv.ctrl(pairs_set(3), ack_bytes=4) == (1, OK)
    assert drv.dev.stats()["error"]["code"] == 0


def test_a_control_chain_writable_before_readable_is_a_device_error(drv):
    q = 2 * PAIRS
    drv.post_chains(q, [[(1, regs.VRING_DESC_F_WRITE), (4, 0)]])
    drv.kick(q)
    err = wait_needs_reset(drv.dev)
    assert (err["code"], err["queue"]) == (regs.VIONIC_ERR_DIRECTION, q)


def _collect(drv, want: int) -> dict[int, list[bytes]]:
    got: dict[int, list[bytes]] = {qp: [] for qp in range(PAIRS)}

    def poll():
        for qp in range(PAIRS):
            got[qp] += [f for _, f, _ in drv.received_frames(qp)]
        return sum(map(len, got.values())) >= want
    def counters(q: int) -> tuple[int, int]:
        base = regs.VIONIC_REG_QSTATS_BASE + regs.VIONIC_QSTATS_STRIDE * q
        return (drv.dev.read_reg(base + regs.VIONIC_QSTAT_PACKETS_LO),
                drv.dev.read_reg(base + regs.VIONIC_QSTAT_DROPS))
    assert wait_for(poll, 10.0), (
        f"{sum(map(len, got.values()))} of {want} frames came back; (packets, drops) by "
        f"virtqueue {[counters(q) for q in range(2 * PAIRS)]}")
    return got


def test_frames_come_back_to_the_pair_that_sent_their_flow(drv, seed):
    """Loopback: a flow sent on transmitq k comes back on receiveq k (its
    last sender); frames of no TCP/UDP flow on receiveq 0."""
    skip_without_rss(drv.dev)
    rng = random.Random(seed)
    dst = mac_of(drv.dev)
    assert drv.ctrl(pairs_set(PAIRS)) == (1, regs.VIRTIO_NET_OK)
    sent: dict[int, list[bytes]] = {qp: [] for qp in range(PAIRS)}
    for i in range(24):
        qp = rng.randrange(PAIRS)
        f = flow(rng, dst, 1000 + i, v6=rng.random() < 0.5) if i % 6 else make_frame(
            rng, rng.randint(60, 300), dst, i)
        drv.send([f], qp=qp)
        sent[qp if i % 6 else 0].append(f)
        assert wait_for(lambda q=qp: drv.tx_done(q) >= 0 and drv.rings[2 * q + 1].used_cons ==
                        drv.rings[2 * q + 1].avail_idx)
    got = _collect(drv, 24)
    assert {qp: sorted(v) for qp, v in got.items()} == {qp: sorted(v) for qp, v in sent.items()}
    for qp in range(PAIRS):
        packets = drv.dev.read_reg(regs.VIONIC_REG_QSTATS_BASE + regs.VIONIC_QSTATS_STRIDE *
                                   (2 * qp + RX) + regs.VIONIC_QSTAT_PACKETS_LO)
        assert packets == len(sent[qp]), f"receiveq {qp} counters"


def test_one_pair_in_use_until_the_driver_sets_more(drv, seed):
    rng = random.Random(seed)
    dst = mac_of(drv.dev)
    frames = [flow(rng, dst, 2000 + i) for i in range(8)]
    for i, f in enumerate(frames):
        drv.send([f], qp=i % PAIRS)
    got = _collect(drv, len(frames))
    assert sorted(got[0]) == sorted(frames), "before VQ_PAIRS_SET only receiveq 0 is used"
    # fewer pairs than the one that sent a flow: the flow goes to one in use (by hash
    # with steering)
    assert drv.ctrl(pairs_set(2)) == (1, regs.VIRTIO_NET_OK)
    late = [flow(rng, dst, 3000 + i) for i in range(8)]
    for f in late:
        drv.send([f], qp=3)
    got = _collect(drv, len(late))
    assert not got[2] and not got[3] and sorted(got[0] + got[1]) == sorted(late)


def test_inbound_flows_spread_over_the_pairs_in_use(backend, tmp_path, seed):
    rng = random.Random(seed)
    path = str(tmp_path / "wire.sock")
    with vionic.open(backend, wire=f"unix:{path}", start=False, queue_pairs=PAIRS) as dev:
        skip_without_rss(dev)
        d = ForeignDriver(dev, size=128, pairs=PAIRS, mem_size=MEM)
        peer = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            for qp in range(PAIRS):        # room for all 81 frames on any one queue
                d.post_rx_chains([[2048]] * 96, kick=False, qp=qp)
            d.start()
            assert d.ctrl(pairs_set(PAIRS)) == (1, regs.VIRTIO_NET_OK)
            peer.connect(path)
            probe = make_frame(rng, 60, mac_of(dev))     # no flow: receiveq 0
            peer.send(probe)
            assert _collect(d, 1)[0] == [probe]
            frames = [flow(rng, mac_of(dev), rng.randrange(1024, 65536)) for _ in range(64)]
            for f in frames:
                peer.send(f)
            got = _collect(d, len(frames))
            assert sorted(sum(got.values(), [])) == sorted(frames)
            assert sum(1 for v in got.values() if v) >= 2, "64 flows all on one queue"
            # the same flow always lands on the same queue
            again = frames[:16]
            for f in again:
                peer.send(f)
            got2 = _collect(d, len(again))
            where = {f: qp for qp, v in got.items() for f in v}
            assert all(where[f] == qp for qp, v in got2.items() for f in v)
        finally:
            d.close()
            peer.close()


def test_more_queue_pairs_than_a_core_has_are_refused(backend):
    limit = regs.VIONIC_MAX_QUEUE_PAIRS
    for n in (0, limit + 1):
        with pytest.raises(vionic.InvalidArgument,
                           match=rf"^(vionic-server: )?bad queue pair count '{n}' "
                                 rf"\(1\.\.{limit}\)$"):
            vionic.open(backend, queue_pairs=n)


def test_libvionic_drives_every_pair_from_a_thread_of_its_own(backend, seed):
    """libvionic with four queue pairs on a loopback wire: a thread per pair
    sends its own flows on its pair, 16 at a time, and receives on its pair
    until every frame is back. Each comes back once, a pair's frames in their
    order on whichever receiveq they reach, and with receive steering
    (VIRTIO_NET_F_RSS) all on the pair that sent them; without it the thread
    of the receiveq they reach takes them. Each pair's mbufs come from a pool
    of its own, and none is lost."""
    with vionic.open(backend, wire="loopback", queue_pairs=PAIRS) as dev:
        assert dev.info()["driver_features"] & MQ == MQ
        steering = dev.info()["device_features"] & 1 << regs.VIRTIO_NET_F_RSS
        dst = mac_of(dev)
        sent = {}
        for qp in range(PAIRS):
            rng = random.Random(seed * PAIRS + qp)
            sent[qp] = [flow(rng, dst, 10000 + 1000 * qp + i, v6=i % 2 == 1) for i in range(160)]
        sender = {f: qp for qp, frames in sent.items() for f in frames}
        total = len(sender)
        got: dict[int, list[bytes]] = {qp: [] for qp in range(PAIRS)}
        back = dict.fromkeys(range(PAIRS), 0)     # frames of each sender received
        lock, errors = threading.Lock(), []

        def receive(qp: int) -> None:
            frames = [bytes(f) for f in dev.recv(64, qp=qp, timeout=0.01)]
            with lock:
                got[qp] += frames
                for f in frames:
                    if f in sender:
                        back[sender[f]] += 1

        def run(qp: int) -> None:
            try:
                frames = sent[qp]
                deadline = time.monotonic() + 60
                for i in range(0, len(frames), 16):
                    assert dev.send(frames[i:i + 16], qp=qp) == 16
                    while back[qp] < i + 16 and time.monotonic() < deadline:
                        receive(qp)
                while sum(back.values()) < total and time.monotonic() < deadline:
                    receive(qp)
            except Exception as e:   # reported by the main thread
                errors.append(e)

        threads = [threading.Thread(target=run, args=(qp,)) for qp in range(PAIRS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        assert sorted(sum(got.values(), [])) == sorted(sender), "frames lost, changed or doubled"
        for qp in range(PAIRS):
            for s in range(PAIRS):
                theirs = [f for f in got[qp] if sender[f] == s]
                came = set(theirs)
                assert theirs == [f for f in sent[s] if f in came], \
                    f"queue pair {s}'s frames out of order on receiveq {qp}"
            if steering:
                assert got[qp] == sent[qp], f"queue pair {qp}: frames came back elsewhere"
            packets = dev.read_reg(regs.VIONIC_REG_QSTATS_BASE + regs.VIONIC_QSTATS_STRIDE *
                                   (2 * qp + RX) + regs.VIONIC_QSTAT_PACKETS_LO)
            assert packets == len(got[qp]), f"receiveq {qp} counters"
        assert dev.mempool_avail() + lib.vionic_mempool_on_rings(dev._dev) == \
            dev.info()["nb_mbufs"]


def test_mbufs_freed_by_another_pair_go_back_to_their_own_pool(backend, seed):
    """The thread of each pair sends on it, receives on it and frees what the
    thread of the next pair received (pair 0's mbufs freed by the thread of
    pair 3, and so on) while all keep sending and receiving: every mbuf is
    handed back to the pool it came from, none twice, none lost. Without
    receive steering every frame reaches pair 0, whose mbufs the thread of
    pair 3 frees."""
    rounds, per_round = 40, 8
    total = PAIRS * rounds * per_round
    with vionic.open(backend, wire="loopback", queue_pairs=PAIRS) as dev:
        steering = dev.info()["device_features"] & 1 << regs.VIRTIO_NET_F_RSS
        dst = mac_of(dev)
        held: dict[int, list] = {qp: [] for qp in range(PAIRS)}   # for the previous pair's thread
        received = dict.fromkeys(range(PAIRS), 0)
        sent = [0]
        lock, errors = threading.Lock(), []

        def run(qp: int) -> None:
            try:
                rng = random.Random(seed * PAIRS + qp)
                pkts = ffi.new("struct vionic_mbuf *[32]")
                r, deadline = 0, time.monotonic() + 60
                while (r < rounds or sum(received.values()) < total) and \
                        time.monotonic() < deadline:
                    # at most 64 + 8 * PAIRS frames in flight: an RX ring holds them all
                    if r < rounds and sent[0] - sum(received.values()) <= 64:
                        frames = [flow(rng, dst, 20000 + 1000 * qp + 10 * r + k)
                                  for k in range(per_round)]
                        assert dev.send(frames, qp=qp) == per_round
                        with lock:
                            sent[0] += per_round
                        r += 1
                    n = lib.vionic_rx_burst(dev._dev, qp, pkts, 32)
                    nxt = (qp + 1) % PAIRS
                    with lock:
                        received[qp] += n
                        held[qp] += [pkts[i] for i in range(n)]
                        theirs, held[nxt] = held[nxt], []
                    for m in theirs:
                        lib.vionic_mbuf_free(dev._dev, m)
            except Exception as e:   # reported by the main thread
                errors.append(e)

        threads = [threading.Thread(target=run, args=(qp,)) for qp in range(PAIRS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for q in range(PAIRS):
            for m in held[q]:
                lib.vionic_mbuf_free(dev._dev, m)
        assert not errors, errors
        assert sum(received.values()) == total, received
        if steering:
            assert received == dict.fromkeys(range(PAIRS), rounds * per_round)
        assert dev.mempool_avail() + lib.vionic_mempool_on_rings(dev._dev) == \
            dev.info()["nb_mbufs"]
