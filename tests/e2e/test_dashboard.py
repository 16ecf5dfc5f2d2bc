"""The web dashboard end to end: a real broker and collector fed with births
and batches by mosquitto_pub, the dashboard's files served by the collector,
and the dashboard driven in headless Chromium (Debian's chromium, through
playwright-core from npm; tests/e2e/dashboard_browser.mjs)."""
import datetime
import http.client
import json
import os
import shutil
import subprocess

from harness import ROOT, E2ETestCase, http_json, wait_for, wait_subscribed

RUN_ALONE = True   # tests/run.py --jobs: headless Chromium takes both cores

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
DRIVER = os.path.join(ROOT, "tests", "e2e", "dashboard_browser.mjs")
PLAYWRIGHT = os.path.join(ROOT, "node_modules", "playwright-core")
COLORS = {"OK": "#009e73", "DEGRADED": "#e69f00", "CRITICAL": "#d55e00",
          "OFFLINE": "#222222", "UNKNOWN": "#999999"}

# agent: (lat, lon, link)
GEO = "ag-9501-0001"      # Jayawijaya, a 3T regency: CRITICAL, at risk
SITES = {
    GEO: (-4.1, 138.95, "vsat-geo"),
    "ag-3273-0001": (-6.915, 107.61, "fiber"),       # Kota Bandung: OK
    "ag-1275-0001": (3.6, 98.49, "cellular"),        # Kota Binjai: OK
    "ag-7371-0001": (-5.14, 119.42, "microwave"),    # Kota Makassar: birth only, UNKNOWN
    "ag-9502-0001": (-4.6, 140.5, "vsat-geo"),       # Pegunungan Bintang (3T, Jayawijaya's province): OK
}
LATE = "ag-5171-0001"     # Kota Denpasar, added while the page is open


def iso(dt=None):
    dt = dt or datetime.datetime.now(datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def topic(agent, leaf):
    code = agent.split("-")[1]
    return f"pantau/v1/{code[:2]}/{code}/{agent}/{leaf}"


def birth(agent, lat, lon, link):
    # Pegunungan Bintang reports every 5 min, so it stays OK for the whole test
    return json.dumps({"v": 1, "state": "online", "agent": agent, "boot": 1, "ts": iso(),
                       "site": f"Site {agent}", "link": link,
                       "interval": 300 if agent == "ag-9502-0001" else 5,
                       "version": "test", "lat": lat, "lon": lon})


def batch(agent, seq, lost, p95, ago_s=0, more=(), boot=1):
    ts = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=ago_s)
    return json.dumps({
        "v": 1, "agent": agent, "boot": boot, "seq": seq, "ts": iso(ts),
        "results": [{"probe": "icmp", "target": "198.18.0.1", "sent": 20, "recv": 20 - lost,
                     "loss_pct": lost * 5.0,
                     "rtt_ms": {"min": p95 - 5, "p50": p95 - 3, "avg": p95 - 2, "p95": p95,
                                "max": p95 + 1}, "jitter_ms": 2.0 + seq, "pdv_ms": 4.0},
                    *more],
        "outbox": {"pending": seq, "dropped": 0}})


def http_result(seq):
    """An HTTP probe of the tally service, as the agent reports it."""
    return {"probe": "http", "target": "https://tally.example/api/ping", "ok": True,
            "status": 200, "dns_ms": 3.0, "connect_ms": 600.0 + seq, "tls_ms": 1210.0,
            "ttfb_ms": 1850.0, "total_ms": 1900.0 + seq}


def throughput_result(seq):
    """A throughput test against a reflector (docs/protocol.md), VSAT-like rates."""
    return {"probe": "throughput", "target": "198.18.0.1:8080", "ok": True,
            "download": {"mbps": 8.0 + seq, "bytes": 2000000, "duration_ms": 2000},
            "upload": {"mbps": 2.0 + seq / 10, "bytes": 500000, "duration_ms": 2000}}


def passive_result(seq):
    """The site's own traffic to the tally servers (the passive probe, docs/probes.md)."""
    ms = lambda v: {"min": v - 20, "p50": v, "avg": v + 5, "p95": v + 60, "max": v + 90}
    return {"probe": "passive", "target": "tally", "ok": True, "interface": "eth0",
            "window_s": 5, "packets": 4000, "flows": 12, "bytes": 2500000, "segments": 3000,
            "retrans": 30 + seq, "retrans_pct": round((30 + seq) / 30, 2), "resets": 1,
            "syn_unanswered": 0, "handshakes": 10, "handshake_ms": ms(640.0 + seq),
            "ts_rtt_ms": ms(650.0 + seq), "dns_queries": 20, "dns_fail": 1,
            "dns_fail_pct": 5.0, "dns_ms": ms(300.0)}


def raw_get(port, path, method="GET"):
    """The exact path on the wire (no client-side normalisation)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request(method, path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, r.getheader("Content-Type"), body


class DashboardTest(E2ETestCase):
    def setUp(self):
        super().setUp()
        self.broker = self.start_broker()
        self.cfg, self.port = self.collector_config(
            self.broker.port, status__window=30, status__tick_ms=200,
            counting__start="2020-01-01 00:00", counting__end="2099-12-31 23:59")
        self.collector = self.start_collector(self.cfg)
        self.wait_api(self.port, self.collector)
        self.api = f"http://127.0.0.1:{self.port}"
        wait_subscribed(self.broker, self.api)
        self.seq = {}

    def send(self, agent, lost, p95, ago_s=0):
        self.seq[agent] = self.seq.get(agent, 0) + 1
        seq = self.seq[agent]
        more = ((http_result(seq), throughput_result(seq), passive_result(seq)) if agent == GEO
                else ())
        self.broker.publish(topic(agent, "result"), batch(agent, seq, lost, p95, ago_s, more))

    def status(self, agent):
        return http_json(f"{self.api}/api/v1/sites/{agent}")[1].get("status")

    def test_serves_files_safely(self):
        status, ctype, body = raw_get(self.port, "/")
        self.assertEqual((status, ctype), (200, "text/html; charset=utf-8"))
        self.assertIn(b'src="/ui/app.js"', body)
        self.assertEqual(raw_get(self.port, "/ui/app.js")[:2],
                         (200, "text/javascript; charset=utf-8"))
        self.assertEqual(raw_get(self.port, "/ui/style.css")[1], "text/css; charset=utf-8")
        status, ctype, body = raw_get(self.port, "/ui/indonesia.json")
        self.assertEqual((status, ctype), (200, "application/json; charset=utf-8"))
        self.assertGreater(len(json.loads(body)["outline"]), 10000)
        # HEAD has the headers and no body
        self.assertEqual(raw_get(self.port, "/ui/app.js", "HEAD")[::2], (200, b""))
        # nothing outside the folder, no hidden file, no listing
        secret = os.path.join(os.path.dirname(self.cfg), "collector.ini")
        self.assertTrue(os.path.exists(secret))
        for path in ["/ui/../collector.ini", "/ui/../../../../etc/passwd", "/ui/%2e%2e/x",
                     "/ui/..%2f..%2fetc%2fpasswd", "/ui/.hidden", "/ui//etc/passwd",
                     "/ui/a/../../x", "/ui/nope.js"]:
            status, ctype, body = raw_get(self.port, path)
            self.assertIn(status, (400, 404), path)
            self.assertTrue(ctype.startswith("application/json"), path)
            self.assertIn(b'"error"', body, path)
            self.assertNotIn(b"root:", body, path)
        # read-only
        self.assertEqual(raw_get(self.port, "/", "POST")[0], 405)
        self.assertEqual(raw_get(self.port, "/ui/app.js", "PUT")[0], 405)

    def test_dashboard_in_chromium(self):
        if not os.access(CHROMIUM, os.X_OK):
            self.skipTest(f"no Chromium at {CHROMIUM}: install Debian's chromium (make deps)")
        if not os.path.isdir(PLAYWRIGHT) or shutil.which("node") is None:
            self.skipTest("playwright-core is not installed: run 'make deps'")
        for agent, (lat, lon, link) in SITES.items():
            self.broker.publish(topic(agent, "status"), birth(agent, lat, lon, link), retain=True)
        # a last hour of history for the charts, then the 3T site loses packets
        for ago in (240, 180, 120):
            self.send(GEO, 0, 620, ago)
        for agent in ("ag-3273-0001", "ag-1275-0001", "ag-9502-0001"):
            self.send(agent, 0, 40)
        wait_for(lambda: self.status(GEO) == "OK", 10, f"{GEO} OK")
        self.send(GEO, 10, 640)
        self.send(GEO, 10, 650)
        wait_for(lambda: self.status(GEO) == "CRITICAL", 10, f"{GEO} CRITICAL")
        wait_for(lambda: http_json(f"{self.api}/api/v1/regions")[1]["regions"][0]["at_risk"],
                 10, "Jayawijaya at risk")
        # older history from the agent's previous boot (only in the 24 h and
        # 7 d ranges), sent late: the status window counts by receive time
        for seq, ago in enumerate((2 * 86400, 3 * 3600), 1):
            self.broker.publish(topic(GEO, "result"), batch(
                GEO, seq, 0, 610, ago, (http_result(seq), throughput_result(seq)), boot=0))
        wait_for(lambda: http_json(f"{self.api}/api/v1/sites/{GEO}")[1]["delivery"]["stored"]
                 == 7, 10, f"{GEO}'s older history stored")
        expected = {GEO: "CRITICAL", "ag-3273-0001": "OK", "ag-1275-0001": "OK",
                    "ag-7371-0001": "UNKNOWN", "ag-9502-0001": "OK"}
        for agent, want in expected.items():
            wait_for(lambda a=agent, w=want: self.status(a) == w, 10, f"{agent} {want}")

        env = dict(os.environ, CHROMIUM=CHROMIUM)
        drv = subprocess.Popen(["node", DRIVER, self.api + "/", self.workdir, str(len(SITES)), GEO],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=open(os.path.join(self.workdir, "browser.log"), "w"),
                               text=True, env=env)
        try:
            national = self.phase(drv, "national")
            self.check_national(national, expected)
            self.broker.publish(topic(LATE, "status"), birth(LATE, -8.65, 115.22, "fiber"),
                                retain=True)
            self.send(LATE, 0, 30)
            drv.stdin.write("go\n")
            drv.stdin.flush()
            live = self.phase(drv, "live")
            self.assertTrue(live["not_reloaded"])
            drill = self.phase(drv, "drill")
            self.check_drill(drill)
            self.check_tablet(self.phase(drv, "tablet")["views"])
        finally:
            drv.stdin.close()
            drv.wait(timeout=20)

    def phase(self, drv, name):
        line = drv.stdout.readline()
        self.assertTrue(line, "the browser driver stopped; see browser.log")
        out = json.loads(line)
        self.assertEqual(out["errors"], [], "JavaScript or HTTP errors in the page")
        self.assertEqual(out["phase"], name)
        return out

    def check_national(self, n, expected):
        got = {p["agent"]: p for p in n["points"]}
        self.assertEqual(set(got), set(expected))
        for agent, status in expected.items():
            self.assertEqual(got[agent]["status"], status, agent)
            self.assertEqual(got[agent]["fill"], COLORS[status], agent)
        # shape as well as colour (colour-blind readers)
        self.assertEqual({p["status"]: p["shape"] for p in got.values()},
                         {"OK": "circle", "CRITICAL": "square", "UNKNOWN": "diamond"})
        self.assertEqual(sorted(a for a, p in got.items() if p["t3"]), [GEO, "ag-9502-0001"])
        self.assertGreater(n["land"], 10000)
        self.assertEqual(n["risk"], ["95.01"])
        self.assertEqual(n["rows"][0], "95.01")
        self.assertIn("AT RISK", n["first_row"])
        # upload: the 3T site's latest throughput test (2.0 + seq 5 / 10);
        # none for the sites without one
        self.assertEqual(n["first_row_upload"], "2.5")
        self.assertEqual(n["upload_column"], "upload Mbit/s")
        self.assertEqual(n["rows_upload"].count("–"), 4)
        self.assertEqual(len(n["rows"]), 5)
        self.assertEqual(n["first_row_province"], "#/province/95")
        self.assertEqual(n["counts"]["CRITICAL"], 1)
        self.assertEqual(n["counts"]["OK"], 3)
        self.assertEqual(n["counts"]["UNKNOWN"], 1)
        self.assertEqual(n["counts"]["regencies-at-risk"], 1)
        self.assertIsNotNone(n["banner"])
        for zone in ("WIB", "WITA", "WIT"):
            self.assertIn(zone, n["banner"])
            self.assertIn(zone, n["clocks"])
        self.assertEqual((n["points_3t_only"], n["rows_3t_only"]), (2, 2))
        self.assertEqual(n["rows_search"], ["32.73"])

    def check_drill(self, d):
        self.assertEqual(d["regency"], {"code": "95.01", "sites": [GEO]})
        site = d["site"]
        self.assertEqual(site["agent"], GEO)
        titles = [c["title"] for c in site["charts"]]
        self.assertEqual(titles, ["HTTP timings — http https://tally.example/api/ping",
                                  "RTT — icmp 198.18.0.1", "Loss — icmp 198.18.0.1",
                                  "Jitter — icmp 198.18.0.1",
                                  "Site traffic RTT — passive tally",
                                  "Site traffic losses — passive tally",
                                  "Site traffic DNS — passive tally",
                                  "Site traffic connections — passive tally",
                                  "Throughput — throughput 198.18.0.1:8080"])
        # 5 batches in the last hour: 5 HTTP phases, RTT p50 and p95,
        # download and upload; the site's own traffic: handshake and
        # timestamp RTT, retransmitted and DNS failed %, DNS answer time,
        # resets and unanswered SYNs
        self.assertEqual([c["points"] for c in site["charts"]],
                         [25, 10, 5, 5, 10, 10, 5, 10, 10])
        self.assertEqual([c["lines"] for c in site["charts"]][4:8], [2, 2, 1, 2])
        self.assertTrue(all(c["lines"] >= 1 for c in site["charts"]))
        self.assertEqual(len(site["targets"]), 4)
        self.assertIn("198.18.0.1", site["targets"][0])
        self.assertTrue(any("CRITICAL" in h for h in site["history"]), site["history"])
        self.assertIn("Active alerts", site["alerts"])
        now_ms = d["now_ms"]
        # 24 h: the batch of three hours ago and one or two 5-minute
        # buckets of the last minutes; not the one of two days ago
        day = d["ranges"]["24h"]
        self.assertEqual(day["titles"], titles)
        self.assertIn("5-minute buckets", day["heading"])
        loss = day["charts"][2]
        self.assertIn(loss["points"], (2, 3), day)
        self.assertGreater(loss["first_t"], now_ms - 86400e3)
        self.assertLess(loss["first_t"], now_ms - 2 * 3600e3)
        self.assertEqual(day["charts"][8]["points"], 2 * loss["points"])  # throughput
        # 7 d: the batch of two days ago too, in 1-hour buckets
        week = d["ranges"]["7d"]
        self.assertIn("1-hour buckets", week["heading"])
        loss = week["charts"][2]
        self.assertIn(loss["points"], (3, 4), week)
        self.assertLess(loss["first_t"], now_ms - 86400e3)
        self.assertGreater(loss["first_t"], now_ms - 3 * 86400e3)
        # the next poll keeps the chosen range
        self.assertEqual(d["after_poll"], {"range": "7d", "pressed": "7d"})
        # the province from the site's breadcrumbs: its regencies, the one
        # at risk first, and a map zoomed to its two sites
        p = d["province"]
        self.assertEqual(p["code"], "95")
        self.assertIn("Papua Pegunungan", p["title"])
        self.assertEqual(p["rows"], ["95.01", "95.02"])
        self.assertIn("AT RISK", p["first_row"])
        self.assertIn("0 / 1", p["first_row"])    # sites OK / known
        self.assertNotIn("AT RISK", p["second_row"])
        self.assertEqual(sorted(p["points"]), [GEO, "ag-9502-0001"])
        self.assertLess(p["map_width"], 960 / 5)      # zoomed in from the country's 960
        self.assertEqual(p["crumbs"], ["Indonesia"])
        self.assertEqual(p["regency_crumbs"], ["Indonesia", "Papua Pegunungan"])

    def check_tablet(self, views):
        """768 px wide: nothing wider than the screen, map and tables shown."""
        for page, parts in views.items():
            for part, f in parts.items():
                where = f"{page} {part}: {f}"
                self.assertLessEqual(f["scroll_width"], f["inner_width"], where)
                self.assertTrue(f["visible"], where)
                self.assertGreater(f["target"]["w"], 300, where)
                self.assertGreater(f["target"]["h"], 50, where)
                self.assertLessEqual(f["target"]["right"], f["inner_width"], where)
