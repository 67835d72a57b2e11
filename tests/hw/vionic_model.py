"""Testbench side of vionic: a Python virtio-pci driver model (bring-up, split
rings, refill) over host memory (host_memory.py), and the independent reference
for what frames, used entries and counters must be. Every number of the register
map comes from include/vionic/regs.h through `vionic.regs`."""

from __future__ import annotations

import os
import random
import struct
from collections import deque

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge
from cocotbext.axi import (
    AxiLiteBus,
    AxiLiteMaster,
    AxiStreamBus,
    AxiStreamSink,
    AxiStreamSource,
)
from host_memory import HostMemory

from vionic import regs

NO_VECTOR = regs.VIRTIO_MSI_NO_VECTOR
MAX_FRAME = regs.VIONIC_DEFAULT_MTU + 14  # Ethernet header, no FCS
# regs.h: 02:56:4E:49:43:00, "VNIC" (the ID magic's bytes) locally administered
DEFAULT_MAC = b"\x02" + regs.VIONIC_ID_MAGIC.to_bytes(4, "little") + b"\x00"
# device_status on the way up (VIRTIO 1.2 §3.1.1)
UP_TO_DRIVER = regs.VIRTIO_STATUS_ACKNOWLEDGE | regs.VIRTIO_STATUS_DRIVER
UP_TO_FEATURES_OK = UP_TO_DRIVER | regs.VIRTIO_STATUS_FEATURES_OK
UP_TO_DRIVER_OK = UP_TO_FEATURES_OK | regs.VIRTIO_STATUS_DRIVER_OK


def common(field):
    """BAR0 offset of a virtio_pci_common_cfg field (VIRTIO_PCI_COMMON_*)."""
    return regs.VIONIC_COMMON_CFG + field


def devcfg(field):
    """BAR0 offset of a virtio_net_config field (VIRTIO_NET_CFG_*)."""
    return regs.VIONIC_DEVICE_CFG + field


def vq_state_reg(q):
    """BAR0 offset of VQ_STATE of virtqueue q."""
    return regs.VIONIC_REG_VQ_STATE_BASE + regs.VIONIC_VQ_STATE_STRIDE * q


def vq_state_value(avail, used):
    return (avail & 0xFFFF) << regs.VIONIC_VQ_STATE_AVAIL_SHIFT | (
        used & 0xFFFF
    ) << regs.VIONIC_VQ_STATE_USED_SHIFT


def rng_from_env() -> random.Random:
    seed = int(os.environ.get("VIONIC_SEED", "1"))
    cocotb.log.info("VIONIC_SEED=%d", seed)
    return random.Random(seed)


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
        self.tx_pause = tx_pause
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

    def hold_tx(self, on):
        """Hold the MAC side of TX (tready low) or release it to its random pauses."""
        if on:
            self.tx_sink.clear_pause_generator()
            self.tx_sink.pause = True
        else:
            self.tx_sink.pause = False
            if self.tx_pause:
                self.tx_sink.set_pause_generator(self._pgen(self.tx_pause))

    async def start(self):
        cocotb.start_soon(Clock(self.dut.clk, 4, unit="ns").start())
        self.dut.link_up.value = 1
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
        return {
            "packets": await self.rd64(regs.qstats(q, regs.VIONIC_QSTAT_PACKETS_LO)),
            "bytes": await self.rd64(regs.qstats(q, regs.VIONIC_QSTAT_BYTES_LO)),
            "drops": await self.rd32(regs.qstats(q, regs.VIONIC_QSTAT_DROPS)),
            "errors": await self.rd32(regs.qstats(q, regs.VIONIC_QSTAT_ERRORS)),
        }

    async def err_log(self):
        return (
            await self.rd32(regs.VIONIC_REG_ERR_CODE),
            await self.rd32(regs.VIONIC_REG_ERR_QUEUE),
            await self.rd32(regs.VIONIC_REG_ERR_DESC),
            await self.rd64(regs.VIONIC_REG_ERR_ADDR_LO),
        )

    # ---- bring-up (VIRTIO 1.2 §3.1.1) ----
    async def status(self):
        return await self.rd8(common(regs.VIRTIO_PCI_COMMON_STATUS))

    async def set_status(self, bits):
        await self.wr8(common(regs.VIRTIO_PCI_COMMON_STATUS), bits)

    async def reset(self, limit=2000):
        await self.set_status(0)
        for i in range(limit):
            if await self.status() == 0:
                self.queues = {}
                return i
        raise AssertionError("device_status did not return to 0")

    async def negotiate(self, features=None):
        await self.set_status(regs.VIRTIO_STATUS_ACKNOWLEDGE)
        await self.set_status(UP_TO_DRIVER)
        await self.wr32(common(regs.VIRTIO_PCI_COMMON_DFSELECT), 0)
        lo = await self.rd32(common(regs.VIRTIO_PCI_COMMON_DF))
        await self.wr32(common(regs.VIRTIO_PCI_COMMON_DFSELECT), 1)
        hi = await self.rd32(common(regs.VIRTIO_PCI_COMMON_DF))
        offered = lo | hi << 32
        want = offered if features is None else features
        await self.wr32(common(regs.VIRTIO_PCI_COMMON_GFSELECT), 0)
        await self.wr32(common(regs.VIRTIO_PCI_COMMON_GF), want & 0xFFFFFFFF)
        await self.wr32(common(regs.VIRTIO_PCI_COMMON_GFSELECT), 1)
        await self.wr32(common(regs.VIRTIO_PCI_COMMON_GF), want >> 32)
        await self.set_status(UP_TO_FEATURES_OK)
        ok = bool(await self.status() & regs.VIRTIO_STATUS_FEATURES_OK)
        return offered, ok

    # ---- vendor block: ring state (vDPA get/set_vq_state) and suspend ----
    async def vq_state(self, q):
        """VQ_STATE of queue q as (last avail index, used index)."""
        v = await self.rd32(vq_state_reg(q))
        avail = (v >> regs.VIONIC_VQ_STATE_AVAIL_SHIFT) & 0xFFFF
        return avail, (v >> regs.VIONIC_VQ_STATE_USED_SHIFT) & 0xFFFF

    async def set_vq_state(self, q, avail, used):
        await self.wr32(vq_state_reg(q), vq_state_value(avail, used))

    async def suspend(self, on=True, limit=20000):
        """Write SUSPEND; on suspend, poll until it reads REQ|DONE. Returns the polls taken."""
        await self.wr32(regs.VIONIC_REG_SUSPEND, regs.VIONIC_SUSPEND_REQ if on else 0)
        want = regs.VIONIC_SUSPEND_REQ | regs.VIONIC_SUSPEND_DONE if on else 0
        for i in range(limit):
            v = await self.rd32(regs.VIONIC_REG_SUSPEND)
            if v == want:
                return i
            assert on and v == regs.VIONIC_SUSPEND_REQ, f"SUSPEND reads {v:#x}"
        raise AssertionError("SUSPEND did not read REQ|DONE")

    async def setup_queue(
        self, q, size, msix=NO_VECTOR, desc=None, avail=None, used=None, expect_ok=True,
        state=None, restore=None,
    ):
        """Configure and enable queue q. state=(avail, used): VQ_STATE written before the
        enable, and the driver's ring indices start there. restore=Virtq: the same rings and
        driver state again (after a device reset), nothing in memory is cleared."""
        if restore is not None:
            vq = restore
        else:
            vq = Virtq(self, q, size, desc, avail, used, start=state)
        if state is not None:
            await self.set_vq_state(q, *state)
        await self.wr16(common(regs.VIRTIO_PCI_COMMON_Q_SELECT), q)
        await self.wr16(common(regs.VIRTIO_PCI_COMMON_Q_SIZE), size)
        await self.wr32(common(regs.VIRTIO_PCI_COMMON_Q_DESCLO), vq.desc & 0xFFFFFFFF)
        await self.wr32(common(regs.VIRTIO_PCI_COMMON_Q_DESCHI), vq.desc >> 32)
        await self.wr32(common(regs.VIRTIO_PCI_COMMON_Q_AVAILLO), vq.avail & 0xFFFFFFFF)
        await self.wr32(common(regs.VIRTIO_PCI_COMMON_Q_AVAILHI), vq.avail >> 32)
        await self.wr32(common(regs.VIRTIO_PCI_COMMON_Q_USEDLO), vq.used & 0xFFFFFFFF)
        await self.wr32(common(regs.VIRTIO_PCI_COMMON_Q_USEDHI), vq.used >> 32)
        await self.wr16(common(regs.VIRTIO_PCI_COMMON_Q_MSIX), msix)
        await self.wr16(common(regs.VIRTIO_PCI_COMMON_Q_ENABLE), 1)
        en = await self.rd16(common(regs.VIRTIO_PCI_COMMON_Q_ENABLE))
        if expect_ok:
            assert en == 1, f"queue {q} not enabled"
        self.queues[q] = vq
        return vq

    async def bring_up(
        self, rx_size=256, tx_size=256, cfg_msix=NO_VECTOR, rx_msix=NO_VECTOR, tx_msix=NO_VECTOR,
        rx_state=None, tx_state=None, features=None,
    ):
        """features: the driver features to accept (None: everything offered)."""
        await self.reset()
        offered, ok = await self.negotiate(features)
        assert ok
        await self.wr16(common(regs.VIRTIO_PCI_COMMON_MSIX), cfg_msix)
        rx = await self.setup_queue(0, rx_size, rx_msix, state=rx_state)
        tx = await self.setup_queue(1, tx_size, tx_msix, state=tx_state)
        await self.set_status(UP_TO_DRIVER_OK)
        return rx, tx

    async def notify(self, q, next_avail):
        doorbell = regs.VIONIC_NOTIFY + regs.VIONIC_NOTIFY_OFF_MULT * q
        await self.wr32(doorbell, q | (next_avail & 0xFFFF) << 16)  # NOTIFICATION_DATA


class Virtq:
    """Driver side of one split virtqueue (VIRTIO 1.2 §2.7)."""

    def __init__(self, dev: Device, q, size, desc=None, avail=None, used=None, start=None):
        """start=(avail, used): ring indices to begin at (a ring restored with VQ_STATE)."""
        self.dev, self.q, self.size = dev, q, size
        m = dev.mem
        self.desc = desc if desc is not None else m.alloc(16 * size, 64)
        self.avail = avail if avail is not None else m.alloc(6 + 2 * size, 64)
        self.used = used if used is not None else m.alloc(6 + 8 * size, 64)
        self.avail_idx, self.last_used = start if start is not None else (0, 0)
        if size and size <= 4096:
            m.write(self.desc, bytes(16 * size))
            m.write(self.avail, bytes(6 + 2 * size))
            m.write(self.used, bytes(6 + 8 * size))
            m.write(self.avail + 2, struct.pack("<H", self.avail_idx))
            m.write(self.used + 2, struct.pack("<H", self.last_used))
        self.free = deque(range(size))
        if dev.shuffle_desc:
            dev.rng.shuffle(self.free)
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
            flags = (regs.VRING_DESC_F_WRITE if wr else 0) | (0 if last else regs.VRING_DESC_F_NEXT)
            self.write_desc(ids[k], addr, length, flags, 0 if last else ids[k + 1])
        self.chains[ids[0]] = (ids, segs, cookie)
        self.publish(ids[0])
        self.outstanding += 1
        return ids[0]

    def set_no_interrupt(self, on):
        flags = regs.VRING_AVAIL_F_NO_INTERRUPT if on else 0
        self.dev.mem.write(self.avail, struct.pack("<H", flags))

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
def ref_rx_buffer(frame: bytes, num_buffers=1) -> bytes:
    """What the device must write into its RX buffers, as one byte stream: virtio_net_hdr
    (VERSION_1, all zero except num_buffers) followed by the frame."""
    return struct.pack("<BBHHHHH", 0, 0, 0, 0, 0, 0, num_buffers) + frame


def ref_mrg_chains(caps, need, limit=regs.VIONIC_RX_MAX_BUFFERS):
    """MRG_RXBUF (regs.h): how many of the chains of capacities `caps` (in ring order) a
    stream of `need` bytes fills, each whole before the next, or None (dropped) when the
    first `limit` of them do not hold it."""
    total = 0
    for k, cap in enumerate(caps[:limit], 1):
        total += cap
        if total >= need:
            return k
    return None


def ref_tx_frame(buffer: bytes) -> bytes | None:
    """What appears on the wire for a TX buffer (header + frame), or None if dropped."""
    frame = buffer[regs.VIONIC_NET_HDR_LEN:]
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
