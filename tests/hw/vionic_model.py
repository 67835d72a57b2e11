"""Testbench side of vionic: host memory with latency and error ranges, a
Python virtio-pci driver model (bring-up, split rings, refill) and the
independent reference for what frames, used entries and counters must be."""

from __future__ import annotations

import heapq
import os
import random
import struct
from collections import deque

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import Event, RisingEdge
from cocotbext.axi import (
    AxiLiteBus,
    AxiLiteMaster,
    AxiReadBus,
    AxiStreamBus,
    AxiStreamSink,
    AxiStreamSource,
    AxiWriteBus,
)
from cocotbext.axi.axi_ram import AxiRamRead, AxiRamWrite
from cocotbext.axi.constants import AxiResp
from cocotbext.axi.memory import Memory

# ---- numbers from include/vionic/regs.h ----
COMMON, ISR, DEVCFG, NOTIFY, VENDOR = 0x0000, 0x1000, 0x2000, 0x3000, 0x4000
DFSELECT, DF, GFSELECT, GF, MSIX, NUMQ, STATUS, CFGGEN = (
    0x00,
    0x04,
    0x08,
    0x0C,
    0x10,
    0x12,
    0x14,
    0x15,
)
Q_SELECT, Q_SIZE, Q_MSIX, Q_ENABLE, Q_NOFF = 0x16, 0x18, 0x1A, 0x1C, 0x1E
Q_DESCLO, Q_AVAILLO, Q_USEDLO, Q_NDATA, Q_RESET = 0x20, 0x28, 0x30, 0x38, 0x3A
S_ACK, S_DRIVER, S_DRIVER_OK, S_FEATURES_OK, S_NEEDS_RESET, S_FAILED = 1, 2, 4, 8, 0x40, 0x80
F_CSUM, F_MTU, F_MAC, F_MRG_RXBUF, F_STATUS, F_VERSION_1 = 0, 3, 5, 15, 16, 32
F_ACCESS_PLATFORM, F_NOTIFICATION_DATA = 33, 38
DEVICE_FEATURES = (1 << 32) | (1 << 33) | (1 << 5) | (1 << 3) | (1 << 16) | (1 << 38)
REG_ID, REG_VERSION, REG_IMPL, REG_MAXQP = 0x4000, 0x4004, 0x4008, 0x400C
REG_CYCLES_LO, REG_CYCLES_HI = 0x4010, 0x4014
REG_ERR_CODE, REG_ERR_QUEUE, REG_ERR_DESC, REG_ERR_ADDR_LO, REG_ERR_ADDR_HI = (
    0x4020,
    0x4024,
    0x4028,
    0x402C,
    0x4030,
)
QSTATS = 0x4100
ERR_DMA, ERR_CHAIN, ERR_ZERO_LEN, ERR_DIRECTION, ERR_ALIGN, ERR_INDEX, ERR_QUEUE_CFG = (
    1,
    2,
    3,
    4,
    5,
    6,
    7,
)
VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE = 1, 2
VIRTQ_AVAIL_F_NO_INTERRUPT = 1
NET_HDR_LEN = 12
MTU = 1500
MAX_FRAME = MTU + 14
DEFAULT_MAC = bytes([0x02, 0x56, 0x4E, 0x49, 0x43, 0x00])
NO_VECTOR = 0xFFFF


def rng_from_env() -> random.Random:
    seed = int(os.environ.get("VIONIC_SEED", "1"))
    cocotb.log.info("VIONIC_SEED=%d", seed)
    return random.Random(seed)


class HostMemory(Memory):
    """Host memory behind m_axi_*: reads are pipelined with a (random or fixed)
    latency in cycles and returned in order, writes complete with random
    back-pressure; accesses touching an error range get SLVERR."""

    def __init__(
        self, dut, size, rng, read_latency=(1, 40), pause=0.0, prefix="m_axi", read=True, write=True
    ):
        super().__init__(size)
        self.rng = rng
        self.read_latency = read_latency
        self.bad: list[tuple[int, int]] = []
        self.cycle = 0
        self.clk = dut.clk
        mem = self

        class _Write(AxiRamWrite):
            async def _write(self, address, data):
                if mem.is_bad(address, len(data)):
                    raise ValueError("write to error range")
                self.write(address % self.size, data)

        class _Read(AxiRamRead):
            async def _read(self, address, length):
                if mem.is_bad(address, length):
                    raise ValueError("read from error range")
                return self.read(address % self.size, length)

            async def _process_read(self):
                # bursts are answered in order per ARID; bursts of different IDs are
                # answered in the order their random latencies expire (reordered)
                q: list = []
                ev = Event()

                async def stamp():
                    last: dict[int, int] = {}
                    seq = 0
                    while True:
                        ar = await self.ar_channel.recv()
                        rid = int(getattr(ar, "arid", 0))
                        lo, hi = mem.read_latency
                        t = max(last.get(rid, 0), mem.cycle + mem.rng.randint(lo, hi))
                        last[rid] = t
                        heapq.heappush(q, (t, seq, ar))
                        seq += 1
                        ev.set()

                # a previous incarnation (killed by a reset edge) must not keep consuming ARs
                old = getattr(self, "_stamp_task", None)
                if old is not None and not old.done():
                    old.cancel()
                self._stamp_task = cocotb.start_soon(stamp())
                while True:
                    while not q:
                        ev.clear()
                        await ev.wait()
                    while mem.cycle < q[0][0]:
                        await RisingEdge(mem.clk)
                    t, _, ar = heapq.heappop(q)
                    arid = int(getattr(ar, "arid", 0))
                    addr = int(ar.araddr)
                    length = int(getattr(ar, "arlen", 0)) + 1
                    size = int(getattr(ar, "arsize", self.max_burst_size))
                    nb = 2**size
                    assert nb == self.byte_lanes
                    assert 0x1000 - (addr & 0xFFF) >= nb * length, "4 KiB crossing"
                    cur = (addr // nb) * nb
                    for n in range(length):
                        r = self.r_channel._transaction_obj()
                        r.rid = arid
                        r.rlast = n == length - 1
                        r.rresp = AxiResp.OKAY
                        try:
                            data = await self._read(cur, self.byte_lanes)
                        except ValueError:
                            data = bytes(self.byte_lanes)
                            r.rresp = AxiResp.SLVERR
                        r.rdata = int.from_bytes(data, "little")
                        await self.r_channel.send(r)
                        cur += nb

        def gen():
            while True:
                yield rng.random() < pause

        if write:
            self.write_if = _Write(
                AxiWriteBus.from_prefix(dut, prefix), dut.clk, dut.rst, mem=self.mem
            )
            self.write_if.log.setLevel("WARNING")
            if pause:
                self.write_if.w_channel.set_pause_generator(gen())
                self.write_if.aw_channel.set_pause_generator(gen())
                self.write_if.b_channel.set_pause_generator(gen())
        if read:
            self.read_if = _Read(
                AxiReadBus.from_prefix(dut, prefix), dut.clk, dut.rst, mem=self.mem
            )
            self.read_if.log.setLevel("WARNING")
            if pause:
                self.read_if.r_channel.set_pause_generator(gen())
        cocotb.start_soon(self._count())
        self.brk = 0x10000

    async def _count(self):
        while True:
            await RisingEdge(self.clk)
            self.cycle += 1

    def is_bad(self, addr, length):
        return any(addr < hi and addr + length > lo for lo, hi in self.bad)

    def alloc(self, size, align=64):
        self.brk = (self.brk + align - 1) // align * align
        a = self.brk
        self.brk += size
        assert self.brk <= self.size, "host memory exhausted"
        return a


class Device:
    """The DUT with its bus models and a virtio-pci driver model."""

    def __init__(
        self,
        dut,
        rng,
        read_latency=(1, 40),
        pause=0.1,
        mem_size=4 << 20,
        tx_pause=0.2,
        rx_pause=0.2,
        shuffle_desc=True,
    ):
        self.dut = dut
        self.rng = rng
        self.width = len(dut.m_axi_wdata)
        self.mem = HostMemory(dut, mem_size, rng, read_latency, pause)
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
        self.axil.write_if.log.setLevel("WARNING")
        self.axil.read_if.log.setLevel("WARNING")
        self.tx_sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis_tx"), dut.clk, dut.rst)
        self.rx_src = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis_rx"), dut.clk, dut.rst)
        self.irq_sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis_irq"), dut.clk, dut.rst)
        for x in (self.tx_sink, self.rx_src, self.irq_sink):
            x.log.setLevel("WARNING")
        if tx_pause:
            self.tx_sink.set_pause_generator(self._pgen(tx_pause))
        if rx_pause:
            self.rx_src.set_pause_generator(self._pgen(rx_pause))
        self.queues: dict[int, Virtq] = {}
        self.shuffle_desc = (
            shuffle_desc  # random descriptor allocation (else in order, as a PMD does)
        )

    def _pgen(self, p):
        while True:
            yield self.rng.random() < p

    async def start(self):
        cocotb.start_soon(Clock(self.dut.clk, 4, unit="ns").start())
        self.dut.rst.value = 1
        for _ in range(10):
            await RisingEdge(self.dut.clk)
        self.dut.rst.value = 0
        for _ in range(10):
            await RisingEdge(self.dut.clk)

    async def cycles(self, n):
        for _ in range(n):
            await RisingEdge(self.dut.clk)

    # ---- register access ----
    async def rd32(self, a):
        return await self.axil.read_dword(a)

    async def wr32(self, a, v):
        await self.axil.write_dword(a, v)

    async def rd16(self, a):
        return await self.axil.read_word(a)

    async def wr16(self, a, v):
        await self.axil.write_word(a, v)

    async def rd8(self, a):
        return await self.axil.read_byte(a)

    async def wr8(self, a, v):
        await self.axil.write_byte(a, v)

    async def rd64(self, a):
        lo = await self.rd32(a)
        hi = await self.rd32(a + 4)
        return lo | hi << 32

    async def qstat(self, q):
        b = QSTATS + 0x20 * q
        return {
            "packets": await self.rd64(b),
            "bytes": await self.rd64(b + 8),
            "drops": await self.rd32(b + 0x10),
            "errors": await self.rd32(b + 0x14),
        }

    async def err_log(self):
        return (
            await self.rd32(REG_ERR_CODE),
            await self.rd32(REG_ERR_QUEUE),
            await self.rd32(REG_ERR_DESC),
            await self.rd64(REG_ERR_ADDR_LO),
        )

    # ---- bring-up (VIRTIO 1.2 §3.1.1) ----
    async def reset(self, limit=2000):
        await self.wr8(COMMON + STATUS, 0)
        for i in range(limit):
            if await self.rd8(COMMON + STATUS) == 0:
                self.queues = {}
                return i
        raise AssertionError("device_status did not return to 0")

    async def negotiate(self, features=None):
        await self.wr8(COMMON + STATUS, S_ACK)
        await self.wr8(COMMON + STATUS, S_ACK | S_DRIVER)
        await self.wr32(COMMON + DFSELECT, 0)
        lo = await self.rd32(COMMON + DF)
        await self.wr32(COMMON + DFSELECT, 1)
        hi = await self.rd32(COMMON + DF)
        offered = lo | hi << 32
        want = offered if features is None else features
        await self.wr32(COMMON + GFSELECT, 0)
        await self.wr32(COMMON + GF, want & 0xFFFFFFFF)
        await self.wr32(COMMON + GFSELECT, 1)
        await self.wr32(COMMON + GF, want >> 32)
        await self.wr8(COMMON + STATUS, S_ACK | S_DRIVER | S_FEATURES_OK)
        ok = bool(await self.rd8(COMMON + STATUS) & S_FEATURES_OK)
        return offered, ok

    async def setup_queue(
        self, q, size, msix=NO_VECTOR, desc=None, avail=None, used=None, expect_ok=True
    ):
        vq = Virtq(self, q, size, desc, avail, used)
        await self.wr16(COMMON + Q_SELECT, q)
        await self.wr16(COMMON + Q_SIZE, size)
        await self.wr32(COMMON + Q_DESCLO, vq.desc & 0xFFFFFFFF)
        await self.wr32(COMMON + Q_DESCLO + 4, vq.desc >> 32)
        await self.wr32(COMMON + Q_AVAILLO, vq.avail & 0xFFFFFFFF)
        await self.wr32(COMMON + Q_AVAILLO + 4, vq.avail >> 32)
        await self.wr32(COMMON + Q_USEDLO, vq.used & 0xFFFFFFFF)
        await self.wr32(COMMON + Q_USEDLO + 4, vq.used >> 32)
        await self.wr16(COMMON + Q_MSIX, msix)
        await self.wr16(COMMON + Q_ENABLE, 1)
        en = await self.rd16(COMMON + Q_ENABLE)
        if expect_ok:
            assert en == 1, f"queue {q} not enabled"
        self.queues[q] = vq
        return vq

    async def bring_up(
        self, rx_size=256, tx_size=256, cfg_msix=NO_VECTOR, rx_msix=NO_VECTOR, tx_msix=NO_VECTOR
    ):
        await self.reset()
        offered, ok = await self.negotiate()
        assert ok
        await self.wr16(COMMON + MSIX, cfg_msix)
        rx = await self.setup_queue(0, rx_size, rx_msix)
        tx = await self.setup_queue(1, tx_size, tx_msix)
        await self.wr8(COMMON + STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK)
        return rx, tx

    async def notify(self, q, next_avail):
        await self.wr32(NOTIFY + 4 * q, q | (next_avail & 0xFFFF) << 16)


class Virtq:
    """Driver side of one split virtqueue (VIRTIO 1.2 §2.7)."""

    def __init__(self, dev: Device, q, size, desc=None, avail=None, used=None):
        self.dev, self.q, self.size = dev, q, size
        m = dev.mem
        self.desc = desc if desc is not None else m.alloc(16 * size, 64)
        self.avail = avail if avail is not None else m.alloc(6 + 2 * size, 64)
        self.used = used if used is not None else m.alloc(6 + 8 * size, 64)
        if size and size <= 4096:
            m.write(self.desc, bytes(16 * size))
            m.write(self.avail, bytes(6 + 2 * size))
            m.write(self.used, bytes(6 + 8 * size))
        self.free = deque(range(size))
        if dev.shuffle_desc:
            dev.rng.shuffle(self.free)
        self.avail_idx = 0
        self.last_used = 0
        self.chains: dict[int, list] = {}
        self.outstanding = 0

    def write_desc(self, i, addr, length, flags, nxt):
        self.dev.mem.write(self.desc + 16 * i, struct.pack("<QIHH", addr, length, flags, nxt))

    def publish(self, head):
        m = self.dev.mem
        m.write(self.avail + 4 + 2 * (self.avail_idx % self.size), struct.pack("<H", head))
        self.avail_idx = (self.avail_idx + 1) & 0xFFFF
        m.write(self.avail + 2, struct.pack("<H", self.avail_idx))

    def add(self, segs, cookie=None):
        """segs: list of (addr, len, device_writable). Returns the head index."""
        assert len(self.free) >= len(segs)
        ids = [self.free.popleft() for _ in segs]
        for k, (addr, length, wr) in enumerate(segs):
            last = k == len(segs) - 1
            flags = (VIRTQ_DESC_F_WRITE if wr else 0) | (0 if last else VIRTQ_DESC_F_NEXT)
            self.write_desc(ids[k], addr, length, flags, 0 if last else ids[k + 1])
        self.chains[ids[0]] = (ids, segs, cookie)
        self.publish(ids[0])
        self.outstanding += 1
        return ids[0]

    def set_no_interrupt(self, on):
        self.dev.mem.write(self.avail, struct.pack("<H", VIRTQ_AVAIL_F_NO_INTERRUPT if on else 0))

    async def kick(self):
        await self.dev.notify(self.q, self.avail_idx)

    def used_idx(self):
        return struct.unpack("<H", self.dev.mem.read(self.used + 2, 2))[0]

    def reap(self):
        """Return [(head, len, segs, cookie)] for new used entries and free their descriptors."""
        out = []
        idx = self.used_idx()
        while self.last_used != idx:
            slot = self.last_used % self.size
            uid, ulen = struct.unpack("<II", self.dev.mem.read(self.used + 4 + 8 * slot, 8))
            assert uid in self.chains, f"queue {self.q}: used id {uid} not outstanding"
            ids, segs, cookie = self.chains.pop(uid)
            self.free.extend(ids)
            self.outstanding -= 1
            out.append((uid, ulen, segs, cookie))
            self.last_used = (self.last_used + 1) & 0xFFFF
        return out


# ---- independent reference ----
def ref_rx_buffer(frame: bytes) -> bytes:
    """What the device must write into an RX buffer: virtio_net_hdr (VERSION_1,
    all zero except num_buffers = 1) followed by the frame."""
    return struct.pack("<BBHHHHH", 0, 0, 0, 0, 0, 0, 1) + frame


def ref_tx_frame(buffer: bytes) -> bytes | None:
    """What appears on the wire for a TX buffer (header + frame), or None if dropped."""
    frame = buffer[NET_HDR_LEN:]
    if len(frame) == 0 or len(frame) > MAX_FRAME:
        return None
    return frame


def make_frame(rng, n, tag=0):
    dst = bytes([0x02, 0, 0, 0, 0, tag & 0xFF])
    payload = bytes(rng.getrandbits(8) for _ in range(max(0, n - 14)))
    return (dst + DEFAULT_MAC + struct.pack(">H", 0x88B5) + payload)[:n]


def split_segments(rng, total, max_segs=3):
    """Split `total` bytes into 1..max_segs positive lengths."""
    k = rng.randint(1, min(max_segs, total))
    cuts = sorted(rng.sample(range(1, total), k - 1)) if k > 1 else []
    bounds = [0, *cuts, total]
    return [bounds[i + 1] - bounds[i] for i in range(k)]
