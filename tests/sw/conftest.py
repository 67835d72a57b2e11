"""Fixtures for the host-library and PMD tests. Every test runs against a
real device server process over a real vfio-user socket, with real shared
memory. BACKENDS lists the device cores the same tests run against."""

from __future__ import annotations

import os
import random

import pytest

import vionic

BACKENDS = ["model", "rtl"]


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def seed(request) -> int:
    """A random seed, printed, reproducible with VIONIC_SEED."""
    value = int(os.environ.get("VIONIC_SEED", random.SystemRandom().randrange(2**32)))
    print(f"\n{request.node.name}: seed {value} (VIONIC_SEED={value} repeats it)")
    return value


@pytest.fixture
def nic(backend):
    """A started device on a loopback wire with 256-entry rings."""
    with vionic.open(backend, wire="loopback") as dev:
        yield dev
