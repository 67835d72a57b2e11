"""Offload stage tests: vionic_tx_csum and vionic_rx_csum as top levels, random frames
(seeded: VIONIC_SEED) with random back-pressure on both sides, scoreboarded against
Python references (scapy builds the TCP/UDP frames and their checksums; the TX insertion
is checked with a ones' complement sum of our own)."""

from __future__ import annotations

import struct

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrHopByHop
from scapy.layers.l2 import Dot1Q, Ether
from scapy.packet import Raw
from vionic_model import rng_from_env

from vionic import regs

NEEDS_CSUM = regs.VIRTIO_NET_HDR_F_NEEDS_CSUM
DATA_VALID = regs.VIRTIO_NET_HDR_F_DATA_VALID
MAX_FRAME = 1514


# ---------------------------------------------------------------- meta_t (vionic_pkg)
# packed MSB first: qid 16, len 16, flags 8, csum_start 16, csum_offset 16, drop 1, hash 32,
# hash_report 3, events
# (stage s counter c: bit s * STAGE_COUNTERS + c; counter 0 CSUM_GOOD, 1 CSUM_BAD)
COUNTERS = 2
EVENT_BITS = 2 * COUNTERS


def event(stage, counter_reg):
    return 1 << (stage * COUNTERS + counter_reg // 4)


def meta_pack(qid=0, length=0, flags=0, csum_start=0, csum_offset=0, drop=0, events=0, hash_value=0,
              hash_report=0):
    v = qid
    for width, x in (
        (16, length),
        (8, flags),
        (16, csum_start),
        (16, csum_offset),
        (1, drop),
        (32, hash_value),
        (3, hash_report),
        (EVENT_BITS, events),
    ):
        v = v << width | x
    return v


def meta_unpack(v):
    out = {}
    for name, width in (
        ("events", EVENT_BITS),
        ("hash_report", 3),
        ("hash", 32),
        ("drop", 1),
        ("csum_offset", 16),
        ("csum_start", 16),
        ("flags", 8),
        ("len", 16),
        ("qid", 16),
    ):
        out[name] = v & ((1 << width) - 1)
        v >>= width
    return out


def ones_sum(data: bytes, seed: int = 0) -> int:
    """16-bit ones' complement sum, big-endian words, an odd last byte padded with 0."""
    if len(data) & 1:
        data += b"\0"
    s = seed
    for i in range(0, len(data), 2):
        s += data[i] << 8 | data[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


async def setup(dut, rng, enable=1):
    cocotb.start_soon(Clock(dut.clk, 4, unit="ns").start())
    dut.enable.value = enable
    dut.s_meta_valid.value = 0
    dut.s_meta_data.value = 0
    dut.m_meta_ready.value = 0
    dut.rst.value = 1
    src = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.clk, dut.rst)
    sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.clk, dut.rst)
    for _ in range(5):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    await RisingEdge(dut.clk)
    return src, sink


def pauses(rng, p):
    while True:
        yield rng.random() < p


async def meta_out_monitor(dut, rng, got, ready_p=0.7):
    """Takes m_meta with random ready, appends the unpacked metadata."""
    while True:
        dut.m_meta_ready.value = int(rng.random() < ready_p)
        await RisingEdge(dut.clk)
        if int(dut.m_meta_valid.value) and int(dut.m_meta_ready.value):
            got.append(meta_unpack(int(dut.m_meta_data.value)))


# ---------------------------------------------------------------- frames
def rand_payload(rng, n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def l4_frame(rng, ip6=None, proto=None, vlan=None, size=None):
    """A scapy-built TCP or UDP frame (checksums computed by scapy) of about `size` bytes."""
    ip6 = rng.random() < 0.5 if ip6 is None else ip6
    proto = rng.choice(["tcp", "udp"]) if proto is None else proto
    vlan = rng.random() < 0.3 if vlan is None else vlan
    size = (
        rng.choice([60, 64, 128, 256, rng.randint(60, MAX_FRAME), MAX_FRAME])
        if size is None
        else size
    )
    eth = Ether(dst="02:00:00:00:00:01", src="02:56:4e:49:43:00")
    if vlan:
        eth = eth / Dot1Q(vlan=rng.randint(1, 4094))
    ip = (
        IPv6(src=f"fd00::{rng.randint(1, 0xFFFF):x}", dst=f"fd00::1:{rng.randint(1, 0xFFFF):x}")
        if ip6
        else IP(
            src=f"10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            dst=f"10.1.0.{rng.randint(1, 254)}",
            ihl=rng.choice([5, 5, 6, 15]),
        )
    )
    if not ip6 and ip.ihl and ip.ihl > 5:
        ip.options = [b"\x01" * ((ip.ihl - 5) * 4)]  # NOPs
    l4 = (
        TCP(sport=rng.randint(1, 65535), dport=80, seq=rng.getrandbits(32))
        if proto == "tcp"
        else UDP(sport=rng.randint(1, 65535), dport=53)
    )
    hdr = len(eth / ip / l4)
    pkt = eth / ip / l4 / Raw(rand_payload(rng, max(0, size - hdr)))
    return bytes(pkt)


# ---------------------------------------------------------------- TX_CSUM
def tx_ref(frame, flags, start, off, enable, aborted=False):
    """Expected (frame out, drop, counted good, counted bad) of vionic_tx_csum."""
    if not enable or not flags & NEEDS_CSUM or aborted:
        return frame, 0, 0, 0
    at = start + off
    if at + 2 > len(frame):
        return frame, 1, 0, 1
    c = ~ones_sum(frame[start:]) & 0xFFFF
    c = c or 0xFFFF
    return frame[:at] + struct.pack(">H", c) + frame[at + 2 :], 0, 1, 0


def driver_frame(full):
    """A complete TCP/UDP frame as a driver hands it over with NEEDS_CSUM: the checksum field
    holds the folded pseudo-header sum. Returns (frame, flags, csum_start, csum_offset)."""
    eth = Ether(full)
    l4 = eth[TCP] if TCP in eth else eth[UDP]
    ipl = eth[IPv6] if IPv6 in eth else eth[IP]
    ln = len(bytes(l4))
    start = len(full) - ln
    off = 16 if TCP in eth else 6
    proto = 6 if TCP in eth else 17
    if IPv6 in eth:
        ph = bytes(ipl)[8:40] + struct.pack(">IxxxB", ln, proto)
    else:
        ph = bytes(ipl)[12:20] + struct.pack(">xBH", proto, ln)
    drv = full[: start + off] + struct.pack(">H", ones_sum(ph)) + full[start + off + 2 :]
    return drv, NEEDS_CSUM, start, off


def tx_case(rng, kind):
    """(frame as the driver gives it, flags, csum_start, csum_offset, scapy's frame or None)."""
    if kind == "l4":
        full = l4_frame(rng)
        return (*driver_frame(full), full)
    n = rng.choice([1, 14, 60, 61, 64, 65, rng.randint(1, MAX_FRAME), MAX_FRAME])
    frame = rand_payload(rng, n)
    if kind == "bad":
        start = rng.randint(0, n + 40)
        return frame, NEEDS_CSUM, start, rng.randint(max(0, n - start - 1), n + 64), None
    if kind == "none":
        return frame, rng.choice([0, DATA_VALID]), rng.randint(0, 100), rng.randint(0, 100), None
    start = rng.randint(0, n - 2) if n >= 2 else 0
    return frame, NEEDS_CSUM, start, rng.randint(0, n - 2 - start) if n >= 2 else 0, None


async def tx_run(dut, rng, cases, enable, pause_in, pause_out):
    src, sink = await setup(dut, rng, enable)
    src.set_pause_generator(pauses(rng, pause_in))
    sink.set_pause_generator(pauses(rng, pause_out))
    metas = []
    cocotb.start_soon(meta_out_monitor(dut, rng, metas))

    async def feed_meta():
        for frame, flags, start, off, _, _ in cases:
            dut.s_meta_data.value = meta_pack(1, len(frame), flags, start, off)
            dut.s_meta_valid.value = 1
            while True:
                await RisingEdge(dut.clk)
                if int(dut.s_meta_ready.value):
                    break
            dut.s_meta_valid.value = 0
            if rng.random() < pause_in:
                await RisingEdge(dut.clk)

    cocotb.start_soon(feed_meta())
    for frame, _, _, _, _, aborted in cases:
        await src.send(AxiStreamFrame(frame, tuser=[0] * (len(frame) - 1) + [int(aborted)]))
    tx = regs.VIONIC_STAGE_TX_CSUM
    for i, (frame, flags, start, off, full, aborted) in enumerate(cases):
        out, drop, g, b = tx_ref(frame, flags, start, off, enable, aborted)
        ev = (event(tx, regs.VIONIC_STAGE_CSUM_GOOD) if g else 0) | (
            event(tx, regs.VIONIC_STAGE_CSUM_BAD) if b else 0
        )
        rx = await sink.recv()
        assert bytes(rx.tdata) == out, (
            f"frame {i}: payload differs (len {len(frame)}, start {start}, off {off})"
        )
        if (
            full is not None
            and enable
            and not aborted
            and out[start + off : start + off + 2] != b"\0\0"
        ):
            assert out == full, f"frame {i}: differs from scapy's checksum"
        assert (rx.tuser[-1] if isinstance(rx.tuser, list) else rx.tuser) == int(aborted), (
            f"frame {i}: tuser"
        )
        while len(metas) <= i:
            await RisingEdge(dut.clk)
        m = metas[i]
        assert m["drop"] == drop, f"frame {i}: drop {m['drop']} != {drop}"
        assert m["events"] == ev, f"frame {i}: events {m['events']:#x} != {ev:#x}"
        assert (m["qid"], m["len"], m["flags"], m["csum_start"], m["csum_offset"]) == (
            1,
            len(frame),
            flags,
            start,
            off,
        ), f"frame {i}: metadata changed {m}"
    for _ in range(10):
        await RisingEdge(dut.clk)
    assert len(metas) == len(cases)


@cocotb.test(timeout_time=200, timeout_unit="ms")
async def test_tx_csum(dut):
    """Scapy TCP/UDP frames with the driver's pseudo-header seed (== scapy's frame after the
    stage), random csum_start/offset over random bytes, fields beyond the frame (drop +
    the CSUM_BAD event), no NEEDS_CSUM, aborted frames; back-to-back minimum and 1514 B frames."""
    rng = rng_from_env()
    cases = []
    for _ in range(160):
        kind = rng.choice(["l4", "l4", "rand", "bad", "none"])
        f, fl, st, of, full = tx_case(rng, kind)
        cases.append((f, fl, st, of, full, rng.random() < 0.03))
    for n in (60,) * 12 + (MAX_FRAME,) * 4:  # back to back
        f = rand_payload(rng, n)
        cases.append((f, NEEDS_CSUM, 14, rng.randint(0, n - 16), None, False))
    await tx_run(dut, rng, cases, 1, 0.2, 0.3)


@cocotb.test(timeout_time=100, timeout_unit="ms")
async def test_tx_csum_disabled(dut):
    """enable low (CSUM not negotiated): NEEDS_CSUM frames pass untouched, nothing counted."""
    rng = rng_from_env()
    cases = [(*tx_case(rng, rng.choice(["l4", "rand", "bad"])), False) for _ in range(40)]
    await tx_run(dut, rng, cases, 0, 0.3, 0.3)


@cocotb.test(timeout_time=100, timeout_unit="ms")
async def test_tx_csum_line_rate(dut):
    """No back-pressure: 1514 B and 60 B frames leave at one beat per cycle (ping-pong)."""
    rng = rng_from_env()
    w = len(dut.s_axis_tkeep)
    src, sink = await setup(dut, rng)
    dut.m_meta_ready.value = 1
    for n in (MAX_FRAME, 60):
        frames = [rand_payload(rng, n) for _ in range(12)]

        async def feed_meta(frames=frames):
            for f in frames:
                dut.s_meta_data.value = meta_pack(1, len(f), NEEDS_CSUM, 14, 2)
                dut.s_meta_valid.value = 1
                while True:
                    await RisingEdge(dut.clk)
                    if int(dut.s_meta_ready.value):
                        break
            dut.s_meta_valid.value = 0

        cocotb.start_soon(feed_meta())
        for f in frames:
            await src.send(f)
        got = [await sink.recv() for _ in range(2)]  # the pipe fills
        t0 = cocotb.utils.get_sim_time("ns")
        for _ in range(len(frames) - 2):
            got.append(await sink.recv())
        cycles = (cocotb.utils.get_sim_time("ns") - t0) / 4
        beats = (len(frames) - 2) * -(-n // w)
        assert cycles <= beats * 1.05 + 2, f"{n} B: {cycles} cycles for {beats} beats"


# ---------------------------------------------------------------- RX_CSUM
def corrupt(rng, frame, lo):
    i = rng.randrange(lo, len(frame))
    return frame[:i] + bytes([frame[i] ^ (1 << rng.randrange(8))]) + frame[i + 1 :]


def rx_cases(rng):
    """(frame, expected: 'good' | 'bad' | None)."""
    out = []
    for _ in range(50):
        out.append((l4_frame(rng), "good"))
    for _ in range(30):
        f = l4_frame(rng)
        e = Ether(f)
        out.append((corrupt(rng, f, len(f) - len(bytes(e[TCP] if TCP in e else e[UDP]))), "bad"))
    for _ in range(6):  # VLAN-tagged, checked
        out.append((l4_frame(rng, vlan=True), "good"))
    for _ in range(6):  # IPv6 with a hop-by-hop extension header: not walked
        p = (
            Ether()
            / IPv6()
            / IPv6ExtHdrHopByHop()
            / UDP(sport=1, dport=2)
            / Raw(rand_payload(rng, 40))
        )
        out.append((bytes(p), None))
    for mf, frag in ((1, 0), (0, 10), (1, 3)):  # IPv4 fragments
        p = (
            Ether()
            / IP(flags=mf, frag=frag, src="10.0.0.1", dst="10.0.0.2")
            / UDP()
            / Raw(rand_payload(rng, 30))
        )
        out.append((bytes(p), None))
    for _ in range(8):  # shorter than the headers / IP length they claim
        f = l4_frame(rng, size=rng.randint(60, 300))
        out.append((f[: rng.randint(1, len(f) - 1)], None))
    for _ in range(4):  # UDP over IPv4 with checksum 0: unmarked, uncounted
        p = (
            Ether()
            / IP(src="10.0.0.1", dst="10.0.0.2")
            / UDP(sport=7, dport=9, chksum=0)
            / Raw(rand_payload(rng, 50))
        )
        out.append((bytes(p), None))
    for _ in range(4):  # short frames with Ethernet padding after the IP datagram
        p = Ether() / IP(src="10.0.0.3", dst="10.0.0.4") / UDP(sport=7, dport=9) / Raw(b"x")
        out.append((bytes(p) + bytes(60 - len(p)), "good"))
        p = Ether() / IP(src="10.0.0.3", dst="10.0.0.4") / TCP(sport=7, dport=9)
        out.append((bytes(p) + rand_payload(rng, 6), "good"))
    for _ in range(4):  # not IP, or not TCP/UDP
        out.append((rand_payload(rng, rng.randint(1, 200)), None))
        out.append((bytes(Ether() / IP(proto=47) / Raw(rand_payload(rng, 40))), None))
    for _ in range(12):  # back-to-back minimum frames and 1514 B frames
        out.append((l4_frame(rng, size=60, ip6=False), "good"))
    for _ in range(3):
        out.append((l4_frame(rng, size=MAX_FRAME), "good"))
    rng.shuffle(out)
    return out


def rx_ref(frame):
    """The rules of regs.h, written from the frame bytes: 'good', 'bad' or None."""
    off, et = 14, frame[12:14]
    if len(frame) < 14:
        return None
    if et == b"\x81\x00":
        if len(frame) < 18:
            return None
        off, et = 18, frame[16:18]
    ip = frame[off:]
    if et == b"\x08\x00" and len(ip) >= 20 and ip[0] >> 4 == 4:
        ihl, tot = (ip[0] & 15) * 4, struct.unpack(">H", ip[2:4])[0]
        if (
            ihl < 20
            or tot < ihl
            or off + tot > len(frame)
            or struct.unpack(">H", ip[6:8])[0] & 0x3FFF
        ):
            return None
        proto, l4 = ip[9], ip[ihl:tot]
        pseudo = ones_sum(ip[12:20] + struct.pack(">xBH", proto, len(l4)))
        if proto == 17 and len(l4) >= 8 and l4[6:8] == b"\0\0":
            return None
    elif et == b"\x86\xdd" and len(ip) >= 40 and ip[0] >> 4 == 6:
        plen = struct.unpack(">H", ip[4:6])[0]
        if off + 40 + plen > len(frame):
            return None
        proto, l4 = ip[6], ip[40 : 40 + plen]
        pseudo = ones_sum(ip[8:40] + struct.pack(">IxxxB", plen, proto))
    else:
        return None
    if proto not in (6, 17):
        return None
    return "good" if ones_sum(l4, pseudo) == 0xFFFF else "bad"


async def rx_run(dut, rng, cases, enable, pause_in, pause_out):
    src, sink = await setup(dut, rng, enable)
    src.set_pause_generator(pauses(rng, pause_in))
    sink.set_pause_generator(pauses(rng, pause_out))
    dut.s_meta_valid.value = 1  # as the core's RX head: one at any time
    dut.s_meta_data.value = meta_pack(qid=0)
    metas = []
    cocotb.start_soon(meta_out_monitor(dut, rng, metas))
    sent = []
    for frame, exp in cases:
        assert rx_ref(frame) == exp, (
            f"reference disagrees with the construction: {exp} {frame.hex()}"
        )
        user = rng.random() < 0.03  # a bad frame from the MAC: never marked nor counted
        await src.send(AxiStreamFrame(frame, tuser=[0] * (len(frame) - 1) + [int(user)]))
        sent.append((frame, None if user else exp, user))
    rxs = regs.VIONIC_STAGE_RX_CSUM
    for i, (frame, exp, _) in enumerate(sent):
        rx = await sink.recv()
        assert bytes(rx.tdata) == frame, f"frame {i} changed"
        while len(metas) <= i:
            await RisingEdge(dut.clk)
        marked = bool(metas[i]["flags"] & DATA_VALID)
        want = enable and exp == "good"
        assert marked == want, (
            f"frame {i}: DATA_VALID {marked}, expected {exp} (enable {enable}): {frame.hex()}"
        )
        ev = (event(rxs, regs.VIONIC_STAGE_CSUM_GOOD) if want else 0) | (
            event(rxs, regs.VIONIC_STAGE_CSUM_BAD) if enable and exp == "bad" else 0
        )
        assert metas[i]["events"] == ev, f"frame {i}: events {metas[i]['events']:#x} != {ev:#x}"
    for _ in range(10):
        await RisingEdge(dut.clk)
    assert len(metas) == len(sent)


@cocotb.test(timeout_time=200, timeout_unit="ms")
async def test_rx_csum(dut):
    """Scapy TCP/UDP over IPv4/IPv6 (VLAN or not), corrupted ones (CSUM_BAD), IPv6 extension
    headers, fragments, truncated frames, UDP checksum 0, padding, non-IP, tuser frames."""
    rng = rng_from_env()
    await rx_run(dut, rng, rx_cases(rng), 1, 0.2, 0.3)


@cocotb.test(timeout_time=100, timeout_unit="ms")
async def test_rx_csum_disabled(dut):
    """enable low (GUEST_CSUM not negotiated): DATA_VALID never set, nothing counted."""
    rng = rng_from_env()
    await rx_run(dut, rng, rx_cases(rng)[:40], 0, 0.3, 0.3)
