"""SIGHUP reloads (docs/configuration.md, "Reloading"), with the real broker
and daemons: the collector's thresholds under steady load, with nothing lost
or stored twice; a bad file keeps the running configuration and is reported
in the words a start uses (collector, reflector, agent); the agent's probes;
the reflector's limits."""
import json
import os
import signal
import sqlite3
import subprocess
import urllib.error
import urllib.request

from harness import (CATALOG_DIR, E2ETestCase, binary, free_port, http_json, port_open,
                     wait_for, wait_subscribed, write_ini)
from test_alerts import Receiver
from test_status import batch, birth, topic

SITE = "ag-3273-0001"    # Kota Bandung, fiber
LOSS_PCT = 5             # what SITE always reports: 1 of 20 lost


def reloads(proc, who):
    """Lines saying a reload succeeded."""
    return [ln for ln in proc.output().splitlines() if f"{who}: reloaded " in ln]


def failed_reloads(proc, who):
    return [ln for ln in proc.output().splitlines() if f"{who}: reload of " in ln]


def hup(proc, who, ok):
    """SIGHUP to proc; wait until it logged that the reload succeeded (ok) or
    failed."""
    count = reloads if ok else failed_reloads
    before = len(count(proc, who))
    proc.signal(signal.SIGHUP)
    wait_for(lambda: len(count(proc, who)) > before, 10, f"the {who}'s reload")


def start_words(argv):
    """What a start with this configuration says on stderr (it exits 2)."""
    out = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert lines, out.stderr
    return lines


class CollectorReloadTest(E2ETestCase):
    def setUp(self):
        super().setUp()
        self.broker = self.start_broker()
        self.profiles = os.path.join(self.workdir, "profiles.ini")
        self.write_profiles(3)
        self.cfg, port = self.collector_config(
            self.broker.port, status__window=30, status__tick_ms=200,
            status__enter_windows=1, status__leave_windows=1, status__profiles=self.profiles)
        self.collector = self.start_collector(self.cfg)
        self.wait_api(port, self.collector)
        self.api = f"http://127.0.0.1:{port}"
        wait_subscribed(self.broker, self.api)
        self.seq = 0
        self.broker.publish(topic(SITE, "status"), birth(SITE, "fiber"), retain=True)

    def write_profiles(self, degraded_pct, critical_pct=50):
        write_ini(self.profiles, {"link.fiber": {"loss_degraded_pct": degraded_pct,
                                                 "loss_critical_pct": critical_pct}})

    def send(self):
        self.seq += 1
        self.broker.publish(topic(SITE, "result"), batch(SITE, self.seq, 1, 20))

    def site(self):
        return http_json(f"{self.api}/api/v1/sites/{SITE}")[1]

    def wait_status(self, status, after):
        """The site's status once its batch seq `after` has been judged."""
        def judged():
            s = self.site()
            return ((s.get("latest_batch") or {}).get("seq") == after and
                    s["status"] == status and s)
        return wait_for(judged, 10, f"{SITE} {status} after batch {after}")

    def hup(self, expect_ok):
        hup(self.collector, "collector", expect_ok)

    def test_ten_reloads_under_load_lose_nothing_and_decide_the_next_window(self):
        self.send()
        self.wait_status("DEGRADED", 1)      # 5 % loss above 3 %
        lg = self.start("loadgen", [binary("pantau-loadgen"), "--port", str(self.broker.port),
                                    "--catalog", CATALOG_DIR, "--agents", "40",
                                    "--connections", "2", "--rate", "100", "--births",
                                    "--prefix", "rl"])
        wait_for(lambda: http_json(f"{self.api}/api/v1/stats")[1]["stored"] > 100, 20,
                 "the load to arrive")
        # ten reloads, the DEGRADED bound moving across the site's 5 % each time
        for k in range(10):
            # the load goes on through every reload
            stored = http_json(f"{self.api}/api/v1/stats")[1]["stored"]
            wait_for(lambda: http_json(f"{self.api}/api/v1/stats")[1]["stored"] > stored + 10,
                     10, "more of the load stored")
            bound = 8 if k % 2 == 0 else 3
            self.write_profiles(bound)
            self.hup(expect_ok=True)
            self.send()
            s = self.wait_status("OK" if bound > LOSS_PCT else "DEGRADED", self.seq)
            if bound < LOSS_PCT:
                self.assertIn(f"above {bound} %", s["reason"])
        lg.signal(signal.SIGTERM)
        self.assertEqual(lg.wait(30), 0, lg.output())
        rep = json.loads([ln for ln in lg.output().splitlines()
                          if ln.startswith('{"published"')][-1])
        self.assertEqual(rep["acked"], rep["published"])
        self.assertGreater(rep["published"], 200)
        db = os.path.join(self.workdir, "pantau.db")

        def rows():
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
            try:
                return con.execute("SELECT count(*), count(DISTINCT agent || '/' || boot || '/'"
                                   " || seq) FROM batches WHERE agent LIKE 'rl-%'").fetchone()
            finally:
                con.close()
        wait_for(lambda: rows()[0] >= rep["published"], 30, "every published batch stored")
        total, distinct = rows()
        self.assertEqual(total, rep["published"], "batches lost or stored twice")
        self.assertEqual(distinct, total)
        stats = http_json(f"{self.api}/api/v1/stats")[1]
        self.assertEqual((stats["duplicates"], stats["rejected"]), (0, 0), stats)
        self.assertEqual(stats["stored"], rep["published"] + self.seq)
        self.assertEqual(len(reloads(self.collector, "collector")), 10)
        self.assertIn("alert receivers: none", reloads(self.collector, "collector")[-1])

    def test_bad_files_keep_the_running_configuration_in_the_words_of_a_start(self):
        self.send()
        self.wait_status("DEGRADED", 1)
        good = open(self.cfg).read()
        cases = {
            "profiles": lambda: self.write_profiles("lots"),
            "collector.ini": lambda: open(self.cfg, "a").write(
                "[status]\nat_risk_pct = 500\n[alerts]\nwebhook_url = ftp://x\n"),
        }
        for what, spoil in cases.items():
            with self.subTest(what):
                spoil()
                words = start_words([binary("pantau-collector"), "--config", self.cfg])
                self.hup(expect_ok=False)
                log = self.collector.output()
                for line in words:
                    self.assertIn(line, log)
                # still the running 3 %: DEGRADED
                self.send()
                self.wait_status("DEGRADED", self.seq)
                self.write_profiles(3)
                with open(self.cfg, "w") as f:
                    f.write(good)
        # a good file after them takes effect
        self.write_profiles(8)
        self.hup(expect_ok=True)
        self.send()
        self.wait_status("OK", self.seq)

    def test_changes_that_take_a_restart_are_named_and_keep_running(self):
        with open(self.cfg, "a") as f:
            f.write("[replay]\ninterval = 7\n[status]\nat_risk_pct = 40\n")
        self.hup(expect_ok=True)
        log = self.collector.output()
        self.assertIn("collector: reload: [replay] interval changed; it takes effect at the next "
                      "restart", log)
        self.assertNotIn("[status] at_risk_pct changed", log)
        self.assertIn("1 key(s) changed", reloads(self.collector, "collector")[-1])

    def test_receivers_and_flags_reload(self):
        self.send()
        self.wait_status("DEGRADED", 1)
        old, new = Receiver(), Receiver()
        self.addCleanup(old.close)
        self.addCleanup(new.close)
        flags = os.path.join(self.workdir, "flags.csv")
        with open(flags, "w") as f:
            f.write("code,tertinggal,terdepan,terluar\n32.73,0,1,0\n")
        with open(self.cfg, "a") as f:
            f.write(f"[alerts]\nwebhook_url = http://127.0.0.1:{old.port}/hook\n")
        self.hup(expect_ok=True)
        self.assertIn("alert receivers: webhook", reloads(self.collector, "collector")[-1])
        # the site goes down (the 30 s window: 13 of 40 lost, above 20 %): the
        # first receiver hears of it
        self.write_profiles(3, 20)
        with open(self.cfg) as f:
            text = f.read()
        self.hup(expect_ok=True)
        self.broker.publish(topic(SITE, "result"), batch(SITE, self.seq + 1, 12, 20))
        self.seq += 1
        self.wait_status("CRITICAL", self.seq)
        wait_for(lambda: old.bodies("/hook"), 10, "the first webhook")
        # another receiver, the 3T flags (Bandung becomes terdepan) and a
        # critical bound of 50 % again
        self.write_profiles(3)
        with open(self.cfg, "w") as f:
            f.write(text.replace(f"127.0.0.1:{old.port}", f"127.0.0.1:{new.port}") +
                    f"[status]\nregency_flags = {flags}\n")
        self.hup(expect_ok=True)
        region = wait_for(lambda: (r := http_json(f"{self.api}/api/v1/regions/32.73")[1])
                          .get("is_3t") and r, 10, "Bandung 3T")
        self.assertTrue(region["terdepan"])
        sent = len(old.bodies())
        self.send()                      # 14 of 60 lost: DEGRADED, no longer CRITICAL
        self.wait_status("DEGRADED", self.seq)
        done = wait_for(lambda: [b for b in new.bodies("/hook")
                                 if any(a["status"] == "resolved" for a in b["alerts"])],
                        10, "the resolve at the new receiver")
        self.assertEqual(done[0]["regency"], "32.73")
        self.assertEqual(len(old.bodies()), sent)
        # the counters go on across reloads: one series for both receivers
        wait_for(lambda: f'pantau_alert_deliveries_sent_total{{receiver="webhook"}} '
                 f'{len(old.bodies()) + len(new.bodies())}\n' in urllib.request.urlopen(
                     f"{self.api}/metrics", timeout=5).read().decode(), 5, "the counters")


class ReflectorReloadTest(E2ETestCase):
    def setUp(self):
        super().setUp()
        self.http, self.udp = free_port(), free_port()
        self.cfg = os.path.join(self.workdir, "reflector.ini")
        self.write(1000)
        self.p = self.start("reflector", [binary("pantau-reflector"), "--config", self.cfg])
        wait_for(lambda: port_open(self.http) or not self.p.alive(), 10, "the reflector")
        self.assertTrue(self.p.alive(), self.p.output())

    def write(self, max_bytes, extra="", udp=None):
        with open(self.cfg, "w") as f:
            f.write(f"[stamp]\nlisten = 127.0.0.1\nport = {udp or self.udp}\n"
                    f"[http]\nlisten = 127.0.0.1\nport = {self.http}\nmax_bytes = {max_bytes}\n"
                    f"{extra}")

    def download(self, n):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http}/download?bytes={n}",
                                        timeout=5) as r:
                return r.status, len(r.read())
        except urllib.error.HTTPError as e:
            return e.code, 0

    def hup(self, ok):
        hup(self.p, "reflector", ok)

    def test_limits_reload(self):
        self.assertEqual(self.download(5000)[0], 413)
        self.write(10000, udp=free_port())
        self.hup(ok=True)
        self.assertEqual(self.download(5000), (200, 5000))
        self.assertEqual(self.download(20000)[0], 413)
        line = reloads(self.p, "reflector")[-1]
        self.assertIn("HTTP at most 10000 bytes per request", line)
        # a new STAMP port takes a restart: named, not applied
        self.assertIn("reflector: reload: [stamp] port changed; it takes effect at the next "
                      "restart", self.p.output())
        self.assertIn("1 key(s) changed", line)

    def test_bad_file_keeps_the_limits_in_the_words_of_a_start(self):
        self.write(10000, "per_client = 100\nmax_connections = 10\n")
        words = start_words([binary("pantau-reflector"), "--config", self.cfg])
        self.hup(ok=False)
        for line in words:
            self.assertIn(line, self.p.output())
        self.assertEqual(self.download(5000)[0], 413)     # still 1000 bytes


class AgentReloadTest(E2ETestCase):
    def setUp(self):
        super().setUp()
        self.start_stack()
        self.probes = {"api": {"type": "tcp", "target": f"127.0.0.1:{self.api_port}",
                               "timeout_ms": 500}}
        self.cfg = self.write()
        self.agent = self.start("agent", [binary("pantau-agent"), "--config", self.cfg])

    def write(self, **extra):
        return self.agent_config("agent", self.broker.port, SITE, "32.73",
                                 dict(self.probes, **extra), agent__interval=2)

    def targets(self):
        status, body = http_json(f"{self.api}/api/v1/sites/{SITE}")
        return {r["target"] for r in body.get("latest", [])} if status == 200 else set()

    def hup(self, ok):
        hup(self.agent, "agent", ok)

    def test_a_new_probe_appears_in_its_results(self):
        api = f"127.0.0.1:{self.api_port}"
        broker = f"127.0.0.1:{self.broker.port}"
        wait_for(lambda: self.targets() == {api}, 20, "the agent's first results")
        self.write(broker={"type": "tcp", "target": broker, "timeout_ms": 500})
        self.hup(ok=True)
        self.assertIn("2 probe(s) from the next cycle on: api, broker",
                      reloads(self.agent, "agent")[-1])
        wait_for(lambda: self.targets() == {api, broker}, 20, "the new probe's results")
        # the same boot: a reload is no restart
        boots = {ln for ln in self.agent.output().splitlines() if " boot " in ln}
        self.assertEqual(len(boots), 1, boots)

    def test_bad_file_keeps_the_probes_in_the_words_of_a_start(self):
        wait_for(lambda: self.targets(), 20, "the agent's first results")
        self.write(bad={"type": "tcp", "target": "127.0.0.1:1", "count": "many"})
        words = start_words([binary("pantau-agent"), "--config", self.cfg])
        self.hup(ok=False)
        for line in words:
            self.assertIn(line, self.agent.output())
        self.assertNotIn("reloaded", self.agent.output())

    def test_identity_and_broker_take_a_restart(self):
        wait_for(lambda: self.targets(), 20, "the agent's first results")
        with open(self.cfg) as f:
            text = f.read().replace("site = Site ag-3273-0001", "site = Another name")
        with open(self.cfg, "w") as f:
            f.write(text)
        self.hup(ok=True)
        self.assertIn("agent: reload: [agent] site changed; it takes effect at the next "
                      "restart", self.agent.output())
