"""pytest entry points: vionic_core under Verilator (one build per parameter set)."""
import pytest

import hwsim

CORE512 = {"DATA_WIDTH": 512, "IMPL": 2}
CORE64 = {"DATA_WIDTH": 64, "IMPL": 2}


@pytest.fixture(scope="session")
def core512():
    return hwsim.build("vionic_core", CORE512)


@pytest.fixture(scope="session")
def core64():
    return hwsim.build("vionic_core", CORE64)


CORE_TESTS = [
    "test_bringup",
    "test_smoke",
]


@pytest.mark.parametrize("name", CORE_TESTS)
def test_core512(core512, name):
    hwsim.run(core512, "vionic_core", CORE512, "tb_core", name)
