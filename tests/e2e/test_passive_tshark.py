"""The passive probe's decoder and flow table against tshark on the same pcap
files (tests/fixtures/pcap/, docs/probes.md "passive"): pantau-passive-read
(tests/passive/passive_read.c) prints what the probe would count; tshark's
tcp.analysis.ack_rtt on SYN/ACKs, tcp.analysis.retransmission, resets and
dns.time must agree (handshake RTT and DNS time medians within 2 %, counts
equal). Where the two define a figure differently the test says how (and
docs/probes.md, "passive", "Against tshark")."""
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
    # The lab (10 ms each way): 6 connections from the site 198.18.0.1 sending
    # 32 KiB with 4 % of its frames dropped after the capture point, and 6
    # opened from outside (core to the site's port 9090).
    "lab_retrans_inbound.pcap": "198.18.0.1",
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

    def handshakes(self, path, site):
        """tshark's handshake RTTs as the probe defines them: for connections the
        site opens, ack_rtt on the far end's SYN/ACK (SYN -> SYN/ACK); for those
        opened from outside, ack_rtt on the far end's ACK of the site's SYN/ACK
        (relative ack 1, no SYN: SYN/ACK -> ACK)."""
        out = tshark(path, f"ip.src!={site} && tcp.flags.syn==1 && tcp.flags.ack==1",
                     "tcp.analysis.ack_rtt")
        inbound = tshark(path, f"ip.src!={site} && tcp.flags.syn==0 && tcp.flags.reset==0 "
                         "&& tcp.ack==1 && tcp.analysis.ack_rtt", "tcp.analysis.ack_rtt")
        return [float(v) * 1000 for v in out + inbound]

    def test_fixtures_against_tshark(self):
        for name, site in CASES.items():
            with self.subTest(name):
                path = os.path.join(FIXTURES, name)
                self.assertLess(os.path.getsize(path), 200 * 1024)
                got = self.read(name, site)
                self.assertEqual(got["bad"], 0)
                ack_rtt = self.handshakes(path, site)
                self.assertEqual(got["handshake_ms"]["n"], len(ack_rtt))
                self.assertAlmostEqual(got["handshake_ms"]["median"],
                                       statistics.median(ack_rtt),
                                       delta=0.02 * statistics.median(ack_rtt))
                # A segment resent before one RTT passed (Linux's RACK and tail loss
                # probes) is tshark's out_of_order, not its retransmission: at the
                # capture point it repeats sequence already sent, and the probe
                # counts it. Keep-alives (one byte below the next sequence) neither.
                retrans = tshark(path, "tcp.analysis.retransmission || "
                                 "tcp.analysis.out_of_order", "frame.number")
                self.assertEqual(got["retrans"], len(retrans))
                resets = tshark(path, "tcp.flags.reset==1", "frame.number")
                self.assertEqual(got["resets"], len(resets))
                self.assertEqual(got["syn_unanswered"], 0)   # refused ones got a RST
                self.check_dns(path, got)

    def check_dns(self, path, got):
        dns_time = [float(v) * 1000 for v in tshark(path, "dns.time", "dns.time")]
        self.assertEqual(got["dns_answers"], len(dns_time))
        queries = tshark(path, "dns.flags.response==0", "frame.number")
        self.assertEqual(got["dns_queries"], len(queries))
        if not queries:
            return
        self.assertAlmostEqual(got["dns_ms"]["median"], statistics.median(dns_time),
                               delta=0.02 * statistics.median(dns_time))
        # Failures: tshark has no such field; rcodes and unanswered queries.
        servfail = tshark(path, "dns.flags.response==1 && (dns.flags.rcode==2 || "
                          "dns.flags.rcode==5)", "frame.number")
        self.assertEqual(got["dns_fail"], len(servfail) + len(queries) - len(dns_time))


if __name__ == "__main__":
    unittest.main()
