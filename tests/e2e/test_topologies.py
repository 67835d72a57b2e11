"""Linux TCP/IP through the NICs: two NICs on a cable, each exposed in its
own namespace, for every pair of cores; one NIC with a tap: wire into a
namespace, exposed in another. ping (100), iperf3 TCP and UDP on each, and
a device reset in the middle of a TCP run. The figures are printed."""

from __future__ import annotations

import json
import threading

import pytest

from e2eutil import need, open_fds, pcap_frames, wait_until
from vionic import topology as topo

pytestmark = pytest.mark.slow

PAIRS = [("model", "model"), ("rtl", "model"), ("rtl", "rtl")]


def _traffic(t, client: str, server: str, label: str) -> None:
    res = topo.ping(t.ns[client], t.ip[server], count=100)
    print(f"{label}: ping {res}")
    assert res["received"] == 100, res
    assert 0 < res["min_ms"] <= res["avg_ms"] <= res["max_ms"]
    tcp = topo.iperf3(t.ns[client], t.ns[server], t.ip[server], seconds=2)
    udp = topo.iperf3(t.ns[client], t.ns[server], t.ip[server], seconds=2, udp_gbps=0.05)
    print(f"{label}: iperf3 {json.dumps(tcp)} {json.dumps(udp)}")
    assert tcp["bytes"] > 1_000_000 and tcp["gbps"] > 0
    assert udp["packets"] > 1000 and udp["lost_percent"] < 50


@pytest.mark.parametrize("core_a,core_b", PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_pair_ping_iperf3(core_a, core_b):
    need("ping", "iperf3")
    with topo.pair(core_a, core_b) as t:
        _traffic(t, "a", "b", f"{core_a}-{core_b}")
        for side in "ab":
            t.netdevs[side].close()      # counters final once the threads are stopped
        a, b = t.netdevs["a"].stats(), t.netdevs["b"].stats()
        # each NIC sent what its TAP gave it; received frames all went to the TAP
        assert t.nics["a"].stats()["device"]["tx"]["packets"] == a["to_nic"]
        assert t.nics["b"].stats()["device"]["tx"]["packets"] == b["to_nic"]
        assert b["to_tap"] + b["tap_write_drops"] == t.nics["b"].stats()["rx_packets"]
        assert a["to_tap"] + a["tap_write_drops"] == t.nics["a"].stats()["rx_packets"]


@pytest.mark.parametrize("core_a,core_b", PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_pair_capture_reads_back_every_frame(core_a, core_b, tmp_path):
    """pcap= on NIC a's cable: tcpdump -r reads every frame it carried, both
    ways, and each ping's request and reply."""
    need("ping", "tcpdump")
    cap = str(tmp_path / "cable.pcap")
    with topo.pair(core_a, core_b, pcap=cap) as t:
        res = topo.ping(t.ns["a"], t.ip["b"], count=20)
        for side in "ab":
            t.netdevs[side].close()
        st = t.nics["a"].stats()["device"]
    assert res["received"] == 20, res
    frames = pcap_frames(cap)
    assert len(frames) == st["tx"]["packets"] + st["rx"]["packets"] + st["rx"]["drops"]
    assert sum("ICMP echo request" in f for f in frames) == 20
    assert sum("ICMP echo reply" in f for f in frames) == 20


def test_tap_host_ping_iperf3(core):
    need("ping", "iperf3")
    with topo.tap_host(core, exposed=True) as t:
        _traffic(t, "h", "n", f"tap-{core}")


def test_reset_in_the_middle_of_tcp():
    """NIC b is reset while iperf3 runs: TCP recovers and completes, the
    device counters restart, every mbuf and fd is back afterwards."""
    need("iperf3")
    fds = open_fds()
    with topo.pair("model", "model") as t:
        done = {}
        run = threading.Thread(target=lambda: done.update(
            topo.iperf3(t.ns["a"], t.ns["b"], t.ip["b"], seconds=4)))
        run.start()
        nic_b, nd_b = t.nics["b"], t.netdevs["b"]
        assert wait_until(lambda: nd_b.stats()["to_tap"] > 2000), "no TCP traffic"
        before = nic_b.stats()["device"]["rx"]["packets"]
        nd_b.reset()
        after = nic_b.stats()["device"]["rx"]["packets"]
        run.join()
        assert nd_b.stats()["resets"] == 1
        assert after < before, (before, after)        # counters restarted
        assert done["bytes"] > 1_000_000, done
        print(f"TCP across a reset: {done}")
        for side in "ab":
            t.netdevs[side].close()
            nic = t.nics[side]
            assert nic.mempool_avail() + nic.mempool_on_rings() == nic.info()["nb_mbufs"]
    assert open_fds() == fds
