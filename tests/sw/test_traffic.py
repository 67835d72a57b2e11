"""Frames through the PMD, the sim link and the device core, on every wire."""

import random
import re
import shutil
import struct
import subprocess

import numpy as np
import pytest

import vionic
from swutil import mac_of, make_frame, mempool_full, recv_exactly, wait_for


@pytest.mark.parametrize("ring", [64, 256, 1024])
def test_many_wraparounds_keep_order_and_content(backend, seed, ring):
    rng = random.Random(seed)
    with vionic.open(backend, rx_ring_size=ring, tx_ring_size=ring) as dev:
        dst = mac_of(dev)
        total = ring * 6 + 17                       # six wraps and a ragged end
        sent, got = [], []
        while len(sent) < total:
            batch = [make_frame(rng, rng.randint(60, 1514), dst, len(sent) + i)
                     for i in range(min(rng.randint(1, ring), total - len(sent)))]
            dev.send(batch)
            sent.extend(batch)
            got.extend(recv_exactly(dev, len(batch)))
        assert len(got) == total
        assert got == sent
        st = dev.stats()
        nbytes = sum(map(len, sent))
        assert st["tx_packets"] == st["rx_packets"] == total
        assert st["device"]["tx"] == {"packets": total, "bytes": nbytes, "drops": 0, "errors": 0}
        assert st["device"]["rx"] == {"packets": total, "bytes": nbytes, "drops": 0, "errors": 0}
        assert mempool_full(dev)


def test_every_frame_size_60_to_1514(nic, seed):
    rng = random.Random(seed)
    dst = mac_of(nic)
    frames = [make_frame(rng, size, dst, size) for size in range(60, 1515)]
    got = []
    for i in range(0, len(frames), 100):
        nic.send(frames[i:i + 100])
        got.extend(recv_exactly(nic, len(frames[i:i + 100])))
    assert [len(f) for f in got] == list(range(60, 1515))
    assert got == frames


def test_numpy_batches_round_trip(nic, seed):
    rng = np.random.default_rng(seed)
    n = 500
    data = rng.integers(0, 256, size=(n, 1514), dtype=np.uint8)
    lengths = rng.integers(60, 1515, size=n).astype(np.uint16)
    rows, lens = [], []
    for start in range(0, n, 100):               # within what the RX ring holds
        assert nic.send_batch(data[start:start + 100], lengths[start:start + 100]) == \
            len(lengths[start:start + 100])
        while sum(len(x) for x in lens) < min(start + 100, n):
            r, ln = nic.recv_batch(256, timeout=2.0)
            if not len(ln):
                break
            rows.append(r.copy())
            lens.append(ln.copy())
    rows, lens = np.concatenate(rows), np.concatenate(lens)
    assert np.array_equal(lens, lengths)
    for i in range(n):
        assert np.array_equal(rows[i, :lens[i]], data[i, :lengths[i]]), f"frame {i} differs"


def test_recv_times_out_empty(nic):
    import time
    t0 = time.monotonic()
    assert nic.recv(8, timeout=0.2) == []
    assert time.monotonic() - t0 >= 0.15


def test_blocking_recv_wakes_on_frame(nic):
    """recv(timeout) sleeps on the queue's interrupt eventfd and returns as soon
    as a frame arrives."""
    frame = bytes(range(100))
    nic.send([frame])
    assert nic.recv(1, timeout=5.0) == [frame]


def test_rx_ring_empty_drops_and_counts_without_stalling_tx(backend, seed):
    rng = random.Random(seed)
    with vionic.open(backend, rx_ring_size=64, tx_ring_size=256) as dev:
        dst = mac_of(dev)
        frames = [make_frame(rng, 64, dst, i) for i in range(200)]
        dev.send(frames)                                    # nobody receives meanwhile
        assert wait_for(lambda: dev.stats()["device"]["tx"]["packets"] == 200)
        got = recv_exactly(dev, 200, timeout=1.0)
        st = dev.stats()
        assert 0 < len(got) <= 64
        assert got == frames[:len(got)]                     # the first ones, intact
        assert st["device"]["rx"]["drops"] == 200 - len(got)
        assert st["device"]["rx"]["packets"] == len(got)
        assert st["error"]["code"] == 0
        dev.send(frames[:10])                               # and traffic goes on
        assert recv_exactly(dev, 10) == frames[:10]


def test_oversized_tx_frame_dropped_and_counted_not_an_error(nic):
    """A TX descriptor chain carrying more than MTU+14 frame bytes (posted raw,
    as the library refuses to send it): dropped, counted, no NEEDS_RESET."""
    iova, size, host = nic.dma_window()
    buf = iova + size - 4096                                 # scratch area at the window end
    nic.debug_write_desc(1, 0, buf, 12 + 2000, 0, 0)
    nic.debug_post(1, 0)
    assert wait_for(lambda: nic.stats()["device"]["tx"]["drops"] == 1)
    assert nic.stats()["error"]["code"] == 0
    nic.check()


def test_unix_wire_both_directions(unix_wire, seed):
    dev, peer = unix_wire
    rng = random.Random(seed)
    dst = mac_of(dev)
    out = [make_frame(rng, rng.randint(60, 1514), dst, i) for i in range(100)]
    dev.send(out)
    assert [peer.recv(4096) for _ in out] == out
    inbound = [make_frame(rng, rng.randint(60, 1514), dst, i) for i in range(100)]
    for f in inbound:
        peer.send(f)
    assert recv_exactly(dev, 100) == inbound


def test_unix_wire_without_partner_loses_frames_on_the_wire(backend, tmp_path):
    """Like an unplugged cable: the NIC transmits, the frames are gone, and
    the device counts them as transmitted (wire loss is not a device drop)."""
    with vionic.open(backend, wire=f"unix:{tmp_path / 'w.sock'}") as dev:
        dev.send([bytes(range(64))] * 20)
        assert wait_for(lambda: dev.stats()["device"]["tx"]["packets"] == 20)
        assert dev.stats()["device"]["tx"]["drops"] == 0
        assert dev.stats()["error"]["code"] == 0


def test_unix_cable_between_nics_reconnects(backend, tmp_path, seed):
    """Two NICs on one cable: the second to open connects to the first. When
    the first (listening) end goes away and a new NIC takes its place, the
    connecting NIC reconnects by itself and frames flow both ways again."""
    rng = random.Random(seed)
    path = f"unix:{tmp_path / 'cable.sock'}"

    def through(src, dst_dev) -> bool:
        frame = make_frame(rng, rng.randint(60, 1514), mac_of(dst_dev), 0)
        src.send([frame])
        return dst_dev.recv(1, timeout=0.05) == [frame]

    first = vionic.open(backend, wire=path)                # listens
    try:
        with vionic.open("model", wire=path) as stays:       # connects to `first`
            assert wait_for(lambda: through(first, stays)) and through(stays, first)
            first.close()                                    # the listening end goes away
            with vionic.open(backend, wire=path) as second:  # listens anew; `stays` retries
                assert wait_for(lambda: through(second, stays)) and through(stays, second)
    finally:
        first.close()


def test_unix_wire_rx_frame_larger_than_buffer_dropped(unix_wire):
    dev, peer = unix_wire
    peer.send(bytes(4000))                                   # larger than any RX buffer
    assert wait_for(lambda: dev.stats()["device"]["rx"]["drops"] == 1)
    assert dev.stats()["error"]["code"] == 0
    small = bytes(range(64))
    peer.send(small)
    assert dev.recv(1, timeout=2.0) == [small]


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, _, _, _, _, snaplen, linktype = struct.unpack_from("<IHHiIII", data, 0)
    assert magic == 0xA1B2C3D4 and linktype == 1
    frames, off = [], 24
    while off < len(data):
        _, _, incl, orig = struct.unpack_from("<IIII", data, off)
        frames.append(data[off + 16: off + 16 + incl])
        assert incl == orig
        off += 16 + incl
    return frames


def test_pcap_wire_records_what_the_nic_transmits(backend, tmp_path, seed):
    rng = random.Random(seed)
    path = tmp_path / "tx.pcap"
    with vionic.open(backend, wire=f"pcap:{path}") as dev:
        frames = [make_frame(rng, rng.randint(60, 1514), mac_of(dev), i) for i in range(50)]
        dev.send(frames)
        assert wait_for(lambda: dev.stats()["device"]["tx"]["packets"] == 50)
    assert read_pcap(path) == frames
    if shutil.which("tcpdump"):
        out = subprocess.run(["tcpdump", "-r", str(path), "-nn"], capture_output=True, text=True)
        # one line per frame, each starting with its timestamp (tcpdump adds hex
        # lines of its own for some frames)
        assert len(re.findall(r"^\d\d:\d\d:\d\d\.\d+ ", out.stdout, re.M)) == 50
