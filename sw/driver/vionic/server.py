"""Device-server processes: a device core behind a vfio-user socket.

`vionic.open("model")` / `vionic.open("rtl")` start one with `ServerProcess`;
`vionic model` / `vionic rtl` run one in the foreground. The model's server is
the C runtime of sim/server with the model registered as its core
(vionic_model_server_main), compiled into this package's extension
(`python -m vionic.server ARGS` runs it with the arguments of the stand-alone
build/bin/vionic-server); the RTL's is the same runtime linked with the
Verilated hw/rtl, built on demand by vionic.rtl. A server started here tells
it is listening by a line on the pipe given with --ready-fd; the server
checks its own arguments (exit status 2, raised as InvalidArgument).
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from .errors import DeviceGone, InvalidArgument, VionicError

EXIT_BAD_ARGUMENTS = 2       # the server's exit status for a bad command line


def check_wire(wire: str) -> str:
    """Checks a wire spec with the server's own rules (C,
    vionic_server_check_wire) before a server is started, so a typo is a
    clear exception here rather than a server that exits."""
    from ._vionic import ffi, lib

    if not isinstance(wire, str):
        raise InvalidArgument(f"wire={wire!r}: give a wire spec such as 'loopback'")
    err = ffi.new("char[]", 256)
    if lib.vionic_server_check_wire(wire.encode(), err, len(err)) < 0:
        raise InvalidArgument(ffi.string(err).decode(errors="replace"))
    return wire


def run_foreground(argv: list[str]) -> int:
    """Runs the model's device server in this process until its client
    leaves (or a signal), returning its exit status."""
    from ._vionic import ffi, lib

    args = [ffi.new("char[]", a.encode()) for a in ["vionic-server", *argv]]
    argv_c = ffi.new("char *[]", args + [ffi.NULL])
    return lib.vionic_model_server_main(len(args), argv_c)


class ServerProcess:
    """A device server in a child process, on a socket in a private temporary
    folder. Stops the child (and removes the folder) on `stop()`."""

    def __init__(self, core: str = "model", wire: str = "loopback", cpu: int | None = None,
                 persist: bool = False, start_timeout: float = 10.0, trace: str | None = None,
                 dma_latency: int | None = None, quiet_build: bool = False,
                 mtu: int | None = None, pcap: str | None = None,
                 queue_pairs: int | None = None, binary: Path | None = None):
        check_wire(wire)
        if binary is not None and core != "rtl":
            raise InvalidArgument("binary= applies to the 'rtl' backend only")
        if core == "model":
            if trace is not None or dma_latency is not None:
                raise InvalidArgument("trace= and dma_latency= apply to the 'rtl' backend only")
            # runpy warns that the package imported vionic.server first: harmless,
            # and it would open the message of a server refusing its arguments
            cmd = [sys.executable, "-W", "ignore::RuntimeWarning:runpy", "-m", "vionic.server"]
        elif core == "rtl":
            from . import rtl

            # a build per count: the core has NUM_QUEUE_PAIRS fixed
            # binary: a build of vionic.rtl's own, in its profiling run
            cmd = [str(binary or rtl.server_binary(trace=trace is not None, quiet=quiet_build,
                                                   queue_pairs=1 if queue_pairs is None
                                                   else queue_pairs))]
            if trace is not None:
                cmd += ["--trace", os.path.abspath(trace)]
            if dma_latency is not None:           # the server checks the range
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
        if mtu is not None:                       # the server checks the range
            cmd += ["--mtu", str(mtu)]
        if pcap is not None:
            cmd += ["--pcap", os.path.abspath(pcap)]
        if queue_pairs is not None:               # the server checks the range
            cmd += ["--queue-pairs", str(queue_pairs)]
        self.wire = wire
        ready_r, ready_w = os.pipe()
        cmd += ["--ready-fd", str(ready_w)]
        try:
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=log, start_new_session=True,
                                             pass_fds=(ready_w,))
        finally:
            os.close(ready_w)
        self._wait_ready(ready_r, start_timeout)

    @property
    def uri(self) -> str:
        return f"sim:{self.socket_path}"

    def log(self) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def _wait_ready(self, ready_fd: int, timeout: float) -> None:
        """Waits for the line the server writes to its --ready-fd once it
        listens; end of file instead means it exited first."""
        with os.fdopen(ready_fd, "rb", buffering=0) as pipe:
            readable, _, _ = select.select([pipe], [], [], timeout)
            line = pipe.read(64) if readable else None
        if line:
            return
        if line is None:
            self.stop()
            raise DeviceGone(f"the device server did not start within {timeout:.0f} s")
        raise self._exit_error()

    def _exit_error(self) -> VionicError:
        """The exception for a server that exited before it was ready: bad
        arguments (exit status 2) with the server's own message, else the
        status and its log."""
        try:
            status = self.proc.wait(5.0)
        except subprocess.TimeoutExpired:
            status = None
        log = self.log().strip()
        self.stop()
        if status == EXIT_BAD_ARGUMENTS:
            return InvalidArgument(log.partition("usage:")[0].strip() or log)
        return DeviceGone(f"the device server exited with status {status} before it was "
                          f"ready: {log or 'no output'}")

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
