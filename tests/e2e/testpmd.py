"""Skips for the tests that need DPDK or a QEMU guest."""

from __future__ import annotations

import pytest

from vionic import guest, testpmd


def need_dpdk() -> None:
    why = testpmd.unavailable()
    if why:
        pytest.skip(why)


def need_guest() -> None:
    why = guest.unavailable()
    if why:
        pytest.skip(why)
