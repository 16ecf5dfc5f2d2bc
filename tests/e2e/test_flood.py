"""Floods, bogus input and slow clients against the real collector and reflector.

A flood of new agent ids (each would be a site in memory and in the
database) stops at [collector] max_agents: the agents beyond it are rejected
as too_many_agents and counted, the sites already known go on being stored,
and the collector's memory does not follow the number of bogus ids.

A client that logged in (an agent: its certificate's subject) and floods its
own result topic is cut to its publish limit at the broker (pantau_limit.so,
docs/deployment.md "Publish limit"): the broker drops what is over the limit
and disconnects the client, the collector gets at most the burst and the
rate of the flood, the broker's log sums the drops up once a window, and the
valid agents' batches are all stored.

1,000 slow HTTP clients (slowloris: a request head that never ends) from one
address, a head larger than a connection's memory and a very long path leave
the API and the reflector answering a normal request within 1 s: one address
holds at most [api] per_client / [http] per_client connections.
"""
import os
import re
import resource
import socket
import subprocess
import time
import urllib.request

import mqttraw
from harness import (CATALOG_DIR, ROOT, E2ETestCase, binary, free_port, http_json,
                     port_open, start_sub_log, sub_log_delays, wait_for, wait_subscribed,
                     write_ini)

RUN_ALONE = True   # tests/run.py --jobs: a flood takes both cores

# make SANITIZE=1 test builds into build/sanitize (Makefile)
SANITIZED = "sanitize" in os.environ.get("PANTAU_BUILD", "")
SLOW_CLIENTS = 1000
SLOW_FROM = "127.0.0.2"    # the slow clients' address; the normal request comes from 127.0.0.1


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
        # (not under AddressSanitizer, whose quarantine holds freed memory)
        if not SANITIZED:
            self.assertLess(after - before, 8 * 1024)
        # the known agents are still taken: the same agents again (same seed)
        # send seq 1 (duplicates) and 2 (new)
        self.loadgen("--agents", 300, "--count", 600, "--prefix", "real", "--seed", 1)
        wait_for(lambda: self.stats()["stored"] == 600, 60, "the 300 next batches")
        self.assertEqual(self.stats()["duplicates"], 300)
        self.assertIn("max_agents; raise it if this is a real site", self.collector.output())


FLOOD_RATE, FLOOD_S = 20000, 3   # the flood: invalid messages a second, seconds
LIMIT_RATE, LIMIT_BURST = 50, 1000   # deploy/mosquitto/pantau.conf's


class PublishLimitTest(E2ETestCase):

    def broker_conf(self):
        """Anonymous clients (the collector, the load) may do anything; a
        client logging in as "flooder" is bound by the agents' lines of
        deploy/mosquitto/pantau.acl (as tests/bench/flood.py)."""
        passwd = os.path.join(self.workdir, "passwd")
        subprocess.run(["mosquitto_passwd", "-b", "-c", passwd, "flooder", "pw"],
                       check=True, capture_output=True, timeout=30)
        os.chmod(passwd, 0o644)
        acl = os.path.join(self.workdir, "pantau.acl")
        with open(os.path.join(ROOT, "deploy", "mosquitto", "pantau.acl")) as f:
            agents = f.read()
        with open(acl, "w") as f:
            f.write("topic readwrite pantau/v1/#\n" + agents)
        # a file, which mosquitto flushes at each line (stdout it buffers)
        self.broker_log = os.path.join(self.workdir, "broker.log")
        return (f"password_file {passwd}\nacl_file {acl}\nlog_type information\n"
                f"log_dest file {self.broker_log}\n")

    def broker_said(self):
        with open(self.broker_log) as f:
            return f.read()

    def stats(self):
        return http_json(self.api + "/api/v1/stats")[1]

    def dropped(self):
        """The flooder's drops in the broker's summaries so far."""
        return sum(int(n) for n in re.findall(r"pantau_limit: dropped \d+ publishes .*: "
                                              r"flooder (\d+)", self.broker_said()))

    def test_flooding_client_is_cut_to_its_limit_at_the_broker(self):
        # a summary a second instead of a minute, so the test sees it soon
        self.broker = self.start_broker(self.broker_conf(), plugin_opts={"summary": 1})
        cfg, self.api_port = self.collector_config(self.broker.port)
        self.collector = self.start_collector(cfg)
        self.wait_api(self.api_port, self.collector)
        self.api = f"http://127.0.0.1:{self.api_port}"
        wait_subscribed(self.broker, self.api)
        self.assertIn(f"pantau_limit: {LIMIT_RATE} publishes/s per client, bursts of "
                      f"{LIMIT_BURST}", self.broker_said())
        load = subprocess.Popen([binary("pantau-loadgen"), "--port", str(self.broker.port),
                                 "--catalog", CATALOG_DIR, "--connections", "5",
                                 "--agents", "100", "--count", "2000", "--rate", "400",
                                 "--prefix", "valid"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        flooder = mqttraw.Flooder(self.broker.port, "flooder", "pw")
        t0 = time.monotonic()
        written = 0
        while written < FLOOD_RATE * FLOOD_S:    # 1,000 messages each 50 ms
            flooder.send(b"".join(mqttraw.publish_packet("pantau/v1/32/3273/flooder/result",
                                                         b"{not json %d" % i)
                                  for i in range(written, written + 1000)))
            written += 1000
            ahead = t0 + written / FLOOD_RATE - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)    # pacing the flood, not waiting for a condition
        flood_s = time.monotonic() - t0
        flooder.close()
        out, err = load.communicate(timeout=120)
        self.assertEqual(load.returncode, 0, err)
        # the valid agents' batches are all stored; the flooder was
        # disconnected, and what reached the collector of its flood is within
        # its limit: the burst and the rate over the flood's time
        wait_for(lambda: self.stats()["stored"] == 2000, 60, "the 2,000 valid batches")
        wait_for(lambda: re.search(r"pantau_limit: dropped \d+ .* [1-9]\d* disconnects: "
                                   r"flooder \d+", self.broker_said()), 30,
                 "the broker's summary of the flooder's drops and disconnects")
        last = [-1]

        def settled():
            n = self.stats()["rejected"]
            done = n == last[0] and n > 0
            last[0] = n
            return done
        wait_for(settled, 30, "the collector's count of the flood to settle", interval=1.0)
        rejected = self.stats()["rejected"]
        print(f"\n    {written:,} invalid messages written in {flood_s:.1f} s over "
              f"{flooder.connects} connections: {self.dropped():,} dropped by the broker, "
              f"{rejected:,} reached the collector")
        self.assertGreaterEqual(flooder.reconnects, 1)
        self.assertLessEqual(rejected, LIMIT_BURST + LIMIT_RATE * (flood_s + 1))
        # the collector's log stays readable: at most 20 lines a minute
        self.assertLessEqual(self.collector.output().count("ingest: rejected message"), 20)


def hold_slow_clients(tc, port, n=SLOW_CLIENTS):
    """n connections from SLOW_FROM, each with a request head that never ends."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 1024), hard))
    held = []
    for _ in range(n):
        c = socket.socket()
        c.bind((SLOW_FROM, 0))
        c.settimeout(5)
        c.connect(("127.0.0.1", port))
        try:
            c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        except OSError:
            pass    # closed at once: over the per-address limit
        held.append(c)
    tc.addCleanup(lambda: [c.close() for c in held])
    return held


def status_of(port, request):
    """The status code of the reply to raw request bytes; 0 when the server
    closed without one."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        try:
            c.sendall(request)
        except OSError:
            pass
        try:
            head = c.recv(64)
        except ConnectionResetError:
            return 0
    return int(head.split()[1]) if head.startswith(b"HTTP/1.1 ") else 0


class SlowClientsTest(E2ETestCase):

    def timed_get(self, url):
        t0 = time.monotonic()
        with urllib.request.urlopen(url, timeout=1) as r:
            r.read()
            code = r.status
        return code, time.monotonic() - t0

    def hostile_requests(self, port, long_path_status, conn_memory):
        # a head larger than a connection's memory: 431, closed
        big = (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (conn_memory + 1000) +
               b"\r\n\r\n")
        self.assertIn(status_of(port, big), (431, 0))
        # a path of 8,000 bytes
        path = b"/" + b"a" * 8000
        self.assertEqual(status_of(port, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
                         long_path_status)

    def test_api_answers_through_slow_clients_and_hostile_heads(self):
        self.start_stack()
        held = hold_slow_clients(self, self.api_port)
        self.hostile_requests(self.api_port, 414, 32 * 1024)   # MHD's default
        code, took = self.timed_get(self.api + "/healthz")
        print(f"\n    API /healthz in {took * 1000:.0f} ms with {len(held)} slow clients")
        self.assertEqual(code, 200)
        code, _ = self.timed_get(self.api + "/api/v1/regions")
        self.assertEqual(code, 200)
        self.assertTrue(self.collector.alive())

    def test_reflector_answers_through_slow_clients_and_hostile_heads(self):
        http = free_port()
        cfg = write_ini(os.path.join(self.workdir, "reflector.ini"), {
            "stamp": {"listen": "127.0.0.1", "port": free_port()},
            "http": {"listen": "127.0.0.1", "port": http},
        })
        p = self.start("reflector", [binary("pantau-reflector"), "--config", cfg])
        wait_for(lambda: port_open(http) or not p.alive(), 10, "the reflector")
        held = hold_slow_clients(self, http)
        self.hostile_requests(http, 404, 256 * 1024)   # reflector/http_server.c
        code, took = self.timed_get(f"http://127.0.0.1:{http}/download?bytes=1000")
        print(f"\n    reflector download in {took * 1000:.0f} ms with {len(held)} slow clients")
        self.assertEqual(code, 200)
        self.assertTrue(p.alive(), p.output())


class NagleTest(E2ETestCase):
    """A few QoS 0 messages a second on a result topic (what the publish
    limit lets through of a flood) do not hold the valid batches at a QoS 1
    subscriber: the broker writes at once (set_tcp_nodelay true in
    deploy/mosquitto/pantau.conf, taken by the test broker through
    brokerconf.py). With Nagle's algorithm the batches waited for the
    subscriber's delayed ACK of each QoS 0 message: p99 39 ms against 1.4 ms
    here (docs/bench.md, "flood")."""

    def test_qos0_trickle_does_not_delay_the_batches(self):
        import threading
        broker = self.start_broker(persistence=False)
        path = os.path.join(self.workdir, "sub.txt")
        sub = start_sub_log(broker, path, ["pantau/v1/+/+/+/result"],
                            "pantau/v1/0/0/ready/result")
        self.addCleanup(sub.wait, 10)
        self.addCleanup(sub.terminate)
        stop = threading.Event()

        def trickle():   # 40 QoS 0 messages a second
            fl = mqttraw.Flooder(broker.port)
            while not stop.is_set():
                fl.send(mqttraw.publish_packet("pantau/v1/32/3273/x/result", b"{not json"))
                stop.wait(0.025)
            fl.close()
        th = threading.Thread(target=trickle)
        th.start()
        try:
            r = subprocess.run([binary("pantau-loadgen"), "--port", str(broker.port),
                                "--catalog", CATALOG_DIR, "--agents", "100", "--connections",
                                "5", "--rate", "250", "--duration", "5", "--prefix", "valid"],
                               capture_output=True, text=True, timeout=60)
        finally:
            stop.set()
            th.join()
        self.assertEqual(r.returncode, 0, r.stderr)
        delays = []

        def all_in():
            delays[:] = sub_log_delays(path, "valid-")
            return len(delays) >= 1200
        wait_for(all_in, 30, "the valid batches at mosquitto_sub", interval=0.5)
        delays.sort()
        p50, p99 = delays[len(delays) // 2], delays[int(len(delays) * 0.99)]
        print(f"\n    {len(delays)} batches beside a 40/s QoS 0 trickle: p50 {p50:.1f} ms, "
              f"p99 {p99:.1f} ms")
        # with Nagle: p99 39 ms (the subscriber's 40 ms delayed ACK); without, 1-2 ms
        self.assertLess(p99, 20)
