"""Order by the agent's sequence, time by the collector's clock
(docs/protocol.md "Time", docs/status.md): agents whose clocks are a day
ahead and then corrected, a day behind, jump in mid-boot, boot into 1970 or
stamp 9999 are judged like any other. A real mosquitto and collector; the
batches are published as an agent would (with mono_ms, CLOCK_BOOTTIME), and
the real agent runs under libfaketime with its wall clock moved."""
import datetime
import functools
import json
import os
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from harness import E2ETestCase, binary, free_port, http_json, wait_for, wait_subscribed

DAY_MS = 86400 * 1000
LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


def now_ms():
    return int(time.time() * 1000)


def mono_ms():
    return int(time.clock_gettime(time.CLOCK_BOOTTIME) * 1000)


def iso(ms):
    if ms >= 253402300799000:
        return "9999-12-31T23:59:59.000Z"
    dt = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + \
        datetime.timedelta(milliseconds=ms)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def topic(agent, leaf):
    code = agent.split("-")[1]
    return f"pantau/v1/{code[:2]}/{code}/{agent}/{leaf}"


class ClockTest(E2ETestCase):
    """Crafted batches, one agent per case; its wall clock is off by what
    skew(seq) returns (ms), or stamps what stamp(seq) returns."""

    def setUp(self):
        super().setUp()
        self.start_stack(status__window=30, status__tick_ms=200)
        wait_subscribed(self.broker, self.api)
        self.seq = 0
        self.sent_from = now_ms()

    def birth(self, agent, skew_ms=0, boot=1):
        self.broker.publish(topic(agent, "status"), json.dumps({
            "v": 1, "state": "online", "agent": agent, "boot": boot,
            "ts": iso(now_ms() + skew_ms), "mono_ms": mono_ms(), "site": f"Site {agent}",
            "link": "fiber", "version": "test", "interval": 5}), retain=True)

    def send(self, agent, lost, skew_ms=0, ts=None, mono=True, boot=1, age_ms=0, stored=True):
        """One batch of a 20-packet train, lost of them lost, measured age_ms
        ago; stored: wait until it is. Batches read in one turn of the
        collector's loop share a receipt time, and two placed by the
        estimate would then share a millisecond and one chart point."""
        self.seq += 1
        doc = {"v": 1, "agent": agent, "boot": boot, "seq": self.seq,
               "ts": ts or iso(now_ms() + skew_ms - age_ms),
               "results": [{"probe": "icmp", "target": "198.18.0.1", "sent": 20,
                            "recv": 20 - lost, "loss_pct": lost * 5.0,
                            "rtt_ms": {"min": 10, "p50": 11, "avg": 11, "p95": 12, "max": 13},
                            "jitter_ms": 1.0}]}
        if mono:
            doc["mono_ms"] = mono_ms() - age_ms
        self.broker.publish(topic(agent, "result"), json.dumps(doc))
        if stored:
            self.wait_seq(agent, self.seq)
        return self.seq

    def born_with_batches(self, agent, n):
        """agent's birth, its clock right, then n batches without loss;
        returns the site once the last is stored."""
        self.birth(agent)
        for _ in range(n):
            seq = self.send(agent, 0)
        return self.wait_seq(agent, seq)

    def site(self, agent):
        return http_json(f"{self.api}/api/v1/sites/{agent}")[1]

    def wait_seq(self, agent, seq):
        return wait_for(lambda: (s := self.site(agent)).get("latest_batch") and
                        s["latest_batch"]["seq"] >= seq and s, 10, f"{agent} seq {seq} stored")

    def wait_reason(self, agent, status, words):
        return wait_for(lambda: (s := self.site(agent)).get("status") == status and
                        words in s["reason"] and s, 10,
                        f"{agent} {status} with '{words}'")

    def stats(self):
        return http_json(f"{self.api}/api/v1/stats")[1]

    def loss_degrades(self, agent, skew_ms=0, **kw):
        """Two batches of real loss (20 %, pooled above 2 % in the window)
        make the site DEGRADED for its loss: the status is not frozen."""
        self.send(agent, 4, skew_ms, **kw)
        seq = self.send(agent, 4, skew_ms, **kw)
        self.wait_seq(agent, seq)
        return self.wait_reason(agent, "DEGRADED", "loss")

    def assert_points_received_now(self, agent, n):
        """The chart's points sit at the collector's time: every batch in
        the last hour, none in the future, none a day off."""
        until = now_ms() + 1000
        site = http_json(f"{self.api}/api/v1/sites/{agent}?range=1h")[1]
        icmp = [s for s in site["series"] if s["probe"] == "icmp"][0]
        stamps = [p["ts"] for p in icmp["points"]]
        self.assertEqual(len(stamps), n, stamps)
        for ts in stamps:
            self.assertTrue(iso(self.sent_from - 1000) <= ts <= iso(until), (ts, stamps))
        self.assertTrue(iso(self.sent_from - 1000) <= site["last_result"] <= iso(until),
                        site["last_result"])

    def test_day_ahead_then_corrected(self):
        ag = "ag-3273-0101"
        self.birth(ag, DAY_MS)
        self.send(ag, 0, DAY_MS)
        seq = self.send(ag, 0, DAY_MS)
        site = self.wait_reason(ag, "DEGRADED", "agent clock")
        self.assertRegex(site["clock"], r"^agent clock 2[34] h \d+ min ahead$")
        self.assertGreater(site["clock_skew_ms"], DAY_MS - 60000)
        # NTP corrects it: the batches that follow are live, not "older"
        for _ in range(3):
            seq = self.send(ag, 0)
        self.wait_seq(ag, seq)
        site = self.wait_reason(ag, "OK", "within bounds")
        self.assertIsNone(site["clock"])
        self.loss_degrades(ag)
        self.assert_points_received_now(ag, 7)
        self.assertGreaterEqual(self.stats()["retimed"], 2)

    def test_day_behind(self):
        ag = "ag-3273-0102"
        self.birth(ag, -DAY_MS)
        self.send(ag, 0, -DAY_MS)
        self.send(ag, 0, -DAY_MS)
        site = self.wait_reason(ag, "DEGRADED", "agent clock")
        self.assertRegex(site["clock"], r"behind$")
        site = self.loss_degrades(ag, -DAY_MS)
        self.assertIn("agent clock", site["reason"])
        self.assert_points_received_now(ag, 4)

    def test_jump_in_mid_boot(self):
        ag = "ag-3273-0103"
        self.born_with_batches(ag, 3)
        self.wait_reason(ag, "OK", "within bounds")
        # the wall clock steps back two hours, boot and mono_ms run on
        site = self.loss_degrades(ag, -2 * 3600 * 1000)
        self.assertEqual(site["clock"], "agent clock 2 h 0 min behind")
        self.assert_points_received_now(ag, 5)

    def test_1970(self):
        ag = "ag-3273-0104"
        self.birth(ag, -now_ms())
        self.send(ag, 0, ts="1970-01-01T00:00:05.000Z")
        self.send(ag, 0, ts="1970-01-01T00:00:10.000Z")
        self.wait_reason(ag, "DEGRADED", "agent clock")
        site = self.loss_degrades(ag, ts="1970-01-01T00:00:15.000Z")
        self.assertRegex(site["clock"], r"^agent clock \d+ d \d+ h behind$")
        self.assert_points_received_now(ag, 4)

    def test_9999(self):
        ag = "ag-3273-0105"
        self.born_with_batches(ag, 3)
        # without mono_ms it cannot be placed: rejected, the batches around it stored
        before = self.stats()["rejected_by"]["bad_timestamp"]
        self.send(ag, 0, ts="9999-12-31T23:59:59.000Z", mono=False, stored=False)
        wait_for(lambda: self.stats()["rejected_by"]["bad_timestamp"] == before + 1, 10,
                 "the 9999 batch to be rejected as bad_timestamp")
        self.assertEqual(self.site(ag)["status"], "OK")
        # with mono_ms it is placed at the collector's time, and judged
        site = self.loss_degrades(ag, ts="9999-12-31T23:59:59.000Z")
        self.assertRegex(site["clock"], r"ahead$")
        self.assert_points_received_now(ag, 5)
        self.assertEqual(self.stats()["rejected_by"]["bad_timestamp"], before + 1)

    def test_collector_restart_keeps_the_offset(self):
        """The boot's estimate is in the boots table: after a restart a batch
        that waited 20 s in the agent's outbox is known for one, not taken
        for a clock 20 s behind."""
        ag = "ag-3273-0106"
        self.born_with_batches(ag, 1)
        # no retained birth to learn from again: only the stored estimate
        self.broker.publish(topic(ag, "status"), None, retain=True)
        self.assertEqual(self.collector.stop(), 0)
        self.collector = self.start_collector(os.path.join(self.workdir, "collector.ini"))
        self.wait_api(self.api_port, self.collector)
        wait_subscribed(self.broker, self.api)
        before = now_ms()
        seq = self.send(ag, 0, age_ms=20000)
        site = self.wait_seq(ag, seq)
        self.assertEqual(self.stats()["retimed"], 0)
        measured = site["latest_batch"]["ts"]
        self.assertTrue(iso(before - 21000) <= measured <= iso(before - 19000), measured)


# The tally server the agent's http probe asks: any file of the work
# directory, quietly.
_Quiet = type("Quiet", (SimpleHTTPRequestHandler,), {"log_message": lambda *a: None})


class FakeTimeAgentTest(E2ETestCase):
    """The real agent with libfaketime moving its wall clock (the Debian
    package faketime, deploy/deps.sh); CLOCK_BOOTTIME is left alone, as a
    wall-clock step leaves it in a real box."""

    def setUp(self):
        super().setUp()
        if not os.path.exists(LIBFAKETIME):
            self.skipTest("libfaketime is not installed (make deps)")
        self.start_stack(status__window=10, status__tick_ms=200)
        wait_subscribed(self.broker, self.api)
        self.http = ThreadingHTTPServer(("127.0.0.1", free_port()),
                                        functools.partial(_Quiet, directory=self.workdir))
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.addCleanup(self.http.server_close)
        self.addCleanup(self.http.shutdown)
        self.faketime = os.path.join(self.workdir, "faketime")
        self.started_ms = now_ms()

    def start_agent(self, agent, offset):
        """offset: libfaketime's, e.g. "+1d"; the file is read at every call."""
        with open(self.faketime, "w") as f:
            f.write(offset + "\n")
        probes = {"tally": {"type": "http", "target":
                            f"http://127.0.0.1:{self.http.server_address[1]}/",
                            "timeout_ms": 1000}}
        cfg = self.agent_config(agent, self.broker.port, agent, "32.73", probes,
                                agent__interval=1)
        env = {"LD_PRELOAD": LIBFAKETIME, "FAKETIME_TIMESTAMP_FILE": self.faketime,
               "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
               "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") +
               ":verify_asan_link_order=0"}
        return self.start(agent, [binary("pantau-agent"), "--config", cfg], env=env)

    def site(self, agent):
        status, body = http_json(f"{self.api}/api/v1/sites/{agent}")
        return body if status == 200 else {}

    def wait_site(self, agent, pred, what, timeout=20):
        return wait_for(lambda: (s := self.site(agent)) and pred(s) and s, timeout, what)

    def points_now(self, agent):
        site = http_json(f"{self.api}/api/v1/sites/{agent}?range=1h")[1]
        stamps = [p["ts"] for s in site["series"] for p in s["points"]]
        self.assertTrue(stamps)
        for ts in stamps:
            self.assertTrue(iso(self.started_ms - 1000) <= ts <= iso(now_ms() + 1000), ts)

    def test_boots_into_1970_then_jumps_and_fails(self):
        ag = "ag-3273-0201"
        self.start_agent(ag, "-" + str(now_ms() // 1000 - 10) + "s")   # 1970-01-01T00:00:10
        site = self.wait_site(ag, lambda s: s.get("clock"), "the 1970 clock to be shown")
        self.assertRegex(site["clock"], r"^agent clock \d+ d \d+ h behind$")
        self.assertEqual(site["status"], "DEGRADED")
        self.points_now(ag)
        # NTP steps it right in mid-boot: the clock line clears
        with open(self.faketime, "w") as f:
            f.write("+0\n")
        self.wait_site(ag, lambda s: s.get("clock") is None and s["status"] == "OK",
                       "the corrected agent to be OK")
        # then it jumps a day ahead and its tally path fails: judged at once
        with open(self.faketime, "w") as f:
            f.write("+1d\n")
        self.http.shutdown()
        self.http.server_close()
        site = self.wait_site(ag, lambda s: "tally upload path failed" in s["reason"] and
                              s["clock"], "the failure to be judged with the clock ahead")
        self.assertIn(site["status"], ("DEGRADED", "CRITICAL"))
        self.assertRegex(site["clock"], r"ahead$")
        self.points_now(ag)
