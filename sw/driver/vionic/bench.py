"""Throughput measurement of the PMD against a device core, the way
dpdk-testpmd measures: txonly (device wire `sink`), rxonly (wire `gen`),
loop (wire `loopback`, the PMD both sends and receives)."""

from __future__ import annotations

import json
import os
import statistics
import sys
from contextlib import contextmanager
from pathlib import Path

from . import bench_vdpa, regs, testpmd
from ._ext import ffi, lib
from .device import Device
from .errors import InvalidArgument
from .features import feature_names
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


def _flags(csum: bool) -> int:
    return lib.VIONIC_BENCH_CSUM if csum else 0


def wire_for(mode: str, size: int, csum: bool = False) -> str:
    """The device wire libvionic's bench `mode` needs (SIZE filled in for gen)."""
    wire = lib.vionic_bench_wire(_mode_code(mode), _flags(csum))
    return ffi.string(wire).decode().replace("SIZE", str(size))


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
            seconds: float = 5.0, burst: int = 32, warmup: float = 0.0,
            csum: bool = False, wire: str | None = None) -> dict:
    """Runs the C measurement loop (libvionic's vionic_bench_run) against a
    fresh device server (or the one at backend "sim:PATH", started with the
    wire `wire_for` gives), after `warmup` seconds of the same traffic that
    count for nothing, and returns its figures. csum: with the checksum
    offloads at work on every frame (VIONIC_BENCH_CSUM). wire: another
    wire for the fresh server (the checksummed traffic of csum without the
    offloads, say). libvionic checks size, seconds and burst."""
    two_cores = len(os.sched_getaffinity(0)) >= 2
    server_cpu, driver_cpu = (1, 0) if two_cores else (None, None)
    flags = _flags(csum)
    wire = wire or wire_for(mode, size, csum)
    server = {} if backend.startswith("sim:") else {"wire": wire, "cpu": server_cpu}
    with Device(backend, start=False, **server) as dev, _pinned(driver_cpu):
        dev.configure(rx_ring_size=BENCH_RING, tx_ring_size=BENCH_RING,
                      features=lib.vionic_bench_features(dev._handle, flags))
        dev.start()
        res = ffi.new("struct vionic_bench_result *")
        if warmup > 0:
            dev._ok(lib.vionic_bench_run(dev._handle, _mode_code(mode), size, warmup, burst,
                                         flags, res))
        dev._ok(lib.vionic_bench_run(dev._handle, _mode_code(mode), size, seconds, burst, flags,
                                     res))
        stats = dev.stats()
        negotiated = dev.info()["driver_features"]
    return {
        "backend": backend, "mode": mode, "size": size, "burst": burst, "csum": csum,
        "wire": None if backend.startswith("sim:") else wire, "features": feature_names(negotiated),
        "seconds": round(res.seconds, 3), "packets": res.packets,
        "mpps": round(res.mpps, 3), "gbps": round(res.gbps, 3),
        "cycles_per_packet": round(res.cycles_per_packet, 1),
        "busy_cycles_per_packet": round(res.busy_cycles_per_packet, 1),
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


SIM_POINTS = (("txonly", 64), ("loop", 256))   # (mode, size) of the simulation speed
SIM_TARGET = 3e6                              # simulated cycles/s aimed at (issue 10)


def run_sim_speed(mode: str = "loop", size: int = 256, seconds: float = 5.0,
                  burst: int = 32, queue_pairs: int = 1) -> dict:
    """Simulated clock cycles per wall-clock second of the whole Verilated
    core (built with `queue_pairs` pairs) while the PMD keeps traffic flowing
    on pair 0 (the core's own CYCLES counter)."""
    two_cores = len(os.sched_getaffinity(0)) >= 2
    server_cpu, driver_cpu = (1, 0) if two_cores else (None, None)
    with Device("rtl", wire=wire_for(mode, size), cpu=server_cpu,
                queue_pairs=queue_pairs) as dev, _pinned(driver_cpu):
        res = ffi.new("struct vionic_bench_result *")
        c0 = _device_cycles(dev)
        dev._ok(lib.vionic_bench_run(dev._handle, _mode_code(mode), size, seconds, burst, 0, res))
        cycles = _device_cycles(dev) - c0
    return {
        "backend": "rtl", "queue_pairs": queue_pairs, "mode": mode, "size": size,
        "seconds": round(res.seconds, 3),
        "sim_cycles": cycles, "cycles_per_second": round(cycles / res.seconds),
        "packets": res.packets, "mpps": round(res.mpps, 4),
        "sim_cycles_per_packet": round(cycles / res.packets, 1) if res.packets else None,
        "errors": res.errors,
    }


SIZES = (64, 256, 1024, 1514)   # frame sizes the PMD and DPDK are compared at
GOALS = {64: 1.5, 1514: 1.2}     # vionic / DPDK aimed at, by frame size
CSUM_SIZES = (64, 1514)         # ... and the PMD with checksum offloads on
ROUNDS = 3                       # interleaved runs per figure; the median is shown


# The PMD's buffers as the device reads txonly's frames: VPMD_HEADROOM (64)
# less the 12-byte virtio header plus the default 2048-byte data room,
# rounded to cache lines (sw/pmd/mempool.c, buffer_stride), a ring's worth
PMD_BUFFER_STRIDE = 2112   # tests/sw/test_report.py checks it against the PMD


def wire_rate(size: int, wire: str = "sink", seconds: float = 3.0) -> dict:
    """Frames of `size` bytes per second that the wire alone takes, outside
    any device (vionic_server_wire_bench), read from a TX ring's worth of
    the PMD's buffers in turn, on the device server's core: the most any
    device core can send through it (sink: its copy into the pool)."""
    res = ffi.new("struct vionic_wire_bench *")
    err = ffi.new("char[256]")
    server_cpu = 1 if len(os.sched_getaffinity(0)) >= 2 else None
    with _pinned(server_cpu):
        rc = lib.vionic_server_wire_bench(wire.encode(), size, BENCH_RING, PMD_BUFFER_STRIDE,
                                          seconds, res, err, len(err))
    if rc:
        raise InvalidArgument(ffi.string(err).decode())
    return {"mode": "txonly", "wire": wire, "size": size, "frames": res.frames,
            "drops": res.drops, "seconds": round(res.seconds, 3), "mpps": round(res.mpps, 3),
            "gbps": round(res.mpps * size * 8 / 1e3, 3)}


def wire_bound(sink: list[dict], model: list[dict], dpdk: list[dict] | None) -> list[str]:
    """txonly beside what the sink alone takes at each size (and the goal's
    rate, where DPDK was measured)."""
    pmd = {r["size"]: r["mpps"] for r in model if r["mode"] == "txonly" and not r.get("csum")}
    ref = {r["size"]: r["mpps"] for r in dpdk or [] if r["mode"] == "txonly"}
    return [f"sink wire alone ({w['size']} B, no device): {w['mpps']:.2f} Mpps at most; "
            f"vionic txonly {pmd[w['size']]:.2f}" +
            (f", goal {GOALS[w['size']]}x DPDK = {GOALS[w['size']] * ref[w['size']]:.2f}"
             if w["size"] in GOALS and w["size"] in ref else "")
            for w in sink if w["size"] in pmd]


def tsc_cycles_per_packet(mpps: float, tsc_ghz: float) -> float:
    """TSC cycles of the bottleneck core per packet: both sides busy-poll
    one core each, so this is TSC rate / packet rate, for vionic and DPDK
    alike (libvionic's cycles_per_packet is the same quotient)."""
    return round(tsc_ghz * 1e3 / mpps, 1) if mpps else 0.0


def _spread(runs: list[float] | None) -> str:
    return f"{min(runs):.2f}-{max(runs):.2f}" if runs else "-"


def table(results: list[dict], dpdk: list[dict] | None = None) -> str:
    """The PMD figures; with `dpdk` (records of dpdk_run, measured in the
    same run) DPDK's Mpps and cycles per packet beside each model row of
    the same mode and size, and the ratio vionic / DPDK. Medians of
    several runs show their spread (min-max)."""
    ref_of = {(d["mode"], d["size"]): d for d in dpdk or []}
    lines = [f"{'backend':8} {'mode':7} {'size':>5} {'Mpps':>8} {'spread':>11} {'Gb/s':>7} "
             f"{'cyc/pkt':>8} {'DPDK':>7} {'spread':>11} {'cyc/pkt':>8} {'ratio':>6} "
             f"{'errors':>6}"]
    for r in results:
        plain = r["backend"] == "model" and not r.get("csum")
        ref = ref_of.get((r["mode"], r["size"])) if plain else None
        ref_s = (f"{ref['mpps']:7.2f} {_spread(ref['mpps_runs']):>11} "
                 f"{ref['cycles_per_packet']:8.1f} {r['mpps'] / ref['mpps']:5.2f}x") if ref \
            else f"{'-':>7} {'-':>11} {'-':>8} {'-':>6}"
        backend = r["backend"] + ("+csum" if r.get("csum") else "")
        lines.append(f"{backend:8} {r['mode']:7} {r['size']:5d} {r['mpps']:8.2f} "
                     f"{_spread(r.get('mpps_runs')):>11} {r['gbps']:7.2f} "
                     f"{r['cycles_per_packet']:8.1f} {ref_s} {r['errors']:6d}")
    return "\n".join(lines)


def _median_run(runs: list[dict]) -> dict:
    """The run with the median Mpps, carrying every run's Mpps."""
    med = sorted(runs, key=lambda r: r["mpps"])[len(runs) // 2]
    return dict(med, mpps_runs=[r["mpps"] for r in runs])


def dpdk_run(mode: str, size: int, seconds: float, tsc_ghz: float) -> dict:
    """DPDK virtio-user <-> vhost in libvionic's bench `mode`, as a record
    like run_pmd's (Gb/s of frame bytes, TSC cycles per packet)."""
    mpps = bench_vdpa.dpdk_reference(mode, size, seconds)
    return {"backend": "dpdk", "mode": mode, "size": size, "mpps": mpps,
            "gbps": round(mpps * size * 8 / 1e3, 3),
            "cycles_per_packet": tsc_cycles_per_packet(mpps, tsc_ghz), "tsc_ghz": tsc_ghz}


def compare_dpdk(seconds: float, sizes=SIZES, rounds: int = ROUNDS, csum_sizes=CSUM_SIZES,
                 log=lambda _: None) -> tuple[list[dict], list[dict] | None, str | None]:
    """The PMD on the model and DPDK's virtio-user <-> vhost in every mode
    at each size, interleaved (vionic's modes, with the checksum offloads
    at the csum_sizes, then DPDK's, `rounds` times): the median of each
    with its runs. Where the checksum runs need other traffic (rxonly's
    generator computes its frames' checksums), the same traffic is run
    without the offloads too, and the checksum record carries its median
    as "same_wire_off_mpps": what the offloads cost, the wire's own work
    aside. Without DPDK: its figures are None and the reason is given."""
    why = testpmd.unavailable()

    def whos(size: int) -> list[str]:
        return ["model", *(["model+csum"] if size in csum_sizes else []),
                *([] if why else ["dpdk"])]

    def other_wire(m: str, size: int) -> bool:
        return size in csum_sizes and wire_for(m, size, True) != wire_for(m, size, False)

    steps = sum(len(whos(size)) * len(MODES) + sum(other_wire(m, size) for m in MODES)
                for size in sizes) * rounds
    done = 0
    mine: dict[tuple, list[dict]] = {}
    theirs: dict[tuple, list[dict]] = {}
    same_wire: dict[tuple, list[float]] = {}
    for size in sizes:
        for k in range(rounds):
            for who in whos(size):
                for m in MODES:
                    if who != "dpdk":
                        csum = who == "model+csum"
                        if csum and other_wire(m, size):
                            wire = wire_for(m, size, True)
                            off = run_pmd("model", m, size, seconds,
                                          warmup=bench_vdpa.WARMUP_S, wire=wire)
                            same_wire.setdefault((m, size), []).append(off["mpps"])
                            done += 1
                            log(f"[{done}/{steps}] {'model':10s} {m:7s} {size:4d} B round "
                                f"{k + 1}: {off['mpps']:.2f} Mpps on {wire}")
                        r = run_pmd("model", m, size, seconds, warmup=bench_vdpa.WARMUP_S,
                                    csum=csum)
                        mine.setdefault((m, size, csum), []).append(r)
                    else:
                        tsc = mine[(m, size, False)][-1]["tsc_ghz"]
                        r = dpdk_run(m, size, seconds, tsc)
                        theirs.setdefault((m, size), []).append(r)
                    done += 1
                    log(f"[{done}/{steps}] {who:10s} {m:7s} {size:4d} B round {k + 1}: "
                        f"{r['mpps']:.2f} Mpps")
    dpdk = None if why else [_median_run(v) for v in theirs.values()]
    model = [_median_run(v) for v in mine.values()]
    for r in model:
        if r["csum"] and (r["mode"], r["size"]) in same_wire:
            r["same_wire_off_mpps"] = statistics.median(same_wire[(r["mode"], r["size"])])
    return model, dpdk, why


def csum_cost(model: list[dict]) -> list[str]:
    """What the checksum offloads cost the model: Mpps with them / without,
    on the same traffic (same_wire_off_mpps where the checksum runs had
    their own, else the plain run)."""
    plain = {(r["mode"], r["size"]): r["mpps"] for r in model if not r["csum"]}
    lines = []
    for r in model:
        key = (r["mode"], r["size"])
        off = r.get("same_wire_off_mpps") or plain.get(key)
        if r["csum"] and off:
            lines.append(f"checksum offloads on ({r['mode']} {r['size']} B): {r['mpps']:.2f} "
                         f"Mpps, {r['mpps'] / off:.2f}x of without (goal >= 0.90x)" +
                         (f" on the same traffic ({r['wire']}: {off:.2f} Mpps without)"
                          if r.get("same_wire_off_mpps") else ""))
    return lines


def _stderr(line: str) -> None:
    print(f"vionic bench: {line}", file=sys.stderr, flush=True)


def run_all(out_dir: str | Path, seconds: float = 3.0, log=_stderr) -> str:
    """The `make bench` set, with progress on `log`: the PMD on the model
    beside DPDK in every mode and size (compare_dpdk); the PMD on the RTL
    core in every mode and size; the RTL core's simulated cycles per second
    (txonly 64 B, loop 256 B); Linux through the NICs; the vDPA side by side
    (bench_vdpa); the sink wire alone at each size (wire_rate). Writes
    pmd-model.json, dpdk.json, pmd-rtl.json, sink.json, rtl-sim.json,
    linux.json and vdpa.json in out_dir and returns the
    printed report (`vionic bench report` turns the folder into report.md)."""
    model, dpdk, why = compare_dpdk(seconds, log=log)
    model.sort(key=lambda r: (MODES.index(r["mode"]), r["size"], r["csum"]))
    sink = [wire_rate(size, "sink", seconds) for size in SIZES]
    for w in sink:
        log(f"sink wire alone {w['size']:4d} B: {w['mpps']:.2f} Mpps")
    rtl = []
    for mode in MODES:
        for size in SIZES:
            rtl.append(run_pmd("rtl", mode, size, seconds))
            log(f"rtl   {mode:7s} {size:4d} B: {rtl[-1]['mpps']:.3f} Mpps")
    sim = [run_sim_speed(mode, size, seconds) for mode, size in SIM_POINTS]
    for s in sim:
        log(f"RTL simulation {s['mode']} {s['size']} B: {s['cycles_per_second'] / 1e6:.2f} "
            "M cycles/s")
    log("Linux through the NICs (ping, iperf3)")
    linux = run_linux(seconds)
    vdpa_lines: list[str] = []
    bench_vdpa.run(out_dir, log=lambda line: (vdpa_lines.append(line), log(line)))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, data in (("pmd-model", model), ("pmd-rtl", rtl), ("sink", sink), ("rtl-sim", sim),
                       ("linux", linux), ("dpdk", dpdk or {"skipped": why})):
        (out / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
    return "\n".join([
        table(model + rtl, dpdk),
        (f"DPDK: testpmd virtio-user (queue_size 1024, in_order, mrg_rxbuf) <-> testpmd vhost, "
         f"one core each, measured in this run; every figure the median of {ROUNDS} runs "
         "interleaved with DPDK's (spread = min-max); ratio = vionic / DPDK; cyc/pkt = TSC "
         "cycles of the bottleneck core / packets on both sides" if dpdk else
         f"DPDK: not measured ({why}); no ratio"),
        *csum_cost(model),
        *wire_bound(sink, model, dpdk),
        *(f"RTL core simulation: {s['cycles_per_second'] / 1e6:.2f} M cycles/s with {s['mode']} "
          f"traffic of {s['size']} B ({s['sim_cycles_per_packet']} simulated cycles per frame; "
          f"target {SIM_TARGET / 1e6:.0f} M cycles/s)" for s in sim),
        "Linux through the NICs (ping 100, iperf3 TCP and UDP; reference: SimBricks, "
        "QEMU-KVM + Corundum RTL, 81 Mb/s and 3.4 ms):",
        *(f"  {describe(r)}" if "ping" in r else f"  {r['cores']}: {r['skipped']}"
          for r in linux),
        *vdpa_lines,
        f"written to {out}/pmd-model.json, dpdk.json, pmd-rtl.json, sink.json, rtl-sim.json, "
        "linux.json, vdpa.json",
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
