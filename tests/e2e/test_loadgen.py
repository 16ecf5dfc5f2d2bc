"""pantau-loadgen against a real mosquitto: what arrives is wire contract v1."""
import csv
import json
import os
import re
import signal
import subprocess
import time

from harness import (CATALOG_DIR, MOSQUITTO_SUB, E2ETestCase, binary, free_port, http_json,
                     wait_for, wait_subscribed)

RUN_ALONE = True   # tests/run.py --jobs: the load generator takes both cores

READY = "lgtest/ready"
RESULTS = "pantau/v1/+/+/+/result"
STATUS = "pantau/v1/+/+/+/status"
TOPIC = re.compile(r"^pantau/v1/(\d{2})/(\d{4})/([A-Za-z0-9_-]{1,64})/(result|status)$")
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
LINKS = {"fiber", "microwave", "cellular", "vsat-geo", "vsat-leo"}


def regency_codes():
    with open(os.path.join(CATALOG_DIR, "regencies.csv"), newline="") as f:
        return {row["code"] for row in csv.DictReader(f)}


def report(text):
    """The load generator's JSON line from its output."""
    lines = [ln for ln in text.splitlines() if ln.startswith('{"published"')]
    if len(lines) != 1:
        raise AssertionError("expected one JSON report line in:\n" + text)
    return json.loads(lines[0])


class Sub:
    """mosquitto_sub printing "RETAIN TOPIC PAYLOAD" per message, known to be
    subscribed once a marker on READY has come back."""

    def __init__(self, tc, broker, topic, name="sub", extra=()):
        self.broker = broker
        argv = [MOSQUITTO_SUB, "-h", "127.0.0.1", "-p", str(broker.port), "-q", "1",
                "-t", topic, "-t", READY, "-F", "%r %t %p", *extra]
        self.proc = tc.start(name, argv)

    def messages(self):
        out = []
        for line in self.proc.output().splitlines():
            parts = line.split(" ", 2)
            if len(parts) == 3 and parts[1] != READY:
                out.append((parts[0] == "1", parts[1], parts[2]))
        return out

    def wait_ready(self):
        def seen():
            self.broker.publish(READY, "ready")
            return any(f" {READY} " in ln for ln in self.proc.output().splitlines())
        wait_for(seen, 15, "mosquitto_sub's subscription", interval=0.2)
        return self


class LoadgenTest(E2ETestCase):

    def setUp(self):
        super().setUp()
        self.broker = self.start_broker()

    def loadgen(self, *args, timeout=60):
        argv = [binary("pantau-loadgen"), "--port", str(self.broker.port),
                "--catalog", CATALOG_DIR, *map(str, args)]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        return r.returncode, r.stdout, r.stderr

    def check_batches(self, messages, prefix, expect):
        """Every message a valid v1 batch; per agent one boot and seq 1..n in order."""
        codes = regency_codes()
        per_agent = {}
        for retained, topic, payload in messages:
            m = TOPIC.match(topic)
            self.assertIsNotNone(m, topic)
            pp, rrrr, agent, leaf = m.groups()
            self.assertEqual(leaf, "result")
            self.assertFalse(retained, topic)
            self.assertEqual(rrrr[:2], pp)
            self.assertIn(f"{rrrr[:2]}.{rrrr[2:]}", codes)
            self.assertRegex(agent, rf"^{prefix}-{rrrr}-\d{{4}}$")
            b = json.loads(payload)
            self.assertEqual(b["v"], 1)
            self.assertEqual(b["agent"], agent)
            self.assertRegex(b["ts"], TS)
            self.assertIsInstance(b["boot"], int)
            self.check_results(b["results"])
            per_agent.setdefault(agent, []).append((b["boot"], b["seq"]))
        self.assertEqual(len(messages), expect)
        for agent, ids in per_agent.items():
            self.assertEqual(len({boot for boot, _ in ids}), 1, agent)
            seqs = [seq for _, seq in ids]
            self.assertEqual(seqs, list(range(1, len(seqs) + 1)), agent)
        return per_agent

    def check_results(self, results):
        by_probe = {r["probe"]: r for r in results}
        self.assertEqual(sorted(by_probe), ["http", "icmp", "tcp"])
        icmp = by_probe["icmp"]
        sent, recv = icmp["sent"], icmp["recv"]
        self.assertGreater(sent, 0)
        self.assertTrue(0 <= recv <= sent)
        self.assertAlmostEqual(icmp["loss_pct"], (sent - recv) * 100.0 / sent, delta=0.001)
        if recv > 0:
            r = icmp["rtt_ms"]
            self.assertTrue(r["min"] <= r["p50"] <= r["p95"] <= r["max"], r)
            self.assertTrue(r["min"] <= r["avg"] <= r["max"], r)
        for kind in ("http", "tcp"):
            res = by_probe[kind]
            self.assertIsInstance(res["ok"], bool)
            if not res["ok"]:
                self.assertIn("error", res)
        if by_probe["http"]["ok"]:
            self.assertEqual(by_probe["http"]["status"], 200)
            self.assertGreater(by_probe["http"]["total_ms"], 0)
        if by_probe["tcp"]["ok"]:
            self.assertGreater(by_probe["tcp"]["connect_ms"], 0)

    def test_batches_are_valid_v1(self):
        sub = Sub(self, self.broker, RESULTS).wait_ready()
        rc, out, err = self.loadgen("--agents", 25, "--connections", 4, "--count", 400,
                                    "--seed", 7, "--prefix", "lgt")
        self.assertEqual(rc, 0, err)
        rep = report(out)
        self.assertEqual((rep["published"], rep["acked"]), (400, 400))
        self.assertEqual((rep["connections"], rep["agents"]), (4, 25))
        self.assertGreater(rep["seconds"], 0)
        wait_for(lambda: len(sub.messages()) >= 400, 20, "400 batches at mosquitto_sub")
        per_agent = self.check_batches(sub.messages(), "lgt", 400)
        # 25 agents are dealt over 25 different regencies of the shuffled catalog.
        self.assertEqual(len(per_agent), 25)
        self.assertEqual(len({a.split("-")[1] for a in per_agent}), 25)

    def test_seed_fixes_identity(self):
        def identities(seed):
            sub = Sub(self, self.broker, RESULTS, name=f"sub-{seed}-{time.monotonic_ns()}")
            sub.wait_ready()
            rc, _, err = self.loadgen("--agents", 10, "--connections", 2, "--count", 10,
                                      "--seed", seed)
            self.assertEqual(rc, 0, err)
            wait_for(lambda: len(sub.messages()) >= 10, 20, "10 batches")
            return {(json.loads(p)["agent"], json.loads(p)["boot"])
                    for _, _, p in sub.messages()}
        first = identities(11)
        self.assertEqual(len(first), 10)
        self.assertEqual(identities(11), first)
        self.assertNotEqual(identities(12), first)

    def test_births_are_retained(self):
        rc, out, err = self.loadgen("--agents", 12, "--connections", 3, "--count", 24,
                                    "--births", "--seed", 5, "--prefix", "lgb")
        self.assertEqual(rc, 0, err)
        rep = report(out)
        self.assertEqual((rep["published"], rep["acked"], rep["births"]), (24, 24, 12))
        # A subscriber arriving afterwards gets every birth, flagged retained.
        sub = self.start("retained", [MOSQUITTO_SUB, "-h", "127.0.0.1", "-p",
                                      str(self.broker.port), "-q", "1", "-t", STATUS,
                                      "--retained-only", "-C", "12", "-W", "10",
                                      "-F", "%r %t %p"])
        sub.wait(15)
        lines = [ln.split(" ", 2) for ln in sub.output().splitlines() if ln.strip()]
        self.assertEqual(len(lines), 12, sub.output())
        agents = set()
        for retained, topic, payload in lines:
            self.assertEqual(retained, "1")
            m = TOPIC.match(topic)
            self.assertIsNotNone(m, topic)
            self.assertEqual(m.group(4), "status")
            s = json.loads(payload)
            self.assertEqual((s["v"], s["state"], s["agent"]), (1, "online", m.group(3)))
            self.assertIn(s["link"], LINKS)
            self.assertIsInstance(s["site"], str)
            self.assertGreaterEqual(s["interval"], 1)
            self.assertEqual(s["region"], f"{m.group(2)[:2]}.{m.group(2)[2:]}")
            agents.add(s["agent"])
        self.assertEqual(len(agents), 12)

    def test_rate_limits_and_sigterm_drains(self):
        sub = Sub(self, self.broker, RESULTS).wait_ready()
        started = time.monotonic()
        lg = self.start("loadgen", [binary("pantau-loadgen"), "--port", str(self.broker.port),
                                    "--catalog", CATALOG_DIR, "--agents", "20",
                                    "--connections", "2", "--inflight", "5", "--rate", "50",
                                    "--prefix", "lgr"])
        wait_for(lambda: len(sub.messages()) >= 20, 20, "the first 20 batches")
        lg.signal(signal.SIGTERM)
        self.assertEqual(lg.wait(30), 0, lg.output())
        elapsed = time.monotonic() - started
        rep = report(lg.output())
        self.assertGreaterEqual(rep["published"], 20)
        self.assertEqual(rep["acked"], rep["published"])
        # Paced at 50/s: never more than the rate allows over the whole run,
        # plus at most one window per connection.
        self.assertLessEqual(rep["published"], 50 * elapsed + 2 * 5)
        wait_for(lambda: len(sub.messages()) >= rep["published"], 20, "every acked batch")
        self.check_batches(sub.messages(), "lgr", rep["published"])

    def test_duration_with_interval(self):
        sub = Sub(self, self.broker, RESULTS).wait_ready()
        started = time.monotonic()
        rc, out, err = self.loadgen("--agents", 10, "--connections", 2, "--interval", 1,
                                    "--duration", 2.5, "--prefix", "lgi")
        elapsed = time.monotonic() - started
        self.assertEqual(rc, 0, err)
        rep = report(out)
        self.assertGreater(rep["published"], 0)
        self.assertEqual(rep["acked"], rep["published"])
        # Each of the 10 agents publishes once a second.
        self.assertLessEqual(rep["published"], 10 * elapsed + 2)
        wait_for(lambda: len(sub.messages()) >= rep["published"], 20, "every acked batch")
        per_agent = self.check_batches(sub.messages(), "lgi", rep["published"])
        counts = [len(v) for v in per_agent.values()]
        self.assertLessEqual(max(counts) - min(counts), 1, per_agent)

    def test_no_broker_publishes_nothing(self):
        rc, out, err = self.loadgen("--port", free_port(), "--agents", 5, "--connections", 2,
                                    "--count", 10, "--duration", 1.5)
        self.assertEqual(rc, 1, err)
        rep = report(out)
        self.assertEqual((rep["published"], rep["acked"]), (0, 0))
        self.assertIn("never connected", err)

    def test_collector_stores_every_batch(self):
        cfg, api_port = self.collector_config(self.broker.port)
        col = self.start_collector(cfg)
        self.wait_api(api_port, col)
        api = f"http://127.0.0.1:{api_port}"
        wait_subscribed(self.broker, api)
        _, before = http_json(f"{api}/api/v1/stats")
        rc, out, err = self.loadgen("--agents", 40, "--connections", 4, "--count", 600,
                                    "--births", "--prefix", "lgc")
        self.assertEqual(rc, 0, err)
        self.assertEqual(report(out)["acked"], 600)

        def stored():
            _, s = http_json(f"{api}/api/v1/stats")
            return s if s["stored"] - before["stored"] >= 600 else None
        after = wait_for(stored, 30, "the collector to store 600 batches")
        self.assertEqual(after["stored"] - before["stored"], 600)
        self.assertEqual(after["rejected"] - before["rejected"], 0, after)
        self.assertEqual(after["duplicates"] - before["duplicates"], 0, after)

    def test_demo_fleet_shows_the_country(self):
        """--demo: simulated sites with positions across many provinces, the 3T
        regency Jayawijaya at risk, some sites degraded and some offline."""
        cfg, api_port = self.collector_config(self.broker.port, status__window=5,
                                              status__tick_ms=200)
        col = self.start_collector(cfg)
        self.wait_api(api_port, col)
        api = f"http://127.0.0.1:{api_port}"
        wait_subscribed(self.broker, api)
        rc, out, err = self.loadgen("--agents", 300, "--connections", 4, "--births", "--demo",
                                    "--interval", 1, "--duration", 4, "--seed", 7)
        self.assertEqual(rc, 0, err)

        def picture():
            regions = http_json(f"{api}/api/v1/regions")[1]["regions"]
            first = regions[0] if regions else {}
            statuses = {r["status"] for r in regions}
            if first.get("code") == "95.01" and {"OFFLINE", "DEGRADED"} <= statuses:
                return regions
            return None
        regions = wait_for(picture, 20, "Jayawijaya at risk first, degraded and offline sites")
        self.assertTrue(regions[0]["at_risk"])
        self.assertTrue(regions[0]["reason"].startswith("3T site sim-9501-"), regions[0])
        self.assertGreaterEqual(len({r["province"] for r in regions}), 30)
        # every simulated site's first batch has a throughput test: the
        # regencies with a reporting site have an upload rate
        with_upload = [r for r in regions if r["upload_mbps"] is not None]
        self.assertGreater(len(with_upload), len(regions) * 3 // 4)
        self.assertTrue(all(0.5 < r["upload_mbps"] < 200 for r in with_upload), with_upload[:3])
        site = http_json(f"{api}/api/v1/regions/95.01")[1]["sites"][0]
        self.assertTrue(site["simulated"])
        self.assertTrue(-5.0 < site["lat"] < -3.0 and 138.0 < site["lon"] < 140.0, site)
        self.assertTrue(site["site"].startswith("Simulated site"))
