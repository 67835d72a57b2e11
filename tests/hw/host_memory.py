"""Host memory behind an AXI4 master port of the DUT, for the cocotb tests.

A small AXI4 slave of its own on cocotbext-axi's public channel models
(AxiARSink/AxiRSource, AxiAWSink/AxiWSink/AxiBSource over an AxiReadBus/AxiWriteBus):
- each read burst is answered after a latency drawn per burst from `read_latency`
  (cycles); bursts of one ARID keep their order, bursts of different ARIDs leave in
  the order their latencies expire, so the DUT sees read data reordered across IDs;
- writes complete in order, with random back-pressure when `pause` is set;
- an access touching a range in `bad` is answered SLVERR, one beyond the memory DECERR;
- every burst must be INCR with full-width beats and stay inside one 4 KiB page;
- `on_write` callbacks see every write burst (first address, end) once its data is stored.
The test reads and writes the contents directly with read()/write().
"""

from __future__ import annotations

import heapq
from collections import deque

import cocotb
from cocotb.triggers import Event, RisingEdge
from cocotbext.axi import AxiBurstType, AxiReadBus, AxiResp, AxiWriteBus
from cocotbext.axi.axi_channels import (
    AxiARSink,
    AxiAWSink,
    AxiBSource,
    AxiBTransaction,
    AxiRSource,
    AxiRTransaction,
    AxiWSink,
)

PAGE = 0x1000  # AXI: no burst crosses a 4 KiB boundary


class HostMemory:
    def __init__(
        self, dut, size, rng, read_latency=(1, 40), pause=0.0, prefix="m_axi", read=True, write=True
    ):
        self.size = size
        self.contents = bytearray(size)
        self.rng = rng
        self.read_latency = read_latency
        self.bad: list[tuple[int, int]] = []
        self.cycle = 0
        self.clk, self.rst = dut.clk, dut.rst
        self.brk = 0x10000
        self._waiting: list = []  # heap of (due cycle, arrival number, AR beat)
        self._due: deque = deque()  # AR beats whose latency has expired, in answer order
        self._due_event = Event()
        self._arrivals = 0
        self._last_due: dict[int, int] = {}  # per ARID: due cycle of its latest burst
        self._channels = []
        self.on_write: list = []
        self._processes = []
        if read:
            bus = AxiReadBus.from_prefix(dut, prefix)
            self.ar = AxiARSink(bus.ar, dut.clk, dut.rst)
            self.r = AxiRSource(bus.r, dut.clk, dut.rst)
            self.r.queue_occupancy_limit = 2  # beats leave as the DUT takes them
            self.lanes = len(bus.r.rdata) // 8
            self._channels += [self.ar, self.r]
            self._processes += [self._accept_reads, self._answer_reads]
            if pause:
                self.r.set_pause_generator(self._pauses(pause))
        if write:
            bus = AxiWriteBus.from_prefix(dut, prefix)
            self.aw = AxiAWSink(bus.aw, dut.clk, dut.rst)
            self.w = AxiWSink(bus.w, dut.clk, dut.rst)
            self.b = AxiBSource(bus.b, dut.clk, dut.rst)
            self.lanes = len(bus.w.wdata) // 8
            self._channels += [self.aw, self.w, self.b]
            self._processes += [self._serve_writes]
            if pause:
                for ch in (self.aw, self.w, self.b):
                    ch.set_pause_generator(self._pauses(pause))
        for ch in self._channels:
            ch.log.setLevel("WARNING")
        cocotb.start_soon(self._clock())

    # ---- what the tests use ----
    def read(self, addr, length):
        return bytes(self.contents[addr : addr + length])

    def write(self, addr, data):
        assert addr + len(data) <= self.size, "write beyond host memory"
        self.contents[addr : addr + len(data)] = data

    def alloc(self, size, align=64):
        self.brk = (self.brk + align - 1) // align * align
        a = self.brk
        self.brk += size
        assert self.brk <= self.size, "host memory exhausted"
        return a

    def is_bad(self, addr, length):
        return any(addr < hi and addr + length > lo for lo, hi in self.bad)

    # ---- the AXI4 slave ----
    def _pauses(self, p):
        while True:
            yield self.rng.random() < p

    def _response(self, addr, length):
        if addr + length > self.size:
            return AxiResp.DECERR
        if self.is_bad(addr, length):
            return AxiResp.SLVERR
        return AxiResp.OKAY

    def _burst(self, addr, arlen, size, burst):
        """First beat address and beat count of a burst, after checking it."""
        beats = int(arlen) + 1
        assert 2 ** int(size) == self.lanes, f"narrow burst (size {int(size)}) at {int(addr):#x}"
        assert int(burst) == AxiBurstType.INCR, f"burst type {int(burst)} at {int(addr):#x}"
        start = int(addr) // self.lanes * self.lanes
        assert PAGE - start % PAGE >= beats * self.lanes, (
            f"burst of {beats} beats at {int(addr):#x} crosses 4 KiB"
        )
        return start, beats

    async def _clock(self):
        """Counts cycles and releases read bursts whose latency has expired. A reset drops
        every burst in flight and starts the channel processes afresh when it ends."""
        tasks: list = []
        while True:
            await RisingEdge(self.clk)
            self.cycle += 1
            if str(self.rst.value) == "1":
                for t in tasks:
                    t.cancel()
                tasks = []
                self._waiting.clear()
                self._due.clear()
                self._last_due.clear()
                for ch in self._channels:
                    ch.clear()
                continue
            if not tasks:
                tasks = [cocotb.start_soon(p()) for p in self._processes]
            while self._waiting and self._waiting[0][0] <= self.cycle:
                self._due.append(heapq.heappop(self._waiting)[2])
                self._due_event.set()

    async def _accept_reads(self):
        while True:
            ar = await self.ar.recv()
            arid = int(ar.arid)
            lo, hi = self.read_latency
            due = max(self._last_due.get(arid, 0), self.cycle + self.rng.randint(lo, hi))
            self._last_due[arid] = due
            heapq.heappush(self._waiting, (due, self._arrivals, ar))
            self._arrivals += 1

    async def _answer_reads(self):
        while True:
            while not self._due:
                self._due_event.clear()
                await self._due_event.wait()
            ar = self._due.popleft()
            addr, beats = self._burst(ar.araddr, ar.arlen, ar.arsize, ar.arburst)
            for n in range(beats):
                r = AxiRTransaction()
                r.rid = int(ar.arid)
                r.rlast = int(n == beats - 1)
                r.rresp = self._response(addr, self.lanes)
                data = self.read(addr, self.lanes) if r.rresp == AxiResp.OKAY else b""
                r.rdata = int.from_bytes(data, "little")
                await self.r.send(r)
                addr += self.lanes

    async def _serve_writes(self):
        full = (1 << self.lanes) - 1
        while True:
            aw = await self.aw.recv()
            addr, beats = self._burst(aw.awaddr, aw.awlen, aw.awsize, aw.awburst)
            start = addr
            resp = AxiResp.OKAY
            for n in range(beats):
                w = await self.w.recv()
                assert int(w.wlast) == (n == beats - 1), f"WLAST on beat {n} of {beats}"
                strb = int(w.wstrb)
                if strb:
                    first, last = (strb & -strb).bit_length() - 1, strb.bit_length() - 1
                    beat_resp = self._response(addr + first, last + 1 - first)
                    if beat_resp == AxiResp.OKAY:
                        data = int(w.wdata).to_bytes(self.lanes, "little")
                        if strb == full:
                            self.contents[addr : addr + self.lanes] = data
                        else:
                            for i in range(first, last + 1):
                                if strb >> i & 1:
                                    self.contents[addr + i] = data[i]
                    resp = max(resp, beat_resp)
                addr += self.lanes
            for f in self.on_write:
                f(start, addr)
            b = AxiBTransaction()
            b.bid = int(aw.awid)
            b.bresp = resp
            await self.b.send(b)
