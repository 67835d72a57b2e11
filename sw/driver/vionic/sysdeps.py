"""The Debian packages of the Linux tools vionic's network tests, demo and
benchmarks run (ping, iperf3, tcpdump): `python -m vionic.sysdeps` installs
the missing ones with apt-get where it can (root, apt-get present) and says
why it did not otherwise. `make test`, `make demo` and `make bench` call it;
a test whose tool is still missing skips with the reason `missing()` gives.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

PACKAGES = {"ping": "iputils-ping", "iperf3": "iperf3", "tcpdump": "tcpdump"}


def missing(tools=PACKAGES) -> dict[str, str]:
    """Tools not on PATH, with the Debian package that has each."""
    return {t: PACKAGES[t] for t in tools if shutil.which(t) is None}


def install(tools=PACKAGES) -> str:
    """Installs what is missing; returns what happened, in one line."""
    need = missing(tools)
    if not need:
        return "system tools: all present (" + ", ".join(tools) + ")"
    pkgs = sorted(set(need.values()))
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return (f"system tools missing: {', '.join(need)}; install {' '.join(pkgs)} "
                "(needs root and apt-get); the tests that need them skip")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *pkgs]):
        r = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True)
        if r.returncode:
            return (f"system tools missing: {' '.join(cmd)} failed ({r.stderr.strip()[-200:]}); "
                    "the tests that need them skip")
    still = missing(tools)
    return f"system tools: installed {' '.join(pkgs)}" + (
        f"; still missing {', '.join(still)}" if still else "")


if __name__ == "__main__":
    print(install(sys.argv[1:] or PACKAGES))
