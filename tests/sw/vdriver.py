"""A small split-ring virtio-net driver in Python that is not libvionic: its
rings and buffers live in a memfd of its own, given to the device through
libvionic's vDPA control plane (vionic_vdpa_*), as a vhost-user front-end's
would be. It lays buffers out as other drivers do (header and frame in
separate descriptors, chains of small buffers) and starts its rings at any
index, so tests can check the device against layouts libvionic never uses.

Rings: receiveq 2k and transmitq 2k+1 of each queue pair k (`pairs` of
them), and with VIRTIO_NET_F_CTRL_VQ negotiated the control queue 2*pairs;
each `size` entries. A chain of k descriptors for entry e uses descriptors
[k*(e % (size//k)), ...), so at most size//k entries are in flight.
"""

from __future__ import annotations

import mmap
import os
import select
import struct
import time

from vionic import regs
from vionic._ext import ffi, lib
from vionic.device import _check

HDR = regs.VIONIC_NET_HDR_LEN
IOVA = 0x7000_0000          # where the device sees the memfd
DESC = struct.Struct("<QIHH")
USED_ELEM = struct.Struct("<II")
F_NEXT, F_WRITE = regs.VRING_DESC_F_NEXT, regs.VRING_DESC_F_WRITE
RX, TX = 0, 1
CONFIG_VECTOR = 0


class Ring:
    def __init__(self, mem: mmap.mmap, base: int, size: int, start: int):
        self.mem, self.size, self.mask = mem, size, size - 1
        self.desc = base
        self.avail = base + 16 * size
        self.used = (self.avail + 6 + 2 * size + 3) & ~3
        self.end = self.used + 6 + 8 * size
        self.avail_idx = start        # next avail entry to post
        self.used_cons = start        # next used entry to read
        struct.pack_into("<HH", mem, self.avail, 0, start)
        struct.pack_into("<HH", mem, self.used, 0, start)

    def set_desc(self, i: int, addr: int, length: int, flags: int, nxt: int) -> None:
        DESC.pack_into(self.mem, self.desc + 16 * i, addr, length, flags, nxt)

    def post(self, head: int) -> None:
        struct.pack_into("<H", self.mem, self.avail + 4 + 2 * (self.avail_idx & self.mask), head)
        self.avail_idx = (self.avail_idx + 1) & 0xFFFF
        # one 2-byte store: struct.pack_into zeroes its field before it
        # writes it, and the device may read avail.idx in between
        self.mem[self.avail + 2:self.avail + 4] = self.avail_idx.to_bytes(2, "little")

    def set_avail_flags(self, flags: int) -> None:
        self.mem[self.avail:self.avail + 2] = flags.to_bytes(2, "little")   # one store, as post

    def used_idx(self) -> int:
        return struct.unpack_from("<H", self.mem, self.used + 2)[0]

    def used_flags(self) -> int:
        return struct.unpack_from("<H", self.mem, self.used)[0]

    def take_used(self) -> list[tuple[int, int]]:
        out = []
        end = self.used_idx()
        while self.used_cons != end:
            e = self.used + 4 + 8 * (self.used_cons & self.mask)
            out.append(USED_ELEM.unpack_from(self.mem, e))
            self.used_cons = (self.used_cons + 1) & 0xFFFF
        return out


class ForeignDriver:
    """Drives `pairs` queue pairs of `dev` (a vionic.Device opened with
    start=False), and its control queue when CTRL_VQ is negotiated."""

    def __init__(self, dev, *, size: int = 64, start: int = 0, features: int | None = None,
                 tx_pieces: int = 2, rx_pieces: int = 2, rx_buf: int = 2048,
                 mem_size: int = 4 << 20, pairs: int = 1):
        self.dev, self.h = dev, dev._handle
        if features is None:
            features = dev.info()["device_features"] & ~(1 << regs.VIRTIO_F_NOTIFICATION_DATA)
        self.features = features
        self.pairs = pairs
        # virtio_net_hdr, or virtio_net_hdr_v1_hash with HASH_REPORT (both directions)
        self.hash_report = bool(features >> regs.VIRTIO_NET_F_HASH_REPORT & 1)
        self.hdr = regs.VIONIC_NET_HDR_HASH_LEN if self.hash_report else HDR
        self.fd = os.memfd_create("vdriver", os.MFD_CLOEXEC)
        os.ftruncate(self.fd, mem_size)
        self.mem = mmap.mmap(self.fd, mem_size)
        self.mem_size = mem_size
        nrings = 2 * pairs + (1 if features >> regs.VIRTIO_NET_F_CTRL_VQ & 1 else 0)
        self.rings, base = [], 0
        for _ in range(nrings):
            self.rings.append(Ring(self.mem, base, size, start))
            base = (self.rings[-1].end + 4095) & ~4095
        self.buf_base = base
        self.tx_pieces, self.rx_pieces, self.rx_buf = tx_pieces, rx_pieces, rx_buf
        self.slot_bytes = 2 * (self.hdr + 9216)
        self.irq = [os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC) for _ in range(1 + nrings)]
        _check(lib.vionic_vdpa_dma_map(self.h, self.fd, 0, IOVA, mem_size), "dma map")
        fds = ffi.new("int[]", self.irq)
        _check(lib.vionic_vdpa_set_irqs(self.h, fds, len(self.irq)), "irqs")
        self.rx_posted = 0
        # post_rx_chains: descriptors from a cursor, buffers from a bump area
        # after the per-entry slots (both wrap; tests keep fewer in flight)
        self.next_desc = [0] * nrings
        self.bump_base = self.buf_base + \
            2 * pairs * (size // max(tx_pieces, rx_pieces)) * self.slot_bytes
        self.bump = self.bump_base
        assert self.bump_base + (1 << 20) <= mem_size, "mem_size leaves no room for chains"
        self.chains: dict[tuple[int, int], list[tuple[int, int]]] = {}

    # ---- control ----------------------------------------------------------------
    def start(self) -> None:
        vqs = ffi.new("struct vionic_vdpa_vq[]", len(self.rings))
        for q, r in enumerate(self.rings):
            v = vqs[q]
            v.desc, v.avail, v.used = IOVA + r.desc, IOVA + r.avail, IOVA + r.used
            v.size, v.avail_idx, v.used_idx, v.vector = r.size, r.used_cons, r.used_cons, 1 + q
        _check(lib.vionic_vdpa_start(self.h, self.features, CONFIG_VECTOR, vqs,
                                     len(self.rings)), "start")

    def vq_state(self, q: int) -> tuple[int, int]:
        a, u = ffi.new("uint16_t *"), ffi.new("uint16_t *")
        _check(lib.vionic_vdpa_vq_state(self.h, q, a, u), "vq state")
        return a[0], u[0]

    def suspend(self) -> None:
        _check(lib.vionic_vdpa_suspend(self.h, 2000), "suspend")

    def resume(self) -> None:
        _check(lib.vionic_vdpa_resume(self.h), "resume")

    def kick(self, q: int) -> None:
        _check(lib.vionic_vdpa_kick(self.h, q, self.rings[q].avail_idx), "kick")

    def irq_fired(self, q: int) -> bool:
        """Whether ring q's vector fired since the last call (and clears it)."""
        fd = self.irq[1 + q]
        if not select.select([fd], [], [], 0)[0]:
            return False
        os.eventfd_read(fd)
        return True

    def close(self) -> None:
        lib.vionic_vdpa_reset(self.h)
        lib.vionic_vdpa_dma_unmap(self.h, IOVA, self.mem_size)
        self.mem.close()
        for fd in [self.fd, *self.irq]:
            os.close(fd)

    # ---- buffers ----------------------------------------------------------------
    def _slot(self, q: int, entry: int) -> int:
        """Offset of the buffer area of ring q's entry (one per in-flight entry)."""
        per = self.rings[q].size // max(self.tx_pieces, self.rx_pieces)
        return self.buf_base + (q * per + entry % per) * self.slot_bytes

    def _chain(self, q: int, entry: int, pieces: list[tuple[int, int]], flags: int) -> int:
        """Descriptors for entry `entry` of ring q over (offset, length) pieces;
        returns the head."""
        r = self.rings[q]
        k = len(pieces)
        per = r.size // max(self.tx_pieces, self.rx_pieces)
        head = k * (entry % per)
        for j, (off, length) in enumerate(pieces):
            more = j + 1 < k
            r.set_desc(head + j, IOVA + off, length, flags | (F_NEXT if more else 0),
                       head + j + 1 if more else 0)
        return head

    def _split(self, total: int, k: int) -> list[int]:
        """k piece lengths summing to total, the first the virtio header alone."""
        if k == 1:
            return [total]
        rest = total - self.hdr
        sizes = [self.hdr] + [rest // (k - 1)] * (k - 1)
        sizes[-1] += rest - sum(sizes[1:])
        return sizes

    def send(self, frames: list[bytes], kick: bool = True, qp: int = 0) -> None:
        q = 2 * qp + TX
        r = self.rings[q]
        for f in frames:
            entry = r.avail_idx
            base = self._slot(q, entry)
            data = bytes(self.hdr) + f
            self.mem[base:base + len(data)] = data
            pieces, off = [], base
            for n in self._split(len(data), self.tx_pieces):
                pieces.append((off, n))
                off += n
            r.post(self._chain(q, entry, pieces, 0))
        if kick:
            self.kick(q)

    def post_rx(self, count: int, kick: bool = True, qp: int = 0) -> None:
        q = 2 * qp + RX
        r = self.rings[q]
        for _ in range(count):
            entry = r.avail_idx
            base = self._slot(q, entry)
            pieces, off = [], base
            for n in self._split(self.hdr + self.rx_buf, self.rx_pieces):
                pieces.append((off, n))
                off += n
            r.post(self._chain(q, entry, pieces, F_WRITE))
        self.rx_posted += count
        if kick:
            self.kick(q)

    def post_chains(self, q: int, layouts: list[list[tuple[int, int]]],
                    fill: list[bytes] | None = None) -> list[int]:
        """Posts on ring q one chain per layout, a list of (length, flags)
        descriptors (any sizes), each descriptor in a buffer of its own,
        the buffers of the first chain holding `fill` (one bytes per
        descriptor) before it is posted; returns the heads."""
        r, heads = self.rings[q], []
        for c, descs in enumerate(layouts):
            head, pieces = self.next_desc[q], []
            for j, (n, flags) in enumerate(descs):
                if self.bump + n > self.mem_size:
                    self.bump = self.bump_base
                if fill and c == 0:
                    self.mem[self.bump:self.bump + n] = fill[j]
                pieces.append((self.bump, n))
                i, more = (head + j) % r.size, j + 1 < len(descs)
                r.set_desc(i, IOVA + self.bump, n, flags | (F_NEXT if more else 0),
                           (i + 1) % r.size if more else 0)
                self.bump = (self.bump + n + 63) & ~63
            self.next_desc[q] = (head + len(descs)) % r.size
            self.chains[(q, head)] = pieces
            r.post(head)
            heads.append(head)
        return heads

    def post_rx_chains(self, layouts: list[list[int]], kick: bool = True, qp: int = 0) -> None:
        """Posts one RX chain per layout, a list of descriptor lengths;
        received_frames() reads them back."""
        q = 2 * qp + RX
        self.post_chains(q, [[(n, F_WRITE) for n in lens] for lens in layouts])
        if kick:
            self.kick(q)

    def ctrl(self, command: bytes, ack_bytes: int = 1, timeout: float = 5.0) -> tuple[int, int]:
        """Posts `command` (class, command, data) and `ack_bytes` writable
        bytes on the control queue, waits for its used entry; returns (used
        length, the first writable byte)."""
        q = len(self.rings) - 1
        descs = [(len(command), 0)] + ([(ack_bytes, F_WRITE)] if ack_bytes else [])
        (head,) = self.post_chains(q, [descs], fill=[command, b"\xee" * ack_bytes])
        _, *ack = self.chains[(q, head)]
        self.kick(q)
        deadline = time.monotonic() + timeout
        while self.rings[q].used_idx() == self.rings[q].used_cons:
            assert time.monotonic() < deadline, "the control queue did not answer"
            time.sleep(0.001)
        ((got, length),) = self.rings[q].take_used()
        assert got == head
        return length, self.mem[ack[0][0]] if ack else -1

    def received_frames(self, qp: int = 0) -> list[tuple[tuple, bytes, list[int]]]:
        """Frames completed in chains of post_rx_chains since the last call,
        as (virtio_net_hdr fields, frame, used lengths of its chains): with
        MRG_RXBUF the header and frame are one stream over num_buffers
        chains; with HASH_REPORT the fields end with hash_value and
        hash_report. Fails if used.idx ends inside a frame."""
        q = 2 * qp + RX
        entries = [(q, head, length) for head, length in self.rings[q].take_used()]
        out = []
        while entries:
            stream, k = b"", 0
            while len(stream) < self.hdr and k < len(entries):   # the header may span chains
                stream += b"".join(self._chain_bytes(*entries[k]))
                k += 1
            assert len(stream) >= self.hdr, "the used entries end inside a virtio header"
            hdr = struct.unpack_from("<BBHHHHHIH" if self.hash_report else "<BBHHHHH", stream)
            n = hdr[6]
            assert 1 <= n <= len(entries), f"num_buffers {n} with {len(entries)} entries used"
            group, entries = entries[:n], entries[n:]
            stream = b"".join(b"".join(self._chain_bytes(*e)) for e in group)
            out.append((hdr, stream[self.hdr:], [length for _, _, length in group]))
        return out

    def _chain_bytes(self, q: int, head: int, length: int) -> list[bytes]:
        out = []
        for off, n in self.chains[(q, head)]:
            take = min(n, length)
            out.append(bytes(self.mem[off:off + take]))
            length -= take
        assert length == 0, "used length beyond the chain"
        return out

    def tx_done(self, qp: int = 0) -> int:
        return len(self.rings[2 * qp + TX].take_used())

    def received(self, qp: int = 0) -> list[bytes]:
        """Frames completed on receiveq qp since the last call (header dropped;
        the header must read all zero: no offloads negotiated)."""
        q = 2 * qp + RX
        r = self.rings[q]
        per = r.size // max(self.tx_pieces, self.rx_pieces)
        out = []
        for head, length in r.take_used():
            base = self.buf_base + (q * per + head // self.rx_pieces) * self.slot_bytes
            data = bytes(self.mem[base:base + length])
            hdr = struct.unpack_from("<BBHHHHH", data)
            assert hdr[:6] == (0, 0, 0, 0, 0, 0) and hdr[6] == 1, f"RX header {hdr}"
            out.append(data[self.hdr:])
        return out
