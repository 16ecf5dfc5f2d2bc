"""The dns probe end to end: a real agent looks names up at a real dnsmasq on
loopback, publishes through mosquitto, and the collector stores the results
and serves their series; `pantau-agent check` tries the probe and says what
to do, in both languages."""
import json
import os
import re
import socket
import subprocess

from harness import CATALOG_DIR, E2ETestCase, binary, free_port, http_json, wait_for


def run(argv):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class DnsProbeTest(E2ETestCase):

    def setUp(self):
        super().setUp()
        self.dns_port = free_udp_port()
        self.start("dnsmasq", ["dnsmasq", "--no-daemon", f"--port={self.dns_port}",
                               "--listen-address=127.0.0.1", "--bind-interfaces",
                               "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
                               "--pid-file=", "--address=/ok.pantau.test/198.18.0.7",
                               "--address=/nx.pantau.test/"])
        wait_for(self.dnsmasq_answers, 10, "dnsmasq")

    def dnsmasq_answers(self):
        out = run(["dig", "+short", "+tries=1", "+time=1", "-p", str(self.dns_port),
                   "@127.0.0.1", "ok.pantau.test"])
        return out.stdout.strip() == "198.18.0.7"

    def probes(self, **more):
        resolvers = f"127.0.0.1:{self.dns_port}"
        probes = {
            "name": {"type": "dns", "target": "ok.pantau.test", "resolvers": resolvers,
                     "count": 3, "timeout_ms": 1000},
            "gone": {"type": "dns", "target": "nx.pantau.test", "record": "AAAA",
                     "resolvers": resolvers, "count": 1, "timeout_ms": 1000},
        }
        probes.update(more)
        return probes

    def test_agent_publishes_and_the_collector_serves_the_series(self):
        self.start_stack()
        agent = "ag-3273-0301"
        cfg = self.agent_config(agent, self.broker.port, agent, "32.73", self.probes())
        self.start(agent, [binary("pantau-agent"), "--config", cfg])

        def latest():
            status, body = http_json(f"{self.api}/api/v1/sites/{agent}")
            if status != 200:
                return None
            got = {r["target"]: r for r in body["latest"] if r["probe"] == "dns"}
            return (got, body) if len(got) == 2 else None
        got, body = wait_for(latest, 30, "the agent's dns results")
        ok = got["ok.pantau.test"]
        self.assertTrue(ok["ok"])
        self.assertEqual((ok["sent"], ok["recv"], ok["loss_pct"]), (3, 3, 0))
        self.assertEqual((ok["rcode"], ok["answers"], ok["record"]), ("NOERROR", 1, "A"))
        self.assertEqual(ok["resolver"], f"127.0.0.1:{self.dns_port}")
        t = ok["time_ms"]
        self.assertTrue(0 <= t["min"] <= t["p50"] <= t["p95"] <= t["max"] < 1000, t)
        nx = got["nx.pantau.test"]
        self.assertFalse(nx["ok"])
        self.assertEqual(nx["rcode"], "NXDOMAIN")
        self.assertEqual(nx["error"], "NXDOMAIN: nx.pantau.test does not exist")
        series = {s["target"]: s for s in body["series"] if s["probe"] == "dns"}
        point = series["ok.pantau.test"]["points"][-1]
        self.assertEqual(point["time_p50_ms"], t["p50"])
        self.assertEqual(point["time_p95_ms"], t["p95"])
        self.assertEqual(point["loss_pct"], 0)
        self.assertIs(point["ok"], True)

    def test_check_tries_it_and_says_what_to_do(self):
        broker = self.start_broker()
        probes = self.probes(silent={"type": "dns", "target": "ok.pantau.test",
                                     "resolvers": f"127.0.0.1:{free_udp_port()}",
                                     "count": 1, "tries": 1, "timeout_ms": 300})
        cfg = self.agent_config("agent", broker.port, "ag-3273-0302", "32.73", probes)
        out = run([binary("pantau-agent"), "check", "--config", cfg, "--catalog",
                   CATALOG_DIR, "--lang", "en"])
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        lines = out.stdout.splitlines()
        self.assertTrue(any(re.match(r"\[ OK \] probe name \(dns A ok\.pantau\.test\): 3/3 "
                                     r"answers from 127\.0\.0\.1:\d+, median [\d.]+ ms, 1 "
                                     r"record\(s\)$", l) for l in lines), out.stdout)
        text = out.stdout
        self.assertIn("probe gone (dns nx.pantau.test): 127.0.0.1:%d says the name does not "
                      "exist (NXDOMAIN)\n  -> check the spelling" % self.dns_port, text)
        self.assertRegex(text, r"probe silent \(dns ok\.pantau\.test\): .*\n  -> check the "
                               r"link and that UDP port 53")
        idn = run([binary("pantau-agent"), "check", "--config", cfg, "--catalog",
                   CATALOG_DIR, "--lang", "id"])
        self.assertIn("menyatakan nama ini tidak ada (NXDOMAIN)", idn.stdout)
        self.assertIn("jawaban dari 127.0.0.1:%d" % self.dns_port, idn.stdout)

    def test_bad_keys_are_errors_with_file_line_and_key(self):
        probes = {"d": {"type": "dns", "target": "ok..pantau.test",
                        "resolvers": "resolver.example:53", "edns": 100,
                        "record": "AXFR"}}
        cfg = self.agent_config("agent", free_port(), "ag-3273-0303", "32.73", probes)
        out = run([binary("pantau-agent"), "--check", "--config", cfg])
        self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
        err = out.stderr
        self.assertRegex(err, r"agent\.ini:\d+: \[probe\.d\] resolvers: .*not a resolver "
                              r"address")
        self.assertRegex(err, r"agent\.ini:\d+: \[probe\.d\] edns: .*512-4096")
        self.assertRegex(err, r"agent\.ini:\d+: \[probe\.d\] record: ")
        self.assertRegex(err, r"agent\.ini:\d+: \[probe\.d\] target: .*not a DNS name")
