"""Fixtures every test folder shares."""

from __future__ import annotations

import os
import random

import pytest


@pytest.fixture
def seed(request) -> int:
    """A random seed, printed, reproducible with VIONIC_SEED."""
    value = int(os.environ.get("VIONIC_SEED", random.SystemRandom().randrange(2**32)))
    print(f"\n{request.node.name}: seed {value} (VIONIC_SEED={value} repeats it)")
    return value
