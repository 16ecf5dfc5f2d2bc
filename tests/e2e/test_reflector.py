"""pantau-reflector on loopback: STAMP reflection (RFC 8762), its rate limit, and
the HTTP throughput endpoint with its bounds."""
import json
import os
import socket
import struct
import subprocess
import time
import urllib.error
import urllib.request
import zlib

from harness import E2ETestCase, binary, free_port, port_open, wait_for, write_ini

NTP_UNIX = 2208988800
HERE = os.path.dirname(os.path.abspath(__file__))


def sender_packet(seq, size=44, ts=None, errest=0x0001):
    ts = ts if ts is not None else int((time.time() + NTP_UNIX) * 2**32)
    return struct.pack("!IQH", seq, ts, errest).ljust(size, b"\0")


def parse_reflected(data):
    keys = ("seq", "ts", "errest", "mbz", "rx_ts", "sseq", "sts", "serr", "mbz2", "ttl")
    return dict(zip(keys, struct.unpack("!IQHHQIQHHB", data[:41])))


class ReflectorTest(E2ETestCase):

    def start_reflector(self, **stamp):
        self.udp, self.http = free_port(), free_port()
        keys = {"listen": "127.0.0.1", "port": self.udp}
        keys.update(stamp)
        cfg = write_ini(os.path.join(self.workdir, "reflector.ini"), {
            "reflector": {"log_level": "debug"},
            "stamp": keys,
            "http": {"listen": "127.0.0.1", "port": self.http, "max_bytes": 4000000,
                     "per_client": 2},
        })
        p = self.start("reflector", [binary("pantau-reflector"), "--config", cfg])
        wait_for(lambda: port_open(self.http) or not p.alive(), 10, "the reflector")
        self.assertTrue(p.alive(), p.output())
        return p

    def udp_socket(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2)
        self.addCleanup(s.close)
        s.connect(("127.0.0.1", self.udp))
        return s

    def test_stamp_reflects_same_size_with_timestamps(self):
        self.start_reflector()
        s = self.udp_socket()
        for seq, size in ((1, 44), (2, 200), (3, 1472)):
            before = time.time()
            sent = sender_packet(seq, size, errest=0x8123)
            s.send(sent)
            data = s.recv(4096)
            after = time.time()
            self.assertEqual(len(data), size)      # never larger: no amplification
            r = parse_reflected(data)
            self.assertEqual(r["seq"], seq)        # stateless reflector
            self.assertEqual(r["sseq"], seq)
            self.assertEqual(r["sts"], struct.unpack("!Q", sent[4:12])[0])
            self.assertEqual(r["serr"], 0x8123)
            self.assertEqual(r["ttl"], 64)
            self.assertEqual(r["mbz"] | r["mbz2"], 0)
            self.assertTrue(r["errest"] & 0xff)    # multiplier never 0
            t2, t3 = r["rx_ts"] / 2**32 - NTP_UNIX, r["ts"] / 2**32 - NTP_UNIX
            self.assertLessEqual(t2, t3)
            self.assertTrue(before - 0.001 <= t2 <= after + 0.001, (before, t2, after))
            self.assertEqual(data[44:], b"\0" * (size - 44))

    def test_stamp_drops_short_packets_and_sources_over_their_rate(self):
        p = self.start_reflector(rate_pps=5, burst=10)
        s = self.udp_socket()
        s.send(b"x" * 43)
        for seq in range(40):
            s.send(sender_packet(seq))
        got = set()
        s.settimeout(0.5)
        try:
            while True:
                got.add(parse_reflected(s.recv(4096))["sseq"])
        except socket.timeout:
            pass
        # The burst of 10 plus what 5/s refills while 40 packets go out.
        self.assertGreaterEqual(len(got), 10)
        self.assertLess(len(got), 20)
        p.stop()
        self.assertIn("over the rate limit, 1 malformed", p.output())

    def test_download_is_incompressible_and_bounded(self):
        self.start_reflector()
        url = f"http://127.0.0.1:{self.http}"
        with urllib.request.urlopen(f"{url}/download?bytes=3000000", timeout=10) as r:
            body = r.read()
            self.assertEqual(r.headers["Cache-Control"], "no-store")
        self.assertEqual(len(body), 3000000)
        self.assertGreater(len(zlib.compress(body[:1 << 20], 6)), (1 << 20) * 0.99)
        for query, code in (("bytes=4000001", 413), ("bytes=-1", 400), ("", 400)):
            with self.assertRaises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(f"{url}/download?{query}", timeout=10)
            self.assertEqual(e.exception.code, code, query)
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(f"{url}/other", timeout=10)
        self.assertEqual(e.exception.code, 404)

    def test_upload_counts_bytes_and_refuses_too_large(self):
        self.start_reflector()
        url = f"http://127.0.0.1:{self.http}/upload"
        req = urllib.request.Request(url, data=os.urandom(2000000), method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(json.loads(r.read())["bytes"], 2000000)
        # Refused on the declared length, before the body is sent.
        c = socket.create_connection(("127.0.0.1", self.http), timeout=5)
        self.addCleanup(c.close)
        c.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4000001\r\n"
                  b"Expect: 100-continue\r\n\r\n")
        self.assertTrue(c.recv(200).startswith(b"HTTP/1.1 413"))

    def test_connections_per_client_are_bounded(self):
        self.start_reflector()
        held = []
        for _ in range(2):
            c = socket.create_connection(("127.0.0.1", self.http), timeout=5)
            self.addCleanup(c.close)
            c.sendall(b"GET /download?bytes=1 HTTP/1.1\r\nHost: x\r\n")  # unfinished
            held.append(c)
        extra = socket.create_connection(("127.0.0.1", self.http), timeout=5)
        self.addCleanup(extra.close)
        extra.sendall(b"GET /download?bytes=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            self.assertEqual(extra.recv(100), b"")   # closed without an answer
        except ConnectionResetError:
            pass
        held[0].sendall(b"\r\n")
        self.assertTrue(held[0].recv(100).startswith(b"HTTP/1.1 200"))

    def test_agent_stamp_over_ipv6_to_a_dual_stack_reflector(self):
        self.start_reflector(listen="::")
        cfg = write_ini(os.path.join(self.workdir, "agent.ini"), {
            "agent": {"id": "ag-3273-0301", "region": "32.73", "site": "v6", "link": "fiber",
                      "interval": 10, "splay": 0,
                      "state_dir": os.path.join(self.workdir, "state")},
            "broker": {"host": "127.0.0.1", "port": 1},
            "probe.v6": {"type": "stamp", "target": f"[::1]:{self.udp}", "count": 4,
                         "spacing_ms": 5},
            "probe.v4": {"type": "stamp", "target": f"127.0.0.1:{self.udp}", "count": 4,
                         "spacing_ms": 5},
        })
        out = subprocess.run([binary("pantau-agent"), "check", "--json", "--config", cfg],
                             capture_output=True, text=True, timeout=60)
        results = [json.loads(x) for x in out.stdout.splitlines() if x.startswith("{")]
        self.assertEqual([(r["addr"], r["recv"], r["ttl"]) for r in results],
                         [("::1", 4, 64), ("127.0.0.1", 4, 64)], out.stdout)

    def test_bad_configuration_names_file_line_and_key(self):
        cfg = os.path.join(self.workdir, "bad.ini")
        with open(cfg, "w") as f:
            f.write("[stamp]\nport = 99999\nrate = 5\n[http]\nper_client = 100\n"
                    "max_connections = 10\n")
        out = subprocess.run([binary("pantau-reflector"), "--check", "--config", cfg],
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 2)
        self.assertIn(f"{cfg}:2: [stamp] port: expected a whole number from 1 to 65535",
                      out.stderr)
        self.assertIn(f"{cfg}:3: [stamp] rate: unknown key", out.stderr)
        self.assertIn("per_client (100) is more than max_connections (10)", out.stderr)
        ok = subprocess.run([binary("pantau-reflector"), "--check", "--config",
                             os.path.join(os.path.dirname(os.path.dirname(HERE)), "deploy",
                                          "reflector.ini.example")],
                            capture_output=True, text=True, timeout=10)
        self.assertEqual((ok.returncode, ok.stdout), (0, "configuration OK\n"), ok.stderr)

    def test_port_in_use_is_a_clear_error(self):
        busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(busy.close)
        busy.bind(("127.0.0.1", 0))
        cfg = write_ini(os.path.join(self.workdir, "busy.ini"), {
            "stamp": {"listen": "127.0.0.1", "port": busy.getsockname()[1]},
            "http": {"port": 0},
        })
        out = subprocess.run([binary("pantau-reflector"), "--config", cfg],
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 1)
        self.assertIn("cannot receive STAMP on 127.0.0.1 UDP port", out.stderr)
        self.assertIn("Address already in use", out.stderr)
