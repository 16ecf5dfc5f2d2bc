"""The pantau CLI's new commands against a real collector (docs/cli.md):
regions --at-risk, alerts, the site's sparkline, watch, --json on each,
and plain messages when the collector cannot be reached or the usage is
wrong. Byte-for-byte output is tests/unit/test_cli_format.c."""
import json
import subprocess

from harness import E2ETestCase, binary, free_port, http_json, wait_for, wait_subscribed
from test_status import FIBER, GEO, batch, birth, topic


def pantau(*args):
    return subprocess.run([binary("pantau"), *args], capture_output=True, text=True, timeout=20,
                          env={"PATH": "/usr/bin:/bin", "NO_COLOR": ""})


class CliTest(E2ETestCase):
    def setUp(self):
        super().setUp()
        self.broker = self.start_broker()
        cfg, port = self.collector_config(self.broker.port, status__window=30,
                                          status__tick_ms=200)
        self.wait_api(port, self.start_collector(cfg))
        self.api = f"http://127.0.0.1:{port}"
        wait_subscribed(self.broker, self.api)
        # a 3T site goes CRITICAL (two lossy windows): its regency is at risk
        self.broker.publish(topic(GEO, "status"), birth(GEO, "vsat-geo"), retain=True)
        self.broker.publish(topic(FIBER, "status"), birth(FIBER, "fiber"), retain=True)
        self.broker.publish(topic(FIBER, "result"), batch(FIBER, 1, 0, 40))
        for seq, lost in ((1, 0), (2, 10), (3, 10)):
            self.broker.publish(topic(GEO, "result"), batch(GEO, seq, lost, 620))
        wait_for(lambda: http_json(f"{self.api}/api/v1/regions/95.01")[1]["at_risk"], 15,
                 "Jayawijaya to be at risk")
        wait_for(lambda: http_json(f"{self.api}/api/v1/alerts")[1]["firing"] >= 2, 15,
                 "the alerts to fire")

    def test_regions_at_risk(self):
        out = pantau("regions", "--at-risk", "--url", self.api)
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.splitlines()
        self.assertTrue(lines[0].startswith("REGENCY "), out.stdout)
        self.assertTrue(lines[1].startswith("95.01 Kab. Jayawijaya "), out.stdout)
        self.assertIn(f"3T site {GEO} CRITICAL for", lines[1])
        self.assertNotIn("32.73", out.stdout)
        self.assertEqual(lines[-1], "1 of 2 regencies at risk")
        js = pantau("regions", "--at-risk", "--json", "--url", self.api)
        self.assertEqual(js.returncode, 0, js.stderr)
        self.assertEqual([r["code"] for r in json.loads(js.stdout)["regions"]], ["95.01"])
        # without --at-risk: the summary table of every regency
        every = pantau("regions", "--url", self.api)
        self.assertIn("32.73 Kota Bandung", every.stdout)

    def test_alerts(self):
        out = pantau("alerts", "--url", self.api)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, rf"(?m)^FIRING +warning +PantauSiteDown +{GEO}, 95.01 ")
        self.assertRegex(out.stdout, r"(?m)^FIRING +warning +PantauRegencyAtRisk +95.01 ")
        self.assertIn("\n2 firing, 0 resolved\n", out.stdout)
        js = pantau("alerts", "--json", "--url", self.api)
        self.assertEqual(json.loads(js.stdout)["firing"], 2)

    def test_site_sparkline(self):
        out = pantau("site", GEO, "--url", self.api)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r"(?m)^rtt 1 h   [·▁-█x]{30}  icmp 198\.18\.0\.1, "
                                     r"p95 620-620 ms$")
        self.assertIn("▁", out.stdout)
        js = pantau("site", GEO, "--json", "--url", self.api)
        self.assertEqual(json.loads(js.stdout)["agent"], GEO)

    def test_watch(self):
        out = pantau("watch", "--count", "2", "--interval", "1", "--url", self.api)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.count(f"pantau watch  {self.api}  "), 2, out.stdout)
        self.assertIn("sites 2: 1 CRITICAL, 1 OK; regencies at risk: 1 of 2; "
                      "alerts firing: 2\n", out.stdout)
        self.assertNotIn("\033", out.stdout)   # not a terminal: no colour, no clearing
        js = pantau("watch", "--count", "1", "--json", "--url", self.api)
        self.assertEqual(js.returncode, 0, js.stderr)
        doc = json.loads(js.stdout)
        self.assertEqual(doc["overview"]["nation"]["regencies_at_risk"], 1)
        self.assertEqual(doc["regions"]["regions"][0]["code"], "95.01")
        self.assertEqual(doc["alerts"]["firing"], 2)


class CliErrorsTest(E2ETestCase):
    def test_unreachable_collector(self):
        url = f"http://127.0.0.1:{free_port()}"
        for args in (["alerts"], ["regions", "--at-risk"], ["site", GEO], ["summary", "--json"]):
            with self.subTest(args=args):
                out = pantau(*args, "--url", url)
                self.assertEqual(out.returncode, 1)
                self.assertEqual(out.stdout, "")
                self.assertTrue(out.stderr.startswith(f"pantau: cannot reach the collector at "
                                                      f"{url}: "), out.stderr)
                self.assertIn("Is pantau-collector running? Set --url or PANTAU_URL.",
                              out.stderr)
        out = pantau("watch", "--count", "1", "--url", url)
        self.assertEqual(out.returncode, 1)
        self.assertIn(f"pantau: cannot reach the collector at {url}", out.stderr)

    def test_usage_errors(self):
        cases = [
            (["watch", "--interval", "0"], "--interval takes a whole number from 1 to 3600"),
            (["watch", "--count", "x"], "--count takes a whole number"),
            (["alerts", "--at-risk"], "--at-risk does not belong to \"pantau alerts\""),
            (["site", GEO, "--province", "32"], "--province does not belong to \"pantau site\""),
            (["alerts", "extra"], "\"pantau alerts\" takes no operand"),
            (["nothing"], "unknown command \"nothing\"; use summary, regions, site, alerts, "
                          "incidents, watch, kinds or token"),
            (["incidents", "extra"], "\"pantau incidents\" takes no operand"),
        ]
        for args, msg in cases:
            with self.subTest(args=args):
                out = pantau(*args)
                self.assertEqual(out.returncode, 2, out.stderr)
                self.assertTrue(out.stderr.startswith("pantau: " + msg), out.stderr)
                self.assertIn("usage: pantau summary", out.stderr)
