"""The tap: wire and the netdev exception path, one NIC at a time: frames
between a Linux namespace and the NIC, padding, oversize drops, the link
following the namespace, captures, and bad input."""

from __future__ import annotations

import pytest
from pyroute2 import netns as pyroute_netns

import vionic
from e2eutil import config_generation, need, open_fds, pcap_frames, wait_until
from vionic import net, regs
from vionic import topology as topo

NS, TAP = "vio-h", "vio-h0"


def test_tap_name_too_long_is_refused_before_any_process(core):
    with pytest.raises(vionic.InvalidArgument, match="1 to 15"):
        vionic.open(core, wire="tap:vio-a-name-too-long")


def test_missing_namespace_is_refused_before_any_process(core):
    with pytest.raises(vionic.InvalidArgument, match="does not exist"):
        vionic.open(core, wire=f"tap:{TAP}@vio-nowhere")
    assert f"{net.PREFIX}nowhere" not in net.Namespace(None).interfaces()


def test_netdev_bad_arguments_leave_nothing_behind():
    with vionic.open("model") as dev:
        with pytest.raises(vionic.InvalidArgument, match="does not exist"):
            vionic.netdev(dev, "vio-x0", netns="vio-nowhere")
        with pytest.raises(vionic.InvalidArgument, match="1 to 15"):
            vionic.netdev(dev, "vio-0123456789abc")
        dev.send([bytes(60)])          # the data path is still the caller's
        assert "vio-x0" not in net.Namespace(None).interfaces()


def test_ping_a_python_host_app_through_the_tap_wire(core, tmp_path):
    """ns vio-h pings a Python application on the NIC's host side (ARP and
    ICMP answered with scapy); the capture holds every frame both ways."""
    need("ping", "tcpdump")
    cap = str(tmp_path / "wire.pcap")
    with topo.tap_host(core, pcap=cap) as t, topo.Responder(t.nics["n"], t.ip["n"]) as app:
        res = topo.ping(t.ns["h"], t.ip["n"], count=100, interval=0.005)
        st = t.nics["n"].stats()["device"]
    print(f"{core}: ping through tap: {res}")
    assert res["received"] == 100, res
    assert app.answered["icmp"] == 100 and app.answered["arp"] >= 1
    assert res["min_ms"] <= res["avg_ms"] <= res["max_ms"]
    frames = pcap_frames(cap)
    assert len(frames) == st["rx"]["packets"] + st["tx"]["packets"]
    assert sum("ICMP echo request" in f for f in frames) == 100
    assert sum("ICMP echo reply" in f for f in frames) == 100


def test_short_frames_are_padded_and_oversize_dropped(core):
    """Linux sends a 42-byte ARP request: the NIC receives 60 bytes, the
    ARP first. With the TAP's MTU raised past the device's, a big frame is
    dropped and counted, never truncated."""
    need("ping")
    with topo.tap_host(core) as t:
        nic, h = t.nics["n"], t.ns["h"]
        h.run(["ping", "-c", "1", "-W", "1", t.ip["n"]], check=False)   # ARP, unanswered
        frames = [f for f in nic.recv(16, timeout=5) if f[12:14] == b"\x08\x06"]
        assert frames and all(len(f) == 60 for f in frames), [len(f) for f in frames]
        assert frames[0][42:] == bytes(18)
        drops = nic.stats()["device"]["rx"]["drops"]
        h.set_mtu(TAP, 3000)
        h.neigh(TAP, t.ip["n"], nic.info()["mac"])
        h.run(["ping", "-c", "1", "-W", "1", "-s", "2000", "-M", "dont", t.ip["n"]],
              check=False)
        assert wait_until(lambda: nic.stats()["device"]["rx"]["drops"] > drops)
        assert all(len(f) <= nic.info()["mtu"] + 14 for f in nic.recv(64, timeout=0.2))


def test_link_follows_the_namespace(core):
    """The namespace of the TAP disappears: the server keeps running, the
    device shows link down (status bit, config generation, config interrupt
    in ISR); the namespace comes back: link up again, frames flow."""
    need("ping")
    with net.netns(NS) as h, vionic.open(core, wire=f"tap:{TAP}@{NS}") as nic:
        assert nic.info()["link_up"]
        gen = config_generation(nic)
        nic.read_reg(regs.VIONIC_ISR, 1)                    # clear
        pyroute_netns.remove(NS)
        assert wait_until(lambda: not nic.info()["link_up"]), "link still up"
        assert config_generation(nic) != gen
        assert nic.read_reg(regs.VIONIC_ISR, 1) & regs.VIRTIO_ISR_CONFIG
        assert nic.server.alive()
        pyroute_netns.create(NS)
        assert wait_until(lambda: nic.info()["link_up"]), "link did not come back"
        h.addr(TAP, "10.77.0.1/24")
        h.run(["ping", "-c", "1", "-W", "1", "10.77.0.2"], check=False)
        assert wait_until(lambda: nic.stats()["device"]["rx"]["packets"] > 0)


def test_netdev_moves_frames_both_ways_and_owns_the_data_path():
    """A model NIC on loopback exposed as vio-n0: what Linux sends on vio-n0
    comes back on vio-n0 (loopback wire); the device's own send/recv are
    refused while the netdev runs; nothing leaks."""
    fds = open_fds()
    with net.netns("vio-n") as n, vionic.open("model", wire="loopback") as dev:
        total = dev.info()["nb_mbufs"]
        with vionic.netdev(dev, "vio-n0", netns="vio-n") as nd:
            assert n.link("vio-n0")["mtu"] == dev.info()["mtu"]
            with pytest.raises(vionic.StateError, match="vio-n0"):
                dev.send([bytes(60)])
            with pytest.raises(vionic.StateError, match="vio-n0"):
                dev.reset()
            n.addr("vio-n0", "10.77.0.1/24")
            n.neigh("vio-n0", "10.77.0.9", "02:00:00:00:00:09")
            n.run(["python3", "-c", "import socket; s=socket.socket(socket.AF_INET, "
                   "socket.SOCK_DGRAM); [s.sendto(b'x'*100, ('10.77.0.9', 9)) "
                   "for _ in range(50)]"])
            assert wait_until(lambda: nd.stats()["to_tap"] >= 50), nd.stats()
            st = nd.stats()
            assert st["to_nic"] >= 50 and st["tap_oversize"] == 0
            assert dev.stats()["device"]["tx"]["packets"] == st["to_nic"]
        assert "vio-n0" not in n.interfaces()
        assert dev.mempool_avail() + dev.mempool_on_rings() == total
        dev.send([bytes(60)])                                  # the data path is back
    assert open_fds() == fds
