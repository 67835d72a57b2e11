"""What only the RTL backend has: the on-demand build, waveforms, the
simulation-speed report, and the PMD measurement on the simulated core."""

import json
import subprocess
import sys
import time

import pytest

import vionic
from swutil import recv_exactly
from vionic import regs, rtl

VIONIC = [sys.executable, "-m", "vionic"]


def test_build_is_cached_by_sources():
    first = rtl.server_binary(quiet=True)
    built = first.stat()
    log = (first.parent / "build.log").read_bytes()
    assert rtl.server_binary(quiet=True) == first             # same key, same file
    assert first.stat().st_mtime_ns == built.st_mtime_ns       # not built again
    assert (first.parent / "build.log").read_bytes() == log
    assert first.name == "vionic-rtl-server"


def test_build_is_profile_guided():
    """The server is compiled a second time from the profile of bench runs
    of the first build: every run moved frames, every design file has its
    profile, and the last compile used it (a file without one fails it)."""
    built = rtl.server_binary(quiet=True)
    log = (built.parent / "build.log").read_text()
    runs = [line.split() for line in log.splitlines() if line.startswith("profile run ")]
    assert [(r[2], int(r[3])) for r in runs] == list(rtl.PROFILE_RUNS)
    assert all(int(r[5]) > 0 and r[-1] == "0" for r in runs), runs   # frames, exit 0
    profiles = {p.name.rsplit("#", 1)[-1] for p in (built.parent / "profile").glob("*.gcda")}
    assert {"Vvionic_sim_top___024root__0.gcda", "rtl_core.gcda"} <= profiles, profiles
    last_make = [line for line in log.splitlines() if line.startswith("$ make")][-1]
    assert "-fprofile-use=" in last_make and "-Werror=missing-profile" in last_make
    with pytest.raises(vionic.InvalidArgument, match="binary= applies to the 'rtl'"):
        vionic.server.ServerProcess("model", binary=built)


def test_a_build_per_count_of_queue_pairs(tmp_path):
    """The core has NUM_QUEUE_PAIRS fixed, so each count is a build of its
    own, and a server refuses more pairs (the runtime) and fewer (the core)
    than its build has; a count no build can have is refused before any."""
    pairs = 4
    built = rtl.server_binary(quiet=True, queue_pairs=pairs)
    assert built.parent != rtl.server_binary(quiet=True).parent
    for n, why in ((pairs + 1, f"the rtl core has at most {pairs}"),
                   (pairs - 1, f"built with NUM_QUEUE_PAIRS {pairs}")):
        out = subprocess.run([str(built), "--socket", str(tmp_path / "s"), "--queue-pairs",
                              str(n)], capture_output=True, text=True, timeout=60)
        assert out.returncode != 0 and why in out.stderr, out.stderr
    with pytest.raises(vionic.InvalidArgument, match=r"bad queue pair count '9' \(1\.\.8\)"):
        rtl.server_binary(queue_pairs=regs.VIONIC_MAX_QUEUE_PAIRS + 1)
    out = subprocess.run([*VIONIC, "rtl", "--queue-pairs", "0"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode != 0 and "bad queue pair count '0'" in out.stderr, out.stderr


@pytest.mark.skipif(not rtl.fst_supported(),
                    reason="FST tracing needs the lz4 headers (apt-get install liblz4-dev)")
def test_fst_trace_from_the_python_api(tmp_path):
    wave = tmp_path / "core.fst"
    with vionic.open("rtl", trace=str(wave)) as dev:
        dev.send([bytes(range(64))])
        assert recv_exactly(dev, 1) == [bytes(range(64))]
    data = wave.read_bytes()
    assert len(data) > 1000
    assert data[0] == 0                                       # FST block type: header


def test_trace_is_refused_for_the_model():
    with pytest.raises(vionic.InvalidArgument, match="rtl"):
        vionic.open("model", trace="x.fst")


def test_dma_latency_changes_cycles_per_frame():
    """Simulated cycles for one frame out and back, at two host-memory
    latencies. What the count includes besides the frame's own work depends
    on when the host reads CYCLES, but only within simulation bounds: the
    core clocks at most kIdleCycles (4096) quiet cycles after its last
    activity, before c0 and after the frame. The TX path alone makes at least
    two reads in series (the descriptor, then its buffer), so the two runs
    differ by more than 2 * 19990 - 2 * 4096 cycles whatever the wall clock
    does."""
    def cycles_for_one_frame(latency):
        with vionic.open("rtl", dma_latency=latency) as dev:
            c0 = dev.stats()["device"]["cycles"]
            dev.send([bytes(range(64))])
            assert recv_exactly(dev, 1, timeout=60) == [bytes(range(64))]
            return dev.stats()["device"]["cycles"] - c0

    slow, fast = cycles_for_one_frame(20000), cycles_for_one_frame(10)
    assert slow - fast > 2 * (20000 - 10) - 2 * 4096, (slow, fast)


def _cycles_when_stopped(dev) -> int:
    """CYCLES once the core's clock has stopped (kIdleCycles after its last
    activity), not read before: a register access while the clock runs moves
    where the server's poll windows fall, and with them the cycle at which
    the loopback wire hands a frame back. Stopped, the clock moves only for
    the reads themselves, by the same few cycles each."""
    time.sleep(1.0)
    seen = []
    for _ in range(3):
        lo = dev.read_reg(regs.VIONIC_REG_CYCLES_LO)              # latches HI
        seen.append(dev.read_reg(regs.VIONIC_REG_CYCLES_HI) << 32 | lo)
    assert seen[2] - seen[1] == seen[1] - seen[0] < 64, f"the clock still runs: {seen}"
    return seen[2]


@pytest.mark.skipif(not rtl.fst_supported(),
                    reason="FST tracing needs the lz4 headers (apt-get install liblz4-dev)")
def test_skipped_quiet_cycles_count_exactly(tmp_path):
    """The core jumps over the cycles in which it only waits for host memory
    instead of clocking each (rtl_core.cpp skip_quiet), but not while it
    records a waveform. One frame out and back, with the host idle around it
    so that only the simulation decides the count, takes the same number of
    cycles either way; with 5000 cycles per read, most of them are skipped."""
    def cycles_for_one_frame(**trace):
        with vionic.open("rtl", dma_latency=5000, **trace) as dev:
            c0 = _cycles_when_stopped(dev)
            dev.send([bytes(range(64))])
            c1 = _cycles_when_stopped(dev)
            assert recv_exactly(dev, 1, timeout=60) == [bytes(range(64))]
        return c1 - c0

    every_cycle = cycles_for_one_frame(trace=str(tmp_path / "core.fst"))
    assert every_cycle > 2 * 5000
    assert cycles_for_one_frame() == every_cycle, every_cycle


def test_bench_rtl_reports_simulated_cycles_per_second():
    out = subprocess.run([*VIONIC, "bench", "rtl", "--mode", "loop", "--size", "256",
                          "--seconds", "1", "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert r["backend"] == "rtl" and r["packets"] > 0 and r["errors"] == 0
    assert r["sim_cycles"] > 0
    assert r["cycles_per_second"] == pytest.approx(r["sim_cycles"] / r["seconds"], rel=0.01)


@pytest.mark.parametrize("mode", ["txonly", "rxonly", "loop"])
def test_bench_pmd_on_rtl(mode):
    out = subprocess.run([*VIONIC, "bench", "pmd", "--backend", "rtl", "--mode", mode,
                          "--size", "128", "--seconds", "0.5", "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert r["backend"] == "rtl" and r["mode"] == mode
    assert r["packets"] > 100 and r["errors"] == 0
