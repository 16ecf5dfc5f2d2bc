"""The passive probe end to end: a real agent captures on one end of a veth
pair whose other end is in a namespace (prefix `passive`) with a web server,
while curl opens connections through it (and one to a closed port, which is
reset); its results per destination group go through mosquitto into the
collector's store and series. `pantau-agent check` says what to do about a
missing interface and an interface without traffic, in both languages."""
import os
import re
import subprocess
import threading
import urllib.request

from harness import CATALOG_DIR, E2ETestCase, binary, free_port, http_json, wait_for

RUN_ALONE = True   # tests/run.py --jobs: it builds a namespace and captures on the host's side of its veth

SITE_ADDR, FAR_ADDR = "198.19.77.1", "198.19.77.2"


def sh(*argv, check=True):
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=60, check=check)


class PassiveProbeTest(E2ETestCase):

    def setUp(self):
        super().setUp()
        if os.geteuid() != 0:
            self.skipTest("needs root: network namespaces and capture")
        tag = str(os.getpid() % 100000)
        self.ns, self.ifname, peer = f"passive-e2e{tag}", f"pas{tag}a", f"pas{tag}b"
        sh("ip", "netns", "add", self.ns)
        self.addCleanup(sh, "ip", "netns", "del", self.ns, check=False)
        sh("ip", "link", "add", self.ifname, "type", "veth", "peer", "name", peer, "netns",
           self.ns)
        self.addCleanup(sh, "ip", "link", "del", self.ifname, check=False)
        sh("ip", "addr", "add", f"{SITE_ADDR}/30", "dev", self.ifname)
        sh("ip", "link", "set", self.ifname, "up")
        for cmd in (["ip", "addr", "add", f"{FAR_ADDR}/30", "dev", peer],
                    ["ip", "link", "set", peer, "up"], ["ip", "link", "set", "lo", "up"]):
            sh("ip", "netns", "exec", self.ns, *cmd)

    def web(self):
        code = ("import signal,sys,http.server as h\n"
                "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
                "class Q(h.SimpleHTTPRequestHandler):\n"
                "    def log_message(self, *a): pass\n"
                f"h.ThreadingHTTPServer(('{FAR_ADDR}', 8080), Q).serve_forever()\n")
        self.start("web", ["ip", "netns", "exec", self.ns, "python3", "-c", code])
        wait_for(lambda: self.curl(8080) == "200", 10, "the web server in the namespace")

    def curl(self, port):
        out = sh("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "2",
                 f"http://{FAR_ADDR}:{port}/", check=False)
        return out.stdout

    def traffic(self, stop):
        while not stop.wait(0.2):
            self.curl(8080)
            self.curl(8081)  # nothing listens: reset

    def probes(self, **more):
        probes = {"site": {"type": "passive", "target": self.ifname,
                           "groups": f"web {FAR_ADDR}/32:8080", "window": 3}}
        probes.update(more)
        return probes

    def test_agent_captures_and_the_collector_serves_the_series(self):
        self.web()
        self.start_stack()
        agent = "ag-3273-0311"
        cfg = self.agent_config(agent, self.broker.port, agent, "32.73", self.probes())
        self.start(agent, [binary("pantau-agent"), "--config", cfg])
        stop = threading.Event()
        t = threading.Thread(target=self.traffic, args=(stop,))
        t.start()
        self.addCleanup(t.join)
        self.addCleanup(stop.set)

        def latest():
            status, body = http_json(f"{self.api}/api/v1/sites/{agent}")
            if status != 200:
                return None
            got = {r["target"]: r for r in body["latest"] if r["probe"] == "passive"}
            web = got.get("web")
            ok = web is not None and web.get("handshakes", 0) >= 3 and "other" in got
            return (got, body) if ok and got["other"].get("resets", 0) >= 1 else None
        got, body = wait_for(latest, 40, "the agent's passive results")
        web, other = got["web"], got["other"]
        self.assertTrue(web["ok"])
        self.assertEqual(web["interface"], self.ifname)
        self.assertGreaterEqual(web["flows"], 3)
        self.assertGreater(web["bytes"], 0)
        self.assertEqual(web["syn_unanswered"], 0)
        self.assertEqual(web["resets"], 0)
        h = web["handshake_ms"]
        self.assertTrue(0 <= h["min"] <= h["p50"] <= h["p95"] <= h["max"] < 100, h)
        self.assertIn("ts_rtt_ms", web)
        self.assertGreaterEqual(other["resets"], 1)
        self.assertEqual(other.get("handshakes", 0), 0)
        for r in (web, other):  # no address of a flow leaves the box
            self.assertNotIn(FAR_ADDR, str(r))
            self.assertNotIn(SITE_ADDR, str(r))
        site = sh(binary("pantau"), "site", agent, "--url", self.api, check=False)
        self.assertRegex(site.stdout, r"passive web: handshake p50 [\d.]+ ms, retransmitted "
                                      r"[\d.]+ %, \d+ flows", site.stdout)
        self.assertRegex(site.stdout, r"passive other: .*\d+ resets?, \d+ flows")
        series = {s["target"]: s for s in body["series"] if s["probe"] == "passive"}
        point = series["web"]["points"][-1]
        self.assertIn("handshake_p50_ms", point)
        self.assertIn("retrans_pct", point)
        # the status engine's window keeps the figures; /metrics shows them
        w = body["window"]
        self.assertIsInstance(w["handshake_p50_ms"], float, w)
        self.assertLess(w["handshake_p50_ms"], 100, w)
        self.assertGreaterEqual(w["resets"], 1, w)
        self.assertEqual(w["syn_unanswered"], 0, w)
        self.assertIsNone(w["dns_fail_pct"], w)   # no DNS in this traffic
        with urllib.request.urlopen(f"{self.api}/metrics", timeout=5) as r:
            text = r.read().decode()
        labels = r'\{agent="' + agent + r'",[^}]*\}'
        hs = re.search(r"(?m)^pantau_site_handshake_rtt_seconds" + labels + r" (\S+)$", text)
        self.assertIsNotNone(hs, text)
        self.assertAlmostEqual(float(hs.group(1)), w["handshake_p50_ms"] / 1000, places=6)
        self.assertRegex(text, r"(?m)^pantau_site_tcp_resets" + labels + r" [1-9]")
        self.assertNotIn("pantau_site_dns_fail_ratio{", text)

    def test_check_says_what_to_do(self):
        broker = self.start_broker()
        probes = self.probes(gone={"type": "passive", "target": "nosuch0", "window": 1})
        cfg = self.agent_config("agent", broker.port, "ag-3273-0312", "32.73", probes)
        out = sh(binary("pantau-agent"), "check", "--config", cfg, "--catalog", CATALOG_DIR,
                 "--lang", "en", check=False)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn(f"probe site (passive {self.ifname}): no TCP or DNS packets in 3 s but "
                      "the agent's own: this interface sees no traffic of the site\n"
                      "  -> set target to the site's uplink", out.stdout)
        self.assertIn("probe gone (passive nosuch0): no interface nosuch0 on this box (ip "
                      "link lists them)\n  -> set target to an interface of this box",
                      out.stdout)
        idn = sh(binary("pantau-agent"), "check", "--config", cfg, "--catalog", CATALOG_DIR,
                 "--lang", "id", check=False)
        self.assertIn("tidak melihat lalu lintas lokasi", idn.stdout)
        self.assertIn("isi target dengan antarmuka perangkat ini", idn.stdout)

    def test_bad_keys_are_errors_with_file_line_and_key(self):
        probes = {"p": {"type": "passive", "target": "eth0/1", "groups": "tally",
                        "local": "10.0.0.0/8:80", "window": 100}}
        cfg = self.agent_config("agent", free_port(), "ag-3273-0313", "32.73", probes)
        out = sh(binary("pantau-agent"), "--check", "--config", cfg, check=False)
        self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
        err = out.stderr
        self.assertRegex(err, r"agent\.ini:\d+: \[probe\.p\] groups: .*no destinations")
        self.assertRegex(err, r"agent\.ini:\d+: \[probe\.p\] local: .*not a prefix")
        self.assertRegex(err, r"agent\.ini:\d+: \[probe\.p\] target: .*not an interface name")
        self.assertRegex(err, r"\[probe\.p\]: takes up to 100\.5 s, longer than the 5 s "
                              r"interval")
