"""Linux networks through vionic NICs: real TAPs, real network namespaces,
real ping, iperf3 and tcpdump. Needs root and /dev/net/tun; without them
every test here skips with the reason. Namespaces and interfaces are named
vio-*; whatever a killed run left is removed before the first test."""

from __future__ import annotations

import os

import pytest

from vionic import net


def pytest_collection_modifyitems(config, items):
    why = None
    if os.geteuid() != 0:
        why = "Linux network tests need root (namespaces, TAPs)"
    elif not os.access("/dev/net/tun", os.R_OK | os.W_OK):
        why = "Linux network tests need /dev/net/tun (modprobe tun)"
    if why:
        for item in items:
            if "tests/e2e" in str(item.fspath):
                item.add_marker(pytest.mark.skip(reason=why))


@pytest.fixture(scope="session", autouse=True)
def clean_namespaces():
    if os.geteuid() == 0:
        net.cleanup()
    yield
    if os.geteuid() == 0:
        leftovers = net.cleanup()
        assert not leftovers, f"tests left these behind: {leftovers}"


@pytest.fixture(params=["model", "rtl"])
def core(request) -> str:
    return request.param
