"""cocotb tests of vionic_core with the Python virtio driver model."""

from __future__ import annotations

import struct

import cocotb
from cocotb.triggers import RisingEdge
from cocotbext.axi import AxiStreamFrame
from vionic_model import (
    DEFAULT_MAC,
    MAX_FRAME,
    NO_VECTOR,
    UP_TO_DRIVER,
    UP_TO_DRIVER_OK,
    UP_TO_FEATURES_OK,
    Device,
    common,
    devcfg,
    make_frame,
    ref_rx_buffer,
    ref_tx_frame,
    rng_from_env,
    split_segments,
    vq_state_reg,
)

from vionic import regs

RXBUF = regs.VIONIC_NET_HDR_LEN + MAX_FRAME
# everything offered but MRG_RXBUF: a frame takes one chain, one too small drops it
NO_MRG = regs.VIONIC_DEVICE_FEATURES & ~(1 << regs.VIRTIO_NET_F_MRG_RXBUF)


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
        self.tx_expect = []  # frames expected on the wire, in order
        self.tx_bytes = 0
        self.tx_pkts = 0
        self.tx_drops = 0
        self.rx_expect = []  # frames sent into s_axis_rx that must be delivered, in order
        self.rx_got = 0
        self.rx_bytes = 0
        self.txbufs = []
        self.rxbufs = []

    def tx_post(self, frame, segs=None):
        m = self.dev.mem
        buf = bytes(regs.VIONIC_NET_HDR_LEN) + frame
        lens = segs or split_segments(self.dev.rng, len(buf), self.max_segs)
        parts, off = [], 0
        for n in lens:
            a = m.alloc(n, self.dev.rng.choice([1, 2, 4, 64]))
            m.write(a, buf[off : off + n])
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
            lens = (
                split_segments(self.dev.rng, size, self.max_segs) if self.max_segs > 1 else [size]
            )
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
        for _uid, ulen, _segs, _buf in self.tx.reap():
            assert ulen == 0, "TX used len must be 0"

    async def check_tx_wire(self, n):
        for _ in range(n):
            f = await self.dev.tx_sink.recv()
            exp = self.tx_expect.pop(0)
            assert not f.tuser, "TX frame flagged bad"
            assert bytes(f.tdata) == exp, (
                f"TX frame mismatch: got {len(f.tdata)} bytes, want {len(exp)}"
            )


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
    """Identity, device cfg, feature negotiation (incl. refusal), queue registers,
    sub-word access."""
    dev = await new_device(dut)
    assert regs.VIONIC_ID_MAGIC.to_bytes(4, "little") == b"VNIC"
    assert await dev.rd32(regs.VIONIC_REG_ID) == regs.VIONIC_ID_MAGIC
    assert await dev.rd32(regs.VIONIC_REG_VERSION) == regs.VIONIC_REGMAP_VERSION
    if hasattr(dut, "IMPL"):
        assert await dev.rd32(regs.VIONIC_REG_IMPL) == int(dut.IMPL.value)
    assert await dev.rd32(regs.VIONIC_REG_MAX_QUEUE_PAIRS) == 1
    assert await dev.status() == 0
    assert await dev.rd16(common(regs.VIRTIO_PCI_COMMON_NUMQ)) == 2
    # device cfg
    mac = bytes([await dev.rd8(devcfg(regs.VIRTIO_NET_CFG_MAC) + i) for i in range(6)])
    assert mac == DEFAULT_MAC
    assert await dev.rd16(devcfg(regs.VIRTIO_NET_CFG_STATUS)) == regs.VIRTIO_NET_S_LINK_UP
    assert await dev.rd16(devcfg(regs.VIRTIO_NET_CFG_MAX_VQ_PAIRS)) == 1
    assert await dev.rd16(devcfg(regs.VIRTIO_NET_CFG_MTU)) == regs.VIONIC_DEFAULT_MTU
    assert await dev.rd32(devcfg(regs.VIRTIO_NET_CFG_SPEED)) == regs.VIONIC_DEFAULT_SPEED
    assert await dev.rd8(devcfg(regs.VIRTIO_NET_CFG_DUPLEX)) == regs.VIRTIO_NET_DUPLEX_FULL
    # features: offered set, refused FEATURES_OK
    await dev.reset()
    not_offered = 1 << regs.VIRTIO_NET_F_CTRL_VQ
    offered, ok = await dev.negotiate(regs.VIONIC_DEVICE_FEATURES | not_offered)
    assert offered == regs.VIONIC_DEVICE_FEATURES, hex(offered)
    assert not ok, "FEATURES_OK accepted with a feature the device does not offer"
    await dev.reset()
    offered, ok = await dev.negotiate(regs.VIONIC_DEVICE_FEATURES & ~(1 << regs.VIRTIO_F_VERSION_1))
    assert not ok, "FEATURES_OK accepted without VERSION_1"
    # DRIVER_OK needs accepted features: refused in the same write, or never written
    await dev.set_status(UP_TO_DRIVER_OK)
    assert await dev.status() == UP_TO_DRIVER, "DRIVER_OK with refused FEATURES_OK"
    await dev.reset()
    offered, _ = await dev.negotiate(None)
    await dev.set_status(UP_TO_DRIVER | regs.VIRTIO_STATUS_DRIVER_OK)
    assert await dev.status() == UP_TO_DRIVER, "DRIVER_OK without FEATURES_OK"
    await dev.reset()
    offered, ok = await dev.negotiate(regs.VIONIC_DEVICE_FEATURES & ~(1 << regs.VIRTIO_NET_F_CSUM))
    assert ok
    await dev.wr32(common(regs.VIRTIO_PCI_COMMON_DFSELECT), 2)
    assert await dev.rd32(common(regs.VIRTIO_PCI_COMMON_DF)) == 0
    # queue registers, 16-bit and 8-bit accesses
    # a vector the device maps reads back, one it cannot map reads NO_VECTOR (DESIGN §4)
    await dev.wr16(common(regs.VIRTIO_PCI_COMMON_MSIX), 1)
    assert await dev.rd16(common(regs.VIRTIO_PCI_COMMON_MSIX)) == 1
    await dev.wr16(common(regs.VIRTIO_PCI_COMMON_MSIX), 0x100)
    assert await dev.rd16(common(regs.VIRTIO_PCI_COMMON_MSIX)) == NO_VECTOR
    assert await dev.rd16(common(regs.VIRTIO_PCI_COMMON_NUMQ)) == 2
    for q in (0, 1):
        await dev.wr16(common(regs.VIRTIO_PCI_COMMON_Q_SELECT), q)
        assert await dev.rd16(common(regs.VIRTIO_PCI_COMMON_Q_SELECT)) == q
        assert await dev.rd16(common(regs.VIRTIO_PCI_COMMON_Q_SIZE)) == regs.VIONIC_MAX_QUEUE_SIZE
        assert await dev.rd16(common(regs.VIRTIO_PCI_COMMON_Q_NOFF)) == q
        assert await dev.rd16(common(regs.VIRTIO_PCI_COMMON_Q_NDATA)) == q
        assert await dev.rd16(common(regs.VIRTIO_PCI_COMMON_Q_RESET)) == 0
        assert await dev.rd16(common(regs.VIRTIO_PCI_COMMON_Q_ENABLE)) == 0
        await dev.wr16(common(regs.VIRTIO_PCI_COMMON_Q_MSIX), 1 + q)
        assert await dev.rd16(common(regs.VIRTIO_PCI_COMMON_Q_MSIX)) == 1 + q
        await dev.wr16(common(regs.VIRTIO_PCI_COMMON_Q_MSIX), 0x100 + q)
        assert await dev.rd16(common(regs.VIRTIO_PCI_COMMON_Q_MSIX)) == NO_VECTOR
        q_size = await dev.rd16(common(regs.VIRTIO_PCI_COMMON_Q_SIZE))
        assert q_size == regs.VIONIC_MAX_QUEUE_SIZE, "Q_MSIX write clobbered Q_SIZE"
    await dev.wr16(common(regs.VIRTIO_PCI_COMMON_Q_SELECT), 5)
    assert await dev.rd16(common(regs.VIRTIO_PCI_COMMON_Q_SIZE)) == 0
    # byte write to status leaves queue_select intact
    await dev.wr16(common(regs.VIRTIO_PCI_COMMON_Q_SELECT), 1)
    await dev.set_status(UP_TO_FEATURES_OK)
    assert await dev.rd16(common(regs.VIRTIO_PCI_COMMON_Q_SELECT)) == 1
    # cycle counter: LO latches HI, counts
    c0 = await dev.rd32(regs.VIONIC_REG_CYCLES_LO)
    hi = await dev.rd32(regs.VIONIC_REG_CYCLES_HI)
    c1 = await dev.rd32(regs.VIONIC_REG_CYCLES_LO)
    assert hi == 0 and c1 > c0
    # reset returns everything
    n = await dev.reset()
    dut._log.info("reset took %d status polls", n)
    await dev.wr16(common(regs.VIRTIO_PCI_COMMON_Q_SELECT), 0)
    assert await dev.rd16(common(regs.VIRTIO_PCI_COMMON_Q_MSIX)) == NO_VECTOR
    assert await dev.rd16(common(regs.VIRTIO_PCI_COMMON_MSIX)) == NO_VECTOR


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


async def tx_run(dev, t, frames, batch=None):
    """Post frames on TX (refilling as used entries come back) and check the wire."""
    tx = t.tx
    pending = list(frames)
    sent_wire = 0
    want_wire = sum(1 for f in frames if 0 < len(f) <= MAX_FRAME)
    while pending or sent_wire < want_wire:
        n = 0
        while pending and len(tx.free) >= t.max_segs and (batch is None or n < batch):
            t.tx_post(pending.pop(0))
            n += 1
        if n:
            await tx.kick()
        # drain the wire
        while dev.tx_sink.count():
            f = dev.tx_sink.recv_nowait()
            exp = t.tx_expect.pop(0)
            assert not f.tuser
            assert bytes(f.tdata) == exp, f"TX frame mismatch: got {len(f.tdata)}, want {len(exp)}"
            sent_wire += 1
        t.check_tx_used()
        await dev.cycles(16)
    for _ in range(2000):
        t.check_tx_used()
        if tx.outstanding == 0:
            break
        await dev.cycles(8)
    assert tx.outstanding == 0, "TX used entries missing"


async def rx_run(dev, t, frames, refill=True):
    """Inject frames on s_axis_rx with RX buffers kept available and check buffers."""
    rx = t.rx
    t.rx_post()
    await rx.kick()
    for f in frames:
        # keep a buffer for every frame in flight, so no frame is dropped for lack of buffers
        while refill and rx.outstanding - len(t.rx_expect) < 1:
            t.check_rx_used()
            t.rx_post()
            await rx.kick()
            await dev.cycles(4)
        t.rx_expect.append(f)
        await dev.rx_src.send(AxiStreamFrame(f))
        if refill and len(rx.free) > rx.size // 2:
            t.check_rx_used()
            t.rx_post()
            await rx.kick()
    for _ in range(20000):
        t.check_rx_used()
        if refill and len(rx.free) > rx.size // 2:
            t.rx_post()
            await rx.kick()
        if not t.rx_expect:
            break
        await dev.cycles(8)
    assert not t.rx_expect, f"{len(t.rx_expect)} RX frames not delivered"


@cocotb.test(timeout_time=100, timeout_unit="ms")
async def test_tx_all_sizes(dut):
    """TX of every size 60..1514, chains of 1..3 descriptors, ring of 128 (11 wraps)."""
    dev = await new_device(dut)
    rx, tx = await dev.bring_up(rx_size=64, tx_size=128)
    t = Traffic(dev, rx, tx, max_segs=3)
    frames = [make_frame(dev.rng, n, n) for n in range(60, MAX_FRAME + 1)]
    await tx_run(dev, t, frames, batch=24)
    await check_counters(dev, 1, t.tx_pkts, t.tx_bytes, 0)
    assert t.tx_pkts == len(frames)


@cocotb.test(timeout_time=100, timeout_unit="ms")
async def test_rx_all_sizes(dut):
    """RX of every size 60..1514 into refilled buffers, ring of 128 (11 wraps)."""
    dev = await new_device(dut)
    rx, tx = await dev.bring_up(rx_size=128, tx_size=64)
    t = Traffic(dev, rx, tx)
    frames = [make_frame(dev.rng, n, n) for n in range(60, MAX_FRAME + 1)]
    await rx_run(dev, t, frames)
    await check_counters(dev, 0, len(frames), sum(len(f) for f in frames), 0)


@cocotb.test(timeout_time=100, timeout_unit="ms")
async def test_rx_chains(dut):
    """RX buffers made of 1..3 descriptors with odd alignment."""
    dev = await new_device(dut)
    rx, tx = await dev.bring_up(rx_size=64, tx_size=64)
    t = Traffic(dev, rx, tx, max_segs=3)
    frames = [make_frame(dev.rng, dev.rng.randint(60, MAX_FRAME)) for _ in range(150)]
    rx_post = t.rx_post

    def post(n=None, size=None, align=64):
        rx_post(n, size, align=dev.rng.choice([2, 4, 8, 64]))

    t.rx_post = post
    await rx_run(dev, t, frames)
    await check_counters(dev, 0, len(frames), sum(len(f) for f in frames), 0)


@cocotb.test(timeout_time=100, timeout_unit="ms")
async def test_bidir_bursts(dut):
    """Back-to-back bursts in both directions at once, small rings (many wraparounds)."""
    dev = await new_device(dut, tx_pause=0.0, rx_pause=0.0, pause=0.0)
    rx, tx = await dev.bring_up(rx_size=32, tx_size=32)
    t = Traffic(dev, rx, tx)
    txf = [
        make_frame(dev.rng, dev.rng.choice([60, 64, 128, 256, 1514, dev.rng.randint(60, 1514)]))
        for _ in range(300)
    ]
    rxf = [
        make_frame(dev.rng, dev.rng.choice([60, 64, 128, 256, 1514, dev.rng.randint(60, 1514)]))
        for _ in range(300)
    ]
    txt = cocotb.start_soon(tx_run(dev, t, txf, batch=32))
    await rx_run(dev, t, rxf)
    await txt
    await check_counters(dev, 1, t.tx_pkts, t.tx_bytes, 0)
    await check_counters(dev, 0, len(rxf), sum(len(f) for f in rxf), 0)


@cocotb.test(timeout_time=100, timeout_unit="ms")
async def test_rx_empty_ring_and_drops(dut):
    """No RX buffer: frames dropped and counted, TX unaffected; oversized frames dropped both ways;
    a frame larger than its buffer dropped (MRG_RXBUF not negotiated); later traffic still flows."""
    dev = await new_device(dut)
    rx, tx = await dev.bring_up(rx_size=32, tx_size=32, features=NO_MRG)
    t = Traffic(dev, rx, tx)
    # empty RX ring while TX runs
    txf = [make_frame(dev.rng, dev.rng.randint(60, 1514)) for _ in range(40)]
    txt = cocotb.start_soon(tx_run(dev, t, txf, batch=8))
    for _ in range(25):
        await dev.rx_src.send(AxiStreamFrame(make_frame(dev.rng, dev.rng.randint(60, 1514))))
    await txt
    await wait_for(dev, lambda: dev.rx_src.empty() and not dev.rx_src.active, what="rx source idle")
    await dev.cycles(200)
    st = await dev.qstat(0)
    assert st["drops"] == 25 and st["packets"] == 0, st
    # oversized TX frame (1515 bytes): dropped, used entry returned
    await tx_run(dev, t, [make_frame(dev.rng, 1515), make_frame(dev.rng, 100)])
    await check_counters(dev, 1, t.tx_pkts, t.tx_bytes, 1)
    # oversized RX frame and a frame that does not fit its buffer
    t.rx_post(4, size=regs.VIONIC_NET_HDR_LEN + 200)
    await rx.kick()
    await dev.rx_src.send(AxiStreamFrame(make_frame(dev.rng, 1600)))
    await dev.rx_src.send(AxiStreamFrame(make_frame(dev.rng, 300)))  # > buffer
    good = make_frame(dev.rng, 150)
    t.rx_expect.append(good)
    await dev.rx_src.send(AxiStreamFrame(good))
    await wait_for(dev, lambda: rx.used_idx() == 1, what="RX used")
    t.check_rx_used()
    await dev.cycles(100)
    await check_counters(dev, 0, 1, 150, 27)
    assert await dev.rd32(regs.VIONIC_REG_ERR_CODE) == 0
    assert not (await dev.status() & regs.VIRTIO_STATUS_DEVICE_NEEDS_RESET)


@cocotb.test(timeout_time=100, timeout_unit="ms")
async def test_interrupts(dut):
    """Used interrupts on the queue vectors, suppressed by VRING_AVAIL_F_NO_INTERRUPT;
    ISR read-to-clear."""
    dev = await new_device(dut)
    rx, tx = await dev.bring_up(rx_size=32, tx_size=32, cfg_msix=0, rx_msix=1, tx_msix=2)
    t = Traffic(dev, rx, tx)
    await tx_run(dev, t, [make_frame(dev.rng, 100)])
    await dev.cycles(50)
    vecs = [int(dev.irq_sink.recv_nowait().tdata[0]) for _ in range(dev.irq_sink.count())]
    assert vecs and all(v == 2 for v in vecs), vecs
    assert await dev.rd8(regs.VIONIC_ISR) & regs.VIRTIO_ISR_QUEUE
    assert await dev.rd8(regs.VIONIC_ISR) == 0, "ISR not cleared by read"
    tx.set_no_interrupt(True)
    await tx_run(dev, t, [make_frame(dev.rng, 100)])  # kick makes the device re-read avail.flags
    await dev.cycles(100)
    assert dev.irq_sink.count() == 0, "interrupt despite VRING_AVAIL_F_NO_INTERRUPT"
    await rx_run(dev, t, [make_frame(dev.rng, 80)])
    await dev.cycles(100)
    vecs = [int(dev.irq_sink.recv_nowait().tdata[0]) for _ in range(dev.irq_sink.count())]
    assert vecs and all(v == 1 for v in vecs), vecs


@cocotb.test(timeout_time=100, timeout_unit="ms")
async def test_link(dut):
    """The MAC's link_up input: virtio-net status LINK_UP follows it; each change
    bumps config_generation and raises the config interrupt (ISR bit 1, the config
    vector); a device reset keeps the link state."""
    dev = await new_device(dut)
    await dev.bring_up(rx_size=32, tx_size=32, cfg_msix=0, rx_msix=1, tx_msix=2)
    net_status = regs.VIONIC_DEVICE_CFG + regs.VIRTIO_NET_CFG_STATUS
    generation = regs.VIONIC_COMMON_CFG + regs.VIRTIO_PCI_COMMON_CFGGENERATION
    assert await dev.rd16(net_status) & regs.VIRTIO_NET_S_LINK_UP
    await dev.rd8(regs.VIONIC_ISR)                    # clear
    for up in (0, 1, 0):
        gen = await dev.rd8(generation)
        dut.link_up.value = up
        await dev.cycles(20)
        assert bool(await dev.rd16(net_status) & regs.VIRTIO_NET_S_LINK_UP) == bool(up)
        assert await dev.rd8(generation) == (gen + 1) & 0xFF
        assert await dev.rd8(regs.VIONIC_ISR) & regs.VIRTIO_ISR_CONFIG
        vecs = [int(dev.irq_sink.recv_nowait().tdata[0]) for _ in range(dev.irq_sink.count())]
        assert vecs == [0], vecs
    await dev.cycles(50)
    assert dev.irq_sink.count() == 0, "config interrupt without a link change"
    await dev.reset()
    assert not await dev.rd16(net_status) & regs.VIRTIO_NET_S_LINK_UP
    dut.link_up.value = 1


@cocotb.test(timeout_time=100, timeout_unit="ms")
async def test_reset_under_traffic(dut):
    """device_status <- 0 while both directions are busy: status reads 0 within a bound, every
    counter and queue is back to its initial state, and the device works again afterwards."""
    dev = await new_device(dut)
    for rnd in range(3):
        rx, tx = await dev.bring_up(rx_size=64, tx_size=64)
        t = Traffic(dev, rx, tx)
        t.rx_post()
        await rx.kick()
        for _ in range(40):
            t.tx_post(make_frame(dev.rng, dev.rng.randint(60, 1514)))
        await tx.kick()
        rxt = cocotb.start_soon(dev.rx_src.send(AxiStreamFrame(make_frame(dev.rng, 1000))))
        await dev.cycles(dev.rng.randint(50, 400))
        polls = await dev.reset(limit=500)
        dut._log.info("round %d: reset done after %d polls", rnd, polls)
        await rxt
        for q in (0, 1):
            await check_counters(dev, q, 0, 0, 0)
        assert await dev.rd32(regs.VIONIC_REG_ERR_CODE) == 0
        await dev.wr16(common(regs.VIRTIO_PCI_COMMON_Q_SELECT), 1)
        assert await dev.rd16(common(regs.VIRTIO_PCI_COMMON_Q_ENABLE)) == 0
        assert await dev.rd16(common(regs.VIRTIO_PCI_COMMON_Q_SIZE)) == regs.VIONIC_MAX_QUEUE_SIZE
        await dev.cycles(300)
        dev.tx_sink.clear()
    # fresh bring-up after the last reset: traffic flows and is counted from zero
    rx, tx = await dev.bring_up(rx_size=64, tx_size=64)
    t = Traffic(dev, rx, tx)
    frames = [make_frame(dev.rng, n) for n in (60, 500, 1514)]
    await tx_run(dev, t, frames)
    await rx_run(dev, t, frames)
    await check_counters(dev, 1, 3, sum(map(len, frames)), 0)
    await check_counters(dev, 0, 3, sum(map(len, frames)), 0)


async def expect_error(dev, code, queue, desc=None, addr=None, what=""):
    """The device logged `code`, set DEVICE_NEEDS_RESET and raised the config interrupt
    (vector 0)."""
    for _ in range(3000):
        if await dev.rd32(regs.VIONIC_REG_ERR_CODE) != 0:
            break
        await dev.cycles(4)
    ecode, equeue, edesc, eaddr = await dev.err_log()
    assert ecode == code, f"{what}: ERR_CODE {ecode} != {code}"
    assert equeue == queue, f"{what}: ERR_QUEUE {equeue} != {queue}"
    if desc is not None:
        assert edesc == desc, f"{what}: ERR_DESC {edesc} != {desc}"
    if addr is not None:
        assert eaddr == addr, f"{what}: ERR_ADDR {eaddr:#x} != {addr:#x}"
    needs_reset = await dev.status() & regs.VIRTIO_STATUS_DEVICE_NEEDS_RESET
    assert needs_reset, f"{what}: DEVICE_NEEDS_RESET not set"
    await dev.cycles(20)
    isr = await dev.rd8(regs.VIONIC_ISR)
    assert isr & regs.VIRTIO_ISR_CONFIG, f"{what}: ISR config bit not set"
    vecs = [int(dev.irq_sink.recv_nowait().tdata[0]) for _ in range(dev.irq_sink.count())]
    assert 0 in vecs, f"{what}: no config interrupt on vector 0 ({vecs})"
    st = await dev.qstat(queue)
    assert st["errors"] >= 1, f"{what}: ERRORS counter not incremented"


async def error_case(dev, case):
    """Set up the device for one error case and check the error log. Returns nothing; the
    caller resets the device afterwards."""
    rng = dev.rng
    m = dev.mem
    await dev.reset()
    dev.irq_sink.clear()
    dev.tx_sink.clear()
    assert await dev.rd32(regs.VIONIC_REG_ERR_CODE) == 0
    _, ok = await dev.negotiate()
    assert ok
    await dev.wr16(common(regs.VIRTIO_PCI_COMMON_MSIX), 0)
    if case in ("size_not_pow2", "size_too_big", "size_zero"):
        too_big = 2 * regs.VIONIC_MAX_QUEUE_SIZE
        size = {"size_not_pow2": 48, "size_too_big": too_big, "size_zero": 0}[case]
        await dev.setup_queue(1, size, expect_ok=False)
        assert await dev.rd16(common(regs.VIRTIO_PCI_COMMON_Q_ENABLE)) == 0
        await expect_error(dev, regs.VIONIC_ERR_QUEUE_CFG, 1, desc=size, addr=0, what=case)
        return
    if case.startswith("align"):
        which = case.split("_")[1]
        base = m.alloc(4 * 4096, 64)  # a page each for desc, avail, used
        kw = {"desc": base, "avail": base + 0x1000, "used": base + 0x2000}
        bad = {"desc": base + 8, "avail": base + 0x1001, "used": base + 0x2002}[which]
        kw[which] = bad
        await dev.setup_queue(0, 32, expect_ok=False, **kw)
        await expect_error(dev, regs.VIONIC_ERR_ALIGN, 0, desc=0, addr=bad, what=case)
        return
    rx = await dev.setup_queue(0, 32)
    tx = await dev.setup_queue(1, 32, state=(1000, 1000) if case == "vq_state_avail_idx" else None)
    await dev.set_status(UP_TO_DRIVER_OK)
    buf = m.alloc(2048, 64)
    m.write(buf, bytes(12) + make_frame(rng, 100))
    if case == "tx_loop":
        tx.write_desc(3, buf, 50, regs.VRING_DESC_F_NEXT, 4)
        tx.write_desc(4, buf + 50, 62, regs.VRING_DESC_F_NEXT, 3)
        tx.publish(3)
        await tx.kick()
        await expect_error(dev, regs.VIONIC_ERR_CHAIN, 1, what=case)
    elif case == "tx_zero_len":
        tx.write_desc(5, buf, 0, 0, 0)
        tx.publish(5)
        await tx.kick()
        await expect_error(dev, regs.VIONIC_ERR_ZERO_LEN, 1, desc=5, addr=buf, what=case)
    elif case == "tx_write_flag":
        tx.write_desc(6, buf, 112, regs.VRING_DESC_F_WRITE, 0)
        tx.publish(6)
        await tx.kick()
        await expect_error(dev, regs.VIONIC_ERR_DIRECTION, 1, desc=6, addr=buf, what=case)
    elif case == "rx_read_only":
        rx.write_desc(7, buf, 2048, 0, 0)
        rx.publish(7)
        await rx.kick()
        await expect_error(dev, regs.VIONIC_ERR_DIRECTION, 0, desc=7, addr=buf, what=case)
    elif case == "tx_head_range":
        tx.publish(40)
        await tx.kick()
        await expect_error(dev, regs.VIONIC_ERR_INDEX, 1, desc=40, addr=tx.avail + 4, what=case)
    elif case == "tx_next_range":
        tx.write_desc(2, buf, 50, regs.VRING_DESC_F_NEXT, 33)
        tx.publish(2)
        await tx.kick()
        await expect_error(dev, regs.VIONIC_ERR_INDEX, 1, desc=2, addr=tx.desc + 16 * 2, what=case)
    elif case == "tx_dma_read":
        bad = 0x300000
        m.bad.append((bad, bad + 0x1000))
        tx.write_desc(1, bad, 112, 0, 0)
        tx.publish(1)
        await tx.kick()
        await expect_error(dev, regs.VIONIC_ERR_DMA, 1, desc=1, addr=bad, what=case)
        m.bad.clear()
        f = await dev.tx_sink.recv()
        assert f.tuser, "frame with a DMA read error must leave with tuser (abort) set"
    elif case == "tx_dma_read_tail":
        # a 2-descriptor chain; the second buffer starts mapped and crosses into the
        # fault range after 4 KiB, so only a later burst of its read fails
        bad = 0x301000
        m.bad.append((bad, bad + 0x1000))
        b2 = bad - 0x40
        tx.write_desc(2, buf, 40, regs.VRING_DESC_F_NEXT, 9)
        tx.write_desc(9, b2, 1000, 0, 0)
        tx.publish(2)
        await tx.kick()
        await expect_error(dev, regs.VIONIC_ERR_DMA, 1, desc=9, addr=b2, what=case)
        m.bad.clear()
    elif case == "desc_dma_read":
        m.bad.append((tx.desc, tx.desc + 16 * 32))
        tx.write_desc(1, buf, 112, 0, 0)
        tx.publish(1)
        await tx.kick()
        # the report names the ring base
        await expect_error(dev, regs.VIONIC_ERR_DMA, 1, desc=0, addr=tx.desc, what=case)
        m.bad.clear()
    elif case == "rx_dma_write":
        bad = 0x300000
        m.bad.append((bad, bad + 0x1000))
        rx.write_desc(0, bad, 2048, regs.VRING_DESC_F_WRITE, 0)
        rx.publish(0)
        await rx.kick()
        await dev.cycles(200)
        await dev.rx_src.send(AxiStreamFrame(make_frame(rng, 200)))
        await expect_error(dev, regs.VIONIC_ERR_DMA, 0, desc=0, addr=bad, what=case)
        m.bad.clear()
        st = await dev.qstat(0)
        assert st["packets"] == 0 and st["bytes"] == 0, f"{case}: failed frame counted {st}"
    elif case == "rx_dma_write_tail":
        # a delivered frame first (descriptor 2), then a buffer (descriptor 4) that starts
        # mapped and ends in the fault range: only the write burst that crosses fails; the
        # report names descriptor 4 and its buffer, and that frame is not counted
        bad = 0x302000
        m.bad.append((bad, bad + 0x1000))
        b = bad - 64
        rx.write_desc(2, buf, 2048, regs.VRING_DESC_F_WRITE, 0)
        rx.write_desc(4, b, 2048, regs.VRING_DESC_F_WRITE, 0)
        rx.publish(2)
        rx.publish(4)
        await rx.kick()
        await dev.cycles(200)
        await dev.rx_src.send(AxiStreamFrame(make_frame(rng, 90)))
        await dev.rx_src.send(AxiStreamFrame(make_frame(rng, 200)))
        await expect_error(dev, regs.VIONIC_ERR_DMA, 0, desc=4, addr=b, what=case)
        m.bad.clear()
        st = await dev.qstat(0)
        assert st["packets"] == 1 and st["bytes"] == 90, f"{case}: failed frame counted {st}"
    elif case == "vq_state_avail_idx":
        # the queue starts at avail 1000 (VQ_STATE): entries from there are fine, an
        # avail.idx more than the queue size ahead of the device's position is not
        t = Traffic(dev, rx, tx)
        await tx_run(dev, t, [make_frame(rng, 100)])
        bad_idx = idx_add(tx.avail_idx, 33)
        m.write(tx.avail + 2, struct.pack("<H", bad_idx))
        await dev.notify(1, bad_idx)
        await expect_error(
            dev, regs.VIONIC_ERR_INDEX, 1, desc=bad_idx, addr=tx.avail + 2, what=case
        )
    else:
        raise ValueError(case)
    # the other direction of the device keeps working, the failed queue is stopped
    if case.startswith("tx"):
        t = Traffic(dev, rx, tx)
        await rx_run(dev, t, [make_frame(rng, 90)])


ERROR_CASES = [
    "size_not_pow2",
    "size_too_big",
    "size_zero",
    "align_desc",
    "align_avail",
    "align_used",
    "tx_loop",
    "tx_zero_len",
    "tx_write_flag",
    "rx_read_only",
    "tx_head_range",
    "tx_next_range",
    "tx_dma_read",
    "tx_dma_read_tail",
    "desc_dma_read",
    "rx_dma_write",
    "rx_dma_write_tail",
    "vq_state_avail_idx",
]


@cocotb.test(timeout_time=100, timeout_unit="ms")
async def test_errors(dut):
    """Every device error with its code, queue, NEEDS_RESET and config interrupt; reset recovers."""
    dev = await new_device(dut)
    for case in ERROR_CASES:
        dut._log.info("error case %s", case)
        await error_case(dev, case)
    await dev.reset()
    dev.tx_sink.clear()
    assert await dev.rd32(regs.VIONIC_REG_ERR_CODE) == 0
    assert not (await dev.status())
    rx, tx = await dev.bring_up(rx_size=32, tx_size=32)
    t = Traffic(dev, rx, tx)
    await tx_run(dev, t, [make_frame(dev.rng, 200)])
    await check_counters(dev, 1, 1, 200, 0)


# ---------------------------------------------------------------- ring state, suspend, interrupts
def split_exact(rng, total, k):
    """Split `total` bytes into exactly k positive lengths."""
    cuts = sorted(rng.sample(range(1, total), k - 1))
    bounds = [0, *cuts, total]
    return [bounds[i + 1] - bounds[i] for i in range(k)]


def idx_add(a, n):
    return (a + n) & 0xFFFF


async def drain_tx(dev, t, limit=200000):
    """Take every expected TX frame off the wire (checking it) and reap every used entry."""
    for _ in range(limit // 8):
        while dev.tx_sink.count():
            f = dev.tx_sink.recv_nowait()
            exp = t.tx_expect.pop(0)
            assert not f.tuser, "TX frame flagged bad"
            assert bytes(f.tdata) == exp, f"TX frame mismatch: got {len(f.tdata)}, want {len(exp)}"
        t.check_tx_used()
        if not t.tx_expect and t.tx.outstanding == 0:
            return
        await dev.cycles(8)
    raise AssertionError(f"TX: {len(t.tx_expect)} frames, {t.tx.outstanding} used entries missing")


class AxiActivity:
    """Counts AR and AW handshakes on the DMA master while `on`."""

    def __init__(self, dut):
        self.dut = dut
        self.on = False
        self.reads = self.writes = 0
        cocotb.start_soon(self._run())

    def start(self):
        self.reads = self.writes = 0
        self.on = True

    async def _run(self):
        d = self.dut
        while True:
            await RisingEdge(d.clk)
            if self.on:
                self.reads += int(bool(d.m_axi_arvalid.value) and bool(d.m_axi_arready.value))
                self.writes += int(bool(d.m_axi_awvalid.value) and bool(d.m_axi_awready.value))


@cocotb.test(timeout_time=100, timeout_unit="ms")
async def test_vq_state(dut):
    """VQ_STATE (vDPA get/set_vq_state): 0 after reset; written while the queue is disabled
    and read back (byte enables too); queue enable starts the rings there (avail 65530 etc.:
    the 16-bit indices wrap through 65535 -> 0 under 40 frames each way); live while running,
    writes while enabled ignored; device reset returns 0 and a ring starts at 0 again."""
    dev = await new_device(dut)
    await dev.reset()
    for q in (0, 1):
        assert await dev.vq_state(q) == (0, 0), f"VQ_STATE({q}) not 0 after reset"
    _, ok = await dev.negotiate()
    assert ok
    await dev.set_vq_state(0, 0x1234, 0x5678)
    assert await dev.vq_state(0) == (0x1234, 0x5678)
    await dev.wr16(vq_state_reg(0) + 2, 0x9ABC)  # the used field alone
    assert await dev.vq_state(0) == (0x1234, 0x9ABC)
    assert await dev.vq_state(1) == (0, 0), "VQ_STATE write reached the other queue"
    assert await dev.rd32(vq_state_reg(0) + 4) == 0, "reserved word after VQ_STATE"
    rx_start = (65530, 65530)
    tx_start = (65531, 65527)  # avail and used apart: each field is checked on its own
    await dev.wr16(common(regs.VIRTIO_PCI_COMMON_MSIX), NO_VECTOR)
    rx = await dev.setup_queue(0, 32, state=rx_start)
    tx = await dev.setup_queue(1, 32, state=tx_start)
    await dev.set_status(UP_TO_DRIVER_OK)
    assert await dev.vq_state(0) == rx_start
    assert await dev.vq_state(1) == tx_start
    await dev.set_vq_state(1, 7, 9)  # enabled: ignored
    assert await dev.vq_state(1) == tx_start, "VQ_STATE written while the queue is enabled"
    t = Traffic(dev, rx, tx, max_segs=2)
    n = 40
    txf = [make_frame(dev.rng, dev.rng.randint(60, MAX_FRAME), k) for k in range(n)]
    rxf = [make_frame(dev.rng, dev.rng.randint(60, MAX_FRAME), k) for k in range(n)]
    await tx_run(dev, t, txf, batch=8)
    await rx_run(dev, t, rxf)
    for q, vq, start in ((0, rx, rx_start), (1, tx, tx_start)):
        want = (idx_add(start[0], n), idx_add(start[1], n))
        assert vq.used_idx() == want[1], f"q{q} used.idx {vq.used_idx()} != {want[1]}"
        assert await dev.vq_state(q) == want, f"q{q} VQ_STATE {await dev.vq_state(q)} != {want}"
    await dev.set_vq_state(0, 0, 0)  # enabled: ignored
    assert await dev.vq_state(0) == (idx_add(rx_start[0], n), idx_add(rx_start[1], n))
    await check_counters(dev, 1, t.tx_pkts, t.tx_bytes, 0)
    await check_counters(dev, 0, n, sum(map(len, rxf)), 0)
    await dev.reset()
    for q in (0, 1):
        assert await dev.vq_state(q) == (0, 0), f"VQ_STATE({q}) not 0 after device reset"
    rx, tx = await dev.bring_up(rx_size=32, tx_size=32)
    t = Traffic(dev, rx, tx)
    frames = [make_frame(dev.rng, n) for n in (60, 700, 1514)]
    await tx_run(dev, t, frames)
    await rx_run(dev, t, frames)
    assert await dev.vq_state(0) == (3, 3) and await dev.vq_state(1) == (3, 3)


async def rx_send_all(dev, frames):
    for f in frames:
        await dev.rx_src.send(AxiStreamFrame(f))


async def rx_src_idle(dev):
    await wait_for(dev, lambda: dev.rx_src.empty() and not dev.rx_src.active, what="rx source idle")


@cocotb.test(timeout_time=200, timeout_unit="ms")
async def test_suspend(dut):
    """SUSPEND under TX and RX traffic: REQ alone while a frame is unfinished, REQ|DONE once
    everything started is finished and published; then VQ_STATE = used.idx in host memory for
    both queues (the avail field counts completed entries only: fetched RX buffers are not),
    and for a long stretch nothing moves: avail entries and doorbells added meanwhile are not
    touched (no DMA read or write at all), wire frames are dropped and counted; resume goes on
    where it stopped; device reset clears SUSPEND."""
    dev = await new_device(dut)
    start = (65500, 65500)  # the rings wrap during the test
    rx, tx = await dev.bring_up(rx_size=64, tx_size=64, rx_state=start, tx_state=start)
    t = Traffic(dev, rx, tx)
    axi = AxiActivity(dut)
    rx_sent = rx_dropped = 0
    for rnd in range(4):
        if rnd == 0:
            dev.hold_tx(True)  # the MAC holds TX: the first frame stays unfinished
        txf = [make_frame(dev.rng, dev.rng.randint(60, MAX_FRAME), rnd) for _ in range(30)]
        for f in txf:
            t.tx_post(f)
        await tx.kick()
        t.rx_post()
        await rx.kick()
        rxf = [make_frame(dev.rng, dev.rng.randint(60, MAX_FRAME), rnd) for _ in range(20)]
        t.rx_expect.extend(rxf)
        rx_sent += len(rxf)
        sender = cocotb.start_soon(rx_send_all(dev, rxf))
        await dev.cycles(dev.rng.randint(20, 800))
        if rnd == 0:
            # the random wait can end before the first TX frame reaches the held MAC
            await wait_for(dev, lambda: dut.m_axis_tx_tvalid.value == 1, what="TX frame at the MAC")
            # so SUSPEND reads REQ alone until the MAC takes it
            await dev.wr32(regs.VIONIC_REG_SUSPEND, regs.VIONIC_SUSPEND_REQ)
            for _ in range(20):
                v = await dev.rd32(regs.VIONIC_REG_SUSPEND)
                assert v == regs.VIONIC_SUSPEND_REQ, f"SUSPEND {v:#x} with a TX frame unfinished"
            dev.hold_tx(False)
        polls = await dev.suspend(True)
        dut._log.info("round %d: SUSPEND done after %d polls", rnd, polls)
        await dev.cycles(20)  # the last TX beat reaches the sink
        # everything finished is published, and only that
        t.check_rx_used()
        while dev.tx_sink.count():
            f = dev.tx_sink.recv_nowait()
            assert bytes(f.tdata) == t.tx_expect.pop(0), "TX frame mismatch"
        t.check_tx_used()
        sent_on_wire = t.tx_pkts - len(t.tx_expect)
        assert tx.last_used == idx_add(start[1], sent_on_wire), "TX used entries != frames sent"
        state = {}
        for q, vq in ((0, rx), (1, tx)):
            state[q] = await dev.vq_state(q)
            used = vq.used_idx()
            assert state[q] == (used, used), f"q{q}: VQ_STATE {state[q]} != used.idx {used}"
            assert (vq.avail_idx - state[q][0]) & 0xFFFF == vq.outstanding, (
                f"q{q}: VQ_STATE avail {state[q][0]} counts entries not completed"
            )
        # suspended: post more, ring the doorbells, send wire frames; nothing may move
        axi.start()
        for _ in range(min(8, len(tx.free))):
            t.tx_post(make_frame(dev.rng, dev.rng.randint(60, MAX_FRAME)))
        await tx.kick()
        t.rx_post()
        await rx.kick()
        late = [make_frame(dev.rng, dev.rng.randint(60, MAX_FRAME)) for _ in range(10)]
        rx_sent += len(late)
        await rx_send_all(dev, late)
        await sender
        await rx_src_idle(dev)
        await dev.cycles(3000)
        axi.on = False
        assert axi.reads == 0 and axi.writes == 0, (
            f"DMA while suspended: {axi.reads} reads, {axi.writes} writes"
        )
        assert dev.tx_sink.count() == 0, "TX frame sent while suspended"
        assert await dev.rd32(regs.VIONIC_REG_SUSPEND) == (
            regs.VIONIC_SUSPEND_REQ | regs.VIONIC_SUSPEND_DONE
        )
        for q, vq in ((0, rx), (1, tx)):
            assert await dev.vq_state(q) == state[q], f"q{q}: VQ_STATE moved while suspended"
            assert vq.used_idx() == state[q][1], f"q{q}: used.idx moved while suspended"
        # every RX frame not delivered by now was dropped (the ones waiting in the frame
        # store when SUSPEND came, and every one sent since) and counted
        rx_dropped += len(t.rx_expect)
        t.rx_expect.clear()
        rx_dropped += len(late)
        st = await dev.qstat(0)
        assert st["drops"] == rx_dropped, f"RX DROPS {st['drops']} != {rx_dropped}"
        assert st["packets"] == t.rx_got == rx_sent - rx_dropped, (st, t.rx_got)
        # resume: the queues go on where they stopped
        await dev.suspend(False)
        await drain_tx(dev, t)
        more = [make_frame(dev.rng, dev.rng.randint(60, MAX_FRAME)) for _ in range(10)]
        rx_sent += len(more)
        await rx_run(dev, t, more)
        await check_counters(dev, 1, t.tx_pkts, t.tx_bytes, 0)
        await check_counters(dev, 0, t.rx_got, t.rx_bytes, rx_dropped)
        for q, vq in ((0, rx), (1, tx)):
            used = vq.used_idx()
            assert await dev.vq_state(q) == (used, used)
    assert rx.used_idx() < start[1] and tx.used_idx() < start[1], "rings did not wrap"
    # device reset clears SUSPEND
    await dev.wr32(regs.VIONIC_REG_SUSPEND, regs.VIONIC_SUSPEND_REQ)
    await dev.reset()
    assert await dev.rd32(regs.VIONIC_REG_SUSPEND) == 0, "SUSPEND not cleared by device reset"
    rx, tx = await dev.bring_up(rx_size=32, tx_size=32)
    t = Traffic(dev, rx, tx)
    await tx_run(dev, t, [make_frame(dev.rng, 300)])
    await rx_run(dev, t, [make_frame(dev.rng, 300)])


@cocotb.test(timeout_time=200, timeout_unit="ms")
async def test_suspend_restore(dut):
    """The vDPA migration flow: suspend under traffic, read VQ_STATE, device reset, the same
    rings brought up again with VQ_STATE written back: TX sends exactly the frames not sent
    before (no loss, no duplicate), RX fills the buffers it had fetched but not filled."""
    dev = await new_device(dut)
    rx, tx = await dev.bring_up(rx_size=64, tx_size=64, rx_state=(65510, 65510),
                                tx_state=(65520, 65520))
    t = Traffic(dev, rx, tx, max_segs=2)
    for rnd in range(3):
        txf = [make_frame(dev.rng, dev.rng.randint(60, MAX_FRAME), rnd) for _ in range(24)]
        for f in txf:
            if len(tx.free) >= t.max_segs:
                t.tx_post(f)
        await tx.kick()
        t.rx_post()
        await rx.kick()
        rxf = [make_frame(dev.rng, dev.rng.randint(60, MAX_FRAME), rnd) for _ in range(12)]
        t.rx_expect.extend(rxf)
        sender = cocotb.start_soon(rx_send_all(dev, rxf))
        await dev.cycles(dev.rng.randint(50, 600))
        await dev.suspend(True)
        await sender
        await rx_src_idle(dev)
        await dev.cycles(20)
        t.check_rx_used()
        t.rx_expect.clear()  # not delivered: dropped
        while dev.tx_sink.count():
            assert bytes(dev.tx_sink.recv_nowait().tdata) == t.tx_expect.pop(0)
        t.check_tx_used()
        state = {q: await dev.vq_state(q) for q in (0, 1)}
        dut._log.info(
            "round %d: suspended with %d TX frames and %d RX buffers outstanding, VQ_STATE %s",
            rnd, tx.outstanding, rx.outstanding, state,
        )
        # device reset (also ends the suspension), the same rings from the saved state
        await dev.reset()
        await dev.negotiate()
        await dev.wr16(common(regs.VIRTIO_PCI_COMMON_MSIX), NO_VECTOR)
        rx = await dev.setup_queue(0, 64, state=state[0], restore=rx)
        tx = await dev.setup_queue(1, 64, state=state[1], restore=tx)
        await dev.set_status(UP_TO_DRIVER_OK)
        await tx.kick()
        await drain_tx(dev, t)
        more = [make_frame(dev.rng, dev.rng.randint(60, MAX_FRAME)) for _ in range(8)]
        # the buffers outstanding are the ones offered again: no new ones needed
        assert rx.outstanding >= len(more)
        await rx.kick()
        for f in more:
            t.rx_expect.append(f)
            await dev.rx_src.send(AxiStreamFrame(f))
        want = idx_add(rx.last_used, len(more))
        await wait_for(dev, lambda v=rx, w=want: v.used_idx() == w, what="RX used after restore")
        t.check_rx_used()
        assert not t.rx_expect
        for q, vq in ((0, rx), (1, tx)):
            used = vq.used_idx()
            assert await dev.vq_state(q) == (used, used)


@cocotb.test(timeout_time=100, timeout_unit="ms")
async def test_interrupt_enable_without_doorbell(dut):
    """VRING_AVAIL_F_NO_INTERRUPT honoured exactly: while it is set no used interrupt comes;
    once the driver clears it in host memory without a doorbell (Linux virtqueue_enable_cb
    after a NAPI poll), the next used.idx publication interrupts: RX (a wire frame into a
    buffer fetched long before) and TX (completions of frames kicked while it was set)."""
    dev = await new_device(dut)
    rx, tx = await dev.bring_up(rx_size=64, tx_size=64, cfg_msix=0, rx_msix=1, tx_msix=2)
    t = Traffic(dev, rx, tx)

    def vectors():
        return [int(dev.irq_sink.recv_nowait().tdata[0]) for _ in range(dev.irq_sink.count())]

    # ---- RX ----
    rx.set_no_interrupt(True)
    t.rx_post()
    await rx.kick()
    await dev.cycles(500)  # the device has read avail.flags and fetched buffers
    for _rnd in range(3):
        frames = [make_frame(dev.rng, dev.rng.randint(60, MAX_FRAME))
                  for _ in range(dev.rng.randint(1, 6))]
        for f in frames:
            t.rx_expect.append(f)
            await dev.rx_src.send(AxiStreamFrame(f))
        want = idx_add(rx.last_used, len(frames))
        await wait_for(dev, lambda w=want: rx.used_idx() == w, what="RX used")
        t.check_rx_used()
        await dev.cycles(200)
        assert dev.irq_sink.count() == 0, f"RX interrupt despite NO_INTERRUPT: {vectors()}"
        await dev.rd8(regs.VIONIC_ISR)  # clear
        rx.set_no_interrupt(False)  # no doorbell
        await dev.cycles(300)
        assert dev.irq_sink.count() == 0, "interrupt without a used entry"
        f = make_frame(dev.rng, dev.rng.randint(60, MAX_FRAME))
        t.rx_expect.append(f)
        await dev.rx_src.send(AxiStreamFrame(f))
        await wait_for(dev, lambda: rx.used_idx() != rx.last_used, what="RX used")
        t.check_rx_used()
        await dev.cycles(100)
        assert vectors() == [1], "no RX interrupt after NO_INTERRUPT was cleared"
        assert await dev.rd8(regs.VIONIC_ISR) & regs.VIRTIO_ISR_QUEUE
        # suppressed again; the doorbell makes the device see it at once (else the first
        # publication may interrupt once more, which the driver tolerates)
        rx.set_no_interrupt(True)
        t.rx_post()
        await rx.kick()
        await dev.cycles(300)
    # ---- TX ----
    tx.set_no_interrupt(True)
    await tx_run(dev, t, [make_frame(dev.rng, dev.rng.randint(60, MAX_FRAME)) for _ in range(12)],
                 batch=4)
    await dev.cycles(200)
    assert dev.irq_sink.count() == 0, f"TX interrupt despite NO_INTERRUPT: {vectors()}"
    for _rnd in range(3):
        dev.hold_tx(True)
        # more than the TX stages can hold (vionic_tx_csum stores two frames of MAX_MTU + 14)
        n = 2 * (int(dut.MAX_MTU.value) + 14) // 1000 + 10
        for _ in range(n):
            t.tx_post(make_frame(dev.rng, dev.rng.randint(1000, MAX_FRAME)))
        await tx.kick()
        await dev.cycles(1500 + 30 * n)  # the device read avail.flags (set) and holds frames
        assert tx.used_idx() != idx_add(tx.last_used, n), "TX all completed with the MAC held"
        tx.set_no_interrupt(False)  # no doorbell
        await dev.cycles(50)
        dev.hold_tx(False)
        await drain_tx(dev, t)
        await dev.cycles(100)
        vecs = vectors()
        assert vecs and all(v == 2 for v in vecs), f"TX interrupts {vecs}"
        tx.set_no_interrupt(True)
        await tx.kick()  # (as for RX) the device sees the flag again at once
        await dev.cycles(200)
        assert dev.irq_sink.count() == 0


@cocotb.test(timeout_time=100, timeout_unit="ms")
async def test_long_chains(dut):
    """Chains up to the queue size (DESIGN §4), the header in its own descriptor: TX chains of
    64 descriptors on a queue of 64 (the frame over 63 descriptors, many of 1 byte), two of 32
    at once; RX chains of 64 small buffers (12-byte header descriptor + 63 of 25..32 bytes),
    two at once on a queue of 128; a chain whose total is too small for the frame drops it
    (MRG_RXBUF not negotiated)."""
    dev = await new_device(dut)
    rx, tx = await dev.bring_up(rx_size=128, tx_size=64, features=NO_MRG)
    t = Traffic(dev, rx, tx)
    hdr = regs.VIONIC_NET_HDR_LEN
    rng = dev.rng
    # ---- TX ----
    for n in (MAX_FRAME, 64, 100, 700):
        t.tx_post(make_frame(rng, n), segs=[hdr, *split_exact(rng, n, 63)])
        await tx.kick()
        await drain_tx(dev, t)
    for _ in range(3):
        for _ in range(2):
            n = rng.randint(60, MAX_FRAME)
            t.tx_post(make_frame(rng, n), segs=[hdr, *split_exact(rng, n, 31)])
        await tx.kick()
        await drain_tx(dev, t)
    await check_counters(dev, 1, t.tx_pkts, t.tx_bytes, 0)

    # ---- RX ----
    def rx_chain(sizes):
        parts = []
        for ln in [hdr, *sizes]:
            a = dev.mem.alloc(ln, rng.choice([1, 2, 64]))
            dev.mem.write(a, b"\xee" * ln)
            parts.append((a, ln, True))
        rx.add(parts)

    for sizes in ([MAX_FRAME, 60], [1000, MAX_FRAME], [rng.randint(60, MAX_FRAME) for _ in "ab"]):
        for _ in sizes:
            rx_chain([rng.randint(25, 32) for _ in range(63)])
        await rx.kick()
        for n in sizes:
            f = make_frame(rng, n)
            t.rx_expect.append(f)
            await dev.rx_src.send(AxiStreamFrame(f))
        want = idx_add(rx.last_used, len(sizes))
        await wait_for(dev, lambda w=want: rx.used_idx() == w, what="RX used")
        t.check_rx_used()
    # a 64-descriptor chain of 12 + 63 * 10 bytes: a 700-byte frame does not fit (dropped, the
    # chain stays), a 600-byte one does
    rx_chain([10] * 63)
    await rx.kick()
    await dev.rx_src.send(AxiStreamFrame(make_frame(rng, 700)))
    fit = make_frame(rng, 600)
    t.rx_expect.append(fit)
    await dev.rx_src.send(AxiStreamFrame(fit))
    await wait_for(dev, lambda: rx.used_idx() != rx.last_used, what="RX used")
    t.check_rx_used()
    await check_counters(dev, 0, t.rx_got, t.rx_bytes, 1)
    assert await dev.rd32(regs.VIONIC_REG_ERR_CODE) == 0
