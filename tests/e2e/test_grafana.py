"""The Grafana dashboards and their provisioning (dashboards/grafana/,
docs/metrics.md): the JSON has the fields Grafana needs, panel ids are
unique and panels do not overlap, every panel uses the provisioned
Prometheus data source, and every metric a panel query, a template
variable or a shipped alert rule names is one the collector exports,
taken from a real collector's GET /metrics. docs/metrics.md documents
exactly those metrics."""
import glob
import json
import os
import re
import urllib.request

from harness import ROOT, E2ETestCase, wait_subscribed

GRAFANA = os.path.join(ROOT, "dashboards", "grafana")
PANEL_TYPES = {"row", "stat", "table", "timeseries", "bargauge", "state-timeline"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
                "unless", "offset", "bool"}


def metric_names(expr):
    """Metric names a PromQL expression selects."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)                  # strings
    e = re.sub(r"\{[^}]*\}", "", e)                                # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)                               # ranges
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    e = re.sub(r"(?<![\w:])\d+(\.\d+)?([eE][+-]?\d+)?", "", e)     # numbers
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        if e[m.end():].lstrip().startswith("(") or m.group(0) in PROMQL_WORDS:
            continue
        names.add(m.group(0))
    return names


def dashboards():
    paths = sorted(glob.glob(os.path.join(GRAFANA, "dashboards", "*.json")))
    out = []
    for p in paths:
        with open(p) as f:
            out.append((os.path.basename(p), json.load(f)))
    return out


def provisioned_uid():
    with open(os.path.join(GRAFANA, "provisioning", "datasources", "pantau.yaml")) as f:
        text = f.read()
    assert re.search(r"^apiVersion: 1$", text, re.M), "datasources: apiVersion 1"
    assert re.search(r"^\s+type: prometheus$", text, re.M), "datasources: a prometheus one"
    return re.search(r"^\s+uid: (\S+)$", text, re.M).group(1)


class GrafanaDashboardsTest(E2ETestCase):
    def test_provisioning_files(self):
        self.assertEqual(provisioned_uid(), "pantau-prometheus")
        with open(os.path.join(GRAFANA, "provisioning", "dashboards", "pantau.yaml")) as f:
            text = f.read()
        self.assertRegex(text, r"(?m)^apiVersion: 1$")
        self.assertRegex(text, r"(?m)^\s+type: file$")
        self.assertRegex(text, r"(?m)^\s+path: /\S+$")

    def test_dashboards_schema(self):
        uid = provisioned_uid()
        found = dashboards()
        self.assertEqual([n for n, _ in found],
                         ["pantau-national.json", "pantau-regency.json", "pantau-site.json"])
        self.assertEqual(len({d["uid"] for _, d in found}), len(found), "unique dashboard uids")
        for name, d in found:
            with self.subTest(dashboard=name):
                for key in ("uid", "title", "schemaVersion", "panels", "time", "templating"):
                    self.assertIn(key, d)
                self.assertIsInstance(d["schemaVersion"], int)
                self.assertIn("pantau", d["tags"])
                self.assertTrue(d["panels"])
                self.check_panels(d, uid)

    def check_panels(self, d, uid):
        ids = [p["id"] for p in d["panels"]]
        self.assertEqual(len(ids), len(set(ids)), f"duplicate panel ids in {d['uid']}")
        variables = {v["name"] for v in d["templating"]["list"]}
        cells = set()
        for p in d["panels"]:
            self.assertIsInstance(p["id"], int)
            self.assertIn(p["type"], PANEL_TYPES)
            self.assertTrue(p["title"])
            g = p["gridPos"]
            self.assertTrue(g["h"] >= 1 and 1 <= g["w"] and g["x"] >= 0 and g["x"] + g["w"] <= 24,
                            f"gridPos of {p['title']}: {g}")
            mine = {(x, y) for x in range(g["x"], g["x"] + g["w"])
                    for y in range(g["y"], g["y"] + g["h"])}
            self.assertFalse(cells & mine, f"panel {p['title']} overlaps another")
            cells |= mine
            if p["type"] == "row":
                continue
            self.assertEqual(p["datasource"], {"type": "prometheus", "uid": uid})
            self.assertTrue(p["targets"], f"panel {p['title']} has no query")
            refs = [t["refId"] for t in p["targets"]]
            self.assertEqual(len(refs), len(set(refs)))
            for t in p["targets"]:
                self.assertTrue(metric_names(t["expr"]), f"no metric in {t['expr']}")
                for v in re.findall(r"\$(\w+)", t["expr"]):
                    self.assertIn(v, variables, f"{t['expr']} uses an undefined ${v}")

    def test_metric_names_of_the_parser(self):
        self.assertEqual(metric_names('sum by (reason) (rate(a_total{x="b c"}[5m])) > 0.05 * b'),
                         {"a_total", "b"})
        self.assertEqual(metric_names("topk(20, x > 1e-9) and on(regency) group_left y"),
                         {"x", "y"})


class ExportedMetricsTest(E2ETestCase):
    """Every name used in dashboards/, deploy/prometheus/ and docs/metrics.md
    is exported by the real collector, and every exported one is documented."""

    def setUp(self):
        super().setUp()
        broker = self.start_broker()
        cfg, port = self.collector_config(broker.port)
        self.wait_api(port, self.start_collector(cfg))
        wait_subscribed(broker, f"http://127.0.0.1:{port}")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            text = r.read().decode()
        self.exported = set(re.findall(r"(?m)^# TYPE (\S+) \S+$", text))

    def test_docs_list_exactly_the_exported_metrics(self):
        with open(os.path.join(ROOT, "docs", "metrics.md")) as f:
            documented = set(re.findall(r"(?m)^\| `(pantau_\w+)` \|", f.read()))
        self.assertGreater(len(self.exported), 25)
        self.assertEqual(sorted(self.exported - documented), [], "exported, not documented")
        self.assertEqual(sorted(documented - self.exported), [], "documented, not exported")

    def test_dashboard_queries_use_exported_metrics(self):
        for name, d in dashboards():
            used = set()
            for p in d["panels"]:
                for t in p.get("targets", []):
                    used |= metric_names(t["expr"])
            for v in d["templating"]["list"]:
                used |= set(re.findall(r"label_values\((\w+)", v["query"]["query"]))
            with self.subTest(dashboard=name):
                self.assertEqual(sorted(used - self.exported), [])
                self.assertTrue(used)

    def test_site_dashboard_charts_every_site_figure(self):
        """Each site family (the window's figures, the site's own traffic
        among them) has a panel on the site dashboard; each the status engine
        judges of the site's own traffic has a worst-20 table nationally."""
        found = dict(dashboards())

        def used(d):
            return set().union(*(metric_names(t["expr"]) for p in d["panels"]
                                 for t in p.get("targets", [])))
        site = {m for m in self.exported if m.startswith("pantau_site_")}
        self.assertIn("pantau_site_handshake_rtt_seconds", site)
        self.assertEqual(sorted(site - used(found["pantau-site.json"])), [])
        tops = {m for p in found["pantau-national.json"]["panels"] if p["type"] == "table"
                for t in p["targets"] if t["expr"].startswith("topk(20, ")
                for m in metric_names(t["expr"])}
        for judged in ("pantau_site_retrans_ratio", "pantau_site_dns_fail_ratio"):
            self.assertIn(judged, tops)

    def test_alert_rules_use_exported_metrics(self):
        with open(os.path.join(ROOT, "deploy", "prometheus", "pantau-rules.yml")) as f:
            exprs = re.findall(r"(?m)^\s+expr: (?:\|\n)?((?:.+\n)+?)\s+(?:for|labels):", f.read())
        self.assertEqual(len(exprs), 6)
        used = set().union(*(metric_names(e) for e in exprs)) - {"up"}
        self.assertEqual(sorted(used - self.exported), [])
