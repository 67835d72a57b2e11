"""Checksum offload (VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM) on every core,
judged by scapy's checksums and an independent ones'-complement sum: the
frames a link partner sees, the DATA_VALID flag the driver gets, the stage
counters of the offload region, and bad headers that are dropped and counted
without harm."""

from __future__ import annotations

import random
import struct

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrHopByHop
from scapy.layers.l2 import ARP, Dot1Q, Ether

import vionic
from swutil import PEER, TX, connect_partner, mac_of, random_l4, recv_exactly, wait_for
from swutil import stage_counters as counters
from vionic import regs

CSUM_FEATURES = 1 << regs.VIRTIO_NET_F_CSUM | 1 << regs.VIRTIO_NET_F_GUEST_CSUM
TX_STAGE, RX_STAGE = regs.VIONIC_STAGE_TX_CSUM, regs.VIONIC_STAGE_RX_CSUM


def ones_complement_ok(segment: bytes, pseudo: bytes) -> bool:
    """An independent check: the L4 segment with its pseudo header sums to 0xFFFF."""
    data = pseudo + segment + b"\0" * (len(segment) & 1)
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s == 0xFFFF


def pseudo_header(pkt) -> bytes:
    ip = pkt[IP] if IP in pkt else pkt[IPv6]
    seg = bytes(ip.payload)
    proto = 6 if TCP in pkt else 17
    if IP in pkt:
        return bytes(ip)[12:20] + struct.pack("!BBH", 0, proto, len(seg))
    return bytes(ip)[8:40] + struct.pack("!IxxxB", len(seg), proto)


def l4_field(pkt) -> int:
    """Offset of the L4 checksum field in the frame."""
    l4 = pkt[TCP] if TCP in pkt else pkt[UDP]
    return len(pkt) - len(l4) + (16 if TCP in pkt else 6)


def test_checksum_features_are_offered_and_negotiated(nic):
    info = nic.info()
    assert info["device_features"] & CSUM_FEATURES == CSUM_FEATURES
    assert info["driver_features"] & CSUM_FEATURES == CSUM_FEATURES
    caps = nic.read_reg(regs.VIONIC_REG_OFFLOAD_CAPS)
    assert caps == 1 << TX_STAGE | 1 << RX_STAGE


def test_tx_checksum_completed_for_every_protocol(unix_wire, seed):
    """The field holds garbage when sent; the partner gets scapy's checksum."""
    dev, peer = unix_wire
    rng = random.Random(seed)
    good0, bad0 = counters(dev, TX_STAGE)
    pkts = [random_l4(rng, b"\x02\0\0\0\0\x01") for _ in range(40)]
    frames = []
    for p in pkts:
        raw, at = bytearray(bytes(p)), l4_field(p)
        raw[at:at + 2] = rng.randbytes(2)               # whatever the field holds
        frames.append(bytes(raw))
    assert dev.send(frames, csum=True) == len(frames)
    for p in pkts:
        want, at = bytes(p), l4_field(p)
        got = peer.recv(65536)
        assert len(got) == len(want)                     # the unix wire carries it as sent
        assert got[:at] == want[:at] and got[at + 2:] == want[at + 2:]
        field = got[at:at + 2]
        # scapy writes 0 for a TCP sum of 0; the device writes 0xFFFF (same value)
        assert field == want[at:at + 2] or (want[at:at + 2] == b"\0\0" and field == b"\xff\xff")
        l4_off = len(want) - len(p[TCP if TCP in p else UDP])
        assert ones_complement_ok(got[l4_off:len(want)], pseudo_header(p))
    assert wait_for(lambda: counters(dev, TX_STAGE) == (good0 + len(pkts), bad0))


def test_tx_without_the_request_sends_the_frame_as_it_is(unix_wire, seed):
    dev, peer = unix_wire
    rng = random.Random(seed)
    p = random_l4(rng, b"\x02\0\0\0\0\x01")
    raw = bytearray(bytes(p))
    raw[l4_field(p)] ^= 0xFF                             # a wrong checksum stays wrong
    good0 = counters(dev, TX_STAGE)
    dev.send([bytes(raw)])
    assert peer.recv(65536)[:len(raw)] == bytes(raw)
    assert counters(dev, TX_STAGE) == good0


def test_rx_marks_exactly_the_right_checksums(unix_wire, seed):
    dev, peer = unix_wire
    rng = random.Random(seed)
    dst = mac_of(dev).hex(":")
    eth = Ether(src=PEER, dst=dst)
    cases = []                                           # (frame, marked, counted bad)
    for _ in range(12):
        p = random_l4(rng, mac_of(dev))
        cases.append((bytes(p), True, False))
        raw = bytearray(bytes(p))
        raw[l4_field(p)] ^= 1 << rng.randrange(8)        # one bit off
        cases.append((bytes(raw), False, True))
    for n in (20, 400):   # IPv4 options part the pseudo header's addresses from L4
        p = eth / IP(src="198.18.0.1", dst="198.18.0.2", options=[b"\x01" * 8]) / \
            (TCP(dport=80) if n > 100 else UDP(dport=53)) / rng.randbytes(n)
        cases.append((bytes(p), True, False))
        raw = bytearray(bytes(p))
        raw[-1] ^= 0x40
        cases.append((bytes(raw), False, True))
    cases += [
        (bytes(random_l4(rng, mac_of(dev), vlan=True)), True, False),
        # padding after the IP datagram is not part of the sum
        (bytes(eth / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(dport=9) / b"hi") + b"\xaa" * 16,
         True, False),
        (bytes(eth / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(chksum=0) /
               b"no checksum".ljust(30, b".")), False, False),
        (bytes(eth / IP(flags="MF") / UDP() / b"first fragment".ljust(30, b".")), False, False),
        (bytes(eth / IP(frag=100) / UDP() / b"later fragment".ljust(30, b".")), False, False),
        (bytes(eth / IPv6() / IPv6ExtHdrHopByHop() / UDP() / b"ext".ljust(30, b".")), False,
         False),
        (bytes(eth / IPv6() / UDP(chksum=0) / b"v6 needs one".ljust(30, b".")), False, True),
        (bytes(eth / IP(len=1000) / TCP() / b"short".ljust(30, b".")), False, False),
        (bytes(eth / ARP()), False, False),
    ]
    rng.shuffle(cases)
    cases = [(f.ljust(regs.VIONIC_MIN_FRAME, b"\0"), m, b) for f, m, b in cases]
    good0, bad0 = counters(dev, RX_STAGE)
    for frame, _, _ in cases:
        peer.send(frame)
    got = []
    while len(got) < len(cases):
        more = dev.recv(64, timeout=5.0)
        assert more, f"{len(got)} of {len(cases)} frames arrived"
        got += more
    for (frame, marked, _), f in zip(cases, got, strict=True):
        assert bytes(f) == frame                         # never rewritten
        assert f.csum_valid is marked, Ether(frame).summary()
    assert counters(dev, RX_STAGE) == (good0 + sum(m for _, m, _ in cases),
                                       bad0 + sum(b for _, _, b in cases))


def test_checksums_over_every_length_and_buffer_layout(backend, tmp_path, seed):
    """Payloads of every length modulo 16 and jumbo frames to 9014 bytes
    (MTU 9000): completed on TX whether the frame is one descriptor or a
    chain, checked on RX whether it lands in one buffer or spreads over
    several (MRG_RXBUF), where the device sums while it copies."""
    checksums_over_every_length(backend, tmp_path, seed)


def test_model_checksums_with_sse2_only(tmp_path, seed, monkeypatch):
    """The same on the model limited to 128-bit vectors (VIONIC_MAX_SIMD_BITS,
    inherited by its server): its SSE2 loop sums whole frames from 64 bytes,
    where a CPU with AVX2 otherwise takes it only for the tails it writes
    around the caches (shorter sums take the scalar loop either way)."""
    monkeypatch.setenv("VIONIC_MAX_SIMD_BITS", "128")
    checksums_over_every_length("model", tmp_path, seed)


def checksums_over_every_length(backend, tmp_path, seed):
    rng = random.Random(seed)
    path = str(tmp_path / "w.sock")
    sizes = list(range(0, 48)) + [rng.randrange(48, 1400) for _ in range(6)] + \
        [rng.randrange(1400, 8900) for _ in range(6)] + [8900]
    with vionic.open(backend, wire=f"unix:{path}", mtu=9000) as dev:
        peer = connect_partner(dev, path)
        pkts = [random_l4(rng, mac_of(dev), vlan=False, payload=n, max_frame=9014)
                for n in sizes]
        tx_good0, _ = counters(dev, TX_STAGE)
        for p in pkts:                                   # TX: the field starts as garbage
            raw, at = bytearray(bytes(p)), l4_field(p)
            raw[at:at + 2] = rng.randbytes(2)
            assert dev.send([bytes(raw)], csum=True) == 1
            got = peer.recv(65536)
            want = bytes(p)
            assert got[:at] == want[:at] and got[at + 2:] == want[at + 2:], len(want)
            l4_off = len(want) - len(p[TCP if TCP in p else UDP])
            assert ones_complement_ok(got[l4_off:], pseudo_header(p)), len(want)
        assert counters(dev, TX_STAGE)[0] == tx_good0 + len(pkts)
        rx_good0, rx_bad0 = counters(dev, RX_STAGE)
        cases = []
        for p in pkts:                                   # RX: good, and one bit off
            raw = bytearray(bytes(p).ljust(regs.VIONIC_MIN_FRAME, b"\0"))
            cases.append((bytes(raw), True))
            end = len(bytes(p))                          # the flip lands in the summed part
            at = rng.randrange(end - len(p[TCP if TCP in p else UDP]), end - 2)
            at += 2 * (l4_field(p) <= at)                # not the field: UDP's 0 is "none"
            raw[at] ^= 1 << rng.randrange(8)
            cases.append((bytes(raw), False))
        for frame, marked in cases:
            peer.send(frame)
            (f,) = recv_exactly(dev, 1)
            assert bytes(f) == frame and f.csum_valid is marked, len(frame)
        assert counters(dev, RX_STAGE) == (rx_good0 + len(pkts), rx_bad0 + len(pkts))
        peer.close()


@pytest.mark.parametrize("wire", ["sink", "loopback"])
def test_tx_checksum_built_in_the_wires_own_buffer(backend, wire, tmp_path, seed):
    """Wires that let the device build a frame in their own buffer (the
    sink's pool, written around the caches from 256 bytes; the loopback
    FIFO) get the frame whole, its checksum completed: read back from a
    capture of the wire (sink) or as it comes back (loopback)."""
    tx_checksum_in_the_wires_buffer(backend, wire, tmp_path, seed)


def test_model_wire_buffer_checksums_with_sse2_only(tmp_path, seed, monkeypatch):
    """The same into the sink on the model limited to 128-bit vectors: its
    SSE2 loop copies around the caches and sums whole frames."""
    monkeypatch.setenv("VIONIC_MAX_SIMD_BITS", "128")
    tx_checksum_in_the_wires_buffer("model", "sink", tmp_path, seed)


def tx_checksum_in_the_wires_buffer(backend, wire, tmp_path, seed):
    from test_traffic import read_pcap

    rng = random.Random(seed)
    path = str(tmp_path / "wire.pcap")
    with vionic.open(backend, wire=wire, pcap=path) as dev:
        sizes = [0, 1, 15, 16, 17, 31, 33] + [rng.randrange(200, 1460) for _ in range(20)]
        pkts = [random_l4(rng, mac_of(dev), vlan=False, payload=n) for n in sizes]
        raws = []
        for p in pkts:
            raw, at = bytearray(bytes(p).ljust(regs.VIONIC_MIN_FRAME, b"\0")), l4_field(p)
            raw[at:at + 2] = rng.randbytes(2)
            raws.append(bytes(raw))
        assert dev.send(raws, csum=True) == len(raws)
        got = recv_exactly(dev, len(raws)) if wire == "loopback" else None
        assert wait_for(lambda: dev.stats()["device"]["tx"]["packets"] >= len(raws))
    frames = [bytes(f) for f in got] if got is not None else read_pcap(path)
    assert len(frames) == len(pkts)
    for p, raw, f in zip(pkts, raws, frames, strict=True):
        at = l4_field(p)
        assert len(f) == len(raw) and f[:at] == raw[:at] and f[at + 2:] == raw[at + 2:], len(f)
        l4_off = len(bytes(p)) - len(p[TCP if TCP in p else UDP])
        assert ones_complement_ok(f[l4_off:len(bytes(p))], pseudo_header(p)), len(f)


def test_without_negotiation_nothing_is_marked_or_completed(backend, tmp_path, seed):
    path = str(tmp_path / "w.sock")
    rng = random.Random(seed)
    with vionic.open(backend, wire=f"unix:{path}", start=False) as dev:
        dev.configure(features=dev.info()["device_features"] & ~CSUM_FEATURES)
        dev.start()
        peer = connect_partner(dev, path)
        p = random_l4(rng, mac_of(dev))
        peer.send(bytes(p))
        (f,) = recv_exactly(dev, 1)
        assert bytes(f) == bytes(p) and not f.csum_valid
        with pytest.raises(vionic.InvalidArgument, match="VIRTIO_NET_F_CSUM"):
            dev.send([bytes(p)], csum=True)
        assert counters(dev, RX_STAGE) == (0, 0) and counters(dev, TX_STAGE) == (0, 0)
        peer.close()


def test_csum_request_for_a_frame_without_tcp_or_udp_is_refused(nic):
    frame = bytes(Ether(dst=mac_of(nic).hex(":")) / ARP())
    before = nic.stats()["device"]["tx"]["packets"]
    with pytest.raises(vionic.InvalidArgument, match="not TCP or UDP"):
        nic.send([bytes(random_l4(random.Random(1), mac_of(nic))), frame], csum=True)
    assert nic.stats()["device"]["tx"]["packets"] == before   # nothing was queued


@pytest.mark.parametrize("where", ["start beyond the frame", "field beyond the frame"])
def test_bad_csum_start_is_dropped_and_counted(unix_wire, where):
    """A driver's header whose checksum field lies outside the frame: the
    device drops the frame, counts it, touches nothing and keeps going."""
    dev, peer = unix_wire
    iova, size, host = dev.dma_window()
    frame = bytes(random_l4(random.Random(2), b"\x02\0\0\0\0\x01"))
    start, offset = (len(frame) + 4, 0) if where.startswith("start") else (len(frame) - 10, 9)
    hdr = struct.pack("<BBHHHHH", regs.VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, start, offset, 0)
    at = size - 4096
    host[at:at + len(hdr) + len(frame)] = hdr + frame
    host[at + len(hdr) + len(frame):at + 4096] = b"\x5a" * (4096 - len(hdr) - len(frame))
    drops0 = dev.stats()["device"]["tx"]["drops"]
    good0, bad0 = counters(dev, TX_STAGE)
    dev.debug_write_desc(TX, 0, iova + at, len(hdr) + len(frame))
    dev.debug_post(TX, 0)
    assert wait_for(lambda: dev.stats()["device"]["tx"]["drops"] == drops0 + 1)
    assert counters(dev, TX_STAGE) == (good0, bad0 + 1)
    assert bytes(host[at + len(hdr):at + len(hdr) + len(frame)]) == frame   # untouched
    assert bytes(host[at + len(hdr) + len(frame):at + 4096]) == b"\x5a" * (
        4096 - len(hdr) - len(frame))
    dev.check()                                          # no NEEDS_RESET
    good = bytes(random_l4(random.Random(3), b"\x02\0\0\0\0\x01"))
    dev.send([good], csum=True)                          # and the queue goes on
    assert peer.recv(65536)[:len(good)] == good


def test_tx_prepare_and_csum_prepare_as_dpdk_has_them(nic):
    """The C API: vionic_tx_csum_prepare finds the headers and seeds the
    field with the pseudo-header sum; vionic_tx_prepare stops at the first
    frame the device could not complete."""
    from vionic._ext import ffi, lib

    h = nic._handle
    p = Ether(dst=mac_of(nic).hex(":"), src=PEER) / Dot1Q(vlan=7) / \
        IP(src="198.18.0.1", dst="198.18.0.2") / TCP(dport=80) / (b"x" * 100)
    mbufs = [lib.vionic_mbuf_alloc(h) for _ in range(2)]
    try:
        for m in mbufs:
            raw = bytes(p)
            ffi.memmove(m.data, raw, len(raw))
            m.len = len(raw)
        assert lib.vionic_tx_csum_prepare(mbufs[0]) == 0
        m = mbufs[0]
        assert (m.l2_len, m.l3_len, m.ol_flags) == (18, 20, lib.VIONIC_MBUF_F_TX_TCP_CKSUM)
        seed = bytes(ffi.buffer(m.data, m.len))[l4_field(p):l4_field(p) + 2]
        pseudo = pseudo_header(p)
        s = sum(struct.unpack(f"!{len(pseudo) // 2}H", pseudo))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        assert int.from_bytes(seed, "big") == s             # folded, not complemented
        mbufs[1].ol_flags = lib.VIONIC_MBUF_F_TX_UDP_CKSUM    # l2/l3 left at 0: field at 6
        mbufs[1].len = 7
        arr = ffi.new("struct vionic_mbuf *[]", mbufs)
        assert lib.vionic_tx_prepare(h, 0, arr, 2) == 1
        assert "beyond the frame" in ffi.string(lib.vionic_last_error()).decode()
        ffi.memmove(mbufs[1].data, b"\x02" * 6, 6)
        assert lib.vionic_tx_csum_prepare(mbufs[1]) == regs.VIONIC_EINVAL
    finally:
        for m in mbufs:
            lib.vionic_mbuf_free(h, m)
