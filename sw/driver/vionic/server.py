"""Device-server processes: a device core behind a vfio-user socket.

`vionic.open("model")` / `vionic.open("rtl")` start one with `ServerProcess`;
`vionic model` / `vionic rtl` run one in the foreground. The model's server is
the C runtime of sim/server compiled into this package's extension
(`python -m vionic.server ARGS` runs it with the arguments of the stand-alone
build/bin/vionic-server); the RTL's is the same runtime linked with the
Verilated hw/rtl, built on demand by vionic.rtl.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from .errors import DeviceGone, InvalidArgument

WIRE_KINDS = ("loopback", "sink", "gen:SIZE", "unix:PATH", "pcap:FILE")
READY_LINE = "listening on"


def check_wire(wire: str) -> str:
    """Validates a wire spec before a server is started, so a typo is a
    clear exception here rather than a server that exits."""
    kind, _, arg = wire.partition(":")
    if kind in ("loopback", "sink") and not arg:
        return wire
    if kind in ("unix", "pcap") and arg:
        return wire
    if kind == "gen" and arg.isdigit() and 60 <= int(arg) <= 9014:
        return wire
    raise InvalidArgument(
        f"wire {wire!r} is not understood; use one of {', '.join(WIRE_KINDS)} "
        "(gen:SIZE takes a frame size of 60 or more)"
    )


def run_foreground(argv: list[str]) -> int:
    """Runs the device server in this process until its client leaves (or a
    signal), returning its exit status."""
    from ._vionic import ffi, lib

    args = [ffi.new("char[]", a.encode()) for a in ["vionic-server", *argv]]
    argv_c = ffi.new("char *[]", args + [ffi.NULL])
    return lib.vionic_server_main(len(args), argv_c)


class ServerProcess:
    """A device server in a child process, on a socket in a private temporary
    folder. Stops the child (and removes the folder) on `stop()`."""

    def __init__(self, core: str = "model", wire: str = "loopback", cpu: int | None = None,
                 persist: bool = False, start_timeout: float = 10.0, trace: str | None = None,
                 dma_latency: int | None = None, quiet_build: bool = False):
        check_wire(wire)
        if core == "model":
            if trace is not None or dma_latency is not None:
                raise InvalidArgument("trace= and dma_latency= apply to the 'rtl' backend only")
            cmd = [sys.executable, "-m", "vionic.server"]
        elif core == "rtl":
            from . import rtl

            cmd = [str(rtl.server_binary(trace=trace is not None, quiet=quiet_build))]
            if trace is not None:
                cmd += ["--trace", os.path.abspath(trace)]
            if dma_latency is not None:
                if not isinstance(dma_latency, int) or not 1 <= dma_latency <= 100000:
                    raise InvalidArgument(f"dma_latency={dma_latency!r}: give 1..100000 cycles")
                cmd += ["--dma-latency", str(dma_latency)]
        else:
            raise InvalidArgument(f"device core {core!r} is not available; use 'model' or 'rtl'")
        self.core = core
        self.tmpdir = tempfile.mkdtemp(prefix="vionic-")
        self.socket_path = os.path.join(self.tmpdir, "device.sock")
        self.log_path = os.path.join(self.tmpdir, "server.log")
        cmd += ["--socket", self.socket_path, "--wire", wire, "--core", core]
        if cpu is not None:
            cmd += ["--cpu", str(cpu)]
        if persist:
            cmd.append("--persist")
        self.wire = wire
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         start_new_session=True)
        self._wait_ready(start_timeout)

    @property
    def uri(self) -> str:
        return f"sim:{self.socket_path}"

    def log(self) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if READY_LINE in self.log():
                return
            if self.proc.poll() is not None:
                log = self.log().strip()
                self.stop()
                raise DeviceGone(f"the device server exited with status {self.proc.returncode} "
                                 f"before it was ready: {log or 'no output'}")
            time.sleep(0.005)
        self.stop()
        raise DeviceGone(f"the device server did not start within {timeout:.0f} s")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """Kills the server abruptly (what a crash looks like to the client)."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout: float = 2.0) -> int | None:
        """Waits for the server to exit (it does when its client disconnects),
        terminating it if it does not; returns its exit status."""
        if self.proc.poll() is None:
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.kill()
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        return self.proc.returncode

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":
    sys.exit(run_foreground(sys.argv[1:]))
