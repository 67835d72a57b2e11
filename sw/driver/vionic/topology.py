"""Linux networks through vionic NICs, for the e2e tests, `vionic topo` and
the benchmarks:

- `pair`: two NICs joined by a unix: cable, each exposed as an interface in
  its own namespace: ns vio-a (vio-a0) -> libvionic -> NIC a -> cable ->
  NIC b -> libvionic -> ns vio-b (vio-b0); any core on either side.
- `tap_host`: one NIC whose wire is tap: into namespace vio-h (vio-h0), the
  NIC talking to a Linux host; its host side is a Python `Responder`
  (ARP and ICMP echo, scapy) or, with `exposed=True`, an interface vio-n0 in
  namespace vio-n, so TCP runs between the two namespaces.

`ping` and `iperf3` run the real tools inside a namespace and return their
figures.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from . import net, regs
from .device import Device
from .device import open as open_device
from .errors import NetError
from .netdev import NetDev, netdev

SUBNET = "10.77.0"        # addresses inside vionic's own namespaces only
JUMBO_MBUF_EXTRA = 14 + 12 + 64   # Ethernet header, virtio header, slack


@dataclass
class Topology:
    ns: dict[str, net.Namespace]
    nics: dict[str, Device]
    netdevs: dict[str, NetDev] = field(default_factory=dict)
    ip: dict[str, str] = field(default_factory=dict)
    ifname: dict[str, str] = field(default_factory=dict)
    mtu: int = 1500
    tmpdir: str = ""


def _nic(core: str, wire: str, mtu: int, pcap: str | None) -> Device:
    """A NIC for a topology: rings that hold a TCP window in flight (1024
    entries, fewer for large frames, so the mbufs stay near 64 MiB), jumbo
    mbufs when the MTU needs them."""
    largest = regs.VIONIC_NET_HDR_LEN + regs.VIONIC_MAX_MTU + 14   # libvionic's largest mbuf
    mbuf = max(2048, min(mtu + JUMBO_MBUF_EXTRA, largest))
    ring = 1024 if mbuf <= 16384 else 256
    kw = {"rx_ring_size": ring, "tx_ring_size": ring, "pcap": pcap,
          "nb_mbufs": 4 * ring, "mbuf_size": mbuf}
    if core == "model":
        kw["mtu"] = mtu
    return open_device(core, wire=wire, **kw)


@contextmanager
def pair(core_a: str = "model", core_b: str = "model", mtu: int = 1500,
         pcap: str | None = None):
    """Two NICs on a cable, exposed in namespaces vio-a and vio-b (addresses
    SUBNET.1 and .2). pcap: capture of NIC a's wire, both ways."""
    with ExitStack() as stack:
        tmp = tempfile.mkdtemp(prefix="vionic-topo-")
        stack.callback(shutil.rmtree, tmp, True)
        cable = os.path.join(tmp, "cable.sock")
        topo = Topology(ns={}, nics={}, mtu=mtu, tmpdir=tmp)
        for side, core, host in (("a", core_a, 1), ("b", core_b, 2)):
            topo.ns[side] = stack.enter_context(net.netns(f"{net.PREFIX}{side}"))
            topo.nics[side] = stack.enter_context(
                _nic(core, f"unix:{cable}", mtu, pcap if side == "a" else None))
            topo.ifname[side] = f"{net.PREFIX}{side}0"
            topo.netdevs[side] = stack.enter_context(
                netdev(topo.nics[side], topo.ifname[side], netns=topo.ns[side].name))
            topo.ip[side] = f"{SUBNET}.{host}"
            topo.ns[side].addr(topo.ifname[side], f"{topo.ip[side]}/24")
        yield topo


@contextmanager
def tap_host(core: str = "model", mtu: int = 1500, exposed: bool = False,
             pcap: str | None = None):
    """One NIC whose wire is TAP vio-h0 in namespace vio-h (SUBNET.1). Its
    host side: a Responder at SUBNET.2 (topo.netdevs empty; the caller
    starts it on topo.nics['n']), or with exposed=True interface vio-n0 in
    namespace vio-n at SUBNET.2."""
    with ExitStack() as stack:
        h = stack.enter_context(net.netns(f"{net.PREFIX}h"))
        topo = Topology(ns={"h": h}, nics={}, mtu=mtu)
        topo.ifname["h"] = f"{net.PREFIX}h0"
        topo.nics["n"] = stack.enter_context(
            _nic(core, f"tap:{topo.ifname['h']}@{h.name}", mtu, pcap))
        topo.ip["h"], topo.ip["n"] = f"{SUBNET}.1", f"{SUBNET}.2"
        h.addr(topo.ifname["h"], f"{topo.ip['h']}/24")
        if exposed:
            topo.ns["n"] = stack.enter_context(net.netns(f"{net.PREFIX}n"))
            topo.ifname["n"] = f"{net.PREFIX}n0"
            topo.netdevs["n"] = stack.enter_context(
                netdev(topo.nics["n"], topo.ifname["n"], netns=topo.ns["n"].name))
            topo.ns["n"].addr(topo.ifname["n"], f"{topo.ip['n']}/24")
        yield topo


class Responder:
    """A host-side application on a NIC: answers ARP requests and ICMP echo
    requests for `ip` with the NIC's MAC, on a thread, through the Python
    API (scapy parses and builds the frames). Counts what it answered."""

    def __init__(self, dev: Device, ip: str):
        self.dev, self.ip = dev, ip
        self.mac = dev.info()["mac"]
        self.answered = {"arp": 0, "icmp": 0}
        import scapy.layers.inet  # noqa: F401  (imported here: the first import takes ~1 s)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _reply(self, frame: bytes) -> bytes | None:
        from scapy.layers.inet import ICMP, IP
        from scapy.layers.l2 import ARP, Ether

        pkt = Ether(frame)
        if ARP in pkt and pkt[ARP].op == 1 and pkt[ARP].pdst == self.ip:
            self.answered["arp"] += 1
            return bytes(Ether(dst=pkt.src, src=self.mac) /
                         ARP(op=2, hwsrc=self.mac, psrc=self.ip, hwdst=pkt[ARP].hwsrc,
                             pdst=pkt[ARP].psrc))
        if IP in pkt and ICMP in pkt and pkt[IP].dst == self.ip and pkt[ICMP].type == 8:
            self.answered["icmp"] += 1
            icmp = pkt[ICMP]
            return bytes(Ether(dst=pkt.src, src=self.mac) /
                         IP(src=self.ip, dst=pkt[IP].src) /
                         ICMP(type=0, id=icmp.id, seq=icmp.seq) / bytes(icmp.payload))
        return None

    def _run(self) -> None:
        while not self._stop.is_set():
            replies = [r for f in self.dev.recv(64, timeout=0.05) if (r := self._reply(f))]
            if replies:
                self.dev.send(replies)

    def __enter__(self) -> Responder:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


_RTT = re.compile(r"rtt min/avg/max/mdev = ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms")
_LOSS = re.compile(r"(\d+) packets transmitted, (\d+) received")


def ping(ns: net.Namespace, ip: str, count: int = 100, interval: float = 0.01,
         size: int = 56) -> dict:
    """ping from ns: transmitted, received, RTT min/avg/max in ms."""
    out = ns.run(["ping", "-n", "-q", "-c", str(count), "-i", str(interval), "-s", str(size),
                  "-W", "2", ip], check=False, timeout=60 + count * (interval + 2)).stdout
    loss, rtt = _LOSS.search(out), _RTT.search(out)
    if not loss:
        raise NetError(f"ping {ip} from {ns.name}: no summary in {out!r}")
    res = {"transmitted": int(loss[1]), "received": int(loss[2]), "size": size}
    if rtt:
        res.update(min_ms=float(rtt[1]), avg_ms=float(rtt[2]), max_ms=float(rtt[3]))
    return res


def iperf3(client: net.Namespace, server: net.Namespace, ip: str, seconds: float = 3,
           udp_gbps: float | None = None, port: int = 5201) -> dict:
    """iperf3 from client to a one-shot server at ip in `server`: Gb/s as
    received, TCP retransmits or UDP loss. udp_gbps: a UDP run at that
    offered rate."""
    srv = server.popen(["iperf3", "-s", "-1", "-B", ip, "-p", str(port)],
                       stdout=open(os.devnull, "w"), stderr=open(os.devnull, "w"))
    try:
        cmd = ["iperf3", "-c", ip, "-p", str(port), "-t", str(seconds), "-J"]
        if udp_gbps:
            cmd += ["-u", "-b", f"{udp_gbps}G", "-l", "1400"]
        for _ in range(50):   # the server listens within moments of starting
            r = client.run(cmd, check=False, timeout=seconds + 60)
            if "Connection refused" not in r.stdout + r.stderr:
                break
            time.sleep(0.1)
        try:
            res = json.loads(r.stdout)
        except json.JSONDecodeError:
            raise NetError(f"iperf3 to {ip}: {r.stderr.strip() or r.stdout[-300:]}") from None
        if "error" in res:
            raise NetError(f"iperf3 to {ip}: {res['error']}")
        end = res["end"]
        if udp_gbps:
            s = end["sum"]
            return {"proto": "udp", "gbps": s["bits_per_second"] / 1e9,
                    "lost_percent": s.get("lost_percent", 0.0), "packets": s.get("packets", 0)}
        return {"proto": "tcp", "gbps": end["sum_received"]["bits_per_second"] / 1e9,
                "retransmits": end["sum_sent"].get("retransmits", 0),
                "bytes": end["sum_received"]["bytes"]}
    finally:
        net.stop(srv)


def _sim_rate(nic: Device, before: dict, seconds: float) -> dict:
    """What bounds an RTL NIC: the simulator's clock rate during a run and
    the bytes its DMA moved per cycle (TX + RX); empty for the model, whose
    time is not cycles."""
    if nic.info()["impl"] != regs.impl_name(regs.VIONIC_IMPL_RTL_SIM):
        return {}
    after = nic.stats()
    cycles = after["device"]["cycles"] - before["device"]["cycles"]
    moved = sum(after["device"][d]["bytes"] - before["device"][d]["bytes"] for d in ("tx", "rx"))
    return {"sim_mcycles_per_s": cycles / seconds / 1e6,
            "bytes_per_cycle": moved / cycles if cycles else 0.0}


def figures(kind: str = "pair", core_a: str = "model", core_b: str = "model",
            mtu: int = 1500, count: int = 100, seconds: float = 3.0) -> dict:
    """Sets up a topology (`pair`, or `host`: tap_host with the NIC exposed),
    runs ping (count) and, where iperf3 is installed, iperf3 TCP and UDP
    (seconds each) from side a (h) to side b (n), and returns the figures."""
    from .sysdeps import missing

    if kind == "pair":
        ctx, client, server = pair(core_a, core_b, mtu), "a", "b"
        name = f"{core_a}-{core_b}"
    else:
        ctx, client, server = tap_host(core_a, mtu, exposed=True), "h", "n"
        name = f"tap-{core_a}"
    res = {"topology": kind, "cores": name, "mtu": mtu}
    with ctx as t:
        res["ping"] = ping(t.ns[client], t.ip[server], count=count)
        if "iperf3" in missing(["iperf3"]):
            res["iperf3"] = "skipped: " + ", ".join(missing(["iperf3"]).values()) + " not installed"
        else:
            nic = t.nics[client if client in t.nics else server]
            before, t0 = nic.stats(), time.monotonic()
            res["tcp"] = iperf3(t.ns[client], t.ns[server], t.ip[server], seconds)
            res["tcp"].update(_sim_rate(nic, before, time.monotonic() - t0))
            res["udp"] = iperf3(t.ns[client], t.ns[server], t.ip[server], seconds, udp_gbps=0.2)
    return res


def describe(res: dict) -> str:
    """One line of figures(): RTT and throughput."""
    p = res["ping"]
    line = (f"{res['cores']:12} MTU {res['mtu']:5}  ping {p['received']}/{p['transmitted']} "
            f"rtt {p.get('min_ms', 0):.3f}/{p.get('avg_ms', 0):.3f}/{p.get('max_ms', 0):.3f} ms")
    if "tcp" in res:
        line += (f"  TCP {res['tcp']['gbps']:.3f} Gb/s ({res['tcp']['retransmits']} retr)"
                 f"  UDP {res['udp']['gbps']:.3f} Gb/s {res['udp']['lost_percent']:.2f}% lost")
        if "sim_mcycles_per_s" in res["tcp"]:
            line += (f"  (RTL clocked at {res['tcp']['sim_mcycles_per_s']:.2f} Mcycles/s, "
                     f"{res['tcp']['bytes_per_cycle']:.1f} B/cycle of DMA)")
    else:
        line += f"  iperf3 {res.get('iperf3', '')}"
    return line


__all__ = ["Topology", "pair", "tap_host", "Responder", "ping", "iperf3", "figures", "describe",
           "SUBNET"]
