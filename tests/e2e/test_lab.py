"""The network lab (tests/lab/, docs/testing.md): the real agent beside the reference tools.

In each lab the `site` namespace runs a real mosquitto on its own loopback, a
mosquitto_sub recording every result batch, the real pantau-agent and the
reference tool (ping, irtt, iperf3); `core` holds the targets; frames between
them cross the user-space delay line in `impair`. Conditions that are
independent run in parallel labs. Without root, the `ip` tool or network
namespaces every test here is reported as skipped.
"""
import math
import os
import subprocess
import sys
import time

from harness import SANITIZER_MARKS, E2ETestCase, wait_for

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "lab"))
import lab as L  # noqa: E402
from labsite import (Site, listening, start_reflector, throughput_probe,  # noqa: E402
                     throughput_vs_iperf3)

RUN_ALONE = True   # tests/run.py --jobs: it measures against ping, irtt and iperf3 in namespaces with lab addresses

_available = []


def lab_available():
    if not _available:
        _available.append(L.available())
    return _available[0]


def binomial_interval(n, p, level=0.99):
    """[lo, hi]: the central `level` interval of Binomial(n, p) (lost probes)."""
    tail = (1 - level) / 2
    pmf = [math.comb(n, k) * p ** k * (1 - p) ** (n - k) for k in range(n + 1)]
    cdf, lo, hi = 0.0, 0, n
    for k in range(n + 1):
        if cdf + pmf[k] > tail:
            lo = k
            break
        cdf += pmf[k]
    cdf = 0.0
    for k in range(n, -1, -1):
        if cdf + pmf[k] > tail:
            hi = k
            break
        cdf += pmf[k]
    return lo, hi


class LabTestCase(E2ETestCase):
    def setUp(self):
        ok, why = lab_available()
        if not ok:
            self.skipTest(why)
        super().setUp()

    def lab(self, **settings):
        lab = L.Lab(self.workdir, **settings)
        self.addCleanup(self.close_lab, lab)
        lab.open()
        return lab

    def start_reference(self, name, argv):
        """A reference server (python http.server, iperf3 -s): stopped with the
        others, but its exit status after SIGTERM is not ours to judge."""
        p = self.start(name, argv)
        p.killed = True
        return p

    def wait_irtt(self, lab, srv, out_json):
        """Until a short irtt run from the site reaches srv in core."""
        def irtt_ready():
            if not srv.alive():
                raise AssertionError(srv.output())
            return lab.run("site", L.irtt_client_argv(out_json, 0.2, 20)).returncode == 0
        wait_for(irtt_ready, 15, "irtt server in core", interval=0.2)

    @staticmethod
    def start_ping(lab, count, spacing_s):
        """ping from the site to core, count echoes spacing_s apart, left
        running beside the agent; ping_result() waits for it."""
        return lab.popen("site", L.ping_argv(count, spacing_s), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)

    @staticmethod
    def ping_result(ping):
        """The output of a ping start_ping() began, and what L.parse_ping reads in it."""
        out, _ = ping.communicate(timeout=60)
        return out, L.parse_ping(out)

    def close_lab(self, lab):
        lab.close()
        if lab.dl is None:
            return   # the lab failed before its delay line started; that error is reported
        with open(lab.dl_log_path, errors="replace") as f:
            log = f.read()
        self.assertEqual(lab.dl_status, 0, f"delayline {lab.name} did not exit cleanly:\n{log}")
        marks = [line for line in log.splitlines() if any(m in line for m in SANITIZER_MARKS)]
        self.assertEqual(marks, [], f"delayline {lab.name}:\n{log}")


class LabRttTest(LabTestCase):
    COUNT, SPACING_MS = 100, 20
    RTT_MS = (0, 50, 300, 600)

    def test_icmp_median_matches_ping(self):
        """Agent icmp p50 within max(0.3 ms, 2 %) of ping's median, four RTTs at once."""
        runs = []
        for rtt in self.RTT_MS:
            lab = self.lab(delay_ms=rtt / 2)
            runs.append((rtt, lab, Site(lab, self.workdir, f"rtt{rtt}", self.start)))
        pings = []
        started = time.time()
        for rtt, lab, rig in runs:
            rig.start_agent({"core": {"type": "icmp", "target": L.CORE_ADDR,
                                      "count": self.COUNT, "spacing_ms": self.SPACING_MS}},
                            interval=10)
            pings.append(self.start_ping(lab, self.COUNT, self.SPACING_MS / 1000))
        for (rtt, lab, rig), ping in zip(runs, pings):
            out, ref = self.ping_result(ping)
            batch = rig.next_batch(started - 1, 30, f"the agent's result at {rtt} ms")
            r = batch["results"][0]
            with self.subTest(rtt_ms=rtt):
                self.assertEqual(ref["recv"], self.COUNT, out)
                # the lab really delays (ping prints whole ms from 100 ms up)
                self.assertLess(abs(ref["median"] - rtt), 1.5, out)
                self.assertEqual((r["sent"], r["recv"]), (self.COUNT, self.COUNT), r)
                ours, theirs = r["rtt_ms"]["p50"], ref["median"]
                tol = max(0.3, 0.02 * theirs)
                self.assertLessEqual(abs(ours - theirs), tol,
                                     f"{rtt} ms: agent p50 {ours} ms, ping median {theirs} ms")


class LabLossTest(LabTestCase):
    COUNT, SPACING_MS = 500, 10
    LOSS_PCT = (1, 5, 20)

    def test_icmp_loss_within_binomial_interval(self):
        """Loss per direction p: round-trip loss 1-(1-p)^2; the agent's count of lost
        probes lies in the 99 % binomial interval and equals what the delay line dropped."""
        runs = []
        for i, pct in enumerate(self.LOSS_PCT):
            lab = self.lab(loss_pct=pct, seed=1000 + i)
            runs.append((pct, lab, Site(lab, self.workdir, f"loss{pct}", self.start)))
        started = time.time()
        for pct, lab, rig in runs:
            rig.start_agent({"core": {"type": "icmp", "target": L.CORE_ADDR,
                                      "count": self.COUNT, "spacing_ms": self.SPACING_MS}},
                            interval=10)
        for pct, lab, rig in runs:
            r = rig.next_batch(started - 1, 40, f"the agent's result at {pct} % loss")
            r = r["results"][0]
            dl = lab.stats()
            lost = r["sent"] - r["recv"]
            p = 1 - (1 - pct / 100) ** 2
            lo, hi = binomial_interval(r["sent"], p)
            with self.subTest(loss_pct=pct):
                self.assertEqual(r["sent"], self.COUNT)
                self.assertGreaterEqual(r["sent"], 500)
                self.assertTrue(lo <= lost <= hi,
                                f"{pct} % each way: agent lost {lost} of {r['sent']}, "
                                f"99 % interval {lo}..{hi}")
                self.assertEqual(lost, int(dl["ab"]["lost"] + dl["ba"]["lost"]),
                                 f"the delay line dropped {dl}")
                self.assertAlmostEqual(r["loss_pct"], 100 * lost / r["sent"], delta=0.05)


class LabStampJitterTest(LabTestCase):
    COUNT, SPACING_MS, JITTER_MS = 500, 20, 10

    def test_stamp_ipdv_matches_irtt(self):
        """±10 ms uniform jitter each way: the stamp probe's mean |IPDV| within 15 %
        of irtt's mean round-trip IPDV, both 500 packets 20 ms apart on the same
        path at the same time; each over consecutive received packets."""
        lab = self.lab(delay_ms=10, jitter_ms=self.JITTER_MS, reorder=1, seed=7)
        srv = self.start("irtt-server", lab.argv("core", L.irtt_server_argv()))
        start_reflector(lab, self.workdir, self.start, L.CORE_ADDR)
        rig = Site(lab, self.workdir, "stamp", self.start)
        out_json = os.path.join(self.workdir, "irtt.json")

        self.wait_irtt(lab, srv, out_json)
        started = time.time()
        rig.start_agent({"stamp": {"type": "stamp", "target": L.CORE_ADDR,
                                   "count": self.COUNT, "spacing_ms": self.SPACING_MS}},
                        interval=15)
        # irtt has a duration, no count: a little longer, its first COUNT compared
        seconds = self.COUNT * self.SPACING_MS / 1000 + 0.3
        r = lab.run("site", L.irtt_client_argv(out_json, seconds, self.SPACING_MS),
                    check=True, timeout=60)
        ref = L.parse_irtt(out_json, first=self.COUNT)
        ours = rig.next_batch(started - 1, 30, "the agent's stamp result")["results"][0]
        self.assertEqual((ours["sent"], ours["recv"]), (self.COUNT, self.COUNT), ours)
        self.assertEqual((ref["sent"], ref["recv"], ref["ipdv_pairs"]),
                         (self.COUNT, self.COUNT, self.COUNT - 1), r.stdout)
        # two ±10 ms draws per round trip: a mean |IPDV| of several ms
        self.assertGreater(ref["ipdv_mean"], 4, ref)
        self.assertLessEqual(abs(ours["jitter_ms"] - ref["ipdv_mean"]),
                             0.15 * ref["ipdv_mean"],
                             f"stamp mean |IPDV| {ours['jitter_ms']} ms, irtt "
                             f"{ref['ipdv_mean']} ms")
        dl = lab.stats()
        self.assertEqual(dl["ab"]["full"] + dl["ba"]["full"], 0, dl)


class LabThroughputTest(LabTestCase):
    RATES_MBIT = (5, 20, 50)
    SECONDS, CONNECTIONS = 4, 4

    def test_throughput_matches_iperf3(self):
        """tbf at 5, 20 and 50 Mbit/s, three labs at once: the throughput probe's
        download and upload within 10 % of iperf3 -R / iperf3 over the same
        duration with as many parallel streams as the probe's connections."""
        rigs = []
        for mbit in self.RATES_MBIT:
            lab = self.lab(delay_ms=5)
            lab.rate(mbit)
            ip3 = self.start_reference(f"iperf3-server-{mbit}",
                                       lab.argv("core", L.iperf3_server_argv()))
            start_reflector(lab, self.workdir, self.start, L.CORE_ADDR)
            wait_for(lambda: listening(lab, "core", 5201) or not ip3.alive(), 10,
                     "iperf3 server in core")
            rigs.append(Site(lab, self.workdir, f"tp{mbit}", self.start))
        runs = throughput_vs_iperf3(rigs, self.SECONDS, self.CONNECTIONS)
        for mbit, run in zip(self.RATES_MBIT, runs):
            r = run["result"]
            self.assertTrue(r.get("ok"), r)
            for name, ref in (("download", run["down"]), ("upload", run["up"])):
                with self.subTest(mbit=mbit, direction=name):
                    ours, theirs = r[name]["mbps"], ref["mbit_s"]
                    self.assertEqual(r[name]["connections"], self.CONNECTIONS)
                    # the tbf is the bottleneck for both
                    self.assertLess(theirs, mbit * 1.05, ref)
                    self.assertLessEqual(abs(ours - theirs), 0.10 * theirs,
                                         f"tbf {mbit} Mbit/s {name}: probe {ours} Mbit/s, "
                                         f"iperf3 {theirs} Mbit/s")


class LabLinkCutTest(LabTestCase):
    INTERVAL = 5
    TP_INTERVAL, TP_RATE_MBIT = 6, 20

    def test_cut_and_total_loss_reported_then_recovered(self):
        """100 % loss, carrier lost, interface down: icmp, stamp, tcp and http (one
        lab) and throughput (a second lab, cut at the same time) report it in the
        next cycle; the agents keep running and report success once restored."""
        lab = self.lab()
        web = self.start_reference("web", lab.argv("core", [
            sys.executable, "-m", "http.server", "--bind", L.CORE_ADDR, "8080"]))
        wait_for(lambda: listening(lab, "core", 8080) or not web.alive(), 10,
                 "the web server in core")
        start_reflector(lab, self.workdir, self.start, L.CORE_ADDR)
        rig = Site(lab, self.workdir, "cut", self.start)
        short = {"timeout_ms": 500}
        rig.start_agent({
            "icmp": {"type": "icmp", "target": L.CORE_ADDR, "count": 20, "spacing_ms": 20,
                     **short},
            "stamp": {"type": "stamp", "target": L.CORE_ADDR, "count": 20, "spacing_ms": 20,
                      **short},
            "tcp": {"type": "tcp", "target": f"{L.CORE_ADDR}:8080", **short},
            "http": {"type": "http", "target": f"http://{L.CORE_ADDR}:8080/", **short},
        }, interval=self.INTERVAL)
        tlab = self.lab()
        tlab.rate(self.TP_RATE_MBIT)      # a few MB a cycle: far from the daily budget
        # A cut during a transfer leaves the reflector holding the dead connections
        # until its idle timeout (30 s by default), and they count against its
        # per-client limit (8): with 2 s the next cycles are not refused for that.
        start_reflector(tlab, self.workdir, self.start, L.CORE_ADDR, timeout_s=2)
        trig = Site(tlab, self.workdir, "cut-tp", self.start)
        trig.start_agent(throughput_probe(L.CORE_ADDR, 2, timeout_ms=1000),
                         interval=self.TP_INTERVAL)
        self.expect(rig, time.time() - 60, ok=True, what="the first cycle")
        self.expect_tp(trig, time.time() - 60, ok=True, what="the first cycle")
        labs = (lab, tlab)
        cuts = [("100 % loss", lambda x: x.set(loss_pct=100), lambda x: x.set(loss_pct=0)),
                ("carrier lost", lambda x: x.link(False), lambda x: x.link(True)),
                ("interface down", lambda x: x.link(False, "site"),
                 lambda x: x.link(True, "site"))]
        for name, cut, restore in cuts:
            with self.subTest(cut=name):
                for x in labs:
                    cut(x)
                t = time.time()
                self.expect(rig, t, ok=False, what=f"failure after {name}")
                self.expect_tp(trig, t, ok=False, what=f"failure after {name}")
                for x in labs:
                    restore(x)
                t = time.time()
                self.expect(rig, t, ok=True, what=f"recovery after {name}")
                self.expect_tp(trig, t, ok=True, what=f"recovery after {name}")
        self.assertTrue(rig.agent.alive())
        self.assertTrue(trig.agent.alive())

    def expect(self, rig, after, ok, what):
        # promptly: the next cycle that starts after the change reports it
        batch = rig.next_batch(after, 2 * self.INTERVAL + 5, what)
        icmp, stamp, tcp, http = batch["results"]
        if ok:
            for r in (icmp, stamp):
                self.assertEqual(r.get("loss_pct"), 0, f"{what}: {r}")
            self.assertTrue(tcp["ok"] and http["ok"], f"{what}: {tcp} {http}")
        else:
            for r in (icmp, stamp):
                self.assertEqual(r.get("loss_pct"), 100, f"{what}: {r}")
                self.assertNotIn("rtt_ms", r, f"{what}: {r}")
            self.assertFalse(stamp["ok"], f"{what}: {stamp}")
            self.assertTrue(stamp.get("error"), f"{what}: {stamp}")
            for r in (tcp, http):
                self.assertFalse(r["ok"], f"{what}: {r}")
                self.assertTrue(r.get("error"), f"{what}: {r}")
        return batch

    def expect_tp(self, rig, after, ok, what):
        batch = rig.next_batch(after, 2 * self.TP_INTERVAL + 5, f"throughput: {what}")
        r = batch["results"][0]
        if ok:
            self.assertTrue(r.get("ok"), f"{what}: {r}")
            for d in ("download", "upload"):
                self.assertGreater(r[d]["mbps"], self.TP_RATE_MBIT / 2, f"{what}: {r}")
        else:
            self.assertIs(r.get("ok"), False, f"{what}: {r}")
            self.assertTrue(r.get("error"), f"{what}: {r}")
            for d in ("download", "upload"):
                self.assertNotIn("mbps", r[d], f"{what}: {r}")
        return batch


class LabToolsTest(LabTestCase):
    """irtt and iperf3 run in the lab and their JSON is parsed (for the stamp and
    throughput comparisons that come with those probes)."""

    def test_irtt_and_iperf3_through_the_lab(self):
        lab = self.lab(delay_ms=10, jitter_ms=2)
        srv = self.start("irtt-server", lab.argv("core", L.irtt_server_argv()))
        ip3 = self.start_reference("iperf3-server", lab.argv("core", L.iperf3_server_argv()))
        out_json = os.path.join(self.workdir, "irtt.json")

        self.wait_irtt(lab, srv, out_json)
        r = lab.run("site", L.irtt_client_argv(out_json, 2, 10), check=True)
        irtt = L.parse_irtt(out_json)
        self.assertGreater(irtt["recv"], 150, r.stdout)
        self.assertLess(abs(irtt["rtt_median"] - 20), 2, irtt)
        self.assertGreater(irtt["ipdv_mean"], 0.3, irtt)      # jitter is visible
        self.assertLess(irtt["ipdv_mean"], 4, irtt)           # |U(-2,2)-U(-2,2)| x 2 dirs
        lab.rate(20)
        wait_for(lambda: listening(lab, "core", 5201) or not ip3.alive(), 10,
                 "iperf3 server in core")
        for reverse in (False, True):
            res = L.run_iperf3(lab, 2, reverse=reverse)
            with self.subTest(direction="download" if reverse else "upload"):
                # the tbf caps it; well above zero shows the bridge carries bulk TCP
                self.assertLess(res["mbit_s"], 20 * 1.05, res)
                self.assertGreater(res["mbit_s"], 20 * 0.5, res)
        dl = lab.stats()
        self.assertEqual(dl["ab"]["full"] + dl["ba"]["full"], 0, dl)


class LabDelayLineTest(LabTestCase):
    def test_control_socket_and_per_direction_loss(self):
        """Bad settings are refused with the key named and nothing changed; a
        per-direction setting touches only that direction."""
        lab = self.lab(delay_ms=1)
        with self.assertRaisesRegex(ValueError, r"bad setting loss_pct=101"):
            lab.set(delay_ms=5, loss_pct=101)
        with self.assertRaisesRegex(ValueError, r"expected KEY=VALUE"):
            lab.command("set delay_ms")
        with self.assertRaisesRegex(ValueError, r"commands are"):
            lab.command("frobnicate")
        st = lab.stats()
        self.assertEqual((st["ab"]["delay_ms"], st["ba"]["delay_ms"]), (1, 1), st)
        lab.set(**{"ab.loss_pct": 100})
        r = lab.run("site", L.ping_argv(5, 0.02, wait_s=1))
        self.assertEqual(L.parse_ping(r.stdout)["recv"], 0, r.stdout)
        st = lab.stats()
        self.assertEqual((st["ab"]["lost"], st["ba"]["lost"], st["ba"]["loss_pct"]),
                         (5, 0, 0), st)
        bad = subprocess.run(lab.argv("impair", [L.delayline_path(), "ia", "ib",
                                                 "jitter_ms=x"]), capture_output=True,
                             text=True, timeout=10)
        self.assertEqual(bad.returncode, 2, bad)
        self.assertIn("bad setting jitter_ms=x", bad.stderr)


def dig_times_ms(stdout):
    """The ";; Query time:" figures of dig's output, in ms. With -u dig
    prints microseconds (bind9 dig.c: time_recv - time_sent in µs); without
    it whole milliseconds, the µs divided by 1000 in integers, i.e. cut down."""
    times = []
    for line in stdout.splitlines():
        if line.startswith(";; Query time:"):
            value, unit = line.split()[3:5]
            times.append(int(value) / 1000 if unit == "usec" else int(value))
    return times


class LabDnsTest(LabTestCase):
    """The dns probe against dig, at the same dnsmasq in core, 25 ms each way."""
    COUNT = 20
    DIG_ROUNDS = 3

    def test_dig_times_parse(self):
        out = ";; Query time: 50412 usec\n;; SERVER: x\n;; Query time: 52 msec\n"
        self.assertEqual(dig_times_ms(out), [50.412, 52])

    def test_dns_median_matches_dig(self):
        lab = self.lab(delay_ms=25)
        rig = Site(lab, self.workdir, "dns", self.start)
        dm = self.start_reference("dnsmasq", L.Lab.argv(lab, "core", [
            "dnsmasq", "--no-daemon", "--port=53", f"--listen-address={L.CORE_ADDR}",
            "--bind-interfaces", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
            "--pid-file=", "--address=/ok.pantau.test/198.18.0.7"]))

        def dig_once():
            if not dm.alive():
                raise AssertionError(dm.output())
            out = lab.run("site", ["dig", "+tries=1", "+time=1", f"@{L.CORE_ADDR}",
                                   "ok.pantau.test"])
            return out.returncode == 0 and "198.18.0.7" in out.stdout
        wait_for(dig_once, 15, "dnsmasq in core", interval=0.2)
        started = time.time()
        rig.start_agent({"name": {"type": "dns", "target": "ok.pantau.test",
                                  "resolvers": f"{L.CORE_ADDR}:53", "count": self.COUNT,
                                  "tries": 1, "timeout_ms": 500}}, interval=15)
        # dig after the agent's queries, before its next cycle: never both at once
        r = rig.next_batch(started - 1, 40, "the agent's dns result")["results"][0]
        # dig -u: microseconds, so no whole-millisecond rounding to allow for;
        # its queries one after another, as the agent sends them, in a few
        # rounds for a steady median
        times = []
        for _ in range(self.DIG_ROUNDS):
            out = lab.run("site", ["dig", "-u", "+tries=1", "+time=1", f"@{L.CORE_ADDR}"] +
                          ["ok.pantau.test"] * self.COUNT)
            self.assertIn(" usec", out.stdout, "this dig has no -u (BIND 9.18 or later)")
            times += dig_times_ms(out.stdout)
        ping = L.parse_ping(lab.run("site", L.ping_argv(self.COUNT, 0.05)).stdout)
        path = ping["median"]
        self.assertEqual(len(times), self.COUNT * self.DIG_ROUNDS)
        self.assertEqual((r["sent"], r["recv"]), (self.COUNT, self.COUNT), r)
        ours, theirs = r["time_ms"]["p50"], L.median(times)
        print(f"dns at 25 ms each way: agent p50 {ours} ms, dig -u median {theirs:.3f} ms "
              f"(min {min(times):.3f}), ping median {path} ms (min {min(ping['rtts'])})")
        # the criterion against dig itself, and against the path's RTT
        self.assertLessEqual(abs(ours - theirs), max(0.5, 0.03 * theirs), r)
        self.assertLessEqual(abs(ours - path), max(0.5, 0.03 * path), r)
