"""The compiled extension (libvionic and the device-server runtime, built by
sw/driver/build_ffi.py), imported in one place with a message that says how
to build it."""

try:
    from ._vionic import ffi, lib
except ImportError as e:  # pragma: no cover - depends on the install
    raise ImportError("vionic's C extension is not built; run `make ext` in the repository "
                      "(or `pip install .`)") from e

__all__ = ["ffi", "lib"]
