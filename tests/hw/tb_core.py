"""cocotb tests of vionic_core with the Python virtio driver model."""
from __future__ import annotations

import struct

import cocotb
from cocotb.triggers import RisingEdge
from cocotbext.axi import AxiStreamFrame

from vionic_model import (COMMON, DEFAULT_MAC, DEVICE_FEATURES, DEVCFG, DF, DFSELECT, ERR_ALIGN, ERR_CHAIN,
                          ERR_DIRECTION, ERR_DMA, ERR_INDEX, ERR_QUEUE_CFG, ERR_ZERO_LEN, F_CSUM, F_MRG_RXBUF,
                          F_VERSION_1, ISR, MAX_FRAME, MSIX, NET_HDR_LEN, NO_VECTOR, NUMQ, Q_ENABLE, Q_MSIX,
                          Q_NDATA, Q_NOFF, Q_RESET, Q_SELECT, Q_SIZE, REG_CYCLES_HI, REG_CYCLES_LO, REG_ERR_CODE,
                          REG_ID, REG_IMPL, REG_MAXQP, REG_VERSION, S_ACK, S_DRIVER, S_DRIVER_OK,
                          S_FEATURES_OK, S_NEEDS_RESET, STATUS, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, Device,
                          make_frame, ref_rx_buffer, ref_tx_frame, rng_from_env, split_segments)

RXBUF = NET_HDR_LEN + MAX_FRAME


async def new_device(dut, **kw):
    rng = rng_from_env()
    dev = Device(dut, rng, **kw)
    await dev.start()
    return dev


async def wait_for(dev, cond, limit=200000, what="condition"):
    for _ in range(limit):
        if cond():
            return
        await RisingEdge(dev.dut.clk)
    raise AssertionError(f"timeout waiting for {what}")


# ---------------------------------------------------------------- TX / RX helpers
class Traffic:
    """Drives TX and RX through the driver model and checks against the reference."""

    def __init__(self, dev, rx, tx, buf_size=RXBUF, max_segs=1):
        self.dev, self.rx, self.tx = dev, rx, tx
        self.buf_size = buf_size
        self.max_segs = max_segs
        self.tx_expect = []          # frames expected on the wire, in order
        self.tx_bytes = 0
        self.tx_pkts = 0
        self.tx_drops = 0
        self.rx_expect = []          # frames sent into s_axis_rx that must be delivered, in order
        self.rx_got = 0
        self.rx_bytes = 0
        self.txbufs = []
        self.rxbufs = []

    def tx_post(self, frame, segs=None):
        m = self.dev.mem
        buf = bytes(NET_HDR_LEN) + frame
        lens = segs or split_segments(self.dev.rng, len(buf), self.max_segs)
        parts, off = [], 0
        for n in lens:
            a = m.alloc(n, self.dev.rng.choice([1, 2, 4, 64]))
            m.write(a, buf[off:off + n])
            parts.append((a, n, False))
            off += n
        self.tx.add(parts, cookie=buf)
        exp = ref_tx_frame(buf)
        if exp is None:
            self.tx_drops += 1
        else:
            self.tx_expect.append(exp)
            self.tx_pkts += 1
            self.tx_bytes += len(exp)

    def rx_post(self, n=None, size=None, align=64):
        m = self.dev.mem
        size = size or self.buf_size
        while len(self.rx.free) >= self.max_segs and (n is None or n > 0):
            lens = split_segments(self.dev.rng, size, self.max_segs) if self.max_segs > 1 else [size]
            parts = []
            for ln in lens:
                a = m.alloc(ln, align)
                m.write(a, b"\xee" * ln)
                parts.append((a, ln, True))
            self.rx.add(parts)
            if n is not None:
                n -= 1

    def check_rx_used(self):
        m = self.dev.mem
        for uid, ulen, segs, _ in self.rx.reap():
            assert self.rx_expect, f"RX used entry {uid} without a frame"
            frame = self.rx_expect.pop(0)
            want = ref_rx_buffer(frame)
            assert ulen == len(want), f"RX used len {ulen} != {len(want)}"
            got = b"".join(m.read(a, ln) for a, ln, _ in segs)[:ulen]
            assert got == want, f"RX buffer mismatch for frame of {len(frame)} bytes"
            self.rx_got += 1
            self.rx_bytes += len(frame)

    def check_tx_used(self):
        for uid, ulen, segs, buf in self.tx.reap():
            assert ulen == 0, "TX used len must be 0"

    async def check_tx_wire(self, n):
        for _ in range(n):
            f = await self.dev.tx_sink.recv()
            exp = self.tx_expect.pop(0)
            assert not f.tuser, "TX frame flagged bad"
            assert bytes(f.tdata) == exp, f"TX frame mismatch: got {len(f.tdata)} bytes, want {len(exp)}"


async def check_counters(dev, q, packets, nbytes, drops=None, errors=0):
    st = await dev.qstat(q)
    assert st["packets"] == packets, f"q{q} PACKETS {st['packets']} != {packets}"
    assert st["bytes"] == nbytes, f"q{q} BYTES {st['bytes']} != {nbytes}"
    if drops is not None:
        assert st["drops"] == drops, f"q{q} DROPS {st['drops']} != {drops}"
    assert st["errors"] == errors, f"q{q} ERRORS {st['errors']} != {errors}"


# ---------------------------------------------------------------- tests
@cocotb.test(timeout_time=200, timeout_unit="us")
async def test_bringup(dut):  # noqa: C901
    """Identity, device cfg, feature negotiation (incl. refusal), queue registers, sub-word access."""
    dev = await new_device(dut)
    assert await dev.rd32(REG_ID) == 0x43494E56
    assert await dev.rd32(REG_VERSION) == 0x00010000
    assert await dev.rd32(REG_IMPL) == int(dut.IMPL.value) if hasattr(dut, "IMPL") else True
    assert await dev.rd32(REG_MAXQP) == 1
    assert await dev.rd8(COMMON + STATUS) == 0
    assert await dev.rd16(COMMON + NUMQ) == 2
    # device cfg
    mac = bytes([await dev.rd8(DEVCFG + i) for i in range(6)])
    assert mac == DEFAULT_MAC
    assert await dev.rd16(DEVCFG + 6) == 1          # LINK_UP
    assert await dev.rd16(DEVCFG + 8) == 1          # max_virtqueue_pairs
    assert await dev.rd16(DEVCFG + 0xA) == 1500     # mtu
    assert await dev.rd32(DEVCFG + 0xC) == 10000    # speed
    assert await dev.rd8(DEVCFG + 0x10) == 1        # duplex full
    # features: offered set, refused FEATURES_OK
    await dev.reset()
    offered, ok = await dev.negotiate(DEVICE_FEATURES | (1 << F_MRG_RXBUF))
    assert offered == DEVICE_FEATURES, hex(offered)
    assert not ok, "FEATURES_OK accepted with a feature the device does not offer"
    await dev.reset()
    offered, ok = await dev.negotiate(DEVICE_FEATURES & ~(1 << F_VERSION_1))
    assert not ok, "FEATURES_OK accepted without VERSION_1"
    await dev.reset()
    offered, ok = await dev.negotiate(DEVICE_FEATURES & ~(1 << F_CSUM))
    assert ok
    await dev.wr32(COMMON + DFSELECT, 2)
    assert await dev.rd32(COMMON + DF) == 0
    # queue registers, 16-bit and 8-bit accesses
    await dev.wr16(COMMON + MSIX, 0x0007)
    assert await dev.rd16(COMMON + MSIX) == 7
    assert await dev.rd16(COMMON + NUMQ) == 2
    for q in (0, 1):
        await dev.wr16(COMMON + Q_SELECT, q)
        assert await dev.rd16(COMMON + Q_SELECT) == q
        assert await dev.rd16(COMMON + Q_SIZE) == 1024
        assert await dev.rd16(COMMON + Q_NOFF) == q
        assert await dev.rd16(COMMON + Q_NDATA) == q
        assert await dev.rd16(COMMON + Q_RESET) == 0
        assert await dev.rd16(COMMON + Q_ENABLE) == 0
        await dev.wr16(COMMON + Q_MSIX, 0x100 + q)
        assert await dev.rd16(COMMON + Q_MSIX) == 0x100 + q
        assert await dev.rd16(COMMON + Q_SIZE) == 1024, "Q_MSIX write clobbered Q_SIZE"
    await dev.wr16(COMMON + Q_SELECT, 5)
    assert await dev.rd16(COMMON + Q_SIZE) == 0
    # byte write to status leaves queue_select intact
    await dev.wr16(COMMON + Q_SELECT, 1)
    await dev.wr8(COMMON + STATUS, S_ACK | S_DRIVER | S_FEATURES_OK)
    assert await dev.rd16(COMMON + Q_SELECT) == 1
    # cycle counter: LO latches HI, counts
    c0 = await dev.rd32(REG_CYCLES_LO)
    hi = await dev.rd32(REG_CYCLES_HI)
    c1 = await dev.rd32(REG_CYCLES_LO)
    assert hi == 0 and c1 > c0
    # reset returns everything
    n = await dev.reset()
    dut._log.info("reset took %d status polls", n)
    await dev.wr16(COMMON + Q_SELECT, 0)
    assert await dev.rd16(COMMON + Q_MSIX) == NO_VECTOR
    assert await dev.rd16(COMMON + MSIX) == NO_VECTOR


@cocotb.test(timeout_time=200, timeout_unit="us")
async def test_smoke(dut):
    """A few frames each way."""
    dev = await new_device(dut)
    rx, tx = await dev.bring_up(rx_size=64, tx_size=64)
    t = Traffic(dev, rx, tx)
    for n in (60, 61, 100, 1514):
        t.tx_post(make_frame(dev.rng, n))
    await tx.kick()
    await t.check_tx_wire(4)
    t.rx_post(8)
    await rx.kick()
    for n in (60, 77, 1514):
        f = make_frame(dev.rng, n)
        t.rx_expect.append(f)
        await dev.rx_src.send(AxiStreamFrame(f))
    await wait_for(dev, lambda: rx.used_idx() == 3, what="3 RX used")
    t.check_rx_used()
    await wait_for(dev, lambda: tx.used_idx() == 4, what="4 TX used")
    t.check_tx_used()
    await check_counters(dev, 1, t.tx_pkts, t.tx_bytes, 0)
    await check_counters(dev, 0, 3, 60 + 77 + 1514, 0)
