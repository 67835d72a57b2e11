"""Linux networking for vionic's topologies and tests, on pyroute2.

Network namespaces, TAPs, veths, addresses, routes, link state and MTU, each
a context manager that removes what it made on the way out, exception or
not. Everything vionic creates carries PREFIX in its name, so `cleanup()`
(`vionic net cleanup`) finds what a killed run left behind and removes only
that.

    with net.netns("vio-a") as a:
        a.addr("vio-a0", "10.7.0.1/24")
        a.run(["ping", "-c", "3", "10.7.0.2"])
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from pyroute2 import IPRoute
from pyroute2 import netns as _netns
from pyroute2.netlink.exceptions import NetlinkError

from .errors import InvalidArgument, NetError

PREFIX = "vio-"          # namespaces and interfaces that vionic owns
NETNS_DIR = "/run/netns"


CAP_NET_ADMIN = 12


def _have_net_admin() -> bool:
    """CAP_NET_ADMIN in the effective set (root without it cannot either)."""
    try:
        with open("/proc/self/status") as f:
            caps = next(int(line.split()[1], 16) for line in f if line.startswith("CapEff:"))
    except (OSError, StopIteration, ValueError):
        return os.geteuid() == 0
    return bool(caps >> CAP_NET_ADMIN & 1)


def _need_root() -> None:
    if not _have_net_admin():
        raise NetError("network namespaces and interfaces need root (CAP_NET_ADMIN); "
                       "run as root")


def _ipr(ns: str | None) -> IPRoute:
    return IPRoute(netns=ns) if ns else IPRoute()


class Namespace:
    """A network namespace by name (None: the caller's own)."""

    def __init__(self, name: str | None):
        self.name = name

    def __repr__(self) -> str:
        return f"<vionic.net.Namespace {self.name or '(own)'}>"

    def _index(self, ipr: IPRoute, ifname: str) -> int:
        found = ipr.link_lookup(ifname=ifname)
        if not found:
            raise NetError(f"no interface {ifname!r} in namespace {self.name or '(own)'}")
        return found[0]

    def _link(self, ifname: str, **attrs) -> None:
        with _ipr(self.name) as ipr:
            try:
                ipr.link("set", index=self._index(ipr, ifname), **attrs)
            except NetlinkError as e:
                raise NetError(f"{ifname} in {self.name or '(own)'}: {attrs}: {e}") from None

    def up(self, ifname: str) -> None:
        self._link(ifname, state="up")

    def down(self, ifname: str) -> None:
        self._link(ifname, state="down")

    def set_mtu(self, ifname: str, mtu: int) -> None:
        self._link(ifname, mtu=mtu)

    def link(self, ifname: str) -> dict:
        """State of an interface: operstate, carrier, mtu, address."""
        with _ipr(self.name) as ipr:
            msg = ipr.get_links(self._index(ipr, ifname))[0]
        return {"operstate": msg.get("IFLA_OPERSTATE"), "carrier": msg.get("IFLA_CARRIER"),
                "mtu": msg.get("IFLA_MTU"), "mac": msg.get("IFLA_ADDRESS")}

    def interfaces(self) -> list[str]:
        with _ipr(self.name) as ipr:
            return [m.get("IFLA_IFNAME") for m in ipr.get_links()]

    def addr(self, ifname: str, cidr: str, up: bool = True) -> None:
        """Adds address `cidr` ("10.0.0.1/24") to ifname, and brings it up."""
        address, _, plen = cidr.partition("/")
        with _ipr(self.name) as ipr:
            index = self._index(ipr, ifname)
            try:
                ipr.addr("add", index=index, address=address, prefixlen=int(plen or 32))
                if up:
                    ipr.link("set", index=index, state="up")
            except NetlinkError as e:
                raise NetError(f"address {cidr} on {ifname}: {e}") from None

    def route(self, dst: str, gateway: str) -> None:
        with _ipr(self.name) as ipr:
            try:
                ipr.route("add", dst=dst, gateway=gateway)
            except NetlinkError as e:
                raise NetError(f"route {dst} via {gateway}: {e}") from None

    def neigh(self, ifname: str, ip: str, mac: str) -> None:
        """A permanent ARP entry (lets a test run without ARP)."""
        with _ipr(self.name) as ipr:
            ipr.neigh("replace", dst=ip, lladdr=mac, ifindex=self._index(ipr, ifname),
                      state="permanent")

    def _enter(self) -> None:
        if self.name:
            _netns.setns(self.name)

    def popen(self, cmd: list[str], **kw) -> subprocess.Popen:
        """Starts cmd inside the namespace (its own session, so stop() ends
        it and what it started)."""
        return subprocess.Popen(cmd, preexec_fn=self._enter, start_new_session=True, **kw)

    def run(self, cmd: list[str], timeout: float = 120, check: bool = True,
            **kw) -> subprocess.CompletedProcess:
        """Runs cmd inside the namespace, capturing its output as text."""
        p = self.popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop(p)
            raise NetError(f"{' '.join(cmd)} in {self.name}: no answer in {timeout} s") from None
        res = subprocess.CompletedProcess(cmd, p.returncode, out, err)
        if check and p.returncode:
            raise NetError(f"{' '.join(cmd)} in {self.name} exited {p.returncode}: "
                           f"{(err or out).strip()[-500:]}")
        return res


def stop(p: subprocess.Popen, timeout: float = 5.0) -> None:
    """Ends a process started by Namespace.popen and everything it started."""
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        except ProcessLookupError:
            pass


def _check_name(name: str, what: str) -> None:
    if not isinstance(name, str) or not name.startswith(PREFIX):
        raise InvalidArgument(f"{what} {name!r}: vionic.net makes only names that start with "
                              f"{PREFIX!r} (so that cleanup() can find them)")


def _sysctl_in(name: str, key: str, value: str) -> None:
    """Writes /proc/sys/<key> as seen from inside namespace `name`."""
    _netns.pushns(name)
    try:
        with open(f"/proc/sys/{key}", "w") as f:
            f.write(value)
    finally:
        _netns.popns()


@contextmanager
def netns(name: str, ipv6: bool = False) -> Iterator[Namespace]:
    """A new network namespace (lo up), removed on exit. IPv6 is off unless
    asked for, so that only the traffic a test makes crosses its NICs (no
    router solicitations, no MLD reports)."""
    _need_root()
    _check_name(name, "namespace")
    if name in _netns.listnetns():
        raise NetError(f"network namespace {name!r} exists already; remove it (vionic net "
                       "cleanup) or pick another name")
    _netns.create(name)
    try:
        ns = Namespace(name)
        if not ipv6:
            for scope in ("all", "default"):
                _sysctl_in(name, f"net/ipv6/conf/{scope}/disable_ipv6", "1")
        ns.up("lo")
        yield ns
    finally:
        _netns.remove(name)


@contextmanager
def tap(ifname: str, ns: str | None = None, mtu: int | None = None) -> Iterator[str]:
    """A persistent TAP interface (for a server's tap: wire to attach to),
    removed on exit."""
    _need_root()
    _check_name(ifname, "interface")
    with _ipr(ns) as ipr:
        try:
            ipr.link("add", ifname=ifname, kind="tuntap", mode="tap")
        except NetlinkError as e:
            raise NetError(f"TAP {ifname}: {e}") from None
    try:
        if mtu:
            Namespace(ns).set_mtu(ifname, mtu)
        yield ifname
    finally:
        _delete_link(ns, ifname)


@contextmanager
def veth(a: str, b: str, ns_a: str | None = None, ns_b: str | None = None) -> Iterator[tuple]:
    """A veth pair a <-> b, each end in its namespace, up; removed on exit."""
    _need_root()
    _check_name(a, "interface")
    _check_name(b, "interface")
    with _ipr(ns_a) as ipr:
        try:
            ipr.link("add", ifname=a, kind="veth", peer={"ifname": b})
            if ns_b != ns_a:
                ipr.link("set", index=ipr.link_lookup(ifname=b)[0], net_ns_fd=ns_b or 1)
        except NetlinkError as e:
            raise NetError(f"veth {a} <-> {b}: {e}") from None
    try:
        Namespace(ns_a).up(a)
        Namespace(ns_b).up(b)
        yield a, b
    finally:
        _delete_link(ns_a, a)   # takes its peer with it


def _delete_link(ns: str | None, ifname: str) -> bool:
    try:
        with _ipr(ns) as ipr:
            found = ipr.link_lookup(ifname=ifname)
            if found:
                ipr.link("del", index=found[0])
                return True
    except (NetlinkError, OSError):
        pass
    return False


def cleanup() -> list[str]:
    """Removes every namespace and interface (of this namespace) whose name
    starts with PREFIX, and the processes left in those namespaces; returns
    what it removed."""
    _need_root()
    removed = []
    for name in _netns.listnetns():
        if name.startswith(PREFIX):
            _kill_in(name)
            _netns.remove(name)
            removed.append(f"netns {name}")
    for ifname in Namespace(None).interfaces():
        if ifname and ifname.startswith(PREFIX) and _delete_link(None, ifname):
            removed.append(f"link {ifname}")
    return removed


def _kill_in(name: str) -> None:
    """SIGKILL to the processes whose network namespace is `name`."""
    try:
        target = os.stat(os.path.join(NETNS_DIR, name)).st_ino
    except OSError:
        return
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}/ns/net").st_ino == target and int(pid) != os.getpid():
                os.kill(int(pid), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            pass


__all__ = ["PREFIX", "NetError", "Namespace", "netns", "tap", "veth", "cleanup", "stop"]
