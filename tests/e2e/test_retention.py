"""[store] retain_days: the real collector deletes old rows of a real database."""
import json
import os
import sqlite3
import urllib.request

from harness import E2ETestCase, http_json, wait_for, wait_subscribed

DAY_MS = 86400 * 1000


def metrics(api):
    with urllib.request.urlopen(f"{api}/metrics", timeout=5) as r:
        return r.read().decode()


def batch(agent, seq, boot=1):
    # Measured in 2024, like the fixtures of the other tests: only the
    # receive time decides what retention deletes.
    return json.dumps({
        "v": 1, "agent": agent, "boot": boot, "seq": seq, "ts": "2024-02-14T06:00:30Z",
        "results": [{"probe": "icmp", "target": "203.0.113.10", "sent": 10, "recv": 10,
                     "loss_pct": 0, "rtt_ms": {"min": 41, "p50": 43, "avg": 43, "p95": 47,
                                               "max": 52}},
                    {"probe": "tcp", "target": "203.0.113.10:443", "ok": True,
                     "connect_ms": 40}],
        "outbox": {"pending": 0, "dropped": 0}})


class RetentionTest(E2ETestCase):
    def run_collector(self, retain_days):
        cfg, port = self.collector_config(self.broker.port, store__retain_days=retain_days)
        proc = self.start_collector(cfg)
        self.wait_api(port, proc)
        return proc, f"http://127.0.0.1:{port}"

    def db(self):
        return sqlite3.connect(os.path.join(self.workdir, "pantau.db"), timeout=10)

    def count(self, sql):
        with self.db() as c:
            return c.execute(sql).fetchone()[0]

    def test_old_rows_deleted_recent_kept_api_answers(self):
        self.broker = self.start_broker()
        # 1. Store batches through the real collector, retention off.
        proc, api = self.run_collector(0)
        wait_subscribed(self.broker, api)
        sent = [("ag-3273-0001", s, 1) for s in range(1, 5)] + \
               [("ag-3273-0002", s, 3) for s in (1, 2)] + \
               [("ag-3273-0001", s, 1) for s in (5, 6)]
        for agent, seq, boot in sent:
            self.broker.publish(f"pantau/v1/32/3273/{agent}/result", batch(agent, seq, boot))
        wait_for(lambda: http_json(f"{api}/api/v1/stats")[1]["stored"] == 8, 15,
                 "8 batches stored")
        stats = http_json(f"{api}/api/v1/stats")[1]
        self.assertIsNone(stats["retention"])
        self.assertNotIn("pantau_store_pruned_rows_total", metrics(api))
        self.assertEqual(proc.stop(), 0)

        # 2. Age the first six arrivals (ag-1's seq 1-4, ag-2's whole boot)
        # and add old and recent events, as if 40 days had passed.
        with self.db() as c:
            c.execute("UPDATE batches SET recv_ms = recv_ms - 40 * ?1 WHERE id IN"
                      " (SELECT id FROM batches ORDER BY id LIMIT 6)", (DAY_MS,))
            c.execute("UPDATE boots SET last_recv_ms = last_recv_ms - 40 * ?1"
                      " WHERE agent = 'ag-3273-0002'", (DAY_MS,))
            for when, reason in (("min", "test-old"), ("max", "test-recent")):
                c.execute("INSERT INTO events(ts_ms, scope, key, to_status, reason) SELECT"
                          f" {when}(recv_ms), 'site', 'ag-3273-0001', 'OK', ?1 FROM batches",
                          (reason,))
        old_events = self.count("SELECT count(*) FROM events WHERE ts_ms <"
                                " (SELECT max(recv_ms) FROM batches) - 30 * 86400000")
        self.assertGreaterEqual(old_events, 1)

        # 3. Start with 30 days of retention: its first run deletes them.
        proc, api = self.run_collector(30)

        def pruned():
            r = http_json(f"{api}/api/v1/stats")[1]["retention"]
            return r if r["runs"] >= 1 else None
        r = wait_for(pruned, 20, "a retention run")
        self.assertEqual((r["batches"], r["results"], r["boots"]), (6, 12, 1))
        self.assertEqual(r["events"], old_events)
        self.assertIsNotNone(r["last_run"])
        self.assertGreaterEqual(r["longest_step_ms"], 0)
        self.assertEqual(self.count("SELECT group_concat(agent || ':' || seq) FROM batches"),
                         "ag-3273-0001:5,ag-3273-0001:6")
        self.assertEqual(self.count("SELECT count(*) FROM results"), 4)
        self.assertEqual(self.count("SELECT group_concat(reason) FROM events WHERE reason"
                                    " LIKE 'test-%'"), "test-recent")

        # The API keeps answering: the site keeps its recent results and its
        # boot's delivery counts; the boot gone for 40 days has none left.
        status, site = http_json(f"{api}/api/v1/sites/ag-3273-0001")
        self.assertEqual(status, 200)
        self.assertEqual(site["delivery"]["stored"], 6)
        self.assertEqual(site["delivery"]["missing"], 0)
        agents = [a["agent"] for a in http_json(f"{api}/api/v1/stats")[1]["agents"]]
        self.assertEqual(agents, ["ag-3273-0001"])
        self.assertEqual(http_json(f"{api}/api/v1/sites/ag-3273-0002")[0], 200)
        text = metrics(api)
        self.assertIn('pantau_store_pruned_rows_total{table="batches"} 6', text)
        self.assertIn('pantau_store_pruned_rows_total{table="results"} 12', text)
        self.assertIn("pantau_store_prune_runs_total 1", text)
        self.assertIn("retention: deleted 6 batch(es), 12 result(s)", proc.output())

        # New batches are stored as before.
        self.broker.publish("pantau/v1/32/3273/ag-3273-0001/result",
                            batch("ag-3273-0001", 7))
        wait_for(lambda: self.count("SELECT count(*) FROM batches") == 3, 15,
                 "a new batch stored after the run")
