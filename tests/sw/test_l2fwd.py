"""The l2fwd example (sw/pmd/examples/l2fwd.c) as its users run it: device
servers on unix wires, link partners on those wires, l2fwd between them.
Every frame a partner sends must come out of the other port (or the same
port, with one URI) whole, in order, with its MAC addresses swapped."""

from __future__ import annotations

import contextlib
import random
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from swutil import make_frame
from vionic import rtl

ROOT = Path(__file__).resolve().parents[2]
L2FWD = ROOT / "build/bin/l2fwd"
SERVER = {"model": ROOT / "build/bin/vionic-server"}
MTU = 9000          # jumbo frames cross as mbuf chains
PEER_MAC = bytes.fromhex("02000000000a")   # make_frame's source is another address


def server_path(core: str):
    return rtl.server_binary(quiet=True) if core == "rtl" else SERVER[core]


class Port:
    """A device server on a `unix:` wire and the link partner on that wire."""

    def __init__(self, core, tmp_path, name):
        self.sock = tmp_path / f"{name}.sock"
        self.wire = tmp_path / f"{name}.wire"
        self.proc = subprocess.Popen(
            [str(server_path(core)), "--socket", str(self.sock), "--wire", f"unix:{self.wire}",
             "--mtu", str(MTU)], stderr=subprocess.PIPE, text=True)
        self.peer = None
        line = self.proc.stderr.readline()
        if "listening" not in line:
            self.__exit__()
            raise AssertionError(f"{core} server did not start: {line!r}")

    def connect(self):
        self.peer = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.peer.connect(str(self.wire))
        self.peer.settimeout(5.0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.peer:
            self.peer.close()
        self.proc.kill()
        self.proc.wait()


def swapped(frame: bytes) -> bytes:
    return frame[6:12] + frame[0:6] + frame[12:]


def frame(rng, size: int, tag: int) -> bytes:
    return make_frame(rng, size, PEER_MAC, tag)


def settle(src: Port, dst: Port, rng) -> None:
    """Sends probes from src's partner until one comes out at dst's partner:
    both servers have accepted their partners and l2fwd is forwarding. Frames
    keep their order, so once the last probe is out no earlier one can follow."""
    sent = []
    dst.peer.settimeout(0.2)
    try:
        while len(sent) < 50:
            sent.append(frame(rng, 60, 0xFFFF0000 + len(sent)))
            src.peer.send(sent[-1])
            try:
                while (got := dst.peer.recv(MTU + 100)) != swapped(sent[-1]):
                    assert got in map(swapped, sent), "a frame out of l2fwd that no one sent"
                return
            except TimeoutError:
                continue
    finally:
        dst.peer.settimeout(5.0)
    raise AssertionError("no probe crossed l2fwd in 50 tries")


@contextlib.contextmanager
def l2fwd(*ports: Port):
    """l2fwd running between the ports' devices; killed on the way out if the
    test did not stop it."""
    if not L2FWD.exists():
        pytest.skip("C programs not built; `make c` builds them")
    proc = subprocess.Popen([str(L2FWD), *(f"sim:{p.sock}" for p in ports)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("l2fwd: forwarding"), line + proc.stderr.read()
        yield proc
    finally:
        proc.kill()
        proc.wait()


def stop(proc) -> None:
    """Ctrl-C: l2fwd closes its devices and exits 0."""
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err


def cross(src: Port, dst: Port, frames) -> None:
    """Sends `frames` from src's partner, a few at a time (a unix wire drops
    what finds no RX buffer, as a cable does), and checks what dst's partner
    receives."""
    for i in range(0, len(frames), 8):
        batch = frames[i:i + 8]
        for f in batch:
            src.peer.send(f)
        for f in batch:
            got = dst.peer.recv(MTU + 100)
            assert got == swapped(f), (
                f"frame {i}: {len(got)} B out of l2fwd for {len(f)} B in, or its bytes differ")


@pytest.mark.parametrize("ports", [2, 1])
@pytest.mark.parametrize("core", ["model", "rtl"])
def test_l2fwd(core, ports, tmp_path, seed):
    """Two ports: A's partner to B's and back, a frame copied into the other
    device's mbufs; one port: frames go back out of it in the same mbufs."""
    rng = random.Random(seed)
    with contextlib.ExitStack() as stack:
        p = [stack.enter_context(Port(core, tmp_path, name)) for name in "ab"[:ports]]
        proc = stack.enter_context(l2fwd(*p))
        for port in p:
            port.connect()
        ways = [(p[0], p[-1]), (p[-1], p[0])][:ports]
        for src, dst in ways:
            settle(src, dst, rng)
        sizes = [60, 61, 1514, MTU + 14] + [rng.randint(60, 2000) for _ in range(60)]
        frames = [frame(rng, n, i) for i, n in enumerate(sizes)]
        for src, dst in ways:
            cross(src, dst, frames)
            frames.reverse()
        stop(proc)
