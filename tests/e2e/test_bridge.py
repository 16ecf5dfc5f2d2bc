"""Brokers in tiers (docs/scaling.md, "Brokers in tiers"): agents on regional
mosquitto brokers bridged to a central pair with the shipped bridge
configuration (deploy/mosquitto/pantau-bridge.conf.example), the collector on
the centre. Real brokers on free loopback ports; "produced" is read from the
agents' outboxes, "stored" from the collector's SQLite file, counted by
(agent, boot, seq) as in test_faults.py.
"""
import json
import os
import re
import signal
import subprocess
import time

import test_faults
from harness import (Broker, binary, brokerconf, free_port, http_json, port_open, wait_for,
                     wait_subscribed)

# How long the link is cut in test_central_stopped_and_back; the 2
# minutes: PANTAU_BRIDGE_CUT_S=120 (docs/scaling.md).
CUT_S = int(os.environ.get("PANTAU_BRIDGE_CUT_S", "10"))
# Faults here last seconds: the bridges reconnect and notice a dead link sooner.
BRIDGE_TIMINGS = {"restart_timeout": "1 2", "keepalive_interval": "5"}


class BridgeTest(test_faults.FaultTest):

    def broker(self, name, extra=""):
        d = os.path.join(self.workdir, name)
        os.makedirs(d, exist_ok=True)
        b = Broker(d, extra)
        b.proc.name = name
        b.dir = d
        self._procs.append(b.proc)
        return b

    def restart(self, b):
        b.proc = self.start(b.proc.name, b.proc.argv)
        b.proc.log_path = os.path.join(b.dir, "mosquitto.log")
        wait_for(lambda: port_open(b.port) or not b.proc.alive(), 10,
                 f"{b.proc.name} to listen again")

    def tiers(self, centrals=1, regionals=1):
        """Central broker(s) with the collector on them, regional broker(s)
        bridged to the centrals: self.central[], self.regional[]."""
        self.central = [self.broker(f"central-{c}") for c in "ab"[:centrals]]
        hosts = ", ".join(f"127.0.0.1:{b.port}" for b in self.central)
        self.collector_cfg, self.api_port = self.collector_config(
            self.central[0].port, broker__host=hosts, store__commit_ms=200,
            replay__interval=1, replay__after=1, broker__reconnect_max=2,
            broker__keepalive=5)
        self.api = f"http://127.0.0.1:{self.api_port}"
        self.db = os.path.join(self.workdir, "pantau.db")
        self.collector = self.start_collector(self.collector_cfg)
        self.wait_api(self.api_port, self.collector)
        wait_subscribed(self.central[0], self.api)
        centrals = [f"127.0.0.1:{b.port}" for b in self.central]
        self.regional = [self.broker(f"regional-{r}", brokerconf.bridge_conf(
            f"r{r}", centrals, BRIDGE_TIMINGS)) for r in "ab"[:regionals]]
        self.agents = {}

    def agent_on(self, agent_id, *regionals):
        hosts = ", ".join(f"127.0.0.1:{b.port}" for b in regionals)
        return self.start_agent(agent_id, broker_host=hosts, broker_port=regionals[0].port)

    def stats(self):
        return http_json(f"{self.api}/api/v1/stats")[1]

    def report(self, title, since_ms):
        """After a fault at since_ms: wait until every batch produced so far
        is stored once, then print the seconds without storing (the largest
        gap between receive times from the fault on) and the time from the
        fault until it had all caught up."""
        self.converge(title, timeout=120)
        caught_up = time.time() - since_ms / 1000
        times = sorted(r[4] for r in self.rows("recv_ms >= ?", (since_ms - 5000,)))
        gap = max((b - a for a, b in zip(times, times[1:]) if b >= since_ms), default=0)
        print(f"{title}: {gap / 1000:.1f} s without storing, everything stored "
              f"{caught_up:.1f} s after the fault")

    def test_through_the_bridge_and_replay_back(self):
        """(i) agent -> regional -> bridge -> central -> collector; a replay
        command from the centre reaches the agent and the batches come back."""
        self.tiers()
        agent = "ag-3273-0201"
        proc = self.agent_on(agent, self.regional[0])
        self.wait_stored(agent, 3)
        boot = self.rows("agent = ?", (agent,))[0][1]
        dups = self.stats()["duplicates"]
        cmd = json.dumps({"cmd": "replay", "boot": boot, "from_seq": 1, "to_seq": 2})
        self.central[0].publish(f"pantau/v1/cmd/{agent}", cmd)
        wait_for(lambda: re.search(rf"replay boot {boot} seq 1\.\.2: resent 2, gone 0",
                                   proc.output()), 20, "the agent to get the replay command")
        wait_for(lambda: self.stats()["duplicates"] >= dups + 2, 20,
                 "the replayed batches back at the collector")
        self.converge("through the bridge, one replay")

    def test_agent_moves_to_second_regional(self):
        """(iv) an agent with two regional brokers, the first SIGKILLed."""
        self.tiers(regionals=2)
        agent = "ag-3273-0202"
        proc = self.agent_on(agent, *self.regional)
        self.wait_stored(agent, 3)
        t0 = int(time.time() * 1000)
        self.regional[0].proc.kill()
        wait_for(lambda: f"connected to the broker at 127.0.0.1:{self.regional[1].port}"
                 in proc.output(), 30, "the agent on the second regional broker")
        self.wait_produced(agent, 5)
        self.report("first regional broker SIGKILLed", t0)

    def test_central_stopped_and_back(self):
        """(ii) the bridge's link to the centre gone for CUT_S seconds (the
        central broker stopped, started again on its port with its
        persistence), while two agents keep measuring on the regional."""
        self.tiers()
        ids = ["ag-3273-0203", "ag-3273-0204"]
        for a in ids:
            self.agent_on(a, self.regional[0])
        self.wait_all_stored(2, ids)
        t0 = int(time.time() * 1000)
        self.assertEqual(self.central[0].proc.stop(), 0)
        for a in ids:
            self.wait_produced(a, CUT_S)
        self.restart(self.central[0])
        self.report(f"bridge link cut {CUT_S} s", t0)

    def test_central_sigkilled_standby_takes_over(self):
        """(iii) the main central broker SIGKILLed: the bridge moves to the
        standby (its second address), the collector (which lists both) too;
        what was queued in the dead broker comes back by replay."""
        self.tiers(centrals=2)
        ids = ["ag-3273-0205", "ag-3273-0206"]
        for a in ids:
            self.agent_on(a, self.regional[0])
        self.wait_all_stored(2, ids)
        t0 = int(time.time() * 1000)
        self.central[0].proc.kill()
        wait_for(lambda: f"connected to the broker at 127.0.0.1:{self.central[1].port}"
                 in self.collector.output(), 30, "the collector on the standby")
        for a in ids:
            self.wait_produced(a, 5)
        self.report("main central broker SIGKILLed", t0)

    def test_check_reports_each_broker(self):
        """pantau-agent check tries every broker of the list and reports each."""
        up = self.broker("regional-up")
        dead = free_port()
        probe = {"lo": {"type": "tcp", "target": f"127.0.0.1:{up.port}", "timeout_ms": 500}}
        cfg = self.agent_config("check", up.port, "ag-3273-0207", "32.73", probe,
                                broker__host=f"127.0.0.1:{up.port}, 127.0.0.1:{dead}",
                                broker__connect_timeout=2)
        r = subprocess.run([binary("pantau-agent"), "--config", cfg, "check"],
                           capture_output=True, text=True, timeout=60, env=dict(
                               os.environ, LANG="C"))
        print(r.stdout)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertRegex(r.stdout, rf"\[ OK \] broker 127\.0\.0\.1:{up.port} accepted")
        self.assertRegex(r.stdout, rf"\[FAIL\] cannot reach the broker: .*127\.0\.0\.1:{dead}")
