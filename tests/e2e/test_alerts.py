"""Alert delivery end to end: a real Prometheus Alertmanager (Debian's
prometheus-alertmanager), a webhook receiver and a Telegram-style endpoint
played by this test, the real broker and collector."""
import http.server
import json
import os
import shutil
import threading
import time
import unittest
import urllib.request

from harness import E2ETestCase, on_postgresql, free_port, http_json, port_open, wait_for, wait_subscribed
from test_status import GEO, birth, batch, topic

ALERTMANAGER = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
INTERVAL_S = 5            # what the births announce


class Receiver:
    """An HTTP server that records every POST; the first fail_first get 500."""

    def __init__(self, fail_first=0):
        self.posts = []
        self.failed = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    fail = outer.failed < fail_first
                    if fail:
                        outer.failed += 1
                    else:
                        outer.posts.append((self.path, json.loads(body)))
                self.send_response(500 if fail else 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self, path_part=""):
        with self.lock:
            return [b for p, b in self.posts if path_part in p]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@unittest.skipUnless(os.path.exists(ALERTMANAGER), "prometheus-alertmanager is not installed "
                     "(make deps installs it)")
class AlertSetup(E2ETestCase):
    """Alertmanager, two receivers, broker and collector with a WINDOW s window."""
    WINDOW = 5

    def setUp(self):
        super().setUp()
        self.am_port = free_port()
        conf = os.path.join(self.workdir, "alertmanager.yml")
        with open(conf, "w") as f:
            f.write("route:\n  receiver: 'null'\n  group_by: ['regency']\n"
                    "receivers:\n  - name: 'null'\n")
        self.am = self.start("alertmanager", [
            ALERTMANAGER, f"--config.file={conf}",
            f"--storage.path={os.path.join(self.workdir, 'am-data')}",
            f"--web.listen-address=127.0.0.1:{self.am_port}", "--cluster.listen-address="])
        wait_for(lambda: port_open(self.am_port) or not self.am.alive(), 20,
                 "Alertmanager to listen")
        self.hook = Receiver(fail_first=1)
        self.tg = Receiver()
        self.addCleanup(self.hook.close)
        self.addCleanup(self.tg.close)
        self.broker = self.start_broker()
        cfg, port = self.collector_config(
            self.broker.port, status__window=self.WINDOW, status__tick_ms=200,
            alerts__alertmanager_url=f"http://127.0.0.1:{self.am_port}",
            alerts__webhook_url=f"http://127.0.0.1:{self.hook.port}/hook",
            alerts__telegram_url=f"http://127.0.0.1:{self.tg.port}",
            alerts__telegram_token="123:abc", alerts__telegram_chat="-1001",
            alerts__dashboard_url="http://127.0.0.1:8080", alerts__repost=5)
        self.collector = self.start_collector(cfg)
        self.wait_api(port, self.collector)
        self.api = f"http://127.0.0.1:{port}"
        wait_subscribed(self.broker, self.api)
        self.seq = 0

    def send(self, lost):
        self.seq += 1
        self.broker.publish(topic(GEO, "result"), batch(GEO, self.seq, lost, 610))

    def am_alerts(self):
        url = f"http://127.0.0.1:{self.am_port}/api/v2/alerts?active=true&silenced=false"
        with urllib.request.urlopen(url, timeout=5) as r:
            return [a for a in json.load(r) if a["labels"].get("site") == GEO or
                    a["labels"].get("regency") == "95.01"]


class AlertDeliveryTest(AlertSetup):
    def test_fire_group_retry_resolve(self):
        self.broker.publish(topic(GEO, "status"), birth(GEO, "vsat-geo"), retain=True)
        self.send(0)
        wait_for(lambda: http_json(f"{self.api}/api/v1/sites/{GEO}")[1]["status"] == "OK", 10,
                 "the site to be OK")
        # the link degrades: two bad windows, and the alert must be in
        # Alertmanager within two probe intervals of the first bad result
        first_bad = time.monotonic()
        self.send(12)
        self.send(12)

        def site_alert():
            return [a for a in self.am_alerts() if a["labels"]["alertname"] == "PantauSiteDown"]
        alerts = wait_for(site_alert, 2 * INTERVAL_S, "PantauSiteDown in Alertmanager")
        print(f"alert in Alertmanager {time.monotonic() - first_bad:.2f} s after the first "
              f"bad result (limit {2 * INTERVAL_S} s)")
        labels = alerts[0]["labels"]
        self.assertEqual(labels, {"alertname": "PantauSiteDown", "severity": "warning",
                                  "province": "95", "regency": "95.01", "site": GEO,
                                  "link": "vsat-geo", "tertinggal": "true"})
        self.assertIn("loss", alerts[0]["annotations"]["reason"])
        self.assertIn("since", alerts[0]["annotations"])
        self.assertEqual(alerts[0]["generatorURL"], "http://127.0.0.1:8080/#/regency/95.01")
        names = {a["labels"]["alertname"] for a in self.am_alerts()}
        self.assertEqual(names, {"PantauSiteDown", "PantauRegencyAtRisk"})

        # the webhook failed once, was retried, and got the regency's two
        # alerts as one message
        hooks = wait_for(lambda: self.hook.bodies("/hook"), 10, "the webhook")
        self.assertEqual(self.hook.failed, 1)
        self.assertEqual(hooks[0]["regency"], "95.01")
        self.assertEqual(sorted(a["alertname"] for a in hooks[0]["alerts"]),
                         ["PantauRegencyAtRisk", "PantauSiteDown"])
        self.assertTrue(all(a["status"] == "firing" for a in hooks[0]["alerts"]))
        tg = wait_for(lambda: self.tg.bodies("/bot123:abc/sendMessage"), 10, "telegram")
        self.assertEqual(tg[0]["chat_id"], "-1001")
        self.assertIn("FIRING warning: site ag-9501-0001 CRITICAL", tg[0]["text"])
        self.assertEqual(len(tg), 1)      # one message for the regency, not one per alert

        # the API lists them
        listed = http_json(f"{self.api}/api/v1/alerts")[1]
        self.assertEqual(listed["firing"], 2)

        # recovery: good results until the window and the hysteresis let go
        def resolved():
            self.send(0)
            return not self.am_alerts()
        wait_for(resolved, 60, "the alerts to resolve in Alertmanager", interval=1.0)
        done = wait_for(lambda: [b for b in self.hook.bodies("/hook")
                                 if all(a["status"] == "resolved" for a in b["alerts"])],
                        10, "the resolved webhook")
        self.assertIn("endsAt", done[0]["alerts"][0])
        self.assertEqual(http_json(f"{self.api}/api/v1/alerts")[1]["firing"], 0)
        # each condition fired once and resolved once
        firing_msgs = [a for b in self.hook.bodies("/hook") for a in b["alerts"]
                       if a["status"] == "firing"]
        self.assertEqual(len(firing_msgs), 2)


class AlertFlappingTest(AlertSetup):
    """A link alternating good and bad every window makes no alert storm."""
    WINDOW = 1

    def test_flapping_link_raises_nothing(self):
        self.hook.failed = 1          # no injected failure here
        self.broker.publish(topic(GEO, "status"), birth(GEO, "vsat-geo"), retain=True)
        self.send(0)
        wait_for(lambda: http_json(f"{self.api}/api/v1/sites/{GEO}")[1]["status"] == "OK", 10,
                 "the site to be OK")
        # one batch per window (the agent's schedule, 1.2 s apart), 50 % loss
        # and none in turn: every window alternates CRITICAL and OK
        verdicts = []
        next_at = time.monotonic()
        for k in range(14):
            wait_for(lambda: time.monotonic() >= next_at, 5, "the next batch time",
                     interval=0.01)
            next_at += self.WINDOW * 1.2
            self.send(10 if k % 2 == 0 else 0)
            site = http_json(f"{self.api}/api/v1/sites/{GEO}")[1]
            verdicts.append(site["window"]["loss_pct"])
            self.assertEqual(site["status"], "OK", f"after batch {k}: {site['reason']}")
            self.assertEqual(self.am_alerts(), [])
        # the windows did alternate (some saw the loss, some did not)
        self.assertTrue(any(v and v > 10 for v in verdicts) and any(v == 0 for v in verdicts),
                        verdicts)
        self.assertEqual(self.hook.bodies("/hook"), [])
        self.assertEqual(self.tg.bodies(), [])
        self.assertEqual(http_json(f"{self.api}/api/v1/alerts")[1]["alerts"], [])


AMTOOL = shutil.which("amtool") or "/usr/bin/amtool"


@unittest.skipUnless(os.path.exists(AMTOOL), "amtool is not installed (make deps installs it)")
class ShippedConfigTest(unittest.TestCase):
    def test_deploy_alertmanager_config_is_valid(self):
        import subprocess
        path = os.path.join(os.path.dirname(__file__), "..", "..", "deploy", "alertmanager",
                            "alertmanager.yml")
        out = subprocess.run([AMTOOL, "check-config", path], capture_output=True, text=True,
                             timeout=30)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("SUCCESS", out.stdout)


AlertDeliveryPgTest = on_postgresql(AlertDeliveryTest)
