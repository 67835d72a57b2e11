"""pytest entry points: the offload stages as top levels under Verilator, DATA_WIDTH 64 and 512
(hwsim caches one build per top level and width)."""

import hwsim
import pytest

WIDTHS = [64, 512]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    "name", ["test_tx_csum", "test_tx_csum_disabled", "test_tx_csum_line_rate"]
)
def test_tx_csum_stage(width, name):
    params = {"DATA_WIDTH": width}
    hwsim.run(hwsim.build("vionic_tx_csum", params), "vionic_tx_csum", params, "tb_stages", name)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["test_rx_csum", "test_rx_csum_disabled"])
def test_rx_csum_stage(width, name):
    params = {"DATA_WIDTH": width}
    hwsim.run(hwsim.build("vionic_rx_csum", params), "vionic_rx_csum", params, "tb_stages", name)
