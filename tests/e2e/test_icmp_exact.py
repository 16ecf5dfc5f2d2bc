"""icmp counts exactly what RFC 2681/7680 say, proven with a scripted echo
responder in a network namespace of its own (the namespace's kernel does not
answer pings): a duplicate is counted apart, a reply after the timeout is lost
and not credited, a missing reply is lost. Needs root (namespaces, raw sockets)."""
import json
import os
import shutil
import subprocess
import sys

from harness import CATALOG_DIR, E2ETestCase, binary, wait_for

RUN_ALONE = True   # tests/run.py --jobs: it builds namespaces with lab addresses

HERE = os.path.dirname(os.path.abspath(__file__))


class IcmpExactTest(E2ETestCase):

    def setUp(self):
        super().setUp()
        if os.geteuid() != 0 or shutil.which("ip") is None:
            self.skipTest("needs root and iproute2 for a network namespace")
        self.ns = f"pantau-icmp-{os.getpid()}"
        subprocess.run(["ip", "netns", "add", self.ns], check=True, timeout=10)
        self.addCleanup(subprocess.run, ["ip", "netns", "del", self.ns], timeout=10)
        self.in_ns(["ip", "link", "set", "lo", "up"])
        self.in_ns(["sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1"])

    def in_ns(self, argv, **kw):
        return subprocess.run(["ip", "netns", "exec", self.ns, *argv], check=True,
                              timeout=30, **kw)

    def test_duplicate_late_and_lost_replies(self):
        ready = os.path.join(self.workdir, "responder.ready")
        self.start("responder", ["ip", "netns", "exec", self.ns, sys.executable,
                                 os.path.join(HERE, "icmp_responder.py"), ready, "0.45"])
        wait_for(lambda: os.path.exists(ready), 10, "the responder")
        cfg = self.agent_config("agent", 1, "ag-3273-0201", "32.73", {
            "lo": {"type": "icmp", "target": "127.0.0.1", "count": 5, "spacing_ms": 150,
                   "timeout_ms": 300},
        })
        out = subprocess.run(["ip", "netns", "exec", self.ns, binary("pantau-agent"), "check",
                              "--json", "--config", cfg, "--catalog", CATALOG_DIR],
                             capture_output=True, text=True, timeout=60)
        lines = [json.loads(x) for x in out.stdout.splitlines() if x.startswith("{")]
        self.assertEqual(len(lines), 1, out.stdout + out.stderr)
        r = lines[0]
        # seq 0, 1, 4 answered in time; 1 twice; 2 after its 300 ms; 3 never.
        self.assertEqual((r["sent"], r["recv"], r["loss_pct"]), (5, 3, 40), r)
        self.assertEqual(r["dup"], 1, r)
        self.assertEqual(r["late"], 1, r)
        self.assertLess(r["rtt_ms"]["max"], 300)
        # Jitter only over consecutive answered pairs: (0, 1) alone.
        self.assertGreaterEqual(r["jitter_ms"], 0)
        self.assertIn("mos", r)
