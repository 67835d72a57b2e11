"""The Pythonic face of libvionic: one `Device` per NIC."""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np

from . import errors, regs
from ._ext import ffi as _ffi
from ._ext import lib as _lib
from .errors import (
    DeviceGone,
    DeviceNeedsReset,
    DeviceTimeout,
    FrameTooLarge,
    InvalidArgument,
    StateError,
)
from .server import ServerProcess

BACKENDS = ("model", "rtl")   # URIs that start a device server of their own
CHECK_INTERVAL = 0.05         # seconds between health checks while waiting


class Frame(bytes):
    """A received frame: bytes, plus what the device found out about it.
    `csum_valid`: the device checked its TCP/UDP checksum and it is right
    (VIRTIO_NET_F_GUEST_CSUM negotiated); False means unknown. `hash`: the
    device's RSS hash (HASH_REPORT, after set_rss), None when it reported
    none; `hash_type`: what it hashed (regs.VIRTIO_NET_HASH_REPORT_*)."""

    csum_valid: bool = False
    hash: int | None = None
    hash_type: int = regs.VIRTIO_NET_HASH_REPORT_NONE

    def __new__(cls, data: bytes, csum_valid: bool = False, hash: int | None = None,
                hash_type: int = regs.VIRTIO_NET_HASH_REPORT_NONE):
        f = super().__new__(cls, data)
        f.csum_valid = csum_valid
        f.hash, f.hash_type = hash, hash_type
        return f



def _fail(rc: int, context: str = ""):
    """Raises the typed exception of a negative libvionic return code."""
    detail = _ffi.string(_lib.vionic_last_error()).decode(errors="replace")
    message = detail or _ffi.string(_lib.vionic_strerror(rc)).decode()
    if context:
        message = f"{context}: {message}"
    raise errors.class_for(rc)(message, rc)


def _check(rc: int, context: str = "") -> int:
    if rc < 0:
        _fail(rc, context)
    return rc


def _call(fn, *args) -> int:
    """Calls libvionic, turning an argument that does not fit its C type
    (cffi's OverflowError or TypeError) into InvalidArgument. The rules on
    values are libvionic's: it checks them and says what to use."""
    try:
        return fn(*args)
    except (OverflowError, TypeError) as e:
        raise InvalidArgument(f"{fn.__name__}: {e}") from None


class Device:
    """A vionic NIC. Use `vionic.open(uri)` rather than this constructor.

    Frames are Ethernet frames without FCS (14..MTU+14 bytes). Queue pair 0 is
    the only one for now. The data path (send/recv and the batch variants)
    makes no system call while frames flow; it waits with the device's
    interrupt only when asked to block.
    """

    def __init__(self, uri: str, *, wire: str | None = None, start: bool = True,
                 rx_ring_size: int = 0, tx_ring_size: int = 0,
                 nb_mbufs: int = 0, mbuf_size: int = 0, features: int = 0,
                 cpu: int | None = None, trace: str | None = None,
                 dma_latency: int | None = None, mtu: int | None = None,
                 pcap: str | None = None, queue_pairs: int | None = None):
        if not isinstance(uri, str):
            raise errors.BadURI(f"device URI must be a string like 'model' or 'sim:PATH', "
                                f"not {type(uri).__name__}")
        self.uri = uri
        self.server: ServerProcess | None = None
        self._dev = _ffi.NULL
        self._started = False
        self._netdev = None
        if uri in BACKENDS:
            self.server = ServerProcess(core=uri, wire=wire or "loopback", cpu=cpu, trace=trace,
                                        dma_latency=dma_latency, mtu=mtu, pcap=pcap,
                                        queue_pairs=queue_pairs)
            target = self.server.uri
        elif uri.startswith(("sim:", "vfio:")):
            if any(v is not None for v in (wire, trace, dma_latency, mtu, pcap, queue_pairs)):
                raise InvalidArgument(f"wire=, trace=, dma_latency=, mtu=, pcap= and "
                                      f"queue_pairs= apply to a "
                                      f"device this "
                                      f"call starts ('model', 'rtl'); the server behind {uri!r} "
                                      "has its own")
            target = uri
        else:
            raise errors.BadURI(f"device URI {uri!r} is not understood; use 'model', 'rtl', "
                                "'sim:/path/to/socket' or 'vfio:0000:01:00.0'")
        pdev = _ffi.new("vionic_dev **")
        try:
            _check(_lib.vionic_open(target.encode(), pdev), f"opening {uri}")
            self._dev = pdev[0]
            if start:
                self.configure(rx_ring_size=rx_ring_size, tx_ring_size=tx_ring_size,
                               nb_mbufs=nb_mbufs, mbuf_size=mbuf_size, features=features,
                               queue_pairs=queue_pairs or 1)
                self.start()
        except BaseException:
            self.close()
            raise

    # ---- life cycle -------------------------------------------------------
    @property
    def _handle(self):
        if self._dev == _ffi.NULL:
            raise StateError("the device is closed; open it again with vionic.open()")
        return self._dev

    def configure(self, *, rx_ring_size: int = 0, tx_ring_size: int = 0,
                  nb_mbufs: int = 0, mbuf_size: int = 0, features: int = 0,
                  queue_pairs: int = 1) -> None:
        """Brings the device up to FEATURES_OK with rings and mempool set up.
        Ring sizes are powers of two up to info()['max_ring_size']; 0 (and
        nb_mbufs=0, mbuf_size=0, features=0) takes libvionic's default.
        queue_pairs: how many to drive (up to info()['max_queue_pairs']); each
        may be polled by a thread of its own."""
        fields = {"nb_queue_pairs": queue_pairs, "rx_ring_size": rx_ring_size,
                  "tx_ring_size": tx_ring_size, "nb_mbufs": nb_mbufs, "mbuf_size": mbuf_size,
                  "features": features}
        conf = _ffi.new("struct vionic_conf *")
        for name, value in fields.items():
            try:
                setattr(conf, name, value)
            except (OverflowError, TypeError) as e:
                arg = "queue_pairs" if name == "nb_queue_pairs" else name
                raise InvalidArgument(f"{arg}={value!r}: {e}") from None
        self._ok(_lib.vionic_configure(self._handle, conf))
        self._started = False

    def start(self) -> None:
        """Sets DRIVER_OK: frames may flow."""
        self._ok(_lib.vionic_start(self._handle))
        self._started = True

    def set_rss(self, hash_types: int, key: bytes, reta: list[int] | None = None) -> None:
        """RSS and hash report (vionic_rss_configure): the Toeplitz hash with
        `key` (1..40 bytes) over the fields of `hash_types`
        (regs.VIRTIO_NET_RSS_HASH_TYPE_* bits); with `reta` (a power-of-two
        list of queue pairs, up to 128) each frame goes to reta[hash %
        len(reta)]; received frames carry the hash (Frame.hash) where the
        device reports it (HASH_REPORT). Needs a started device with several
        queue pairs; kept across reset()."""
        reta = list(reta or [])
        conf = _ffi.new("struct vionic_rss_conf *")
        try:
            conf.hash_types = hash_types
            conf.key_len = len(key)
            conf.reta_size = len(reta)
        except (OverflowError, TypeError) as e:
            raise InvalidArgument(f"set_rss: {e}") from None
        if len(key) > len(conf.key) or len(reta) > len(conf.reta):
            raise InvalidArgument(f"set_rss: a key of {len(key)} bytes and a table of "
                                  f"{len(reta)} entries; at most {len(conf.key)} and "
                                  f"{len(conf.reta)}")
        _ffi.memmove(conf.key, bytes(key), len(key))
        for i, q in enumerate(reta):
            if not isinstance(q, int) or not 0 <= q < 0x10000:
                raise InvalidArgument(f"set_rss: reta[{i}] = {q!r} is not a queue pair")
            conf.reta[i] = q
        self._ok(_lib.vionic_rss_configure(self._handle, conf))

    def stop(self) -> None:
        """Stops the data path and returns every buffer to the mempool."""
        self._ok(_lib.vionic_stop(self._handle))
        self._started = False

    def reset(self) -> None:
        """Resets the device and brings it back up with the same
        configuration: the way out of DeviceNeedsReset."""
        self._ok(_lib.vionic_reset(self._handle))
        self._started = True

    def close(self) -> None:
        """Resets the device, releases its memory and stops a server this
        device started. Safe to call twice."""
        if getattr(self, "_netdev", None) is not None:
            self._netdev.close()
        if self._dev is not None and self._dev != _ffi.NULL:
            _lib.vionic_close(self._dev)
            self._dev = _ffi.NULL
        if self.server is not None:
            self.server.stop()
            self.server = None

    @property
    def closed(self) -> bool:
        return self._dev == _ffi.NULL

    def __enter__(self) -> Device:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("started" if self._started else "open")
        return f"<vionic.Device {self.uri!r} {state}>"

    # ---- health -------------------------------------------------------------
    def check(self) -> None:
        """Raises DeviceGone or DeviceNeedsReset if the device is not healthy."""
        rc = _lib.vionic_check(self._handle)
        if rc == _lib.VIONIC_ENEEDS_RESET:
            err = self._error_log()
            raise DeviceNeedsReset(
                f"the device needs a reset after error {err['code']} "
                f"({regs.device_error_text(err['code'])}) on queue {err['queue']}, "
                f"descriptor {err['desc']}, address {err['addr']:#x}; call reset()",
                rc, err)
        _check(rc)

    def _ok(self, rc: int) -> int:
        """_check for calls on an open device: NEEDS_RESET comes with the
        device's error log."""
        if rc == _lib.VIONIC_ENEEDS_RESET:
            self.check()
        return _check(rc)

    def _error_log(self) -> dict:
        st = _ffi.new("struct vionic_stats *")
        _lib.vionic_stats_get(self._dev, st)
        return {"code": st.err_code, "queue": st.err_queue, "desc": st.err_desc,
                "addr": st.err_addr}

    # ---- data path ------------------------------------------------------------
    def send(self, frames: Iterable[bytes], *, qp: int = 0, timeout: float | None = 1.0,
             csum: bool = False) -> int:
        """Queues every frame for transmission, waiting up to `timeout`
        seconds (None: forever) for ring space. Frames are bytes-like.
        csum=True: the device completes each frame's TCP/UDP checksum
        (whatever the field holds now; needs VIRTIO_NET_F_CSUM, and every
        frame TCP or UDP over IPv4/IPv6). Returns the count; raises before
        queuing anything if a frame is bad."""
        frames = [memoryview(f).cast("B") for f in frames]
        if not frames:
            return 0
        lens = np.fromiter((len(f) for f in frames), dtype=np.int64, count=len(frames))
        if lens.max() > 0xFFFF:
            raise FrameTooLarge(f"a frame of {int(lens.max())} bytes is larger than MTU + 14; "
                                "split it or raise the MTU")
        stride = int(lens.max())
        data = np.zeros((len(frames), stride), dtype=np.uint8)
        for i, f in enumerate(frames):
            data[i, :len(f)] = np.frombuffer(f, dtype=np.uint8)
        return self.send_batch(data, lens.astype(np.uint16), qp=qp, timeout=timeout, csum=csum)

    def send_batch(self, data: np.ndarray, lengths, *, qp: int = 0,
                   timeout: float | None = 1.0, csum: bool = False) -> int:
        """Sends frame i = data[i, :lengths[i]] for every row, with one C call
        per ring-full and no Python work per frame. `data` is a 2-D uint8
        array with contiguous rows. csum: as for send()."""
        data = np.asarray(data)
        if data.ndim != 2 or data.dtype != np.uint8 or data.strides[1] != 1:
            raise InvalidArgument("data must be a 2-D numpy uint8 array with contiguous rows "
                                  "(one frame per row)")
        lengths = np.ascontiguousarray(lengths, dtype=np.uint16)
        n = data.shape[0]
        if lengths.shape != (n,):
            raise InvalidArgument(f"lengths must have one entry per row of data ({n})")
        if n and int(lengths.max()) > data.shape[1]:
            raise InvalidArgument("a length is larger than the row it describes")
        stride = data.strides[0]
        buf = _ffi.from_buffer("uint8_t[]", data) if n else _ffi.NULL
        lens = _ffi.from_buffer("uint16_t[]", lengths) if n else _ffi.NULL
        # "complete the L4 checksum" for every frame (libvionic finds out which)
        ol_flags = np.full(n, _lib.VIONIC_MBUF_F_TX_TCP_CKSUM, dtype=np.uint32) \
            if csum and n else None
        ol = _ffi.NULL if ol_flags is None else _ffi.from_buffer("uint32_t[]", ol_flags)
        sent = 0
        deadline = None if timeout is None else time.monotonic() + timeout
        next_check = time.monotonic() + CHECK_INTERVAL
        while True:   # at least one call, so that libvionic checks qp and state
            rc = self._ok(_call(_lib.vionic_tx_copy, self._handle, qp,
                                buf + sent * stride if n else buf, stride,
                                lens + sent if n else lens, ol + sent if ol else ol, n - sent))
            sent += rc
            if sent == n:
                break
            if rc == 0:
                now = time.monotonic()
                if now >= next_check:
                    self.check()
                    next_check = now + CHECK_INTERVAL
                if deadline is not None and now >= deadline:
                    raise DeviceTimeout(f"the device took {sent} of {n} frames in {timeout} s; "
                                        "the TX ring stayed full (is the wire consuming?)")
                _lib.vionic_tx_reclaim(self._dev, qp)
        return sent

    def recv(self, max_frames: int = 64, *, qp: int = 0,
             timeout: float | None = 0.0) -> list[Frame]:
        """Returns up to `max_frames` received frames (Frame: bytes with
        `csum_valid`, `hash`, `hash_type`). Waits up to `timeout` seconds
        (None: forever, 0: just poll) for the first one."""
        n = max_frames if isinstance(max_frames, int) and max_frames > 0 else 1
        flags, hashes = np.empty(n, dtype=np.uint32), np.empty(n, dtype=np.uint32)
        types = np.empty(n, dtype=np.uint16)
        data, lens = self.recv_batch(max_frames, qp=qp, timeout=timeout, ol_flags=flags,
                                     hashes=hashes, hash_types=types)
        good, hashed = _lib.VIONIC_MBUF_F_RX_L4_CKSUM_GOOD, _lib.VIONIC_MBUF_F_RX_RSS_HASH
        return [Frame(data[i, :lens[i]].tobytes(), bool(flags[i] & good),
                      int(hashes[i]) if flags[i] & hashed else None, int(types[i]))
                for i in range(len(lens))]

    def recv_batch(self, max_frames: int = 256, *, qp: int = 0, timeout: float | None = 0.0,
                   out: np.ndarray | None = None,
                   ol_flags: np.ndarray | None = None, hashes: np.ndarray | None = None,
                   hash_types: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Receives up to `max_frames` frames into a 2-D uint8 array (one
        frame per row, `out` if given) with one C call and no Python work per
        frame. Returns (rows, lengths) for the frames received. `ol_flags`
        (a uint32 array, one entry per frame) gets each frame's
        VIONIC_MBUF_F_RX_* flags (regs-like constants in vionic's lib);
        `hashes` (uint32) and `hash_types` (uint16) the RSS hash and what it
        hashed, where ol_flags has VIONIC_MBUF_F_RX_RSS_HASH."""
        if not isinstance(max_frames, int) or max_frames <= 0:
            raise InvalidArgument(f"max_frames={max_frames!r} must be a positive integer")
        per_frame = {"ol_flags": (ol_flags, np.uint32), "hashes": (hashes, np.uint32),
                     "hash_types": (hash_types, np.uint16)}
        for name, (a, dtype) in per_frame.items():
            if a is not None and (not isinstance(a, np.ndarray) or a.dtype != dtype
                                  or a.ndim != 1 or not a.flags.c_contiguous
                                  or not a.flags.writeable):
                raise InvalidArgument(f"{name} must be a writable 1-D contiguous numpy "
                                      f"{np.dtype(dtype).name} array")
        room = _lib.vionic_rx_max_frame(self._handle)
        if out is None:
            out = np.empty((max_frames, room), dtype=np.uint8)
        elif (out.ndim != 2 or out.dtype != np.uint8 or out.strides[1] != 1
              or out.shape[1] < room or not out.flags.writeable):
            raise InvalidArgument(f"out must be a writable 2-D uint8 array with rows of at "
                                  f"least {room} bytes")
        max_frames = min(max_frames, out.shape[0],
                         *(a.shape[0] for a, _ in per_frame.values() if a is not None))
        lens = np.empty(max_frames, dtype=np.uint16)
        buf = _ffi.from_buffer("uint8_t[]", out, require_writable=True)
        lens_c = _ffi.from_buffer("uint16_t[]", lens, require_writable=True)
        flags_c, hash_c, type_c = (
            _ffi.NULL if a is None else
            _ffi.from_buffer(f"{np.dtype(dtype).name}_t[]", a, require_writable=True)
            for a, dtype in per_frame.values())
        stride = out.strides[0]
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            n = self._ok(_call(_lib.vionic_rx_copy, self._handle, qp, buf, stride, lens_c,
                               flags_c, hash_c, type_c, max_frames))
            if n or timeout == 0:
                return out[:n], lens[:n]
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                return out[:0], lens[:0]
            wait_ms = int(CHECK_INTERVAL * 1000) if deadline is None else \
                max(1, min(int(CHECK_INTERVAL * 1000), int((deadline - now) * 1000)))
            if self._ok(_lib.vionic_rx_wait(self._dev, qp, wait_ms)) == 0:
                self.check()

    # ---- information ------------------------------------------------------------
    def info(self) -> dict:
        """Features, MAC, MTU, queue and ring sizes, and which device core."""
        inf = _ffi.new("struct vionic_info *")
        self._ok(_lib.vionic_info_get(self._handle, inf))
        return {
            "mac": ":".join(f"{b:02x}" for b in inf.mac),
            "mtu": inf.mtu,
            "max_queue_pairs": inf.max_queue_pairs,
            "max_ring_size": inf.max_ring_size,
            "link_up": bool(inf.link_up),
            "impl": regs.impl_name(inf.impl),
            "regmap_version": f"{inf.regmap_version >> 16}.{inf.regmap_version & 0xFFFF}",
            "device_features": inf.device_features,
            "driver_features": inf.driver_features,
            "rx_ring_size": inf.rx_ring_size,
            "tx_ring_size": inf.tx_ring_size,
            "hdr_len": inf.hdr_len,
            "mbuf_size": inf.mbuf_size,
            "nb_mbufs": inf.nb_mbufs,
        }

    def stats(self) -> dict:
        """Driver and device counters (device counters from the vendor block)."""
        st = _ffi.new("struct vionic_stats *")
        self._ok(_lib.vionic_stats_get(self._handle, st))

        def q(s):
            return {"packets": s.packets, "bytes": s.bytes, "drops": s.drops, "errors": s.errors}

        return {
            "rx_packets": st.rx_packets, "rx_bytes": st.rx_bytes,
            "tx_packets": st.tx_packets, "tx_bytes": st.tx_bytes,
            "rx_nombuf": st.rx_nombuf, "tx_ring_full": st.tx_ring_full,
            "doorbells": st.doorbells,
            "device": {"rx": q(st.dev_rx), "tx": q(st.dev_tx), "cycles": st.dev_cycles,
                       "status": st.device_status},
            "error": {"code": st.err_code, "queue": st.err_queue, "desc": st.err_desc,
                      "addr": st.err_addr,
                      "text": regs.device_error_text(st.err_code)},
        }

    def mempool_avail(self) -> int:
        """Free mbufs in the mempool right now."""
        return _lib.vionic_mempool_avail(self._handle)

    def mempool_on_rings(self) -> int:
        """Mbufs posted on RX rings and not yet received."""
        return _lib.vionic_mempool_on_rings(self._handle)

    # ---- registers and fault injection (diagnostics and tests) -------------------
    def read_reg(self, offset: int, size: int = 4) -> int:
        """Reads a BAR0 register (size 1, 2 or 4)."""
        val = _ffi.new("uint32_t *")
        self._ok(_lib.vionic_reg_read(self._handle, offset, size, val))
        return val[0]

    def write_reg(self, offset: int, value: int, size: int = 4) -> None:
        """Writes a BAR0 register (size 1, 2 or 4)."""
        self._ok(_lib.vionic_reg_write(self._handle, offset, size, value))

    def read_config(self, offset: int, size: int = 4) -> int:
        """Reads PCI configuration space."""
        val = _ffi.new("uint32_t *")
        self._ok(_lib.vionic_cfg_read(self._handle, offset, size, val))
        return val[0]

    def debug_write_desc(self, vq: int, slot: int, addr: int, length: int, flags: int = 0,
                         next: int = 0) -> None:
        """Writes descriptor `slot` of virtqueue `vq` verbatim (tests only)."""
        self._ok(_lib.vionic_debug_write_desc(self._handle, vq, slot, addr, length, flags, next))

    def debug_post(self, vq: int, head: int) -> None:
        """Publishes avail entry `head` on virtqueue `vq` and rings its
        doorbell, bypassing the driver (tests only)."""
        self._ok(_lib.vionic_debug_post(self._handle, vq, head))

    def dma_window(self) -> tuple[int, int, memoryview]:
        """(first IOVA, size, host view) of the memory the device may reach."""
        iova = _ffi.new("uint64_t *")
        size = _ffi.new("uint64_t *")
        host = _ffi.new("void **")
        self._ok(_lib.vionic_debug_dma_window(self._handle, iova, size, host))
        return iova[0], size[0], memoryview(_ffi.buffer(host[0], size[0]))


def open(uri: str, **kwargs) -> Device:
    """Opens a vionic device and (by default) configures and starts it.

    uri: "model" starts a software NIC model in the background, "rtl" the
    Verilated RTL (built on first use); wire= picks their wire: "loopback",
    "sink", "gen:SIZE", "unix:PATH", "tap:IFNAME[@NETNS]", "pcap:FILE".
    "sim:PATH" connects to a running device server; "vfio:BDF" a board. Keyword arguments: start,
    rx_ring_size, tx_ring_size, nb_mbufs, mbuf_size, features; for a device
    it starts, mtu= (up to 9000 on the RTL), queue_pairs= (the server's, and how
    many libvionic drives: more than one offers MQ and CTRL_VQ; up to 8, the RTL
    built for the count on first use) and pcap= (a
    capture of every frame on the wire, both ways); for "rtl" also trace=
    (an FST waveform file) and dma_latency= (host memory latency, cycles).
    """
    return Device(uri, **kwargs)


__all__ = ["Device", "open", "DeviceGone"]
