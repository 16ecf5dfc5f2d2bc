"""What runs in a lab: in `site` a broker, a result recorder and the agent; in
`core` the agent's own far end, `pantau-reflector` (`start_reflector`).

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
import subprocess
import time

from harness import MOSQUITTO, MOSQUITTO_SUB, binary, wait_for, write_ini

BROKER_PORT = 1883
RESULT_TOPIC = "pantau/v1/+/+/+/result"
STAMP_PORT = 862          # the reflector's defaults, bound to the core's address
HTTP_PORT = 8862


def listening(lab, role, port):
    """True when something listens on TCP port in the lab namespace role."""
    return bool(lab.run(role, ["ss", "-Htln", f"sport = :{port}"]).stdout.strip())


def udp_bound(lab, role, port):
    """True when a UDP socket is bound to port in the lab namespace role."""
    return bool(lab.run(role, ["ss", "-Huln", f"sport = :{port}"]).stdout.strip())


def start_reflector(lab, workdir, start, addr, **http):
    """The real pantau-reflector in `core` on addr (STAMP on 862, HTTP on 8862),
    its defaults otherwise (100 STAMP packets/s per source) unless `http` names
    other [http] keys; returns its process once both ports are open."""
    cfg = write_ini(os.path.join(workdir, f"reflector-{lab.name}.ini"), {
        "stamp": {"listen": addr, "port": STAMP_PORT},
        "http": {"listen": addr, "port": HTTP_PORT, **http}})
    proc = start(f"reflector-{lab.name}",
                 lab.argv("core", [binary("pantau-reflector"), "--config", cfg]))

    def up():
        if not proc.alive():
            raise AssertionError(f"pantau-reflector exited:\n{proc.output()}")
        return listening(lab, "core", HTTP_PORT) and udp_bound(lab, "core", STAMP_PORT)
    wait_for(up, 10, f"pantau-reflector in {lab.ns('core')}")
    return proc


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

    def agent_config(self, probes, interval, agent_extra=None):
        sections = {
            "agent": {"id": f"ag-lab-{self.tag}", "region": "32.73",
                      "site": f"Lab {self.tag}", "link": "fiber", "interval": interval,
                      "splay": 0, "state_dir": os.path.join(self.workdir, f"state-{self.tag}"),
                      **(agent_extra or {})},
            "broker": {"host": "127.0.0.1", "port": BROKER_PORT},
        }
        for name, keys in probes.items():
            sections[f"probe.{name}"] = keys
        return write_ini(os.path.join(self.workdir, f"agent-{self.tag}.ini"), sections)

    def start_agent(self, probes, interval=5, agent_extra=None):
        """probes: {name: {key: value}}; the first cycle starts at once (splay 0);
        agent_extra: more [agent] keys."""
        cfg = self.agent_config(probes, interval, agent_extra)
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


def throughput_probe(addr, seconds, connections=4, **extra):
    """The agent's throughput probe against the lab's reflector."""
    return {"tp": {"type": "throughput", "target": f"http://{addr}:{HTTP_PORT}",
                   "duration_s": seconds, "connections": connections, **extra}}


def iperf3_everywhere(labs, seconds, reverse, streams):
    """iperf3 -c in every lab's site at once; their parsed figures, in order."""
    import lab as L
    runs = [lab.popen("site", L.iperf3_client_argv(seconds, reverse=reverse, streams=streams),
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for lab in labs]
    out = []
    for lab, p in zip(labs, runs):
        text, _ = p.communicate(timeout=seconds + 60)
        try:
            out.append(L.parse_iperf3(text))
        except (RuntimeError, ValueError) as e:
            raise RuntimeError(f"iperf3 in {lab.name}: {e}: {text[-500:]}")
    return out


def throughput_vs_iperf3(rigs, seconds, connections=4):
    """rigs: [Site] whose labs have a reflector and `iperf3 -s` in core. Phase by
    phase in every lab at once, so the labs load the machine alike in each phase:
    the agent's throughput probe (download then upload, `seconds` each,
    `connections` connections), then `iperf3 -R -t seconds -P connections`
    (download), then `iperf3 -t seconds -P connections` (upload). Returns, per
    rig, {"result": the probe's result, "down": iperf3 -R, "up": iperf3}."""
    import lab as L
    started = time.time()
    for rig in rigs:
        # interval 60: the only cycle while the comparison runs is the first
        rig.start_agent(throughput_probe(L.CORE_ADDR, seconds, connections, timeout_ms=3000),
                        interval=60)
    results = [rig.next_batch(started - 1, 2 * seconds + 30,
                              f"the throughput result in {rig.lab.name}")["results"][0]
               for rig in rigs]
    labs = [rig.lab for rig in rigs]
    down = iperf3_everywhere(labs, seconds, True, connections)
    up = iperf3_everywhere(labs, seconds, False, connections)
    return [{"result": r, "down": d, "up": u} for r, d, u in zip(results, down, up)]
