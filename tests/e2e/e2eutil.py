"""Helpers of the Linux network tests."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from vionic import regs
from vionic.sysdeps import missing


def need(*tools: str) -> None:
    """Skips the test if a tool is not installed (make test installs them)."""
    gone = missing(tools)
    if gone:
        pytest.skip(f"needs {', '.join(gone)} (apt-get install {' '.join(gone.values())})")


def need_receive_steering(info: dict) -> None:
    """Skips a multiqueue test on a device (its info()) that does not steer
    received frames over its queue pairs (it offers VIRTIO_NET_F_RSS when it
    does)."""
    if not info["device_features"] & 1 << regs.VIRTIO_NET_F_RSS:
        pytest.skip("the device does not offer VIRTIO_NET_F_RSS (receive steering)")


def wait_until(predicate, timeout: float = 20.0):
    """Waits for a device event that `predicate` observes; the timeout only
    bounds a failure."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            return value
        time.sleep(0.01)
    return value


def config_generation(dev) -> int:
    return dev.read_reg(regs.VIONIC_COMMON_CFG + regs.VIRTIO_PCI_COMMON_CFGGENERATION, 1)


def pcap_frames(path: str) -> list[str]:
    """Every frame tcpdump reads back from a pcap file, one line each."""
    r = subprocess.run(["tcpdump", "-n", "-e", "-r", path], capture_output=True, text=True,
                       check=True)
    return [line for line in r.stdout.splitlines() if line.strip()]


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))
