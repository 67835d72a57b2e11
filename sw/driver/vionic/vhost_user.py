"""The vhost-user protocol, the backend's side (QEMU docs/interop/vhost-user.rst):
message framing over a UNIX stream socket with file descriptors in
SCM_RIGHTS, the request numbers and payload layouts vionic's backend uses.

Nothing here knows the device: `vionic.vdpa` maps the requests onto it.
"""

from __future__ import annotations

import array
import enum
import socket
import struct

HEADER = struct.Struct("<III")          # request, flags, size
VERSION = 0x1
FLAG_VERSION_MASK = 0x3
FLAG_REPLY = 1 << 2
FLAG_NEED_REPLY = 1 << 3
MAX_PAYLOAD = 4096                      # far above any message the backend takes
MAX_FDS = 32                            # SET_MEM_TABLE carries up to 8 (QEMU), 32 asked
MAX_REGIONS = 8                         # VHOST_MEMORY_BASELINE_NREGIONS

F_PROTOCOL_FEATURES = 30                # in GET_FEATURES: protocol features exist

VRING_IDX_MASK = 0xFF                   # SET_VRING_KICK/CALL/ERR u64: ring index ...
VRING_NOFD = 1 << 8                     # ... and "no fd: poll" (invalid FD flag)


class Req(enum.IntEnum):
    """Front-end requests (the subset of numbers the backend knows)."""
    GET_FEATURES = 1
    SET_FEATURES = 2
    SET_OWNER = 3
    RESET_OWNER = 4
    SET_MEM_TABLE = 5
    SET_LOG_BASE = 6
    SET_LOG_FD = 7
    SET_VRING_NUM = 8
    SET_VRING_ADDR = 9
    SET_VRING_BASE = 10
    GET_VRING_BASE = 11
    SET_VRING_KICK = 12
    SET_VRING_CALL = 13
    SET_VRING_ERR = 14
    GET_PROTOCOL_FEATURES = 15
    SET_PROTOCOL_FEATURES = 16
    GET_QUEUE_NUM = 17
    SET_VRING_ENABLE = 18
    SEND_RARP = 19
    NET_SET_MTU = 20
    SET_BACKEND_REQ_FD = 21
    IOTLB_MSG = 22
    SET_VRING_ENDIAN = 23
    GET_CONFIG = 24
    SET_CONFIG = 25
    GET_INFLIGHT_FD = 31
    SET_INFLIGHT_FD = 32
    RESET_DEVICE = 34
    GET_MAX_MEM_SLOTS = 36
    ADD_MEM_REG = 37
    REM_MEM_REG = 38
    SET_STATUS = 39
    GET_STATUS = 40


class ProtoF(enum.IntEnum):
    """Protocol feature bits."""
    MQ = 0
    LOG_SHMFD = 1
    RARP = 2
    REPLY_ACK = 3
    NET_MTU = 4
    BACKEND_REQ = 5
    CROSS_ENDIAN = 6
    CONFIG = 9
    HOST_NOTIFIER = 11
    INFLIGHT_SHMFD = 12
    RESET_DEVICE = 13
    CONFIGURE_MEM_SLOTS = 15
    STATUS = 16


U64 = struct.Struct("<Q")
VRING_STATE = struct.Struct("<II")      # index, num
VRING_ADDR = struct.Struct("<IIQQQQ")   # index, flags, desc, used, avail, log (user addresses)
MEM_HEADER = struct.Struct("<II")       # nregions, padding
MEM_REGION = struct.Struct("<QQQQ")     # guest_phys_addr, memory_size, userspace_addr, mmap_offset
CONFIG_HEADER = struct.Struct("<III")   # offset, size, flags


class BadMessage(Exception):
    """A message the backend cannot take: the connection is closed."""


class Message:
    __slots__ = ("req", "flags", "payload", "fds")

    def __init__(self, req: int, flags: int, payload: bytes, fds: list[int]):
        self.req, self.flags, self.payload, self.fds = req, flags, payload, fds

    @property
    def name(self) -> str:
        try:
            return Req(self.req).name
        except ValueError:
            return f"request {self.req}"

    def need_reply(self) -> bool:
        return bool(self.flags & FLAG_NEED_REPLY)

    def u64(self) -> int:
        return self.unpack(U64)[0]

    def unpack(self, st: struct.Struct, offset: int = 0) -> tuple:
        if len(self.payload) < offset + st.size:
            raise BadMessage(f"{self.name}: payload of {len(self.payload)} bytes, "
                             f"{offset + st.size} expected")
        return st.unpack_from(self.payload, offset)

    def close_fds(self) -> None:
        import os

        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds = []


def _recv_exact(sock: socket.socket, n: int, fds: list[int]) -> bytes | None:
    """n bytes (and any fds that come with them); None at a clean EOF before
    the first byte."""
    buf = bytearray()
    while len(buf) < n:
        want = n - len(buf)
        anc = socket.CMSG_SPACE(MAX_FDS * array.array("i").itemsize)
        data, ancdata, _, _ = sock.recvmsg(want, anc)
        for level, typ, cdata in ancdata:
            if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                a = array.array("i")
                a.frombytes(cdata[:len(cdata) - len(cdata) % a.itemsize])
                fds.extend(a)
        if not data:
            if not buf:
                return None
            raise BadMessage(f"connection closed inside a message ({len(buf)} of {n} bytes)")
        buf += data
    return bytes(buf)


def recv(sock: socket.socket) -> Message | None:
    """The next message, or None when the front-end hung up."""
    fds: list[int] = []
    try:
        hdr = _recv_exact(sock, HEADER.size, fds)
        if hdr is None:
            return None
        req, flags, size = HEADER.unpack(hdr)
        if flags & FLAG_VERSION_MASK != VERSION:
            raise BadMessage(f"request {req}: version {flags & FLAG_VERSION_MASK}, not {VERSION}")
        if size > MAX_PAYLOAD:
            raise BadMessage(f"request {req}: payload of {size} bytes (at most {MAX_PAYLOAD})")
        payload = _recv_exact(sock, size, fds) if size else b""
        if payload is None:
            raise BadMessage(f"request {req}: connection closed before its payload")
    except BaseException:
        Message(0, 0, b"", fds).close_fds()
        raise
    return Message(req, flags, payload, fds)


def reply(sock: socket.socket, msg: Message, payload: bytes) -> None:
    sock.sendall(HEADER.pack(msg.req, VERSION | FLAG_REPLY, len(payload)) + payload)
