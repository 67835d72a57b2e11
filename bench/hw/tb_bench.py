"""cocotb bench: cycles per packet of vionic_core (DATA_WIDTH=512, DMA read latency 125 cycles)
measured with the core's own CYCLES register, beside the data-bus bound. Frames of 64, 256 and
1514 bytes at MTU 1500 into single buffers; jumbo frames (9014 bytes, the MTU register at 9000)
into single buffers and, RX with MRG_RXBUF, spread over 2 KiB buffers."""

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

JUMBO_MTU = 9000
JUMBO = JUMBO_MTU + 14
MRG_BUF = 2048  # RX buffer of the MRG_RXBUF point: a jumbo frame takes 5
# (frame bytes, MTU register, RX buffer bytes, RX frames; None: as many as TX, N): the RX
# ring of 1024 holds the buffers of the frames measured, so the MRG point has fewer frames
POINTS = [(n, regs.VIONIC_DEFAULT_MTU, NET_HDR_LEN + MAX_FRAME, None) for n in (64, 256, 1514)]
POINTS += [(JUMBO, JUMBO_MTU, NET_HDR_LEN + JUMBO, None), (JUMBO, JUMBO_MTU, MRG_BUF, 200)]
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


def bound(size, direction, buf=None):
    """64-byte beats a packet needs on the busiest AXI channel (whole beats for the buffer,
    descriptor (16 B), avail entry (2 B) and used element (8 B) shared with neighbours). RX
    over buffers of `buf` bytes (64-byte aligned; MRG_RXBUF when header + frame exceed it):
    whole beats per buffer and a used element each."""
    need = size + NET_HDR_LEN
    if direction == "tx":  # read channel: header+frame, descriptor, avail entry
        return math.ceil(need / 64) + (16 + 2) / 64
    pieces = [min(buf, need - off) for off in range(0, need, buf)]
    return sum(math.ceil(p / 64) for p in pieces) + 8 * len(pieces) / 64  # write channel


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
    for size, mtu, rx_buf, rx_n in POINTS:
        mrg = NET_HDR_LEN + size > rx_buf
        rx_n = rx_n or N
        # ---------------- TX ----------------
        await dev.reset()
        await dev.wr32(regs.VIONIC_REG_MTU, mtu)  # kept by the device reset of bring_up
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
        measured = []
        if not mrg:  # (TX has no MRG_RXBUF: the single-buffer point measures it)
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
            measured.append(("tx", N, (c1 - c0) / N))
        # ---------------- RX ----------------
        chains = math.ceil((NET_HDR_LEN + size) / rx_buf)  # per frame
        for _ in range(rx_n * chains):
            a = dev.mem.alloc(rx_buf, 64)
            rx.add([(a, rx_buf, True)])
        await rx.kick()
        await dev.cycles(4 * LATENCY)  # let the device prefetch its first buffers
        c0 = await cycles(dev)
        for _ in range(rx_n):
            await dev.rx_src.send(AxiStreamFrame(frame))
        while rx.used_idx() != rx_n * chains:
            await RisingEdge(dut.clk)
        c1 = await cycles(dev)
        st = await dev.qstat(0)
        assert st["packets"] == rx_n and st["drops"] == 0, st
        used = rx.reap()
        if mrg:  # the last frame's header: num_buffers
            first = used[-chains][2][0][0]
            assert dev.mem.read(first + regs.VIONIC_NET_HDR_NUM_BUFFERS, 1)[0] == chains
        if CSUM:  # the last frame's header: checked and marked
            assert dev.mem.read(used[-chains][2][0][0], 1)[0] == DATA_VALID
        measured.append(("rx", rx_n, (c1 - c0) / rx_n))
        for direction, n, cpp in measured:
            b = bound(size, direction, rx_buf)
            results.append(
                {
                    "direction": direction,
                    "size": size,
                    "mtu": mtu,
                    "buffer_bytes": rx_buf if direction == "rx" else None,
                    "buffers_per_packet": chains if direction == "rx" else None,
                    "packets": n,
                    "cycles_per_packet": round(cpp, 3),
                    "bound_cycles_per_packet": round(b, 3),
                    "percent_of_bound": round(100 * b / cpp, 1),
                }
            )
            dut._log.info("size %d %s: %.2f cycles/packet", size, direction, cpp)
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
