"""The measurement probes end to end: the real agent measures against the real
pantau-reflector on loopback, publishes through mosquitto, and the collector
stores the results (unknown kinds whole, as JSON) and serves them."""
import json
import os
import socket
import sqlite3
import struct
import http.server
import ssl
import subprocess
import threading
import time

from harness import (CATALOG_DIR, E2ETestCase, binary, free_port, http_json, port_open,
                     wait_for, write_ini)
import test_tls


class MeasureTest(E2ETestCase):

    def setUp(self):
        super().setUp()
        self.start_stack()
        self.stamp_port, self.http_port = free_port(), free_port()
        rcfg = write_ini(os.path.join(self.workdir, "reflector.ini"), {
            "stamp": {"listen": "127.0.0.1", "port": self.stamp_port},
            "http": {"listen": "127.0.0.1", "port": self.http_port},
        })
        self.reflector = self.start("reflector", [binary("pantau-reflector"), "--config", rcfg])
        wait_for(lambda: port_open(self.http_port), 10, "the reflector")

    def run_agent(self, agent_id, probes, **overrides):
        cfg = self.agent_config(agent_id, self.broker.port, agent_id, "32.73", probes,
                                **overrides)
        self.start(agent_id, [binary("pantau-agent"), "--config", cfg])
        return cfg

    def latest(self, agent_id, kinds):
        """The agent's latest stored results once they hold every kind."""
        def got():
            status, body = http_json(f"{self.api}/api/v1/sites/{agent_id}")
            if status != 200:
                return None
            by_probe = {r["probe"]: r for r in body["latest"]}
            return by_probe if set(kinds) <= set(by_probe) else None
        return wait_for(got, 30, f"{agent_id}'s {', '.join(kinds)} results")

    def stored_extra(self, probe):
        db = sqlite3.connect(os.path.join(self.workdir, "pantau.db"))
        try:
            row = db.execute("SELECT extra FROM results WHERE probe = ? ORDER BY ts_ms DESC "
                             "LIMIT 1", (probe,)).fetchone()
        finally:
            db.close()
        return json.loads(row[0]) if row and row[0] else None

    def test_stamp_through_the_wire_into_the_store(self):
        self.run_agent("ag-3273-0101", {
            "refl": {"type": "stamp", "target": f"127.0.0.1:{self.stamp_port}",
                     "count": 20, "spacing_ms": 5, "size": 120, "dscp": 46},
            "closed": {"type": "stamp", "target": f"127.0.0.1:{free_port()}",
                       "count": 3, "spacing_ms": 5, "timeout_ms": 300},
        })
        latest = self.latest("ag-3273-0101", ["stamp"])
        _, body = http_json(f"{self.api}/api/v1/sites/ag-3273-0101")
        results = {r["target"]: r for r in body["latest"] if r["probe"] == "stamp"}
        ok = results[f"127.0.0.1:{self.stamp_port}"]
        self.assertTrue(ok["ok"])
        self.assertEqual((ok["sent"], ok["recv"], ok["loss_pct"]), (20, 20, 0))
        self.assertEqual(ok["addr"], "127.0.0.1")
        self.assertEqual(ok["port"], self.stamp_port)
        rtt = ok["rtt_ms"]
        self.assertTrue(0 <= rtt["min"] <= rtt["p50"] <= rtt["p95"] <= rtt["max"] < 50, rtt)
        self.assertGreaterEqual(ok["jitter_ms"], 0)
        self.assertGreaterEqual(ok["pdv_ms"], 0)
        self.assertEqual(ok["ttl"], 64)
        self.assertGreater(ok["mos"], 4.0)
        self.assertIn(ok["synced"], (True, False))
        self.assertEqual("owd_fwd_ms" in ok, ok["synced"])
        closed = results[next(t for t in results if t != f"127.0.0.1:{self.stamp_port}")]
        self.assertFalse(closed["ok"])
        self.assertEqual((closed["sent"], closed["recv"], closed["loss_pct"]), (3, 0, 100))
        self.assertIn("port unreachable", closed["error"])
        self.assertEqual(closed["mos"], 1)
        # Stored whole in results.extra, as the agent sent it.
        stored = wait_for(lambda: self.stored_extra("stamp"), 10, "the stored stamp row")
        self.assertEqual(stored["probe"], "stamp")
        self.assertIn("rtt_ms" if stored["ok"] else "error", stored)
        self.assertIsNotNone(latest)

    def test_agent_drops_root_after_opening_its_icmp_socket(self):
        if os.geteuid() != 0:
            self.skipTest("needs root: the agent only drops privileges it has")
        agent_id = "ag-3273-0102"
        cfg = self.agent_config(agent_id, self.broker.port, agent_id, "32.73", {
            "lo": {"type": "icmp", "target": "127.0.0.1", "count": 5, "spacing_ms": 10},
            "lo6": {"type": "icmp", "target": "::1", "count": 5, "spacing_ms": 10},
        })
        p = self.start(agent_id, [binary("pantau-agent"), "--config", cfg])
        latest = wait_for(lambda: self.icmp_results(agent_id), 30, "icmp results")
        with open(f"/proc/{p.pid}/status") as f:
            uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
        import pwd
        expected = None
        for name in ("pantau", "nobody"):
            try:
                expected = pwd.getpwnam(name).pw_uid
                break
            except KeyError:
                continue
        self.assertEqual(uids, [str(expected)] * 4)   # real, effective, saved, fs
        # CAP_NET_RAW (bit 13) and only that is kept, permitted and effective;
        # nothing inheritable or ambient, so children start without it.
        with open(f"/proc/{p.pid}/status") as f:
            caps = {k: int(v, 16) for k, v in (line.split(":") for line in f)
                    if k in ("CapInh", "CapPrm", "CapEff", "CapAmb")}
        self.assertEqual(caps, {"CapInh": 0, "CapPrm": 1 << 13, "CapEff": 1 << 13,
                                "CapAmb": 0})
        self.assertIn("with CAP_NET_RAW only", p.output())
        self.assertIn("running as user", p.output())
        # The raw sockets opened as root still measure, IPv4 and IPv6.
        for target in ("127.0.0.1", "::1"):
            r = latest[target]
            self.assertEqual((r["sent"], r["recv"]), (5, 5), r)
            self.assertGreater(r["mos"], 4.3)   # loopback: the best a call can be
        state = os.path.join(self.workdir, f"state-{agent_id}")
        self.assertEqual(os.stat(state).st_uid, expected)

    def icmp_results(self, agent_id):
        status, body = http_json(f"{self.api}/api/v1/sites/{agent_id}")
        if status != 200:
            return None
        got = {r["target"]: r for r in body["latest"] if r["probe"] == "icmp"}
        return got if len(got) == 2 else None

    def test_throughput_stored_and_budget_kept_across_restarts(self):
        agent_id = "ag-3273-0103"
        probes = {"tp": {"type": "throughput", "target": f"http://127.0.0.1:{self.http_port}/",
                         "duration_s": 2, "connections": 4}}
        # 3 MB a day: the first test may use it all (375 kB per connection and
        # direction), the next must be skipped, also after a restart.
        cfg = self.agent_config(agent_id, self.broker.port, agent_id, "32.73", probes,
                                agent__data_budget_mb=3, agent__interval=60)
        agent = self.start(agent_id, [binary("pantau-agent"), "--config", cfg])
        first = self.latest(agent_id, ["throughput"])["throughput"]
        self.assertTrue(first["ok"], first)
        for d in ("download", "upload"):
            self.assertEqual(first[d]["connections"], 4)
            self.assertGreater(first[d]["mbps"], 0)
            self.assertGreaterEqual(first[d]["rtt_idle_ms"], 0)
        self.assertGreaterEqual(first["upload"]["retrans"], 0)
        self.assertEqual(first["budget"]["limit_bytes"], 3000000)
        self.assertEqual(first["budget"]["used_bytes"], 3000000)
        with open(os.path.join(self.workdir, f"state-{agent_id}", "budget")) as f:
            self.assertEqual(int(f.read().split()[1]), 3000000)
        self.assertEqual(agent.stop(), 0)

        agent = self.start(agent_id + "-again", [binary("pantau-agent"), "--config", cfg])

        def skipped():
            r = self.latest(agent_id, ["throughput"])["throughput"]
            return r if r.get("skipped") else None
        second = wait_for(skipped, 30, "a throughput result skipped for the budget")
        self.assertEqual(second["skipped"], "budget")
        self.assertIn("daily data budget of 3 MB is spent", second["note"])
        self.assertNotIn("download", second)
        stored = wait_for(lambda: self.stored_extra("throughput"), 10, "the stored row")
        self.assertEqual(stored["probe"], "throughput")

    def test_check_prints_results_as_json_lines(self):
        cfg = self.agent_config("ag-3273-0104", self.broker.port, "ag-3273-0104", "32.73", {
            "refl": {"type": "stamp", "target": f"127.0.0.1:{self.stamp_port}", "count": 5,
                     "spacing_ms": 5},
            "tp": {"type": "throughput", "target": f"http://127.0.0.1:{self.http_port}",
                   "duration_s": 2, "direction": "download"},
        }, agent__data_budget_mb=2, agent__interval=30)
        out = subprocess.run([binary("pantau-agent"), "check", "--json", "--config", cfg,
                              "--catalog", CATALOG_DIR], capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        results = [json.loads(line) for line in out.stdout.splitlines()
                   if line.startswith("{")]
        self.assertEqual([r["probe"] for r in results], ["stamp", "throughput"])
        self.assertEqual(results[0]["recv"], 5)
        self.assertNotIn("upload", results[1])
        self.assertGreater(results[1]["download"]["bytes"], 0)
        self.assertIn("download", out.stdout.split("\n{")[0])
        self.assertIn("MOS", out.stdout)

    def test_upload_task_over_http_and_https(self):
        # An HTTPS endpoint the way a tally service would be: a real TLS server
        # (a test CA, so the probe needs insecure = true) that counts what it got.
        pki = test_tls.make_pki(self.workdir, "tally")
        got = []

        class Tally(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                got.append((self.headers["Content-Type"], len(body)))
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Tally)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pki["server.pem"], pki["server.key"])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        https_url = f"https://127.0.0.1:{server.server_address[1]}/tally"
        agent_id = "ag-3273-0105"
        self.run_agent(agent_id, {
            "plain": {"type": "upload_task", "target": f"http://127.0.0.1:{self.http_port}/upload",
                      "size": 2000000, "timeout_ms": 4000},
            "tls": {"type": "upload_task", "target": https_url, "size": 1500000,
                    "insecure": "true", "timeout_ms": 4000},
            "tls_checked": {"type": "upload_task", "target": https_url, "size": 1000,
                            "timeout_ms": 4000},
        }, agent__interval=30)

        def three():
            status, body = http_json(f"{self.api}/api/v1/sites/{agent_id}")
            ups = [r for r in body.get("latest", []) if r["probe"] == "upload_task"]
            return ups if len(ups) == 3 else None
        ups = wait_for(three, 30, "three upload_task results")
        plain, tls, checked = ups
        self.assertEqual(plain["target"], f"http://127.0.0.1:{self.http_port}/upload")
        self.assertTrue(plain["ok"], plain)
        self.assertEqual((plain["status"], plain["bytes"], plain["size"]), (200, 2000000, 2000000))
        self.assertGreater(plain["total_ms"], 0)
        self.assertTrue(tls["ok"], tls)
        self.assertEqual((tls["status"], tls["bytes"]), (201, 1500000))
        self.assertGreaterEqual(tls["tls_ms"], 0)
        self.assertIn(("image/jpeg", 1500000), got)
        # Certificates are checked unless insecure = true.
        self.assertFalse(checked["ok"])
        self.assertIn("certificate", checked["error"].lower())

    def test_stamp_sender_against_an_independent_reflector(self):
        # A minimal RFC 8762 reflector written here from the RFC, which also
        # reads each packet's TOS byte: the agent's DSCP, size and fields on
        # the wire, and its RTT arithmetic (the reflector holds each packet
        # 20 ms between T2 and T3, which must not count).
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(sock.close)
        sock.bind(("127.0.0.1", 0))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
        seen = []

        def serve():
            while True:
                try:
                    data, anc, _, addr = sock.recvmsg(2048, 64)
                except OSError:
                    return
                t2 = time.time()
                tos = next((c[2][0] for c in anc if c[1] == socket.IP_TOS), None)
                seq, ts, err = struct.unpack("!IQH", data[:14])
                seen.append((len(data), tos, seq))
                time.sleep(0.02)
                ntp = lambda t: int((t + 2208988800) * 2**32)
                reply = struct.pack("!IQHHQIQHHB", seq, ntp(time.time()), 0x0001, 0, ntp(t2),
                                    seq, ts, err, 0, 64).ljust(len(data), b"\0")
                sock.sendto(reply, addr)
        threading.Thread(target=serve, daemon=True).start()
        cfg = self.agent_config("ag-3273-0106", self.broker.port, "ag-3273-0106", "32.73", {
            "ef": {"type": "stamp", "target": f"127.0.0.1:{sock.getsockname()[1]}",
                   "count": 6, "spacing_ms": 30, "size": 200, "dscp": 46,
                   "timeout_ms": 500},
        })
        out = subprocess.run([binary("pantau-agent"), "check", "--json", "--config", cfg,
                              "--catalog", CATALOG_DIR], capture_output=True, text=True,
                             timeout=60)
        r = json.loads(next(x for x in out.stdout.splitlines() if x.startswith("{")))
        self.assertEqual([s[2] for s in seen], list(range(6)))
        self.assertEqual({(s[0], s[1]) for s in seen}, {(200, 46 << 2)})
        self.assertEqual((r["sent"], r["recv"]), (6, 6), r)
        # Loopback plus a Python thread's wake-up, without the 20 ms held.
        self.assertLess(r["rtt_ms"]["p50"], 15, r)
        self.assertFalse(r["synced"])        # the reflector said: not synchronised
