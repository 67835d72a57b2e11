"""Traffic for the RSS and hash-report tests: the Microsoft RSS
specification's verification flows, a seeded mix of every kind of frame that
RSS tells apart, and where the frames a foreign driver sends through the
loopback wire land."""

from __future__ import annotations

import ipaddress
import random

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrHopByHop
from scapy.layers.l2 import ARP, Dot1Q, Ether

from swutil import PEER, wait_for

PAIRS = 4   # queue pairs of the devices these tests open

# Microsoft's "Verifying the RSS hash calculation": (source, destination,
# IPv4-or-IPv6-only hash, hash with TCP)
MS_V4 = [(("66.9.149.187", 2794), ("161.142.100.80", 1766), 0x323e8fc2, 0x51ccc178),
         (("199.92.111.2", 14230), ("65.69.140.83", 4739), 0xd718262a, 0xc626b0ea),
         (("24.19.198.95", 12898), ("12.22.207.184", 38024), 0xd2d0a5de, 0x5c2b394a),
         (("38.27.205.30", 48228), ("209.142.163.6", 2217), 0x82989176, 0xafc7327f),
         (("153.39.163.191", 44251), ("202.188.127.2", 1303), 0x5d1809c5, 0x10e828a2)]
MS_V6 = [(("3ffe:2501:200:1fff::7", 2794), ("3ffe:2501:200:3::1", 1766),
          0x2cc18cd5, 0x40207d3d),
         (("3ffe:501:8::260:97ff:fe40:efab", 14230), ("ff02::1", 4739),
          0x0f0c461c, 0xdde51bbf),
         (("3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251), ("fe80::200:f8ff:fe21:67cf", 38024),
          0x4b61e985, 0x02d1feef)]


def random_frame(rng: random.Random, dst: str) -> bytes:
    """A frame of every kind RSS tells apart."""
    eth = Ether(src=PEER, dst=dst)
    if rng.random() < 0.2:
        eth = eth / Dot1Q(vlan=rng.randrange(1, 4095))
    kind = rng.choice(["v4", "v6", "v4frag", "v6ext", "icmp", "arp"])
    sport, dport = rng.randrange(1, 65536), rng.randrange(1, 65536)
    l4 = (TCP if rng.random() < 0.5 else UDP)(sport=sport, dport=dport)
    v4 = IP(src=str(ipaddress.IPv4Address(rng.getrandbits(32))),
            dst=str(ipaddress.IPv4Address(rng.getrandbits(32))))
    v6 = IPv6(src=str(ipaddress.IPv6Address(rng.getrandbits(128))),
              dst=str(ipaddress.IPv6Address(rng.getrandbits(128))))
    pay = rng.randbytes(rng.randint(0, 64))
    if kind == "v4":
        p = eth / v4 / l4 / pay
    elif kind == "v6":
        p = eth / v6 / l4 / pay
    elif kind == "v4frag":
        v4.flags, v4.frag = "MF", rng.choice([0, 10])
        p = eth / v4 / l4 / pay
    elif kind == "v6ext":
        p = eth / v6 / IPv6ExtHdrHopByHop() / l4 / pay
    elif kind == "icmp":
        p = eth / (v4 if rng.random() < 0.5 else IP()) / ICMP() / pay
    else:
        p = eth / ARP()
    return bytes(p).ljust(60, b"\0")



def landings(drv, frames: list[bytes], qp: int = 0) -> dict[bytes, tuple[int, tuple]]:
    """Sends frames on queue pair qp (through the loopback wire) and
    returns, for each, the queue pair it landed on and its virtio header
    fields."""
    got: dict[bytes, tuple[int, tuple]] = {}

    def poll():
        for rq in range(PAIRS):
            for hdr, f, _ in drv.received_frames(rq):
                got[f] = rq, hdr
        return len(got) >= len(set(frames))
    tx = drv.rings[2 * qp + 1]
    for i in range(0, len(frames), 16):
        drv.send(frames[i:i + 16], qp=qp)
        assert wait_for(lambda: drv.tx_done(qp) >= 0 and tx.used_cons == tx.avail_idx, 10.0), \
            (tx.used_cons, tx.avail_idx, drv.dev.stats()["error"], drv.dev.stats()["device"])
    assert wait_for(poll, 10.0), f"{len(got)} of {len(set(frames))} frames came back"
    for rq in range(PAIRS):   # the buffers used, posted again
        drv.post_rx_chains([[2048]] * sum(q == rq for q, _ in got.values()), qp=rq)
    return got


def where_frames_land(drv, frames: list[bytes]) -> dict[bytes, int]:
    """The queue pair each of `frames` landed on."""
    return {f: qp for f, (qp, _) in landings(drv, frames).items()}
