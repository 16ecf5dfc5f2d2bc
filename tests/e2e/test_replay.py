"""Replay that scales and ends (docs/protocol.md, "Replay command").

Real mosquitto, collector and agents, plus three load generators: virtual
agents that answer replay commands, ones that never answer, and ones that
answer every command "gone". The broker is SIGKILLed while they all
publish; to be sure it holds undelivered batches at that moment, the
collector is stopped (SIGSTOP) first and continued after the broker is
back. Then every answering agent, real or virtual, reaches missing 0;
the silent ones end with their gaps recorded lost after [replay] max_asks
asks and are not asked again; the "gone" ones are recorded lost after one.
"""
import os
import signal
import sqlite3
import subprocess

from harness import CATALOG_DIR, binary, http_json, wait_for
from test_faults import FaultTest

RUN_ALONE = True   # tests/run.py --jobs: thousands of agents take both cores

MAX_ASKS = 3


class ReplayTest(FaultTest):

    def replay_stack(self):
        self.broker = self.start_broker()
        self.collector_cfg, self.api_port = self.collector_config(
            self.broker.port, store__commit_ms=200, replay__interval=1, replay__after=1,
            replay__rate=20, replay__backoff=1, replay__backoff_max=2,
            replay__max_asks=MAX_ASKS, broker__reconnect_max=2)
        self.api = f"http://127.0.0.1:{self.api_port}"
        self.db = os.path.join(self.workdir, "pantau.db")
        self.collector = self.start_collector(self.collector_cfg)
        self.wait_api(self.api_port, self.collector)
        self.agents = {}

    def loadgen(self, prefix, agents, *extra):
        return self.start(f"loadgen-{prefix}", [
            binary("pantau-loadgen"), "--port", str(self.broker.port), "--agents", str(agents),
            "--connections", "2", "--interval", "1", "--seed", str(len(prefix)),
            "--prefix", prefix, "--log-level", "info", "--catalog", CATALOG_DIR, *extra])

    def delivery(self, prefix):
        _, stats = http_json(f"{self.api}/api/v1/stats")
        return [a for a in stats["agents"] if a["agent"].startswith(prefix + "-")], stats

    def lost_rows(self, prefix):
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute("SELECT agent, reason, asks, to_seq - from_seq + 1 FROM lost "
                               "WHERE agent LIKE ?", (prefix + "-%",)).fetchall()
        finally:
            con.close()

    def test_broker_sigkill_answering_silent_and_gone_agents(self):
        self.replay_stack()
        for i in (1, 2):
            self.start_agent(f"ag-3273-030{i}")
        lgs = [self.loadgen("ans", 30, "--serve-replay"), self.loadgen("mute", 10),
               self.loadgen("gone", 5, "--replay-gone")]
        for prefix, n in (("ans", 30), ("mute", 10), ("gone", 5)):
            wait_for(lambda: len(self.delivery(prefix)[0]) == n, 30,
                     f"the {prefix} agents' first batches")
        self.wait_all_stored(2)
        self.collector.signal(signal.SIGSTOP)
        try:
            for a in self.agents:
                self.wait_produced(a, 2)   # the broker queues what the collector misses
            self.broker.proc.kill()
            self.restart_broker()
        finally:
            self.collector.signal(signal.SIGCONT)
        for a in self.agents:
            self.wait_produced(a, 3)       # after the crash: every gap has a batch after it
        for lg in lgs:
            self.assertTrue(lg.alive(), lg.output())

        def settled():
            ans, _ = self.delivery("ans")
            mute, _ = self.delivery("mute")
            gone, stats = self.delivery("gone")
            return (all(a["missing"] == 0 for a in ans + mute + gone)
                    and stats["replay"]["gaps"] == 0)
        wait_for(settled, 90, "every gap filled or recorded lost", interval=0.5)
        counts = self.converge("broker SIGKILLed under replay load, real agents")
        self.assertEqual(counts["missing"], 0)

        ans, _ = self.delivery("ans")
        mute, _ = self.delivery("mute")
        gone, stats = self.delivery("gone")
        replay = stats["replay"]
        # the lost rows are committed with the store's next transaction
        seqs = lambda p: sum(r[3] for r in self.lost_rows(p))
        wait_for(lambda: (seqs("mute"), seqs("gone")) == (replay["lost_unanswered"],
                                                          replay["lost_gone"]),
                 10, "the lost rows committed")
        lost = {p: self.lost_rows(p) for p in ("ans", "mute", "gone")}
        print(f"replay after a broker SIGKILL: {replay['commands']} commands; lost seqs: "
              f"answering {sum(a['lost'] for a in ans)}, silent {sum(a['lost'] for a in mute)}"
              f", gone {sum(a['lost'] for a in gone)}; {replay['gone_replies']} gone replies")
        self.assertEqual(sum(a["lost"] for a in ans), 0)
        self.assertEqual(lost["ans"], [])
        self.assertGreater(sum(a["lost"] for a in mute), 0, "the crash lost nothing")
        self.assertGreater(sum(a["lost"] for a in gone), 0, "the crash lost nothing")
        self.assertTrue(all(r[1] == "unanswered" and r[2] == MAX_ASKS for r in lost["mute"]),
                        lost["mute"])
        self.assertTrue(all(r[1] == "gone" and r[2] == 1 for r in lost["gone"]), lost["gone"])
        self.assertEqual(replay["lost_unanswered"], sum(r[3] for r in lost["mute"]))
        self.assertEqual(replay["lost_gone"], sum(r[3] for r in lost["gone"]))
        # the real agents logged each command and what they did
        for a in self.agents:
            self.assertRegex(self.procs_output(a),
                             r"agent: replay boot \d+ seq \d+\.\.\d+: resent \d+, gone 0")
        # the site view and `pantau site` show the lost seqs
        one = next(a["agent"] for a in mute if a["lost"] > 0)
        _, site = http_json(f"{self.api}/api/v1/sites/{one}")
        self.assertGreater(site["delivery"]["lost"], 0)
        self.assertEqual(site["delivery"]["missing"], 0)
        out = subprocess.run([binary("pantau"), "site", one, "--url", self.api],
                             capture_output=True, text=True, timeout=20, check=True).stdout
        self.assertRegex(out, rf"0 missing, {site['delivery']['lost']} lost")
        # never asked again: the passes go on, the commands do not
        commands, passes = replay["commands"], replay["passes"]
        wait_for(lambda: self.delivery("ans")[1]["replay"]["passes"] >= passes + 3, 30,
                 "three more gap scans")
        self.assertEqual(self.delivery("ans")[1]["replay"]["commands"], commands)
        for lg in lgs:
            lg.signal(signal.SIGTERM)      # ends the run; one answering replay goes on
            if "--serve-replay" in lg.argv or "--replay-gone" in lg.argv:
                wait_for(lambda: "run done" in lg.output(), 30, "the run's end")
                lg.signal(signal.SIGTERM)
            self.assertEqual(lg.wait(30), 0, lg.output())
        # a collector started again asks for nothing either
        self.collector.stop()
        self.restart_collector()
        wait_for(lambda: self.delivery("ans")[1]["replay"]["passes"] >= 3, 30,
                 "three gap scans after the restart")
        _, stats = self.delivery("ans")
        self.assertEqual(stats["replay"]["commands"], 0)
        self.assertEqual(sum(a["lost"] for a in self.delivery("mute")[0]),
                         sum(a["lost"] for a in mute))

    def test_agent_answers_gone_and_logs(self):
        """A replay for batches the agent never held: it says "gone" and logs it."""
        self.replay_stack()
        agent = "ag-3273-0311"
        self.start_agent(agent)
        self.wait_stored(agent, 1)
        _, before = http_json(f"{self.api}/api/v1/stats")
        self.broker.publish(f"pantau/v1/cmd/{agent}",
                            '{"cmd":"replay","boot":999,"from_seq":5,"to_seq":7}')
        wait_for(lambda: "replay boot 999 seq 5..7: resent 0, gone 3" in self.procs_output(agent),
                 15, "the agent's log line")
        wait_for(lambda: http_json(f"{self.api}/api/v1/stats")[1]["replay"]["gone_replies"]
                 > before["replay"]["gone_replies"], 15, "the gone reply at the collector")
        _, stats = http_json(f"{self.api}/api/v1/stats")
        # seqs the collector did not ask for are not recorded
        self.assertEqual(stats["replay"]["lost_gone"], 0)
        self.assertEqual(stats["rejected"], 0)

    def procs_output(self, name):
        return "\n".join(p.output() for p in self._procs if p.name == name)
