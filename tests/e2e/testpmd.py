"""DPDK's testpmd as a vhost-user front-end (net_virtio_user), driven through
its interactive prompt, and `vionic vdpa`'s Backend serving it in a thread
of the test process (so the test reads the device's counters directly)."""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time

import pytest

from vionic import vdpa
from vionic.sysdeps import hugepages, missing

PROMPT = "testpmd> "


def need_dpdk() -> None:
    gone = missing(["dpdk-testpmd"])
    if gone:
        pytest.skip(f"needs DPDK's testpmd (apt-get install {gone['dpdk-testpmd']})")
    why = hugepages()
    if why:
        pytest.skip(f"DPDK needs huge pages: {why}")


class DpdkTestpmd:
    """One testpmd process with a virtio-user port on vhost-user socket `path`."""

    def __init__(self, path: str, *, devargs: str = "", queue_size: int = 256):
        vdev = f"net_virtio_user0,path={path},queue_size={queue_size}" + (
            f",{devargs}" if devargs else "")
        # stdbuf: its printf output must reach us before the prompt it writes unbuffered
        self.argv = ["stdbuf", "-o0", "dpdk-testpmd", "-l", "0-1", "--no-pci", "--in-memory",
                     "--single-file-segments", f"--file-prefix=vionic{os.getpid()}",
                     "--vdev", vdev, "--", "-i", "--total-num-mbufs=4096",
                     f"--rxd={queue_size}", f"--txd={queue_size}", "--nb-cores=1"]
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


class BackendThread:
    """A vdpa.Backend on `dev` listening on `path`, in a thread."""

    def __init__(self, dev, path: str):
        self.lines: list[str] = []
        self.backend = vdpa.Backend(dev, log=self._log)
        self.stop = threading.Event()
        ready = threading.Event()
        self.t = threading.Thread(target=self.backend.run, args=(path,),
                                  kwargs={"ready": ready.set, "should_stop": self.stop.is_set},
                                  daemon=True)
        self.t.start()
        assert ready.wait(10)

    def _log(self, msg: str) -> None:
        print(f"vionic vdpa: {msg}", flush=True)
        self.lines.append(msg)

    def stats(self) -> dict:
        return self.backend.stats()

    def wait_idle(self, timeout: float = 30) -> None:
        """Until every front-end that connected has been cleaned up after."""
        deadline = time.monotonic() + timeout
        while (sum("connected" in m for m in self.lines) !=
               sum("front-end gone" in m for m in self.lines)):
            assert time.monotonic() < deadline, f"a session did not end: {self.lines[-5:]}"
            time.sleep(0.01)

    def call(self, fn, *args):
        """fn(*args) on the device, between the backend's own calls."""
        with self.backend.lock:
            return fn(*args)

    def close(self) -> None:
        self.stop.set()
        self.t.join(10)
        self.backend.close()
        assert not self.t.is_alive()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
