"""The passive probe in the network lab (tests/lab/, docs/testing.md): the real agent
captures on the site's interface while curl opens connections through the user-space
delay line to a web server in core; its handshake RTT (SYN -> SYN/ACK, the far side of
the capture point) against ping's median on the same path at 50, 300 and 600 ms, within
max(0.5 ms, 3 %). Without root, `ip` or network namespaces it is skipped."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lab"))
import lab as L  # noqa: E402
from labsite import Site, listening  # noqa: E402
from test_lab import LabTestCase  # noqa: E402
from harness import wait_for  # noqa: E402

RUN_ALONE = True   # tests/run.py --jobs: it measures against ping in namespaces with lab addresses

WEB_PORT = 8080


class LabPassiveRttTest(LabTestCase):
    RTT_MS = (50, 300, 600)
    PINGS, PING_SPACING_S = 20, 0.2

    def web(self, lab, tag):
        self.start_reference(f"web-{tag}", lab.argv("core", [
            "python3", "-m", "http.server", str(WEB_PORT), "--bind", L.CORE_ADDR]))
        wait_for(lambda: listening(lab, "core", WEB_PORT), 10, "the web server in core")

    def curl_loop(self, lab, stop):
        while not stop.wait(0.3):
            lab.run("site", ["curl", "-s", "-o", "/dev/null", "-m", "5",
                             f"http://{L.CORE_ADDR}:{WEB_PORT}/"])

    @staticmethod
    def stop_traffic(stop, threads):
        stop.set()
        for t in threads:
            t.join(timeout=10)

    def test_handshake_rtt_matches_ping(self):
        runs, stop, threads = [], threading.Event(), []
        self.addCleanup(self.stop_traffic, stop, threads)
        for rtt in self.RTT_MS:
            lab = self.lab(delay_ms=rtt / 2)
            self.web(lab, f"p{rtt}")
            runs.append((rtt, lab, Site(lab, self.workdir, f"passive{rtt}", self.start)))
        started = time.time()
        pings = []
        for rtt, lab, rig in runs:
            rig.start_agent({"traffic": {"type": "passive", "target": L.SITE_IF,
                                         "groups": f"core {L.CORE_ADDR}/32:{WEB_PORT}",
                                         "window": 8}}, interval=10)
            # two loops: at 600 ms one connection takes over a second, and one
            # loop alone opens barely five in the 8 s window on a loaded machine
            for _ in range(2):
                threads.append(threading.Thread(target=self.curl_loop, args=(lab, stop),
                                                daemon=True))
                threads[-1].start()
            pings.append(self.start_ping(lab, self.PINGS, self.PING_SPACING_S))
        for (rtt, lab, rig), ping in zip(runs, pings):
            out, ref = self.ping_result(ping)
            batch = rig.next_batch(started - 1, 40, f"the agent's passive result at {rtt} ms")
            got = {r["target"]: r for r in batch["results"]}
            r = got.get("core", {})
            with self.subTest(rtt_ms=rtt):
                self.assertEqual(ref["recv"], self.PINGS, out)
                self.assertTrue(r.get("ok"), batch)
                self.assertGreaterEqual(r.get("handshakes", 0), 5, r)
                ours, theirs = r["handshake_ms"]["p50"], ref["median"]
                tol = max(0.5, 0.03 * theirs)
                print(f"{rtt} ms: passive handshake p50 {ours} ms ({r['handshakes']} "
                      f"handshakes), ping median {theirs} ms")
                self.assertLessEqual(abs(ours - theirs), tol,
                                     f"{rtt} ms: passive p50 {ours} ms, ping median {theirs} ms")
