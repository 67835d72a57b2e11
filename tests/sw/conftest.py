"""Fixtures for the host-library and PMD tests. Every test runs against a
real device server process over a real vfio-user socket, with real shared
memory. BACKENDS lists the device cores the same tests run against."""

from __future__ import annotations

import pytest

import vionic
from swutil import connect_partner

BACKENDS = ["model", "rtl"]


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def nic(backend):
    """A started device on a loopback wire with 256-entry rings."""
    with vionic.open(backend, wire="loopback") as dev:
        yield dev


@pytest.fixture
def unix_wire(backend, tmp_path):
    """A started device on a unix wire with a link partner connected:
    (device, the partner's SOCK_SEQPACKET socket)."""
    path = str(tmp_path / "wire.sock")
    with vionic.open(backend, wire=f"unix:{path}") as dev:
        peer = connect_partner(dev, path)
        yield dev, peer
        peer.close()
