"""An independent reference of RSS (VIRTIO 1.2 §5.1.6.4.3, §5.1.6.5.7):
the Toeplitz hash as the Microsoft RSS specification defines it, and the
receive queue a frame goes to under an RSS configuration. Written from those
texts and include/vionic/regs.h's rule, not from the model or the RTL."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from vionic import regs

IPV4, TCPV4, UDPV4 = (regs.VIRTIO_NET_RSS_HASH_TYPE_IPv4, regs.VIRTIO_NET_RSS_HASH_TYPE_TCPv4,
                      regs.VIRTIO_NET_RSS_HASH_TYPE_UDPv4)
IPV6, TCPV6, UDPV6 = (regs.VIRTIO_NET_RSS_HASH_TYPE_IPv6, regs.VIRTIO_NET_RSS_HASH_TYPE_TCPv6,
                      regs.VIRTIO_NET_RSS_HASH_TYPE_UDPv6)

# The key of the specification's verification examples
MS_KEY = bytes.fromhex("6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b4"
                       "77cb2da38030f20c6a42b73bbeac01fa")


def toeplitz(key: bytes, data: bytes) -> int:
    """ComputeHash: for each bit of the input from the left, when it is 1
    XOR the left-most 32 bits of K into the result; then shift K left."""
    k, kbits, result = int.from_bytes(key, "big"), 8 * len(key), 0
    for i in range(8 * len(data)):
        if data[i // 8] >> (7 - i % 8) & 1:
            shift = kbits - 32 - i
            window = k >> shift if shift >= 0 else k << -shift
            result ^= window & 0xFFFFFFFF
    return result


@dataclass
class RssConfig:
    hash_types: int
    table: list[int]          # 0-based receive queues, a power-of-two count
    unclassified: int
    key: bytes
    max_tx_vq: int

    def command(self) -> bytes:
        """VIRTIO_NET_CTRL_MQ_RSS_CONFIG with its data."""
        return (struct.pack("<BBIHH", regs.VIRTIO_NET_CTRL_MQ, regs.VIRTIO_NET_CTRL_MQ_RSS_CONFIG,
                            self.hash_types, len(self.table) - 1, self.unclassified)
                + struct.pack(f"<{len(self.table)}H", *self.table)
                + struct.pack("<HB", self.max_tx_vq, len(self.key)) + self.key)


def hash_input(frame: bytes, types: int) -> bytes | None:
    """The bytes hashed: addresses, and ports where a TCP/UDP type applies;
    None when no type applies."""
    off, etype = 14, int.from_bytes(frame[12:14], "big")
    if etype == 0x8100 and len(frame) >= 18:
        off, etype = 18, int.from_bytes(frame[16:18], "big")
    ip = frame[off:]
    if etype == 0x0800 and len(ip) >= 20 and ip[0] >> 4 == 4 and ip[0] & 15 >= 5:
        ihl = (ip[0] & 15) * 4
        fragment = int.from_bytes(ip[6:8], "big") & 0x3FFF
        want = {6: TCPV4, 17: UDPV4}.get(ip[9], 0)
        if not fragment and want & types and len(ip) >= ihl + 4:
            return ip[12:20] + ip[ihl:ihl + 4]
        return ip[12:20] if types & IPV4 else None
    if etype == 0x86DD and len(ip) >= 40 and ip[0] >> 4 == 6:
        want = {6: TCPV6, 17: UDPV6}.get(ip[6], 0)
        if want & types and len(ip) >= 44:
            return ip[8:40] + ip[40:44]
        return ip[8:40] if types & IPV6 else None
    return None


def rss_queue(cfg: RssConfig, frame: bytes) -> int:
    data = hash_input(frame, cfg.hash_types)
    if data is None:
        return cfg.unclassified
    return cfg.table[toeplitz(cfg.key, data) & (len(cfg.table) - 1)]


def hash_report(types: int, key: bytes, frame: bytes) -> tuple[int, int]:
    """(hash_value, hash_report) that VIRTIO_NET_F_HASH_REPORT puts in the
    header (§5.1.6.4.3): the report type names what was hashed."""
    data = hash_input(frame, types)
    if data is None:
        return 0, regs.VIRTIO_NET_HASH_REPORT_NONE
    off = 18 if frame[12:14] == b"\x81\x00" else 14
    v4 = len(data) in (8, 12)
    proto = frame[off + 9] if v4 else frame[off + 6]
    if len(data) in (8, 32):
        report = regs.VIRTIO_NET_HASH_REPORT_IPv4 if v4 else regs.VIRTIO_NET_HASH_REPORT_IPv6
    elif proto == 6:
        report = regs.VIRTIO_NET_HASH_REPORT_TCPv4 if v4 else regs.VIRTIO_NET_HASH_REPORT_TCPv6
    else:
        report = regs.VIRTIO_NET_HASH_REPORT_UDPv4 if v4 else regs.VIRTIO_NET_HASH_REPORT_UDPv6
    return toeplitz(key, data), report


def hash_config_command(types: int, key: bytes) -> bytes:
    """VIRTIO_NET_CTRL_MQ_HASH_CONFIG with its data."""
    return (struct.pack("<BBI8xB", regs.VIRTIO_NET_CTRL_MQ, regs.VIRTIO_NET_CTRL_MQ_HASH_CONFIG,
                        types, len(key)) + key)
