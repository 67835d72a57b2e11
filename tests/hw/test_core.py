"""pytest entry points: vionic_core under Verilator (one build per parameter set)."""

import hwsim
import pytest

# buffers for jumbo frames (as the simulated device server): the MTU register starts at 1500
# and the MRG_RXBUF tests set 9000
JUMBO = {"MAX_MTU": 9000, "RX_FIFO_BYTES": 32768}
CORE512 = {"DATA_WIDTH": 512, "IMPL": 2, **JUMBO}
CORE64 = {"DATA_WIDTH": 64, "IMPL": 2, **JUMBO}
# several queue pairs and the control queue (tb_mq)
CORE512_MQ = {**CORE512, "NUM_QUEUE_PAIRS": 4}


@pytest.fixture(scope="session")
def core512():
    return hwsim.build("vionic_core", CORE512)


@pytest.fixture(scope="session")
def core64():
    return hwsim.build("vionic_core", CORE64)


CORE_TESTS = [
    "test_bringup",
    "test_smoke",
    "test_rx_empty_ring_and_drops",
    "test_interrupts",
    "test_link",
    "test_reset_under_traffic",
    "test_errors",
    "test_rx_chains",
    "test_bidir_bursts",
    "test_tx_all_sizes",
    "test_rx_all_sizes",
    "test_vq_state",
    "test_suspend",
    "test_suspend_restore",
    "test_interrupt_enable_without_doorbell",
    "test_long_chains",
]


@pytest.mark.parametrize("name", CORE_TESTS)
def test_core512(core512, name):
    hwsim.run(core512, "vionic_core", CORE512, "tb_core", name)


# DATA_WIDTH = 64: descriptors and ring headers straddle beats, the header takes two beats
CORE64_TESTS = [
    "test_bringup",
    "test_smoke",
    "test_errors",
    "test_rx_chains",
    "test_bidir_bursts",
    "test_reset_under_traffic",
    "test_rx_empty_ring_and_drops",
    "test_interrupts",
    "test_tx_all_sizes",
    "test_rx_all_sizes",
    "test_vq_state",
    "test_suspend",
    "test_interrupt_enable_without_doorbell",
    "test_long_chains",
]


@pytest.mark.parametrize("name", CORE64_TESTS)
def test_core64(core64, name):
    hwsim.run(core64, "vionic_core", CORE64, "tb_core", name)


# the offload stages inside the core, through the rings (tb_offload)
@pytest.mark.parametrize("name", ["test_offload_csum", "test_offload_off"])
def test_offload512(core512, name):
    hwsim.run(core512, "vionic_core", CORE512, "tb_offload", name)


@pytest.mark.parametrize("name", ["test_offload_csum", "test_offload_off"])
def test_offload64(core64, name):
    hwsim.run(core64, "vionic_core", CORE64, "tb_offload", name)


# the core with both checksum stages left out (the generate-else paths)
CORE64_NO_STAGES = {"DATA_WIDTH": 64, "IMPL": 2, "TX_CSUM": 0, "RX_CSUM": 0}


def test_offload_absent():
    runner = hwsim.build("vionic_core", CORE64_NO_STAGES)
    hwsim.run(runner, "vionic_core", CORE64_NO_STAGES, "tb_offload", "test_offload_absent")


# the MTU register and MRG_RXBUF (tb_mrg), at MTU 9000 on the same builds
MRG_TESTS = ["test_mtu_register", "test_mrg_random", "test_mrg_limits", "test_mrg_dma_error"]


@pytest.mark.parametrize("name", MRG_TESTS)
def test_mrg512(core512, name):
    hwsim.run(core512, "vionic_core", CORE512, "tb_mrg", name)


@pytest.mark.parametrize("name", MRG_TESTS)
def test_mrg64(core64, name):
    hwsim.run(core64, "vionic_core", CORE64, "tb_mrg", name)


BLOCKS = {"DATA_WIDTH": 64}


@pytest.fixture(scope="session")
def blocks64():
    return hwsim.build("tb_blocks", BLOCKS, extra_sources=[hwsim.TB_DIR / "tb_blocks.sv"])


@pytest.mark.parametrize("name", ["test_dma_rd", "test_dma_wr", "test_fetch"])
def test_blocks(blocks64, name):
    hwsim.run(blocks64, "tb_blocks", BLOCKS, "tb_blocks", name)


@pytest.fixture(scope="session")
def core512_mq():
    return hwsim.build("vionic_core", CORE512_MQ)


MQ_TESTS = [
    "test_mq_config",
    "test_mq_tx",
    "test_mq_rx_one_pair_active",
    "test_ctrl_commands",
    "test_ctrl_errors",
    "test_mq_tx_fault",
]


# receive steering (tb_rss): RSS and automatic steering, on the same build
RSS_TESTS = [
    "test_rss_steering",
    "test_rss_ms_vectors",
    "test_rss_config_errors",
    "test_rss_table_change_under_traffic",
    "test_hash_report",
    "test_auto_steering",
]


@pytest.mark.parametrize("tb,name", [("tb_mq", n) for n in MQ_TESTS] +
                         [("tb_rss", n) for n in RSS_TESTS])
def test_pairs512(core512_mq, tb, name):
    """The 4-pair build: multiqueue and the control queue (tb_mq), receive
    steering, RSS and hash report (tb_rss)."""
    hwsim.run(core512_mq, "vionic_core", CORE512_MQ, tb, name,
              extra_env={"VIONIC_QUEUE_PAIRS": str(CORE512_MQ["NUM_QUEUE_PAIRS"])})
