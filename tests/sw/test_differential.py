"""The same seeded traffic through the software model and the Verilated RTL
must give the same frames on the wire, the same received frames and the same
counters: a difference is a bug in one of them."""

import random
import struct

import numpy as np
import pytest
from rss_ref import RssConfig, hash_config_command
from rss_traffic import PAIRS, landings, random_frame
from vdriver import ForeignDriver

import vionic
from swutil import connect_partner, mac_of, make_frame, random_l4, recv_exactly, wait_for
from swutil import stage_counters as counters
from vionic import regs


def run_traffic(backend: str, seed: int, tmp_path) -> dict:
    rng = random.Random(seed)
    path = str(tmp_path / f"{backend}.sock")
    with vionic.open(backend, wire=f"unix:{path}", rx_ring_size=128, tx_ring_size=64) as dev:
        peer = connect_partner(dev, path)
        dst = mac_of(dev)
        # transmit: random sizes and bursts, more than the ring holds
        tx = [make_frame(rng, rng.randint(60, 1514), dst, i) for i in range(300)]
        i = 0
        while i < len(tx):
            n = rng.randint(1, 64)
            dev.send(tx[i:i + n])
            i += n
        on_wire = [peer.recv(65536) for _ in tx]
        # an oversized TX frame (raw descriptor): dropped and counted by the device
        iova, size, _ = dev.dma_window()
        dev.debug_write_desc(1, 0, iova + size - 4096, 12 + 1600, 0, 0)
        dev.debug_post(1, 0)
        assert wait_for(lambda: dev.stats()["device"]["tx"]["drops"] == 1)
        # receive: random frames, one too large for any buffer, one runt
        inbound = [make_frame(rng, rng.randint(60, 1514), dst, 1000 + i) for i in range(200)]
        inbound.insert(50, bytes(3000))
        delivered = [f for f in inbound if len(f) <= 1514]
        got = []
        for k in range(0, len(inbound), 40):
            for f in inbound[k:k + 40]:
                peer.send(f)
            got.extend(recv_exactly(dev, len([f for f in inbound[k:k + 40] if len(f) <= 1514])))
        rows, lens = dev.recv_batch(16, timeout=0.2)           # nothing more may arrive
        st = dev.stats()
        peer.close()
    return {"on_wire": on_wire, "tx": tx, "received": got, "delivered": delivered,
            "extra": len(lens), "device": {k: st["device"][k] for k in ("rx", "tx")},
            "error": st["error"]["code"]}


def test_model_and_rtl_agree_on_seeded_traffic(seed, tmp_path):
    model = run_traffic("model", seed, tmp_path)
    rtl = run_traffic("rtl", seed, tmp_path)
    for name, r in (("model", model), ("rtl", rtl)):
        assert r["on_wire"] == r["tx"], f"{name}: frames on the wire differ from those sent"
        assert r["received"] == r["delivered"], f"{name}: received frames differ"
        assert r["extra"] == 0 and r["error"] == 0
    assert model["on_wire"] == rtl["on_wire"]
    assert model["received"] == rtl["received"]
    assert model["device"] == rtl["device"], "device counters differ"
    tx_bytes = int(np.sum([len(f) for f in model["tx"]]))
    assert model["device"]["tx"] == {"packets": 300, "bytes": tx_bytes, "drops": 1, "errors": 0}
    assert model["device"]["rx"]["drops"] == 1
    assert model["device"]["rx"]["packets"] == 201                # the probe and 200 frames


def run_offload_traffic(backend: str, seed: int, tmp_path) -> dict:
    """Seeded TCP/UDP frames both ways with checksum offload: TX frames whose
    checksum field holds garbage (completed by the device), RX frames with
    right, wrong and unmarkable checksums."""
    rng = random.Random(seed)
    path = str(tmp_path / f"{backend}-csum.sock")
    with vionic.open(backend, wire=f"unix:{path}") as dev:
        peer = connect_partner(dev, path)
        tx = []
        for _ in range(120):
            raw = bytearray(bytes(random_l4(rng, b"\x02\0\0\0\0\x01")))
            raw[-1] ^= rng.randrange(2)                      # some payload change
            tx.append(bytes(raw))
        dev.send(tx, csum=True)
        on_wire = [peer.recv(65536) for _ in tx]
        inbound = []
        for _ in range(120):
            raw = bytearray(bytes(random_l4(rng, mac_of(dev))))
            if rng.random() < 0.3:
                raw[rng.randrange(14, len(raw))] ^= 1 << rng.randrange(8)   # anywhere
            inbound.append(bytes(raw).ljust(60, b"\0"))
        got = []
        for k in range(0, len(inbound), 40):
            for f in inbound[k:k + 40]:
                peer.send(f)
            got.extend(recv_exactly(dev, len(inbound[k:k + 40])))
        result = {"on_wire": on_wire, "received": [bytes(f) for f in got],
                  "valid": [f.csum_valid for f in got],
                  "tx_stage": counters(dev, regs.VIONIC_STAGE_TX_CSUM),
                  "rx_stage": counters(dev, regs.VIONIC_STAGE_RX_CSUM),
                  "device": {k: dev.stats()["device"][k] for k in ("rx", "tx")}}
        peer.close()
    return result


def test_model_and_rtl_agree_on_checksum_offload(seed, tmp_path):
    model = run_offload_traffic("model", seed, tmp_path)
    rtl = run_offload_traffic("rtl", seed, tmp_path)
    for key in ("on_wire", "received", "valid", "tx_stage", "rx_stage", "device"):
        assert model[key] == rtl[key], f"{key} differs between the model and the RTL"
    assert model["tx_stage"] == (120, 0)
    assert 0 < sum(model["valid"]) < 120 and model["rx_stage"][1] > 0


def run_merged_rx(backend: str, seed: int) -> dict:
    """Seeded jumbo frames (MTU 9000) over seeded RX chains of a foreign
    driver with MRG_RXBUF: which chains each frame took, their used lengths,
    and the frames, including a frame dropped for want of buffers."""
    rng = random.Random(seed)
    with vionic.open(backend, wire="loopback", start=False, mtu=9000) as dev:
        drv = ForeignDriver(dev, size=256, mem_size=8 << 20)
        try:
            layouts: list[list[int]] = []
            while sum(map(len, layouts)) < 200:
                layouts.append([rng.randint(1, 1500) for _ in range(rng.randint(1, 3))])
            drv.post_rx_chains(layouts, kick=False)
            drv.start()
            dst, got, frames = mac_of(dev), [], []
            caps = [sum(lay) for lay in layouts]         # the chains not yet used
            while sum(caps) > 3 * 9026:                  # stop before the buffers run out
                f = make_frame(rng, rng.randint(60, 9014), dst, len(frames))
                frames.append(f)
                k = next(i for i in range(len(caps) + 1) if sum(caps[:i]) >= 12 + len(f))
                caps = caps[k:]                          # whole chains, the last one too
                drv.send([f])
                want = len(frames)
                assert wait_for(lambda: got.extend(drv.received_frames()) or
                                len(got) >= want, 10.0)  # noqa: B023 (read at once)
                drv.tx_done()
            big = make_frame(rng, 9014, dst, 999)
            drv.send([big, big, big, big])               # more than the buffers hold
            assert wait_for(lambda: dev.stats()["device"]["rx"]["drops"] >= 1, 10.0)
            wait_for(lambda: got.extend(drv.received_frames()) or False, 0.5)
            return {"frames": frames, "got": got,
                    "device": {k: dev.stats()["device"][k] for k in ("rx", "tx")}}
        finally:
            drv.close()


def test_model_and_rtl_agree_on_merged_rx_buffers(seed):
    model, rtl = run_merged_rx("model", seed), run_merged_rx("rtl", seed)
    assert [f for _, f, _ in model["got"][:len(model["frames"])]] == model["frames"]
    assert model["got"] == rtl["got"], "headers, frames or used lengths differ"
    assert model["device"] == rtl["device"], "device counters differ"
    assert model["device"]["rx"]["drops"] >= 1


def run_steering(backend: str, seed: int) -> dict:
    """Seeded frames through a foreign driver with PAIRS queue pairs on the
    loopback wire: automatic steering (each pair sending in turn, so the
    flows it sent come back to it), then RSS_CONFIG and HASH_CONFIG with
    seeded keys and tables; where each frame landed and its header (with
    HASH_REPORT's hash and report type)."""
    rng = random.Random(seed)
    with vionic.open(backend, wire="loopback", start=False, queue_pairs=PAIRS) as dev:
        offered = dev.info()["device_features"]
        if not offered & 1 << regs.VIRTIO_NET_F_RSS:
            pytest.skip(f"the {backend} device with {PAIRS} queue pairs has no receive "
                        "steering (RSS not offered)")
        drv = ForeignDriver(dev, size=128, pairs=PAIRS, mem_size=16 << 20,
                            features=offered & ~(1 << regs.VIRTIO_F_NOTIFICATION_DATA))
        try:
            for qp in range(PAIRS):
                drv.post_rx_chains([[2048]] * 96, kick=False, qp=qp)
            drv.start()
            dst, out = mac_of(dev).hex(":"), []
            assert drv.ctrl(struct.pack("<BBH", regs.VIRTIO_NET_CTRL_MQ,
                                        regs.VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, PAIRS)) == (1, 0)
            for qp in range(PAIRS):
                frames = list(dict.fromkeys(random_frame(rng, dst) for _ in range(24)))
                out.append(sorted(landings(drv, frames, qp).items()))
            for command in (RssConfig(rng.randrange(64), [rng.randrange(PAIRS) for _ in
                                                          range(rng.choice([1, 16, 128]))],
                                      rng.randrange(PAIRS), rng.randbytes(rng.randint(1, 40)),
                                      rng.randint(1, PAIRS)).command(),
                            hash_config_command(rng.randrange(64), rng.randbytes(40))):
                assert drv.ctrl(command) == (1, 0)
                frames = list(dict.fromkeys(random_frame(rng, dst) for _ in range(48)))
                out.append(sorted(landings(drv, frames).items()))
            return {"landed": out, "device": {k: dev.stats()["device"][k] for k in ("rx", "tx")},
                    "error": dev.stats()["error"]["code"]}
        finally:
            drv.close()


def test_model_and_rtl_agree_on_steering_rss_and_hash_report(seed):
    model, rtl = run_steering("model", seed), run_steering("rtl", seed)
    assert model["error"] == rtl["error"] == 0
    for phase, (m, r) in enumerate(zip(model["landed"], rtl["landed"], strict=True)):
        assert m == r, f"phase {phase}: queues or headers differ"
    assert model["device"] == rtl["device"], "device counters differ"
