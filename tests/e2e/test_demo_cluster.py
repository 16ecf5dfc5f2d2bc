"""make demo-cluster as a new user runs it (deploy/demo/cluster.py; README,
docs/scaling.md "The demo's topology"): started in a folder of the test's,
it must print its addresses; then every collector's API answers, the
dashboard it printed answers, the real agents behind both regional brokers
are connected there and their batches stored in the PostgreSQL primary,
both bridges are on the main central broker, and each of the partitions has
exactly one owner. SIGTERM then stops it: exit 0, no process left working in
its folder or the database's folders, and those removed.
"""
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

from harness import BUILD, ROOT, E2ETestCase, http_json, pgcluster, wait_for
from test_cluster import owned
# deploy/demo/, on the path through harness
import cluster  # noqa: E402  (cluster.py: its topology)
import demo  # noqa: E402  (demo.py: its SITES)
import procs  # noqa: E402  (procs.py: who is left running)

CLUSTER = os.path.join(ROOT, "deploy", "demo", "cluster.py")

RUN_ALONE = True   # tests/run.py --jobs: four brokers, three collectors, two PostgreSQL
# pantau/v1 partitions' advisory locks (collector/cluster/ownlock.c)
LOCK_CLASS = 1885433344


def psql(url, sql):
    out = subprocess.run([os.path.join(pgcluster.PG_BIN, "psql"), "-X", "-A", "-t", "-q",
                          "-d", url, "-c", sql], capture_output=True, text=True, timeout=30,
                         check=True)
    return out.stdout.split()


class DemoClusterTest(E2ETestCase):
    def printed(self):
        with open(self.out_path) as f:
            text = f.read()
        if self.demo.poll() is not None:
            raise AssertionError(f"demo-cluster exited with {self.demo.returncode}:\n{text}")
        return text if re.search(r"(?m)^dashboard: ", text) else None

    def log(self, name):
        with open(os.path.join(self.var, f"{name}.log"), errors="replace") as f:
            return f.read()

    def test_demo_cluster_up_and_down(self):
        if not pgcluster.available():
            self.skipTest("postgresql-15 is not installed")
        self.var = os.path.join(self.workdir, "demo-cluster")
        self.out_path = os.path.join(self.workdir, "demo-cluster.out")
        t0 = time.monotonic()
        with open(self.out_path, "wb") as out:
            self.demo = subprocess.Popen([sys.executable, CLUSTER, "--build", BUILD, "--var",
                                          self.var], stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=ROOT)
        self.addCleanup(procs.stop_all, [self.demo], 90)
        text = wait_for(self.printed, 60, "demo-cluster to print its addresses", interval=0.2)
        t_printed = time.monotonic() - t0
        apis = re.search(r"(?m)^api: ((?:http://\S+ )+)\(", text).group(1).split()
        dashboard = re.search(r"(?m)^dashboard: (http://127\.0\.0\.1:\d+/)$", text).group(1)
        line = re.search(r"(?m)^postgresql: (.*)$", text).group(1)
        primary = re.search(r"primary (postgresql://\S+),", line).group(1)
        pg_dirs = re.findall(r"host=([^&\s]+)", line)
        self.assertEqual(len(apis), cluster.COLLECTORS, text)
        self.assertEqual(len(pg_dirs), 2, line)
        self.assertIn(dashboard, apis)

        def answer():
            return all(http_json(a + "healthz", timeout=2)[0] == 200 for a in apis)
        wait_for(answer, 30, "every collector's API")
        with urllib.request.urlopen(dashboard, timeout=5) as r:
            self.assertEqual(r.status, 200)
            self.assertIn("<html", r.read().decode(errors="replace").lower())

        by_region = {r: [s[0] for s in demo.SITES if cluster.region_of(s[1]) == r]
                     for r in cluster.REGIONS}
        self.assertTrue(all(by_region.values()), by_region)

        def stored():
            return set(psql(primary, "SELECT DISTINCT agent FROM batches "
                                     "WHERE agent LIKE 'ag-%'")) >= {s[0] for s in demo.SITES}
        wait_for(stored, 60, "a batch of every real agent in the primary", interval=0.5)
        t_stored = time.monotonic() - t0
        for r, agents in by_region.items():
            broker_log = self.log(f"regional-{r}")
            for agent in agents:
                self.assertRegex(broker_log, rf"as {agent} \(", f"{agent} not on regional-{r}")
        central = self.log("central-a")
        for r in cluster.REGIONS:
            self.assertRegex(central, rf"New bridge connected from .* as pantau-bridge-{r} \(")

        parts = list(range(cluster.PARTITIONS))

        def one_owner_each():
            mine = [owned(self.log(f"collector-{i}")) for i in range(cluster.COLLECTORS)]
            flat = sorted(p for m in mine for p in m)
            locks = sorted(int(x) for x in psql(
                primary, "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND "
                f"classid = {LOCK_CLASS} AND granted"))
            return flat == parts and locks == parts and all(mine)
        wait_for(one_owner_each, 30, "each partition owned by exactly one collector",
                 interval=0.5)
        self.assertTrue(psql(primary, "SELECT count(*) FROM pg_stat_replication "
                                      "WHERE state = 'streaming'") == ["1"], "no replica")

        t_stop = time.monotonic()
        self.demo.send_signal(signal.SIGTERM)
        self.assertEqual(self.demo.wait(90), 0, open(self.out_path).read()[-3000:])
        stopped = time.monotonic() - t_stop
        self.assertIn("demo: stopped everything it started", open(self.out_path).read())
        try:
            wait_for(lambda: not procs.working_in([self.var] + pg_dirs), 5,
                     "no process left in the demo's folders")
        except AssertionError:
            pass
        self.assertEqual(procs.working_in([self.var] + pg_dirs), [], "left running")
        self.assertEqual([d for d in pg_dirs if os.path.exists(d)], [])
        print(f"demo-cluster: addresses printed after {t_printed:.1f} s, every real agent "
              f"stored after {t_stored:.1f} s, stopped in {stopped:.1f} s")


if __name__ == "__main__":
    import unittest
    unittest.main()
