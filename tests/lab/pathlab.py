#!/usr/bin/env python3
"""Routed labs for the path probe (issue 17): network namespaces joined by veth
pairs, forwarding routers, addresses in 198.18.0.0/15. No netem, nft or iptables
here: a silent hop is a router whose own ICMP is blackholed by policy routing
(`ip rule iif lo ipproto icmp` -> blackhole: it still forwards, but never says
"time exceeded"), a rate-limited hop one whose kernel answers at most one ICMP
error a second to each prober after a burst of 6 (net.ipv4.icmp_ratelimit 1000). Elsewhere ICMP errors
are not limited (icmp_ratelimit 0) and come from the interface the probe came in
on (icmp_errors_use_inbound_ifaddr), as on real routers.

    chain_lab(): site - r1 - r2 - r3 - target          (198.18.1.2)
    shared_lab(): s1, s2, s3 on one LAN behind the shared router `shared`,
                  s4 behind its own router `own`, both towards `core` and the
                  target 198.18.1.2; `alt` between shared and core for a route
                  change (lab.route_change()); lab.degrade(role) congests a
                  link with tbf, lab.management(net) joins the sites to the
                  host on a LAN of their own (198.19.net.0/24) for a broker.

Namespaces are named path<pid>-<n>-<role>; everything is removed when the
`with` block ends, on an exception or at interpreter exit. By hand (root):
    python3 tests/lab/pathlab.py chain|shared    build one, run traceroute -n from each site
"""
import atexit
import itertools
import os
import subprocess
import sys

TARGET = "198.18.1.2"
_count = itertools.count()


def sh(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, check=check)


class RoutedLab:
    def __init__(self):
        self.prefix = "path%d-%d" % (os.getpid(), next(_count))
        self.names = []
        self.links = 0
        atexit.register(self.close)

    def ns(self, role):
        return "%s-%s" % (self.prefix, role)

    def add(self, role, router=False):
        name = self.ns(role)
        sh("ip", "netns", "add", name)
        self.names.append(name)
        self.run(role, "ip", "link", "set", "lo", "up")
        self.run(role, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        # ICMP errors are neither limited (unless rate_limit() says) nor sent
        # from the address towards the prober: a hop is the interface the probe
        # came in on, as traceroute shows real routers
        self.run(role, "sysctl", "-qw", "net.ipv4.icmp_ratelimit=0",
                 "net.ipv4.icmp_errors_use_inbound_ifaddr=1")
        if router:
            self.run(role, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        return name

    def run(self, role, *args, check=True):
        return sh("ip", "netns", "exec", self.ns(role), *args, check=check)

    def link(self, a, addr_a, b, addr_b):
        """A veth pair a <-> b; addr_x is "198.18.x.y/len" or None (b: a bridge)."""
        n = self.links
        self.links += 1
        ia, ib = "v%da" % n, "v%db" % n
        sh("ip", "link", "add", ia, "netns", self.ns(a), "type", "veth", "peer", "name", ib,
           "netns", self.ns(b))
        for role, ifc, addr in ((a, ia, addr_a), (b, ib, addr_b)):
            if addr:
                self.run(role, "ip", "addr", "add", addr, "dev", ifc)
            self.run(role, "ip", "link", "set", ifc, "up")
        return ia, ib

    def wire(self, links, routes):
        """links: (a, addr_a, b, addr_b) for link(); routes: (role, dest, via).
        Returns the links' interface pairs."""
        pairs = [self.link(*ln) for ln in links]
        for r in routes:
            self.route(*r)
        return pairs

    def route(self, role, dest, via):
        self.run(role, "ip", "route", "replace", dest, "via", via)

    def silent(self, role, on=True):
        """role forwards but never answers with ICMP of its own."""
        if on:
            self.run(role, "ip", "route", "add", "blackhole", "default", "table", "100")
            self.run(role, "ip", "rule", "add", "iif", "lo", "ipproto", "icmp", "table", "100")
        else:
            self.run(role, "ip", "rule", "del", "iif", "lo", "ipproto", "icmp", "table", "100")
            self.run(role, "ip", "route", "del", "blackhole", "default", "table", "100")

    def rate_limit(self, role, interval_ms=1000):
        """role answers each prober at most once per interval_ms after a burst
        of 6 (the kernel's per-peer token bucket, net.ipv4.icmp_ratelimit)."""
        self.run(role, "sysctl", "-qw", "net.ipv4.icmp_ratelimit=%d" % interval_ms)

    def traceroute(self, role, dest=TARGET, icmp=False):
        """The hops `traceroute -n` sees: a list of addresses, "*" for silent."""
        args = ["traceroute", "-n", "-q", "1", "-w", "1", "-m", "10"] + (["-I"] if icmp else [])
        out = self.run(role, *args, dest, check=False).stdout
        hops = []
        for line in out.splitlines()[1:]:
            f = line.split()
            if len(f) >= 2 and f[0].isdigit():
                hops.append(f[1])
        return hops

    def close(self):
        for name in reversed(self.names):
            pids = sh("ip", "netns", "pids", name, check=False).stdout.split()
            for p in pids:
                try:
                    os.kill(int(p), 9)
                except (ProcessLookupError, ValueError):
                    pass
            sh("ip", "netns", "del", name, check=False)
        self.names = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class ChainLab(RoutedLab):
    """site 198.18.0.1 - r1 - r2 - r3 - target 198.18.1.2: hops 198.18.0.254,
    198.18.2.2, 198.18.3.2, 198.18.1.2."""

    def build(self):
        for role, router in (("site", False), ("r1", True), ("r2", True), ("r3", True),
                             ("target", False)):
            self.add(role, router)
        self.wire([("site", "198.18.0.1/24", "r1", "198.18.0.254/24"),
                   ("r1", "198.18.2.1/30", "r2", "198.18.2.2/30"),
                   ("r2", "198.18.3.1/30", "r3", "198.18.3.2/30"),
                   ("r3", "198.18.1.254/24", "target", TARGET + "/24")],
                  [("site", "default", "198.18.0.254"), ("r1", "default", "198.18.2.2"),
                   ("r2", "default", "198.18.3.2"), ("r2", "198.18.0.0/24", "198.18.2.1"),
                   ("r3", "198.18.0.0/16", "198.18.3.1"),
                   ("target", "default", "198.18.1.254")])


def built(cls):
    """A cls lab, built; closed again when building fails."""
    lab = cls()
    try:
        lab.build()
    except BaseException:
        lab.close()
        raise
    return lab


def chain_lab():
    """ChainLab, a context manager: `with chain_lab() as lab:`."""
    return built(ChainLab)


SHARED_SITES = {"s1": "198.18.10.1", "s2": "198.18.10.2", "s3": "198.18.10.3",
                "s4": "198.18.12.1"}
SHARED_HOP = "198.18.10.254"   # what s1..s3 see as their first hop
OWN_HOP = "198.18.12.254"      # s4's


class SharedLab(RoutedLab):
    """s1..s3 on one LAN (a bridge in `shared`) behind `shared` 198.18.10.254,
    s4 behind `own` 198.18.12.254; both routers reach `core` (198.18.11.2 from
    shared, 198.18.13.2 from own), core the target 198.18.1.2. `alt` sits
    between shared (198.18.14.1) and core (198.18.15.2): route_change() sends
    shared's traffic that way, so s1..s3's path gets the hop 198.18.14.2."""

    def build(self):
        self.up = {}      # role -> its interface towards the target
        for role in ("shared", "own", "core", "alt"):
            self.add(role, True)
        self.add("target")
        self.run("shared", "ip", "link", "add", "br0", "type", "bridge")
        self.run("shared", "ip", "addr", "add", SHARED_HOP + "/24", "dev", "br0")
        self.run("shared", "ip", "link", "set", "br0", "up")
        for s in ("s1", "s2", "s3"):
            self.add(s)
            self.up[s], ib = self.link(s, SHARED_SITES[s] + "/24", "shared", None)
            self.run("shared", "ip", "link", "set", ib, "master", "br0")
            self.route(s, "default", SHARED_HOP)
        self.add("s4")
        self.up["s4"], self.up["shared"], self.up["own"] = (ia for ia, _ in self.wire(
            [("s4", "198.18.12.1/24", "own", OWN_HOP + "/24"),
             ("shared", "198.18.11.1/30", "core", "198.18.11.2/30"),
             ("own", "198.18.13.1/30", "core", "198.18.13.2/30"),
             ("shared", "198.18.14.1/30", "alt", "198.18.14.2/30"),
             ("alt", "198.18.15.1/30", "core", "198.18.15.2/30"),
             ("core", "198.18.1.254/24", "target", TARGET + "/24")],
            [("s4", "default", OWN_HOP), ("shared", "default", "198.18.11.2"),
             ("own", "default", "198.18.13.2"), ("alt", "default", "198.18.15.2"),
             ("alt", "198.18.10.0/24", "198.18.14.1"), ("core", "198.18.10.0/24", "198.18.11.1"),
             ("core", "198.18.12.0/24", "198.18.13.1"),
             ("target", "default", "198.18.1.254")])[:3])

    def route_change(self, via_alt=True):
        self.route("shared", "default", "198.18.14.2" if via_alt else "198.18.11.2")

    def degrade(self, role, on=True):
        """Congest role's link towards the target (shared, own, or a site's
        own access link): tbf at 32 kbit/s with a 2000-byte queue, so a train
        of 1000-byte pings loses most of its packets; on=False lifts it."""
        if on:
            self.run(role, "tc", "qdisc", "replace", "dev", self.up[role], "root", "tbf",
                     "rate", "32kbit", "burst", "2000", "limit", "2000")
        else:
            self.run(role, "tc", "qdisc", "del", "dev", self.up[role], "root", check=False)

    def management(self, net):
        """A management LAN apart from the measured paths: every site on a
        bridge in the namespace `mgmt` at 198.19.NET.(1..4), joined to the
        host by a veth named after the lab's prefix at 198.19.NET.254 (the
        address returned), where a broker can listen. The host's end goes
        with the namespace."""
        self.add("mgmt")
        self.run("mgmt", "ip", "link", "add", "br0", "type", "bridge")
        self.run("mgmt", "ip", "link", "set", "br0", "up")
        for i, s in enumerate(SHARED_SITES):
            _, ib = self.link(s, "198.19.%d.%d/24" % (net, i + 1), "mgmt", None)
            self.run("mgmt", "ip", "link", "set", ib, "master", "br0")
        host = "198.19.%d.254" % net
        sh("ip", "link", "add", self.prefix, "type", "veth", "peer", "name", "m0", "netns",
           self.ns("mgmt"))
        self.run("mgmt", "ip", "link", "set", "m0", "master", "br0")
        self.run("mgmt", "ip", "link", "set", "m0", "up")
        sh("ip", "addr", "add", host + "/24", "dev", self.prefix)
        sh("ip", "link", "set", self.prefix, "up")
        return host


def shared_lab():
    """Three sites behind one shared upstream router and a fourth on its own
    path, towards one target (SharedLab). A context manager: `with shared_lab() as lab:`;
    lab.run("s1", ...) runs in a site, lab.ns("s1") names its namespace."""
    return built(SharedLab)


def main():
    make = {"chain": chain_lab, "shared": shared_lab}.get(sys.argv[1] if len(sys.argv) > 1 else "")
    if make is None:
        sys.exit("usage: pathlab.py chain|shared")
    with make() as lab:
        sites = list(SHARED_SITES) if isinstance(lab, SharedLab) else ["site"]
        for s in sites:
            print(s, " ".join(lab.traceroute(s)))


if __name__ == "__main__":
    main()
