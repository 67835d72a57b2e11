"""cocotb bench: cycles per packet of vionic_core (DATA_WIDTH=512, DMA read latency 125 cycles)
measured with the core's own CYCLES register, beside the data-bus bound."""

from __future__ import annotations

import json
import math
import os
import struct

import cocotb
from cocotb.triggers import RisingEdge
from cocotbext.axi import AxiStreamFrame
from tb_stages import DATA_VALID, driver_frame, l4_frame
from vionic_model import MAX_FRAME, Device, make_frame, rng_from_env

from vionic import regs

NET_HDR_LEN = regs.VIONIC_NET_HDR_LEN

SIZES = (64, 256, 1514)
N = int(os.environ.get("VIONIC_BENCH_N", "1000"))
LATENCY = 125
# VIONIC_BENCH_NO_INTERRUPT=1: the driver sets VRING_AVAIL_F_NO_INTERRUPT on both rings (as a
# poll-mode driver does), so every used.idx publication is followed by an avail.flags re-read
NO_INTERRUPT = os.environ.get("VIONIC_BENCH_NO_INTERRUPT", "0") == "1"
# VIONIC_BENCH_CSUM=1: the checksum offloads act on every frame: TCP/IPv4 frames, TX with
# NEEDS_CSUM (the device inserts the checksum), RX checked and marked DATA_VALID. Otherwise
# the frames are plain (CSUM and GUEST_CSUM are negotiated, as everything offered, but unused).
CSUM = os.environ.get("VIONIC_BENCH_CSUM", "0") == "1"


async def cycles(dev):
    lo = await dev.rd32(regs.VIONIC_REG_CYCLES_LO)
    hi = await dev.rd32(regs.VIONIC_REG_CYCLES_HI)
    return lo | hi << 32


def bound(size, direction):
    """64-byte beats a packet needs on the busiest AXI channel (whole beats for the buffer,
    descriptor (16 B), avail entry (2 B) and used element (8 B) shared with neighbours)."""
    data = math.ceil((size + NET_HDR_LEN) / 64)
    if direction == "tx":  # read channel: header+frame, descriptor, avail entry
        return data + (16 + 2) / 64
    return data + 8 / 64  # rx, write channel: header+frame, used element


@cocotb.test(timeout_time=500, timeout_unit="ms")
async def bench(dut):
    rng = rng_from_env()
    dev = Device(
        dut,
        rng,
        read_latency=(LATENCY, LATENCY),
        pause=0.0,
        tx_pause=0.0,
        rx_pause=0.0,
        mem_size=64 << 20,
        shuffle_desc=False,
    )
    await dev.start()
    results = []
    for size in SIZES:
        # ---------------- TX ----------------
        rx, tx = await dev.bring_up(rx_size=1024, tx_size=1024)
        rx.set_no_interrupt(NO_INTERRUPT)
        tx.set_no_interrupt(NO_INTERRUPT)
        if CSUM:
            frame = l4_frame(rng, ip6=False, proto="tcp", vlan=False, size=size)
            drv, flags, start, off = driver_frame(frame)
            hdr = struct.pack("<BBHHHHH", flags, 0, 0, 0, start, off, 0)
        else:
            frame = drv = make_frame(rng, size)
            hdr = bytes(NET_HDR_LEN)
        for _ in range(N):
            a = dev.mem.alloc(NET_HDR_LEN + size, 64)
            dev.mem.write(a, hdr + drv)
            tx.add([(a, NET_HDR_LEN + size, False)])
        c0 = await cycles(dev)
        await tx.kick()
        while dev.tx_sink.count() < N:
            await RisingEdge(dut.clk)
        c1 = await cycles(dev)
        for _ in range(N):
            f = dev.tx_sink.recv_nowait()
            assert bytes(f.tdata) == frame
        tx_cpp = (c1 - c0) / N
        # ---------------- RX ----------------
        for _ in range(N):
            a = dev.mem.alloc(NET_HDR_LEN + MAX_FRAME, 64)
            rx.add([(a, NET_HDR_LEN + MAX_FRAME, True)])
        await rx.kick()
        await dev.cycles(4 * LATENCY)  # let the device prefetch its first buffers
        c0 = await cycles(dev)
        for _ in range(N):
            await dev.rx_src.send(AxiStreamFrame(frame))
        while rx.used_idx() != N:
            await RisingEdge(dut.clk)
        c1 = await cycles(dev)
        st = await dev.qstat(0)
        assert st["packets"] == N and st["drops"] == 0, st
        if CSUM:  # the last frame's header: checked and marked
            last = rx.reap()[-1]
            assert dev.mem.read(last[2][0][0], 1)[0] == DATA_VALID
        rx_cpp = (c1 - c0) / N
        for direction, cpp in (("tx", tx_cpp), ("rx", rx_cpp)):
            b = bound(size, direction)
            results.append(
                {
                    "direction": direction,
                    "size": size,
                    "packets": N,
                    "cycles_per_packet": round(cpp, 3),
                    "bound_cycles_per_packet": round(b, 3),
                    "percent_of_bound": round(100 * b / cpp, 1),
                }
            )
        dut._log.info("size %d: tx %.2f rx %.2f cycles/packet", size, tx_cpp, rx_cpp)
    out = os.environ.get("VIONIC_BENCH_OUT")
    if out:
        with open(out, "w") as f:
            json.dump(
                {
                    "data_width": 512,
                    "dma_read_latency_cycles": LATENCY,
                    "packets_per_point": N,
                    "no_interrupt": NO_INTERRUPT,
                    "csum_offloads_active": CSUM,
                    "results": results,
                },
                f,
                indent=2,
            )
