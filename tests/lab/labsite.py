"""What runs in a lab's `site` namespace: a broker, a result recorder and the agent.

A real mosquitto listens on the site namespace's own loopback (port 1883: each
lab has its own), `mosquitto_sub` prints every result batch the agent publishes,
and the real pantau-agent runs with a generated configuration. Used by
tests/e2e/test_lab.py and the lab benchmark; `start(name, argv)` is the
caller's way to start and later stop a process (harness.Proc or a test's
start()).
"""
import calendar
import json
import os
import time

from harness import MOSQUITTO, MOSQUITTO_SUB, binary, wait_for, write_ini

BROKER_PORT = 1883
RESULT_TOPIC = "pantau/v1/+/+/+/result"


def listening(lab, role, port):
    """True when something listens on TCP port in the lab namespace role."""
    return bool(lab.run(role, ["ss", "-Htln", f"sport = :{port}"]).stdout.strip())


def batch_time(batch):
    """The batch's measurement time (its `ts`) as a Unix time."""
    whole, _, frac = batch["ts"].rstrip("Z").partition(".")
    t = calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S"))
    return t + (float("0." + frac) if frac else 0.0)


class Site:
    def __init__(self, lab, workdir, tag, start):
        self.lab, self.workdir, self.tag, self.start = lab, workdir, tag, start
        conf = os.path.join(workdir, f"mosquitto-{tag}.conf")
        with open(conf, "w") as f:
            f.write(f"listener {BROKER_PORT} 127.0.0.1\nallow_anonymous true\n"
                    "persistence false\nlog_dest stdout\nlog_type error\nlog_type warning\n"
                    "log_type notice\n")
        self.broker = start(f"mosquitto-{tag}", lab.argv("site", [MOSQUITTO, "-c", conf]))
        wait_for(lambda: listening(lab, "site", BROKER_PORT) or not self.broker.alive(), 10,
                 f"mosquitto in {lab.ns('site')}")
        # stdbuf: mosquitto_sub's debug lines (SUBACK) are not flushed otherwise
        self.sub = start(f"sub-{tag}", lab.argv("site", [
            "stdbuf", "-oL", MOSQUITTO_SUB, "-h", "127.0.0.1", "-p", BROKER_PORT, "-q", "1",
            "-d", "-t", RESULT_TOPIC]))
        wait_for(lambda: "SUBACK" in self.sub.output() or not self.sub.alive(), 10,
                 "mosquitto_sub to subscribe")
        self.agent = None

    def agent_config(self, probes, interval):
        sections = {
            "agent": {"id": f"ag-lab-{self.tag}", "region": "32.73",
                      "site": f"Lab {self.tag}", "link": "fiber", "interval": interval,
                      "splay": 0, "state_dir": os.path.join(self.workdir, f"state-{self.tag}")},
            "broker": {"host": "127.0.0.1", "port": BROKER_PORT},
        }
        for name, keys in probes.items():
            sections[f"probe.{name}"] = keys
        return write_ini(os.path.join(self.workdir, f"agent-{self.tag}.ini"), sections)

    def start_agent(self, probes, interval=5):
        """probes: {name: {key: value}}; the first cycle starts at once (splay 0)."""
        cfg = self.agent_config(probes, interval)
        self.agent = self.start(f"agent-{self.tag}", self.lab.argv(
            "site", [binary("pantau-agent"), "--config", cfg]))
        return self.agent

    def batches(self):
        return [json.loads(line) for line in self.sub.output().splitlines()
                if line.startswith('{"v"')]

    def next_batch(self, after, timeout, what):
        """The first batch measured at or after Unix time `after`."""
        def found():
            if self.agent is not None and not self.agent.alive():
                raise AssertionError(f"the agent exited:\n{self.agent.output()}")
            return next((b for b in self.batches() if batch_time(b) >= after), None)
        return wait_for(found, timeout, what, interval=0.1)
