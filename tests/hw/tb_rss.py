"""cocotb tests of receive steering in vionic_core with several queue pairs: RSS
(VIRTIO_NET_F_RSS, the RSS_CONFIG command, the Toeplitz hash by the indirection
table), automatic steering (VIRTIO 1.2 §5.1.6.5.5: a flow comes back on the
pair that sent it, else by its flow hash) and HASH_REPORT (the 20-byte header both
ways). Every frame's receive queue and hash are predicted by references written
here and in tests/sw/rss_ref.py, never by code shared with the RTL."""

from __future__ import annotations

import ipaddress
import struct
import sys
from pathlib import Path

import cocotb
from cocotbext.axi import AxiStreamFrame
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrHopByHop
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.packet import Raw
from tb_core import Traffic, new_device, wait_for
from tb_mq import CTRL_MAX_CMD, ctrl_run, mq_bring_up, pairs_of, pairs_set
from tb_mrg import MrgRx
from tb_stages import tx_case, tx_ref
from vionic_model import MAX_FRAME, split_segments

from vionic import regs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sw"))
from rss_ref import MS_KEY, RssConfig, hash_config_command, hash_report, rss_queue  # noqa: E402

OK, ERR = regs.VIRTIO_NET_OK, regs.VIRTIO_NET_ERR
RSS = 1 << regs.VIRTIO_NET_F_RSS
# every frame's virtio header is all zero but num_buffers: no GUEST_CSUM (DATA_VALID)
FEATURES = ((regs.VIONIC_DEVICE_FEATURES | regs.VIONIC_MQ_FEATURES | RSS)
            & ~(1 << regs.VIRTIO_NET_F_GUEST_CSUM))
BUF = regs.VIONIC_NET_HDR_LEN + 1514
HASH_REPORT = 1 << regs.VIRTIO_NET_F_HASH_REPORT
# Microsoft's "Verifying the RSS hash calculation" (the published examples, as in
# tests/sw/test_rss.py): (source, destination, address-only hash, hash with the ports)
MS_V4 = [(("66.9.149.187", 2794), ("161.142.100.80", 1766), 0x323e8fc2, 0x51ccc178),
         (("199.92.111.2", 14230), ("65.69.140.83", 4739), 0xd718262a, 0xc626b0ea),
         (("24.19.198.95", 12898), ("12.22.207.184", 38024), 0xd2d0a5de, 0x5c2b394a),
         (("38.27.205.30", 48228), ("209.142.163.6", 2217), 0x82989176, 0xafc7327f),
         (("153.39.163.191", 44251), ("202.188.127.2", 1303), 0x5d1809c5, 0x10e828a2)]
MS_V6 = [(("3ffe:2501:200:1fff::7", 2794), ("3ffe:2501:200:3::1", 1766), 0x2cc18cd5, 0x40207d3d),
         (("3ffe:501:8::260:97ff:fe40:efab", 14230), ("ff02::1", 4739), 0x0f0c461c, 0xdde51bbf),
         (("3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251), ("fe80::200:f8ff:fe21:67cf", 38024),
          0x4b61e985, 0x02d1feef)]
ETH = {"dst": "02:00:00:00:00:01", "src": "02:56:4e:49:43:00"}


# ---------------------------------------------------------------- frames
def _v4(rng):
    return ".".join(str(rng.randrange(256)) for _ in range(4))


def _v6(rng):
    return str(ipaddress.IPv6Address(rng.getrandbits(128)))


def _payload(rng, lo=0, hi=200):
    return Raw(bytes(rng.getrandbits(8) for _ in range(rng.randint(lo, hi))))


KINDS = ["tcp4", "udp4", "tcp6", "udp6", "vlan_tcp4", "vlan_udp6", "frag4", "opts4", "ext6",
         "icmp4", "arp", "short", "trunc_l4", "ip_beyond", "padded"]


def make(rng, kind, src=None, dst=None, sport=None, dport=None):
    """A frame of the kind (bytes), with addresses and ports at random unless given."""
    sport = rng.randrange(65536) if sport is None else sport
    dport = rng.randrange(65536) if dport is None else dport
    v6 = kind in ("tcp6", "udp6", "vlan_udp6", "ext6")
    src = src or (_v6(rng) if v6 else _v4(rng))
    dst = dst or (_v6(rng) if v6 else _v4(rng))
    l4 = (TCP(sport=sport, dport=dport) if "tcp" in kind or kind in ("frag4", "opts4", "ext6",
                                                                     "trunc_l4", "ip_beyond",
                                                                     "padded", "short")
          else UDP(sport=sport, dport=dport))
    eth = Ether(**ETH)
    if kind.startswith("vlan"):
        eth = eth / Dot1Q(vlan=rng.randrange(4096))
    if kind == "arp":
        return bytes(Ether(**ETH) / ARP(psrc=_v4(rng), pdst=_v4(rng)))
    if kind == "icmp4":
        return bytes(eth / IP(src=src, dst=dst) / ICMP() / _payload(rng))
    if kind == "ext6":
        return bytes(eth / IPv6(src=src, dst=dst) / IPv6ExtHdrHopByHop() / l4 / _payload(rng))
    if v6:
        return bytes(eth / IPv6(src=src, dst=dst) / l4 / _payload(rng))
    if kind == "frag4":
        frag = rng.choice([{"flags": "MF"}, {"frag": rng.randint(1, 100)},
                           {"flags": "MF", "frag": rng.randint(1, 100)}])
        return bytes(eth / IP(src=src, dst=dst, **frag) / l4 / _payload(rng))
    if kind == "opts4":
        opts = bytes([1] * (4 * rng.randint(1, 10)))   # NOPs: IHL 6..15
        return bytes(eth / IP(src=src, dst=dst, options=opts) / l4 / _payload(rng))
    f = bytes(eth / IP(src=src, dst=dst) / l4 / _payload(rng, 0 if kind == "trunc_l4" else 10))
    if kind == "short":            # cut inside the Ethernet or IP header
        return f[:rng.randint(6, 33)]
    if kind == "trunc_l4":         # IP header whole, fewer than 4 L4 bytes
        return f[:34 + rng.randint(0, 3)]
    if kind == "ip_beyond":        # the IP length says more than the frame holds
        return f[:-rng.randint(1, 8)]
    if kind == "padded":           # bytes after the IP packet
        return f + bytes(rng.randint(1, 30))
    return f


def reverse(frame: bytes) -> bytes:
    """The frame of the other direction of its flow (addresses and ports swapped)."""
    p = Ether(frame)
    ip = p[IP] if IP in p else p[IPv6]
    ip.src, ip.dst = ip.dst, ip.src
    l4 = p[TCP] if TCP in p else p[UDP]
    l4.sport, l4.dport = l4.dport, l4.sport
    if IP in p:
        del p[IP].chksum
    del l4.chksum
    return bytes(p)


# ---------------------------------------------------------------- automatic steering reference
def flow_hash(f: bytes):
    """VIRTIO 1.2 §5.1.6.5.5 as regs.h and the brief define it: a TCP/UDP flow over IPv4
    (not a fragment, IP length within the frame) or IPv6 (next header TCP/UDP, payload
    within the frame) after at most one 802.1Q tag, at least 4 L4 bytes; the XOR of the
    little-endian address words and ports, ^ proto, * 0x9E3779B1, >> 16. None otherwise."""
    if len(f) < 14:
        return None
    off, et = 14, int.from_bytes(f[12:14], "big")
    if et == 0x8100:
        if len(f) < 18:
            return None
        off, et = 18, int.from_bytes(f[16:18], "big")
    ip = f[off:]
    if et == 0x0800:
        if len(ip) < 20 or ip[0] >> 4 != 4:
            return None
        ihl, tot = (ip[0] & 15) * 4, int.from_bytes(ip[2:4], "big")
        if ihl < 20 or tot < ihl or tot > len(ip) or int.from_bytes(ip[6:8], "big") & 0x3FFF:
            return None
        proto, l4, l4_len, words = ip[9], ihl, tot - ihl, ip[12:20]
    elif et == 0x86DD:
        if len(ip) < 40 or ip[0] >> 4 != 6:
            return None
        plen = int.from_bytes(ip[4:6], "big")
        if 40 + plen > len(ip):
            return None
        proto, l4, l4_len, words = ip[6], 40, plen, ip[8:40]
    else:
        return None
    if proto not in (6, 17) or l4_len < 4:
        return None
    a = 0
    for k in range(0, len(words), 4):
        a ^= struct.unpack("<I", words[k:k + 4])[0]
    p1, p2 = struct.unpack("<HH", ip[l4:l4 + 4])
    return ((a ^ ((p1 ^ p2) << 16) ^ proto) * 0x9E3779B1 & 0xFFFFFFFF) >> 16


class AutoRef:
    """The flow table (256 slots of the pair that last sent a flow) and the queue choice."""

    def __init__(self):
        self.table = {}
        self.active = 1

    def sent(self, frame, pair):
        h = flow_hash(frame)
        if h is not None and self.active > 1:
            self.table[h % 256] = pair

    def queue(self, frame):
        h = flow_hash(frame)
        if self.active == 1 or h is None:
            return 0
        p = self.table.get(h % 256)
        return p if p is not None and p < self.active else h % self.active


# ---------------------------------------------------------------- helpers
async def steer_up(dev, n, features=FEATURES):
    rxs, txs, ctrl = await mq_bring_up(dev, n, features=features, size=256)
    ts = [Traffic(dev, rxs[k], txs[k], buf_size=BUF) for k in range(n)]
    for k in range(n):
        ts[k].rx_post(200)
        await rxs[k].kick()
    return rxs, txs, ctrl, ts


async def deliver(dev, rxs, ts, frames, queues):
    """Send the frames into the MAC side; each must arrive whole on its predicted
    receive queue, in order per queue, and nowhere else."""
    for f, q in zip(frames, queues, strict=True):
        ts[q].rx_expect.append(f)
        await dev.rx_src.send(AxiStreamFrame(f))
    want = [rxs[k].last_used + sum(1 for q in queues if q == k) for k in range(len(rxs))]
    await wait_for(dev, lambda: all(rxs[k].used_idx() == want[k] & 0xFFFF for k in range(len(rxs))),
                   what="frames on their receive queues")
    await dev.cycles(300)   # nothing more comes
    for k in range(len(rxs)):
        assert rxs[k].used_idx() == want[k] & 0xFFFF, f"receiveq {k}: a frame too many"
        ts[k].check_rx_used()
        assert not ts[k].rx_expect
        ts[k].rx_post()
        await rxs[k].kick()


def random_config(rng, n, key_len=None):
    size = 1 << rng.randint(0, 7)
    return RssConfig(hash_types=rng.choice([rng.randrange(64), 0x3F, 0x12, 0x09]),
                     table=[rng.randrange(n) for _ in range(size)], unclassified=rng.randrange(n),
                     key=bytes(rng.getrandbits(8) for _ in range(key_len or rng.randint(1, 40))),
                     max_tx_vq=rng.randint(1, n))


def mixed_frames(rng, count):
    return [make(rng, rng.choice(KINDS)) for _ in range(count)]


# ---------------------------------------------------------------- RSS
@cocotb.test(timeout_time=500, timeout_unit="ms")
async def test_rss_steering(dut):
    """Seeded random RSS configurations (types, table sizes 1..128, key lengths 1..40) and
    frames of every kind: each lands on the queue rss_ref says; VQ_PAIRS_SET then returns
    to automatic steering (pairs_active 1: every frame on receiveq 0)."""
    n = pairs_of(dut)
    dev = await new_device(dut)
    rxs, _, ctrl, ts = await steer_up(dev, n)
    for rnd in range(3):
        cfg = random_config(dev.rng, n, key_len=40 if rnd == 0 else None)
        assert await ctrl_run(dev, ctrl, cfg.command()) == (1, OK)
        dut._log.info("RSS config: types %#x, %d entries, key %d bytes",
                      cfg.hash_types, len(cfg.table), len(cfg.key))
        frames = mixed_frames(dev.rng, 60)
        await deliver(dev, rxs, ts, frames, [rss_queue(cfg, f) for f in frames])
    assert await ctrl_run(dev, ctrl, pairs_set(1)) == (1, OK)
    frames = mixed_frames(dev.rng, 20)
    await deliver(dev, rxs, ts, frames, [0] * len(frames))


@cocotb.test(timeout_time=300, timeout_unit="ms")
async def test_rss_ms_vectors(dut):
    """The Microsoft verification flows with the published key: four indirection tables
    of 128 entries each expose two bits of the low 7 of the hash; every flow lands where
    its published hash (TCP types: with the ports; IP types: addresses only) says."""
    n = pairs_of(dut)
    dev = await new_device(dut)
    rxs, _, ctrl, ts = await steer_up(dev, n)
    flows = [(s, d, l3, l4, False) for s, d, l3, l4 in MS_V4] + \
            [(s, d, l3, l4, True) for s, d, l3, l4 in MS_V6]
    for types, with_ports in ((0x12, True), (0x09, False)):
        for shift in (0, 2, 4, 6):
            table = [(i >> shift) & 3 for i in range(128)]
            cfg = RssConfig(types, table, 0, MS_KEY, n)
            assert await ctrl_run(dev, ctrl, cfg.command()) == (1, OK)
            frames, queues = [], []
            for (src, sport), (dst, dport), l3, l4, v6 in flows:
                ip = IPv6(src=src, dst=dst) if v6 else IP(src=src, dst=dst)
                frames.append(bytes(Ether(**ETH) / ip / TCP(sport=sport, dport=dport)))
                queues.append(table[(l4 if with_ports else l3) & 127])
            await deliver(dev, rxs, ts, frames, queues)


def _bad_configs(rng, n):
    """(what, command) of malformed RSS_CONFIGs."""
    def good():
        return random_config(rng, n)
    out = []
    c = good().command()
    out += [("one byte more", c + b"\x00"), ("one byte less", c[:-1]), ("header only", c[:9])]
    c = good()
    c.table = [0] * 3
    out.append(("3 entries", c.command()))
    c = good()
    c.table = [0] * 256
    out.append(("256 entries", c.command()))
    c = good()
    c.unclassified = n + rng.randrange(3)
    out.append(("unclassified queue beyond the pairs", c.command()))
    c = good()
    c.table[rng.randrange(len(c.table))] = rng.choice([n, 0x100, 0xFFFF])
    out.append(("table entry beyond the pairs", c.command()))
    for tx in (0, n + 1):
        c = good()
        c.max_tx_vq = tx
        out.append((f"max_tx_vq {tx}", c.command()))
    for kl in (0, 41):
        c = good()
        c.key = bytes(kl)
        out.append((f"key of {kl} bytes", c.command()))
    c = good()
    c.hash_types |= 1 << rng.randint(6, 31)
    out.append(("hash type not supported", c.command()))
    c = good()
    raw = c.command()
    out.append(("mask 0xFFFF", raw[:6] + struct.pack("<H", 0xFFFF) + raw[8:]))
    c = good()
    c.table = [0] * 128
    c.key = bytes(40)
    raw = c.command()
    out.append(("longer than CTRL_MAX_CMD", raw + bytes(CTRL_MAX_CMD + 1 - len(raw))))
    hcfg = struct.pack("<BBI8xB", regs.VIRTIO_NET_CTRL_MQ, regs.VIRTIO_NET_CTRL_MQ_HASH_CONFIG,
                       0x3F, 40)
    out.append(("HASH_CONFIG without HASH_REPORT", hcfg + bytes(40)))
    return out


@cocotb.test(timeout_time=500, timeout_unit="ms")
async def test_rss_config_errors(dut):
    """Every malformed RSS_CONFIG is answered VIRTIO_NET_ERR and leaves the configuration in
    use unchanged (the frames after it still go where the good one says); the largest good
    RSS_CONFIG (128 entries, 40-byte key) is taken; without RSS negotiated a good one is ERR."""
    n = pairs_of(dut)
    dev = await new_device(dut)
    rxs, _, ctrl, ts = await steer_up(dev, n)
    cfg = random_config(dev.rng, n, key_len=40)
    cfg.table = [dev.rng.randrange(n) for _ in range(128)]
    cfg.hash_types = 0x3F
    assert await ctrl_run(dev, ctrl, cfg.command()) == (1, OK)
    for what, cmd in _bad_configs(dev.rng, n):
        got = await ctrl_run(dev, ctrl, cmd)
        assert got == (1, ERR), f"{what}: used length and ack {got}"
    frames = mixed_frames(dev.rng, 40)
    await deliver(dev, rxs, ts, frames, [rss_queue(cfg, f) for f in frames])
    # RSS not negotiated
    rxs, _, ctrl, ts = await steer_up(dev, n, features=FEATURES & ~RSS)
    assert await ctrl_run(dev, ctrl, random_config(dev.rng, n).command()) == (1, ERR)
    assert await dev.rd32(regs.VIONIC_REG_ERR_CODE) == 0


@cocotb.test(timeout_time=500, timeout_unit="ms")
async def test_rss_table_change_under_traffic(dut):
    """Frames stream in while a new indirection table is configured: every frame that
    entered before the command was posted goes by the old table, every frame that enters
    after its ack by the new one, those in between by either; per queue in order."""
    n = pairs_of(dut)
    dev = await new_device(dut)
    rxs, _, ctrl, ts = await steer_up(dev, n)
    old = RssConfig(0x3F, [dev.rng.randrange(n) for _ in range(64)], 0, MS_KEY, n)
    new = RssConfig(0x3F, [(e + 1) % n for e in old.table], 0, MS_KEY, n)
    assert await ctrl_run(dev, ctrl, old.command()) == (1, OK)
    frames = []
    phase = []                            # per frame: 0 before, 1 during, 2 after the command
    state = {"phase": 0}

    async def stream():
        while phase.count(2) < 30:
            f = bytearray(make(dev.rng, dev.rng.choice(["tcp4", "udp6", "vlan_tcp4"])))
            f[-4:] = struct.pack(">I", len(frames))    # the frame's number (payload)
            frames.append(bytes(f))
            p = state["phase"]
            await dev.rx_src.send(AxiStreamFrame(bytes(f)))
            await dev.rx_src.wait()
            phase.append(p if state["phase"] == p else 1)

    task = cocotb.start_soon(stream())
    await wait_for(dev, lambda: len(phase) >= 40, what="40 frames in")
    state["phase"] = 1
    assert await ctrl_run(dev, ctrl, new.command()) == (1, OK)
    state["phase"] = 2
    await task
    assert phase.count(0) >= 40, f"phases {phase}"
    await wait_for(dev, lambda: sum(r.used_idx() for r in rxs) == len(frames), what="all frames")
    seen = {}
    for k in range(n):
        last = -1
        for _uid, ulen, segs, _ in rxs[k].reap():
            buf = b"".join(dev.mem.read(a, ln) for a, ln, _ in segs)[:ulen]
            i = struct.unpack(">I", buf[-4:])[0]
            assert buf[regs.VIONIC_NET_HDR_LEN:] == frames[i], f"frame {i} damaged"
            assert i > last, f"receiveq {k}: frame {i} after {last}"
            last = i
            seen[i] = k
    assert sorted(seen) == list(range(len(frames)))
    for i, f in enumerate(frames):
        want = {0: {rss_queue(old, f)}, 1: {rss_queue(old, f), rss_queue(new, f)},
                2: {rss_queue(new, f)}}[phase[i]]
        assert seen[i] in want, f"frame {i} (phase {phase[i]}) on {seen[i]}, want {want}"


# ---------------------------------------------------------------- automatic steering
FLOW_KINDS = ["tcp4", "udp4", "tcp6", "udp6", "vlan_tcp4", "vlan_udp6", "opts4", "padded"]


async def send_flows(dev, txs, ts, ref, flows):
    """Send each (pair, frame) on its transmitq; the reference learns them in wire order."""
    for pair, f in flows:
        ts[pair].tx_post(f)
    for k in range(len(txs)):
        await txs[k].kick()
    owner = {f: pair for pair, f in flows}
    for _ in flows:
        got = bytes((await dev.tx_sink.recv()).tdata)
        ref.sent(got, owner[got])
    for t in ts:
        t.tx_expect.clear()


@cocotb.test(timeout_time=500, timeout_unit="ms")
async def test_auto_steering(dut):
    """Automatic steering: with 4 pairs active a flow sent on transmitq k comes back (the
    other direction) on receiveq k; unknown flows land on flow hash % pairs_active (or where
    a flow of the same slot was sent), frames that are no flow on receiveq 0; VQ_PAIRS_SET 3
    moves the flows of pair 3; VQ_PAIRS_SET 1 puts everything on 0 and learns nothing;
    a device reset forgets the flows."""
    n = pairs_of(dut)
    dev = await new_device(dut)
    rxs, txs, ctrl, ts = await steer_up(dev, n)
    ref = AutoRef()
    # pairs_active 1 after reset: nothing is learned
    flows = [(dev.rng.randrange(n), make(dev.rng, dev.rng.choice(FLOW_KINDS))) for _ in range(8)]
    await send_flows(dev, txs, ts, ref, flows)
    for active in (n, n - 1, 1, n):
        assert await ctrl_run(dev, ctrl, pairs_set(active)) == (1, OK)
        ref.active = active
        flows = [(dev.rng.randrange(n), make(dev.rng, dev.rng.choice(FLOW_KINDS)))
                 for _ in range(24)]
        await send_flows(dev, txs, ts, ref, flows)
        frames = [reverse(f) for _, f in flows]
        frames += [make(dev.rng, dev.rng.choice(FLOW_KINDS)) for _ in range(16)]      # unknown
        frames += [make(dev.rng, k) for k in ("frag4", "ext6", "icmp4", "arp", "short", "trunc_l4",
                                              "ip_beyond")]                          # no flow
        dev.rng.shuffle(frames)
        queues = [ref.queue(f) for f in frames]
        if active == n:
            for pair, f in flows:
                assert ref.queue(reverse(f)) == pair or flow_hash(f) % 256 in \
                    [flow_hash(g) % 256 for p, g in flows if p != pair]
        await deliver(dev, rxs, ts, frames, queues)
    # a device reset clears the flow table
    rxs, txs, ctrl, ts = await steer_up(dev, n)
    assert await ctrl_run(dev, ctrl, pairs_set(n)) == (1, OK)
    ref = AutoRef()
    ref.active = n
    frames = [reverse(f) for _, f in flows]
    await deliver(dev, rxs, ts, frames, [ref.queue(f) for f in frames])


# ---------------------------------------------------------------- HASH_REPORT
def hash_hdr(types, key, frame):
    """The 8 bytes virtio_net_hdr_v1_hash adds: le32 hash_value, le16 hash_report, 2 zero."""
    value, report = hash_report(types, key, frame)
    return struct.pack("<IHxx", value, report)


def few_in_flight(mrgs):
    """At most 3 frames sent and not yet delivered (MrgRx problems raised)."""
    for m in mrgs:
        m.check()
    return sum(len(m.expect) for m in mrgs) <= 3


async def hash_deliver(dev, rxs, mrgs, frames, queues, hdrs):
    """Each frame onto its receive queue over chains of 1..40 bytes (most smaller than
    the 20-byte header): MrgRx checks header (num_buffers, hash_value, hash_report) and
    frame as one byte stream, frame by frame, as used.idx is written."""
    rng = dev.rng
    for f, q, h in zip(frames, queues, hdrs, strict=True):
        r = mrgs[q]
        if len(r.posted) < regs.VIONIC_RX_MAX_BUFFERS:
            while len(r.posted) < regs.VIONIC_RX_MAX_BUFFERS:
                r.post(rng.randint(1, 40))
            await rxs[q].kick()
        await wait_for(dev, lambda: few_in_flight(mrgs), what="frames in flight delivered")
        r.send(f, h)
        await dev.rx_src.send(AxiStreamFrame(f))
    for m in mrgs:
        await m.delivered()
    for k, m in enumerate(mrgs):
        assert (await dev.qstat(2 * k))["drops"] == m.drops, f"receiveq {k}: drops"


async def hash_tx(dev, tx, pair):
    """Frames with a 20-byte header (its 8 added bytes random, NEEDS_CSUM on some), over 1..3
    descriptors (the header may straddle them), and chains of 15 and 20 bytes (no frame):
    the wire gets what the 12-byte reference (tx_ref) gives; the size drops are counted."""
    rng, m = dev.rng, dev.mem
    cases = [tx_case(rng, rng.choice(["l4", "l4", "none", "csum", "bad"]))[:4] for _ in range(30)]
    cases += [(b"", 0, 0, 0), (None, 0, 0, 0), (bytes(MAX_FRAME + 1), 0, 0, 0)]
    rng.shuffle(cases)
    want, drops = [], 0
    for frame, flags, start, off in cases:
        hdr = struct.pack("<BBHHHHH", flags, 0, 0, 0, start, off, 0)
        extra = bytes(rng.getrandbits(8) for _ in range(8))
        buf = (hdr + extra)[:15] if frame is None else hdr + extra + frame
        pos, parts = 0, []
        for n in split_segments(rng, len(buf), 3):
            a = m.alloc(n, rng.choice([1, 2, 64]))
            m.write(a, buf[pos:pos + n])
            parts.append((a, n, False))
            pos += n
        tx.add(parts)
        if not frame or len(frame) > MAX_FRAME:
            drops += 1
            continue
        out, drop, _, _ = tx_ref(frame, flags, start, off, True)
        drops += drop
        if not drop:
            want.append(out)
    await tx.kick()
    for i, exp in enumerate(want):
        f = await dev.tx_sink.recv()
        assert not f.tuser and bytes(f.tdata) == exp, f"transmitq {pair}: frame {i} differs"
    await wait_for(dev, lambda: tx.used_idx() == len(cases), what="TX used entries")
    tx.reap()
    await dev.cycles(200)
    assert dev.tx_sink.count() == 0, f"transmitq {pair}: a dropped frame was sent"
    assert (await dev.qstat(2 * pair + 1))["drops"] == drops, f"transmitq {pair}: drops"


@cocotb.test(timeout_time=1500, timeout_unit="ms")
async def test_hash_report(dut):
    """HASH_REPORT negotiated (with CSUM and MRG_RXBUF): TX frames behind a 20-byte header
    leave intact; every received frame's 20-byte header carries the hash and report type
    rss_ref gives for the configuration in use: none yet (0, NONE), HASH_CONFIG (steering
    stays automatic), RSS_CONFIG (steered by its table), HASH_CONFIG after it (automatic
    steering over max_tx_vq pairs); a HASH_CONFIG with a reserved byte too many is ERR."""
    n = pairs_of(dut)
    dev = await new_device(dut)
    rxs, txs, ctrl = await mq_bring_up(dev, n, features=FEATURES | HASH_REPORT, size=256)
    for k in range(n):   # pairs_active 1: no flow is learned
        await hash_tx(dev, txs[k], k)
    mrgs = [MrgRx(dev, rxs[k]) for k in range(n)]
    ref = AutoRef()

    frames = mixed_frames(dev.rng, 30)
    await hash_deliver(dev, rxs, mrgs, frames, [0] * len(frames),
                       [hash_hdr(0, b"", f) for f in frames])

    key = bytes(dev.rng.getrandbits(8) for _ in range(dev.rng.randint(1, 40)))
    assert await ctrl_run(dev, ctrl, hash_config_command(0x3F, key) + b"\x00") == (1, ERR)
    assert await ctrl_run(dev, ctrl, hash_config_command(0x3F, key)) == (1, OK)
    frames = mixed_frames(dev.rng, 60)
    await hash_deliver(dev, rxs, mrgs, frames, [0] * len(frames),
                       [hash_hdr(0x3F, key, f) for f in frames])

    cfg = random_config(dev.rng, n)
    assert await ctrl_run(dev, ctrl, cfg.command()) == (1, OK)
    frames = mixed_frames(dev.rng, 60)
    await hash_deliver(dev, rxs, mrgs, frames, [rss_queue(cfg, f) for f in frames],
                       [hash_hdr(cfg.hash_types, cfg.key, f) for f in frames])

    types = dev.rng.randrange(64)
    assert await ctrl_run(dev, ctrl, hash_config_command(types, MS_KEY)) == (1, OK)
    ref.active = cfg.max_tx_vq
    frames = mixed_frames(dev.rng, 60)
    await hash_deliver(dev, rxs, mrgs, frames, [ref.queue(f) for f in frames],
                       [hash_hdr(types, MS_KEY, f) for f in frames])
    # frames did spread over chains (num_buffers > 1), headers across chains of 1..19 bytes
    assert max(m.max_entries for m in mrgs) > 2
    assert await dev.rd32(regs.VIONIC_REG_ERR_CODE) == 0

