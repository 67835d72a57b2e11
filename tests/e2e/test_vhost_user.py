"""`vionic vdpa` against bad vhost-user front-ends: each bad request gets a
clear log line and an error reply (REPLY_ACK) or a closed connection, never a
crash of the backend or the device server; then a good front-end is served.
Ends with a seeded fuzz of random messages."""

from __future__ import annotations

import array
import mmap
import os
import random
import socket
import struct

import pytest

import vionic
from e2eutil import wait_until
from vionic import regs
from vionic import vhost_user as vu
from vionic.vdpa import BackendThread

ACK = 1 << vu.ProtoF.REPLY_ACK


class Frontend:
    def __init__(self, path: str):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.settimeout(10)

    def send(self, req: int, payload: bytes = b"", fds=(), flags: int = vu.VERSION,
             size: int | None = None) -> None:
        hdr = vu.HEADER.pack(req, flags, len(payload) if size is None else size)
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
        self.s.sendmsg([hdr + payload], anc)

    def reply(self) -> bytes | None:
        """The reply's payload, or None if the backend closed the connection."""
        try:
            hdr = self.s.recv(vu.HEADER.size, socket.MSG_WAITALL)
            if len(hdr) < vu.HEADER.size:
                return None
            _, flags, size = vu.HEADER.unpack(hdr)
            assert flags & vu.FLAG_REPLY
            return self.s.recv(size, socket.MSG_WAITALL) if size else b""
        except (ConnectionResetError, TimeoutError):
            return None

    def ask(self, req: int, payload: bytes = b"", fds=()) -> bytes | None:
        self.send(req, payload, fds, flags=vu.VERSION | vu.FLAG_NEED_REPLY)
        return self.reply()

    def close(self):
        self.s.close()


@pytest.fixture
def backend(tmp_path):
    with vionic.open("model", wire="loopback", start=False) as dev:
        with BackendThread(dev, str(tmp_path / "vu.sock")) as be:
            be.path = str(tmp_path / "vu.sock")
            be.dev = dev
            yield be
            # whatever happened, the device server and the backend still serve
            be.wait_idle()
            be.call(dev.check)
            fe = Frontend(be.path)
            fe.send(vu.Req.GET_FEATURES)
            got = vu.U64.unpack(fe.reply())[0]
            assert got & (1 << regs.VIRTIO_F_VERSION_1) and got & (1 << vu.F_PROTOCOL_FEATURES)
            fe.close()


def _acked(be) -> Frontend:
    fe = Frontend(be.path)
    fe.send(vu.Req.GET_FEATURES)
    fe.reply()
    fe.send(vu.Req.SET_PROTOCOL_FEATURES, vu.U64.pack(ACK))
    return fe


def _memfd(size: int = 1 << 20) -> int:
    fd = os.memfd_create("fe", os.MFD_CLOEXEC)
    os.ftruncate(fd, size)
    return fd


def _mem_table(regions) -> bytes:
    return vu.MEM_HEADER.pack(len(regions), 0) + b"".join(vu.MEM_REGION.pack(*r) for r in regions)


def test_feature_negotiation_and_config(backend):
    fe = _acked(backend)
    fe.send(vu.Req.GET_FEATURES)
    offered = vu.U64.unpack(fe.reply())[0]
    assert not offered & (1 << regs.VIRTIO_F_ACCESS_PLATFORM)
    assert not offered & (1 << regs.VIRTIO_F_NOTIFICATION_DATA)
    assert offered & (1 << regs.VIRTIO_NET_F_MTU)
    # MAC from the device config, through GET_CONFIG
    fe.send(vu.Req.GET_CONFIG, vu.CONFIG_HEADER.pack(0, 6, 0))
    assert fe.reply()[12:] == bytes.fromhex(backend.call(backend.dev.info)["mac"].replace(":", ""))
    assert vu.U64.unpack(fe.ask(vu.Req.SET_FEATURES, vu.U64.pack(1 << 63)))[0] != 0
    assert vu.U64.unpack(fe.ask(vu.Req.SET_FEATURES, vu.U64.pack(
        offered & ~(1 << regs.VIRTIO_F_VERSION_1))))[0] != 0
    assert vu.U64.unpack(fe.ask(vu.Req.SET_FEATURES, vu.U64.pack(offered)))[0] == 0
    assert vu.U64.unpack(fe.ask(vu.Req.NET_SET_MTU, vu.U64.pack(9000)))[0] != 0
    fe.close()
    assert any("SET_FEATURES refused" in m for m in backend.lines)


def test_bad_memory_and_rings_get_error_replies(backend):
    fe = _acked(backend)
    fe.send(vu.Req.GET_FEATURES)
    fe.ask(vu.Req.SET_FEATURES, fe.reply())
    nack = lambda r: vu.U64.unpack(r)[0] != 0   # noqa: E731
    a, b = _memfd(), _memfd()
    # overlapping regions, then a region count that does not match the fds
    assert nack(fe.ask(vu.Req.SET_MEM_TABLE, _mem_table(
        [(0, 1 << 20, 0x10000000, 0), (0x80000, 1 << 20, 0x20000000, 0)]), [a, b]))
    assert nack(fe.ask(vu.Req.SET_MEM_TABLE, _mem_table([(0, 1 << 20, 0x10000000, 0)]), [a, b]))
    # a region larger than its file: the device server refuses the DMA map
    assert nack(fe.ask(vu.Req.SET_MEM_TABLE, _mem_table([(0, 4 << 20, 0x10000000, 0)]), [a]))
    assert not nack(fe.ask(vu.Req.SET_MEM_TABLE, _mem_table([(0, 1 << 20, 0x10000000, 0)]), [a]))
    # ring size not a power of two, ring index out of range, base beyond 16 bits
    assert nack(fe.ask(vu.Req.SET_VRING_NUM, vu.VRING_STATE.pack(0, 100)))
    assert nack(fe.ask(vu.Req.SET_VRING_NUM, vu.VRING_STATE.pack(5, 256)))
    assert nack(fe.ask(vu.Req.SET_VRING_BASE, vu.VRING_STATE.pack(0, 70000)))
    # a kick before the rings are set is taken (nothing starts)
    k = os.eventfd(0)
    assert not nack(fe.ask(vu.Req.SET_VRING_KICK, vu.U64.pack(0), [k]))
    os.eventfd_write(k, 1)
    for q in (0, 1):
        assert not nack(fe.ask(vu.Req.SET_VRING_NUM, vu.VRING_STATE.pack(q, 256)))
        # rings outside every region: the start is refused
        assert not nack(fe.ask(vu.Req.SET_VRING_ADDR, vu.VRING_ADDR.pack(
            q, 0, 0x50000000, 0x50002000, 0x50001000, 0)))
        if q:
            assert not nack(fe.ask(vu.Req.SET_VRING_KICK, vu.U64.pack(q), [os.eventfd(0)]))
        assert not nack(fe.ask(vu.Req.SET_VRING_ENABLE, vu.VRING_STATE.pack(q, 0)))
    assert not nack(fe.ask(vu.Req.SET_VRING_ENABLE, vu.VRING_STATE.pack(0, 1)))
    assert nack(fe.ask(vu.Req.SET_VRING_ENABLE, vu.VRING_STATE.pack(1, 1)))
    assert any("outside every memory region" in m for m in backend.lines)
    status = backend.call(backend.dev.read_reg, regs.VIRTIO_PCI_COMMON_STATUS, 1)
    assert status & regs.VIRTIO_STATUS_DRIVER_OK == 0
    fe.close()
    for fd in (a, b, k):
        os.close(fd)


@pytest.mark.parametrize("bad", ["version", "oversize", "truncated", "unknown"])
def test_malformed_messages_close_the_connection(backend, bad):
    fe = Frontend(backend.path)   # no REPLY_ACK: an error closes
    if bad == "version":
        fe.send(vu.Req.GET_FEATURES, flags=2)
    elif bad == "oversize":
        fe.send(vu.Req.SET_FEATURES, b"\0" * 8, size=1 << 20)
    elif bad == "truncated":
        fe.send(vu.Req.SET_VRING_ADDR, b"\0" * 4)
    else:
        fe.send(77, b"")
    assert fe.reply() is None
    fe.close()


def test_ring_in_guest_memory_and_device_error_is_surfaced(backend):
    """A ring whose descriptor points outside guest memory: the device (not
    the backend) finds it, reports NEEDS_RESET; GET_STATUS shows it, the
    error is logged with the vendor error, and the error eventfd fires."""
    fe = _acked(backend)
    fe.send(vu.Req.GET_FEATURES)
    feats = vu.U64.unpack(fe.reply())[0]
    fe.ask(vu.Req.SET_PROTOCOL_FEATURES, vu.U64.pack(ACK | (1 << vu.ProtoF.STATUS)))
    fe.ask(vu.Req.SET_FEATURES, vu.U64.pack(feats))
    fd = _memfd()
    mem = mmap.mmap(fd, 1 << 20)
    uva, gpa = 0x7F0000000000, 0x100000
    assert fe.ask(vu.Req.SET_MEM_TABLE, _mem_table([(gpa, 1 << 20, uva, 0)]), [fd]) == \
        vu.U64.pack(0)
    err = os.eventfd(0, os.EFD_NONBLOCK)
    for q in (0, 1):
        base = q * 0x10000
        fe.ask(vu.Req.SET_VRING_NUM, vu.VRING_STATE.pack(q, 64))
        fe.ask(vu.Req.SET_VRING_ADDR, vu.VRING_ADDR.pack(q, 0, uva + base, uva + base + 0x2000,
                                                         uva + base + 0x1000, 0))
        fe.ask(vu.Req.SET_VRING_KICK, vu.U64.pack(q), [os.eventfd(0)])
        fe.ask(vu.Req.SET_VRING_CALL, vu.U64.pack(q), [os.eventfd(0)])
        fe.ask(vu.Req.SET_VRING_ERR, vu.U64.pack(q), [os.dup(err)])
        fe.ask(vu.Req.SET_VRING_ENABLE, vu.VRING_STATE.pack(q, 1))
    assert any(m.startswith("device started") for m in backend.lines)
    # a TX chain whose buffer is outside guest memory
    tx = 0x10000
    struct.pack_into("<QIHH", mem, tx, 0x9000000, 100, 0, 0)
    struct.pack_into("<HHH", mem, tx + 0x1000, 0, 1, 0)     # avail flags, idx 1, ring[0] 0
    assert wait_until(lambda: any("needs reset" in m for m in backend.lines), 10)
    line = next(m for m in backend.lines if "needs reset" in m)
    assert "error 1" in line and "0x9000000" in line
    st = vu.U64.unpack(fe.ask(vu.Req.GET_STATUS))[0]
    assert st & regs.VIRTIO_STATUS_DEVICE_NEEDS_RESET
    assert os.eventfd_read(err) >= 1
    fe.close()
    mem.close()
    os.close(fd)
    os.close(err)


def test_fuzz_random_messages(backend, seed):
    rng = random.Random(seed)
    reqs = [int(r) for r in vu.Req] + [0, 41, 99, 0xFFFFFFFF]
    for _conn in range(30):
        fe = Frontend(backend.path)
        fds_made = []
        try:
            for _ in range(rng.randint(1, 12)):
                req = rng.choice(reqs)
                flags = vu.VERSION | (vu.FLAG_NEED_REPLY if rng.random() < 0.5 else 0)
                if rng.random() < 0.05:
                    flags = rng.randrange(16)
                kind = rng.random()
                if req == vu.Req.SET_MEM_TABLE and kind < 0.7:
                    n = rng.randint(0, 3)
                    regions = [(rng.choice([0, rng.randrange(1 << 40)]),
                                rng.choice([4096, 1 << 20, 1 << 21, rng.randrange(1 << 64)]),
                                rng.randrange(1 << 47), rng.choice([0, 4096, 123]))
                               for _ in range(n)]
                    payload = _mem_table(regions)
                    fds = [_memfd() for _ in range(rng.choice([n, n, max(0, n - 1)]))]
                elif kind < 0.5:
                    payload = struct.pack("<IIQQQQ", rng.randrange(4), rng.randrange(4),
                                          *(rng.randrange(1 << 48) for _ in range(4)))
                    payload = payload[:rng.choice([8, 12, 40, 40])]
                    fds = [os.eventfd(0)] if rng.random() < 0.3 else []
                else:
                    payload = rng.randbytes(rng.randint(0, 48))
                    fds = [os.eventfd(0)] if rng.random() < 0.2 else []
                fds_made += fds
                try:
                    fe.send(req & 0xFFFFFFFF, payload, fds, flags=flags)
                except (BrokenPipeError, ConnectionResetError):
                    break
        finally:
            fe.close()
            for fd in fds_made:
                os.close(fd)
        backend.wait_idle()
        backend.call(backend.dev.check)     # the device server is alive
        assert backend.t.is_alive()


def test_get_vring_base_returns_the_devices_own_index(backend):
    """Frames sent on the TX ring, then GET_VRING_BASE: the device is
    suspended and the base is how many entries it completed."""
    fe = _acked(backend)
    fe.send(vu.Req.GET_FEATURES)
    fe.ask(vu.Req.SET_FEATURES, vu.U64.pack(vu.U64.unpack(fe.reply())[0]))
    fd = _memfd()
    mem = mmap.mmap(fd, 1 << 20)
    uva, gpa = 0x7E0000000000, 0x200000
    fe.ask(vu.Req.SET_MEM_TABLE, _mem_table([(gpa, 1 << 20, uva, 0)]), [fd])
    for q in (0, 1):
        base = q * 0x10000
        fe.ask(vu.Req.SET_VRING_NUM, vu.VRING_STATE.pack(q, 64))
        fe.ask(vu.Req.SET_VRING_ADDR, vu.VRING_ADDR.pack(q, 0, uva + base, uva + base + 0x2000,
                                                         uva + base + 0x1000, 0))
        fe.ask(vu.Req.SET_VRING_KICK, vu.U64.pack(q), [os.eventfd(0)])
        fe.ask(vu.Req.SET_VRING_ENABLE, vu.VRING_STATE.pack(q, 1))
    tx, frames = 0x10000, 7
    for i in range(frames):     # 12-byte header + 60-byte frame in guest memory
        buf = 0x80000 + 0x100 * i
        mem[buf:buf + 72] = bytes(12) + bytes(range(60))
        struct.pack_into("<QIHH", mem, tx + 16 * i, gpa + buf, 72, 0, 0)
        struct.pack_into("<H", mem, tx + 0x1000 + 4 + 2 * i, i)
    struct.pack_into("<H", mem, tx + 0x1000 + 2, frames)        # avail.idx
    assert wait_until(lambda: backend.stats()["device"]["tx"]["packets"] == frames, 10)
    reply = fe.ask(vu.Req.GET_VRING_BASE, vu.VRING_STATE.pack(1, 0))
    assert vu.VRING_STATE.unpack(reply) == (1, frames)
    assert struct.unpack_from("<H", mem, tx + 0x2000 + 2)[0] == frames   # used.idx
    assert any("suspended (GET_VRING_BASE 1)" in m for m in backend.lines)
    fe.close()
    mem.close()
    os.close(fd)
