"""VIRTIO_NET_F_MRG_RXBUF and jumbo frames on every core: frames spread over
several RX buffers with num_buffers (regs.h has the rule), checked against an
independent reference of which chains a frame takes; libvionic's mbuf chains
(RX from merged buffers, TX as descriptor chains); the MTU register that lets
one device build carry MTU 1500 or 9000; and the edge cases: buffers that run
short, a frame that would need more than VIONIC_RX_MAX_BUFFERS chains, a DMA
fault in a later chain of a frame."""

from __future__ import annotations

import random

import pytest
from vdriver import RX, ForeignDriver

import vionic
from swutil import mac_of, make_frame, status, wait_for, wait_needs_reset
from vionic import regs
from vionic._ext import ffi, lib

MRG = 1 << regs.VIRTIO_NET_F_MRG_RXBUF
HDR = regs.VIONIC_NET_HDR_LEN
MAX_CHAINS = regs.VIONIC_RX_MAX_BUFFERS
JUMBO = 9000
MEM = 8 << 20            # the foreign driver's memory: its slots, then the chains posted


def expected_rx(caps: list[int], frames: list[bytes], mrg: bool = True):
    """Reference: the chains (by capacity, in ring order) each frame takes, or
    None for a frame dropped (its chains stay for the next)."""
    out, caps = [], list(caps)
    for f in frames:
        need, have, k = HDR + len(f), 0, 0
        limit = MAX_CHAINS if mrg else 1
        while have < need and k < min(limit, len(caps)):
            have += caps[k]
            k += 1
        if have < need:
            out.append(None)
            continue
        lens, left = [], need
        for c in caps[:k]:
            lens.append(min(c, left))
            left -= lens[-1]
        out.append(lens)
        caps = caps[k:]
    return out


def rx_stats(dev) -> dict:
    return dev.stats()["device"]["rx"]


def deliver(drv: ForeignDriver, frames: list[bytes], want: int, timeout: float = 10.0):
    """Sends frames through the loopback wire; returns the `want` frames
    received (header, frame, used lengths). The device publishes a frame's
    entries together: received_frames() fails on any poll that sees part of
    one."""
    got: list = []
    drv.send(frames)
    assert wait_for(lambda: got.extend(drv.received_frames()) or len(got) >= want, timeout), \
        f"{len(got)} of {want} frames came back"
    return got


@pytest.fixture
def loop_dev(backend):
    with vionic.open(backend, wire="loopback", start=False) as dev:
        yield dev


def test_mrg_rxbuf_is_offered_and_negotiated(nic):
    info = nic.info()
    assert info["device_features"] & MRG and info["driver_features"] & MRG


def test_frames_spread_over_chains_of_any_layout(loop_dev, seed):
    """Random chains (1-3 descriptors, some smaller than the header) and
    random frames: every frame arrives whole, num_buffers counts its chains,
    each chain but the last is full."""
    rng = random.Random(seed)
    drv = ForeignDriver(loop_dev, size=256, mem_size=MEM)
    try:
        layouts: list[list[int]] = []
        while sum(map(len, layouts)) < 250:        # descriptors in flight < the ring
            layouts.append([rng.choice([rng.randint(1, 11), rng.randint(12, 700)])
                            for _ in range(rng.randint(1, 3))])
        drv.post_rx_chains(layouts, kick=False)
        drv.start()
        dst = mac_of(loop_dev)
        frames = [make_frame(rng, rng.randint(60, 1514), dst, i) for i in range(30)]
        want = expected_rx([sum(lay) for lay in layouts], frames)
        if None in want:             # the frames the buffers posted hold, in order
            frames, want = frames[:want.index(None)], want[:want.index(None)]
        frames, want = frames[:len(frames) // 5 * 5], want[:len(frames) // 5 * 5]
        assert len(frames) >= 10, "the chains posted hold too few frames"
        got = []
        for i in range(0, len(frames), 5):       # a few at a time: the TX slots are few
            got += deliver(drv, frames[i:i + 5], 5)
        assert [f for _, f, _ in got] == frames
        for (hdr, _, lens), exp in zip(got, want, strict=True):
            assert hdr[6] == len(lens), "num_buffers is the number of chains used"
            assert lens == exp, "each chain is filled before the next"
        st = rx_stats(loop_dev)
        assert st["packets"] == len(frames) and st["bytes"] == sum(map(len, frames))
        assert st["drops"] == 0
    finally:
        drv.close()


def test_frame_dropped_when_buffers_run_short_and_chains_stay(loop_dev, seed):
    rng = random.Random(seed)
    drv = ForeignDriver(loop_dev, size=256, mem_size=MEM)
    try:
        drv.post_rx_chains([[100], [100], [100]], kick=False)
        drv.start()
        dst = mac_of(loop_dev)
        big, small = make_frame(rng, 1000, dst, 1), make_frame(rng, 200, dst, 2)
        drv.send([big])
        assert wait_for(lambda: rx_stats(loop_dev)["drops"] == 1)
        assert drv.received_frames() == []
        # the chains stayed: the next frame that fits takes them
        (hdr, f, lens), = deliver(drv, [small], 1)
        assert f == small and lens == [100, 100, 12] and hdr[6] == 3
        drv.post_rx_chains([[300]] * 4)
        (hdr, f, lens), = deliver(drv, [big], 1)
        assert f == big and lens == [300, 300, 300, 112]
        st = rx_stats(loop_dev)
        assert (st["packets"], st["drops"]) == (2, 1)
        assert loop_dev.stats()["error"]["code"] == 0
    finally:
        drv.close()


def test_frame_needing_more_than_the_chain_limit_is_dropped(loop_dev, seed):
    rng = random.Random(seed)
    drv = ForeignDriver(loop_dev, size=256, mem_size=MEM)
    try:
        drv.post_rx_chains([[16]] * (MAX_CHAINS + 6), kick=False)
        drv.start()
        dst = mac_of(loop_dev)
        too_big = make_frame(rng, 16 * (MAX_CHAINS + 1) - HDR, dst, 1)   # 65 chains of 16
        fits = make_frame(rng, 16 * MAX_CHAINS - HDR, dst, 2)            # exactly 64
        drv.send([too_big])
        assert wait_for(lambda: rx_stats(loop_dev)["drops"] == 1)
        (hdr, f, lens), = deliver(drv, [fits], 1)
        assert f == fits and hdr[6] == MAX_CHAINS and lens == [16] * MAX_CHAINS
        assert loop_dev.stats()["error"]["code"] == 0
    finally:
        drv.close()


def test_without_mrg_rxbuf_a_frame_takes_one_chain(loop_dev, seed):
    rng = random.Random(seed)
    features = loop_dev.info()["device_features"] & ~(MRG | 1 << regs.VIRTIO_F_NOTIFICATION_DATA)
    drv = ForeignDriver(loop_dev, size=256, features=features, mem_size=MEM)
    try:
        drv.post_rx_chains([[500], [500], [1600]], kick=False)
        drv.start()
        dst = mac_of(loop_dev)
        big = make_frame(rng, 900, dst, 1)
        drv.send([big])          # too big for the chain ahead (two would hold it): dropped
        assert wait_for(lambda: rx_stats(loop_dev)["drops"] == 1)
        small = [make_frame(rng, 400, dst, 2 + i) for i in range(2)]
        got = deliver(drv, small, 2) + deliver(drv, [big], 1)
        assert [f for _, f, _ in got] == small + [big]
        assert [(h[6], lens) for h, _, lens in got] == [(1, [HDR + 400])] * 2 + [(1, [HDR + 900])]
        assert rx_stats(loop_dev)["drops"] == 1
    finally:
        drv.close()


def test_dma_fault_in_a_later_chain_publishes_nothing_of_the_frame(loop_dev, seed):
    rng = random.Random(seed)
    drv = ForeignDriver(loop_dev, size=256, mem_size=MEM)
    try:
        drv.post_rx_chains([[200], [200], [2000]], kick=False)
        bad = 0x10_0000_0000                          # far outside the DMA map
        drv.rings[RX].set_desc(1, bad, 200, regs.VRING_DESC_F_WRITE, 0)
        drv.start()
        drv.send([make_frame(rng, 300, mac_of(loop_dev), 1)])
        err = wait_needs_reset(loop_dev)
        assert (err["code"], err["queue"], err["desc"], err["addr"]) == \
            (regs.VIONIC_ERR_DMA, RX, 1, bad)
        assert drv.rings[RX].used_idx() == 0, "no used entry of the frame is published"
        assert rx_stats(loop_dev)["packets"] == 0
    finally:
        drv.close()


# ---- libvionic: mbuf chains and jumbo frames ------------------------------------------
def _sizes(rng: random.Random, mbuf_size: int, count: int) -> list[int]:
    """Random jumbo sizes plus the edges: a frame that fills k buffers exactly,
    one byte more, one less, and the largest."""
    edges = [k * mbuf_size - HDR + d for k in (1, 2, 5) for d in (-1, 0, 1)]
    return [s for s in edges if 60 <= s <= JUMBO + 14] + [JUMBO + 14] + \
        [rng.randint(60, JUMBO + 14) for _ in range(count)]


@pytest.mark.parametrize("mbuf_size", [256, 2048])
def test_jumbo_frames_through_small_mbufs(backend, seed, mbuf_size):
    """MTU 9000 with mbufs of a few hundred bytes: TX chains, RX merged
    buffers, the frames back byte for byte."""
    rng = random.Random(seed)
    with vionic.open(backend, wire="loopback", mtu=JUMBO, mbuf_size=mbuf_size,
                     rx_ring_size=512, tx_ring_size=512) as dev:
        assert dev.info()["mtu"] == JUMBO
        dst = mac_of(dev)
        frames = [make_frame(rng, s, dst, i) for i, s in enumerate(_sizes(rng, mbuf_size, 30))]
        got = []
        for i in range(0, len(frames), 4):          # the RX ring holds a few jumbo frames
            batch = frames[i:i + 4]
            assert dev.send(batch) == len(batch)
            total = i + len(batch)
            assert wait_for(lambda t=total: got.extend(dev.recv(64)) or len(got) >= t, 10.0)
        assert got == frames
        st = dev.stats()["device"]
        assert st["rx"]["packets"] == st["tx"]["packets"] == len(frames)
        assert st["rx"]["bytes"] == sum(map(len, frames)) and st["rx"]["drops"] == 0
        with pytest.raises(vionic.FrameTooLarge):
            dev.send([bytes(JUMBO + 15)])


def test_rx_burst_returns_chains_of_mbufs(backend, seed):
    """A frame over k RX buffers is one mbuf chain: nb_segs k, pkt_len the
    frame, the first segment behind the header, the others full buffers."""
    rng = random.Random(seed)
    mbuf_size = 512
    with vionic.open(backend, wire="loopback", mtu=JUMBO, mbuf_size=mbuf_size) as dev:
        frame = make_frame(rng, rng.randint(3 * mbuf_size, JUMBO + 14), mac_of(dev), 1)
        dev.send([frame])
        pkts = ffi.new("struct vionic_mbuf *[4]")
        got = []
        assert wait_for(lambda: got.append(lib.vionic_rx_burst(dev._dev, 0, pkts, 4)) or
                        got[-1], 5.0)
        assert got[-1] == 1
        m = pkts[0]
        k = -(-(HDR + len(frame)) // mbuf_size)
        assert (m.nb_segs, m.pkt_len) == (k, len(frame))
        lens, s = [], m
        while s != ffi.NULL:
            lens.append(s.len)
            s = s.next
        assert lens == [mbuf_size - HDR] + [mbuf_size] * (k - 2) + \
            [HDR + len(frame) - mbuf_size * (k - 1)]
        buf = ffi.new("uint8_t[]", len(frame))
        assert lib.vionic_mbuf_read(m, buf, len(frame)) == len(frame)
        assert bytes(ffi.buffer(buf)) == frame
        assert lib.vionic_mbuf_read(m, buf, len(frame) - 1) == lib.VIONIC_ETOOBIG
        free = dev.mempool_avail()
        lib.vionic_mbuf_free(dev._dev, m)               # the whole chain goes back
        assert dev.mempool_avail() == free + k


def test_mtu_register_rules(backend):
    """MTU is written before a driver starts, within MIN..MAX_MTU, and kept
    over a device reset; virtio_net_config.mtu follows it."""
    with vionic.open(backend, wire="loopback", mtu=JUMBO) as dev:
        cfg_mtu = regs.VIONIC_DEVICE_CFG + regs.VIRTIO_NET_CFG_MTU
        top = dev.read_reg(regs.VIONIC_REG_MAX_MTU)
        assert top >= JUMBO and dev.read_reg(regs.VIONIC_REG_MTU) == JUMBO
        dev.write_reg(regs.VIONIC_REG_MTU, 1500)       # a driver runs: ignored
        assert dev.read_reg(regs.VIONIC_REG_MTU) == JUMBO
        dev.write_reg(regs.VIONIC_COMMON_CFG + regs.VIRTIO_PCI_COMMON_STATUS, 0, 1)
        assert wait_for(lambda: status(dev) == 0)
        assert dev.read_reg(regs.VIONIC_REG_MTU) == JUMBO, "device reset keeps it"
        for bad in (top + 1, regs.VIONIC_MIN_MTU - 1):
            dev.write_reg(regs.VIONIC_REG_MTU, bad)
            assert dev.read_reg(regs.VIONIC_REG_MTU) == JUMBO
        dev.write_reg(regs.VIONIC_REG_MTU, 4000)
        assert dev.read_reg(regs.VIONIC_REG_MTU) == 4000
        assert dev.read_reg(cfg_mtu, 2) == 4000


def test_tx_copy_refuses_a_frame_longer_than_the_ring_can_chain(backend):
    with vionic.open(backend, wire="loopback", mtu=JUMBO, mbuf_size=128,
                     tx_ring_size=16) as dev:
        with pytest.raises(vionic.FrameTooLarge, match="descriptors"):
            dev.send([bytes(16 * (128 - HDR) + 1)])
