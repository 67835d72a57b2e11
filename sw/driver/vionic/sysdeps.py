"""The Debian packages of the Linux tools vionic's network tests, demo and
benchmarks run (ping, iperf3, tcpdump, DPDK's testpmd, QEMU with a kernel and
busybox for a test guest): `python -m vionic.sysdeps` installs
the missing ones with apt-get where it can (root, apt-get present) and says
why it did not otherwise. `make test`, `make demo` and `make bench` call it;
a test whose tool is still missing skips with the reason `missing()` gives.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

# tool -> the Debian packages it needs (testpmd loads its drivers as plugins)
PACKAGES = {"ping": "iputils-ping", "iperf3": "iperf3", "tcpdump": "tcpdump", "ethtool": "ethtool",
            "tc": "iproute2",
            "dpdk-testpmd": "dpdk-dev librte-net-virtio23 librte-net-vhost23 librte-net-tap23 "
                            "librte-net-pcap23 librte-mempool-ring23",
            # the vDPA guest tests: QEMU, the kernel whose modules the guest
            # loads, and the guest's shell
            "qemu-system-x86_64": "qemu-system-x86 linux-image-amd64 busybox-static"}
HUGEPAGES = 256                      # 2 MiB pages DPDK's tests reserve (512 MiB)
HUGETLBFS = "/dev/hugepages"


def missing(tools=PACKAGES) -> dict[str, str]:
    """Tools not on PATH, with the Debian package that has each."""
    return {t: PACKAGES[t] for t in tools if shutil.which(t) is None}


def install(tools=PACKAGES) -> str:
    """Installs what is missing; returns what happened, in one line."""
    need = missing(tools)
    if not need:
        return "system tools: all present (" + ", ".join(tools) + ")"
    pkgs = sorted({p for v in need.values() for p in v.split()})
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return (f"system tools missing: {', '.join(need)}; install {' '.join(pkgs)} "
                "(needs root and apt-get); the tests that need them skip")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *pkgs]):
        r = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True)
        if r.returncode:
            return (f"system tools missing: {' '.join(cmd)} failed ({r.stderr.strip()[-200:]}); "
                    "the tests that need them skip")
    still = missing(tools)
    return f"system tools: installed {' '.join(pkgs)}" + (
        f"; still missing {', '.join(still)}" if still else "")


def hugepages(count: int = HUGEPAGES) -> str | None:
    """Makes `count` 2 MiB huge pages available in a hugetlbfs at HUGETLBFS
    (reserving and mounting as root); None when done, else why not."""
    nr = "/proc/sys/vm/nr_hugepages"
    try:
        with open(nr) as f:
            have = int(f.read())
        if have < count:
            if os.geteuid() != 0:
                return f"{have} huge pages reserved, {count} needed (needs root)"
            with open(nr, "w") as f:
                f.write(str(count))
            with open(nr) as f:
                have = int(f.read())
            if have < count:
                return f"the kernel reserved {have} of {count} huge pages (memory fragmented?)"
    except OSError as e:
        return f"no huge pages: {e}"
    with open("/proc/mounts") as f:
        if any(line.split()[1] == HUGETLBFS and line.split()[2] == "hugetlbfs" for line in f):
            return None
    if os.geteuid() != 0:
        return f"no hugetlbfs at {HUGETLBFS} (needs root to mount)"
    os.makedirs(HUGETLBFS, exist_ok=True)
    r = subprocess.run(["mount", "-t", "hugetlbfs", "nodev", HUGETLBFS], capture_output=True,
                       text=True)
    return None if r.returncode == 0 else f"mounting hugetlbfs: {r.stderr.strip()}"


if __name__ == "__main__":
    print(install(sys.argv[1:] or PACKAGES))
