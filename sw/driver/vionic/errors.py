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


class NetError(VionicError):
    """A Linux namespace, interface, address or tool (ping, iperf3) failed."""


# libvionic's error enum (sw/pmd/include/vionic.h), by name -> exception class
_CLASS_OF = {
    "VIONIC_EINVAL": InvalidArgument,
    "VIONIC_EURI": BadURI,
    "VIONIC_ENODEV": DeviceGone,
    "VIONIC_EPROTO": ProtocolError,
    "VIONIC_ENOMEM": OutOfBuffers,
    "VIONIC_EFEATURE": FeatureError,
    "VIONIC_ENEEDS_RESET": DeviceNeedsReset,
    "VIONIC_EQUEUE": QueueOutOfRange,
    "VIONIC_ETOOBIG": FrameTooLarge,
    "VIONIC_ETOOSMALL": FrameTooSmall,
    "VIONIC_ESTATE": StateError,
    "VIONIC_ETIMEDOUT": DeviceTimeout,
    "VIONIC_ERING": RingSizeError,
}
_by_code: dict[int, type[VionicError]] = {}


def class_for(code: int) -> type[VionicError]:
    """The exception class of a negative libvionic return code."""
    if not _by_code:
        from ._ext import lib

        _by_code.update({getattr(lib, name): cls for name, cls in _CLASS_OF.items()})
    return _by_code.get(code, VionicError)
