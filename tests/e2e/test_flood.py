"""Floods and bogus input against the real collector: what it keeps is bounded.

A flood of new agent ids (each would be a site in memory and in the
database) stops at [collector] max_agents: the agents beyond it are rejected
as too_many_agents and counted, the sites already known go on being stored,
and the collector's memory does not follow the number of bogus ids.
"""
import subprocess

from harness import CATALOG_DIR, E2ETestCase, binary, http_json, wait_for, wait_subscribed


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


class MaxAgentsTest(E2ETestCase):

    def setUp(self):
        super().setUp()
        self.start_stack(collector__max_agents=300)
        wait_subscribed(self.broker, self.api)

    def loadgen(self, *args):
        argv = [binary("pantau-loadgen"), "--port", str(self.broker.port),
                "--catalog", CATALOG_DIR, "--connections", "10", *map(str, args)]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)

    def stats(self):
        code, doc = http_json(self.api + "/api/v1/stats")
        self.assertEqual(code, 200)
        return doc

    def test_new_agents_beyond_max_agents_are_rejected_and_counted(self):
        # 300 agents, a batch each: all stored, 300 sites
        self.loadgen("--agents", 300, "--count", 300, "--prefix", "real", "--seed", 1)
        wait_for(lambda: self.stats()["stored"] == 300, 60, "the 300 real batches")
        self.assertEqual(self.stats()["sites_known"], 300)
        before = rss_kib(self.collector.pid)
        # 20,000 bogus ids, one batch each: none becomes a site
        self.loadgen("--agents", 20000, "--count", 20000, "--prefix", "bogus", "--seed", 2)
        wait_for(lambda: self.stats()["rejected_by"]["too_many_agents"] == 20000, 60,
                 "20,000 rejections as too_many_agents")
        after = rss_kib(self.collector.pid)
        s = self.stats()
        self.assertEqual(s["sites_known"], 300)
        self.assertEqual(s["stored"], 300)
        print(f"\n    collector RSS {before} KiB with 300 sites, {after} KiB after 20,000 "
              "bogus agent ids")
        # what one bogus id costs is nothing kept: far below a site's share
        self.assertLess(after - before, 8 * 1024)
        # the known agents are still taken: the same agents again (same seed)
        # send seq 1 (duplicates) and 2 (new)
        self.loadgen("--agents", 300, "--count", 600, "--prefix", "real", "--seed", 1)
        wait_for(lambda: self.stats()["stored"] == 600, 60, "the 300 next batches")
        self.assertEqual(self.stats()["duplicates"], 300)
        self.assertIn("max_agents; raise it if this is a real site", self.collector.output())
