"""DPDK's own virtio PMD (net_virtio_user in Debian's testpmd 22.11) drives the
vionic device through `vionic vdpa`, on the model and on the RTL: nobody here
wrote that driver. Frames are checked on the device's wire: a pcap capture
(txonly) or a link partner on a unix wire (macswap)."""

from __future__ import annotations

import random
import re

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.utils import rdpcap
from testpmd import need_dpdk

import vionic
from e2eutil import need_receive_steering, wait_until
from vionic import regs
from vionic.testpmd import DpdkTestpmd, virtio_user
from vionic.vdpa import BackendThread

pytestmark = pytest.mark.usefixtures("dpdk")


@pytest.fixture(scope="module")
def dpdk():
    need_dpdk()


def _wait(pred, what: str, timeout: float = 60.0):
    assert wait_until(pred, timeout), f"timed out waiting for {what}"


def _started_features(lines: list[str]) -> set[str]:
    started = [m for m in lines if m.startswith("device started: features ")]
    assert started, f"the device was never started: {lines}"
    return set(re.match(r"device started: features ([A-Z0-9_ ]+);", started[-1])[1].split())


def _partner(wire: str):
    """A link partner connected to the device's unix wire."""
    import socket

    peer = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    peer.connect(wire)
    peer.settimeout(60)
    return peer


def _bounced(peer, frames: list[bytes]) -> list[bytes]:
    """Sends each frame and takes what comes back, one at a time."""
    got = []
    for f in frames:
        peer.send(f)
        got.append(peer.recv(65536))
    return got


def _swapped(frames: list[bytes]) -> list[bytes]:
    """The frames as testpmd's macswap returns them."""
    return [f[6:12] + f[0:6] + f[12:] for f in frames]


def test_txonly_frames_reach_the_wire(core, tmp_path):
    """testpmd txonly: every frame the device sends is testpmd's 64-byte UDP
    frame, and the capture holds exactly what the device counted."""
    pcap = tmp_path / "tx.pcap"
    want = 3000 if core == "model" else 300
    with vionic.open(core, wire=f"pcap:{pcap}", start=False) as dev:
        with BackendThread(dev, str(tmp_path / "vu.sock")) as be:
            with DpdkTestpmd(virtio_user(str(tmp_path / "vu.sock"))) as pmd:
                info = pmd.cmd("show port info 0")
                mac = re.search(r"MAC address: ([0-9A-Fa-f:]{17})", info)[1].lower()
                pmd.cmd("set fwd txonly")
                pmd.cmd("start")
                _wait(lambda: be.stats()["device"]["tx"]["packets"] >= want, "TX frames")
                fwd = pmd.forward_stats()
                # every frame testpmd put on the ring leaves the device
                _wait(lambda: be.stats()["device"]["tx"]["packets"] == fwd["tx"],
                      f"the device to send the {fwd['tx']} frames testpmd queued")
                sent = be.stats()["device"]["tx"]
            assert {"VERSION_1"} <= _started_features(be.lines)
    frames = rdpcap(str(pcap))
    assert len(frames) == sent["packets"] and sent["drops"] == 0
    assert sent["packets"] >= want
    assert sent["bytes"] == 64 * sent["packets"]
    for f in frames:
        assert len(f) == 64
        assert f[IP].src == "198.18.0.1" and f[IP].dst == "198.18.0.2"
        assert f[UDP].sport == 9 and f[UDP].dport == 9
        assert f[Ether].src == mac


@pytest.mark.parametrize("devargs", ["in_order=0,mrg_rxbuf=0", "in_order=1,mrg_rxbuf=1"])
def test_macswap_returns_every_frame_swapped(core, tmp_path, seed, devargs):
    """A link partner sends seeded frames of random sizes into the NIC;
    testpmd macswap sends each back with its MAC addresses swapped, in
    order; then testpmd quits and a second testpmd drives the same device."""
    rng = random.Random(seed)
    wire = str(tmp_path / "wire.sock")
    sock = str(tmp_path / "vu.sock")
    count = 200 if core == "model" else 60
    with vionic.open(core, wire=f"unix:{wire}", start=False) as dev:
        with BackendThread(dev, sock) as be:
            peer = _partner(wire)
            for run in range(2):
                with DpdkTestpmd(virtio_user(sock, devargs=devargs)) as pmd:
                    pmd.cmd("set fwd macswap")
                    pmd.cmd("start")
                    out = []
                    for _ in range(count):
                        dst = bytes([2, rng.randrange(256), 0, 0, 0, 1])
                        src = bytes([2, rng.randrange(256), 0, 0, 0, 2])
                        body = rng.randbytes(rng.randint(46, 1500))
                        out.append(dst + src + b"\x88\xb5" + body)
                    assert _bounced(peer, out) == _swapped(out), \
                        f"run {run}: frames came back different"
                    fwd = pmd.forward_stats()
                    assert fwd["rx"] == fwd["tx"] == count
                features = _started_features(be.lines)
                assert "VERSION_1" in features
                assert ("MRG_RXBUF" in features) == ("mrg_rxbuf=1" in devargs)
                # offered only where every core implements it (DESIGN §3)
                assert "IN_ORDER" not in features
            peer.close()
            st = be.stats()
            assert st["error"]["code"] == 0
    assert sum("connected" in m for m in be.lines) == 2
    assert sum("device reset (front-end gone)" in m for m in be.lines) == 2


def test_jumbo_frames_over_merged_rx_buffers(core, tmp_path, seed):
    """MTU 9000 and DPDK's 2 KiB mbufs: with mrg_rxbuf=1 the device spreads
    each jumbo frame over several of testpmd's RX buffers (more ring entries
    used than frames), testpmd sends it back as a multi-segment mbuf, and
    the link partner gets every frame whole, MAC addresses swapped."""
    rng = random.Random(seed)
    wire = str(tmp_path / "wire.sock")
    sock = str(tmp_path / "vu.sock")
    count = 40 if core == "model" else 8
    with vionic.open(core, wire=f"unix:{wire}", start=False, mtu=9000) as dev:
        with BackendThread(dev, sock) as be:
            peer = _partner(wire)
            with DpdkTestpmd(virtio_user(sock, devargs="in_order=1,mrg_rxbuf=1"),
                             extra=("--max-pkt-len=9030", "--enable-scatter")) as pmd:
                pmd.cmd("set fwd macswap")
                pmd.cmd("start")
                out = [bytes([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]) + b"\x88\xb5" +
                       rng.randbytes(rng.randint(2100, 9000)) for _ in range(count)]
                assert _bounced(peer, out) == _swapped(out)
                fwd = pmd.forward_stats()
                assert fwd["rx"] == fwd["tx"] == count
                rx_ring_used = dev.read_reg(regs.VIONIC_REG_VQ_STATE_BASE) >> \
                    regs.VIONIC_VQ_STATE_USED_SHIFT
            peer.close()
            assert "MRG_RXBUF" in _started_features(be.lines)
            assert rx_ring_used >= 2 * count, "frames of over 2 KiB take two buffers or more"
            assert be.stats()["error"]["code"] == 0


def _started_pairs(be) -> int:
    """Queue pairs in use at the backend's last device start (0: none yet)."""
    started = [m for m in be.lines if m.startswith("device started")]
    m = re.search(r"; (\d+) queue pairs$", started[-1]) if started else None
    return int(m[1]) if m else 0


def test_two_queue_pairs_carry_flows_both_ways(core, tmp_path, seed):
    """virtio-user with queues=2 on a device with four queue pairs: the
    backend tells the device to use both (VQ_PAIRS_SET on its control ring),
    inbound TCP/UDP flows spread over the two receive queues, and testpmd's
    macswap replies leave on the queue pair each frame came in on."""
    from scapy.layers.inet import TCP

    rng = random.Random(seed)
    wire = str(tmp_path / "wire.sock")
    sock = str(tmp_path / "vu.sock")
    with vionic.open(core, wire=f"unix:{wire}", start=False, queue_pairs=4) as dev:
        need_receive_steering(dev.info())
        with BackendThread(dev, sock) as be:
            peer = _partner(wire)
            with DpdkTestpmd(virtio_user(sock, devargs="in_order=1,mrg_rxbuf=1,queues=2"),
                             extra=("--rxq=2", "--txq=2")) as pmd:
                pmd.cmd("set fwd macswap")
                pmd.cmd("start")
                # the backend restarts the device as each ring turns live; a
                # frame that meets it suspended is dropped, so wait for the last
                assert wait_until(lambda: _started_pairs(be) == 2), be.lines
                out = [bytes(Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") /
                             IP(src="198.18.0.1", dst="198.18.0.2") /
                             (TCP if rng.random() < 0.5 else UDP)(
                                 sport=rng.randrange(1024, 65536), dport=80) /
                             rng.randbytes(rng.randint(0, 1000))) for _ in range(60)]
                assert _bounced(peer, out) == _swapped(out)
                per_queue = [be.call(dev.read_reg, regs.VIONIC_REG_QSTATS_BASE +
                                     regs.VIONIC_QSTATS_STRIDE * q +
                                     regs.VIONIC_QSTAT_PACKETS_LO) for q in range(4)]
            peer.close()
    assert _started_pairs(be) == 2, be.lines
    rx0, tx0, rx1, tx1 = per_queue
    assert rx0 + rx1 == 60 and rx0 > 0 and rx1 > 0, per_queue
    assert (tx0, tx1) == (rx0, rx1), "each reply leaves on the pair its frame came in on"


def test_rxonly_counts_what_the_device_delivered(core, tmp_path):
    """testpmd rxonly on a `gen:` wire: testpmd counts no more frames than
    the device put on its RX ring, and every frame the device took is either
    received or still in flight (at most a ring)."""
    want = 3000 if core == "model" else 200
    with vionic.open(core, wire="gen:64", start=False) as dev:
        with BackendThread(dev, str(tmp_path / "vu.sock")) as be:
            with DpdkTestpmd(virtio_user(str(tmp_path / "vu.sock"))) as pmd:
                pmd.cmd("set fwd rxonly")
                pmd.cmd("start")
                _wait(lambda: be.stats()["device"]["rx"]["packets"] >= want, "RX frames")
                fwd = pmd.forward_stats()
                delivered = be.stats()["device"]["rx"]["packets"]
    assert 0 < fwd["rx"] <= delivered
    assert fwd["rx"] >= want - 256


def test_cli_vdpa_serves_one_frontend(tmp_path):
    """`vionic vdpa --once` as a process: testpmd connects, sends, leaves;
    the command exits 0 and the frames are in its pcap capture."""
    import json
    import subprocess
    import sys

    sock, pcap = tmp_path / "vu.sock", tmp_path / "tx.pcap"
    p = subprocess.Popen([sys.executable, "-m", "vionic", "vdpa", "model", "--socket", str(sock),
                          "--once", "--wire", f"pcap:{pcap}"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        _wait(lambda: sock.exists(), "the vhost-user socket")
        with DpdkTestpmd(virtio_user(str(sock))) as pmd:
            pmd.cmd("set fwd txonly")
            pmd.cmd("start")
            _wait(lambda: pcap.exists() and pcap.stat().st_size > 64 * 200, "frames in the pcap")
            sent = pmd.forward_stats()["tx"]
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, err
    assert json.loads(out)["frontends"] == 1
    assert "front-end 1 connected" in err and "device started" in err
    frames = rdpcap(str(pcap))
    assert 200 <= len(frames) <= sent and all(len(f) == 64 for f in frames)


def test_client_mode_reconnects_to_a_listening_frontend(tmp_path):
    """Backend in client mode: testpmd's virtio-user listens (server=1), the
    backend connects; testpmd restarts and the backend connects again."""
    import threading

    from vionic.vdpa import Backend

    sock = str(tmp_path / "vu.sock")
    lines: list[str] = []
    with vionic.open("model", wire="loopback", start=False) as dev:
        be = Backend(dev, log=lines.append)
        stop = threading.Event()
        t = threading.Thread(target=be.run, args=(sock,),
                             kwargs={"client": True, "should_stop": stop.is_set}, daemon=True)
        t.start()
        try:
            for run in range(2):
                with DpdkTestpmd(virtio_user(sock, devargs="server=1")) as pmd:
                    _wait(lambda n=run: sum(m.startswith("device started") for m in lines) > n,
                          f"the backend to connect (run {run})")
                    pmd.cmd("set fwd io")
                    pmd.cmd("start tx_first")
                    _wait(lambda: be.stats()["device"]["rx"]["packets"] >= 1000, "looped frames")
                    assert pmd.forward_stats()["rx"] > 0
                _wait(lambda n=run: sum("front-end gone" in m for m in lines) > n,
                      "the session end")
        finally:
            stop.set()
            t.join(10)
            be.close()
    assert sum("connected" in m for m in lines) == 2


def test_bench_measures_dpdk_beside_the_pmd_in_one_run():
    """`vionic bench dpdk`'s comparison: DPDK's virtio-user <-> vhost really
    runs in every mode (its own counters), beside the PMD, and the table's
    ratio is the quotient of the two."""
    from vionic import bench

    model, dpdk, why = bench.compare_dpdk(0.5, sizes=(64,), rounds=1, csum_sizes=())
    assert why is None and dpdk is not None
    assert {d["mode"] for d in dpdk} == set(bench.MODES)
    text = bench.table(model, dpdk)
    for r in model:
        d = next(d for d in dpdk if d["mode"] == r["mode"])
        assert d["size"] == 64 and d["mpps"] > 0.05, d
        assert d["cycles_per_packet"] == bench.tsc_cycles_per_packet(d["mpps"], r["tsc_ghz"])
        assert f"{r['mpps'] / d['mpps']:5.2f}x" in text


def test_dpdk_uses_the_checksum_offloads(core, tmp_path, seed):
    """testpmd's csum engine with DPDK's UDP/TCP checksum offloads on: DPDK's
    virtio PMD negotiates CSUM and GUEST_CSUM, reports RX_L4_CKSUM_GOOD for
    exactly the frames whose checksum is right, and every frame it forwards
    leaves the device with the checksum the device completed."""
    from scapy.layers.inet import TCP
    from scapy.layers.inet6 import IPv6

    rng = random.Random(seed)
    wire, sock = str(tmp_path / "wire.sock"), str(tmp_path / "vu.sock")
    count = 40 if core == "model" else 16
    with vionic.open(core, wire=f"unix:{wire}", start=False) as dev, \
            BackendThread(dev, sock) as be:
        peer = _partner(wire)
        # 0xc: RTE_ETH_{RX,TX}_OFFLOAD_UDP_CKSUM | _TCP_CKSUM
        with DpdkTestpmd(virtio_user(sock), extra=("--rx-offloads=0xc",
                                                   "--tx-offloads=0xc")) as pmd:
            pmd.cmd("set fwd csum")
            pmd.cmd("set verbose 1")
            pmd.cmd("start")
            right, got = [], []
            for _ in range(count):
                l3 = IPv6(src="2001:db8::1", dst="2001:db8::2") if rng.random() < 0.5 else \
                    IP(src="198.18.0.1", dst="198.18.0.2")
                l4 = TCP(sport=rng.randrange(1, 65536), dport=80) if rng.random() < 0.5 else \
                    UDP(sport=rng.randrange(1, 65536), dport=53)
                p = Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01") / l3 / l4 / \
                    rng.randbytes(rng.randint(20, 1000))
                raw = bytearray(bytes(p))
                right.append(rng.random() < 0.6)
                if not right[-1]:
                    raw[-1] ^= 0x5A                      # payload changed, sum not
                peer.send(bytes(raw))
                got.append(Ether(peer.recv(4096)))
            out = pmd.cmd("stop")
        features = _started_features(be.lines)
        peer.close()
    assert {"CSUM", "GUEST_CSUM"} <= features
    verdicts = re.findall(r"ol_flags: RTE_MBUF_F_RX_L4_CKSUM_(\w+)", out)
    assert verdicts == ["GOOD" if r else "UNKNOWN" for r in right]
    for f in got:                                        # the device's sum is right
        l4 = f[TCP] if TCP in f else f[UDP]
        sent = l4.chksum
        del l4.chksum
        assert Ether(bytes(f))[type(l4)].chksum == sent, f.summary()
