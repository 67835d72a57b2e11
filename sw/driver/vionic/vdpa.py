"""`vionic vdpa`: a vhost-user backend that puts a front-end's virtqueues on a
vionic device, as a vDPA NIC does (DESIGN §1).

The front-end (a QEMU guest's virtio-net, DPDK's virtio-user) keeps its own
rings and buffers. Its memory regions go to the device's DMA map with
IOVA = the front-end's guest-physical address, its ring addresses into the
device's queue registers, its call eventfds become the device's MSI-X
vectors, and each kick becomes a doorbell write; the device DMAs into the
front-end's memory with nothing copied. Only kicks pass through this
process (one thread reads the kick eventfds), and the model tells drivers
not to kick at all (VRING_USED_F_NO_NOTIFY: it polls its rings).

Features offered: what the device offers, minus
- ACCESS_PLATFORM: with it a front-end translates through a device IOTLB
  (IOTLB_MSG), which this backend does not serve; without it the
  addresses are guest-physical, which is what the DMA map holds;
- NOTIFICATION_DATA: a kick eventfd carries no data;
plus VHOST_USER_F_PROTOCOL_FEATURES.

Life cycle: the device is started (reset, features, rings, DRIVER_OK) when
the rings of queue pair 0 are live (size and addresses set, started: a kick
fd came after their last stop, and enabled), with every other live ring;
with VIRTIO_NET_F_MQ the device is then told, by a control command on a
control ring of libvionic's (the front-end answers its driver's control
queue itself), to use the pairs whose rings are live. A ring that turns
live or dead while the device runs restarts it on the new set. GET_VRING_BASE
suspends it and returns the device's own avail index (VQ_STATE); a
front-end that hangs up leaves the device reset and its memory unmapped,
and the next front-end is served.
"""

from __future__ import annotations

import mmap
import os
import select
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field

from . import regs
from . import vhost_user as vu
from ._ext import ffi as _ffi
from ._ext import lib as _lib
from .device import Device, _check
from .errors import InvalidArgument, VionicError

CONFIG_VECTOR = 0                    # MSI-X vector of device config changes ...
RING_VECTOR0 = 1                     # ... ring q gets vector 1 + q
SUSPEND_TIMEOUT_MS = 1000
PROTOCOL_FEATURES = ((1 << vu.ProtoF.MQ) | (1 << vu.ProtoF.REPLY_ACK) |
                     (1 << vu.ProtoF.NET_MTU) | (1 << vu.ProtoF.CONFIG) |
                     (1 << vu.ProtoF.STATUS))
NOT_PASSED = {regs.VIRTIO_F_ACCESS_PLATFORM: "needs a device IOTLB (IOTLB_MSG)",
              regs.VIRTIO_F_NOTIFICATION_DATA: "a kick eventfd carries no data"}


class RequestError(Exception):
    """A request the backend refuses: an error reply where the front-end asked
    for one (REPLY_ACK), else the connection is closed."""


def _log(msg: str) -> None:
    print(f"vionic vdpa: {msg}", file=sys.stderr, flush=True)


@dataclass
class Region:
    gpa: int                 # guest-physical address = the device's IOVA
    size: int
    uva: int                 # the front-end's own address of it
    offset: int              # in the fd
    mm: mmap.mmap | None = None   # the backend's view (ring indices only)


@dataclass
class Ring:
    num: int = 0
    desc: int = 0            # front-end addresses (translated at start)
    used: int = 0
    avail: int = 0
    base: int = 0            # next avail entry (SET_VRING_BASE / after a stop)
    kick: int = -1
    call: int = -1
    err: int = -1
    started: bool = False    # a kick fd came (SET_VRING_KICK); GET_VRING_BASE stops it
    enabled: bool = False    # SET_VRING_ENABLE (implied without protocol features)
    kicks: int = 0           # doorbell value: changes with every kick
    addr_set: bool = False


@dataclass
class Session:
    """What one front-end has set up."""
    features: int = 0
    protocol: int = 0
    owner: bool = False
    regions: list[Region] = field(default_factory=list)
    rings: list[Ring] = field(default_factory=list)   # receiveq 2k, transmitq 2k + 1
    running: bool = False
    live: tuple[int, ...] = ()  # the rings the device runs
    status: int = 0          # SET_STATUS as written


class Backend:
    """Serves vhost-user front-ends on `device` (a `vionic.Device` opened with
    start=False), one at a time."""

    def __init__(self, device: Device, *, log=_log):
        self.dev = device
        self.log = log
        self.info = device.info()
        self.lock = threading.RLock()       # every libvionic call on the device
        self.offered = self.info["device_features"] | (1 << vu.F_PROTOCOL_FEATURES)
        for bit in NOT_PASSED:
            self.offered &= ~(1 << bit)
        self.nrings = 2 * self.info["max_queue_pairs"]
        self.s = self._new_session()
        self.config_efd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self.spare_efd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)   # vectors with no call fd
        self.wake_r, self.wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.needs_reset_logged = False
        self.stop_relay = False
        self.relay = threading.Thread(target=self._relay, name="vdpa-relay", daemon=True)
        self.relay.start()
        self.served = 0
        self.trace = bool(os.environ.get("VIONIC_VDPA_TRACE"))   # log every request

    def _new_session(self) -> Session:
        return Session(rings=[Ring() for _ in range(self.nrings)])

    # ---- libvionic -----------------------------------------------------------
    @property
    def _h(self):
        return self.dev._handle

    # ---- the connection ----------------------------------------------------------
    def serve(self, sock: socket.socket) -> None:
        """Handles one front-end until it hangs up or breaks the protocol; the
        device is reset and its memory unmapped either way."""
        self.served += 1
        self.log(f"front-end {self.served} connected")
        try:
            while True:
                try:
                    msg = vu.recv(sock)
                    if self.trace and msg is not None:
                        self.log(f"<- {msg.name} flags 0x{msg.flags:x} payload "
                                 f"{msg.payload.hex()} fds {msg.fds}")
                except vu.BadMessage as e:
                    self.log(f"malformed message: {e}; closing the connection")
                    return
                except OSError as e:
                    self.log(f"connection error: {e}")
                    return
                if msg is None:
                    self.log("front-end hung up")
                    return
                try:
                    payload = self._dispatch(msg)
                except (RequestError, vu.BadMessage, VionicError) as e:
                    msg.close_fds()
                    self.log(f"{msg.name} refused: {e}")
                    if not self._acks(msg):
                        self.log("no REPLY_ACK to carry the error: closing the connection")
                        return
                    payload = vu.U64.pack(1)
                else:
                    if payload is None and self._acks(msg):
                        payload = vu.U64.pack(0)
                if payload is not None:
                    try:
                        vu.reply(sock, msg, payload)
                    except OSError as e:
                        self.log(f"reply to {msg.name} not sent: {e}")
                        return
        finally:
            self._end_session()

    def _acks(self, msg: vu.Message) -> bool:
        return msg.need_reply() and bool(self.s.protocol & (1 << vu.ProtoF.REPLY_ACK))

    def _dispatch(self, msg: vu.Message) -> bytes | None:
        try:
            req = vu.Req(msg.req)
        except ValueError:
            raise RequestError(f"unknown request {msg.req}") from None
        handler = getattr(self, "_h_" + req.name.lower(), None)
        if handler is None:
            raise RequestError(f"{req.name} is not supported by this backend")
        if req not in (vu.Req.SET_MEM_TABLE, vu.Req.SET_VRING_KICK, vu.Req.SET_VRING_CALL,
                       vu.Req.SET_VRING_ERR, vu.Req.SET_BACKEND_REQ_FD) and msg.fds:
            msg.close_fds()
            raise RequestError(f"{req.name} carries no file descriptor, got some")
        return handler(msg)

    # ---- features --------------------------------------------------------------
    def _h_get_features(self, msg):
        return vu.U64.pack(self.offered)

    def _h_set_features(self, msg):
        f = msg.u64()
        if f & ~self.offered:
            raise RequestError(f"features 0x{f:x} include 0x{f & ~self.offered:x}, "
                               "which were not offered")
        if not f & (1 << regs.VIRTIO_F_VERSION_1):
            raise RequestError("VERSION_1 not acked: legacy virtio is not supported")
        if self.s.running and f != self.s.features:   # the same again: QEMU, per queue pair
            raise RequestError("features changed while the rings run")
        self.s.features = f

    def _h_get_protocol_features(self, msg):
        return vu.U64.pack(PROTOCOL_FEATURES)

    def _h_set_protocol_features(self, msg):
        f = msg.u64()
        if f & ~PROTOCOL_FEATURES:
            raise RequestError(f"protocol features 0x{f:x} were not offered")
        self.s.protocol = f

    def _h_get_queue_num(self, msg):
        return vu.U64.pack(self.info["max_queue_pairs"])

    def _h_set_owner(self, msg):
        self.s.owner = True

    def _h_reset_owner(self, msg):
        self._stop_device("RESET_OWNER")

    def _h_reset_device(self, msg):
        self._stop_device("RESET_DEVICE")

    def _h_net_set_mtu(self, msg):
        mtu = msg.u64()
        if mtu != self.info["mtu"]:
            raise RequestError(f"MTU {mtu} asked; the device's is {self.info['mtu']} "
                               f"(start it with that MTU, or give the front-end host_mtu="
                               f"{self.info['mtu']})")

    def _h_send_rarp(self, msg):
        return None    # the guest announces itself; nothing to send for it

    def _h_set_status(self, msg):
        self.s.status = msg.u64() & 0xFF

    def _h_get_status(self, msg):
        with self.lock:
            st = _ffi.new("uint8_t *")
            _check(_lib.vionic_vdpa_status(self._h, st), "reading device status")
        status = self.s.status
        if st[0] & regs.VIRTIO_STATUS_DEVICE_NEEDS_RESET:
            status |= regs.VIRTIO_STATUS_DEVICE_NEEDS_RESET
        return vu.U64.pack(status)

    def _h_get_config(self, msg):
        offset, size, _flags = msg.unpack(vu.CONFIG_HEADER)
        if size > 256 or offset + size > 256:
            raise RequestError(f"config read of {size} bytes at {offset}: out of range")
        with self.lock:
            data = bytes(self.dev.read_reg(regs.VIONIC_DEVICE_CFG + offset + i, 1)
                         for i in range(size))
        return vu.CONFIG_HEADER.pack(offset, size, 0) + data

    def _h_set_config(self, msg):
        raise RequestError("the device config is read-only")

    # ---- memory ---------------------------------------------------------------
    def _h_set_mem_table(self, msg):
        n, _pad = msg.unpack(vu.MEM_HEADER)
        if n == 0 or n > vu.MAX_REGIONS:
            msg.close_fds()
            raise RequestError(f"{n} memory regions (1..{vu.MAX_REGIONS} taken)")
        if len(msg.fds) != n:
            msg.close_fds()
            raise RequestError(f"{n} regions but {len(msg.fds)} file descriptors")
        new = []
        for i in range(n):
            at = vu.MEM_HEADER.size + i * vu.MEM_REGION.size
            gpa, size, uva, off = msg.unpack(vu.MEM_REGION, at)
            new.append(Region(gpa, size, uva, off))
        try:
            self._check_regions(new)
            was_running = self.s.running
            if was_running:
                self._suspend_rings("SET_MEM_TABLE")
            self._unmap_all()
            mapped = []
            try:
                for r, fd in zip(new, msg.fds, strict=True):
                    with self.lock:
                        _check(_lib.vionic_vdpa_dma_map(self._h, fd, r.offset, r.gpa, r.size),
                                f"DMA_MAP of region at GPA 0x{r.gpa:x}")
                    mapped.append(r)
                    r.mm = mmap.mmap(fd, r.size, mmap.MAP_SHARED,
                                     mmap.PROT_READ | mmap.PROT_WRITE, offset=r.offset)
            except BaseException:
                self.s.regions = mapped
                self._unmap_all()
                raise
            self.s.regions = new
        finally:
            msg.close_fds()
        self.log("memory: " + ", ".join(f"GPA 0x{r.gpa:x}+0x{r.size:x}" for r in new))
        self._maybe_start()

    @staticmethod
    def _check_regions(regions: list[Region]) -> None:
        for r in regions:
            if r.size == 0 or r.gpa + r.size > 1 << 64 or r.uva + r.size > 1 << 64:
                raise RequestError(f"region GPA 0x{r.gpa:x} size 0x{r.size:x}: empty or wraps")
            if r.offset % mmap.ALLOCATIONGRANULARITY:
                raise RequestError(f"region GPA 0x{r.gpa:x}: mmap offset 0x{r.offset:x} is "
                                   "not page aligned")
        by_gpa = sorted(regions, key=lambda r: r.gpa)
        for a, b in zip(by_gpa, by_gpa[1:], strict=False):
            if a.gpa + a.size > b.gpa:
                raise RequestError(f"regions at GPA 0x{a.gpa:x} and 0x{b.gpa:x} overlap")
        by_uva = sorted(regions, key=lambda r: r.uva)
        for a, b in zip(by_uva, by_uva[1:], strict=False):
            if a.uva + a.size > b.uva:
                raise RequestError(f"regions at address 0x{a.uva:x} and 0x{b.uva:x} overlap")

    def _unmap_all(self) -> None:
        for r in self.s.regions:
            if r.mm is not None:
                r.mm.close()
                r.mm = None
            with self.lock:
                rc = _lib.vionic_vdpa_dma_unmap(self._h, r.gpa, r.size)
            if rc < 0:
                err = _ffi.string(_lib.vionic_last_error()).decode()
                self.log(f"DMA_UNMAP of GPA 0x{r.gpa:x}: {err}")
        self.s.regions = []

    def _translate(self, uva: int, length: int, what: str) -> tuple[int, Region]:
        """The GPA of front-end address uva, whose `length` bytes must lie in one
        region."""
        for r in self.s.regions:
            if r.uva <= uva and uva + length <= r.uva + r.size:
                return uva - r.uva + r.gpa, r
        raise RequestError(f"{what} at 0x{uva:x} (+{length} bytes) is outside every "
                           "memory region")

    # ---- rings -------------------------------------------------------------------
    def _ring(self, index: int) -> Ring:
        if index >= self.nrings:
            raise RequestError(f"ring {index}: the device has {self.nrings} "
                               f"({self.nrings // 2} queue pairs)")
        return self.s.rings[index]

    def _h_set_vring_num(self, msg):
        index, num = msg.unpack(vu.VRING_STATE)
        ring = self._ring(index)
        if num == 0 or num & (num - 1) or num > self.info["max_ring_size"]:
            raise RequestError(f"ring {index}: size {num} (a power of two up to "
                               f"{self.info['max_ring_size']})")
        self._not_running(index, "SET_VRING_NUM")
        ring.num = num

    def _h_set_vring_addr(self, msg):
        index, _flags, desc, used, avail, _log_addr = msg.unpack(vu.VRING_ADDR)
        ring = self._ring(index)
        self._not_running(index, "SET_VRING_ADDR")
        ring.desc, ring.used, ring.avail, ring.addr_set = desc, used, avail, True

    def _h_set_vring_base(self, msg):
        index, base = msg.unpack(vu.VRING_STATE)
        ring = self._ring(index)
        if base > 0xFFFF:
            raise RequestError(f"ring {index}: base {base} is beyond a 16-bit ring index")
        self._not_running(index, "SET_VRING_BASE")
        ring.base = base

    def _h_get_vring_base(self, msg):
        index, _ = msg.unpack(vu.VRING_STATE)
        ring = self._ring(index)
        if self.s.running:
            self._suspend_rings(f"GET_VRING_BASE {index}")
        ring.started = False     # stopped until its next SET_VRING_KICK
        return vu.VRING_STATE.pack(index, ring.base)

    def _h_set_vring_enable(self, msg):
        index, enable = msg.unpack(vu.VRING_STATE)
        ring = self._ring(index)
        if enable and not ring.enabled:
            ring.enabled = True
            self._rings_changed(f"ring {index} enabled")
        elif not enable and ring.enabled:
            if self.s.running:
                self._suspend_rings(f"ring {index} disabled")
            ring.enabled = False
            self._maybe_start()       # on the rings still live

    def _ring_fd(self, msg, kind: str) -> tuple[Ring, int]:
        v = msg.u64()
        ring = self._ring(v & vu.VRING_IDX_MASK)
        fd = -1
        if not v & vu.VRING_NOFD:
            if len(msg.fds) != 1:
                msg.close_fds()
                raise RequestError(f"{kind} of ring {v & vu.VRING_IDX_MASK}: "
                                   f"{len(msg.fds)} fds, 1 expected")
            fd = msg.fds[0]
        elif msg.fds:
            msg.close_fds()
            raise RequestError(f"{kind}: 'no fd' flag set, yet fds came")
        msg.fds = []
        return ring, fd

    def _h_set_vring_kick(self, msg):
        ring, fd = self._ring_fd(msg, "SET_VRING_KICK")
        old, ring.kick = ring.kick, fd
        self._close(old)
        self._wake_relay()
        ring.started = True
        if not self.s.features & (1 << vu.F_PROTOCOL_FEATURES):
            ring.enabled = True   # without protocol features rings are enabled when started
        self._rings_changed(f"ring {msg.u64() & vu.VRING_IDX_MASK} started")

    def _h_set_vring_call(self, msg):
        ring, fd = self._ring_fd(msg, "SET_VRING_CALL")
        old, ring.call = ring.call, fd
        if self.s.running:
            self._set_irqs()
        self._close(old)

    def _h_set_vring_err(self, msg):
        ring, fd = self._ring_fd(msg, "SET_VRING_ERR")
        old, ring.err = ring.err, fd
        self._close(old)

    def _not_running(self, index: int, what: str) -> None:
        if self.s.running and index in self.s.live:
            raise RequestError(f"{what} on ring {index} while it runs (GET_VRING_BASE first)")

    # ---- the device ------------------------------------------------------------
    def _live(self) -> tuple[int, ...]:
        """The rings ready to run: size and addresses set, started, enabled."""
        return tuple(q for q, r in enumerate(self.s.rings)
                     if r.num and r.addr_set and r.started and r.enabled)

    def _ready(self) -> bool:
        s = self.s
        return bool(s.regions) and bool(s.features) and {0, 1} <= set(self._live())

    def _rings_changed(self, why: str) -> None:
        """A ring turned live: start the device, or restart it with the ring."""
        if self.s.running and self._live() != self.s.live:
            self._suspend_rings(why)
        self._maybe_start()

    def _maybe_start(self) -> None:
        if self.s.running or not self._ready():
            return
        live = self._live()
        vqs = _ffi.new("struct vionic_vdpa_vq[]", self.nrings)
        for q, ring in enumerate(self.s.rings):
            if q not in live:
                vqs[q].size = 0          # stays disabled
                continue
            n = ring.num
            desc, _ = self._translate(ring.desc, 16 * n, f"ring {q} descriptor table")
            avail, _ = self._translate(ring.avail, 6 + 2 * n, f"ring {q} avail ring")
            used, region = self._translate(ring.used, 6 + 8 * n, f"ring {q} used ring")
            off = used - region.gpa + 2
            used_idx = struct.unpack_from("<H", region.mm, off)[0]
            v = vqs[q]
            v.desc, v.avail, v.used = desc, avail, used
            v.size, v.avail_idx, v.used_idx = n, ring.base, used_idx
            v.vector = RING_VECTOR0 + q
        features = self.s.features & ~(1 << vu.F_PROTOCOL_FEATURES)
        if features >> regs.VIRTIO_NET_F_MQ & 1:
            # the device's control queue is libvionic's (the front-end
            # answers its driver's), whether the front-end took CTRL_VQ or not
            features |= 1 << regs.VIRTIO_NET_F_CTRL_VQ
        # the pairs in use: from pair 0 on, while both rings are live
        pairs = next(p for p in range(self.nrings // 2 + 1)
                     if p == self.nrings // 2 or not {2 * p, 2 * p + 1} <= set(live))
        with self.lock:
            self._set_irqs()
            _check(_lib.vionic_vdpa_start(self._h, features, CONFIG_VECTOR, vqs, self.nrings),
                    "starting the device on the front-end's rings")
            if features >> regs.VIRTIO_NET_F_MQ & 1:
                _check(_lib.vionic_vdpa_set_queue_pairs(self._h, pairs),
                        f"setting {pairs} queue pairs")
            self.s.running, self.s.live = True, live
            self.needs_reset_logged = False
            # kicks that came before the device ran were dropped: one
            # doorbell per ring makes a kicked device look at its rings now
            for q in live:
                self._kick(q)
        names = " ".join(regs.feature_name(b) for b in range(64) if features >> b & 1)
        self.log(f"device started: features {names}; rings "
                 + ", ".join(f"{q}: {self.s.rings[q].num} entries from {self.s.rings[q].base}"
                             for q in live)
                 + (f"; {pairs} queue pairs" if features >> regs.VIRTIO_NET_F_MQ & 1 else ""))
        self._wake_relay()

    def _set_irqs(self) -> None:
        fds = _ffi.new("int[]", [self.config_efd] + [
            r.call if r.call >= 0 else self.spare_efd for r in self.s.rings])
        with self.lock:
            _check(_lib.vionic_vdpa_set_irqs(self._h, fds, 1 + self.nrings),
                    "wiring the call eventfds to MSI-X vectors")

    def _suspend_rings(self, why: str) -> None:
        """Suspends the device and keeps where each ring stopped (its base)."""
        a, u = _ffi.new("uint16_t *"), _ffi.new("uint16_t *")
        with self.lock:
            _check(_lib.vionic_vdpa_suspend(self._h, SUSPEND_TIMEOUT_MS), "suspending")
            for q in self.s.live:
                _check(_lib.vionic_vdpa_vq_state(self._h, q, a, u), "reading VQ_STATE")
                self.s.rings[q].base = a[0]
            self.s.running = False
        self.log(f"device suspended ({why}): rings stopped at "
                 + ", ".join(f"{q}: {self.s.rings[q].base}" for q in self.s.live))

    def _stop_device(self, why: str) -> None:
        with self.lock:
            _check(_lib.vionic_vdpa_reset(self._h), f"device reset ({why})")
            self.s.running = False
        self.log(f"device reset ({why})")

    def _end_session(self) -> None:
        try:
            self._stop_device("front-end gone")
        except VionicError as e:
            self.log(f"device reset failed: {e}")
        try:
            self._unmap_all()
        except VionicError as e:
            self.log(f"unmapping failed: {e}")
        for ring in self.s.rings:
            for fd in (ring.kick, ring.call, ring.err):
                self._close(fd)
        self.s = self._new_session()
        self._wake_relay()

    @staticmethod
    def _close(fd: int) -> None:
        if fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass

    # ---- the relay: kicks to doorbells, the config vector --------------------
    def _wake_relay(self) -> None:
        try:
            os.write(self.wake_w, b"x")
        except BlockingIOError:
            pass

    def _relay(self) -> None:
        while not self.stop_relay:
            rings = list(enumerate(self.s.rings))
            watch = {self.wake_r: None, self.config_efd: "config"}
            for q, ring in rings:
                if ring.kick >= 0:
                    watch[ring.kick] = q
            try:
                ready, _, _ = select.select(list(watch), [], [], 1.0)
            except (OSError, ValueError):
                continue      # an fd closed under us: the wake pipe says what changed
            for fd in ready:
                what = watch[fd]
                try:
                    if what is None:
                        os.read(self.wake_r, 4096)
                    elif what == "config":
                        os.eventfd_read(fd)
                        self._config_event()
                    else:
                        os.eventfd_read(fd)
                        self._kick(what)
                except (BlockingIOError, OSError):
                    pass
                except VionicError as e:    # the device went away: the session ends
                    self.log(f"relay: {e}")

    def _kick(self, q: int) -> None:
        ring = self.s.rings[q]
        ring.kicks = (ring.kicks + 1) & 0xFFFF
        with self.lock:
            if self.s.running:
                _lib.vionic_vdpa_kick(self._h, q, ring.kicks)

    def _config_event(self) -> None:
        with self.lock:
            st = _ffi.new("uint8_t *")
            if _lib.vionic_vdpa_status(self._h, st) < 0:
                return
            if not st[0] & regs.VIRTIO_STATUS_DEVICE_NEEDS_RESET or self.needs_reset_logged:
                return
            self.needs_reset_logged = True
            e = self.dev.stats()["error"]
        self.log(f"device needs reset: error {e['code']} ({e['text']}) on virtqueue "
                 f"{e['queue']}, descriptor {e['desc']}, IOVA 0x{e['addr']:x}; the "
                 "front-end sees NEEDS_RESET in GET_STATUS and on the rings' error eventfds")
        for ring in self.s.rings:
            if ring.err >= 0:
                try:
                    os.eventfd_write(ring.err, 1)
                except OSError:
                    pass

    def close(self) -> None:
        self.stop_relay = True
        self._wake_relay()
        self.relay.join(timeout=2)
        for fd in (self.config_efd, self.spare_efd, self.wake_r, self.wake_w):
            self._close(fd)


    def stats(self) -> dict:
        """The device's counters (safe while front-ends are served)."""
        with self.lock:
            return self.dev.stats()

    def run(self, path: str, *, client: bool = False, once: bool = False,
            ready=None, should_stop=lambda: False) -> int:
        """Serves front-ends on UNIX socket `path`: listening there (server
        mode), or connecting to a front-end listening there (client mode,
        reconnecting whenever it goes away). Returns how many were served."""
        listener = None
        try:
            if not client:
                if os.path.exists(path):
                    os.unlink(path)
                listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
                listener.bind(path)
                listener.listen(1)
                listener.settimeout(0.2)
                self.log(f"listening on {path}")
            if ready:
                ready()
            while not should_stop():
                if listener is not None:
                    try:
                        conn, _ = listener.accept()
                    except TimeoutError:
                        continue
                else:
                    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
                    try:
                        conn.connect(path)
                    except OSError:
                        conn.close()
                        time.sleep(0.2)
                        continue
                conn.settimeout(None)
                with conn:
                    self.serve(conn)
                if once:
                    break
            return self.served
        finally:
            if listener is not None:
                listener.close()
                try:
                    os.unlink(path)
                except OSError:
                    pass


def serve(device: Device, path: str, *, client: bool = False, once: bool = False,
          should_stop=lambda: False, log=_log) -> int:
    """Runs a Backend on `device` at `path` (see Backend.run) until should_stop()
    or, with once, the first front-end leaves."""
    backend = Backend(device, log=log)
    try:
        return backend.run(path, client=client, once=once, should_stop=should_stop)
    finally:
        backend.close()


class BackendThread:
    """A Backend on `dev` listening on `path`, in a thread of this process,
    keeping what it logs in `lines` (tests and benchmarks)."""

    def __init__(self, dev, path: str):
        self.lines: list[str] = []
        self.backend = Backend(dev, log=self._log)
        self.stop = threading.Event()
        ready = threading.Event()
        self.t = threading.Thread(target=self.backend.run, args=(path,),
                                  kwargs={"ready": ready.set, "should_stop": self.stop.is_set},
                                  daemon=True)
        self.t.start()
        assert ready.wait(10)

    def _log(self, msg: str) -> None:
        print(f"vionic vdpa: {msg}", flush=True)
        self.lines.append(msg)

    def stats(self) -> dict:
        return self.backend.stats()

    def wait_idle(self, timeout: float = 30) -> None:
        """Until every front-end that connected has been cleaned up after."""
        deadline = time.monotonic() + timeout
        while (sum("connected" in m for m in self.lines) !=
               sum("front-end gone" in m for m in self.lines)):
            assert time.monotonic() < deadline, f"a session did not end: {self.lines[-5:]}"
            time.sleep(0.01)

    def call(self, fn, *args):
        """fn(*args) on the device, between the backend's own calls."""
        with self.backend.lock:
            return fn(*args)

    def close(self) -> None:
        self.stop.set()
        self.t.join(10)
        self.backend.close()
        assert not self.t.is_alive()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def check_path(path: str) -> str:
    if not isinstance(path, str) or not path:
        raise InvalidArgument("give the vhost-user socket path, e.g. /tmp/vionic-vdpa.sock")
    if len(os.fsencode(path)) > 107:
        raise InvalidArgument(f"socket path {path!r} is longer than a UNIX socket takes "
                              "(107 bytes); use a shorter one")
    return path
