"""vionic.net on its own (no NIC): namespaces, veths, TAPs, addresses,
routes, link up/down and MTU as context managers, with ping across them,
and nothing left behind when the body raises. The CLI commands that expose
NICs and topologies run here as real processes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest
from pyroute2 import netns as pr_netns

from e2eutil import need, wait_until
from vionic import net
from vionic.errors import InvalidArgument


def _ping(ns: net.Namespace, ip: str) -> bool:
    return ns.run(["ping", "-n", "-q", "-c", "1", "-W", "1", ip], check=False).returncode == 0


def test_veth_addresses_routes_up_down_and_mtu():
    need("ping")
    with net.netns("vio-x") as x, net.netns("vio-y") as y, \
            net.veth("vio-x0", "vio-y0", ns_a=x.name, ns_b=y.name):
        x.addr("vio-x0", "10.77.1.1/24")
        y.addr("vio-y0", "10.77.1.2/24")
        # a route to another subnet through the peer: the peer owns that address
        y.addr("lo", "10.77.2.2/32")
        x.route("10.77.2.0/24", "10.77.1.2")
        assert _ping(x, "10.77.1.2") and _ping(x, "10.77.2.2")
        y.down("vio-y0")
        assert y.link("vio-y0")["operstate"] == "DOWN"
        assert not _ping(x, "10.77.1.2")
        y.up("vio-y0")
        assert wait_until(lambda: _ping(x, "10.77.1.2")), "no ping after the link came back"
        x.set_mtu("vio-x0", 1400)
        assert x.link("vio-x0")["mtu"] == 1400
        assert set(x.interfaces()) >= {"lo", "vio-x0"} and "vio-y0" not in x.interfaces()
    assert not {"vio-x", "vio-y"} & set(pr_netns.listnetns())


def test_a_raising_body_leaves_nothing_behind():
    with pytest.raises(RuntimeError, match="boom"):
        with net.netns("vio-x") as x, net.tap("vio-t0", ns=x.name, mtu=3000), \
                net.veth("vio-v0", "vio-v1"):
            assert x.link("vio-t0")["mtu"] == 3000
            assert "vio-v0" in net.Namespace(None).interfaces()
            raise RuntimeError("boom")
    assert "vio-x" not in pr_netns.listnetns()
    assert not {"vio-v0", "vio-v1"} & set(net.Namespace(None).interfaces())


def test_bad_names_are_refused_before_anything_is_made():
    with pytest.raises(InvalidArgument, match="start with 'vio-'"):
        with net.netns("not-ours"):
            pass
    assert "not-ours" not in pr_netns.listnetns()


def _cli(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "vionic", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def test_cli_netdev_exposes_a_nic_until_interrupted():
    with net.netns("vio-c") as c:
        p = _cli("netdev", "model", "vio-c0", "--netns", c.name, "--wire", "loopback")
        # the CLI says when the interface is there
        assert "exposed as vio-c0 in namespace vio-c" in p.stderr.readline()
        assert c.link("vio-c0")["mtu"] == 1500
        c.neigh("vio-c0", "10.77.3.9", "02:00:00:00:00:09")
        c.addr("vio-c0", "10.77.3.1/24")
        # loopback wire: what the interface sends comes back to it
        c.run(["ping", "-n", "-q", "-c", "3", "-W", "1", "10.77.3.9"], check=False)
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=30)
        stats = json.loads(out.strip().splitlines()[-1])
        assert p.returncode == 0
        assert stats["to_nic"] >= 3 and stats["to_tap"] >= 3, stats
        assert "vio-c0" not in c.interfaces()


def test_cli_topo_prints_the_figures():
    need("ping")
    p = _cli("topo", "pair", "--a", "model", "--b", "model", "--count", "10",
             "--seconds", "1", "--json")
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    res = json.loads(out)
    assert res["cores"] == "model-model" and res["ping"]["received"] == 10, res
    if "tcp" in res:
        assert res["tcp"]["bytes"] > 0 and res["tcp"]["gbps"] > 0
