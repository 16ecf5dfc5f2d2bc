"""The PostgreSQL store going away and coming back (issue 15, docs/storage.md
"When the database is down"): a real cluster (pgcluster.py) stopped with
`pg_ctl stop -m immediate` while agents publish, and started again: the
collector logs each change once, answers /healthz 503 and pantau_store_up 0
meanwhile, and every batch is stored once (0 lost, 0 duplicated). A
database down at start is waited for."""
import json
import time
import unittest
import urllib.error
import urllib.request

from harness import http_json, needs_postgresql, wait_for
from test_faults import FaultTest


def metric(api, name):
    with urllib.request.urlopen(f"{api}/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return None


@needs_postgresql
class StoreDownTest(FaultTest):

    def setUp(self):
        super().setUp()
        self.pg = self.start_pg("down")
        self.store_url = self.pg.url()

    def rows(self, where="1", args=()):
        """(agent, boot, seq, ts_ms, recv_ms, id) of the committed batches."""
        for a in args:
            where = where.replace("?", "'%s'" % str(a).replace("'", "''"), 1)
        out = self.pg.psql("SELECT agent, boot, seq, ts_ms, recv_ms, id FROM batches "
                           f"WHERE {'true' if where == '1' else where}"
                           " ORDER BY id")
        return [(f[0], *map(int, f[1:])) for f in
                (line.split("|") for line in out.splitlines() if line)]

    def assert_unavailable(self, path):
        """A route that reads the database: 503, a JSON error, Retry-After."""
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(f"{self.api}{path}", timeout=5)
        e = cm.exception
        self.assertEqual(e.code, 503, path)
        self.assertIn("store is unavailable", json.loads(e.read())["error"], path)
        self.assertGreater(int(e.headers["Retry-After"]), 0, path)

    def health(self):
        return http_json(f"{self.api}/healthz")[0]

    def test_stopped_and_started_while_agents_publish(self):
        self.stack()
        self.start_agents("ag-3273-050", 3)
        self.wait_all_stored(2)
        self.assertEqual(metric(self.api, "pantau_store_up"), 1)
        t0 = time.monotonic()
        self.pg.stop("immediate")
        wait_for(lambda: self.health() == 503, 15, "/healthz 503 with the database down")
        self.assertEqual(metric(self.api, "pantau_store_up"), 0)
        for path in ("/api/v1/regions", "/api/v1/sites", "/api/v1/stats",
                     "/api/v1/events", "/api/v1/sites/ag-3273-0501"):
            self.assert_unavailable(path)
        for a in self.agents:
            self.wait_produced(a, 3)       # kept by the broker's session and the outboxes
        self.pg.start()
        wait_for(lambda: self.health() == 200, 40, "/healthz 200 with the database back")
        back = time.monotonic() - t0
        counts = self.converge("PostgreSQL stopped (immediate) and started under load")
        print(f"store down: {back:.1f} s without storing, then caught up")
        self.assertEqual(counts["missing"], 0)
        self.assertEqual(counts["duplicates"], 0)
        self.assertEqual(metric(self.api, "pantau_store_up"), 1)
        log = self.collector.output()
        self.assertEqual(log.count("the database is unavailable"), 1, log[-3000:])
        self.assertEqual(log.count("the database is back"), 1, log[-3000:])

    def test_down_at_start_is_waited_for(self):
        self.pg.stop("immediate")
        self.broker = self.start_broker()
        cfg, self.api_port = self.collector_config(self.broker.port)
        self.api = f"http://127.0.0.1:{self.api_port}"
        self.collector = self.start_collector(cfg)
        wait_for(lambda: "cannot reach the database yet" in self.collector.output(), 15,
                 "the collector to say it waits for the database")
        self.assertTrue(self.collector.alive())
        self.pg.start()
        self.wait_api(self.api_port, self.collector, timeout=40)
        self.assertEqual(self.collector.output().count("cannot reach the database yet"), 1)


if __name__ == "__main__":
    unittest.main()
