"""Typed exceptions. Every error a user can cause has its own class, and
every message says what to do about it."""

from __future__ import annotations


class VionicError(Exception):
    """Base class of every vionic error. `code` is libvionic's negative
    VIONIC_E* value where the error came from C, else None."""

    code: int | None = None

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code


class InvalidArgument(VionicError, ValueError):
    """An argument the library cannot accept."""


class BadURI(InvalidArgument):
    """The device URI is not one of "model", "rtl", "sim:PATH", "vfio:BDF"."""


class RingSizeError(InvalidArgument):
    """A ring size that is not a power of two or above the device maximum."""


class QueueOutOfRange(InvalidArgument, IndexError):
    """A queue pair index the device does not have."""


class FrameTooLarge(InvalidArgument):
    """A frame longer than MTU + 14 bytes."""


class FrameTooSmall(InvalidArgument):
    """A frame shorter than an Ethernet header (14 bytes)."""


class FeatureError(VionicError):
    """The device refused the requested feature set (FEATURES_OK)."""


class DeviceGone(VionicError, ConnectionError):
    """The device (or its server process) is not reachable any more."""


class DeviceNeedsReset(VionicError):
    """The device reported DEVICE_NEEDS_RESET; `error` holds its error log."""

    def __init__(self, message: str, code: int | None = None, error: dict | None = None):
        super().__init__(message, code)
        self.error = error or {}


class ProtocolError(VionicError):
    """The device broke the virtio or vfio-user protocol."""


class OutOfBuffers(VionicError, MemoryError):
    """DMA memory or mbufs are exhausted."""


class StateError(VionicError):
    """The call is not valid in the device's present state."""


class DeviceTimeout(VionicError, TimeoutError):
    """The device did not answer in time."""


# libvionic's VIONIC_E* codes (sw/pmd/include/vionic.h) -> exception class
BY_CODE: dict[int, type[VionicError]] = {
    -1: InvalidArgument,
    -2: BadURI,
    -3: DeviceGone,
    -4: ProtocolError,
    -5: OutOfBuffers,
    -6: FeatureError,
    -7: DeviceNeedsReset,
    -8: QueueOutOfRange,
    -9: FrameTooLarge,
    -10: FrameTooSmall,
    -11: StateError,
    -12: DeviceTimeout,
    -13: RingSizeError,
}

# Device error codes of the vendor block ERR_CODE (DESIGN §2)
DEVICE_ERRORS = {
    0: "none",
    1: "DMA outside the DMA map or DMA error response",
    2: "descriptor chain longer than the queue, or a loop",
    3: "zero-length descriptor",
    4: "wrong descriptor direction",
    5: "misaligned ring address",
    6: "descriptor or ring index out of range",
    7: "invalid queue configuration at enable",
}
