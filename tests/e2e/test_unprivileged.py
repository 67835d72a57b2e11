"""Without CAP_NET_ADMIN or without /dev/net/tun, asking for a tap: wire, a
netdev or a namespace fails at once with a typed error that says what to
do, before any server starts, and creates nothing. Each case runs a child
in that situation: as root without CAP_NET_ADMIN (setpriv drops it from the
bounding set), or in a private mount namespace whose /dev/net/tun is
hidden."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from pyroute2 import netns as pr_netns

from vionic import net

# Prints the exception's type and message for each request; the server
# processes a request would have started are counted by their sockets.
CHILD = """
import vionic
from vionic import net
for what, call in [
        ("open", lambda: vionic.open("model", wire="tap:vio-u0")),
        ("netdev", lambda: vionic.netdev(vionic.open("model"), "vio-u1")),
        ("netns", lambda: net.netns("vio-u").__enter__()),
]:
    try:
        call()
        print(what, "OK")
    except Exception as e:
        print(what, type(e).__name__, str(e).replace(chr(10), " "))
"""


def _run(prefix: list[str]) -> dict[str, str]:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    out = subprocess.run([*prefix, sys.executable, "-c", CHILD], capture_output=True,
                         text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    return dict(line.split(" ", 1) for line in out.stdout.splitlines())


def _nothing_created():
    assert not [n for n in net.Namespace(None).interfaces() if n.startswith("vio-u")]
    assert not [n for n in pr_netns.listnetns() if n.startswith("vio-u")]


@pytest.mark.skipif(not shutil.which("setpriv"), reason="needs setpriv(1) (util-linux)")
def test_without_net_admin_every_request_says_run_as_root():
    res = _run(["setpriv", "--bounding-set", "-net_admin", "--inh-caps", "-net_admin"])
    for what in ("open", "netdev"):
        assert res[what].startswith("InvalidArgument"), res
        assert "CAP_NET_ADMIN" in res[what] and "run as root" in res[what], res
    assert res["netns"].startswith("NetError") and "root" in res["netns"], res
    _nothing_created()


@pytest.mark.skipif(not shutil.which("unshare"), reason="needs unshare(1) (util-linux)")
def test_without_dev_net_tun_tap_requests_say_modprobe_tun():
    # a private mount namespace whose /dev/net is an empty tmpfs
    hide = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            'mount -t tmpfs none /dev/net && exec "$@"', "hide-tun"]
    res = _run(hide)
    for what in ("open", "netdev"):
        assert res[what].startswith("InvalidArgument"), res
        assert "/dev/net/tun" in res[what] and "modprobe tun" in res[what], res
    _nothing_created()
