#!/usr/bin/env python3
"""The network lab: namespaces site, impair and core, a user-space delay line between them.

    site [s0 198.18.0.1/24] --veth-- [ia] impair [ib] --veth-- [c0 198.18.0.2/24] core
                                       delayline ia <-> ib

Frames cross `impair` only through build/tests/delayline (tests/lab/delayline.c),
which delays, jitters and drops them per direction ("ab" = site -> core, upstream;
"ba" = core -> site, downstream). Offloads are off on every veth so frames pass
intact; `rate()` puts a tbf on the site and core interfaces. Namespace names are
pl<pid>-<n>-site|impair|core, so concurrent runs never collide; every namespace,
and every process left in one, is removed on exit, on an exception, on SIGTERM,
SIGHUP or Ctrl-C. Used by tests/e2e/test_lab.py and tests/bench/run.py:

    with Lab(workdir, delay_ms=25) as lab:       # 25 ms each way: 50 ms RTT
        lab.run("site", ["ping", "-c", "3", CORE_ADDR])
        lab.set(loss_pct=5)                      # at run time, both directions
        lab.set(**{"ab.loss_pct": 0})            # one direction

By hand (root):
    python3 tests/lab/lab.py up [KEY=VALUE...]   build one, print its names, wait for Ctrl-C
    python3 tests/lab/lab.py set NAME KEY=VALUE...   change the delay line of a running lab
    python3 tests/lab/lab.py stats NAME          the delay line's counters
    python3 tests/lab/lab.py clean               remove labs whose creating process is gone
"""
import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SITE_ADDR = "198.18.0.1"
CORE_ADDR = "198.18.0.2"
PREFIXLEN = 24
ROLES = ("site", "impair", "core")
SITE_IF, IMPAIR_SITE_IF, IMPAIR_CORE_IF, CORE_IF = "s0", "ia", "ib", "c0"
NAME_RE = re.compile(r"^pl(\d+)-(\d+)-(site|impair|core)$")
CTL_TIMEOUT_S = 2
OFFLOADS = ["gro", "off", "gso", "off", "tso", "off", "tx", "off", "rx", "off"]

_open_labs = []
_counter = [0]


def build_dir():
    return os.environ.get("PANTAU_BUILD") or os.path.join(ROOT, "build")


def delayline_path():
    return os.path.join(build_dir(), "tests", "delayline")


def available():
    """(True, "") when a lab can be built here, else (False, why) for a skip."""
    if os.geteuid() != 0:
        return False, "the network lab needs root (network namespaces, AF_PACKET)"
    for tool in ("ip", "ethtool", "tc"):
        if shutil.which(tool) is None:
            return False, f"the network lab needs the '{tool}' tool (make deps)"
    if not os.path.exists(delayline_path()):
        return False, f"{delayline_path()} is not built (make unit)"
    probe = f"pl{os.getpid()}-probe"
    r = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if r.returncode != 0:
        return False, f"cannot create a network namespace: {r.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return True, ""


def sh(argv, check=True, timeout=30, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


def _on_signal(signum, frame):
    raise SystemExit(128 + signum)


def _install_handlers():
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) == signal.SIG_DFL:
            signal.signal(sig, _on_signal)


@atexit.register
def _close_all():
    for lab in list(_open_labs):
        lab.close()


class Lab:
    """One lab; settings are the delay line's KEY=VALUE (see delayline.c)."""

    def __init__(self, workdir, **settings):
        _counter[0] += 1
        self.name = f"pl{os.getpid()}-{_counter[0]}"
        self.workdir = workdir
        self.settings = settings
        self.tmp = None
        self.dl = None
        self.dl_log = None
        self.dl_status = None
        self.created = []

    def ns(self, role):
        return f"{self.name}-{role}"

    def argv(self, role, argv):
        return ["ip", "netns", "exec", self.ns(role)] + [str(a) for a in argv]

    def run(self, role, argv, check=False, timeout=120, **kw):
        return sh(self.argv(role, argv), check=check, timeout=timeout, **kw)

    def popen(self, role, argv, **kw):
        return subprocess.Popen(self.argv(role, argv), **kw)

    # ---------------------------------------------------------- building

    def __enter__(self):
        try:
            self.open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def open(self):
        _install_handlers()
        clean_stale()
        _open_labs.append(self)
        os.makedirs(self.workdir, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix=self.name + "-")
        for role in ROLES:
            sh(["ip", "netns", "add", self.ns(role)])
            self.created.append(role)
            self.run(role, ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                            "net.ipv6.conf.default.disable_ipv6=1"], check=True)
            self.run(role, ["ip", "link", "set", "lo", "up"], check=True)
        self._veth("site", SITE_IF, IMPAIR_SITE_IF)
        self._veth("core", CORE_IF, IMPAIR_CORE_IF)
        self.run("site", ["ip", "addr", "add", f"{SITE_ADDR}/{PREFIXLEN}", "dev", SITE_IF],
                 check=True)
        self.run("core", ["ip", "addr", "add", f"{CORE_ADDR}/{PREFIXLEN}", "dev", CORE_IF],
                 check=True)
        for role, ifname in (("impair", IMPAIR_SITE_IF), ("impair", IMPAIR_CORE_IF),
                             ("site", SITE_IF), ("core", CORE_IF)):
            self.run(role, ["ip", "link", "set", ifname, "up"], check=True)
        self._static_neighbours()
        self._start_delayline()

    def _mac(self, role, ifname):
        out = self.run(role, ["cat", f"/sys/class/net/{ifname}/address"], check=True)
        return out.stdout.strip()

    def _static_neighbours(self):
        """Permanent ARP entries: no neighbour resolution crosses the delay line,
        so the first probes of a run see the configured delay, not delay + ARP."""
        site_mac, core_mac = self._mac("site", SITE_IF), self._mac("core", CORE_IF)
        self.run("site", ["ip", "neigh", "replace", CORE_ADDR, "lladdr", core_mac, "dev",
                          SITE_IF, "nud", "permanent"], check=True)
        self.run("core", ["ip", "neigh", "replace", SITE_ADDR, "lladdr", site_mac, "dev",
                          CORE_IF, "nud", "permanent"], check=True)

    def _veth(self, role, ifname, impair_ifname):
        sh(["ip", "link", "add", ifname, "netns", self.ns(role), "type", "veth", "peer",
            "name", impair_ifname, "netns", self.ns("impair")])
        self.run(role, ["ethtool", "-K", ifname] + OFFLOADS, check=True)
        self.run("impair", ["ethtool", "-K", impair_ifname] + OFFLOADS, check=True)

    def _start_delayline(self):
        words = [f"{k}={v}" for k, v in self.settings.items()]
        self.ctl_path = os.path.join(self.tmp, "ctl")
        self.dl_log_path = os.path.join(self.workdir, f"delayline-{self.name}.log")
        self.dl_log = open(self.dl_log_path, "ab")
        self.dl = self.popen("impair", [delayline_path(), IMPAIR_SITE_IF, IMPAIR_CORE_IF,
                                        "--ctl", self.ctl_path] + words,
                             stdout=self.dl_log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            if self.dl.poll() is not None:
                raise RuntimeError(f"delayline exited with {self.dl.returncode}; see "
                                   f"{self.dl_log.name}")
            try:
                self.command("stats")
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    # ---------------------------------------------------------- tearing down

    def close(self):
        """Stop the delay line, every process in the namespaces, remove them."""
        if self in _open_labs:
            _open_labs.remove(self)
        if self.dl is not None and self.dl.poll() is not None and self.dl_status is None:
            self.dl_status = self.dl.returncode       # it had already ended: say how
        elif self.dl is not None and self.dl.poll() is None:
            self.dl.send_signal(signal.SIGTERM)
            try:
                self.dl_status = self.dl.wait(5)
            except subprocess.TimeoutExpired:
                self.dl.kill()
                self.dl.wait()
                self.dl_status = "killed after SIGTERM"
        if self.dl_log is not None:
            self.dl_log.close()
            self.dl_log = None
        for role in reversed(self.created):
            remove_namespace(self.ns(role))
        self.created = []
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    # ---------------------------------------------------------- conditions

    def command(self, text):
        """Send one control command to the delay line; returns its answer."""
        client = os.path.join(self.tmp, f"c{time.monotonic_ns()}")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.bind(client)
            try:
                s.settimeout(CTL_TIMEOUT_S)
                s.sendto(text.encode(), self.ctl_path)
                answer = s.recv(4096).decode()
            finally:
                os.unlink(client)
        if answer.startswith("error"):
            raise ValueError(f"delayline: {answer.strip()}")
        return answer

    def set(self, **settings):
        """e.g. set(delay_ms=25, loss_pct=1) or set(**{"ab.loss_pct": 100})."""
        self.command("set " + " ".join(f"{k}={v}" for k, v in settings.items()))

    def stats(self):
        """{"ab": {"rx": .., "fwd": .., "lost": .., ...}, "ba": {...}}"""
        out = {}
        for line in self.command("stats").splitlines():
            parts = line.split()
            out[parts[0]] = {k: float(v) for k, v in (p.split("=") for p in parts[1:])}
        return out

    def link(self, up, where="carrier"):
        """Cut or restore the site's link. where="carrier": the far end of the
        site's cable (impair side) goes down, the site sees NO-CARRIER;
        where="site": the site's own interface is set administratively down."""
        role, ifname = (("impair", IMPAIR_SITE_IF) if where == "carrier"
                        else ("site", SITE_IF))
        self.run(role, ["ip", "link", "set", ifname, "up" if up else "down"], check=True)
        if up:
            self.wait_operstate_up()

    def wait_operstate_up(self, timeout=5):
        """The link has returned when the site's interface is operationally up: the
        kernel's link watch sets that (and only then starts the interface's queue)
        up to a second after `ip link set up`; until then sends fail locally."""
        path = f"/sys/class/net/{SITE_IF}/operstate"
        deadline = time.monotonic() + timeout
        while self.run("site", ["cat", path], check=True).stdout.strip() != "up":
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.ns('site')} {SITE_IF} not up {timeout} s after "
                                   "its link was restored")
            time.sleep(0.02)

    def rate(self, mbit, burst_kb=None):
        """tbf at mbit Mbit/s on the site's egress (upload) and the core's
        (download); None removes it."""
        for role, ifname in (("site", SITE_IF), ("core", CORE_IF)):
            self.run(role, ["tc", "qdisc", "del", "dev", ifname, "root"])
            if mbit is None:
                continue
            burst = burst_kb or max(16, int(mbit * 1000 / 8 / 100))   # ~10 ms of data
            self.run(role, ["tc", "qdisc", "add", "dev", ifname, "root", "tbf", "rate",
                            f"{mbit}mbit", "burst", f"{burst}kb", "latency", "100ms"],
                     check=True)


def remove_namespace(ns):
    """Kill whatever still runs in ns (only lab processes run there), delete it."""
    pids = sh(["ip", "netns", "pids", ns], check=False).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass
    sh(["ip", "netns", "del", ns], check=False)


def clean_stale():
    """Remove labs made by processes that no longer exist (killed with SIGKILL)."""
    listing = sh(["ip", "netns", "list"], check=False).stdout
    for line in listing.splitlines():
        name = line.split()[0] if line.split() else ""
        m = NAME_RE.match(name)
        if m and not alive(int(m.group(1))):
            remove_namespace(name)


def alive(pid):
    """pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


# -------------------------------------------------------------- reference tools

def ping_argv(count, interval_s, addr=CORE_ADDR, size=56, wait_s=2):
    return ["ping", "-n", "-c", count, "-i", f"{interval_s:g}", "-s", size, "-W", wait_s, addr]


def parse_ping(text):
    """ping's output: {"sent", "recv", "loss_pct", "rtts" (ms, in order), "median"}."""
    rtts = [float(m) for m in re.findall(r"time=([\d.]+) ms", text)]
    m = re.search(r"(\d+) packets transmitted, (\d+) received", text)
    sent, recv = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    return {"sent": sent, "recv": recv, "rtts": rtts, "median": median(rtts),
            "loss_pct": 100.0 * (sent - recv) / sent if sent else None}


def median(values):
    v = sorted(values)
    if not v:
        return None
    mid = len(v) // 2
    return v[mid] if len(v) % 2 else (v[mid - 1] + v[mid]) / 2


def irtt_server_argv(addr=CORE_ADDR):
    return ["irtt", "server", "-b", f"{addr}:2112"]


def irtt_client_argv(out_json, duration_s, interval_ms, addr=CORE_ADDR):
    return ["irtt", "client", "-Q", "-d", f"{duration_s}s", "-i", f"{interval_ms}ms",
            "--wait=1s", "-o", out_json, addr]


def parse_irtt(path, first=None):
    """irtt's JSON (-o FILE.json): RTT and round-trip IPDV in ms, loss in %.
    irtt has no packet count, only a duration, and sends a few packets more or
    less than duration / interval: with `first`, sent, recv and ipdv_mean cover
    only its packets with seqno < first, from irtt's own per-packet round-trip
    IPDV (which it gives only between consecutive received seqnos; its summary's
    mean is the mean of their absolute values)."""
    with open(path) as f:
        doc = json.load(f)
    stats = doc["stats"]
    ms = lambda d, k: d[k] / 1e6 if d and k in d else None  # noqa: E731 (ns -> ms)
    out = {"rtt_median": ms(stats.get("rtt"), "median"),
           "rtt_mean": ms(stats.get("rtt"), "mean"),
           "ipdv_mean": ms(stats.get("ipdv_round_trip"), "mean"),
           "sent": stats.get("packets_sent"), "recv": stats.get("packets_received"),
           "loss_pct": stats.get("packet_loss_percent")}
    if first is not None:
        trips = [t for t in doc.get("round_trips") or [] if t["seqno"] < first]
        ipdv = [abs(t["ipdv"]["rtt"]) for t in trips if "rtt" in (t.get("ipdv") or {})]
        out.update(sent=len(trips), recv=sum(1 for t in trips if t["lost"] == "false"),
                   ipdv_mean=sum(ipdv) / len(ipdv) / 1e6 if ipdv else None,
                   ipdv_pairs=len(ipdv))
    return out


def iperf3_server_argv(addr=CORE_ADDR):
    return ["iperf3", "-s", "-B", addr]


def iperf3_client_argv(duration_s, reverse=False, streams=4, addr=CORE_ADDR):
    argv = ["iperf3", "-c", addr, "-J", "-t", duration_s, "-P", streams]
    return argv + (["-R"] if reverse else [])


def run_iperf3(lab, seconds, reverse=False, busy_wait_s=15):
    """iperf3 -c in site against iperf3 -s in core; parsed. iperf3 -s takes one
    test at a time and answers "busy" until the last one is wrapped up: retry."""
    deadline = time.monotonic() + busy_wait_s
    while True:
        r = lab.run("site", iperf3_client_argv(seconds, reverse=reverse), timeout=seconds + 60)
        try:
            return parse_iperf3(r.stdout)
        except (RuntimeError, ValueError) as e:
            if "busy" not in str(e) or time.monotonic() > deadline:
                raise RuntimeError(f"{e} (exit {r.returncode}) {r.stderr.strip()}")
            time.sleep(0.2)


def parse_iperf3(text):
    """iperf3 -J output: received rate in Mbit/s, bytes and TCP retransmissions."""
    doc = json.loads(text)
    if doc.get("error") or "sum_received" not in doc.get("end", {}):
        raise RuntimeError(f"iperf3: {doc.get('error', 'no result in its output')}")
    end = doc["end"]
    recv = end["sum_received"]
    return {"mbit_s": recv["bits_per_second"] / 1e6, "bytes": recv["bytes"],
            "seconds": recv["seconds"],
            "retransmits": end.get("sum_sent", {}).get("retransmits")}


# -------------------------------------------------------------- by hand

def main(argv):
    if len(argv) < 1 or argv[0] not in ("up", "set", "stats", "clean"):
        print(__doc__)
        return 2
    if argv[0] == "clean":
        clean_stale()
        return 0
    if argv[0] in ("set", "stats"):
        return control_by_hand(argv)
    ok, why = available()
    if not ok:
        print(f"lab: {why}", file=sys.stderr)
        return 1
    settings = dict(w.split("=", 1) for w in argv[1:])
    with Lab(os.path.join(ROOT, "tests", "out", "lab"), **settings) as lab:
        print(f"lab {lab.name} up: namespaces {', '.join(lab.ns(r) for r in ROLES)}\n"
              f"  site {SITE_ADDR} ({SITE_IF}), core {CORE_ADDR} ({CORE_IF})\n"
              f"  try: ip netns exec {lab.ns('site')} ping {CORE_ADDR}\n"
              f"  change: python3 tests/lab/lab.py set {lab.name} delay_ms=25 loss_pct=1\n"
              f"  Ctrl-C tears it down")
        with open(os.path.join(ROOT, "tests", "out", "lab", lab.name + ".ctl"), "w") as f:
            f.write(lab.ctl_path)
        try:
            while lab.dl.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    return 0


def control_by_hand(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    with open(os.path.join(ROOT, "tests", "out", "lab", argv[1] + ".ctl")) as f:
        path = f.read().strip()
    lab = Lab.__new__(Lab)
    lab.tmp, lab.ctl_path = os.path.dirname(path), path
    print(lab.command("stats" if argv[0] == "stats" else "set " + " ".join(argv[2:])), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
