"""Side by side, one run: the same DPDK virtio-user client (testpmd) and the
same Linux guest against (a) DPDK's own vhost-user backend, (b) `vionic vdpa`
on the model, (c) on the RTL. Results go to bench/results/vdpa.json.

The client's forwarding lcore is CPU 1 in every case; the backend's data
path is CPU 0 (DPDK's vhost forwarding lcore, or the vionic device server).
Mpps is measured at the client from testpmd's port counters over a window
after a warm-up (wall clock: a benchmark, not a test).
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import guest, net, testpmd
from .device import Device
from .testpmd import DpdkTestpmd, vhost, virtio_user
from .vdpa import BackendThread

MODES = {  # client mode: (what the DPDK vhost side does, the vionic wire, counter)
    "txonly": ("rxonly", "sink", "tx"),
    "rxonly": ("txonly", "gen:SIZE", "rx"),
    "io": ("io", "loopback", "rx"),
}
BACKENDS = ("dpdk-vhost", "vionic-model", "vionic-rtl")
WARMUP_S, WINDOW_S = 2.0, 3.0


def _port_packets(pmd: DpdkTestpmd, which: str) -> int:
    text = pmd.cmd("show port stats 0")
    m = re.search(r"RX-packets:\s*(\d+).*?TX-packets:\s*(\d+)", text, re.S)
    assert m, text
    return int(m[1] if which == "rx" else m[2])


def _measure(client: DpdkTestpmd, mode: str, which: str, seconds: float = WINDOW_S,
             size: int = 64, queue_size: int = 256) -> float:
    client.cmd(f"set fwd {mode}")
    if mode != "rxonly":                     # the client generates: frames of `size`
        client.cmd(f"set txpkts {size}")
    # io circulates what tx_first sent: a ring's worth less one burst, as
    # libvionic's loop keeps in flight (one burst would measure latency)
    client.cmd(f"start tx_first {queue_size // 32 - 1}" if mode == "io" else "start")
    time.sleep(WARMUP_S)
    t0, n0 = time.monotonic(), _port_packets(client, which)
    time.sleep(seconds)
    t1, n1 = time.monotonic(), _port_packets(client, which)
    client.cmd("stop")
    return (n1 - n0) / (t1 - t0) / 1e6


@contextlib.contextmanager
def _backend(backend: str, mode: str, sock: str, queue_size: int = 256, size: int = 64):
    """The backend for client mode `mode`, serving vhost-user at `sock`
    (generating frames of `size` bytes when the client only receives)."""
    other, wire, _ = MODES[mode]
    if backend == "dpdk-vhost":
        with DpdkTestpmd(vhost(sock), main_lcore=1, name="vhost", queue_size=queue_size) as v:
            v.cmd(f"set fwd {other}")
            v.cmd(f"set txpkts {size}")
            v.cmd("start")
            yield
    else:
        core = backend.removeprefix("vionic-")
        wire = wire.replace("SIZE", str(size))
        with Device(core, start=False, wire=wire, cpu=0) as dev, BackendThread(dev, sock):
            yield


def _client_mpps(backend: str, mode: str, seconds: float = WINDOW_S, queue_size: int = 256,
                 devargs: str = "", size: int = 64) -> float:
    """Mpps of the testpmd virtio-user client in `mode` against `backend`."""
    with tempfile.TemporaryDirectory() as d:
        sock = f"{d}/vu.sock"
        with _backend(backend, mode, sock, queue_size, size), \
                DpdkTestpmd(virtio_user(sock, queue_size, devargs), main_lcore=0,
                            queue_size=queue_size) as client:
            return _measure(client, mode, MODES[mode][2], seconds, size, queue_size)


# libvionic's bench modes and the testpmd client modes that do the same work
DPDK_MODES = {"txonly": "txonly", "rxonly": "rxonly", "loop": "io"}


def dpdk_reference(mode: str, size: int = 64, seconds: float = WINDOW_S) -> float:
    """DPDK against itself, as `make bench` compares the PMD with it:
    testpmd virtio-user (queue_size 1024, in_order, mrg_rxbuf) forwarding on
    CPU 1 and testpmd vhost on CPU 0, in libvionic's bench `mode` (txonly: virtio
    txonly -> vhost rxonly; rxonly: vhost txonly -> virtio rxonly; loop: io
    both sides). Mpps at the virtio side, frames of `size`, after WARMUP_S."""
    return round(_client_mpps("dpdk-vhost", DPDK_MODES[mode], seconds, 1024,
                              "in_order=1,mrg_rxbuf=1", size), 3)


def run_testpmd(log=print) -> list[dict]:
    rows = []
    for mode in MODES:
        for backend in BACKENDS:
            mpps = _client_mpps(backend, mode)
            rows.append({"client": f"testpmd virtio-user {mode}", "backend": backend,
                         "mode": mode, "size": 64, "mpps": round(mpps, 3)})
            log(f"  testpmd {mode:7s} 64 B  {backend:13s} {mpps:7.3f} Mpps")
    return rows


def _guest_figures(g: guest.Guest) -> dict:
    _, out = g.run(f"ping -c 20 -i 0.05 {guest.HOST_IP}", 120)
    rtt = re.search(r"min/avg/max = ([\d.]+)/([\d.]+)/([\d.]+)", out)
    res = {"ping_ms": [float(x) for x in rtt.groups()] if rtt else None}
    for key, flag in (("tcp_guest_to_host_gbps", ""), ("tcp_host_to_guest_gbps", "-R")):
        _, out = g.run(f"iperf3 -c {guest.HOST_IP} -t 3 -f m {flag}", 120)
        m = re.findall(r"([\d.]+) Mbits/sec\s+(?:\d+\s+)?receiver", out)
        res[key] = round(float(m[-1]) / 1000, 3) if m else None
    return res


def run_guest(log=print) -> list[dict]:
    rows = []
    for backend in BACKENDS:
        with tempfile.TemporaryDirectory() as d, net.netns("vio-bh") as ns:
            sock = f"{d}/vu.sock"
            mac = "02:56:4e:49:43:00"
            if backend == "dpdk-vhost":
                # DPDK's vhost port 0 forwarded to a net_tap port in the namespace
                vh = ns.popen(["dpdk-testpmd", "-l", "0-1", "--main-lcore=1", "--no-pci",
                               "--in-memory", "--single-file-segments",
                               "--file-prefix=vionicbh", "--vdev", vhost(sock),
                               "--vdev", "net_tap0,iface=vio-g0", "--",
                               "--forward-mode=io", "--total-num-mbufs=16384",
                               "--stats-period=3600"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
                try:
                    _wait_for(Path(sock).exists, sock)
                    _wait_for(lambda: "vio-g0" in ns.interfaces(), "vio-g0")
                    ns.addr("vio-g0", f"{guest.HOST_IP}/24")
                    rows.append(_guest_row(backend, ns, sock, mac, log))
                finally:
                    net.stop(vh)
            else:
                core = backend.removeprefix("vionic-")
                with Device(core, start=False, wire="tap:vio-g0@vio-bh", cpu=0) as dev, \
                        BackendThread(dev, sock):
                    mac = dev.info()["mac"]
                    ns.addr("vio-g0", f"{guest.HOST_IP}/24")
                    rows.append(_guest_row(backend, ns, sock, mac, log))
    return rows


def _guest_row(backend: str, ns, sock: str, mac: str, log) -> dict:
    server = ns.popen(["iperf3", "-s"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with guest.Guest(sock, mac) as g:
            fig = _guest_figures(g)
            fig.update(backend=backend, accel=g.accel, client="Linux guest virtio_net")
    finally:
        net.stop(server)
    log(f"  guest   {backend:13s} ping avg {fig['ping_ms'] and fig['ping_ms'][1]} ms, TCP "
        f"guest->host {fig['tcp_guest_to_host_gbps']} Gb/s, host->guest "
        f"{fig['tcp_host_to_guest_gbps']} Gb/s ({fig['accel']})")
    return fig


def _wait_for(pred, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not appear")
        time.sleep(0.05)


def run(out_dir: str = "bench/results", log=print) -> dict:
    """Every figure of the side-by-side, written to out_dir/vdpa.json."""
    why = testpmd.unavailable()
    result: dict = {"testpmd": [], "guest": []}
    if why:
        log(f"vdpa side by side skipped: {why}")
        result["skipped"] = why
    else:
        log("vdpa side by side: testpmd virtio-user client, 64 B (client lcore on CPU 1)")
        result["testpmd"] = run_testpmd(log)
        gwhy = guest.unavailable()
        if gwhy:
            log(f"guest figures skipped: {gwhy}")
            result["guest_skipped"] = gwhy
        else:
            result["guest"] = run_guest(log)
        for mode in MODES:
            ref = next(r["mpps"] for r in result["testpmd"]
                       if r["mode"] == mode and r["backend"] == "dpdk-vhost")
            mine = next(r["mpps"] for r in result["testpmd"]
                        if r["mode"] == mode and r["backend"] == "vionic-model")
            result.setdefault("model_over_dpdk", {})[mode] = round(mine / ref, 2) if ref else None
        log("vionic-model / dpdk-vhost: " + ", ".join(
            f"{m} {r}x" for m, r in result["model_over_dpdk"].items()))
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    (Path(out_dir) / "vdpa.json").write_text(json.dumps(result, indent=1) + "\n")
    return result


if __name__ == "__main__":
    run(sys.argv[1] if len(sys.argv) > 1 else "bench/results")
