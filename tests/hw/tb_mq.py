"""cocotb tests of vionic_core with several queue pairs (MQ) and the control queue."""

from __future__ import annotations

import os
import struct

import cocotb
from cocotbext.axi import AxiStreamFrame
from tb_core import RXBUF, Traffic, check_counters, expect_error, new_device, wait_for
from vionic_model import NO_VECTOR, UP_TO_DRIVER_OK, common, devcfg, make_frame, split_segments

from vionic import regs

MQ = regs.VIONIC_MQ_FEATURES
# every feature offered but HASH_REPORT: Traffic's 12-byte virtio header (tb_rss: the 20-byte)
MQ_FEATURES = ((regs.VIONIC_DEVICE_FEATURES | MQ | regs.VIONIC_RSS_FEATURES)
               & ~(1 << regs.VIRTIO_NET_F_HASH_REPORT))
# command bytes the control queue takes (class, command, data)
CTRL_MAX_CMD = regs.VIONIC_CTRL_MAX_CMD


def pairs_of(_dut):
    """The build's NUM_QUEUE_PAIRS (test_core.py passes it)."""
    return int(os.environ["VIONIC_QUEUE_PAIRS"])


async def mq_bring_up(dev, pairs, features=MQ_FEATURES, size=64):
    """Device with every queue of `pairs` pairs and the control queue enabled."""
    await dev.reset()
    _, ok = await dev.negotiate(features)
    assert ok
    await dev.wr16(common(regs.VIRTIO_PCI_COMMON_MSIX), 0)
    rxs, txs = [], []
    for k in range(pairs):
        rxs.append(await dev.setup_queue(2 * k, size, msix=2 * k + 1))
        txs.append(await dev.setup_queue(2 * k + 1, size, msix=2 * k + 2))
    ctrl = await dev.setup_queue(2 * pairs, 16)
    await dev.set_status(UP_TO_DRIVER_OK)
    return rxs, txs, ctrl


def ctrl_post(dev, ctrl, cmd: bytes, ack=True, max_segs=3):
    """Post a command (split over up to max_segs readable descriptors) and an ack byte."""
    m = dev.mem
    parts = []
    for n in split_segments(dev.rng, len(cmd), max_segs) if cmd else []:
        a = m.alloc(n, dev.rng.choice([1, 2, 64]))
        parts.append((a, n))
    off = 0
    segs = []
    for a, n in parts:
        m.write(a, cmd[off : off + n])
        segs.append((a, n, False))
        off += n
    ack_addr = None
    if ack:
        ack_addr = m.alloc(1, 1)
        m.write(ack_addr, b"\xaa")
        segs.append((ack_addr, 1, True))
    ctrl.add(segs)
    return ack_addr


async def ctrl_run(dev, ctrl, cmd, ack=True):
    """One command through the control queue: (used length, ack byte or None)."""
    want = (ctrl.used_idx() + 1) & 0xFFFF
    ack_addr = ctrl_post(dev, ctrl, cmd, ack)
    await ctrl.kick()
    await wait_for(dev, lambda: ctrl.used_idx() == want, what="control used entry")
    (_, ulen, _, _), = ctrl.reap()
    return ulen, (dev.mem.read(ack_addr, 1)[0] if ack else None)


def pairs_set(n, extra=b""):
    cls_cmd = bytes([regs.VIRTIO_NET_CTRL_MQ, regs.VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET])
    return cls_cmd + struct.pack("<H", n) + extra


@cocotb.test(timeout_time=100, timeout_unit="ms")
async def test_mq_config(dut):
    """Features (MQ, CTRL_VQ, RSS), num_queues, max_virtqueue_pairs, the RSS limits,
    MAX_QUEUE_PAIRS, vectors of N pairs."""
    n = pairs_of(dut)
    dev = await new_device(dut)
    await dev.reset()
    offered, ok = await dev.negotiate()
    assert ok
    want = regs.VIONIC_DEVICE_FEATURES | MQ | regs.VIONIC_RSS_FEATURES
    assert offered == want, f"features {offered:#x}"
    assert await dev.rd16(common(regs.VIRTIO_PCI_COMMON_NUMQ)) == 2 * n + 1
    assert await dev.rd16(devcfg(regs.VIRTIO_NET_CFG_MAX_VQ_PAIRS)) == n
    assert await dev.rd8(devcfg(regs.VIRTIO_NET_CFG_RSS_KEY_SIZE)) == regs.VIONIC_RSS_KEY_SIZE
    assert await dev.rd16(devcfg(regs.VIRTIO_NET_CFG_RSS_TABLE_LEN)) == regs.VIONIC_RSS_TABLE_LEN
    assert await dev.rd32(devcfg(regs.VIRTIO_NET_CFG_HASH_TYPES)) == regs.VIONIC_RSS_HASH_TYPES
    assert await dev.rd32(regs.VIONIC_REG_MAX_QUEUE_PAIRS) == n
    vectors = 2 * n + 2
    for q, vec, back in ((2 * n, vectors - 1, vectors - 1), (0, vectors, NO_VECTOR)):
        await dev.wr16(common(regs.VIRTIO_PCI_COMMON_Q_SELECT), q)
        await dev.wr16(common(regs.VIRTIO_PCI_COMMON_Q_MSIX), vec)
        got = await dev.rd16(common(regs.VIRTIO_PCI_COMMON_Q_MSIX))
        assert got == back, f"queue {q} vector {vec} reads {got:#x}"


@cocotb.test(timeout_time=200, timeout_unit="ms")
async def test_mq_tx(dut):
    """Random frames on every transmitq under back-pressure and DMA latency: each queue's
    frames reach the wire whole and in order, counted on their own queue."""
    n = pairs_of(dut)
    dev = await new_device(dut)
    rxs, txs, _ = await mq_bring_up(dev, n, size=256)
    ts = [Traffic(dev, rxs[k], txs[k], max_segs=3) for k in range(n)]
    want = [[] for _ in range(n)]
    for _round in range(4):
        for k in range(n):
            for _ in range(dev.rng.randint(0, 6)):
                f = make_frame(dev.rng, dev.rng.randint(60, 1514), tag=k)
                ts[k].tx_post(f)
        for k in dev.rng.sample(range(n), n):
            await txs[k].kick()
    for k in range(n):
        want[k] = list(ts[k].tx_expect)
    total = sum(len(w) for w in want)
    got = 0
    for _ in range(200000):
        while dev.tx_sink.count():
            f = bytes(dev.tx_sink.recv_nowait().tdata)
            owners = [k for k in range(n) if want[k] and want[k][0] == f]
            assert owners, f"TX frame of {len(f)} bytes is no queue's next frame"
            want[owners[0]].pop(0)
            got += 1
        if got == total:
            break
        await dev.cycles(16)
    assert got == total, f"{got} of {total} TX frames on the wire"
    for k in range(n):
        await wait_for(dev, lambda k=k: txs[k].used_idx() == ts[k].tx_pkts, what=f"TX{k} used")
        ts[k].check_tx_used()
        await check_counters(dev, 2 * k + 1, ts[k].tx_pkts, ts[k].tx_bytes, 0)


@cocotb.test(timeout_time=200, timeout_unit="ms")
async def test_mq_rx_one_pair_active(dut):
    """With pairs_active 1 (after reset) every frame goes to receiveq 0; the other
    receive queues get nothing and count nothing."""
    n = pairs_of(dut)
    dev = await new_device(dut)
    rxs, txs, _ = await mq_bring_up(dev, n)
    ts = [Traffic(dev, rxs[k], txs[k], buf_size=RXBUF) for k in range(n)]
    for k in range(n):
        ts[k].rx_post(8)
        await rxs[k].kick()
    frames = [make_frame(dev.rng, dev.rng.randint(60, 1514)) for _ in range(8)]
    for f in frames:
        ts[0].rx_expect.append(f)
        await dev.rx_src.send(AxiStreamFrame(f))
    await wait_for(dev, lambda: rxs[0].used_idx() == 8, what="8 RX used")
    ts[0].check_rx_used()
    await check_counters(dev, 0, 8, sum(len(f) for f in frames), 0)
    for k in range(1, n):
        assert rxs[k].used_idx() == 0
        await check_counters(dev, 2 * k, 0, 0, 0)


@cocotb.test(timeout_time=200, timeout_unit="ms")
async def test_ctrl_commands(dut):
    """VQ_PAIRS_SET answered OK within 1..N; every malformed or other command ERR;
    a command longer than CTRL_MAX_CMD ERR; a chain without an ack byte returned with used
    length 0; without MQ negotiated even a good VQ_PAIRS_SET is ERR."""
    n = pairs_of(dut)
    dev = await new_device(dut)
    _, _, ctrl = await mq_bring_up(dev, n)
    ok, err = regs.VIRTIO_NET_OK, regs.VIRTIO_NET_ERR
    cases = [
        (pairs_set(n), ok),
        (pairs_set(1), ok),
        (pairs_set(dev.rng.randint(1, n)), ok),
        (pairs_set(0), err),
        (pairs_set(n + 1), err),
        (pairs_set(2, b"\x00"), err),                               # 5 bytes
        (pairs_set(2)[:3], err),                                    # 3 bytes
        (bytes([regs.VIRTIO_NET_CTRL_MQ, 1]) + struct.pack("<H", 1), err),   # another command
        (bytes([regs.VIRTIO_NET_CTRL_RX, 0]) + struct.pack("<H", 1), err),   # another class
        (bytes([regs.VIRTIO_NET_CTRL_MAC, 0, 1, 0]), err),
        (pairs_set(1, bytes(CTRL_MAX_CMD - 3)), err),               # one byte too long
        (pairs_set(1) + bytes(CTRL_MAX_CMD - 4), err),              # exactly the most, wrong length
    ]
    dev.rng.shuffle(cases)
    for cmd, want in cases:
        ulen, ack = await ctrl_run(dev, ctrl, cmd)
        assert ulen == 1, f"command {cmd.hex()}: used length {ulen}"
        assert ack == want, f"command {cmd.hex()}: ack {ack} != {want}"
    # no writable descriptor: not executed, used length 0
    ulen, _ = await ctrl_run(dev, ctrl, pairs_set(1), ack=False)
    assert ulen == 0
    # long commands over many descriptors: only CTRL_MAX_CMD bytes are read, the answer is ERR
    ulen, ack = await ctrl_run(dev, ctrl, pairs_set(1, bytes(600)))
    assert (ulen, ack) == (1, err)
    # MQ not negotiated
    _, _, ctrl = await mq_bring_up(dev, n, features=regs.VIONIC_DEVICE_FEATURES |
                                   (1 << regs.VIRTIO_NET_F_CTRL_VQ))
    ulen, ack = await ctrl_run(dev, ctrl, pairs_set(1))
    assert (ulen, ack) == (1, err)
    assert await dev.rd32(regs.VIONIC_REG_ERR_CODE) == 0


@cocotb.test(timeout_time=200, timeout_unit="ms")
async def test_ctrl_errors(dut):
    """A readable descriptor after a writable one is VIONIC_ERR_DIRECTION on the control
    queue; a command read from outside the memory map is VIONIC_ERR_DMA (its descriptor
    and address); each stops the control queue only: TX still runs."""
    n = pairs_of(dut)
    cq = 2 * n
    dev = await new_device(dut)
    m = dev.mem
    for case in ("direction", "dma_read", "dma_ack"):
        rxs, txs, ctrl = await mq_bring_up(dev, n)
        dev.irq_sink.clear()
        # beats of their own: a fault covers the whole beats of the range
        a = m.alloc(64, 64)
        m.write(a, pairs_set(1))
        ack = m.alloc(64, 64)
        if case == "direction":
            head = ctrl.add([(a, 2, False), (ack, 1, True), (a + 2, 2, False)])
            desc_idx = ctrl.chains[head][0][2]
            await ctrl.kick()
            await expect_error(dev, regs.VIONIC_ERR_DIRECTION, cq, desc=desc_idx, addr=a + 2,
                               what=case)
        elif case == "dma_read":
            m.bad.append((a, a + 4))
            head = ctrl.add([(a, 4, False), (ack, 1, True)])
            await ctrl.kick()
            await expect_error(dev, regs.VIONIC_ERR_DMA, cq, desc=head, addr=a, what=case)
        else:
            m.bad.append((ack, ack + 1))
            head = ctrl.add([(a, 4, False), (ack, 1, True)])
            desc_idx = ctrl.chains[head][0][1]
            await ctrl.kick()
            await expect_error(dev, regs.VIONIC_ERR_DMA, cq, desc=desc_idx, addr=ack, what=case)
        m.bad.clear()
        await dev.cycles(200)
        assert ctrl.used_idx() == 0, f"{case}: the failed chain got a used entry"
        # the other queues still run
        k = dev.rng.randrange(n)
        t = Traffic(dev, rxs[k], txs[k])
        f = make_frame(dev.rng, 200)
        t.tx_post(f)
        await txs[k].kick()
        await t.check_tx_wire(1)
        await dev.reset()


@cocotb.test(timeout_time=200, timeout_unit="ms")
async def test_mq_tx_fault(dut):
    """A DMA fault on one transmitq's buffer stops that queue (VIONIC_ERR_DMA,
    NEEDS_RESET, ERRORS 1); the other transmit queues still send."""
    n = pairs_of(dut)
    dev = await new_device(dut)
    m = dev.mem
    rxs, txs, _ = await mq_bring_up(dev, n)
    bad = dev.rng.randrange(n)
    ts = [Traffic(dev, rxs[k], txs[k]) for k in range(n)]
    a = m.alloc(regs.VIONIC_NET_HDR_LEN + 200, 64)
    m.bad.append((a, a + regs.VIONIC_NET_HDR_LEN + 200))
    head = txs[bad].add([(a, regs.VIONIC_NET_HDR_LEN + 200, False)])
    await txs[bad].kick()
    await expect_error(dev, regs.VIONIC_ERR_DMA, 2 * bad + 1, desc=head, addr=a, what="tx fault")
    m.bad.clear()
    # the failed frame may have started on the wire: it ends aborted (tuser), as one frame
    await dev.cycles(200)
    aborted = [dev.tx_sink.recv_nowait() for _ in range(dev.tx_sink.count())]
    assert len(aborted) <= 1 and all(f.tuser for f in aborted), "the failed frame was sent"
    # the other queues still send; the stopped one sends nothing more
    ts[bad].tx_post(make_frame(dev.rng, 100))
    await txs[bad].kick()
    for k in range(n):
        if k != bad:
            ts[k].tx_post(make_frame(dev.rng, 300, tag=k))
            await txs[k].kick()
            await ts[k].check_tx_wire(1)
    await dev.cycles(500)
    assert dev.tx_sink.count() == 0, "the stopped queue sent a frame"
    st = await dev.qstat(2 * bad + 1)
    assert st["errors"] == 1 and st["packets"] == 0
