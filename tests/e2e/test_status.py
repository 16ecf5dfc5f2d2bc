"""The status engine end to end: a real mosquitto and collector, results
published as agents would, status read back through the HTTP API."""
import datetime
import json
import os
import subprocess

from harness import (on_postgresql, MOSQUITTO_SUB, E2ETestCase, binary, http_json, wait_for,
                     wait_subscribed, write_ini)

GEO = "ag-9501-0001"      # Jayawijaya, Papua Pegunungan: a 3T regency
FIBER = "ag-3273-0001"    # Kota Bandung


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def now_iso():
    return iso(datetime.datetime.now(datetime.timezone.utc))


def batch(agent, seq, lost, p95):
    return json.dumps({
        "v": 1, "agent": agent, "boot": 1, "seq": seq, "ts": now_iso(),
        "results": [{"probe": "icmp", "target": "198.18.0.1", "sent": 20, "recv": 20 - lost,
                     "loss_pct": lost * 5.0,
                     "rtt_ms": {"min": p95 - 5, "p50": p95 - 3, "avg": p95 - 2, "p95": p95,
                                "max": p95 + 1}, "jitter_ms": 2.0, "pdv_ms": 4.0}],
        "outbox": {"pending": 0, "dropped": 0}})


def birth(agent, link):
    return json.dumps({"state": "online", "agent": agent, "boot": 1, "ts": now_iso(),
                       "site": f"Site {agent}", "link": link, "version": "test",
                       "interval_s": 5})


def topic(agent, leaf):
    code = agent.split("-")[1]
    return f"pantau/v1/{code[:2]}/{code}/{agent}/{leaf}"


class StatusEngineTest(E2ETestCase):
    def setUp(self):
        super().setUp()
        self.broker = self.start_broker()
        self.cfg, port = self.collector_config(self.broker.port, status__window=30,
                                               status__tick_ms=200)
        self.collector = self.start_collector(self.cfg)
        self.wait_api(port, self.collector)
        self.api = f"http://127.0.0.1:{port}"
        wait_subscribed(self.broker, self.api)
        self.seq = {}

    def send(self, agent, lost, p95):
        self.seq[agent] = self.seq.get(agent, 0) + 1
        self.broker.publish(topic(agent, "result"), batch(agent, self.seq[agent], lost, p95))

    def site(self, agent):
        return http_json(f"{self.api}/api/v1/sites/{agent}")[1]

    def wait_site(self, agent, status):
        return wait_for(lambda: (s := self.site(agent)).get("status") == status and s,
                        10, f"{agent} to be {status}")

    def regency(self, code):
        return http_json(f"{self.api}/api/v1/regions/{code}")[1]

    def test_3t_site_critical_puts_regency_at_risk(self):
        self.broker.publish(topic(GEO, "status"), birth(GEO, "vsat-geo"), retain=True)
        self.broker.publish(topic(FIBER, "status"), birth(FIBER, "fiber"), retain=True)
        # 620 ms is an ordinary GEO VSAT round trip and critical on fiber
        self.send(GEO, 0, 620)
        self.send(FIBER, 0, 620)
        self.wait_site(GEO, "OK")
        self.wait_site(FIBER, "CRITICAL")
        # loss at the 3T site: 2 bad windows (enter after 2) make it CRITICAL
        self.send(GEO, 10, 620)
        self.assertEqual(self.site(GEO)["status"], "OK")
        self.send(GEO, 10, 620)
        site = self.wait_site(GEO, "CRITICAL")
        self.assertIn("loss", site["reason"])
        self.assertIsNotNone(site["since"])
        region = wait_for(lambda: (r := self.regency("95.01"))["at_risk"] and r, 10,
                          "Jayawijaya to be at risk")
        self.assertTrue(region["tertinggal"])
        self.assertEqual(region["time_zone"], "WIT")
        # a CRITICAL site still reports: its figures are what is bad
        self.assertEqual((region["sites_reporting"], region["sites_known"]), (1, 1))
        self.assertTrue(region["reason"].startswith(f"3T site {GEO} CRITICAL for"),
                        region["reason"])
        # at risk first in the national list
        regions = http_json(f"{self.api}/api/v1/regions")[1]["regions"]
        self.assertEqual([r["code"] for r in regions[:2]], ["95.01", "32.73"])
        # the changes are events, newest first
        events = http_json(f"{self.api}/api/v1/events?scope=regency")[1]["events"]
        self.assertEqual(events[0]["key"], "95.01")
        self.assertEqual(events[0]["to"], "CRITICAL AT RISK")
        sites = http_json(f"{self.api}/api/v1/events?scope=site&limit=50")[1]["events"]
        self.assertIn((GEO, "OK", "CRITICAL"), {(e["key"], e["from"], e["to"]) for e in sites})
        overview = http_json(f"{self.api}/api/v1/overview")[1]
        papua = {p["code"]: p for p in overview["provinces"]}["95"]
        self.assertEqual(papua["regencies_at_risk"], 1)
        self.assertGreaterEqual(overview["nation"]["regencies_at_risk"], 1)
        self.assertEqual(set(overview["counting"]["zones"]), {"WIB", "WITA", "WIT"})

    def test_last_will_is_offline_at_once_and_survives_restart(self):
        self.broker.publish(topic(GEO, "status"), birth(GEO, "vsat-geo"), retain=True)
        self.send(GEO, 0, 610)
        self.wait_site(GEO, "OK")
        self.broker.publish(topic(GEO, "status"), json.dumps(
            {"state": "offline", "agent": GEO, "boot": 1, "reason": "lost"}), retain=True)
        site = self.wait_site(GEO, "OFFLINE")
        self.assertIn("connection lost (last will)", site["reason"])
        wait_for(lambda: self.regency("95.01")["at_risk"], 10, "Jayawijaya at risk")
        since = site["since"]
        nevents = len(http_json(f"{self.api}/api/v1/events?limit=1000")[1]["events"])
        # restart: nothing re-fires, nothing is forgotten
        self.assertEqual(self.collector.stop(), 0)
        self.collector = self.start_collector(self.cfg)
        self.wait_api(int(self.api.rsplit(":", 1)[1]), self.collector)
        site = self.site(GEO)
        self.assertEqual((site["status"], site["since"]), ("OFFLINE", since))
        self.assertTrue(self.regency("95.01")["at_risk"])
        wait_subscribed(self.broker, self.api)
        events = http_json(f"{self.api}/api/v1/events?limit=1000")[1]["events"]
        self.assertEqual(len(events), nevents)

    def test_events_bad_parameters(self):
        for query, words in (("since=yesterday", "since must be a UTC time"),
                             ("limit=0", "limit must be a number from 1 to 10000"),
                             ("scope=nation", "scope must be site or regency"),
                             ("colour=red", "unknown query parameter")):
            status, body = http_json(f"{self.api}/api/v1/events?{query}")
            self.assertEqual(status, 400, query)
            self.assertIn(words, body["error"])


class CountingModeTest(E2ETestCase):
    def test_mode_is_published_retained(self):
        broker = self.start_broker()
        # a window open now in WIT (and WITA, WIB: it spans two days)
        wit = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=9)
        start = (wit - datetime.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
        end = (wit + datetime.timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
        cfg, port = self.collector_config(broker.port, counting__start=start,
                                          counting__end=end)
        collector = self.start_collector(cfg)
        self.wait_api(port, collector)
        out = subprocess.run([MOSQUITTO_SUB, "-h", "127.0.0.1", "-p", str(broker.port),
                              "-t", "pantau/v1/mode", "-C", "1", "-W", "15"],
                             capture_output=True, text=True, timeout=20)
        mode = json.loads(out.stdout)
        self.assertEqual(mode["mode"], "counting")
        self.assertTrue(mode["zones"]["WIT"]["active"])
        overview = http_json(f"http://127.0.0.1:{port}/api/v1/overview")[1]
        self.assertTrue(overview["counting"]["active"])

    def test_agent_follows_its_zone(self):
        """Counting open in WIT only: the Papua agent measures every
        counting_interval, the Java agent keeps its interval."""
        broker = self.start_broker()
        wit = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=9)
        wib = wit - datetime.timedelta(hours=2)
        # opens at WIT's local time now minus a minute: WIB's opens two hours later
        start = (wit - datetime.timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M")
        end = (wit + datetime.timedelta(minutes=90)).strftime("%Y-%m-%d %H:%M")
        self.assertLess(wib, wit)
        cfg, port = self.collector_config(broker.port, counting__start=start,
                                          counting__end=end)
        collector = self.start_collector(cfg)
        self.wait_api(port, collector)
        api = f"http://127.0.0.1:{port}"
        probes = {"lo": {"type": "tcp", "target": f"127.0.0.1:{port}", "timeout_ms": 500}}
        agents = {}
        for agent_id, region in ((GEO, "95.01"), (FIBER, "32.73")):
            acfg = self.agent_config(agent_id, broker.port, agent_id, region, probes,
                                     agent__interval=20, agent__counting_interval=1)
            agents[agent_id] = self.start(agent_id, [binary("pantau-agent"), "--config", acfg])

        def site(agent):
            return http_json(f"{api}/api/v1/sites/{agent}")[1]
        # the Papua agent announces its counting interval and reports every second
        wait_for(lambda: site(GEO).get("interval_s") == 1, 20, "the WIT agent's counting birth")
        wait_for(lambda: (site(GEO).get("latest_batch") or {}).get("seq", 0) >= 4, 20,
                 "four batches from the WIT agent")
        self.assertIn("vote counting in this time zone", agents[GEO].output())
        # the Java agent is outside its window: still every 20 s
        fiber = site(FIBER)
        self.assertEqual(fiber.get("interval_s"), 20)
        self.assertLessEqual((fiber.get("latest_batch") or {}).get("seq", 0), 1)
        self.assertNotIn("vote counting", agents[FIBER].output())


class ProfileErrorsTest(E2ETestCase):
    def test_bad_profile_names_file_line_key(self):
        prof = write_ini(os.path.join(self.workdir, "profiles.ini"), {
            "link.fiber": {"rtt_p95_degraded_ms": "fast"}})
        cfg, _ = self.collector_config(1, status__profiles=prof)
        out = subprocess.run([binary("pantau-collector"), "--config", cfg],
                             capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn(f"{prof}:2: [link.fiber] rtt_p95_degraded_ms", out.stderr)

    def test_bad_counting_window(self):
        cfg, _ = self.collector_config(1, counting__start="2029-02-15 13:00",
                                       counting__end="2029-02-14 13:00")
        out = subprocess.run([binary("pantau-collector"), "--check", "--config", cfg],
                             capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn("[counting] end: counting end '2029-02-14 13:00' is not after its start",
                      out.stderr)


StatusEnginePgTest = on_postgresql(StatusEngineTest)
