"""DPDK's testpmd (Debian's dpdk-testpmd 22.11) driven through its interactive
prompt: as a vhost-user front-end (net_virtio_user) for vionic's tests and
benchmarks, and as DPDK's own vhost-user backend (net_vhost) to compare with.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time

from .sysdeps import hugepages, missing


def virtio_user(path: str, queue_size: int = 256, devargs: str = "") -> str:
    return f"net_virtio_user0,path={path},queue_size={queue_size}" + (
        f",{devargs}" if devargs else "")


def vhost(path: str) -> str:
    return f"net_vhost0,iface={path},queues=1"


PROMPT = "testpmd> "


def unavailable() -> str | None:
    """Why testpmd cannot run here, or None."""
    gone = missing(["dpdk-testpmd"])
    if gone:
        return f"needs DPDK's testpmd (apt-get install {gone['dpdk-testpmd']})"
    why = hugepages()
    return f"DPDK needs huge pages: {why}" if why else None


class DpdkTestpmd:
    """One testpmd process with a virtio-user port on vhost-user socket `path`."""

    def __init__(self, vdev: str, *, queue_size: int = 256, main_lcore: int = 0,
                 name: str = "virtio", extra: tuple[str, ...] = ()):
        """vdev: a --vdev argument, e.g. virtio_user(path) or vhost(path)."""
        # stdbuf: its printf output must reach us before the prompt it writes
        # unbuffered. -m 128: all memory up front, so the front-end sends one
        # memory table (each later table suspends and restarts the device,
        # and frames from the wire meanwhile are dropped)
        self.argv = ["stdbuf", "-o0", "dpdk-testpmd", "-l", "0-1",
                     f"--main-lcore={main_lcore}", "--no-pci", "--in-memory", "-m", "128",
                     "--single-file-segments", f"--file-prefix=vionic{os.getpid()}{name}",
                     "--vdev", vdev, "--", "-i", "--total-num-mbufs=8192",
                     f"--rxd={queue_size}", f"--txd={queue_size}", "--nb-cores=1", *extra]
        self.p = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.out = ""
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_prompt(60)

    def _read(self) -> None:
        for chunk in iter(lambda: self.p.stdout.read(1), ""):
            with self.cond:
                self.out += chunk
                self.cond.notify_all()

    def wait_prompt(self, timeout: float = 30) -> str:
        """Output up to the next prompt (consumed)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while PROMPT not in self.out:
                left = deadline - time.monotonic()
                if left <= 0 or self.p.poll() is not None:
                    raise AssertionError(f"testpmd gave no prompt ({' '.join(self.argv)}):\n"
                                         f"{self.out[-3000:]}")
                self.cond.wait(min(left, 0.5))
            text, self.out = self.out.split(PROMPT, 1)
        return text

    def cmd(self, line: str, timeout: float = 30) -> str:
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        return self.wait_prompt(timeout)

    def forward_stats(self) -> dict[str, int]:
        """`stop`: the forwarding counters of the run that ends."""
        text = self.cmd("stop")
        m = re.search(r"Accumulated forward statistics for all ports.*?RX-packets:\s*(\d+)\s+"
                      r"RX-dropped:\s*(\d+).*?TX-packets:\s*(\d+)\s+TX-dropped:\s*(\d+)",
                      text, re.S)
        assert m, f"no forward statistics in:\n{text}"
        rx, rxd, tx, txd = map(int, m.groups())
        return {"rx": rx, "rx_dropped": rxd, "tx": tx, "tx_dropped": txd}

    def quit(self) -> int:
        if self.p.poll() is None:
            try:
                self.p.stdin.write("quit\n")
                self.p.stdin.flush()
            except BrokenPipeError:
                pass
            try:
                self.p.wait(30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        return self.p.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.quit()
