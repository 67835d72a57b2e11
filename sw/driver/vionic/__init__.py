"""vionic: host library for the vionic virtio-net SmartNIC.

    import vionic
    with vionic.open("model") as nic:          # software NIC model, loopback wire
        nic.send([frame])
        frames = nic.recv(timeout=1.0)

The same code drives a running device server ("sim:PATH") and, later, the
simulated RTL and a board; see README.md.
"""

from .device import Device, Frame, open
from .errors import (
    BadURI,
    DeviceGone,
    DeviceNeedsReset,
    DeviceTimeout,
    FeatureError,
    FrameTooLarge,
    FrameTooSmall,
    InvalidArgument,
    NetError,
    OutOfBuffers,
    ProtocolError,
    QueueOutOfRange,
    RingSizeError,
    StateError,
    VionicError,
)
from .features import feature_names
from .netdev import NetDev, netdev

__version__ = "0.1.0"

__all__ = [
    "BadURI", "Device", "DeviceGone", "DeviceNeedsReset", "DeviceTimeout", "FeatureError",
    "Frame", "FrameTooLarge", "FrameTooSmall", "InvalidArgument", "NetDev", "NetError",
    "OutOfBuffers", "ProtocolError",
    "QueueOutOfRange", "RingSizeError", "StateError", "VionicError", "feature_names", "netdev",
    "open",
]
