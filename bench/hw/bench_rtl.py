#!/usr/bin/env python3
"""RTL bench (make hw-bench): builds vionic_core with DATA_WIDTH=512 (shared with the
tests' build), runs bench/hw/tb_bench.py and prints/writes bench/results/rtl.json and .txt.
VIONIC_BENCH_NO_INTERRUPT=1: the same with VRING_AVAIL_F_NO_INTERRUPT set on both rings (poll mode),
written to rtl_no_interrupt.json and .txt. VIONIC_BENCH_CSUM=1: TCP/IPv4 frames with the checksum
offloads acting on each (TX NEEDS_CSUM, RX marked DATA_VALID), written to rtl_csum.json and .txt.
VIONIC_BENCH_RSS=1: NUM_QUEUE_PAIRS 4 (the tests' build) with RSS spreading TCP/IPv4 frames over
the 4 receive queues (MTU 1500 points), written to rtl_rss.json and .txt."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "hw"))
sys.path.insert(0, str(ROOT / "bench" / "hw"))

import hwsim  # noqa: E402

PARAMS = {"DATA_WIDTH": 512, "IMPL": 2, "MAX_MTU": 9000, "RX_FIFO_BYTES": 32768}  # = tests' CORE512
PARAMS_RSS = {**PARAMS, "NUM_QUEUE_PAIRS": 4}  # = tests' CORE512_MQ


def main() -> None:
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    no_interrupt = os.environ.get("VIONIC_BENCH_NO_INTERRUPT", "0") == "1"
    csum = os.environ.get("VIONIC_BENCH_CSUM", "0") == "1"
    name = "rtl_no_interrupt" if no_interrupt else "rtl"
    rss = os.environ.get("VIONIC_BENCH_RSS", "0") == "1"
    name += "_csum" if csum else ""
    name += "_rss" if rss else ""
    params = PARAMS_RSS if rss else PARAMS
    out = out_dir / f"{name}.json"
    runner = hwsim.build("vionic_core", params)
    tag = hwsim.tag("vionic_core", params)
    test_dir = hwsim.BUILD / tag / "run" / "bench"
    test_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "VIONIC_SEED": os.environ.get("VIONIC_SEED", "1"),
        "VIONIC_BENCH_OUT": str(out),
        "VIONIC_BENCH_NO_INTERRUPT": "1" if no_interrupt else "0",
        "VIONIC_BENCH_CSUM": "1" if csum else "0",
        "VIONIC_BENCH_RSS": "1" if rss else "0",
    }
    if out.exists():
        out.unlink()
    runner.test(
        hdl_toplevel="vionic_core",
        test_module="tb_bench",
        testcase="bench",
        extra_env=env,
        test_dir=test_dir,
        build_dir=hwsim.BUILD / tag,
    )
    if not out.exists():
        raise SystemExit("bench failed: no results written")
    data = json.loads(out.read_text())
    lines = [
        f"vionic_core RTL bench: DATA_WIDTH={data['data_width']}, DMA read latency "
        f"{data['dma_read_latency_cycles']} cycles, {data['packets_per_point']} packets per point, "
        "CYCLES register"
        + (", VRING_AVAIL_F_NO_INTERRUPT set on both rings (poll mode)" if no_interrupt else "")
        + (", checksum offloads acting on every frame (TCP/IPv4)" if csum else "")
        + (", 4 queue pairs, RSS over the 4 receive queues (TCP/IPv4, 16 flows)" if rss else ""),
        f"{'dir':<4}{'bytes':>7}{'cycles/pkt':>12}{'bound':>8}{'% of bound':>12}  RX buffers",
    ]
    for r in data["results"]:
        bufs = r.get("buffers_per_packet")
        lines.append(
            f"{r['direction']:<4}{r['size']:>7}{r['cycles_per_packet']:>12.2f}"
            f"{r['bound_cycles_per_packet']:>8.2f}{r['percent_of_bound']:>11.1f}%"
            + (f"  {bufs} x {r['buffer_bytes']} B" + (" (MRG_RXBUF)" if bufs > 1 else "")
               if bufs else "")
        )
    lines.append(
        "bound = 64-byte beats per packet on the busiest AXI channel: ceil((frame+12)/64) "
        "+ (16 B descriptor + 2 B avail entry)/64 for TX (read), "
        "+ 8 B used element/64 for RX (write); RX over several buffers: whole beats and a used "
        "element per buffer"
    )
    text = "\n".join(lines)
    (out_dir / f"{name}.txt").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
