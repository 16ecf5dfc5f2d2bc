"""The throughput probe through a real bottleneck: two network namespaces joined
by a veth pair, tbf at 20 Mbit/s towards the site and 5 Mbit/s back, the
reflector on one side and `pantau-agent check --json` on the other. Proves the
TCP_INFO figures (loaded RTT, retransmissions) are sampled while transfers run
and that the rate is the bottleneck's, not loopback's. Needs root."""
import json
import os
import shutil
import subprocess

from harness import CATALOG_DIR, E2ETestCase, binary, wait_for, write_ini

RUN_ALONE = True   # tests/run.py --jobs: it measures rates through tbf in namespaces


class ShapedThroughputTest(E2ETestCase):

    def setUp(self):
        super().setUp()
        if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("tc") is None:
            self.skipTest("needs root, iproute2 and tc for network namespaces")
        tag = f"{os.getpid() % 100000}"
        self.core, self.site = f"pantau-tpc-{tag}", f"pantau-tps-{tag}"
        for ns in (self.core, self.site):
            self.run_ok(["ip", "netns", "add", ns])
            self.addCleanup(subprocess.run, ["ip", "netns", "del", ns], timeout=10)
        self.run_ok(["ip", "link", "add", f"tpc{tag}", "netns", self.core, "type", "veth",
                     "peer", "name", f"tps{tag}", "netns", self.site])
        for ns, dev, addr, rate in ((self.core, f"tpc{tag}", "198.18.7.1/24", "20mbit"),
                                    (self.site, f"tps{tag}", "198.18.7.2/24", "5mbit")):
            self.run_ok(["ip", "-n", ns, "addr", "add", addr, "dev", dev])
            self.run_ok(["ip", "-n", ns, "link", "set", dev, "up"])
            self.run_ok(["ip", "-n", ns, "link", "set", "lo", "up"])
            self.run_ok(["ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", dev, "root",
                         "tbf", "rate", rate, "burst", "32kbit", "latency", "100ms"])

    def run_ok(self, argv):
        subprocess.run(argv, check=True, timeout=30, capture_output=True)

    def test_rates_and_tcp_figures_through_tbf(self):
        rcfg = write_ini(os.path.join(self.workdir, "reflector.ini"), {
            "stamp": {"listen": "198.18.7.1", "port": 862},
            "http": {"listen": "198.18.7.1", "port": 8862},
        })
        self.start("reflector", ["ip", "netns", "exec", self.core, binary("pantau-reflector"),
                                 "--config", rcfg])
        probe = ["ip", "netns", "exec", self.site, "python3", "-c",
                 "import socket; socket.create_connection(('198.18.7.1', 8862), 1)"]
        wait_for(lambda: subprocess.run(probe, capture_output=True).returncode == 0, 10,
                 "the reflector in its namespace")
        cfg = self.agent_config("agent", 1, "ag-3273-0401", "32.73", {
            "tp": {"type": "throughput", "target": "http://198.18.7.1:8862",
                   "duration_s": 4, "connections": 4},
        }, agent__interval=30)
        out = subprocess.run(["ip", "netns", "exec", self.site, binary("pantau-agent"), "check",
                              "--json", "--config", cfg, "--catalog", CATALOG_DIR],
                             capture_output=True, text=True, timeout=60)
        lines = [x for x in out.stdout.splitlines() if x.startswith("{")]
        self.assertEqual(len(lines), 1, out.stdout + out.stderr)
        r = json.loads(lines[0])
        self.assertTrue(r["ok"], r)
        down, up = r["download"], r["upload"]
        # tbf's rate, not loopback's (gigabits): within 25 % either way. This
        # test proves the bottleneck is what is measured; accuracy is the lab's
        # job (tests/e2e/test_lab.py: within 10 % of iperf3 on the same path,
        # measured 0.998-1.003). On a loaded 2-core CI machine a warm-up that
        # never settled has read 8 % and once 12 % high over this short 2 s
        # measurement (docs/testing.md).
        self.assertTrue(15.0 <= down["mbps"] <= 25.0, down)
        self.assertTrue(3.75 <= up["mbps"] <= 6.25, up)
        for d in (down, up):
            self.assertGreater(d["warmup_ms"], 0)
            self.assertGreater(d["rtt_loaded_ms"], d["rtt_idle_ms"])
            self.assertGreaterEqual(d["bufferbloat_ms"], 0)
        self.assertGreaterEqual(up["retrans"], 0)
        self.assertTrue(0 < up["tcp_efficiency_pct"] <= 100)
