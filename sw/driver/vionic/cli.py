"""The `vionic` command."""

from __future__ import annotations

import argparse
import json
import sys

from .errors import VionicError


def _server_argv(args, core: str) -> list[str]:
    """Device-server options shared by `vionic model` and `vionic rtl`; says
    where to connect."""
    from .server import check_wire

    check_wire(args.wire)
    argv = ["--socket", args.socket, "--wire", args.wire, "--core", core]
    if args.cpu is not None:
        argv += ["--cpu", str(args.cpu)]
    if args.persist:
        argv.append("--persist")
    if args.queue_pairs is not None:          # the server checks the range
        argv += ["--queue-pairs", str(args.queue_pairs)]
    print(f"vionic: {core} core on sim:{args.socket} (wire {args.wire}); "
          f"connect with vionic.open('sim:{args.socket}')", file=sys.stderr, flush=True)
    return argv


def _cmd_model(args) -> int:
    from .server import run_foreground

    return run_foreground(_server_argv(args, "model"))


def _cmd_rtl(args) -> int:
    import os

    from . import rtl

    binary = str(rtl.server_binary(trace=args.trace is not None,
                                   queue_pairs=1 if args.queue_pairs is None else
                                   args.queue_pairs))
    argv = [binary, *_server_argv(args, "rtl")]
    if args.trace:
        argv += ["--trace", args.trace]
    if args.dma_latency is not None:
        argv += ["--dma-latency", str(args.dma_latency)]
    os.execv(binary, argv)


def _cmd_info(args) -> int:
    from .device import Device
    from .features import feature_names

    with Device(args.uri, start=False) as dev:
        info = dev.info()
        stats = dev.stats()
    if args.json:
        print(json.dumps({"info": info, "stats": stats}))
        return 0
    print(f"device    {args.uri} ({info['impl']}, register map {info['regmap_version']})")
    print(f"mac       {info['mac']}   mtu {info['mtu']}   link "
          f"{'up' if info['link_up'] else 'down'}")
    print(f"queues    {info['max_queue_pairs']} pair(s), rings up to {info['max_ring_size']}")
    print(f"features  {' '.join(feature_names(info['device_features']))}")
    dev_st = stats["device"]
    for name in ("rx", "tx"):
        q = dev_st[name]
        print(f"{name}        packets {q['packets']}  bytes {q['bytes']}  drops {q['drops']}  "
              f"errors {q['errors']}")
    err = stats["error"]
    print(f"error     {err['code']} ({err['text']})   status {dev_st['status']:#04x}   "
          f"cycles {dev_st['cycles']}")
    return 0


def _cmd_bench(args) -> int:
    from . import bench

    if args.what == "rtl":
        result = bench.run_sim_speed(args.mode, args.size, args.seconds, args.burst,
                                     args.queue_pairs)
        if args.json:
            print(json.dumps(result))
        else:
            print(f"RTL core with {args.queue_pairs} queue pair(s), {args.mode} {args.size} B: "
                  f"{result['cycles_per_second'] / 1e6:.2f} M "
                  f"simulated cycles/s, {result['mpps'] * 1e3:.1f} kpps, "
                  f"{result['sim_cycles_per_packet']} cycles/packet")
        return 0
    if args.what == "vdpa":
        from . import bench_vdpa

        bench_vdpa.run(args.out)
        return 0
    if args.what == "dpdk":
        model, dpdk, why = bench.compare_dpdk(args.seconds, log=bench._stderr)
        print(bench.table(model, dpdk) if dpdk else
              f"{bench.table(model)}\nDPDK: not measured ({why}); no ratio")
        print("\n".join(bench.csum_cost(model)))
        return 0
    if args.what == "report":
        from . import report

        print(f"wrote {report.write(args.out)}")
        return 0
    if args.what == "all":
        print(bench.run_all(args.out, seconds=args.seconds))
        return 0
    result = bench.run_pmd(args.backend, args.mode, args.size, args.seconds, args.burst,
                           csum=args.csum)
    print(json.dumps(result) if args.json else bench.table([result]))
    return 0


def _cmd_netdev(args) -> int:
    import signal
    import threading

    from .device import Device
    from .netdev import netdev

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    kw = {"wire": args.wire} if args.uri in ("model", "rtl") else {}
    with Device(args.uri, **kw) as dev, netdev(dev, args.ifname, netns=args.netns) as nd:
        where = f" in namespace {args.netns}" if args.netns else ""
        print(f"vionic: {args.uri} exposed as {args.ifname}{where}; Ctrl-C stops",
              file=sys.stderr, flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        print(json.dumps(nd.stats()))
    return 0


def _cmd_vdpa(args) -> int:
    import signal
    import threading

    from . import vdpa
    from .device import Device

    vdpa.check_path(args.socket)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    kw = {k: v for k, v in (("wire", args.wire), ("mtu", args.mtu), ("pcap", args.pcap))
          if v is not None} if args.uri in ("model", "rtl") else {}
    with Device(args.uri, start=False, **kw) as dev:
        try:
            n = vdpa.serve(dev, args.socket, client=args.client, once=args.once,
                           should_stop=stop.is_set)
        except KeyboardInterrupt:
            n = None
        print(json.dumps({"frontends": n, "stats": dev.stats()}))
    return 0


def _cmd_net(args) -> int:
    from . import net

    removed = net.cleanup()
    print("\n".join(removed) if removed else f"nothing of vionic's ({net.PREFIX}*) to remove")
    return 0


def _cmd_topo(args) -> int:
    from . import topology

    res = topology.figures(args.kind, args.a, args.b, args.mtu, args.count, args.seconds)
    print(json.dumps(res) if args.json else topology.describe(res))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vionic", description="vionic SmartNIC host tools")
    sub = p.add_subparsers(dest="command", required=True)

    m = sub.add_parser("model", help="run a software NIC model server in the foreground")
    m.add_argument("--wire", default="loopback",
                   help="loopback | sink | gen:SIZE | unix:PATH | tap:IFNAME[@NETNS] | pcap:FILE")
    m.add_argument("--socket", default="/tmp/vionic-model.sock", help="vfio-user socket path")
    m.add_argument("--cpu", type=int, help="pin the server to this CPU")
    m.add_argument("--persist", action="store_true",
                   help="keep serving after the client disconnects")
    m.add_argument("--queue-pairs", type=int, help="queue pairs, 1..8 (1; more offer MQ)")
    m.set_defaults(func=_cmd_model)

    r = sub.add_parser("rtl", help="run the Verilated RTL device server in the foreground")
    r.add_argument("--wire", default="loopback",
                   help="loopback | sink | gen:SIZE | unix:PATH | tap:IFNAME[@NETNS] | pcap:FILE")
    r.add_argument("--socket", default="/tmp/vionic-rtl.sock", help="vfio-user socket path")
    r.add_argument("--trace", metavar="FILE.fst", help="write an FST waveform")
    r.add_argument("--dma-latency", type=int, help="host memory read latency, cycles (125)")
    r.add_argument("--cpu", type=int, help="pin the server to this CPU")
    r.add_argument("--persist", action="store_true",
                   help="keep serving after the client disconnects")
    r.add_argument("--queue-pairs", type=int,
                   help="queue pairs, 1..8 (1; more offer MQ; a build for each count)")
    r.set_defaults(func=_cmd_rtl)

    i = sub.add_parser("info", help="features, MAC, MTU, queues and counters of a device")
    i.add_argument("uri", help="model | rtl | sim:PATH | vfio:BDF")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=_cmd_info)

    n = sub.add_parser("netdev", help="expose a NIC's host side as a Linux interface "
                                      "(runs until Ctrl-C)")
    n.add_argument("uri", help="model | rtl | sim:PATH")
    n.add_argument("ifname", help="interface (TAP) to create, e.g. vio-a0")
    n.add_argument("--netns", help="network namespace to create it in (under /run/netns)")
    n.add_argument("--wire", default="loopback", help="the NIC's wire, for model and rtl")
    n.set_defaults(func=_cmd_netdev)

    v = sub.add_parser("vdpa", help="vhost-user backend: a QEMU guest or DPDK virtio-user "
                                    "drives the NIC (runs until Ctrl-C)")
    v.add_argument("uri", help="model | rtl | sim:PATH")
    v.add_argument("--socket", required=True, help="vhost-user socket path")
    v.add_argument("--client", action="store_true",
                   help="connect to a front-end listening on --socket (and reconnect), "
                        "instead of listening there")
    v.add_argument("--once", action="store_true", help="exit after the first front-end")
    v.add_argument("--wire", help="the NIC's wire, for model and rtl (loopback)")
    v.add_argument("--mtu", type=int, help="the NIC's MTU, for model and rtl (1500)")
    v.add_argument("--pcap", help="capture the wire's frames to this file (model, rtl)")
    v.set_defaults(func=_cmd_vdpa)

    c = sub.add_parser("net", help="network helpers")
    c.add_argument("action", choices=["cleanup"],
                   help="cleanup: remove namespaces and interfaces named vio-* that a "
                        "killed run left behind")
    c.set_defaults(func=_cmd_net)

    t = sub.add_parser("topo", help="Linux traffic through NICs: ping and iperf3")
    t.add_argument("kind", choices=["pair", "host"],
                   help="pair: two NICs on a cable, each exposed in a namespace; host: one "
                        "NIC with a tap: wire into a namespace, exposed in another")
    t.add_argument("--a", default="model", choices=["model", "rtl"], help="core of NIC a")
    t.add_argument("--b", default="model", choices=["model", "rtl"], help="core of NIC b")
    t.add_argument("--mtu", type=int, default=1500)
    t.add_argument("--count", type=int, default=100, help="pings")
    t.add_argument("--seconds", type=float, default=3.0, help="each iperf3 run")
    t.add_argument("--json", action="store_true")
    t.set_defaults(func=_cmd_topo)

    b = sub.add_parser("bench", help="throughput measurements")
    b.add_argument("what", choices=["pmd", "rtl", "dpdk", "vdpa", "all", "report"],
                   help="pmd: one PMD measurement; rtl: simulated cycles/s of the RTL core "
                        "with traffic; dpdk: the PMD on the model beside DPDK virtio-user <-> "
                        "vhost, every mode and size, medians of 3; vdpa: DPDK's testpmd and a "
                        "Linux guest against DPDK vhost, vionic vdpa + model and + RTL; all: "
                        "everything (make bench); report: report.md and plots from --out")
    b.add_argument("--backend", default="model", choices=["model", "rtl"])
    b.add_argument("--mode", default="txonly", choices=["txonly", "rxonly", "loop"])
    b.add_argument("--size", type=int, default=64, help="frame bytes, 60..1514")
    b.add_argument("--seconds", type=float, default=5.0)
    b.add_argument("--burst", type=int, default=32)
    b.add_argument("--queue-pairs", type=int, default=1,
                   help="rtl: the core's queue pairs (traffic on pair 0)")
    b.add_argument("--csum", action="store_true",
                   help="pmd: with the checksum offloads at work on every frame")
    b.add_argument("--json", action="store_true", help="print one JSON object")
    b.add_argument("--out", default="bench/results", help="folder of `all` results and the report")
    b.set_defaults(func=_cmd_bench)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except VionicError as e:
        print(f"vionic: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
