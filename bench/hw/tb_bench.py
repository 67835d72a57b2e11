"""cocotb bench: cycles per packet of vionic_core (DATA_WIDTH=512, DMA read latency 125 cycles)
measured with the core's own CYCLES register, beside the data-bus bound. Frames of 64, 256 and
1514 bytes at MTU 1500 into single buffers; jumbo frames (9014 bytes, the MTU register at 9000)
into single buffers and, RX with MRG_RXBUF, spread over 2 KiB buffers. VIONIC_BENCH_RSS=1 (a
build of 4 queue pairs): RSS configured (every hash type, 128 entries over the 4 pairs), TCP/IPv4
frames of 16 flows spread over the 4 receive queues; TX on transmitq 0; the MTU 1500 points."""

from __future__ import annotations

import json
import math
import os
import struct

import cocotb
from cocotb.triggers import RisingEdge
from cocotbext.axi import AxiStreamFrame
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from tb_mq import ctrl_run, mq_bring_up
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
# VIONIC_BENCH_RSS=1: 4 queue pairs with RSS steering the frames over all receive queues
RSS = os.environ.get("VIONIC_BENCH_RSS", "0") == "1"
PAIRS = 4
FLOWS = 16
if RSS:
    POINTS = POINTS[:3]


def tcp4_frame(rng, size):
    """A TCP/IPv4 frame of exactly `size` bytes (>= 54) of a random flow."""
    pkt = (Ether(dst="02:00:00:00:00:01", src="02:56:4e:49:43:00")
           / IP(src=f"10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}", dst="10.1.0.1")
           / TCP(sport=rng.randint(1, 65535), dport=80))
    return bytes(pkt / Raw(bytes(size - len(pkt))))


async def rss_bring_up(dev):
    """4 pairs and the control queue; RSS: every type, table i % 4, a random 40-byte key."""
    rxs, txs, ctrl = await mq_bring_up(dev, PAIRS, size=1024)
    cmd = (struct.pack("<BBIHH", regs.VIRTIO_NET_CTRL_MQ, regs.VIRTIO_NET_CTRL_MQ_RSS_CONFIG,
                       regs.VIONIC_RSS_HASH_TYPES, 127, 0)
           + struct.pack("<128H", *(i % PAIRS for i in range(128)))
           + struct.pack("<HB", PAIRS, 40) + bytes(dev.rng.getrandbits(8) for _ in range(40)))
    assert await ctrl_run(dev, ctrl, cmd) == (1, regs.VIRTIO_NET_OK)
    return rxs, txs


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
        if RSS:
            rxs, txs = await rss_bring_up(dev)
            rx, tx = rxs[0], txs[0]
        else:
            rx, tx = await dev.bring_up(rx_size=1024, tx_size=1024)
            rxs = [rx]
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
        for q in rxs:  # RSS: each queue could get every frame
            for _ in range(rx_n * chains):
                a = dev.mem.alloc(rx_buf, 64)
                q.add([(a, rx_buf, True)])
            await q.kick()
        rx_frames = [tcp4_frame(rng, size) for _ in range(FLOWS)] if RSS else [frame]
        await dev.cycles(4 * LATENCY)  # let the device prefetch its first buffers
        c0 = await cycles(dev)
        for i in range(rx_n):
            await dev.rx_src.send(AxiStreamFrame(rx_frames[i % len(rx_frames)]))
        while sum(q.used_idx() for q in rxs) != rx_n * chains:
            await RisingEdge(dut.clk)
        c1 = await cycles(dev)
        stats = [await dev.qstat(2 * k) for k in range(len(rxs))]
        assert sum(st["packets"] for st in stats) == rx_n, stats
        assert all(st["drops"] == 0 for st in stats), stats
        if RSS:
            dut._log.info("RX frames per queue: %s", [st["packets"] for st in stats])
            assert all(st["packets"] > 0 for st in stats), "RSS left a queue without frames"
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
                    "queue_pairs": PAIRS if RSS else 1,
                    "rss": RSS,
                    "results": results,
                },
                f,
                indent=2,
            )
