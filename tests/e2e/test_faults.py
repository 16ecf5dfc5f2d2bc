"""Fault injection: no measurement lost or counted twice (docs/testing.md).

Every test starts real processes, injects a fault, then prints and asserts
what was produced, stored, duplicated and missing. "Produced" comes from
the producers themselves, never from the collector: for real agents it is
every batch record in their on-disk outboxes (read here with the format of
docs/outbox.md, CRC included), for the load generator its report. "Stored"
comes from the collector's database. Faults are accelerated: 1 s agent
intervals, seconds of outage instead of minutes.
"""
import collections
import glob
import os
import re
import resource
import shutil
import signal
import sqlite3
import struct
import subprocess
import time
import zlib

from harness import (CATALOG_DIR, E2ETestCase, binary, http_json, port_open, wait_for,
                     wait_subscribed)

RUN_ALONE = True   # tests/run.py --jobs: thousands of agents and SIGKILLs under load take both cores

SEG_HDR = struct.Struct("<IHHIIqqq")   # magic, kind, 0, length, crc, boot, seq, time
SEG_MAGIC = 0x424F5450                 # "PTOB"
SEG_BATCH = 1

def outbox_batches(state_dir):
    """{(boot, seq): measured-at ms} of every valid batch record in an outbox."""
    found = {}
    for path in sorted(glob.glob(os.path.join(state_dir, "outbox", "*.seg"))):
        with open(path, "rb") as f:
            data = f.read()
        off = 0
        while off + SEG_HDR.size <= len(data):
            magic, kind, _, length, crc, boot, seq, ts = SEG_HDR.unpack_from(data, off)
            end = off + SEG_HDR.size + length
            if magic != SEG_MAGIC or end > len(data):
                break
            head = bytearray(data[off:off + SEG_HDR.size])
            head[12:16] = b"\0\0\0\0"
            if zlib.crc32(bytes(head) + data[off + SEG_HDR.size:end]) != crc:
                break
            if kind == SEG_BATCH:
                found[(boot, seq)] = ts
            off = end
    return found


def load_tally(rows):
    """Of the load generator's stored (agent, boot, seq, ...) rows: a Counter of
    the ids, and the holes (seqs below an agent's highest that are missing)."""
    ids = collections.Counter((a, b, s) for a, b, s, *_ in rows)
    per_agent = collections.defaultdict(set)
    for a, _, s in ids:
        per_agent[a].add(s)
    return ids, sum(max(s) - len(s) for s in per_agent.values())


class FaultTest(E2ETestCase):
    """Broker with the deploy settings, collector asking for gaps every second."""

    def stack(self, broker_extra="", **overrides):
        """overrides: more collector_config keys."""
        self.broker = self.start_broker(broker_extra)
        self.collector_cfg, self.api_port = self.collector_config(
            self.broker.port, store__commit_ms=200, replay__interval=1, replay__after=1,
            broker__reconnect_max=2, **overrides)
        self.api = f"http://127.0.0.1:{self.api_port}"
        self.db = os.path.join(self.workdir, "pantau.db")
        self.collector = self.start_collector(self.collector_cfg)
        self.wait_api(self.api_port, self.collector)
        wait_subscribed(self.broker, self.api)
        self.agents = {}

    def start_agent(self, agent_id, argv_prefix=(), broker_host="127.0.0.1", broker_port=None,
                    nprobes=1, probes=None, **overrides):
        """probes: the agent's [probe.NAME] sections (default: nprobes tcp
        probes of the collector's API port)."""
        probes = probes or {f"api{i}": {"type": "tcp", "target": f"127.0.0.1:{self.api_port}",
                                        "timeout_ms": 500} for i in range(nprobes)}
        keys = {"agent__interval": 1, "broker__keepalive": 5, "broker__reconnect_min": 1,
                "broker__reconnect_max": 2, "agent__backfill_rate": 1000000,
                "broker__host": broker_host}
        keys.update(overrides)
        cfg = self.agent_config(agent_id, broker_port or self.broker.port, agent_id, "32.73",
                                probes, **keys)
        argv = [*argv_prefix, binary("pantau-agent"), "--config", cfg]
        self.agents[agent_id] = os.path.join(self.workdir, f"state-{agent_id}")
        return self.start(agent_id, argv)

    def stop_broker(self):
        self.assertEqual(self.broker.proc.stop(), 0, "mosquitto did not stop cleanly")

    def restart_broker(self):
        """Start mosquitto again with the same configuration and port."""
        argv = self.broker.proc.argv
        self.broker.proc = self.start("mosquitto", argv)
        wait_for(lambda: port_open(self.broker.port) or not self.broker.proc.alive(), 10,
                 "mosquitto to listen again")
        self.assertTrue(self.broker.proc.alive(), self.broker.proc.output())

    def restart_collector(self):
        self.collector = self.start_collector(self.collector_cfg)
        self.wait_api(self.api_port, self.collector)

    def rows(self, where="1", args=()):
        """(agent, boot, seq, ts_ms, recv_ms, id) of the committed batches."""
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute("SELECT agent, boot, seq, ts_ms, recv_ms, id FROM batches "
                               f"WHERE {where} ORDER BY id", args).fetchall()
        finally:
            con.close()

    def produced(self):
        """{(agent, boot, seq)} of every batch the agents made (their outboxes)."""
        return {(a, b, s) for a, d in self.agents.items() for (b, s) in outbox_batches(d)}

    def account(self, produced, title):
        """Print and return produced / stored / duplicates / missing."""
        rows = self.rows()
        ids = collections.Counter((a, b, s) for a, b, s, *_ in rows)
        same_ts = collections.Counter((a, ts) for a, _, _, ts, _, _ in rows
                                      if a in self.agents)
        dups = sum(n - 1 for n in ids.values()) + sum(n - 1 for n in same_ts.values())
        missing = produced - set(ids)
        out = {"produced": len(produced), "stored": len(produced & set(ids)),
               "duplicates": dups, "missing": len(missing)}
        print(f"{title}: " + ", ".join(f"{k} {v}" for k, v in out.items())
              + (f" (first missing: {sorted(missing)[:5]})" if missing else ""))
        return out

    def converge(self, title, timeout=60):
        """Everything the agents made so far arrives, once."""
        want = self.produced()
        self.assertTrue(want)
        stored = lambda: {(a, b, s) for a, b, s, *_ in self.rows()}
        try:
            wait_for(lambda: want <= stored(), timeout, "every produced batch to be stored",
                     interval=0.3)
        finally:
            counts = self.account(want, title)
        self.assertEqual(counts["missing"], 0)
        self.assertEqual(counts["duplicates"], 0)
        return counts

    def wait_produced(self, agent, more, timeout=30):
        base = len(outbox_batches(self.agents[agent]))
        wait_for(lambda: len(outbox_batches(self.agents[agent])) >= base + more, timeout,
                 f"{agent} to make {more} more batches")

    def wait_stored(self, agent, n, timeout=30):
        wait_for(lambda: len(self.rows("agent = ?", (agent,))) >= n, timeout,
                 f"{n} batches of {agent} stored")

    def start_agents(self, id_prefix, n):
        """Agents id_prefix1 to id_prefixN ("ag-3273-010": ag-3273-0101, ...)."""
        for i in range(1, n + 1):
            self.start_agent(f"{id_prefix}{i}")

    def wait_all_stored(self, n, agents=None):
        """n batches stored of each of agents (default: every agent started)."""
        for a in agents or self.agents:
            self.wait_stored(a, n)


class BrokerAndCollectorFaults(FaultTest):

    def test_broker_stopped_then_restarted(self):
        """Broker down (seconds for minutes) while agents keep measuring."""
        self.stack()
        self.start_agents("ag-3273-010", 3)
        self.wait_all_stored(2)
        self.stop_broker()
        for a in self.agents:
            self.wait_produced(a, 4)
        self.restart_broker()
        self.converge("broker stopped and restarted")

    def test_collector_sigkilled_repeatedly_under_load(self):
        """SIGKILL between receipt (PUBACK) and commit loses what the broker
        counts as delivered; replay must bring every batch back once."""
        self.stack()
        for i in range(1, 3):
            self.start_agent(f"ag-3273-020{i}")
        total = 3000
        lg = self.start("loadgen", [binary("pantau-loadgen"), "--port", str(self.broker.port),
                                    "--agents", "50", "--connections", "5", "--count",
                                    str(total), "--rate", "150", "--seed", "4",
                                    "--prefix", "flt", "--serve-replay", "--log-level", "info",
                                    "--catalog", CATALOG_DIR])
        sim = lambda: len(self.rows("agent LIKE 'flt-%'"))
        kills = 0
        for mark in (500, 1200, 1900):
            wait_for(lambda: sim() >= mark or not lg.alive(), 60, f"{mark} load batches stored")
            self.assertTrue(lg.alive(), lg.output())
            self.collector.kill()
            kills += 1
            self.restart_collector()
        wait_for(lambda: "run done" in lg.output(), 60, "the load generator to finish")

        def load_complete():
            rows = self.rows("agent LIKE 'flt-%'")
            return len({(a, b, s) for a, b, s, *_ in rows}) == total
        try:
            wait_for(load_complete, 60, f"all {total} load batches stored", interval=0.5)
        finally:
            lg.signal(signal.SIGTERM)
            self.assertEqual(lg.wait(30), 0, lg.output())
        report = [ln for ln in lg.output().splitlines() if ln.startswith('{"published"')][-1]
        self.assertIn(f'"published":{total},"acked":{total}', report)
        rows = self.rows("agent LIKE 'flt-%'")
        ids, holes = load_tally(rows)
        replayed = int(re.search(r'"replayed":(\d+)', report).group(1))
        print(f"collector SIGKILLed {kills} times under load: produced {total}, stored "
              f"{len(ids)}, duplicates {sum(n - 1 for n in ids.values())}, missing "
              f"{total - len(ids) + holes} (replayed on request: {replayed})")
        self.assertEqual(holes, 0)
        self.assertEqual(sum(n - 1 for n in ids.values()), 0)
        _, stats = http_json(f"{self.api}/api/v1/stats")
        flt = [x for x in stats["agents"] if x["agent"].startswith("flt-")]
        self.assertEqual(sum(x["stored"] for x in flt), total)
        self.assertEqual(sum(x["missing"] for x in flt), 0)
        self.converge(f"collector SIGKILLed {kills} times, real agents")


class AgentFaults(FaultTest):

    def test_agent_sigkilled_and_restarted(self):
        """What was fsynced survives SIGKILL; boot increments."""
        self.stack()
        agent = "ag-3273-0301"
        p = self.start_agent(agent)
        self.wait_stored(agent, 2)
        self.stop_broker()            # batches pile up in the outbox only
        self.wait_produced(agent, 3)
        p.kill()
        on_disk = {(agent, b, s) for (b, s) in outbox_batches(self.agents[agent])}
        with open(os.path.join(self.agents[agent], "boot")) as f:
            boot_before = int(f.read())
        self.restart_broker()
        self.start_agent(agent)
        wait_for(lambda: (http_json(f"{self.api}/api/v1/sites/{agent}")[1].get("boot") or 0)
                 > boot_before, 30, "the restarted agent's birth with the next boot")
        self.wait_produced(agent, 2)
        counts = self.converge("agent SIGKILLed and restarted")
        self.assertTrue(on_disk <= {(a, b, s) for a, b, s, *_ in self.rows()})
        boots = {b for _, b, *_ in self.rows("agent = ?", (agent,))}
        self.assertEqual(boots, {boot_before, boot_before + 1})
        self.assertGreaterEqual(counts["produced"], len(on_disk) + 2)

    def test_outbox_limit_drops_oldest_and_says_so(self):
        """A full outbox deletes whole oldest segments; outbox.dropped says how
        many; nothing else is lost."""
        self.stack()
        agent = "ag-3273-0401"
        p = self.start_agent(agent, nprobes=10, agent__outbox_max_kb=8)
        self.wait_stored(agent, 2)
        dropped_logged = lambda: sum(int(n) for n in re.findall(
            r"segment with (\d+) batch\(es\) never delivered", p.output()))
        self.stop_broker()
        wait_for(lambda: dropped_logged() >= 4, 40, "the outbox to drop 4 batches")
        self.restart_broker()

        def settled():
            _, site = http_json(f"{self.api}/api/v1/sites/{agent}")
            d = site.get("delivery", {})
            committed = len(self.rows("agent = ?", (agent,)))  # the API sees uncommitted rows
            return (site.get("outbox", {}).get("pending") == 0 and d.get("dropped", 0) > 0
                    and d["missing"] == d["dropped"] == dropped_logged()
                    and committed == d["stored"]) and d
        try:
            d = wait_for(settled, 40, "delivery to settle with missing == dropped")
        finally:
            print(f"outbox limit: agent log says {dropped_logged()} dropped; API: "
                  f"{http_json(f'{self.api}/api/v1/sites/{agent}')[1].get('delivery')}")
        seqs = sorted(s for _, _, s, *_ in self.rows("agent = ?", (agent,)))
        gaps = [s for s in range(1, seqs[-1] + 1) if s not in set(seqs)]
        print(f"outbox limit: produced {d['expected']}, stored {d['stored']}, duplicates "
              f"{d['duplicates']}, missing {d['missing']}, dropped {d['dropped']} "
              f"(seqs {gaps[0]}..{gaps[-1]})")
        self.assertEqual(gaps, list(range(gaps[0], gaps[0] + len(gaps))))  # oldest, in one run
        self.assertEqual(len(gaps), d["dropped"])
        self.assertEqual(d["duplicates"], 0)


class LinkCut(FaultTest):
    """The agent lives in a network namespace; its link is cut by setting the
    veth interface down (accelerated: 10 s instead of 10 minutes)."""

    def setUp(self):
        super().setUp()
        if os.geteuid() != 0 or shutil.which("ip") is None:
            self.skipTest("needs root and iproute2 for a network namespace")
        tag = os.getpid() % 10000
        self.ns = f"pti4-{tag}"
        self.host_if, self.ns_if = f"pi4h{tag}", f"pi4a{tag}"
        net = 100 + os.getpid() % 100
        self.host_ip, self.ns_ip = f"198.19.{net}.1", f"198.19.{net}.2"
        self.addCleanup(self.ip, "netns", "del", self.ns, check=False)
        self.addCleanup(self.ip, "link", "del", self.host_if, check=False)
        self.ip("netns", "add", self.ns)
        self.ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if)
        self.ip("link", "set", self.ns_if, "netns", self.ns)
        self.ip("addr", "add", f"{self.host_ip}/30", "dev", self.host_if)
        self.ip("link", "set", self.host_if, "up")
        self.ip("netns", "exec", self.ns, "ip", "addr", "add", f"{self.ns_ip}/30", "dev",
                self.ns_if)
        self.ip("netns", "exec", self.ns, "ip", "link", "set", self.ns_if, "up")
        self.ip("netns", "exec", self.ns, "ip", "link", "set", "lo", "up")

    @staticmethod
    def ip(*args, check=True):
        subprocess.run(["ip", *args], check=check, timeout=10, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL if not check else None)

    def test_link_cut_backfill_in_order_live_first(self):
        from harness import free_port
        ns_port = free_port()
        self.stack(broker_extra=f"listener {ns_port} {self.host_ip}\n")
        agent = "ag-3273-0501"
        # ~330-byte batches at 400 B/s: the backlog drains slower than live results come.
        self.start_agent(agent, argv_prefix=("ip", "netns", "exec", self.ns),
                         broker_host=self.host_ip, broker_port=ns_port,
                         agent__backfill_rate=400)
        self.wait_stored(agent, 2)
        cut_ms = int(time.time() * 1000)
        self.ip("link", "set", self.host_if, "down")
        wait_for(lambda: "measuring goes on" in self.agent_log(agent), 30,
                 "the agent to notice the cut (keepalive)")
        self.wait_produced(agent, 3)
        self.ip("link", "set", self.host_if, "up")
        restored_ms = int(time.time() * 1000)
        self.wait_produced(agent, 6)
        counts = self.converge("link cut and restored")
        rows = self.rows("agent = ?", (agent,))
        backlog = [r for r in rows if cut_ms < r[3] < restored_ms and r[4] > restored_ms]
        live = [r for r in rows if r[3] > restored_ms + 3000]
        self.assertGreaterEqual(len(backlog), 3, rows)
        arrival_seqs = [r[2] for r in backlog]          # rows are in arrival (id) order
        self.assertEqual(arrival_seqs, sorted(arrival_seqs), "backfill oldest first")
        ts = [r[3] for r in sorted(backlog, key=lambda r: r[2])]
        self.assertEqual(ts, sorted(ts), "original timestamps kept")
        self.assertTrue(live, rows)
        last_backlog_id = max(r[5] for r in backlog)
        interleaved = [r for r in live if r[5] < last_backlog_id]
        lag = max(r[4] - r[3] for r in live)
        print(f"link cut: {len(backlog)} backlog batches in order, {len(live)} live ones, "
              f"{len(interleaved)} of them arrived before the backlog was done; worst live "
              f"delay {lag} ms; produced {counts['produced']}")
        self.assertTrue(interleaved, "live results were held behind the backlog")
        self.assertLess(lag, 3000)

    def agent_log(self, agent):
        return next(p for p in self._procs if p.name == agent).output()


class ReconnectStorm(E2ETestCase):
    """2,000 simulated agents (one MQTT connection each) and a broker restart."""

    def test_broker_restart_with_2000_agents_no_storm(self):
        n = 2000
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and hard < 3 * n + 200:
            self.skipTest(f"needs {3 * n + 200} open files; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8 * n)), hard))
        conn_log = os.path.join(self.workdir, "connections.log")  # flushed per line
        broker = self.start_broker(f"log_dest file {conn_log}\n")
        lg = self.start("loadgen", [binary("pantau-loadgen"), "--port", str(broker.port),
                                    "--agents", str(n), "--connections", str(n),
                                    "--interval", "3600", "--fleet-backoff", "--prefix",
                                    "storm", "--catalog", CATALOG_DIR])

        def connects(after=0):
            with open(conn_log) as f:
                text = f.read()[after:]
            return [int(m) for m in re.findall(r"^(\d+): New client connected", text, re.M)]
        wait_for(lambda: len(connects()) >= n, 60, f"{n} connections", interval=0.5)
        self.assertEqual(broker.proc.stop(), 0)
        offset = os.path.getsize(conn_log)
        self.start("mosquitto", broker.proc.argv)
        wait_for(lambda: len(connects(offset)) >= n, 60, f"{n} reconnections", interval=0.5)
        times = connects(offset)[:n]
        per_second = collections.Counter(t - times[0] for t in times)
        peak = max(per_second.values())
        spread = max(times) - min(times) + 1
        print(f"broker restart with {n} agents: reconnections spread over {spread} s, peak "
              f"{peak}/s, per second: {[per_second.get(s, 0) for s in range(spread)]}")
        self.assertLessEqual(peak, n // 4, "reconnect storm: too many in one second")
        self.assertGreaterEqual(spread, 8)
        lg.signal(signal.SIGTERM)
        self.assertEqual(lg.wait(30), 0)
