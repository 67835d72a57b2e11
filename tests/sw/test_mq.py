"""Multiqueue (VIRTIO_NET_F_MQ) and the control queue (VIRTIO_NET_F_CTRL_VQ),
driven by a driver that is not libvionic (tests/sw/vdriver.py): a device with
N queue pairs offers both, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET picks how many are
used, and automatic receive steering (VIRTIO 1.2 §5.1.6.5.5) brings the
frames of a flow back to the receiveq of the transmitq that sent it. Commands
the device does not offer, or malformed ones, get VIRTIO_NET_ERR.

Only the model has more than one queue pair today (`--queue-pairs`); the RTL
build has one, so these tests skip there."""

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
from swutil import PEER, mac_of, make_frame, msix_vectors, wait_for, wait_needs_reset
from vionic import regs
from vionic._ext import ffi, lib

PAIRS = 4
MQ = 1 << regs.VIRTIO_NET_F_MQ | 1 << regs.VIRTIO_NET_F_CTRL_VQ
MEM = 16 << 20


def pairs_set(n: int) -> bytes:
    return struct.pack("<BBH", regs.VIRTIO_NET_CTRL_MQ, regs.VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, n)


@pytest.fixture
def mq_dev(backend, tmp_path):
    if backend == "rtl":
        pytest.skip("the RTL build has one queue pair (multiqueue RTL is not written yet)")
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
    # fewer pairs than the one that sent a flow: the flow goes by hash to one in use
    assert drv.ctrl(pairs_set(2)) == (1, regs.VIRTIO_NET_OK)
    late = [flow(rng, dst, 3000 + i) for i in range(8)]
    for f in late:
        drv.send([f], qp=3)
    got = _collect(drv, len(late))
    assert not got[2] and not got[3] and sorted(got[0] + got[1]) == sorted(late)


def test_inbound_flows_spread_over_the_pairs_in_use(backend, tmp_path, seed):
    if backend == "rtl":
        pytest.skip("the RTL build has one queue pair (multiqueue RTL is not written yet)")
    rng = random.Random(seed)
    path = str(tmp_path / "wire.sock")
    with vionic.open(backend, wire=f"unix:{path}", start=False, queue_pairs=PAIRS) as dev:
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
    too_many, limit = (2, "at most 1") if backend == "rtl" else \
        (regs.VIONIC_MAX_QUEUE_PAIRS + 1, f"1..{regs.VIONIC_MAX_QUEUE_PAIRS}")
    with pytest.raises(vionic.InvalidArgument, match=limit):
        vionic.open(backend, queue_pairs=too_many)


def test_libvionic_drives_every_pair_from_a_thread_of_its_own(backend, seed):
    """libvionic with four queue pairs on a loopback wire: a thread per pair
    sends its own flows on its pair and gets every one of them back there, in
    order (automatic steering brings a flow back to its sender); each pair's
    mbufs come from a pool of its own, and none is lost."""
    if backend == "rtl":
        pytest.skip("the RTL build has one queue pair (multiqueue RTL is not written yet)")
    with vionic.open(backend, wire="loopback", queue_pairs=PAIRS) as dev:
        assert dev.info()["driver_features"] & MQ == MQ
        dst, results, errors = mac_of(dev), {}, []

        def run(qp: int) -> None:
            try:
                rng = random.Random(seed * PAIRS + qp)
                frames = [flow(rng, dst, 10000 + 1000 * qp + i, v6=i % 2 == 1)
                          for i in range(160)]
                got: list[bytes] = []
                for i in range(0, len(frames), 16):
                    assert dev.send(frames[i:i + 16], qp=qp) == 16
                    deadline = time.monotonic() + 10
                    while len(got) < i + 16 and time.monotonic() < deadline:
                        got += [bytes(f) for f in dev.recv(64, qp=qp)]
                results[qp] = (frames, got)
            except Exception as e:   # reported by the main thread
                errors.append(e)

        threads = [threading.Thread(target=run, args=(qp,)) for qp in range(PAIRS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        for qp, (frames, got) in results.items():
            assert got == frames, f"queue pair {qp}: frames differ or came back elsewhere"
            packets = dev.read_reg(regs.VIONIC_REG_QSTATS_BASE + regs.VIONIC_QSTATS_STRIDE *
                                   (2 * qp + RX) + regs.VIONIC_QSTAT_PACKETS_LO)
            assert packets == len(frames)
        assert dev.mempool_avail() + lib.vionic_mempool_on_rings(dev._dev) == \
            dev.info()["nb_mbufs"]


def test_mbufs_freed_by_another_pair_go_back_to_their_own_pool(backend, seed):
    """Received on pair 0, freed by the thread of pair 1 (and the other way
    round) while both keep sending and receiving: every mbuf is handed back
    to the pool it came from, none twice, none lost."""
    if backend == "rtl":
        pytest.skip("the RTL build has one queue pair (multiqueue RTL is not written yet)")
    rounds, per_round = 40, 8
    with vionic.open(backend, wire="loopback", queue_pairs=2) as dev:
        dst = mac_of(dev)
        held: dict[int, list] = {0: [], 1: []}   # pair q's mbufs, for the other thread
        received = {0: 0, 1: 0}
        lock = threading.Lock()

        def run(qp: int) -> None:
            rng = random.Random(seed * 2 + qp)
            pkts = ffi.new("struct vionic_mbuf *[32]")
            for r in range(rounds):
                dev.send([flow(rng, dst, 20000 + 1000 * qp + 10 * r + k)
                          for k in range(per_round)], qp=qp)
                n = lib.vionic_rx_burst(dev._dev, qp, pkts, 32)
                with lock:
                    received[qp] += n
                    held[qp] += [pkts[i] for i in range(n)]
                    theirs, held[1 - qp] = held[1 - qp], []
                for m in theirs:
                    lib.vionic_mbuf_free(dev._dev, m)

        threads = [threading.Thread(target=run, args=(qp,)) for qp in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        pkts = ffi.new("struct vionic_mbuf *[32]")

        def drain() -> bool:
            for q in (0, 1):
                n = lib.vionic_rx_burst(dev._dev, q, pkts, 32)
                received[q] += n
                for i in range(n):
                    lib.vionic_mbuf_free(dev._dev, pkts[i])
            return received == {0: rounds * per_round, 1: rounds * per_round}
        assert wait_for(drain, 10.0), received
        for q in (0, 1):
            for m in held[q]:
                lib.vionic_mbuf_free(dev._dev, m)
        assert dev.mempool_avail() + lib.vionic_mempool_on_rings(dev._dev) == \
            dev.info()["nb_mbufs"]
