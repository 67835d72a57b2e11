"""What an interrupted or killed program leaves behind: Ctrl-C unwinds a
topology completely; after SIGKILL, `vionic net cleanup` removes the
namespaces and interfaces it left (and only those), and the device servers
exit on their own once their client is gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from pyroute2 import netns as pr_netns

from vionic import net

# Builds a model-model pair (namespaces vio-a/vio-b, forwarder TAPs, two
# servers), prints the server pids, then waits to be interrupted.
CHILD = """
import time
from vionic import topology
with topology.pair("model", "model") as t:
    print(*(n.server.proc.pid for n in t.nics.values()), flush=True)
    time.sleep(120)
"""


def _ours() -> list[str]:
    names = [n for n in pr_netns.listnetns() if n.startswith(net.PREFIX)]
    return names + [i for i in net.Namespace(None).interfaces() if i.startswith(net.PREFIX)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie of the (dead) child's is gone for our purposes
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def _start() -> tuple[subprocess.Popen, list[int]]:
    p = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    pids = [int(x) for x in p.stdout.readline().split()]
    assert len(pids) == 2, "the child did not build its topology"
    assert {"vio-a", "vio-b"} <= set(pr_netns.listnetns())
    return p, pids


def _wait_gone(pids: list[int], timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while any(map(_alive, pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


def test_ctrl_c_unwinds_the_topology():
    p, servers = _start()
    p.send_signal(signal.SIGINT)
    assert p.wait(timeout=30) != 0   # KeyboardInterrupt
    assert _ours() == []
    assert _wait_gone(servers) == []


def test_cleanup_removes_what_a_killed_run_left_and_nothing_else():
    pr_netns.create("keep-me")   # not vionic's: must survive the cleanup
    try:
        p, servers = _start()
        p.kill()
        p.wait(timeout=10)
        assert _wait_gone(servers) == [], "a server outlived its client"
        left = _ours()
        assert {"vio-a", "vio-b"} <= set(left)
        out = subprocess.run([sys.executable, "-m", "vionic", "net", "cleanup"],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert "netns vio-a" in out.stdout and "netns vio-b" in out.stdout
        assert _ours() == []
        assert "keep-me" in pr_netns.listnetns()
    finally:
        pr_netns.remove("keep-me")
