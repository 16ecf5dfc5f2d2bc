"""The path probe's labs (tests/lab/pathlab.py), proved with `traceroute -n` as
the reference: the chain's hops, a silent hop (a router whose ICMP is
blackholed) kept as "*", a rate-limited hop, and shared_lab()'s sites behind
their routers with a route change. Needs root; skipped otherwise."""
import os
import json
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lab"))
import pathlab  # noqa: E402
from harness import BUILD, wait_for  # noqa: E402

RUN_ALONE = True   # tests/run.py --jobs: its namespaces hold lab addresses and the host's management veth

NEEDS = os.geteuid() == 0 and shutil.which("traceroute") and shutil.which("ip")


@unittest.skipUnless(NEEDS, "needs root, ip and traceroute")
class PathLabTest(unittest.TestCase):
    def test_chain_hops_silent_and_rate_limited(self):
        with pathlab.chain_lab() as lab:
            want = ["198.18.0.254", "198.18.2.2", "198.18.3.2", pathlab.TARGET]
            self.assertEqual(lab.traceroute("site"), want)
            self.assertEqual(lab.traceroute("site", icmp=True), want)
            lab.silent("r2")
            self.assertEqual(lab.traceroute("site"), [want[0], "*", want[2], want[3]])
            lab.silent("r2", False)
            lab.rate_limit("r2")
            limited = False
            for _ in range(4):   # the first runs use up the kernel's burst of 6
                out = lab.run("site", "traceroute", "-n", "-q", "3", "-N", "16", "-w", "1",
                              pathlab.TARGET, check=False).stdout
                rows = {ln.split()[0]: ln for ln in out.splitlines()[1:] if ln.split()}
                if "*" in rows["2"]:
                    self.assertNotIn("*", rows["3"], "the hop behind answers every probe")
                    limited = True
            self.assertTrue(limited, "r2 drops probes while r3 answers: rate limiting")
        self.assertEqual([n for n in os.popen("ip netns list").read().split()
                          if n.startswith(lab.prefix)], [])

    def check(self, lab, role, *args, keys=""):
        """pantau-agent check's output with one path probe (and keys), from role."""
        work = tempfile.mkdtemp(prefix="pantau-pathlab-")
        ini = os.path.join(work, "agent.ini")
        with open(ini, "w") as f:
            f.write("[agent]\nid = ag-1\nregion = 32.73\nsite = s\nlink = fiber\n"
                    "state_dir = %s\n[broker]\nhost = 127.0.0.1\nport = 1\n"
                    "[probe.up]\ntype = path\ntarget = %s\n%s" % (work, pathlab.TARGET, keys))
        out = lab.run(role, os.path.join(BUILD, "pantau-agent"), "check", "--config", ini,
                      *args, check=False).stdout
        shutil.rmtree(work, ignore_errors=True)
        return out

    def probe(self, lab, role, keys=""):
        """The agent's path result (pantau-agent check --json) from role."""
        out = self.check(lab, role, "--json", keys=keys)
        for line in out.splitlines():
            if line.startswith("{") and '"probe":"path"' in line:
                return json.loads(line)
        self.fail("no path result in:\n" + out)

    def test_probe_hops_equal_traceroute(self):
        with pathlab.chain_lab() as lab:
            r = self.probe(lab, "site")
            self.assertEqual([h.get("addr", "*") for h in r["hops"]], lab.traceroute("site"))
            self.assertTrue(r["reached"])
            self.assertEqual([h["recv"] for h in r["hops"]], [3, 3, 3, 3])
            first = r["path_hash"]
            lab.silent("r2")
            r = self.probe(lab, "site")
            self.assertEqual([h.get("addr", "*") for h in r["hops"]],
                             ["198.18.0.254", "*", "198.18.3.2", pathlab.TARGET])
            self.assertNotIn("rtt_p50_ms", r["hops"][1])
            self.assertFalse(r["hops"][1]["rate_limited"])
            self.assertNotEqual(r["path_hash"], first)
            lab.silent("r2", False)
            lab.rate_limit("r2")
            limited = [self.probe(lab, "site")["hops"][1]["rate_limited"] for _ in range(3)]
            self.assertIn(True, limited, "r2 answers some probes while r3 answers all")

    def test_icmp_mode_equals_traceroute_icmp(self):
        """mode = icmp on a raw socket (ping_group_range "1 0": none) and on a
        ping socket; one flow: every echo request with the same identifier
        and checksum on the wire (dumpcap, read back by tshark)."""
        with pathlab.chain_lab() as lab:
            want = lab.traceroute("site", icmp=True)
            self.assertEqual(want, ["198.18.0.254", "198.18.2.2", "198.18.3.2", pathlab.TARGET])
            for groups in ("1 0", "0 2147483647"):
                lab.run("site", "sysctl", "-qw", "net.ipv4.ping_group_range=" + groups)
                with self.subTest(ping_group_range=groups):
                    pcap = os.path.join(tempfile.mkdtemp(prefix="pantau-pathlab-"), "p.pcap")
                    cap = subprocess.Popen(["ip", "netns", "exec", lab.ns("site"), "dumpcap",
                                            "-q", "-i", "v0a", "-f", "icmp[0] == 8", "-w", pcap],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    try:
                        wait_for(lambda: os.path.exists(pcap), 10, "dumpcap to start")
                        r = self.probe(lab, "site", keys="mode = icmp\n")
                    finally:
                        cap.terminate()
                        cap.wait(10)
                    self.assertEqual(r["proto"], "icmp")
                    self.assertTrue(r["reached"])
                    self.assertEqual([h.get("addr", "*") for h in r["hops"]], want)
                    self.assertEqual([h["recv"] for h in r["hops"]], [3, 3, 3, 3])
                    out = subprocess.run(["tshark", "-r", pcap, "-Y", "icmp.type == 8", "-T",
                                          "fields", "-e", "icmp.ident", "-e", "icmp.checksum"],
                                         capture_output=True, text=True, timeout=60).stdout
                    rows = out.split("\n")[:-1]
                    self.assertGreaterEqual(len(rows), 12, out)
                    self.assertEqual(len(set(rows)), 1, "one identifier and checksum: " + out)
                    shutil.rmtree(os.path.dirname(pcap), ignore_errors=True)
            lab.silent("r2")
            r = self.probe(lab, "site", keys="mode = icmp\n")
            self.assertEqual([h.get("addr", "*") for h in r["hops"]],
                             [want[0], "*", want[2], want[3]])
            self.assertEqual(lab.traceroute("site", icmp=True), [want[0], "*", want[2], want[3]])

    def test_check_line_en_and_id(self):
        with pathlab.chain_lab() as lab:
            lab.silent("r2")
            hops = "198.18.0.254 * 198.18.3.2 " + pathlab.TARGET
            self.assertIn("[ OK ] probe up (path %s): 4 hop(s), target reached; %s"
                          % (pathlab.TARGET, hops), self.check(lab, "site", "--lang", "en"))
            self.assertIn("[ OK ] probe up (path %s): 4 hop, target tercapai; %s"
                          % (pathlab.TARGET, hops), self.check(lab, "site", "--lang", "id"))

    def test_shared_lab_and_route_change(self):
        with pathlab.shared_lab() as lab:
            for s in ("s1", "s2", "s3"):
                self.assertEqual(lab.traceroute(s), [pathlab.SHARED_HOP, "198.18.11.2",
                                                     pathlab.TARGET])
            self.assertEqual(lab.traceroute("s4"), [pathlab.OWN_HOP, "198.18.13.2",
                                                    pathlab.TARGET])
            before = self.probe(lab, "s1")
            self.assertEqual(self.probe(lab, "s2")["path_hash"], before["path_hash"])
            lab.route_change()
            after = self.probe(lab, "s1")
            self.assertNotEqual(after["path_hash"], before["path_hash"], "a new path")
            self.assertEqual([h.get("addr") for h in after["hops"]],
                             [pathlab.SHARED_HOP, "198.18.14.2", "198.18.15.2", pathlab.TARGET])
            self.assertEqual(lab.traceroute("s1"), [pathlab.SHARED_HOP, "198.18.14.2",
                                                    "198.18.15.2", pathlab.TARGET])
            self.assertEqual(lab.traceroute("s4")[0], pathlab.OWN_HOP)


if __name__ == "__main__":
    unittest.main()
