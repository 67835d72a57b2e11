"""Throughput measurement of the PMD against a device core, the way
dpdk-testpmd measures: txonly (device wire `sink`), rxonly (wire `gen`),
loop (wire `loopback`, the PMD both sends and receives)."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

from . import bench_vdpa, regs, testpmd
from ._ext import ffi, lib
from .device import Device
from .errors import InvalidArgument
from .topology import describe, figures


def _modes() -> dict[str, int]:
    """libvionic's bench modes, name -> enum vionic_bench_mode value."""
    modes, code = {}, 0
    while (name := lib.vionic_bench_mode_name(code)) != ffi.NULL:
        modes[ffi.string(name).decode()] = code
        code += 1
    return modes


_MODE_CODES = _modes()
MODES = tuple(_MODE_CODES)
BENCH_RING = 1024


def wire_for(mode: str, size: int) -> str:
    """The device wire libvionic's bench `mode` needs (SIZE filled in for gen)."""
    return ffi.string(lib.vionic_bench_wire(_mode_code(mode))).decode().replace("SIZE", str(size))


@contextmanager
def _pinned(cpu: int | None):
    """Runs the block with this thread on one CPU (the driver core)."""
    if cpu is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def run_pmd(backend: str = "model", mode: str = "txonly", size: int = 64,
            seconds: float = 5.0, burst: int = 32, warmup: float = 0.0) -> dict:
    """Runs the C measurement loop (libvionic's vionic_bench_run) against a
    fresh device server, after `warmup` seconds of the same traffic that
    count for nothing, and returns its figures. libvionic checks size,
    seconds and burst."""
    two_cores = len(os.sched_getaffinity(0)) >= 2
    server_cpu, driver_cpu = (1, 0) if two_cores else (None, None)
    with Device(backend, wire=wire_for(mode, size), cpu=server_cpu,
                rx_ring_size=BENCH_RING, tx_ring_size=BENCH_RING) as dev, _pinned(driver_cpu):
        res = ffi.new("struct vionic_bench_result *")
        if warmup > 0:
            dev._ok(lib.vionic_bench_run(dev._handle, _mode_code(mode), size, warmup, burst, res))
        dev._ok(lib.vionic_bench_run(dev._handle, _mode_code(mode), size, seconds, burst, res))
        stats = dev.stats()
    return {
        "backend": backend, "mode": mode, "size": size, "burst": burst,
        "seconds": round(res.seconds, 3), "packets": res.packets,
        "mpps": round(res.mpps, 3), "gbps": round(res.gbps, 3),
        "cycles_per_packet": round(res.cycles_per_packet, 1),
        "tsc_ghz": round(res.tsc_hz / 1e9, 3), "errors": res.errors,
        "device_drops": stats["device"]["rx"]["drops"] + stats["device"]["tx"]["drops"],
        "pinned": two_cores,
    }


def _mode_code(mode: str) -> int:
    if mode not in _MODE_CODES:
        raise InvalidArgument(f"mode {mode!r}: use one of {', '.join(MODES)}")
    return _MODE_CODES[mode]


def _device_cycles(dev: Device) -> int:
    lo = dev.read_reg(regs.VIONIC_REG_CYCLES_LO)      # reading LO latches HI
    return dev.read_reg(regs.VIONIC_REG_CYCLES_HI) << 32 | lo


def run_sim_speed(mode: str = "loop", size: int = 256, seconds: float = 5.0,
                  burst: int = 32) -> dict:
    """Simulated clock cycles per wall-clock second of the whole Verilated
    core while the PMD keeps traffic flowing (the core's own CYCLES counter)."""
    two_cores = len(os.sched_getaffinity(0)) >= 2
    server_cpu, driver_cpu = (1, 0) if two_cores else (None, None)
    with Device("rtl", wire=wire_for(mode, size), cpu=server_cpu) as dev, _pinned(driver_cpu):
        res = ffi.new("struct vionic_bench_result *")
        c0 = _device_cycles(dev)
        dev._ok(lib.vionic_bench_run(dev._handle, _mode_code(mode), size, seconds, burst, res))
        cycles = _device_cycles(dev) - c0
    return {
        "backend": "rtl", "mode": mode, "size": size, "seconds": round(res.seconds, 3),
        "sim_cycles": cycles, "cycles_per_second": round(cycles / res.seconds),
        "packets": res.packets, "mpps": round(res.mpps, 4),
        "sim_cycles_per_packet": round(cycles / res.packets, 1) if res.packets else None,
        "errors": res.errors,
    }


def _spread(runs: list[float] | None) -> str:
    return f"{min(runs):.2f}-{max(runs):.2f}" if runs else "-"


def table(results: list[dict], dpdk: dict[str, dict] | None = None) -> str:
    """The PMD figures; with `dpdk` (mode -> {"mpps", "runs"}, measured in the
    same run) DPDK's Mpps beside each 64-byte model row and the ratio.
    Medians of several runs show their spread (min-max)."""
    lines = [f"{'backend':8} {'mode':7} {'size':>5} {'Mpps':>8} {'spread':>11} {'Gb/s':>7} "
             f"{'cyc/pkt':>8} {'DPDK':>7} {'spread':>11} {'ratio':>6} {'errors':>6}"]
    for r in results:
        ref = dpdk.get(r["mode"]) if dpdk and r["size"] == 64 and r["backend"] == "model" else None
        ref_s, ratio_s = (f"{ref['mpps']:.2f}", f"{r['mpps'] / ref['mpps']:.2f}x") if ref \
            else ("-", "-")
        lines.append(f"{r['backend']:8} {r['mode']:7} {r['size']:5d} {r['mpps']:8.2f} "
                     f"{_spread(r.get('mpps_runs')):>11} {r['gbps']:7.2f} "
                     f"{r['cycles_per_packet']:8.1f} {ref_s:>7} "
                     f"{_spread(ref and ref['runs']):>11} {ratio_s:>6} {r['errors']:6d}")
    return "\n".join(lines)


def _median_run(runs: list[dict]) -> dict:
    """The run with the median Mpps, carrying every run's Mpps."""
    med = sorted(runs, key=lambda r: r["mpps"])[len(runs) // 2]
    return dict(med, mpps_runs=[r["mpps"] for r in runs])


def compare_dpdk(seconds: float, rounds: int = 3) -> tuple[list[dict], dict | None, str | None]:
    """The 64-byte PMD modes and DPDK's virtio-user <-> vhost, interleaved
    (vionic then DPDK, `rounds` times): the median of each and its runs."""
    why = testpmd.unavailable()
    mine: dict[str, list[dict]] = {m: [] for m in MODES}
    theirs: dict[str, list[float]] = {m: [] for m in MODES}
    for _ in range(rounds):
        for m in MODES:
            mine[m].append(run_pmd("model", m, 64, seconds, warmup=bench_vdpa.WARMUP_S))
        if not why:
            for m, mpps in bench_vdpa.dpdk_reference(seconds, log=lambda _: None).items():
                theirs[m].append(mpps)
    dpdk = None if why else {m: {"mpps": sorted(v)[len(v) // 2], "runs": v}
                             for m, v in theirs.items()}
    return [_median_run(mine[m]) for m in MODES], dpdk, why


def run_all(out_dir: str | Path, seconds: float = 3.0) -> str:
    """The `make bench` set: the PMD on the model in every mode at 64, 256
    and 1514 bytes; the PMD on the RTL core in every mode at 256 bytes; the
    RTL core's simulated cycles per second under loop traffic. Writes
    pmd-model.json, pmd-rtl.json and rtl-sim.json in out_dir and returns the
    printed report. Then the vDPA side by side (bench_vdpa, vdpa.json)."""
    small, dpdk, why = compare_dpdk(seconds)
    model = small + [run_pmd("model", mode, size, seconds, warmup=bench_vdpa.WARMUP_S)
                     for mode in MODES for size in (256, 1514)]
    model.sort(key=lambda r: (MODES.index(r["mode"]), r["size"]))
    rtl = [run_pmd("rtl", mode, 256, seconds) for mode in MODES]
    sim = run_sim_speed("loop", 256, seconds)
    linux = run_linux(seconds)
    vdpa_lines: list[str] = []
    bench_vdpa.run(out_dir, log=vdpa_lines.append)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, data in (("pmd-model", model), ("pmd-rtl", rtl), ("rtl-sim", sim),
                       ("linux", linux), ("dpdk", dpdk or {"skipped": why})):
        (out / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
    return "\n".join([
        table(model + rtl, dpdk),
        ("DPDK: testpmd virtio-user (queue_size 1024, in_order, mrg_rxbuf) <-> testpmd vhost, "
         "one core each, 64 B, measured in this run; 64 B figures are medians of 3 runs "
         "interleaved with DPDK's (spread = min-max); ratio = vionic / DPDK" if dpdk else
         f"DPDK: not measured ({why}); no ratio"),
        f"RTL core simulation: {sim['cycles_per_second'] / 1e6:.2f} M cycles/s with loop traffic "
        f"of {sim['size']} B ({sim['sim_cycles_per_packet']} simulated cycles per frame; "
        "target 1 M cycles/s)",
        "Linux through the NICs (ping 100, iperf3 TCP and UDP; reference: SimBricks, "
        "QEMU-KVM + Corundum RTL, 81 Mb/s and 3.4 ms):",
        *(f"  {describe(r)}" if "ping" in r else f"  {r['cores']}: {r['skipped']}"
          for r in linux),
        *vdpa_lines,
        f"written to {out}/pmd-model.json, pmd-rtl.json, rtl-sim.json, linux.json, dpdk.json, "
        "vdpa.json",
    ])


LINUX_RUNS = [("model", "model", 1500), ("model", "model", 9000),
              ("model", "model", regs.VIONIC_MAX_MTU), ("rtl", "rtl", 1500)]


def run_linux(seconds: float = 3.0) -> list[dict]:
    """ping RTT and iperf3 through two NICs on a cable, each exposed in a
    namespace (vionic.topology.pair): model-model at MTU 1500, 9000 and
    the model's largest (no TSO yet: a large MTU is how Linux sends big
    segments through it), rtl-rtl at 1500 (the RTL's MTU is built in). Needs root and
    /dev/net/tun; says so in place of the figures otherwise."""
    from .net import cleanup

    if os.geteuid() != 0 or not os.access("/dev/net/tun", os.R_OK | os.W_OK):
        return [{"cores": f"{a}-{b}", "mtu": mtu, "skipped": "needs root and /dev/net/tun"}
                for a, b, mtu in LINUX_RUNS]
    cleanup()
    return [figures("pair", a, b, mtu, count=100, seconds=seconds) for a, b, mtu in LINUX_RUNS]


__all__ = ["run_pmd", "run_all", "table", "MODES"]
