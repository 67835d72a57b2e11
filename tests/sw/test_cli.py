"""The `vionic` command and the C programs, as a user runs them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VIONIC = [sys.executable, "-m", "vionic"]


def test_info_model():
    out = subprocess.run([*VIONIC, "info", "model"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "02:56:4e:49:43:00" in out.stdout
    assert "VERSION_1" in out.stdout and "NOTIFICATION_DATA" in out.stdout
    assert "mtu 1500" in out.stdout


def test_info_bad_uri_exits_1_with_message():
    out = subprocess.run([*VIONIC, "info", "nonsense"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert "BadURI" in out.stderr


@pytest.mark.parametrize("mode", ["txonly", "rxonly", "loop"])
def test_bench_pmd_json(mode):
    out = subprocess.run([*VIONIC, "bench", "pmd", "--backend", "model", "--mode", mode,
                          "--size", "128", "--seconds", "0.3", "--json"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["mode"] == mode and result["size"] == 128
    assert result["packets"] > 1000 and result["mpps"] > 0
    assert result["cycles_per_packet"] > 0
    assert result["errors"] == 0
    # no checksum work on either side unless asked (as testpmd): not negotiated
    assert "CSUM" not in result["features"] and "GUEST_CSUM" not in result["features"]
    assert "MRG_RXBUF" in result["features"]


@pytest.mark.parametrize("mode", ["txonly", "rxonly", "loop"])
def test_bench_pmd_with_checksum_offloads(mode):
    """Every frame asks for its UDP checksum and every received one must come
    back checked good (loop: with the checksum the device completed)."""
    out = subprocess.run([*VIONIC, "bench", "pmd", "--backend", "model", "--mode", mode,
                          "--size", "300", "--seconds", "0.3", "--csum", "--json"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["csum"] is True and result["packets"] > 1000
    assert result["errors"] == 0
    assert {"CSUM", "GUEST_CSUM"} <= set(result["features"])


@pytest.mark.parametrize("pairs", [None, 4])
@pytest.mark.parametrize("core", ["model", "rtl"])
def test_server_command_serves_a_client(core, pairs, tmp_path):
    sock = tmp_path / "m.sock"
    option = ["--queue-pairs", str(pairs)] if pairs else []
    proc = subprocess.Popen([*VIONIC, core, "--socket", str(sock), "--wire", "loopback",
                             *option], stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:                               # rtl may build first
            if "listening on" in line:                         # the server is ready
                break
        else:
            raise AssertionError(f"the server exited with {proc.wait()} before it was ready")
        info = subprocess.run([*VIONIC, "info", f"sim:{sock}", "--json"],
                              capture_output=True, text=True, timeout=30)
        assert info.returncode == 0, info.stderr
        got = json.loads(info.stdout)["info"]
        assert got["impl"] == {"model": "model", "rtl": "rtl-sim"}[core]
        assert got["max_queue_pairs"] == (pairs or 1)
        assert proc.wait(timeout=10) == 0                      # exits when its client leaves
    finally:
        proc.kill()


def test_c_bench_program_against_c_server(tmp_path):
    server, bench = ROOT / "build/bin/vionic-server", ROOT / "build/bin/vionic-bench"
    if not (server.exists() and bench.exists()):
        pytest.skip("C programs not built; `make c` builds them")
    sock = tmp_path / "c.sock"
    srv = subprocess.Popen([str(server), "--socket", str(sock), "--wire", "loopback"],
                           stderr=subprocess.PIPE, text=True)
    try:
        assert "listening" in srv.stderr.readline()
        out = subprocess.run([str(bench), "--uri", f"sim:{sock}", "--mode", "loop",
                              "--size", "256", "--seconds", "0.3", "--json"],
                             capture_output=True, text=True, timeout=30,
                             env={**os.environ})
        assert out.returncode == 0, out.stderr
        result = json.loads(out.stdout)
        assert result["mode"] == "loop" and result["packets"] > 1000
        assert srv.wait(timeout=5) == 0
    finally:
        srv.kill()
