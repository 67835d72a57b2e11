"""cocotb tests of the MTU register and of VIRTIO_NET_F_MRG_RXBUF (vionic_core built with
MAX_MTU 9000): the rules of include/vionic/regs.h, checked against vionic_model's reference."""

from __future__ import annotations

import struct
from collections import deque

import cocotb
from cocotbext.axi import AxiStreamFrame
from tb_core import check_counters, expect_error, new_device, wait_for
from vionic_model import UP_TO_FEATURES_OK, devcfg, make_frame, ref_mrg_chains, ref_rx_buffer

from vionic import regs

HDR = regs.VIONIC_NET_HDR_LEN
ETH_HDR = 14
JUMBO_MTU = 9000
MRG = 1 << regs.VIRTIO_NET_F_MRG_RXBUF
NO_MRG = regs.VIONIC_DEVICE_FEATURES & ~MRG


async def mtu_reg(dev):
    return await dev.rd32(regs.VIONIC_REG_MTU)


async def jumbo_device(dut, mtu=JUMBO_MTU, **kw):
    """A device whose MTU register was set (while device_status is 0) before bring-up."""
    dev = await new_device(dut, **kw)
    await dev.reset()
    await dev.wr32(regs.VIONIC_REG_MTU, mtu)
    assert await mtu_reg(dev) == mtu
    return dev


def split(rng, total):
    """`total` bytes as 1..3 descriptors (never more than bytes)."""
    k = rng.randint(1, min(3, total))
    cuts = sorted(rng.sample(range(1, total), k - 1)) if k > 1 else []
    bounds = [0, *cuts, total]
    return [bounds[i + 1] - bounds[i] for i in range(k)]


class MrgRx:
    """Driver side of the RX queue. Chains are posted in ring order; the reference
    (ref_mrg_chains) gives each frame sent the chains it must fill, or drops it. On every
    write of used.idx (seen in host memory as the device writes it) the used entries up to
    the new index are taken frame by frame: num_buffers from the header (which may span
    chains), then that many entries; the index must never end inside a frame. Each frame is
    checked: the chains in ring order, every one but the last filled whole, the byte stream
    = header + frame. Problems are collected in `errors` (the check runs in the memory's
    process) and raised by check()."""

    def __init__(self, dev, rx, mrg=True):
        self.dev, self.rx, self.mrg = dev, rx, mrg
        self.posted = deque()  # (head, capacity) not yet given to a frame, in ring order
        self.expect = deque()  # (frame, heads, hash_hdr) the device must deliver, in order
        self.got = self.bytes = self.drops = 0
        self.max_entries = 0  # most used entries of one frame seen
        self.errors: list[str] = []
        dev.mem.on_write.append(self._on_write)

    def post(self, cap, align=None):
        """One chain of `cap` bytes over 1..3 descriptors."""
        m, rng = self.dev.mem, self.dev.rng
        parts = []
        for ln in split(rng, cap):
            a = m.alloc(ln, align or rng.choice([1, 2, 8, 64]))
            m.write(a, b"\xee" * ln)
            parts.append((a, ln, True))
        head = self.rx.add(parts)
        self.posted.append((head, cap))
        return head

    def send(self, frame, hash_hdr=b""):
        """Decide what the device must do with `frame` (sent next): returns the chains it
        fills, or None when it must be dropped (then it takes no chain). hash_hdr: the 8
        bytes that HASH_REPORT adds to the header (virtio_net_hdr_v1_hash)."""
        caps = [c for _, c in self.posted]
        k = ref_mrg_chains(caps, HDR + len(hash_hdr) + len(frame),
                           regs.VIONIC_RX_MAX_BUFFERS if self.mrg else 1)
        if k is None:
            self.drops += 1
            return None
        heads = [self.posted.popleft()[0] for _ in range(k)]
        self.expect.append((frame, heads, hash_hdr))
        return heads

    def check(self):
        assert not self.errors, "; ".join(self.errors)

    def _on_write(self, lo, hi):
        idx_addr = self.rx.used + 2  # used.idx, after used.flags
        if lo <= idx_addr and idx_addr + 2 <= hi:
            try:
                self._take(self.rx.used_idx())
            except AssertionError as e:
                self.errors.append(str(e))

    def _take(self, idx):
        m, vq = self.dev.mem, self.rx
        while vq.last_used != idx:
            entries, stream, nb, pos = [], b"", None, vq.last_used
            while nb is None or len(entries) < nb:
                assert pos != idx, (
                    f"used.idx {idx} published inside a frame ({len(entries)} entries of {nb})"
                )
                uid, ulen = struct.unpack("<II", m.read(vq.used + 4 + 8 * (pos % vq.size), 8))
                assert uid in vq.chains, f"used id {uid} not outstanding"
                data = b"".join(m.read(a, ln) for a, ln, _ in vq.chains[uid][1])
                assert 0 < ulen <= len(data), f"used len {ulen} of a chain of {len(data)}"
                entries.append((uid, ulen, len(data)))
                stream += data[:ulen]
                pos = (pos + 1) & 0xFFFF
                if nb is None and len(stream) >= HDR:
                    nb = struct.unpack_from("<H", stream, regs.VIONIC_NET_HDR_NUM_BUFFERS)[0]
            assert len(entries) == nb, f"num_buffers {nb}, the header took {len(entries)} entries"
            assert self.expect, f"a frame of {len(stream) - HDR} bytes not sent (or to be dropped)"
            frame, heads, hash_hdr = self.expect.popleft()
            assert [e[0] for e in entries] == heads, (
                f"frame of {len(frame)} bytes in chains (id, len, capacity) {entries}, not {heads}"
            )
            assert all(ulen == cap for _, ulen, cap in entries[:-1]), (
                f"a chain before the last not filled: {entries}"
            )
            want = ref_rx_buffer(frame, nb)
            assert stream == want[:HDR] + hash_hdr + want[HDR:], (
                f"frame of {len(frame)} bytes differs"
            )
            for uid, _, _ in entries:
                ids, _, _ = vq.chains.pop(uid)
                vq.free.extend(ids)
                vq.outstanding -= 1
            vq.last_used = pos
            self.got += 1
            self.bytes += len(frame)
            self.max_entries = max(self.max_entries, nb)

    async def delivered(self, limit=400000):
        """Wait until every frame the reference delivers has been taken."""
        for _ in range(limit // 16):
            self.check()
            if not self.expect:
                return
            await self.dev.cycles(16)
        raise AssertionError(f"{len(self.expect)} frames not delivered")


async def wait_drops(dev, n):
    for _ in range(2000):
        if (await dev.qstat(0))["drops"] >= n:
            break
        await dev.cycles(8)
    assert (await dev.qstat(0))["drops"] == n


async def tx_one(dev, tx, frame, sent):
    """Send one TX frame (one descriptor, header and frame); `sent`: it must reach the wire,
    else it must be dropped."""
    a = dev.mem.alloc(HDR + len(frame), 64)
    dev.mem.write(a, bytes(HDR) + frame)
    tx.add([(a, HDR + len(frame), False)])
    await tx.kick()
    await wait_for(dev, lambda: tx.used_idx() == tx.avail_idx, what="TX used")
    tx.reap()
    if sent:
        f = await dev.tx_sink.recv()
        assert bytes(f.tdata) == frame and not f.tuser, f"TX frame of {len(frame)} bytes"
    else:
        await dev.cycles(200)
        assert dev.tx_sink.count() == 0, f"TX frame of {len(frame)} bytes not dropped"


@cocotb.test(timeout_time=200, timeout_unit="ms")
async def test_mtu_register(dut):
    """VIONIC_REG_MTU: reads VIONIC_DEFAULT_MTU after power-on, MAX_MTU reads the build's;
    a write takes effect only while device_status is 0 and VIONIC_MIN_MTU <= value <= MAX_MTU
    (byte enables apply), else it is ignored; a device reset keeps it; virtio_net_config.mtu
    reads it; TX drops and RX oversize follow it (single buffers, MRG_RXBUF not negotiated):
    at 9000 frames of 9014 bytes pass both ways, 9015 are dropped; at 2000, 2014 / 2015."""
    dev = await new_device(dut)
    cfg_mtu = devcfg(regs.VIRTIO_NET_CFG_MTU)
    max_mtu = int(dut.MAX_MTU.value)
    assert max_mtu >= JUMBO_MTU
    assert await dev.rd32(regs.VIONIC_REG_MAX_MTU) == max_mtu
    assert await mtu_reg(dev) == regs.VIONIC_DEFAULT_MTU
    assert await dev.rd16(cfg_mtu) == regs.VIONIC_DEFAULT_MTU
    for bad in (0, regs.VIONIC_MIN_MTU - 1, max_mtu + 1, 0x10000 + 1500, 0xFFFFFFFF):
        await dev.wr32(regs.VIONIC_REG_MTU, bad)
        assert await mtu_reg(dev) == regs.VIONIC_DEFAULT_MTU, f"MTU {bad} taken"
    await dev.wr32(regs.VIONIC_REG_MTU, regs.VIONIC_MIN_MTU)
    assert await mtu_reg(dev) == regs.VIONIC_MIN_MTU
    assert await dev.rd16(cfg_mtu) == regs.VIONIC_MIN_MTU
    await dev.wr16(regs.VIONIC_REG_MTU, max_mtu)  # 16-bit write
    assert await mtu_reg(dev) == max_mtu
    await dev.wr8(regs.VIONIC_REG_MTU, 0x10)  # low byte alone: 0x2310 (8976)
    assert await mtu_reg(dev) == (max_mtu & 0xFF00) | 0x10
    await dev.wr32(regs.VIONIC_REG_MTU, JUMBO_MTU)
    # device_status != 0: ignored
    await dev.set_status(regs.VIRTIO_STATUS_ACKNOWLEDGE)
    await dev.wr32(regs.VIONIC_REG_MTU, 2000)
    assert await mtu_reg(dev) == JUMBO_MTU, "MTU written while device_status != 0"
    await dev.reset()
    _, ok = await dev.negotiate(NO_MRG)
    assert ok and await dev.status() == UP_TO_FEATURES_OK
    await dev.wr32(regs.VIONIC_REG_MTU, 2000)
    assert await mtu_reg(dev) == JUMBO_MTU, "MTU written after FEATURES_OK"
    # a device reset keeps it
    await dev.reset()
    assert await mtu_reg(dev) == JUMBO_MTU and await dev.rd16(cfg_mtu) == JUMBO_MTU
    for mtu in (JUMBO_MTU, 2000):
        await dev.reset()
        await dev.wr32(regs.VIONIC_REG_MTU, mtu)
        rx, tx = await dev.bring_up(rx_size=16, tx_size=16, features=NO_MRG)
        assert await dev.rd16(cfg_mtu) == mtu
        big = mtu + ETH_HDR
        r = MrgRx(dev, rx, mrg=False)
        for _ in range(3):
            r.post(HDR + big + 1, align=64)
        await rx.kick()
        await dev.cycles(300)
        frames = [make_frame(dev.rng, n) for n in (big, big + 1, 1515, big)]
        for f in frames:
            if len(f) <= big:  # an oversize frame is dropped and takes no chain
                r.send(f)
            await dev.rx_src.send(AxiStreamFrame(f))
        await r.delivered()
        await wait_drops(dev, 1)
        await check_counters(dev, 0, 3, 2 * big + 1515, 1)
        await tx_one(dev, tx, make_frame(dev.rng, big), True)
        await tx_one(dev, tx, make_frame(dev.rng, big + 1), False)
        await tx_one(dev, tx, make_frame(dev.rng, 1515), True)
        await check_counters(dev, 1, 2, big + 1515, 1)
        r.check()


@cocotb.test(timeout_time=1000, timeout_unit="ms")
async def test_mrg_random(dut):
    """MRG_RXBUF at MTU 9000: random frames of 60..9014 bytes over chains of random size
    (1 B .. 9 KiB, some smaller than the 12-byte header, 1..3 descriptors each, odd
    alignment; every fourth stretch of frames only small chains, so that frames take up to 64
    and some need more), random DMA latency and back-pressure on every channel. At least 64
    chains are always posted ahead, so the reference knows each outcome: the fewest chains in
    ring order that hold header + frame, or a drop when 64 do not (the chains stay for the
    next frame).
    Every frame reassembled from its used entries, num_buffers = entries, used lens, used.idx
    never inside a frame, PACKETS/BYTES/DROPS."""
    dev = await jumbo_device(dut, mem_size=64 << 20)
    rx, _tx = await dev.bring_up(rx_size=1024, tx_size=16)
    rng = dev.rng
    r = MrgRx(dev, rx)
    n = 600 if dev.width >= 512 else 200
    sizes = [60, JUMBO_MTU + ETH_HDR] + [rng.randint(60, JUMBO_MTU + ETH_HDR) for _ in range(n)]

    def cap(k):
        if k // 40 % 4 == 3:
            return rng.randint(1, 200)
        p = rng.random()
        if p < 0.05:
            return rng.randint(1, HDR - 1)
        if p < 0.35:
            return rng.randint(HDR, 600)
        if p < 0.8:
            return rng.randint(600, 2100)
        return rng.randint(2100, JUMBO_MTU + ETH_HDR + HDR + 100)

    for k, size in enumerate(sizes):
        posted = False
        while len(r.posted) < regs.VIONIC_RX_MAX_BUFFERS:
            assert len(rx.free) >= 3, "RX ring too small for the test"
            r.post(cap(k))
            posted = True
        if posted:
            await rx.kick()
        while len(r.expect) > 3:  # a few frames in flight
            r.check()
            await dev.cycles(16)
        frame = make_frame(rng, size, k)
        r.send(frame)
        await dev.rx_src.send(AxiStreamFrame(frame))
    await r.delivered()
    await wait_drops(dev, r.drops)
    dut._log.info("%d frames delivered (up to %d chains each), %d dropped", r.got,
                  r.max_entries, r.drops)
    assert r.got + r.drops == len(sizes) and r.max_entries > 32 and r.drops
    await check_counters(dev, 0, r.got, r.bytes, r.drops)
    assert await dev.rd32(regs.VIONIC_REG_ERR_CODE) == 0


@cocotb.test(timeout_time=500, timeout_unit="ms")
async def test_mrg_limits(dut):
    """MRG_RXBUF edge cases: chains short of a frame (the fetch engine dry): dropped, the
    chains stay and the next frame that fits takes them; a frame needing 65 chains dropped,
    one needing exactly 64 delivered (num_buffers 64: eight used-ring batches, used.idx only
    after the last); the header spread over chains of 5, 5, 1 and 1 bytes (num_buffers in the
    third and fourth); a chain of exactly header + frame; counters."""
    dev = await jumbo_device(dut)
    rx, _tx = await dev.bring_up(rx_size=256, tx_size=16)
    await dev.wr32(regs.VIONIC_COMMON_CFG + regs.VIRTIO_PCI_COMMON_GFSELECT, 0)
    accepted = await dev.rd32(regs.VIONIC_COMMON_CFG + regs.VIRTIO_PCI_COMMON_GF)
    assert accepted & MRG, "MRG_RXBUF not negotiated"
    rng = dev.rng
    r = MrgRx(dev, rx)

    async def send(size, dropped=False):
        frame = make_frame(rng, size)
        assert (r.send(frame) is None) == dropped
        await dev.rx_src.send(AxiStreamFrame(frame))
        if dropped:
            await wait_drops(dev, r.drops)
        else:
            await r.delivered()

    async def post(caps):
        for c in caps:
            r.post(c)
        await rx.kick()
        await dev.cycles(400)  # fetched

    # short: three chains of 1000 hold no jumbo frame; a 1990-byte frame takes all three
    await post([1000] * 3)
    await send(JUMBO_MTU + ETH_HDR, dropped=True)
    await send(1990)
    # one small chain, then another: the second frame takes both
    await post([50])
    await send(60, dropped=True)
    await post([50])
    await send(60)
    # 65 chains needed: dropped; exactly 64: delivered
    await post([100] * 65)
    await send(65 * 100 - HDR, dropped=True)
    await send(64 * 100 - HDR)
    assert r.max_entries == regs.VIONIC_RX_MAX_BUFFERS
    await send(60)  # the 65th chain
    # the header over four chains (num_buffers at stream offset 10: chain 3 and 4)
    await post([5, 5, 1, 1, 3000])
    await send(60)
    # exact fit: one chain of 12 + frame; then one byte short: two chains
    await post([HDR + 100, HDR + 99, 1])
    await send(100)
    await send(100)
    assert not r.posted
    await check_counters(dev, 0, r.got, r.bytes, r.drops)
    assert r.drops == 3


@cocotb.test(timeout_time=200, timeout_unit="ms")
async def test_mrg_dma_error(dut):
    """A DMA write fault in the second chain of an MRG_RXBUF frame: ERR_DMA with that chain's
    descriptor and buffer address, NEEDS_RESET, and none of the frame's used entries written
    or published (used.idx stays after the frame before it), which alone is counted."""
    dev = await jumbo_device(dut)
    rx, _tx = await dev.bring_up(rx_size=32, tx_size=16, cfg_msix=0)
    m = dev.mem
    r = MrgRx(dev, rx)
    r.post(2000)
    r.post(1000)
    bad = 0x300000
    m.bad.append((bad, bad + 0x1000))
    bad_head = rx.add([(bad, 1000, True)])
    r.posted.append((bad_head, 1000))
    r.post(2000)
    await rx.kick()
    await dev.cycles(300)
    good = make_frame(dev.rng, 1000)
    assert len(r.send(good)) == 1
    await dev.rx_src.send(AxiStreamFrame(good))
    await r.delivered()
    failing = make_frame(dev.rng, 2500)
    assert len(r.send(failing)) == 3
    await dev.rx_src.send(AxiStreamFrame(failing))
    await expect_error(dev, regs.VIONIC_ERR_DMA, 0, desc=bad_head, addr=bad, what="mrg write")
    await dev.cycles(500)
    r.check()
    assert rx.used_idx() == 1, f"used.idx {rx.used_idx()}: entries of the failed frame published"
    written = m.read(rx.used + 4 + 8, 3 * 8)
    assert written == bytes(3 * 8), "used entries of the failed frame written"
    st = await dev.qstat(0)
    assert st["packets"] == 1 and st["bytes"] == 1000, st
