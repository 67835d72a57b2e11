"""The register map, feature bits, error codes and defaults of
include/vionic/regs.h (and the ring flags of virtio.h), by their C names
(`regs.VIONIC_REG_ERR_CODE`, `regs.VIRTIO_F_VERSION_1`, ...), plus the texts
C keeps beside them.

Nothing here is typed again: the values come from the compiled extension,
whose cffi definitions are generated from the header (sw/driver/build_ffi.py).
"""

from __future__ import annotations

from ._ext import ffi as _ffi
from ._ext import lib as _lib

_PREFIXES = ("VIONIC_", "VIRTIO_", "VRING_")
globals().update({name: getattr(_lib, name) for name in dir(_lib)
                  if name.startswith(_PREFIXES) and isinstance(getattr(_lib, name), int)})


def _text(ptr) -> str | None:
    return None if ptr == _ffi.NULL else _ffi.string(ptr).decode()


def device_error_text(code: int) -> str:
    """What vendor-block ERR_CODE `code` means."""
    return _text(_lib.vionic_device_error_text(code))


def feature_name(bit: int) -> str:
    """The virtio name of feature bit `bit` (BIT<n> for a bit vionic does not know)."""
    return _text(_lib.vionic_feature_name(bit)) or f"BIT{bit}"


def impl_name(impl: int) -> str:
    """Which device core a VIONIC_REG_IMPL value names."""
    return _text(_lib.vionic_impl_name(impl))


def qstats(queue: int, field: int) -> int:
    """BAR0 offset of counter `field` (VIONIC_QSTAT_*) of virtqueue `queue`."""
    return _lib.VIONIC_REG_QSTATS_BASE + _lib.VIONIC_QSTATS_STRIDE * queue + field


def stage_reg(stage: int, field: int) -> int:
    """BAR0 offset of counter `field` (VIONIC_STAGE_CSUM_*) of offload stage
    `stage` (VIONIC_STAGE_*): regs.h's VIONIC_REG_STAGE."""
    return _lib.VIONIC_REG_OFFLOAD + _lib.VIONIC_STAGE_STRIDE * (stage + 1) + field


def __getattr__(name: str):
    raise AttributeError(f"include/vionic/regs.h has no integer constant {name!r}")
