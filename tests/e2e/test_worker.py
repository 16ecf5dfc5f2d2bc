"""The probe worker (docs/architecture.md, "The probe worker"): the agent
links no libcurl; its http probes run in pantau-probe-worker, and a worker
that crashes, prints garbage, exits non-zero or is killed mid-probe gives a
failed result with the reason while the next cycle works again; a missing
worker is a clear error at start, at --check and in `check`."""
import http.server
import os
import signal
import sqlite3
import subprocess
import threading

from harness import E2ETestCase, binary, children_of, free_port, wait_for, wait_subscribed

# A stand-in worker: runs 1-3 misbehave, later ones are the real worker.
FAKE_WORKER = """#!/bin/sh
n=$(cat "{count}" 2>/dev/null || echo 0)
n=$((n + 1))
echo $n > "{count}"
case $n in
1) cat >/dev/null; kill -SEGV $$ ;;
2) cat >/dev/null; echo 'this is not JSON'; exit 0 ;;
3) cat >/dev/null; exit 3 ;;
esac
exec "{worker}"
"""


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        srv = self.server
        srv.requests += 1
        if srv.requests == srv.hold_at:
            srv.held.set()
            srv.release.wait(10)
            return      # its client was killed meanwhile
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def needed(path):
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True,
                         check=True).stdout
    return [line.split("[")[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]


def workers_of(pid):
    """Pids of the agent's children that are probe workers."""
    return [c for c, name in children_of(pid) if name.startswith("pantau-probe-wo")]


class WorkerTest(E2ETestCase):

    def test_agent_links_no_libcurl(self):
        agent, worker = needed(binary("pantau-agent")), needed(binary("pantau-probe-worker"))
        print(f"agent NEEDED: {' '.join(agent)}\nworker NEEDED: {' '.join(worker)}")
        self.assertFalse([n for n in agent if "curl" in n], agent)
        self.assertTrue([n for n in worker if n.startswith("libcurl")], worker)

    def test_missing_worker_is_a_clear_error(self):
        cfg = self.agent_config("a", free_port(), "ag-3273-0301", "32.73",
                                {"tally": {"type": "http", "target": "http://127.0.0.1:9/",
                                           "timeout_ms": 1000}},
                                agent__probe_worker="/nonexistent/pantau-probe-worker")
        for argv in ([binary("pantau-agent"), "--config", cfg],
                     [binary("pantau-agent"), "--check", "--config", cfg],
                     [binary("pantau-agent"), "check", "--config", cfg]):
            out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            text = out.stdout + out.stderr
            print(f"$ {' '.join(argv[1:])} -> {out.returncode}\n{text.strip()}")
            self.assertNotEqual(out.returncode, 0)
            self.assertIn("/nonexistent/pantau-probe-worker", text)
            self.assertIn("probe_worker", text)
        # Without an http, throughput or upload_task probe the worker is not needed.
        cfg = self.agent_config("b", free_port(), "ag-3273-0302", "32.73",
                                {"gw": {"type": "tcp", "target": "127.0.0.1:9"}},
                                agent__probe_worker="/nonexistent/pantau-probe-worker")
        out = subprocess.run([binary("pantau-agent"), "--check", "--config", cfg],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)

    def test_worker_faults_give_reasons_and_the_next_cycle_works(self):
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        srv.requests, srv.hold_at = 0, 1   # the real worker's first request is held
        srv.held, srv.release = threading.Event(), threading.Event()
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        self.addCleanup(srv.release.set)
        fake = os.path.join(self.workdir, "fake-worker.sh")
        with open(fake, "w") as f:
            # The count lives in the state folder: the agent runs as nobody when root.
            f.write(FAKE_WORKER.format(count=os.path.join(self.workdir, "state-ag-3273-0303",
                                                          "runs"),
                                       worker=binary("pantau-probe-worker")))
        os.chmod(fake, 0o755)
        broker = self.start_broker()
        ccfg, api_port = self.collector_config(broker.port, store__commit_ms=100)
        self.wait_api(api_port, self.start_collector(ccfg))
        wait_subscribed(broker, f"http://127.0.0.1:{api_port}")
        url = f"http://127.0.0.1:{srv.server_address[1]}/"
        cfg = self.agent_config("agent", broker.port, "ag-3273-0303", "32.73",
                                {"tally": {"type": "http", "target": url, "timeout_ms": 1500}},
                                agent__probe_worker=fake, agent__interval=2)
        agent = self.start("agent", [binary("pantau-agent"), "--config", cfg])
        # Run 4 is the real worker; kill it while its request is held.
        srv.held.wait(30)
        self.assertTrue(srv.held.is_set(), "the real worker never asked")
        pids = wait_for(lambda: workers_of(agent.pid), 5, "the probe worker process")
        os.kill(pids[0], signal.SIGKILL)
        srv.release.set()
        db = os.path.join(self.workdir, "pantau.db")

        def results():
            con = sqlite3.connect(db)
            try:
                rows = con.execute("SELECT ok, status, error FROM results WHERE probe = 'http' "
                                   "ORDER BY ts_ms").fetchall()
            finally:
                con.close()
            return rows if len(rows) >= 5 and rows[4][0] == 1 else None
        rows = wait_for(results, 30, "five http results, the fifth ok")
        for r in rows[:5]:
            print(r)
        errors = [r[2] or "" for r in rows[:4]]
        self.assertIn("probe worker exited with signal 11", errors[0])
        self.assertIn("probe worker printed no valid result", errors[1])
        self.assertIn("probe worker exited with status 3", errors[2])
        self.assertIn("probe worker exited with signal 9", errors[3])
        self.assertTrue(all(r[0] == 0 for r in rows[:4]), rows)
        self.assertEqual(rows[4][1], 200)
        self.assertTrue(agent.alive())
