"""An alert state saved by release 9db89e2 (its "already told" state a
three-entry array) loads into today's collector: nothing it had told is
told again, what it had not told is told once, and the state is then
saved per receiver name. The fixture and how it was made:
tests/fixtures/make_alert_state.py."""
import json
import os
import shutil
import sqlite3

from harness import ROOT, E2ETestCase, http_json, wait_for, wait_subscribed
from test_alerts import Receiver

FIXTURE = os.path.join(ROOT, "tests", "fixtures", "alert_state_9db89e2.db")
LEGACY_ORDER = ("alertmanager", "webhook", "telegram")   # how 9db89e2 saved "told"


def saved_alerts(db):
    """{key: (version, {receiver: version told})} from the alerts table."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = [json.loads(r[0]) for r in con.execute("SELECT data FROM alerts")]
    finally:
        con.close()
    out = {}
    for a in rows:
        told = a["told"]
        if isinstance(told, list):
            told = dict(zip(LEGACY_ORDER, told))
        out[a["key"]] = (a["version"], told)
    return out


class AlertStateUpgradeTest(E2ETestCase):
    def setUp(self):
        super().setUp()
        self.db = os.path.join(self.workdir, "pantau.db")
        shutil.copyfile(FIXTURE, self.db)
        self.before = saved_alerts(self.db)
        self.am, self.hook, self.tg = Receiver(), Receiver(), Receiver()
        for r in (self.am, self.hook, self.tg):
            self.addCleanup(r.close)
        self.broker = self.start_broker()
        cfg, port = self.collector_config(
            self.broker.port, status__window=1, status__tick_ms=200,
            alerts__alertmanager_url=f"http://127.0.0.1:{self.am.port}",
            alerts__webhook_url=f"http://127.0.0.1:{self.hook.port}/hook",
            alerts__telegram_url=f"http://127.0.0.1:{self.tg.port}",
            alerts__telegram_token="123:abc", alerts__telegram_chat="-1001")
        self.collector = self.start_collector(cfg)
        self.wait_api(port, self.collector)
        self.api = f"http://127.0.0.1:{port}"

    def test_fixture_is_what_release_9db89e2_saved(self):
        # the fixture itself: Telegram was not told the two resolves
        self.assertEqual(self.before, {
            "PantauRegencyAtRisk/95.01": (1, {"alertmanager": 1, "webhook": 1, "telegram": 1}),
            "PantauSiteDown/ag-9501-0001": (1, {"alertmanager": 1, "webhook": 1,
                                                "telegram": 1}),
            "PantauRegencyAtRisk/32.73": (2, {"alertmanager": 2, "webhook": 2, "telegram": 1}),
            "PantauSiteDown/ag-3273-0001": (2, {"alertmanager": 2, "webhook": 2,
                                                "telegram": 1})})

    def test_old_state_loads_and_nothing_is_told_twice(self):
        wait_subscribed(self.broker, self.api)
        # the firing alerts are back as they were
        listed = http_json(f"{self.api}/api/v1/alerts")[1]
        self.assertEqual(listed["firing"], 2)
        firing = sorted(a["key"] for a in listed["alerts"] if a["firing"])
        self.assertEqual(firing, ["PantauRegencyAtRisk/95.01", "PantauSiteDown/ag-9501-0001"])
        # Telegram gets the resolves it missed, once, as one message
        tg = wait_for(lambda: self.tg.bodies("/bot123:abc/sendMessage"), 10,
                      "the missed resolves on Telegram")
        text = tg[0]["text"]
        self.assertTrue(text.startswith("pantau: Kota Bandung (32.73)\n"), text)
        self.assertIn("RESOLVED warning: site ag-3273-0001", text)
        self.assertIn("RESOLVED warning: regency AT RISK", text)
        self.assertNotIn("FIRING", text)
        # Alertmanager is re-posted what fires (as it expects every repost
        # interval), never the resolves it already had
        posts = wait_for(lambda: self.am.bodies("/api/v2/alerts"), 10, "Alertmanager's post")
        sent = {(a["labels"]["alertname"], a["labels"]["regency"]) for a in posts[0]}
        self.assertEqual(sent, {("PantauSiteDown", "95.01"), ("PantauRegencyAtRisk", "95.01")})
        self.assertTrue(all("endsAt" not in a for a in posts[0]))
        # the state is saved per receiver, Telegram now told; the webhook,
        # which had been told everything, gets nothing
        def saved():
            now = saved_alerts(self.db)
            return all(told == {"alertmanager": v, "webhook": v, "telegram": v}
                       for v, told in now.values()) and now
        now = wait_for(saved, 10, "the told state saved")
        self.assertEqual({k: v for k, (v, _) in now.items()},
                         {k: v for k, (v, _) in self.before.items()})
        self.assertEqual(len(self.tg.bodies()), 1)
        self.assertEqual(self.hook.bodies(), [])
        # and a restart tells nobody anything again but Alertmanager's re-post
        self.assertEqual(self.collector.stop(), 0)
        collector = self.start_collector(os.path.join(self.workdir, "collector.ini"))
        self.wait_api(int(self.api.rsplit(":", 1)[1]), collector)
        wait_for(lambda: len(self.am.bodies()) >= 2, 10, "Alertmanager's re-post")
        self.assertEqual(len(self.tg.bodies()), 1)
        self.assertEqual(self.hook.bodies(), [])
