"""bench/results/report.md and its plots, from the JSON files of one
`make bench` (vionic.bench.run_all, bench/hw/bench_rtl.py, vionic.bench_vdpa).

`vionic bench report [--out DIR]` writes DIR/report.md and DIR/*.png from what
DIR holds; a part whose file is missing (or says why it was skipped) is named
as such in the report rather than left out silently.
"""

from __future__ import annotations

import json
from pathlib import Path

from .bench import GOALS, SIM_TARGET, _spread, csum_cost, wire_bound
from .topology import describe

# Goals of issue 10 for the PMD on the model, as multiples of DPDK's figure
SERIES = (("model", "vionic PMD + model", "tab:blue"),
          ("model+csum", "vionic PMD + model, checksum offloads on", "tab:purple"),
          ("dpdk", "DPDK virtio-user + vhost", "tab:orange"),
          ("rtl", "vionic PMD + RTL (Verilator)", "tab:green"),
          ("sink", "sink wire alone, no device (txonly's bound)", "tab:gray"))


def _load(out: Path, name: str):
    path = out / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _records(data) -> list[dict]:
    """A list of figure records, or none when the part was skipped / absent."""
    return data if isinstance(data, list) else []


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")                 # files only, no screen
    import matplotlib.pyplot as plt

    return plt


def _plain():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{v:g}")


def _minor():
    """Minor ticks of a log axis labelled at 2 and 5 times a decade only."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.1g}"[0] in "25" else "")


def plot_throughput(pmd: dict[str, list[dict]], path: Path) -> None:
    """Mpps (log scale) and Gb/s against frame size, one column per mode,
    one line per series; vionic-model's spread as error bars, the goals as
    markers over DPDK's figure."""
    plt = _pyplot()
    modes = [m for m in ("txonly", "rxonly", "loop")
             if any(r["mode"] == m for rs in pmd.values() for r in rs)]
    fig, axes = plt.subplots(2, len(modes), figsize=(4.6 * len(modes), 7.5), squeeze=False)
    for col, mode in enumerate(modes):
        for key, label, color in SERIES:
            rows = sorted((r for r in pmd.get(key, []) if r["mode"] == mode),
                          key=lambda r: r["size"])
            if not rows:
                continue
            x = [r["size"] for r in rows]
            for row, field in enumerate(("mpps", "gbps")):
                y = [r[field] for r in rows]
                ax = axes[row][col]
                if field == "mpps" and all("mpps_runs" in r for r in rows):
                    lo = [r["mpps"] - min(r["mpps_runs"]) for r in rows]
                    hi = [max(r["mpps_runs"]) - r["mpps"] for r in rows]
                    ax.errorbar(x, y, yerr=[lo, hi], marker="o", color=color, label=label,
                                capsize=3)
                else:
                    ax.plot(x, y, marker="o", color=color, label=label)
            if key == "dpdk":
                goals = [(r["size"], r["mpps"] * GOALS[r["size"]]) for r in rows
                         if r["size"] in GOALS]
                if goals:
                    axes[0][col].scatter(*zip(*goals, strict=True), marker="_", s=400,
                                         color="black", zorder=5,
                                         label="goal (1.5x / 1.2x DPDK)")
        axes[0][col].set_title(f"{mode}")
        axes[0][col].set_yscale("log")
        axes[0][col].yaxis.set_major_formatter(_plain())   # 0.1, 10 rather than 10^-1
        axes[0][col].yaxis.set_minor_formatter(_minor())
        axes[0][col].set_ylabel("Mpps (log)")
        axes[1][col].set_ylabel("Gb/s (frame bytes)")
        for row in range(2):
            axes[row][col].set_xlabel("frame size (bytes)")
            axes[row][col].grid(True, which="both", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=3)
    fig.suptitle("PMD throughput vs frame size (2 cores: driver on one, device on the other)")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_rtl_cycles(hw: dict, path: Path) -> None:
    """The core's cycles per packet (its CYCLES register, cocotb bench)
    against the data-bus bound, per direction."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for direction, color in (("tx", "tab:blue"), ("rx", "tab:green")):
        rows = sorted((r for r in hw["results"] if r["direction"] == direction),
                      key=lambda r: r["size"])
        x = [r["size"] for r in rows]
        ax.plot(x, [r["cycles_per_packet"] for r in rows], marker="o", color=color,
                label=f"{direction.upper()} measured")
        ax.plot(x, [r["bound_cycles_per_packet"] for r in rows], linestyle="--", color=color,
                label=f"{direction.upper()} data-bus bound")
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(_plain())
        axis.set_minor_formatter(_minor())
    ax.set_xlabel("frame size (bytes)")
    ax.set_ylabel("clock cycles per packet (log)")
    ax.set_title(f"RTL core, DATA_WIDTH {hw['data_width']}, DMA read latency "
                 f"{hw['dma_read_latency_cycles']} cycles")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_sim_speed(sim: list[dict], target: float, path: Path) -> None:
    """Simulated cycles per second of the Verilated core with traffic."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    labels = [f"{s['mode']} {s['size']} B" for s in sim]
    ax.bar(labels, [s["cycles_per_second"] / 1e6 for s in sim], color="tab:green")
    ax.axhline(target / 1e6, color="black", linestyle="--", label=f"goal {target / 1e6:.0f} M")
    ax.set_ylabel("M simulated cycles / s")
    ax.set_title("Verilated core speed with PMD traffic")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _pmd_table(model: list[dict], dpdk: list[dict], rtl: list[dict]) -> list[str]:
    ref = {(d["mode"], d["size"]): d for d in dpdk}
    rtl_of = {(d["mode"], d["size"]): d for d in rtl}
    lines = ["| mode | size | vionic Mpps (spread) | DPDK Mpps (spread) | ratio | goal | "
             "vionic / DPDK cyc/pkt | vionic Gb/s | RTL Mpps |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in model:
        csum = r.get("csum", False)
        d = None if csum else ref.get((r["mode"], r["size"]))
        t = None if csum else rtl_of.get((r["mode"], r["size"]))
        ratio = r["mpps"] / d["mpps"] if d and d["mpps"] else None
        goal = GOALS.get(r["size"])
        cells = [r["mode"] + (" +csum" if csum else ""), str(r["size"]),
                 f"{r['mpps']:.2f} ({_spread(r.get('mpps_runs'))})",
                 f"{d['mpps']:.2f} ({_spread(d.get('mpps_runs'))})" if d else "-",
                 f"{ratio:.2f}x" if ratio else "-",
                 f"{goal}x {'met' if ratio >= goal else 'not met'}" if goal and ratio else "-",
                 f"{r['cycles_per_packet']:.0f} / " + (f"{d['cycles_per_packet']:.0f}" if d
                                                      else "-"),
                 f"{r['gbps']:.2f}", f"{t['mpps']:.3f}" if t else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def write(out_dir: str | Path) -> Path:
    """Writes out_dir/report.md and its PNGs from the JSON files there."""
    out = Path(out_dir)
    model, rtl = _records(_load(out, "pmd-model")), _records(_load(out, "pmd-rtl"))
    sink = _records(_load(out, "sink"))
    dpdk_data = _load(out, "dpdk")
    dpdk = _records(dpdk_data)
    sim = _load(out, "rtl-sim")
    sim = [sim] if isinstance(sim, dict) else _records(sim)
    hw, linux, vdpa = _load(out, "rtl"), _records(_load(out, "linux")), _load(out, "vdpa")
    md = ["# vionic benchmark report", "",
          "Written by `vionic bench report` from the JSON files of one `make bench` in this "
          "folder. Machine: 2 cores; the driver (or DPDK's virtio-user) on one, the device "
          "server (or DPDK's vhost) on the other. Mpps figures are medians of interleaved "
          "runs with their min-max spread; cycles per packet = TSC cycles of the bottleneck "
          "core / packets, on both sides.", ""]

    md += ["## PMD throughput: vionic beside DPDK", ""]
    if model:
        plot_throughput({"model": [r for r in model if not r.get("csum")],
                         "model+csum": [r for r in model if r.get("csum")],
                         "dpdk": dpdk, "rtl": rtl, "sink": sink}, out / "throughput.png")
        md += ["![Mpps and Gb/s vs frame size](throughput.png)", ""]
        md += _pmd_table(model, dpdk, rtl) + [""]
        md += [f"- {line}" for line in csum_cost(model) + wire_bound(sink, model, dpdk)]
        md += [""]
    else:
        md += ["No PMD figures (pmd-model.json missing): run `make bench`.", ""]
    if isinstance(dpdk_data, dict) and "skipped" in dpdk_data:
        md += [f"DPDK was not measured: {dpdk_data['skipped']}. No ratio is given.", ""]

    md += ["## RTL core: cycles per packet vs the data-bus bound", ""]
    if hw:
        plot_rtl_cycles(hw, out / "rtl_cycles.png")
        md += ["![RTL cycles per packet](rtl_cycles.png)", "",
               "| dir | bytes | cycles/pkt | bound | % of bound |", "|---|---|---|---|---|"]
        md += [f"| {r['direction']} | {r['size']} | {r['cycles_per_packet']:.2f} | "
               f"{r['bound_cycles_per_packet']:.2f} | {r['percent_of_bound']:.1f}% |"
               for r in hw["results"]]
        md += ["", "Bound: 64-byte beats per packet on the busiest AXI channel (`make "
               "hw-bench`, bench/hw/bench_rtl.py).", ""]
    else:
        md += ["No RTL bench figures (rtl.json missing): run `make hw-bench`.", ""]

    md += ["## Verilated core: simulated cycles per second", ""]
    if sim:
        plot_sim_speed(sim, SIM_TARGET, out / "sim_speed.png")
        md += ["![simulated cycles per second](sim_speed.png)", ""]
        md += [f"- {s['mode']} {s['size']} B: {s['cycles_per_second'] / 1e6:.2f} M cycles/s, "
               f"{s['sim_cycles_per_packet']} simulated cycles per frame" for s in sim]
        md += [""]
    else:
        md += ["No simulation speed figure (rtl-sim.json missing).", ""]

    md += ["## Linux through the NICs", ""]
    if linux:
        md += [f"- {describe(r)}" if "ping" in r else f"- {r['cores']}: skipped, {r['skipped']}"
               for r in linux] + [""]
    else:
        md += ["No Linux figures (linux.json missing).", ""]

    md += ["## vDPA: drivers nobody here wrote", ""]
    if vdpa and vdpa.get("testpmd"):
        md += ["| client | backend | Mpps |", "|---|---|---|"]
        md += [f"| {r['client']} | {r['backend']} | {r['mpps']:.3f} |" for r in vdpa["testpmd"]]
        md += [""]
        if vdpa.get("guest"):
            md += ["| backend | ping avg ms | TCP guest->host Gb/s | TCP host->guest Gb/s | "
                   "accel |", "|---|---|---|---|---|"]
            md += [f"| {g['backend']} | {g['ping_ms'][1] if g['ping_ms'] else '-'} | "
                   f"{g['tcp_guest_to_host_gbps']} | {g['tcp_host_to_guest_gbps']} | "
                   f"{g['accel']} |" for g in vdpa["guest"]]
            md += [""]
        elif vdpa.get("guest_skipped"):
            md += [f"Guest figures skipped: {vdpa['guest_skipped']}.", ""]
    elif vdpa and vdpa.get("skipped"):
        md += [f"Skipped: {vdpa['skipped']}.", ""]
    else:
        md += ["No vDPA figures (vdpa.json missing).", ""]

    path = out / "report.md"
    path.write_text("\n".join(md))
    return path


__all__ = ["write", "plot_throughput", "plot_rtl_cycles", "plot_sim_speed"]
