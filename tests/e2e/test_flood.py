"""Floods, bogus input and slow clients against the real collector and reflector.

A flood of new agent ids (each would be a site in memory and in the
database) stops at [collector] max_agents: the agents beyond it are rejected
as too_many_agents and counted, the sites already known go on being stored,
and the collector's memory does not follow the number of bogus ids.

1,000 slow HTTP clients (slowloris: a request head that never ends) from one
address, a head larger than a connection's memory and a very long path leave
the API and the reflector answering a normal request within 1 s: one address
holds at most [api] per_client / [http] per_client connections.
"""
import os
import resource
import socket
import subprocess
import time
import urllib.request

from harness import (CATALOG_DIR, E2ETestCase, binary, free_port, http_json, port_open,
                     wait_for, wait_subscribed, write_ini)

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
