"""The exception path: a vionic NIC's host side as a Linux interface.

    with vionic.open("model", wire="unix:/tmp/cable") as nic, \\
         vionic.netdev(nic, "vio-a0", netns="vio-a") as vn:
        ...   # ordinary Linux programs in namespace vio-a use vio-a0
        print(vn.stats())

libvionic's forwarder (sw/pmd/netdev.c) moves frames between a TAP and the
NIC's queue pair 0 in bursts on a thread of its own; Python does no work per
frame. While it runs it owns the data path: send/recv on the device raise
StateError; stats() and info() still work.
"""

from __future__ import annotations

from ._ext import ffi as _ffi
from ._ext import lib as _lib
from .device import Device, _check
from .errors import InvalidArgument


def _as_dict(st) -> dict:
    return {"to_nic": st.to_nic, "to_tap": st.to_tap, "tap_oversize": st.tap_oversize,
            "tap_write_drops": st.tap_write_drops, "resets": st.resets}


class NetDev:
    """A running forwarder between interface `ifname` and a started Device."""

    def __init__(self, dev: Device, ifname: str, netns: str | None = None):
        if not isinstance(dev, Device):
            raise InvalidArgument(f"netdev() takes a vionic.Device, not {type(dev).__name__}")
        if not isinstance(ifname, str) or (netns is not None and not isinstance(netns, str)):
            raise InvalidArgument("ifname and netns are interface and namespace names (str)")
        self.dev, self.ifname, self.netns = dev, ifname, netns
        out = _ffi.new("vionic_netdev **")
        dev._ok(_lib.vionic_netdev_start(dev._handle, ifname.encode(),
                                         netns.encode() if netns else _ffi.NULL, out))
        self._nd = out[0]
        self._final: dict | None = None
        dev._netdev = self

    def stats(self) -> dict:
        """Frames moved each way, TAP frames dropped as too large, received
        frames the TAP did not take, device resets. After close(): the
        final counts."""
        if self._nd == _ffi.NULL and self._final is not None:
            return dict(self._final)
        st = _ffi.new("struct vionic_netdev_stats *")
        _check(_lib.vionic_netdev_stats_get(self._handle, st))
        return _as_dict(st)

    def reset(self) -> None:
        """Resets the NIC (as Device.reset) from the forwarding thread, which
        goes on forwarding once the device is back."""
        _check(_lib.vionic_netdev_reset(self._handle), f"resetting the NIC of {self.ifname}")

    @property
    def _handle(self):
        if self._nd == _ffi.NULL:
            from .errors import StateError
            raise StateError(f"the netdev of {self.ifname} is stopped")
        return self._nd

    def close(self) -> None:
        """Stops forwarding and removes the TAP. Safe to call twice."""
        if self._nd != _ffi.NULL:
            st = _ffi.new("struct vionic_netdev_stats *")
            _lib.vionic_netdev_stop(self._nd, st)
            self._final = _as_dict(st)
            self._nd = _ffi.NULL
            self.dev._netdev = None

    def __enter__(self) -> NetDev:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        where = f"@{self.netns}" if self.netns else ""
        return f"<vionic.NetDev {self.ifname}{where} on {self.dev.uri!r}>"


def netdev(dev: Device, ifname: str, netns: str | None = None) -> NetDev:
    """Exposes a started Device as Linux interface `ifname` (a TAP, created
    in network namespace `netns` if given, MTU = the device's)."""
    return NetDev(dev, ifname, netns)
