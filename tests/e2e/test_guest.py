"""Linux's own virtio_net, in a QEMU guest, drives the vionic device through
`vionic vdpa` (vhost-user), on the model and on the RTL. The device's wire
is a TAP in a host namespace: ping and iperf3 TCP both ways between the
guest and the namespace, with a guest reboot (a device reset from the guest)
in between."""

from __future__ import annotations

import re
import shutil

import pytest
from testpmd import need_guest

import vionic
from e2eutil import need, need_receive_steering
from vionic import net, regs
from vionic.guest import HOST_IP, Guest
from vionic.vdpa import BackendThread

pytestmark = pytest.mark.slow


def _ping(g: Guest, count: int) -> tuple[int, float]:
    status, out = g.run(f"ping -c {count} -i 0.05 -W 5 {HOST_IP}", 300)
    m = re.search(r"(\d+) packets transmitted, (\d+) packets received", out)
    assert m, out
    rtt = re.search(r"min/avg/max = [\d.]+/([\d.]+)/", out)
    return int(m[2]), float(rtt[1]) if rtt else float("nan")


def _iperf(g: Guest, reverse: bool) -> float:
    status, out = g.run(f"iperf3 -c {HOST_IP} -t 3 -f m {'-R' if reverse else ''}", 120)
    assert status == 0, out
    m = re.findall(r"([\d.]+) Mbits/sec\s+(?:\d+\s+)?receiver", out)
    assert m, out
    return float(m[-1])


def test_guest_virtio_net_through_the_device(core, tmp_path):
    need_guest()
    need("iperf3")
    sock = str(tmp_path / "vu.sock")
    with net.netns("vio-h") as ns, \
            vionic.open(core, wire="tap:vio-g0@vio-h", start=False) as dev, \
            BackendThread(dev, sock) as be:
        mac = be.call(dev.info)["mac"]
        ns.addr("vio-g0", f"{HOST_IP}/24")
        server = ns.popen(["iperf3", "-s"])
        try:
            with Guest(sock, mac) as g:
                print(f"guest accelerator: {g.accel}")
                bound = re.search(r"virtio \S+ device 0x0001 driver virtio_net features (\d+)",
                                  g.boot_text)
                assert bound, f"virtio_net did not bind:\n{g.boot_text[-2000:]}"
                bits = {i for i, c in enumerate(bound[1]) if c == "1"}
                print("guest negotiated:", " ".join(regs.feature_name(b) for b in sorted(bits)))
                assert regs.VIRTIO_F_VERSION_1 in bits
                # the offloads Linux uses: it completes no TCP/UDP checksum
                # itself and trusts the device's verdict on received ones
                assert {regs.VIRTIO_NET_F_CSUM, regs.VIRTIO_NET_F_GUEST_CSUM} <= bits
                assert regs.VIRTIO_NET_F_MRG_RXBUF in bits
                _, k = g.run("ethtool -k eth0")
                assert re.search(r"^rx-checksumming: on", k, re.M), k
                assert re.search(r"^tx-checksumming: on", k, re.M), k
                assert _started_once(be)
                assert g.run("cat /sys/class/net/eth0/address")[1].strip() == mac
                for boot in range(2):
                    count = 100
                    got, rtt = _ping(g, count)
                    assert got == count, f"boot {boot}: {got} of {count} pings answered"
                    up = _iperf(g, reverse=False)
                    down = _iperf(g, reverse=True)
                    print(f"boot {boot} ({core}, {g.accel}): ping avg {rtt} ms, TCP guest->host "
                          f"{up} Mb/s, host->guest {down} Mb/s")
                    assert up > 0 and down > 0
                    if boot == 0:
                        g.reboot()
                assert sum(m.startswith("device started") for m in be.lines) >= 2
                st = be.stats()["device"]
                assert st["rx"]["packets"] > 0 and st["tx"]["packets"] > 0
                for stage in (regs.VIONIC_STAGE_TX_CSUM, regs.VIONIC_STAGE_RX_CSUM):
                    good = be.call(dev.read_reg,
                                   regs.stage_reg(stage, regs.VIONIC_STAGE_CSUM_GOOD))
                    bad = be.call(dev.read_reg,
                                  regs.stage_reg(stage, regs.VIONIC_STAGE_CSUM_BAD))
                    print(f"offload stage {stage}: {good} good, {bad} bad")
                    # TCP both ways since the last reboot, every segment offloaded
                    assert good > 1000 and bad == 0
                assert be.stats()["error"]["code"] == 0
        finally:
            net.stop(server)


def test_guest_jumbo_frames_over_merged_buffers(core, tmp_path):
    """MTU 9000 offered through VIRTIO_NET_F_MTU: the guest's eth0 takes it,
    receives jumbo frames in mergeable buffers (MRG_RXBUF), and unfragmented
    9000-byte IP packets and TCP go both ways."""
    need_guest()
    need("iperf3")
    sock = str(tmp_path / "vu.sock")
    with net.netns("vio-h") as ns, \
            vionic.open(core, wire="tap:vio-g0@vio-h", start=False, mtu=9000) as dev, \
            BackendThread(dev, sock) as be:
        info = be.call(dev.info)
        assert info["mtu"] == 9000
        ns.addr("vio-g0", f"{HOST_IP}/24")
        server = ns.popen(["iperf3", "-s"])
        try:
            with Guest(sock, info["mac"], mtu=info["mtu"]) as g:
                assert g.run("cat /sys/class/net/eth0/mtu")[1].strip() == "9000"
                # 8972 bytes of ICMP + 28 of headers: 9000-byte IP packets, not
                # fragmented: the frames each way average far above 1514 bytes
                before = be.stats()["device"]
                status, out = g.run(f"ping -c 20 -i 0.05 -W 5 -s 8972 {HOST_IP}", 300)
                m = re.search(r"(\d+) packets transmitted, (\d+) packets received", out)
                assert m and m[2] == "20", out
                after = be.stats()["device"]
                for d in ("rx", "tx"):
                    frames = after[d]["packets"] - before[d]["packets"]
                    nbytes = after[d]["bytes"] - before[d]["bytes"]
                    assert frames >= 20 and nbytes >= 20 * 9014 and nbytes / frames > 4000, \
                        f"{d}: {frames} frames, {nbytes} bytes"
                up, down = _iperf(g, reverse=False), _iperf(g, reverse=True)
                print(f"jumbo ({core}, {g.accel}): TCP guest->host {up} Mb/s, "
                      f"host->guest {down} Mb/s")
                assert up > 0 and down > 0
                assert "MRG_RXBUF" in next(m for m in be.lines if m.startswith("device started"))
                assert be.stats()["error"]["code"] == 0
        finally:
            net.stop(server)


def test_guest_uses_two_queue_pairs(core, tmp_path):
    """A device with four queue pairs and QEMU offering two: the guest takes
    both (`ethtool -L combined 2`; QEMU answers its control queue and
    enables the rings, the backend tells the device). Two TCP streams into
    the guest, whose acknowledgements the guest sends on transmit queue 0 and
    1 (tc multiq + skbedit, by port: Linux would otherwise pick by a random
    per-socket hash), arrive on receive queue 0 and 1: automatic steering
    answers a flow on the pair it was sent from."""
    need_guest()
    need("iperf3")
    sock = str(tmp_path / "vu.sock")
    ports = (5201, 5202)                # port i: queue pair i
    with net.netns("vio-h") as ns, \
            vionic.open(core, wire="tap:vio-g0@vio-h", start=False, queue_pairs=4) as dev, \
            BackendThread(dev, sock) as be:
        info = be.call(dev.info)
        need_receive_steering(info)
        mac = info["mac"]
        ns.addr("vio-g0", f"{HOST_IP}/24")
        servers = [ns.popen(["iperf3", "-s", "-p", str(p)]) for p in ports]
        try:
            with Guest(sock, mac, queues=2) as g:
                bound = re.search(r"virtio \S+ device 0x0001 driver virtio_net features (\d+)",
                                  g.boot_text)
                assert bound and bound[1][regs.VIRTIO_NET_F_MQ] == "1", g.boot_text[-2000:]
                status, out = g.run("ethtool -L eth0 combined 2")
                assert status == 0, out
                _, chans = g.run("ethtool -l eth0")
                assert re.search(r"Current hardware settings:.*?Combined:\s+2", chans, re.S), chans
                # iproute2's tc, at this machine's path (busybox's own tc
                # applet, which the guest's shell prefers, has no multiq)
                tc = shutil.which("tc")
                status, out = g.run(f"{tc} qdisc add dev eth0 root handle 1: multiq")
                assert status == 0, out
                for q, p in enumerate(ports):
                    status, out = g.run(f"{tc} filter add dev eth0 parent 1: protocol ip prio 1 "
                                        f"u32 match ip dport {p} 0xffff "
                                        f"action skbedit queue_mapping {q}")
                    assert status == 0, out
                stat = [regs.VIONIC_REG_QSTATS_BASE + regs.VIONIC_QSTATS_STRIDE * qid +
                        regs.VIONIC_QSTAT_PACKETS_LO for qid in range(4)]
                before = [be.call(dev.read_reg, r) for r in stat]
                status, out = g.run(f"(iperf3 -c {HOST_IP} -p {ports[1]} -t 3 -R > /tmp/q1 2>&1 & "
                                    f"b=$!; iperf3 -c {HOST_IP} -p {ports[0]} -t 3 -R; s=$?; "
                                    f"wait $b || s=$?; cat /tmp/q1; exit $s)", 120)
                assert status == 0, out
                n = [be.call(dev.read_reg, r) - b for r, b in zip(stat, before, strict=True)]
                rx, tx = n[0::2], n[1::2]
                print(f"queue pairs 0 and 1 of the device: received {rx}, sent {tx} frames")
                # each stream is thousands of data frames into the guest and
                # its acknowledgements out: both pairs carry one whole stream
                assert all(r > 1000 for r in rx) and all(t > 100 for t in tx), (rx, tx)
                assert any(m.endswith("; 2 queue pairs") for m in be.lines), be.lines
                assert be.stats()["error"]["code"] == 0
        finally:
            for server in servers:
                net.stop(server)


def _started_once(be) -> bool:
    return any(m.startswith("device started") for m in be.lines)
