"""The passive probe's decoder and flow table against tshark on the same pcap
files (tests/fixtures/pcap/, docs/probes.md "passive"): pantau-passive-read
(tests/passive/passive_read.c) prints what the probe would count; tshark's
tcp.analysis.ack_rtt on SYN/ACKs, tcp.analysis.retransmission, resets and
dns.time must agree (handshake RTT and DNS time medians within 2 %, counts
equal)."""
import json
import os
import shutil
import statistics
import subprocess
import unittest

from harness import binary

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "pcap")
# Each fixture and the site's address in it.
CASES = {
    # Loopback (Ethernet link type): 20 connections from 127.0.0.2 (4 closed
    # with RST), 3 refused ones, 10 DNS queries to 127.0.0.3:53 (one SERVFAIL,
    # one REFUSED, one unanswered).
    "lo_tcp_dns.pcap": "127.0.0.2",
}


def tshark(path, display_filter, field):
    out = subprocess.run(["tshark", "-n", "-r", path, "-Y", display_filter, "-T", "fields",
                          "-e", field], capture_output=True, text=True, timeout=60, check=True)
    return [line for line in out.stdout.splitlines() if line.strip()]


@unittest.skipUnless(shutil.which("tshark"), "needs tshark")
class PassiveTsharkTest(unittest.TestCase):

    def read(self, name, site):
        out = subprocess.run([binary("tests/pantau-passive-read"), os.path.join(FIXTURES, name),
                              site], capture_output=True, text=True, timeout=60, check=True)
        return json.loads(out.stdout)

    def test_fixtures_against_tshark(self):
        for name, site in CASES.items():
            with self.subTest(name):
                path = os.path.join(FIXTURES, name)
                self.assertLess(os.path.getsize(path), 200 * 1024)
                got = self.read(name, site)
                self.assertEqual(got["bad"], 0)
                # SYN -> SYN/ACK: tshark's ack_rtt on the SYN/ACK (the site opens
                # every connection here).
                ack_rtt = [float(v) * 1000 for v in
                           tshark(path, "tcp.flags.syn==1 && tcp.flags.ack==1",
                                  "tcp.analysis.ack_rtt")]
                self.assertEqual(got["handshake_ms"]["n"], len(ack_rtt))
                self.assertAlmostEqual(got["handshake_ms"]["median"],
                                       statistics.median(ack_rtt),
                                       delta=0.02 * statistics.median(ack_rtt))
                retrans = tshark(path, "tcp.analysis.retransmission", "frame.number")
                self.assertEqual(got["retrans"], len(retrans))
                resets = tshark(path, "tcp.flags.reset==1", "frame.number")
                self.assertEqual(got["resets"], len(resets))
                dns_time = [float(v) * 1000 for v in tshark(path, "dns.time", "dns.time")]
                self.assertEqual(got["dns_answers"], len(dns_time))
                self.assertAlmostEqual(got["dns_ms"]["median"], statistics.median(dns_time),
                                       delta=0.02 * statistics.median(dns_time))
                # Failures: tshark has no such field; rcodes and unanswered queries.
                servfail = tshark(path, "dns.flags.response==1 && (dns.flags.rcode==2 || "
                                  "dns.flags.rcode==5)", "frame.number")
                queries = tshark(path, "dns.flags.response==0", "frame.number")
                self.assertEqual(got["dns_queries"], len(queries))
                unanswered = len(queries) - len(dns_time)
                self.assertEqual(got["dns_fail"], len(servfail) + unanswered)
                self.assertEqual(got["syn_unanswered"], 0)   # refused ones got a RST


if __name__ == "__main__":
    unittest.main()
