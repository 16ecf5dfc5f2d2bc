"""PostgreSQL failover (issue 15, fault test 4(d); docs/storage.md "Failover to
a replica"): a primary and its streaming replica (pgcluster.py, asynchronous
replication), the collector's [store] url listing both with
target_session_attrs=read-write, real agents publishing. The primary's WAL
sender is stopped first (SIGSTOP) so that the last commits are on the primary
only, as replication lag makes them; then the primary is SIGKILLed (postmaster
and children, a dead machine) and the replica promoted, as the operator or a
failover manager would. The collector must find the promoted replica by
itself, notice that it lacks batches it had stored (gaps below where its
replay scan had read) and get them back from the agents' outboxes: 0 lost,
0 duplicated. An alert that fired in the lost commits is not sent again,
also after a collector restart. Prints seconds without storing and the time
to catch up (docs/scaling.md, "PostgreSQL failover")."""
import os
import signal
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import test_pg_down
from harness import free_port, http_json, needs_postgresql, wait_for
from test_alerts import Receiver
from test_faults import FaultTest

TALLY_AGENT = "ag-3273-0604"


class Tally:
    """The agents' tally server: 200 until fail() is called, then 503."""

    def __init__(self):
        self.failing = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(503 if outer.failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@needs_postgresql
class PgFailoverTest(FaultTest):
    rows = test_pg_down.StoreDownTest.rows   # read from self.pg, the primary of now

    def setUp(self):
        super().setUp()
        self.primary = self.start_pg("failover-a")
        self.replica = self.primary.replica("failover-b")
        self.addCleanup(self.replica.remove)
        self.pg = self.primary
        self.store_url = self.primary.failover_url(self.replica)
        self.tally = Tally()
        self.addCleanup(self.tally.close)
        self.hook = Receiver()
        self.addCleanup(self.hook.close)

    def keys(self, cluster):
        out = cluster.psql("SELECT agent, boot, seq FROM batches")
        return {(f[0], int(f[1]), int(f[2])) for f in
                (line.split("|") for line in out.splitlines() if line)}

    def firings(self):
        """(alertname, site or regency) of every firing the webhook got."""
        return [(a["alertname"], a.get("site") or body["regency"])
                for body in self.hook.bodies("/hook") for a in body["alerts"]
                if a["status"] == "firing"]

    def health(self):
        return http_json(f"{self.api}/healthz")[0]

    def lose_one_and_replay(self, streamed):
        """A batch of one agent lost in the lag (as one acknowledged to the
        broker and not committed when a collector dies: test_faults.py does
        that by SIGKILL, not at a chosen moment), deleted here with its key,
        results and count. The collector's replay scan reads that boot to its
        end to find the gap and gets it back: its idea of how far the boot
        is stored is then past commits the replica never got."""
        agent = "ag-3273-0601"
        boot, seq = sorted((b, s) for a, b, s in self.keys(self.primary) - streamed
                           if a == agent)[0]
        where = f"agent = '{agent}' AND boot = {boot}"
        self.primary.psql(
            f"DELETE FROM results WHERE batch_id IN (SELECT id FROM batches WHERE {where}"
            f" AND seq = {seq}); DELETE FROM batches WHERE {where} AND seq = {seq};"
            f" DELETE FROM batch_keys WHERE {where} AND seq = {seq};"
            f" UPDATE boots SET stored = stored - 1 WHERE {where}")
        wait_for(lambda: (agent, boot, seq) in self.keys(self.primary), 30,
                 "the deleted batch replayed")
        newest = max(s for a, b, s in self.keys(self.primary) if (a, b) == (agent, boot))
        wait_for(lambda: max(s for a, b, s in self.keys(self.primary)
                             if (a, b) == (agent, boot)) > newest + 2, 30,
                 f"{agent} to go on")

    def test_primary_killed_replica_promoted(self):
        self.stack(alerts__webhook_url=f"http://127.0.0.1:{self.hook.port}/hook",
                   status__window=2, status__tick_ms=200)
        self.start_agents("ag-3273-060", 3)
        self.start_agent(TALLY_AGENT, probes={"tally": {
            "type": "http", "target": self.tally.url, "timeout_ms": 1000}})
        self.wait_all_stored(3)
        wait_for(lambda: self.keys(self.primary) <= self.keys(self.replica), 15,
                 "the replica to stream the primary's batches")

        # Replication lag: the WAL sender stopped, the primary commits alone.
        sender, = self.primary.streaming_pids()
        os.kill(sender, signal.SIGSTOP)
        streamed = self.keys(self.replica)
        self.tally.failing = True
        site_down = ("PantauSiteDown", TALLY_AGENT)
        wait_for(lambda: site_down in self.firings(), 30, "the tally agent's alert")
        wait_for(lambda: len(self.keys(self.primary) - streamed) >= 12, 30,
                 "batches committed on the primary only")
        self.lose_one_and_replay(streamed)
        on_primary = self.keys(self.primary)

        t0 = time.monotonic()
        self.primary.kill()
        wait_for(lambda: self.health() == 503, 20, "/healthz 503 with the primary gone")
        self.replica.promote()
        promoted = time.monotonic() - t0
        self.pg = self.replica
        lost_at_promotion = on_primary - self.keys(self.replica)
        wait_for(lambda: self.health() == 200, 60, "the collector on the promoted replica")
        back = time.monotonic() - t0
        counts = self.converge("PostgreSQL primary SIGKILLed, replica promoted", timeout=120)
        caught_up = time.monotonic() - t0
        print(f"PostgreSQL failover: promoted {promoted:.1f} s after the SIGKILL, "
              f"{back:.1f} s without storing, caught up {caught_up - back:.1f} s later "
              f"({len(lost_at_promotion)} committed batches not streamed, replayed)")
        self.assertGreater(len(lost_at_promotion), 0, "the lag lost nothing: no test")
        self.assertEqual(counts["missing"], 0)
        self.assertEqual(counts["duplicates"], 0)
        log = self.collector.output()
        self.assertEqual(log.count("the database is unavailable"), 1, log[-3000:])
        self.assertEqual(log.count("the database is back"), 1, log[-3000:])

        # No alert told twice, also by a collector restarted after the failover:
        # the alert and the site's status were saved in the lost commits.
        self.assertEqual(self.firings().count(site_down), 1, self.firings())
        self.collector.stop()
        self.restart_collector()
        base = len(self.rows("agent = ?", (TALLY_AGENT,)))
        wait_for(lambda: len(self.rows("agent = ?", (TALLY_AGENT,))) >= base + 4, 30,
                 "four more batches of the failing site judged")
        firings = self.firings()
        self.assertEqual(len(firings), len(set(firings)), firings)


if __name__ == "__main__":
    unittest.main()
