"""bench/results/report.md: `vionic bench report` turns the JSON of real,
short PMD runs into the report and its plots, and names what was not
measured instead of leaving it out."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import vionic
from vionic import bench

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def figures():
    """Real PMD runs on the model, two modes at two sizes (short windows)."""
    return [bench.run_pmd("model", mode, size, 0.3) for mode in ("txonly", "rxonly")
            for size in (64, 256)]


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_report_tables_and_plots_the_measured_figures(figures, tmp_path):
    (tmp_path / "pmd-model.json").write_text(json.dumps(figures))
    why = "needs DPDK's testpmd (apt-get install dpdk)"
    (tmp_path / "dpdk.json").write_text(json.dumps({"skipped": why}))
    out = subprocess.run([sys.executable, "-m", "vionic", "bench", "report", "--out",
                          str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    md = (tmp_path / "report.md").read_text()
    for r in figures:       # every measured figure is in the table, with no ratio
        assert f"| {r['mode']} | {r['size']} | {r['mpps']:.2f} (" in md
    assert f"DPDK was not measured: {why}. No ratio is given." in md
    assert "x met" not in md and "not met" not in md
    assert "![Mpps and Gb/s vs frame size](throughput.png)" in md
    width, height = _png_size(tmp_path / "throughput.png")
    assert width > 600 and height > 400
    # the parts that were not run are named, not silently left out
    assert "rtl.json missing" in md and "rtl-sim.json missing" in md
    assert "linux.json missing" in md and "vdpa.json missing" in md


def test_goal_column_compares_with_dpdks_figure(figures, tmp_path):
    """With DPDK figures the ratio and the goal verdict follow from both."""
    model = [r for r in figures if r["size"] == 64]
    dpdk = [dict(r, backend="dpdk", mpps=r["mpps"] / f, mpps_runs=[r["mpps"] / f],
                 cycles_per_packet=bench.tsc_cycles_per_packet(r["mpps"] / f, r["tsc_ghz"]))
            for r, f in zip(model, (2.0, 1.25), strict=True)]
    (tmp_path / "pmd-model.json").write_text(json.dumps(model))
    (tmp_path / "dpdk.json").write_text(json.dumps(dpdk))
    from vionic import report

    md = report.write(tmp_path).read_text()
    assert "| txonly | 64 |" in md and "| 2.00x | 1.5x met |" in md
    assert "| rxonly | 64 |" in md and "| 1.25x | 1.5x not met |" in md


def test_cycles_per_packet_is_tsc_over_rate(figures):
    """libvionic's cycles_per_packet and the one applied to DPDK agree."""
    for r in figures:
        assert r["cycles_per_packet"] == pytest.approx(
            bench.tsc_cycles_per_packet(r["mpps"], r["tsc_ghz"]), rel=0.01)
        assert 0 < r["busy_cycles_per_packet"] <= r["cycles_per_packet"] * 1.01


def test_sink_wire_alone_bounds_txonly(figures, tmp_path):
    """The sink's own rate, with no device, is measured on the real wire
    (every frame taken, the rate their count over the time), goes beside
    txonly in the report, and bad arguments are refused with what to use."""
    sink = [bench.wire_rate(size, "sink", 0.2) for size in (64, 256)]
    for w in sink:
        assert w["frames"] > 1000 and w["drops"] == 0
        assert w["mpps"] == pytest.approx(w["frames"] / w["seconds"] / 1e6, rel=0.01)
    (tmp_path / "pmd-model.json").write_text(json.dumps(figures))
    (tmp_path / "sink.json").write_text(json.dumps(sink))
    from vionic import report

    md = report.write(tmp_path).read_text()
    pmd = {r["size"]: r["mpps"] for r in figures if r["mode"] == "txonly"}
    for w in sink:
        assert (f"- sink wire alone ({w['size']} B, no device): {w['mpps']:.2f} Mpps at most; "
                f"vionic txonly {pmd[w['size']]:.2f}") in md
    with pytest.raises(vionic.InvalidArgument, match="unknown wire 'nosuch'; use one of"):
        bench.wire_rate(64, "nosuch", 0.1)
    with pytest.raises(vionic.InvalidArgument, match="use a size of 1..stride"):
        bench.wire_rate(bench.PMD_BUFFER_STRIDE + 1, "sink", 0.1)


def test_wire_bench_reads_the_pmds_buffer_layout():
    """wire_rate reads its frames as far apart as the PMD's default buffers
    are (PMD_BUFFER_STRIDE), so it costs the reads the device's cost."""
    from vionic._ext import ffi, lib

    with vionic.open("model") as dev:
        mbufs = ffi.new("struct vionic_mbuf *[16]")
        assert lib.vionic_mbuf_alloc_bulk(dev._handle, mbufs, 16) == 0
        addrs = sorted(int(ffi.cast("uintptr_t", mbufs[i].data)) for i in range(16))
        lib.vionic_mbuf_free_bulk(dev._handle, mbufs, 16)
    assert min(b - a for a, b in zip(addrs, addrs[1:], strict=False)) == bench.PMD_BUFFER_STRIDE


def test_checksum_cost_is_measured_on_the_same_traffic(figures):
    """rxonly's checksum runs need a generator that computes its frames'
    checksums: what the offloads cost is judged against that same traffic
    without them, not against the plain generator's."""
    wire = bench.wire_for("rxonly", 64, csum=True)
    assert wire != bench.wire_for("rxonly", 64) and wire.endswith(":udp")
    on = bench.run_pmd("model", "rxonly", 64, 0.3, csum=True)
    off = bench.run_pmd("model", "rxonly", 64, 0.3, wire=on["wire"])
    assert on["wire"] == off["wire"] == wire
    assert on["errors"] == 0 and off["packets"] > 1000
    assert "GUEST_CSUM" in on["features"] and "GUEST_CSUM" not in off["features"]
    tx_on = bench.run_pmd("model", "txonly", 64, 0.3, csum=True)
    assert tx_on["wire"] == bench.wire_for("txonly", 64) == "sink"
    lines = bench.csum_cost([*figures, dict(on, same_wire_off_mpps=off["mpps"]), tx_on])
    plain_tx = next(r["mpps"] for r in figures if (r["mode"], r["size"]) == ("txonly", 64))
    assert lines == [
        f"checksum offloads on (rxonly 64 B): {on['mpps']:.2f} Mpps, "
        f"{on['mpps'] / off['mpps']:.2f}x of without (goal >= 0.90x) on the same traffic "
        f"({wire}: {off['mpps']:.2f} Mpps without)",
        f"checksum offloads on (txonly 64 B): {tx_on['mpps']:.2f} Mpps, "
        f"{tx_on['mpps'] / plain_tx:.2f}x of without (goal >= 0.90x)"]
