"""Prometheus over the collector's GET /metrics (docs/metrics.md): the
shipped scrape config and alert rules pass promtool (and the rules' own
promtool tests), and a real Prometheus scrapes a real collector, to which
batches are published as agents would, and answers PromQL with the
collector's figures."""
import os
import shutil
import subprocess
import urllib.parse
import urllib.request

from harness import ROOT, E2ETestCase, free_port, http_json, wait_for, wait_subscribed
from test_status import FIBER, GEO, batch, birth, topic

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
DEPLOY = os.path.join(ROOT, "deploy", "prometheus")
MISSING = "prometheus is not installed (make deps installs it)"


def promtool(*args, cwd=None):
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60,
                          cwd=cwd)


class ShippedPrometheusConfigTest(E2ETestCase):
    def setUp(self):
        super().setUp()
        if not os.path.exists(PROMTOOL):
            self.skipTest(MISSING)

    def test_scrape_config_is_valid(self):
        out = promtool("check", "config", os.path.join(DEPLOY, "prometheus.yml"))
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("SUCCESS: 1 rule files found", out.stdout)

    def test_alert_rules_are_valid(self):
        out = promtool("check", "rules", os.path.join(DEPLOY, "pantau-rules.yml"))
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("SUCCESS: 6 rules found", out.stdout)

    def test_alert_rules_fire_on_their_conditions(self):
        out = promtool("test", "rules", "pantau-rules.test.yml",
                       cwd=os.path.join(ROOT, "tests", "prometheus"))
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)


def prom_get(port, path, **params):
    url = f"http://127.0.0.1:{port}{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    status, doc = http_json(url)
    if status != 200 or doc.get("status") != "success":
        raise AssertionError(f"Prometheus {path}: {status} {doc}")
    return doc["data"]


def query(port, promql):
    """{labels as a sorted tuple: value} of an instant query."""
    data = prom_get(port, "/api/v1/query", query=promql)
    return {tuple(sorted((k, v) for k, v in r["metric"].items() if k != "__name__")):
            float(r["value"][1]) for r in data["result"]}


class RealPrometheusTest(E2ETestCase):
    def setUp(self):
        super().setUp()
        if not os.path.exists(PROMETHEUS):
            self.skipTest(MISSING)
        self.broker = self.start_broker()
        cfg, self.api_port = self.collector_config(self.broker.port, status__window=30,
                                                   status__tick_ms=200)
        self.collector = self.start_collector(cfg)
        self.wait_api(self.api_port, self.collector)
        self.api = f"http://127.0.0.1:{self.api_port}"
        wait_subscribed(self.broker, self.api)
        self.prom_port = self.start_prometheus()

    def start_prometheus(self):
        port = free_port()
        conf = os.path.join(self.workdir, "prometheus.yml")
        with open(conf, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    f"rule_files:\n  - {os.path.join(DEPLOY, 'pantau-rules.yml')}\n"
                    "scrape_configs:\n  - job_name: pantau-collector\n"
                    "    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{self.api_port}']\n")
        proc = self.start("prometheus", [
            PROMETHEUS, f"--config.file={conf}",
            f"--storage.tsdb.path={os.path.join(self.workdir, 'prometheus-data')}",
            f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"])

        def ready():
            if not proc.alive():
                raise AssertionError("prometheus exited:\n" + proc.output())
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=2) as r:
                return r.status == 200
        wait_for(ready, 20, "Prometheus to be ready", interval=0.2)
        return port

    def test_prometheus_scrapes_the_collector(self):
        self.broker.publish(topic(GEO, "status"), birth(GEO, "vsat-geo"), retain=True)
        self.broker.publish(topic(FIBER, "status"), birth(FIBER, "fiber"), retain=True)
        self.broker.publish(topic(GEO, "result"), batch(GEO, 1, 0, 620))
        self.broker.publish(topic(FIBER, "result"), batch(FIBER, 1, 0, 620))

        def target_up():
            targets = prom_get(self.prom_port, "/api/v1/targets")["activeTargets"]
            return len(targets) == 1 and targets[0]["health"] == "up" and targets[0]
        target = wait_for(target_up, 15, "the collector's target to be up", interval=0.2)
        self.assertEqual(target["labels"]["job"], "pantau-collector")
        self.assertEqual(target["lastError"], "")

        # the collector's figures, through PromQL
        fiber = (("agent", FIBER), ("instance", f"127.0.0.1:{self.api_port}"),
                 ("job", "pantau-collector"), ("link", "fiber"), ("regency", "32.73"))
        rtt = wait_for(lambda: query(self.prom_port, "pantau_site_rtt_p95_seconds").get(fiber),
                       15, "pantau_site_rtt_p95_seconds of the fiber site")
        self.assertEqual(rtt, 0.62)
        rtts = query(self.prom_port, "pantau_site_rtt_p95_seconds")
        self.assertEqual(sorted(dict(k)["agent"] for k in rtts), sorted([FIBER, GEO]))
        # 620 ms is CRITICAL (3) on fiber and OK (0) over GEO VSAT
        status = wait_for(lambda: (s := query(self.prom_port, "pantau_site_status")) and
                          len(s) == 2 and s.get(fiber) == 3 and s, 15, "site status codes")
        self.assertEqual({dict(k)["agent"]: v for k, v in status.items()}, {FIBER: 3, GEO: 0})
        stored = wait_for(lambda: query(self.prom_port, "pantau_batches_stored_total >= 2"), 15,
                          "pantau_batches_stored_total to reach 2")
        self.assertEqual(list(stored.values()), [2])
        sites = query(self.prom_port, 'sum by (status) (pantau_regency_sites{regency="32.73"})')
        self.assertEqual({dict(k)["status"]: v for k, v in sites.items()},
                         {"OK": 0, "DEGRADED": 0, "CRITICAL": 1, "OFFLINE": 0, "UNKNOWN": 0})
        # the shipped rules are loaded and evaluate without error
        groups = prom_get(self.prom_port, "/api/v1/rules")["groups"]
        rules = [r for g in groups for r in g["rules"]]
        self.assertEqual(len(rules), 6)
        self.assertEqual([r["name"] for r in rules if r["health"] == "err"], [])

    def test_metrics_text_passes_promtool_lint(self):
        self.broker.publish(topic(GEO, "result"), batch(GEO, 1, 2, 620))
        wait_for(lambda: http_json(f"{self.api}/api/v1/stats")[1]["stored"] == 1, 10,
                 "the batch to be stored")
        with urllib.request.urlopen(f"{self.api}/metrics", timeout=5) as r:
            self.assertEqual(r.headers["Content-Type"],
                             "text/plain; version=0.0.4; charset=utf-8")
            text = r.read()
        out = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                             timeout=30)
        self.assertEqual(out.returncode, 0, (out.stdout + out.stderr).decode())
        self.assertIn(b'pantau_site_loss_ratio{agent="ag-9501-0001",regency="95.01",'
                      b'link="unknown"} 0.1\n', text)
