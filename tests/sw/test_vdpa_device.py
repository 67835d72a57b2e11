"""The device under a driver that is not libvionic (tests/sw/vdriver.py),
through libvionic's vDPA control plane, on both cores: rings that start
anywhere (VQ_STATE) and wrap at 65536, header and frame in separate
descriptors, chains of small buffers, SUSPEND, and interrupt suppression
honoured even when the driver re-enables interrupts without a doorbell."""

from __future__ import annotations

import random

import pytest
from vdriver import RX, TX, ForeignDriver

import vionic
from swutil import mac_of, make_frame, wait_for
from vionic import regs


@pytest.fixture
def loop_dev(backend):
    with vionic.open(backend, wire="loopback", start=False) as dev:
        yield dev


def _through(drv: ForeignDriver, frames: list[bytes], timeout: float = 10.0) -> list[bytes]:
    got: list[bytes] = []
    drv.send(frames)
    assert wait_for(lambda: got.extend(drv.received()) or len(got) >= len(frames), timeout), \
        f"{len(got)} of {len(frames)} frames came back"
    assert wait_for(lambda: drv.tx_done() >= 0 and drv.rings[TX].used_cons ==
                    drv.rings[TX].avail_idx, timeout)
    return got


@pytest.mark.parametrize("start", [0, 65530, 40000])
def test_rings_start_at_vq_state_and_wrap(loop_dev, seed, start):
    rng = random.Random(seed)
    drv = ForeignDriver(loop_dev, size=64, start=start)
    try:
        assert drv.vq_state(RX) == (0, 0) and drv.vq_state(TX) == (0, 0)
        drv.post_rx(32, kick=False)
        drv.start()
        dst = mac_of(loop_dev)
        sent = []
        for _ in range(3):      # 3 x 16 frames: every index from start to start + 48
            batch = [make_frame(rng, rng.randint(60, 1514), dst, i) for i in range(16)]
            sent += batch
            assert _through(drv, batch) == batch
            drv.post_rx(16)
        end = (start + 48) & 0xFFFF
        assert drv.vq_state(TX) == (end, end)
        assert drv.vq_state(RX) == (end, end)
        assert drv.rings[RX].used_idx() == end and drv.rings[TX].used_idx() == end
        st = loop_dev.stats()["device"]
        assert st["tx"]["packets"] == st["rx"]["packets"] == 48
        assert st["tx"]["bytes"] == sum(len(f) for f in sent)
        # a running queue takes no new state
        loop_dev.write_reg(regs.VIONIC_REG_VQ_STATE_BASE, 0x00050005)
        assert drv.vq_state(RX) == (end, end)
    finally:
        drv.close()
    assert drv.vq_state(RX) == (0, 0), "device reset returns VQ_STATE to 0"


@pytest.mark.parametrize("tx_pieces,rx_pieces,rx_buf", [(1, 1, 1536), (2, 2, 2048),
                                                         (4, 8, 1536), (8, 4, 2048)])
def test_any_buffer_layout(loop_dev, seed, tx_pieces, rx_pieces, rx_buf):
    """Header alone in its descriptor or with the frame, frames over several
    descriptors, RX chains of small buffers."""
    rng = random.Random(seed)
    drv = ForeignDriver(loop_dev, size=64, tx_pieces=tx_pieces, rx_pieces=rx_pieces,
                        rx_buf=rx_buf)
    try:
        drv.post_rx(8, kick=False)
        drv.start()
        dst = mac_of(loop_dev)
        frames = [make_frame(rng, rng.randint(60, 1514), dst, i) for i in range(8)]
        assert _through(drv, frames) == frames
        assert loop_dev.stats()["error"]["code"] == 0
    finally:
        drv.close()


def test_suspend_stops_the_rings_and_resume_goes_on(loop_dev, seed):
    rng = random.Random(seed)
    drv = ForeignDriver(loop_dev, size=64, start=100)
    try:
        drv.post_rx(32, kick=False)
        drv.start()
        dst = mac_of(loop_dev)
        first = [make_frame(rng, 200, dst, i) for i in range(8)]
        assert _through(drv, first) == first
        drv.suspend()
        assert loop_dev.read_reg(regs.VIONIC_REG_SUSPEND) == (
            regs.VIONIC_SUSPEND_REQ | regs.VIONIC_SUSPEND_DONE)
        state = drv.vq_state(TX)
        assert state == (108, 108)
        held = [make_frame(rng, 300, dst, 100 + i) for i in range(8)]
        drv.send(held)
        packets = loop_dev.stats()["device"]["tx"]["packets"]
        # nothing moves while suspended: the device is asked many times over
        for _ in range(50):
            assert drv.vq_state(TX) == state
        assert loop_dev.stats()["device"]["tx"]["packets"] == packets
        assert drv.rings[TX].used_idx() == 108
        drv.resume()
        got: list[bytes] = []
        assert wait_for(lambda: got.extend(drv.received()) or len(got) >= 8, 10.0)
        assert got == held
        assert drv.vq_state(TX) == (116, 116)
    finally:
        drv.close()


def test_interrupt_after_reenable_without_doorbell(loop_dev, seed):
    """Linux NAPI: suppress interrupts, poll, then clear NO_INTERRUPT and wait
    for the interrupt without ringing a doorbell. The device must look at
    the flags as they are when it publishes, not as they were last read."""
    rng = random.Random(seed)
    drv = ForeignDriver(loop_dev, size=64)
    try:
        drv.rings[RX].set_avail_flags(regs.VRING_AVAIL_F_NO_INTERRUPT)
        drv.rings[TX].set_avail_flags(regs.VRING_AVAIL_F_NO_INTERRUPT)
        drv.post_rx(32, kick=False)
        drv.start()
        dst = mac_of(loop_dev)
        f1 = [make_frame(rng, 100, dst, 1)]
        assert _through(drv, f1) == f1
        assert not drv.irq_fired(RX) and not drv.irq_fired(TX), "suppressed, yet it fired"
        drv.rings[RX].set_avail_flags(0)        # no doorbell on the RX ring
        drv.rings[TX].set_avail_flags(0)
        f2 = [make_frame(rng, 100, dst, 2)]
        assert _through(drv, f2) == f2
        assert wait_for(lambda: drv.irq_fired(RX), 5.0), "no RX interrupt after re-enable"
        assert wait_for(lambda: drv.irq_fired(TX), 5.0), "no TX interrupt after re-enable"
    finally:
        drv.close()


def test_a_polling_core_tells_drivers_not_to_kick(backend):
    with vionic.open(backend, wire="loopback", start=False) as dev:
        drv = ForeignDriver(dev, size=64)
        try:
            drv.post_rx(8, kick=False)
            drv.start()
            frame = [make_frame(random.Random(1), 80, mac_of(dev), 0)]
            assert _through(drv, frame) == frame
            flags = drv.rings[TX].used_flags()
            # the model polls its rings; the RTL is kicked, and says nothing
            expect = regs.VRING_USED_F_NO_NOTIFY if backend == "model" else 0
            assert flags == expect
        finally:
            drv.close()


def test_vdpa_calls_refused_once_libvionic_drives_the_device(nic):
    with pytest.raises(vionic.StateError, match="vionic_stop"):
        ForeignDriver(nic, size=64)


def test_chains_as_long_as_the_queue(loop_dev, seed):
    """A 64-entry ring whose TX and RX chains each use all 64 descriptors,
    the header in a descriptor of its own (DESIGN §4: chains up to the
    queue size)."""
    rng = random.Random(seed)
    drv = ForeignDriver(loop_dev, size=64, tx_pieces=64, rx_pieces=64, rx_buf=2048)
    try:
        drv.post_rx(1, kick=False)
        drv.start()
        dst = mac_of(loop_dev)
        for i in range(4):     # one chain in flight at a time: it takes every descriptor
            frame = [make_frame(rng, rng.randint(1000, 1514), dst, i)]
            assert _through(drv, frame) == frame
            drv.post_rx(1)
        assert loop_dev.stats()["error"]["code"] == 0
    finally:
        drv.close()
