"""Agent -> broker -> collector -> API and CLI, with real processes on loopback."""
import gzip
import json
import os
import signal
import subprocess
import time
import urllib.request

from harness import E2ETestCase, binary, http_json, on_postgresql, wait_for, wait_subscribed

IS_ROOT = os.geteuid() == 0


class PipelineTest(E2ETestCase):
    """A real mosquitto, the collector and two agents in two regencies."""

    def setUp(self):
        super().setUp()
        self.start_stack()

    def start_agent(self, agent_id, region, link="fiber", extra_probes=None):
        probes = {
            "loopback": {"type": "icmp", "target": "127.0.0.1", "count": 5,
                         "spacing_ms": 20, "timeout_ms": 500},
            "api": {"type": "tcp", "target": f"127.0.0.1:{self.api_port}",
                    "timeout_ms": 2000},
            "health": {"type": "http", "target": f"{self.api}/healthz", "timeout_ms": 3000},
        }
        probes.update(extra_probes or {})
        cfg = self.agent_config(agent_id, self.broker.port, agent_id, region, probes,
                                agent__link=link)
        return self.start(agent_id, [binary("pantau-agent"), "--config", cfg]), cfg

    def site(self, agent):
        status, body = http_json(f"{self.api}/api/v1/sites/{agent}")
        return body if status == 200 else None

    def test_results_reach_api_and_cli(self):
        self.start_agent("ag-3273-0001", "32.73")
        # 95.01 Jayawijaya (Papua Pegunungan since 2022) is a 3T regency on GEO VSAT.
        self.start_agent("ag-9501-0001", "95.01", link="vsat-geo")

        def both_reported():
            _, body = http_json(f"{self.api}/api/v1/regions")
            codes = {r["code"]: r for r in body["regions"] if r["last_result"]}
            return codes if {"32.73", "95.01"} <= set(codes) else None
        regions = wait_for(both_reported, 30, "both regencies to report")
        bandung = regions["32.73"]
        self.assertEqual(bandung["name"], "Kota Bandung")
        self.assertEqual(bandung["province"], "32")
        self.assertEqual(bandung["sites_known"], 1)
        self.assertEqual(bandung["sites_reporting"], 1)
        self.assertEqual(bandung["status"], "OK")
        if IS_ROOT:
            self.assertEqual(bandung["loss_pct"], 0)
            self.assertGreater(bandung["rtt_p50_ms"], 0)
            self.assertLess(bandung["rtt_p95_ms"], 50)

        site = self.site("ag-3273-0001")
        by_probe = {r["probe"]: r for r in site["latest"]}
        self.assertEqual(set(by_probe), {"icmp", "tcp", "http"})
        self.assertTrue(by_probe["tcp"]["ok"])
        self.assertGreaterEqual(by_probe["tcp"]["connect_ms"], 0)
        self.assertTrue(by_probe["http"]["ok"])
        self.assertEqual(by_probe["http"]["status"], 200)
        if IS_ROOT:
            self.assertEqual(by_probe["icmp"]["sent"], 5)
            self.assertEqual(by_probe["icmp"]["recv"], 5)
        self.assertEqual(site["link"], "fiber")
        self.assertEqual(site["status"], "OK")
        self.assertGreaterEqual(site["boot"], 1)

        out = subprocess.run([binary("pantau"), "summary", "--url", self.api],
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("Kota Bandung", out.stdout)
        self.assertIn("Jayawijaya", out.stdout)
        js = subprocess.run([binary("pantau"), "summary", "--json", "--province", "32",
                             "--url", self.api], capture_output=True, text=True, timeout=10)
        self.assertEqual(js.returncode, 0, js.stderr)
        self.assertEqual([r["code"] for r in json.loads(js.stdout)["regions"]], ["32.73"])
        one = subprocess.run([binary("pantau"), "site", "ag-9501-0001", "--url", self.api],
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(one.returncode, 0, one.stderr)
        self.assertIn("vsat-geo", one.stdout)

    def test_sigkill_shows_offline_by_last_will(self):
        agent, _ = self.start_agent("ag-3273-0002", "32.73")
        wait_for(lambda: (self.site("ag-3273-0002") or {}).get("status") == "OK", 30,
                 "the agent's first results")
        agent.kill()  # SIGKILL: no goodbye; the broker sends the last will
        site = wait_for(lambda: (s := self.site("ag-3273-0002")) and
                        s["status"] == "OFFLINE" and s, 20, "OFFLINE by last will")
        self.assertIn("last will", site["reason"])
        _, body = http_json(f"{self.api}/api/v1/regions/32.73")
        self.assertEqual(body["status"], "OFFLINE")
        self.assertEqual(body["sites"][0]["status"], "OFFLINE")

    def test_sigterm_says_shut_down(self):
        agent, _ = self.start_agent("ag-3273-0003", "32.73")
        wait_for(lambda: (self.site("ag-3273-0003") or {}).get("status") == "OK", 30,
                 "the agent's first results")
        self.assertEqual(agent.stop(), 0, agent.output())
        site = wait_for(lambda: (s := self.site("ag-3273-0003")) and
                        s["status"] == "OFFLINE" and s, 20, "OFFLINE after shutdown")
        self.assertIn("shut down", site["reason"])

    def test_boot_increments_across_restarts(self):
        agent, cfg = self.start_agent("ag-3273-0004", "32.73")
        first = wait_for(lambda: (s := self.site("ag-3273-0004")) and s["boot"] and s, 30,
                         "first boot")
        agent.stop()
        self.start("ag-3273-0004-again", [binary("pantau-agent"), "--config", cfg])
        wait_for(lambda: self.site("ag-3273-0004")["boot"] == first["boot"] + 1, 30,
                 "the next boot to report")


class CollectorRestartTest(E2ETestCase):
    """The collector's persistent session keeps what arrives while it is down."""

    def test_batches_published_while_collector_down_are_stored(self):
        broker = self.start_broker()
        cfg, api_port = self.collector_config(broker.port)
        collector = self.start_collector(cfg)
        self.wait_api(api_port, collector)
        api = f"http://127.0.0.1:{api_port}"
        # the session holds the subscription once the collector subscribed
        wait_subscribed(broker, api)
        self.assertEqual(collector.stop(), 0, collector.output())
        payload = batch("ag-3273-0100", 1)
        broker.publish("pantau/v1/32/3273/ag-3273-0100/result", payload)
        collector2 = self.start("collector-2", [binary("pantau-collector"), "--config", cfg])
        self.wait_api(api_port, collector2)
        wait_for(lambda: http_json(f"{api}/api/v1/stats")[1]["stored"] == 1, 15,
                 "the batch queued by the broker to be stored")


def batch(agent, seq, loss=0.0, boot=1, ts="2024-02-14T06:00:30.125Z"):
    sent, recv = 10, max(0, 10 - round(loss / 10))
    return json.dumps({
        "v": 1, "agent": agent, "boot": boot, "seq": seq, "ts": ts,
        "results": [{"probe": "icmp", "target": "203.0.113.10", "sent": sent, "recv": recv,
                     "loss_pct": loss,
                     "rtt_ms": {"min": 41.2, "p50": 43.0, "avg": 43.4, "p95": 47.9,
                                "max": 52.1}, "jitter_ms": 1.9, "pdv_ms": 6.7}],
        "outbox": {"pending": 0, "dropped": 0}})


class BadInputTest(E2ETestCase):
    """A malformed message is rejected and counted; valid neighbours are stored."""

    def setUp(self):
        super().setUp()
        self.broker = self.start_broker()
        cfg, api_port = self.collector_config(self.broker.port)
        self.collector = self.start_collector(cfg)
        self.wait_api(api_port, self.collector)
        self.api = f"http://127.0.0.1:{api_port}"
        wait_subscribed(self.broker, self.api)

    def stats(self):
        return http_json(f"{self.api}/api/v1/stats")[1]

    def test_malformed_rejected_counted_next_valid_stored(self):
        topic = "pantau/v1/32/3273/ag-3273-0200/result"
        self.broker.publish(topic, batch("ag-3273-0200", 1))
        self.broker.publish(topic, '{"v":1,"agent":"ag-3273-0200", broken')
        self.broker.publish(topic, batch("ag-3273-0200", 2, loss=150.0))
        self.broker.publish(topic, batch("ag-3273-0201", 3))
        self.broker.publish("pantau/v1/32/3299/ag-3273-0200/result", batch("ag-3273-0200", 4))
        self.broker.publish(topic, batch("ag-3273-0200", 5))
        s = wait_for(lambda: (s := self.stats())["stored"] == 2 and s["rejected"] == 4 and s,
                     15, "2 stored and 4 rejected")
        self.assertEqual(s["rejected_by"]["not_json"], 1)
        self.assertEqual(s["rejected_by"]["loss_out_of_range"], 1)
        self.assertEqual(s["rejected_by"]["agent_mismatch"], 1)
        self.assertEqual(s["rejected_by"]["unknown_region"], 1)
        self.assertIn("rejected message on pantau/v1/32/3273/ag-3273-0200/result: not_json",
                      self.collector.output())
        self.assertTrue(self.collector.alive())

    def test_same_batch_twice_stored_once(self):
        topic = "pantau/v1/32/3273/ag-3273-0300/result"
        self.broker.publish(topic, batch("ag-3273-0300", 7))
        self.broker.publish(topic, batch("ag-3273-0300", 7))
        self.broker.publish(topic, batch("ag-3273-0300", 8))
        s = wait_for(lambda: (s := self.stats())["stored"] + s["duplicates"] == 3 and s, 15,
                     "three batches handled")
        self.assertEqual(s["stored"], 2)
        self.assertEqual(s["duplicates"], 1)
        _, site = http_json(f"{self.api}/api/v1/sites/ag-3273-0300")
        self.assertEqual(len(site["latest"]), 1)


class ApiCacheTest(E2ETestCase):
    """[api] cache_ms: the national replies are reused while fresh, then rebuilt."""

    CACHE_MS = 6000

    def setUp(self):
        super().setUp()
        self.broker = self.start_broker()
        cfg, api_port = self.collector_config(self.broker.port, api__cache_ms=self.CACHE_MS)
        self.collector = self.start_collector(cfg)
        self.wait_api(api_port, self.collector)
        self.api = f"http://127.0.0.1:{api_port}"
        wait_subscribed(self.broker, self.api)

    def get(self, path):
        with urllib.request.urlopen(f"{self.api}{path}", timeout=5) as r:
            return r.headers.get("Age"), json.loads(r.read().decode())

    def store(self, agent, seq, stored):
        self.broker.publish(f"pantau/v1/32/3273/{agent}/result", batch(agent, seq))
        wait_for(lambda: http_json(f"{self.api}/api/v1/stats")[1]["stored"] == stored, 5,
                 f"{agent}'s batch stored")

    def test_reused_while_fresh_then_rebuilt(self):
        self.store("ag-3273-0400", 1, 1)
        t0 = time.monotonic()
        age, first = self.get("/api/v1/sites")
        self.assertIsNone(age, "a reply just built carries no Age")
        _, prov = self.get("/api/v1/regions?province=32")
        self.store("ag-3273-0401", 2, 2)
        age, again = self.get("/api/v1/sites")
        self.assertLess(time.monotonic() - t0, self.CACHE_MS / 1000 - 1,
                        "the machine was too slow to see the cache; rerun")
        self.assertIsNotNone(age, "a cached reply carries Age")
        self.assertEqual(again, first, "within cache_ms the same reply is served")
        self.assertEqual(self.get("/api/v1/regions?province=32")[1], prov)
        # Other routes are never cached: the site itself is there at once.
        self.assertEqual(http_json(f"{self.api}/api/v1/sites/ag-3273-0401")[0], 200)
        # Bad input is still refused, not answered from the cache.
        self.assertEqual(http_json(f"{self.api}/api/v1/regions?province=3x")[0], 400)
        agents = wait_for(
            lambda: (a := {s["agent"] for s in self.get("/api/v1/sites")[1]["sites"]})
            >= {"ag-3273-0400", "ag-3273-0401"} and a,
            self.CACHE_MS / 1000 + 5, "the new site after cache_ms")
        self.assertIn("ag-3273-0401", agents)
        self.assertGreaterEqual((time.monotonic() - t0) * 1000, self.CACHE_MS - 500,
                                "the cached reply was rebuilt before cache_ms passed")

    def fetch(self, path, accept_encoding):
        req = urllib.request.Request(f"{self.api}{path}",
                                     headers={"Accept-Encoding": accept_encoding})
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.headers, r.read()

    def test_gzip_for_clients_that_take_it(self):
        self.store("ag-3273-0410", 1, 1)
        for path in ("/api/v1/sites", "/api/v1/regions?province=32"):
            plain_h, plain = self.fetch(path, "identity")
            gz_h, gz = self.fetch(path, "br, gzip;q=0.8")       # built gz form, then kept
            gz_h2, gz2 = self.fetch(path, "gzip")               # from the cache
            self.assertIsNone(plain_h.get("Content-Encoding"))
            self.assertEqual(gz_h.get("Content-Encoding"), "gzip", path)
            self.assertEqual(gz_h.get("Vary"), "Accept-Encoding")
            self.assertEqual(plain_h.get("Vary"), "Accept-Encoding")
            self.assertEqual(json.loads(gzip.decompress(gz)), json.loads(plain), path)
            self.assertEqual(gz2, gz, "the cached gzip form is served again")
            self.assertIsNotNone(gz_h2.get("Age"))
            self.assertLess(len(gz), len(plain))
        refused_h, refused = self.fetch("/api/v1/sites", "gzip;q=0")
        self.assertIsNone(refused_h.get("Content-Encoding"))
        self.assertIn("ag-3273-0410", refused.decode())
        # Only the national replies are compressed.
        site_h, _ = self.fetch("/api/v1/sites/ag-3273-0410", "gzip")
        self.assertIsNone(site_h.get("Content-Encoding"))


PipelinePgTest = on_postgresql(PipelineTest)
