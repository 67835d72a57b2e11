"""`make demo`: frames from Python through the PMD, over the sim link, through
the software NIC model's virtqueues to a loopback wire and back, checked
byte for byte; then the PMD's own rate from the C measurement loop; last, a
ping between two network namespaces through two model NICs on a cable (as
root with /dev/net/tun; otherwise it says why it skipped that part)."""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from . import bench, regs
from .device import open as open_device
from .features import feature_names

FRAMES = 5000
BATCH = 64


def make_frames(rng: np.random.Generator, mac: bytes, count: int,
                largest: int) -> list[bytes]:
    sizes = rng.integers(regs.VIONIC_MIN_FRAME, largest + 1, size=count)
    src = bytes.fromhex("020000000001")
    frames = []
    for i, size in enumerate(sizes):
        payload = rng.integers(0, 256, size=int(size) - 18, dtype=np.uint8).tobytes()
        frames.append(mac + src + b"\x88\xb5" + i.to_bytes(4, "little") + payload)
    return frames


def linux_ping() -> bool:
    """ns vio-a -> NIC a -> cable -> NIC b -> ns vio-b, 20 pings. True unless
    it ran and failed."""
    from . import net, topology
    from .sysdeps import missing

    print("Linux: ping between two namespaces through two model NICs on a cable")
    why = ("not root" if os.geteuid() != 0 else
           "no /dev/net/tun" if not os.access("/dev/net/tun", os.R_OK | os.W_OK) else
           "ping is not installed (apt-get install iputils-ping)" if missing(["ping"]) else None)
    if why:
        print(f"         skipped: {why}\n")
        return True
    net.cleanup()
    with topology.pair("model", "model") as t:
        res = topology.ping(t.ns["a"], t.ip["b"], count=20)
    print(f"         {t.ns['a'].name} ({t.ip['a']}) -> {t.ns['b'].name} ({t.ip['b']}): "
          f"{res['received']}/{res['transmitted']} answered, rtt min/avg/max "
          f"{res.get('min_ms', 0):.3f}/{res.get('avg_ms', 0):.3f}/{res.get('max_ms', 0):.3f} ms\n")
    return res["received"] == res["transmitted"]


def main() -> int:
    seed = int(os.environ.get("VIONIC_SEED", time.time_ns() % 2**32))
    rng = np.random.default_rng(seed)
    print(f"vionic demo (seed {seed}; VIONIC_SEED={seed} repeats it)\n")
    with open_device("model", wire="loopback") as nic:
        info = nic.info()
        print(f"device   model behind {nic.server.uri}")
        print(f"         mac {info['mac']}  mtu {info['mtu']}  rings rx {info['rx_ring_size']} "
              f"tx {info['tx_ring_size']}")
        print(f"         features {' '.join(feature_names(info['driver_features']))}\n")
        mac = bytes.fromhex(info["mac"].replace(":", ""))
        largest = info["mtu"] + 14
        frames = make_frames(rng, mac, FRAMES, largest)
        received: list[bytes] = []
        t0 = time.perf_counter()
        for start in range(0, FRAMES, BATCH):
            nic.send(frames[start:start + BATCH])
            while len(received) < min(start + BATCH, FRAMES):
                got = nic.recv(BATCH, timeout=2.0)
                if not got:
                    break
                received.extend(got)
        elapsed = time.perf_counter() - t0
        bad = sum(a != b for a, b in zip(frames, received, strict=False))
        nbytes = sum(map(len, frames))
        print(f"python   {FRAMES} frames of {regs.VIONIC_MIN_FRAME}..{largest} bytes sent, "
              f"{len(received)} came back, "
              f"{bad} differ")
        print(f"         {FRAMES / elapsed / 1e3:.1f} kframes/s, "
              f"{nbytes * 8 / elapsed / 1e9:.2f} Gb/s through the Python API\n")
        st = nic.stats()
        dev = st["device"]
        print(f"counters driver  tx {st['tx_packets']} frames {st['tx_bytes']} B, "
              f"rx {st['rx_packets']} frames {st['rx_bytes']} B, doorbells {st['doorbells']}")
        print(f"         device  tx {dev['tx']['packets']} frames {dev['tx']['bytes']} B "
              f"drops {dev['tx']['drops']}, rx {dev['rx']['packets']} frames "
              f"{dev['rx']['bytes']} B drops {dev['rx']['drops']}, error {st['error']['code']}\n")
    ok = len(received) == FRAMES and bad == 0
    print("PMD (C measurement loop, 64-byte frames, 2 s per mode):")
    results = [bench.run_pmd("model", mode, 64, seconds=2.0) for mode in bench.MODES]
    print(bench.table(results))
    print("(make bench measures DPDK's virtio-user <-> vhost beside these, in the same run)\n")
    ok = linux_ping() and ok
    print("demo " + ("passed: every frame came back intact" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
