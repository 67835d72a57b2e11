"""cocotb tests of the offload stages inside vionic_core, through the rings: checksum
offloads negotiated (TX insertion and drops, RX DATA_VALID, the stage counters and
OFFLOAD_CAPS) and not negotiated (frames untouched, DATA_VALID never set)."""

from __future__ import annotations

import struct

import cocotb
from cocotbext.axi import AxiStreamFrame
from tb_core import check_counters, new_device, wait_for
from tb_stages import DATA_VALID, NEEDS_CSUM, rx_cases, rx_ref, tx_case, tx_ref
from vionic_model import MAX_FRAME, UP_TO_DRIVER_OK, split_segments

from vionic import regs

CSUM_FEATURES = 1 << regs.VIRTIO_NET_F_CSUM | 1 << regs.VIRTIO_NET_F_GUEST_CSUM
HDR = regs.VIONIC_NET_HDR_LEN


def stage_reg(stage, counter):
    return regs.VIONIC_REG_OFFLOAD + 0x10 * (stage + 1) + counter


async def stage_counters(dev):
    return {
        (s, c): await dev.rd32(stage_reg(s, c))
        for s in (regs.VIONIC_STAGE_TX_CSUM, regs.VIONIC_STAGE_RX_CSUM)
        for c in (regs.VIONIC_STAGE_CSUM_GOOD, regs.VIONIC_STAGE_CSUM_BAD)
    }


async def bring_up(dev, features):
    await dev.reset()
    _, ok = await dev.negotiate(features)
    assert ok, "FEATURES_OK refused"
    rx = await dev.setup_queue(0, 256)
    tx = await dev.setup_queue(1, 256)
    await dev.set_status(UP_TO_DRIVER_OK)
    return rx, tx


async def run_tx(dev, tx, cases, negotiated):
    """Post (frame, flags, csum_start, csum_offset) with their virtio_net_hdr over 1..3
    descriptors (the header may straddle them); check the wire, used entries and counts."""
    m = dev.mem
    want, drops, good, bad, nbytes = [], 0, 0, 0, 0
    for frame, flags, start, off in cases:
        buf = struct.pack("<BBHHHHH", flags, 0, 0, 0, start, off, 0) + frame
        parts, pos = [], 0
        for n in split_segments(dev.rng, len(buf), 3):
            a = m.alloc(n, dev.rng.choice([1, 2, 64]))
            m.write(a, buf[pos : pos + n])
            parts.append((a, n, False))
            pos += n
        tx.add(parts)
        out, drop, g, b = tx_ref(frame, flags, start, off, negotiated)
        good, bad = good + g, bad + b
        if drop:
            drops += 1
        else:
            want.append(out)
            nbytes += len(out)
    await tx.kick()
    got = []
    for i, exp in enumerate(want):
        f = await dev.tx_sink.recv()
        assert not f.tuser, f"TX frame {i} aborted"
        assert bytes(f.tdata) == exp, (
            f"TX frame {i}: {len(f.tdata)} bytes, want {len(exp)}: differs"
        )
        got.append(f)
    await wait_for(dev, lambda: tx.used_idx() == len(cases), what="TX used entries")
    for _uid, ulen, _segs, _ in tx.reap():
        assert ulen == 0
    await dev.cycles(200)
    assert dev.tx_sink.count() == 0, "more TX frames than expected (a dropped one was sent)"
    await check_counters(dev, 1, len(want), nbytes, drops)
    return good, bad


async def run_rx(dev, rx, frames, negotiated):
    """Send frames from the MAC into posted buffers; check header flags, bytes and counts."""
    m = dev.mem
    bufs = []
    for _ in frames:
        a = m.alloc(HDR + MAX_FRAME, 64)
        m.write(a, b"\xee" * (HDR + MAX_FRAME))
        bufs.append(a)
        rx.add([(a, HDR + MAX_FRAME, True)])
    await rx.kick()
    good = bad = 0
    for f in frames:
        await dev.rx_src.send(AxiStreamFrame(f))
    await wait_for(dev, lambda: rx.used_idx() == len(frames), what="RX used entries")
    for i, ((_uid, ulen, segs, _), f) in enumerate(zip(rx.reap(), frames, strict=True)):
        exp = rx_ref(f) if negotiated else None
        good += exp == "good"
        bad += exp == "bad"
        flags = DATA_VALID if exp == "good" else 0
        want = struct.pack("<BBHHHHH", flags, 0, 0, 0, 0, 0, 1) + f
        assert ulen == len(want), f"RX frame {i}: used len {ulen} != {len(want)}"
        got = m.read(segs[0][0], ulen)
        assert got[0] == flags, (
            f"RX frame {i}: flags {got[0]:#x}, want {flags:#x} ({exp}): {f.hex()}"
        )
        assert got == want, f"RX frame {i}: buffer differs"
    await check_counters(dev, 0, len(frames), sum(map(len, frames)), 0)
    return good, bad


def core_rx_frames(rng):
    # the device's RX path drops frames above MTU + 14 and empty ones before any stage matters
    return [f for f, _ in rx_cases(rng) if 0 < len(f) <= MAX_FRAME]


@cocotb.test(timeout_time=20, timeout_unit="ms")
async def test_offload_csum(dut):
    """CSUM and GUEST_CSUM negotiated: OFFLOAD_CAPS, the region reads 0 beyond the counters;
    TX checksums inserted (scapy frames), fields beyond the frame dropped (DROPS, CSUM_BAD);
    RX DATA_VALID on right checksums, CSUM_GOOD/CSUM_BAD counted."""
    dev = await new_device(dut)
    caps = await dev.rd32(regs.VIONIC_REG_OFFLOAD_CAPS)
    assert caps == 1 << regs.VIONIC_STAGE_TX_CSUM | 1 << regs.VIONIC_STAGE_RX_CSUM, hex(caps)
    for a in (
        regs.VIONIC_REG_OFFLOAD + 4,
        stage_reg(0, 8),
        stage_reg(2, 0),
        regs.VIONIC_OFFLOAD_END - 4,
    ):
        assert await dev.rd32(a) == 0, f"offload region {a:#x} not 0"
    rx, tx = await bring_up(dev, regs.VIONIC_DEVICE_FEATURES)
    assert regs.VIONIC_DEVICE_FEATURES & CSUM_FEATURES == CSUM_FEATURES
    cases = [
        tx_case(dev.rng, dev.rng.choice(["l4", "l4", "rand", "bad", "none"]))[:4] for _ in range(70)
    ]
    tx_good, tx_bad = await run_tx(dev, tx, cases, True)
    assert tx_bad and tx_good, "the random cases should have both"
    frames = core_rx_frames(dev.rng)
    rx_good, rx_bad = await run_rx(dev, rx, frames, True)
    cnt = await stage_counters(dev)
    assert cnt == {
        (regs.VIONIC_STAGE_TX_CSUM, regs.VIONIC_STAGE_CSUM_GOOD): tx_good,
        (regs.VIONIC_STAGE_TX_CSUM, regs.VIONIC_STAGE_CSUM_BAD): tx_bad,
        (regs.VIONIC_STAGE_RX_CSUM, regs.VIONIC_STAGE_CSUM_GOOD): rx_good,
        (regs.VIONIC_STAGE_RX_CSUM, regs.VIONIC_STAGE_CSUM_BAD): rx_bad,
    }, cnt
    # device reset clears the stage counters
    await dev.reset()
    assert set((await stage_counters(dev)).values()) == {0}


@cocotb.test(timeout_time=20, timeout_unit="ms")
async def test_offload_off(dut):
    """Neither negotiated: NEEDS_CSUM headers (even impossible ones) are ignored, frames pass
    untouched, DATA_VALID is never set, the stage counters stay 0."""
    dev = await new_device(dut)
    rx, tx = await bring_up(dev, regs.VIONIC_DEVICE_FEATURES & ~CSUM_FEATURES)
    cases = [tx_case(dev.rng, dev.rng.choice(["l4", "rand", "bad"]))[:4] for _ in range(40)]
    assert any(fl & NEEDS_CSUM for _, fl, _, _ in cases)
    await run_tx(dev, tx, cases, False)
    await run_rx(dev, rx, core_rx_frames(dev.rng), False)
    assert set((await stage_counters(dev)).values()) == {0}


@cocotb.test(timeout_time=20, timeout_unit="ms")
async def test_offload_absent(dut):
    """Core built with TX_CSUM=0 RX_CSUM=0: OFFLOAD_CAPS 0, CSUM/GUEST_CSUM not offered
    (FEATURES_OK refused with them), frames pass as without negotiation."""
    dev = await new_device(dut)
    assert await dev.rd32(regs.VIONIC_REG_OFFLOAD_CAPS) == 0
    offered, ok = await dev.negotiate(regs.VIONIC_DEVICE_FEATURES)
    assert offered == regs.VIONIC_DEVICE_FEATURES & ~CSUM_FEATURES, hex(offered)
    assert not ok, "FEATURES_OK accepted with an absent stage's feature"
    rx, tx = await bring_up(dev, offered)
    cases = [tx_case(dev.rng, dev.rng.choice(["l4", "rand"]))[:4] for _ in range(20)]
    await run_tx(dev, tx, cases, False)
    await run_rx(dev, rx, core_rx_frames(dev.rng)[:40], False)
    assert set((await stage_counters(dev)).values()) == {0}
