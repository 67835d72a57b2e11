"""A tiny Linux test guest for QEMU: Debian's kernel (linux-image-amd64), its
virtio_net / virtio_pci modules and their dependencies, busybox-static,
iperf3 and ethtool with their libraries, in an initramfs built here and cached in
~/.cache/vionic/guest/<hash of what went in>, like the RTL build.

`Guest` boots it with its memory shared (memory-backend-memfd, share=on) and
a virtio-net-pci device on `-netdev vhost-user`, and talks to its shell on
the serial console: `run(cmd)` returns the output and the exit status.
KVM is used where it boots (probed once); otherwise TCG, and `accel` says
which ran.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

from .sysdeps import missing

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "vionic" / "guest"
# the NIC, and the qdisc, classifier and action that let a test put a flow on
# a transmit queue of its choosing (tc: multiq, u32, skbedit queue_mapping)
MODULES = ["virtio_net", "virtio_pci", "sch_multiq", "cls_u32", "act_skbedit"]
GUEST_TOOLS = ("iperf3", "ethtool", "tc")    # programs the guest gets, from this machine
GUEST_IP, HOST_IP = "10.77.0.2", "10.77.0.1"
READY = "VIONIC-GUEST-READY"

INIT = """#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules.order); do insmod /lib/modules/$m || echo "insmod $m failed"; done
for d in /sys/bus/virtio/devices/*; do
  [ -e $d/driver ] && echo "virtio $(basename $d) device $(cat $d/device) driver \
$(basename $(readlink $d/driver)) features $(cat $d/features)"
done
ip link set lo up
ip link set eth0 up && ip addr add {ip}/24 dev eth0
# from here on the console is the commands' output alone: kernel messages
# (the TSC's late calibration, a link coming up) would land inside it
dmesg -n 1
echo {ready}
exec setsid cttyhack sh
"""


def unavailable() -> str | None:
    """Why the test guest cannot run here, or None."""
    gone = missing(["qemu-system-x86_64", *GUEST_TOOLS])
    if gone:
        return f"needs QEMU, a kernel and the guest's tools (apt-get install " \
               f"{' '.join(gone.values())})"
    if not kernel():
        return "needs Debian's kernel (apt-get install linux-image-amd64)"
    if not Path("/bin/busybox").exists():
        return "needs busybox-static (apt-get install busybox-static)"
    return None


def kernel() -> Path | None:
    found = sorted(Path("/boot").glob("vmlinuz-*"))
    return found[-1] if found else None


def _module_order(release: str) -> list[str]:
    """MODULES and what they need, dependencies first (modules.dep paths)."""
    base = Path("/lib/modules") / release
    deps = {}
    for line in (base / "modules.dep").read_text().splitlines():
        mod, _, rest = line.partition(":")
        deps[Path(mod).stem] = (mod, rest.split())
    order: list[str] = []

    def visit(name: str) -> None:
        mod, needs = deps[name]
        for d in needs:
            visit(Path(d).stem)
        if mod not in order:
            order.append(mod)

    for m in MODULES:
        visit(m)
    return order


def _libs(binary: str) -> list[str]:
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    return sorted({p for p in re.findall(r"(/\S+)", out)})


def _cpio(entries: list[tuple[str, int, bytes]]) -> bytes:
    """A newc cpio archive of (path, mode, data); directories have no data."""
    out = bytearray()

    def add(name: str, mode: int, data: bytes, ino: int) -> None:
        nb = name.encode() + b"\0"
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(nb), 0]
        out.extend(b"070701" + b"".join(b"%08X" % f for f in fields) + nb)
        out.extend(b"\0" * (-len(out) % 4))
        out.extend(data)
        out.extend(b"\0" * (-len(out) % 4))

    for i, (name, mode, data) in enumerate(entries, 1):
        add(name, mode, data, i)
    add("TRAILER!!!", 0, b"", 0)
    return bytes(out)


def build() -> tuple[Path, Path]:
    """(kernel, initramfs), built once per set of inputs."""
    k = kernel()
    release = k.name.removeprefix("vmlinuz-")
    mods = _module_order(release)
    files = {"/bin/busybox": "bin/busybox"}
    for tool in GUEST_TOOLS:
        path = shutil.which(tool)
        files[path] = path.lstrip("/")   # where busybox's applets (its own tc) do not shadow it
        for lib in _libs(path):
            files[lib] = lib.lstrip("/")
    for m in mods:
        files[str(Path("/lib/modules") / release / m)] = "lib/modules/" + Path(m).name
    init = INIT.format(ip=GUEST_IP, ready=READY)
    h = hashlib.sha256(init.encode() + str(k.stat().st_mtime_ns).encode())
    for src, dst in sorted(files.items()):
        st = os.stat(src)
        h.update(f"{src}:{dst}:{st.st_size}:{st.st_mtime_ns}".encode())
    out = CACHE / h.hexdigest()[:16]
    initrd = out / "initrd.gz"
    if initrd.exists():
        return k, initrd
    dirs = {"bin", "dev", "proc", "sys", "tmp", "lib", "lib/modules", "lib64", "usr", "usr/lib",
            "root"}
    for dst in files.values():
        p = Path(dst).parent
        while str(p) != ".":
            dirs.add(str(p))
            p = p.parent
    entries = [(d, 0o40755, b"") for d in sorted(dirs)]
    for src, dst in sorted(files.items(), key=lambda kv: kv[1]):
        entries.append((dst, 0o100755, Path(src).read_bytes()))
    entries.append(("modules.order", 0o100644,
                    "\n".join(Path(m).name for m in mods).encode() + b"\n"))
    entries.append(("init", 0o100755, init.encode()))
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "initrd.gz.tmp"
    tmp.write_bytes(gzip.compress(_cpio(entries), 6))
    tmp.rename(initrd)
    return k, initrd


_kvm_works: bool | None = None


def kvm_boots() -> bool:
    """Whether a KVM guest gets as far as the kernel's first panic (no root
    fs) within 10 s (TCG takes 4 here); probed once."""
    global _kvm_works
    if _kvm_works is None:
        _kvm_works = False
        if os.access("/dev/kvm", os.R_OK | os.W_OK):
            try:
                r = subprocess.run(["qemu-system-x86_64", "-accel", "kvm", "-m", "256",
                                    "-nographic", "-no-reboot", "-kernel", str(kernel()),
                                    "-append", "console=ttyS0 panic=-1"],
                                   capture_output=True, text=True, timeout=10,
                                   stdin=subprocess.DEVNULL)
                _kvm_works = "Kernel panic" in r.stdout
            except subprocess.TimeoutExpired:
                pass
    return _kvm_works


class Guest:
    """A QEMU guest with a virtio-net-pci NIC on vhost-user socket `sock`.
    mtu: the MTU the NIC offers (VIRTIO_NET_F_MTU; QEMU serves the virtio-net
    config space, so pass the device's), or None for none offered. queues:
    queue pairs the NIC offers (VIRTIO_NET_F_MQ; at most the device's)."""

    def __init__(self, sock: str, mac: str, *, mem_mb: int = 512, boot_timeout: float = 40,
                 mtu: int | None = None, queues: int = 1):
        k, initrd = build()
        self.accel = "kvm" if kvm_boots() else "tcg"
        # QEMU 7.2 under TCG crashes starting vhost with MSI-X (no irqfd:
        # msix_set_vector_notifiers, seen here); without MSI-X the guest
        # takes INTx and QEMU relays the call eventfds itself
        vectors = f",vectors={2 * queues + 2}" if self.accel == "kvm" else ",vectors=0"
        host_mtu = f",host_mtu={mtu}" if mtu else ""
        mq = ",mq=on" if queues > 1 else ""
        self.argv = [
            "qemu-system-x86_64", "-accel", self.accel, "-m", str(mem_mb), "-smp", "1",
            "-nographic", "-nodefaults", "-serial", "stdio", "-kernel", str(k),
            "-initrd", str(initrd), "-append", "console=ttyS0 panic=-1",
            "-object", f"memory-backend-memfd,id=mem,size={mem_mb}M,share=on",
            "-numa", "node,memdev=mem",
            "-chardev", f"socket,id=vu,path={sock}",
            "-netdev", f"vhost-user,id=n0,chardev=vu,queues={queues}",
            "-device",
            f"virtio-net-pci,netdev=n0,mac={mac},disable-legacy=on{vectors}{host_mtu}{mq}"]
        if self.accel == "kvm":
            self.argv += ["-cpu", "host"]
        self.p = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        self.log = bytearray()
        self.cond = threading.Condition()
        self.seq = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.boot_text = self.wait_for(READY, boot_timeout)

    def _read(self) -> None:
        while chunk := self.p.stdout.read1(4096):
            with self.cond:
                self.log += chunk
                self.cond.notify_all()

    def wait_for(self, marker: str, timeout: float, start: int = 0) -> str:
        """Console output from `start` up to `marker`."""
        deadline = time.monotonic() + timeout
        m = marker.encode()
        with self.cond:
            while (i := self.log.find(m, start)) < 0:
                left = deadline - time.monotonic()
                if left <= 0 or self.p.poll() is not None:
                    tail = self.log[-3000:].decode(errors="replace")
                    raise AssertionError(f"guest ({self.accel}): no {marker!r} in "
                                         f"{timeout:.0f} s; console:\n{tail}")
                self.cond.wait(min(left, 0.5))
            return self.log[start:i].decode(errors="replace")

    def run(self, cmd: str, timeout: float = 120) -> tuple[int, str]:
        """Runs cmd in the guest's shell; (exit status, output)."""
        self.seq += 1
        tag = f"__VIO{self.seq}__"
        with self.cond:
            start = len(self.log)
        # a start line only the command's output has (the echoed command line
        # has "S;" there), then the status
        self.p.stdin.write(f"echo {tag}S; {cmd}; echo {tag}$?{tag}\n".encode())
        self.p.stdin.flush()
        deadline = time.monotonic() + timeout
        pat = re.compile(re.escape(tag.encode()) + rb"(\d+)" + re.escape(tag.encode()))
        with self.cond:
            while not (m := pat.search(self.log, start)):
                left = deadline - time.monotonic()
                if left <= 0 or self.p.poll() is not None:
                    raise AssertionError(f"guest: {cmd!r} did not finish in {timeout:.0f} s:\n"
                                         f"{self.log[start:].decode(errors='replace')[-3000:]}")
                self.cond.wait(min(left, 0.5))
            text = self.log[start:m.start()].decode(errors="replace")
        text = re.split(re.escape(tag) + r"S\r?\n", text, maxsplit=1)[-1]
        return int(m[1]), text

    def reboot(self, timeout: float = 180) -> str:
        """`reboot -f`: the kernel resets the machine, QEMU restarts it, and
        the guest boots again; returns the new boot's console."""
        with self.cond:
            start = len(self.log)
        self.p.stdin.write(b"reboot -f\n")
        self.p.stdin.flush()
        return self.wait_for(READY, timeout, start)

    def close(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
