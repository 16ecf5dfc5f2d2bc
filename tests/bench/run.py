#!/usr/bin/env python3
"""pantau benchmarks: measured figures, with a reference measured in the same run.

    python3 tests/bench/run.py --build build [--only NAME] [--repeat N] [--keep]

Each benchmark is a function in BENCHES; it starts what it needs (real
processes on loopback), stops all of it on the way out (`with Workdir(...)`
or a finally block), and prints a table. Benchmarks never assert timing:
they print what they measured. The exit status is 1 only when a benchmark
could not run (a program missing, a process dying, a stall).

Benchmarks:
  ingest   collector ingest rate and memory, next to what mosquitto_sub
           receives from the same broker in the same run (docs/bench.md)
  retention the collector's delete rate and longest step over a million
           batches, half of them old, next to its store rate
           (tests/bench/retention_bench.c)
  lab      the network lab table: the agent next to ping, irtt, iperf3 and
           fping through the delay line (tests/bench/lab_bench.py)
  outbox   the agent outbox's write cost per batch (append + fdatasync), next
           to write + fdatasync of the same bytes (tests/bench/outbox.py)
  dashboard API response times and the national page's load in Chromium
           with 15,000 simulated sites (tests/bench/dashboard.py)
  backfill an agent's backlog over a simulated 1 Mbit/s link, next to
           mosquitto_pub over the same link (tests/bench/outbox.py)
  flood    valid agents' receive delay with and without 20,000 invalid
           messages a second, and the collector's RSS under 100,000 bogus
           agent ids (tests/bench/flood.py)
  passive  the passive probe's packets/s next to tshark -n -r on the same
           file, and the live agent's CPU and RSS at 10,000 packets/s
           (tests/bench/passive.py)
  pgstore  batches stored per second into SQLite, PostgreSQL a statement
           per row and PostgreSQL batched, each next to mosquitto_sub
  national the national summary's latency at 15,000 and 100,000 sites and
           the database's bytes per site per day, SQLite and PostgreSQL side
           by side (tests/bench/national.py)
  replay   time until every answering agent has missing 0 after a broker
           SIGKILL, 15,000 virtual agents of which 10 % never answer
           (tests/bench/replay.py)
"""
import argparse
import datetime
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "tests", "bench"))
sys.path.insert(0, os.path.join(ROOT, "deploy", "demo"))  # pgcluster.py

POLL_S = 0.2          # stats and memory sampling period
STALL_S = 60          # no progress for this long: the run is declared stalled
RUN_LIMIT_S = 1800    # hard limit of one run
GOAL_PCT = 90         # collector rate as a share of the reference rate

REF_TOPIC = "pantau/v1/+/+/+/result"
READY_TOPIC = "bench/ready"


def broker_flow(override_inflight=None):
    """The broker's queue and flow-control settings: those of
    deploy/mosquitto/pantau.conf (brokerconf.py), so the benchmark sees what a
    deployment would; persistence off, it measures the collector, not the disk."""
    flow = h().brokerconf.queue_settings()
    flow["persistence"] = "false"
    if override_inflight is not None:
        flow["max_inflight_messages"] = str(override_inflight)
    return flow


class BenchError(Exception):
    """The benchmark could not run (not a slow result: those are printed)."""


def h():
    """The harness module, imported once PANTAU_BUILD is set."""
    import harness
    return harness


# ---------------------------------------------------------------- helpers

def proc_status(pid):
    """VmRSS and VmHWM of a process in KiB, from /proc/PID/status."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(rest.split()[0])
    except OSError:
        pass
    return out


def cpu_seconds(pid):
    """User + system CPU time a live process has used, from /proc/PID/stat."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def server_cpu(data_dir):
    """CPU time of a PostgreSQL server and its live processes (the
    postmaster's pid is the first line of DATA/postmaster.pid): a backend's
    time counts while it lives, so read it while the collector is connected."""
    if data_dir is None:
        return None
    try:
        with open(os.path.join(data_dir, "postmaster.pid")) as f:
            master = int(f.readline())
    except (OSError, ValueError):
        return None
    total = cpu_seconds(master) or 0.0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rpartition(")")[2].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == master:
            total += cpu_seconds(int(d)) or 0.0
    return total


def machine_busy():
    """CPU seconds all CPUs have spent busy since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def self_cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def mib(kib):
    return "-" if kib is None else f"{kib / 1024:.1f} MiB"


def versions():
    def first_line(argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=5)
            return (r.stdout + r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"
    return {
        "mosquitto": first_line([h().MOSQUITTO, "-h"]),
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
    }


class LineCounter:
    """Counts the reference subscriber's output as it grows, reading only new
    bytes; keeps the arrival time of the first and last loadgen message."""

    def __init__(self, path, topic_prefix, pid=None):
        self.path = path
        self.pid = pid
        self.topic_prefix = topic_prefix
        self.offset = 0
        self.partial = b""
        self.count = 0
        self.markers = 0
        self.first = None
        self.last = None

    def update(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except OSError:
            return self.count
        self.offset += len(data)
        lines = (self.partial + data).split(b"\n")
        self.partial = lines.pop()
        for line in lines:
            # "SECONDS.NANOSECONDS LENGTH TOPIC" (mosquitto_sub -F '@s.@N %l %t')
            parts = line.split(b" ", 2)
            if len(parts) != 3:
                continue
            if parts[2].decode(errors="replace").startswith(self.topic_prefix):
                t = float(parts[0])
                self.count += 1
                if self.first is None:
                    self.first = t
                self.last = t
            else:
                self.markers += 1
        return self.count

    def rate(self):
        if self.count < 2 or self.last <= self.first:
            return None
        return self.count / (self.last - self.first)


class Workdir:
    """A fresh directory under build/bench-tmp, removed afterwards unless kept.
    Used as `with Workdir(...) as wd:` it also holds the run's processes,
    wd.procs, stopped on leaving (stop_all), and keeps the directory unless
    the run set wd.failed = False."""

    def __init__(self, build, name, keep):
        base = os.path.join(build, "bench-tmp")
        os.makedirs(base, exist_ok=True)
        self.path = tempfile.mkdtemp(prefix=f"{name}-", dir=base)
        self.keep = keep

    def __enter__(self):
        self.procs, self.failed = [], True
        return self

    def __exit__(self, *exc):
        stop_all(self.procs)
        self.close(self.failed)

    def close(self, failed):
        if self.keep or failed:
            print(f"  (logs and data kept in {self.path})")
        else:
            shutil.rmtree(self.path, ignore_errors=True)


# ---------------------------------------------------------------- ingest

def collector_ini(wd, broker_port, api_port, store_url=None, store_extra=None):
    hm = h()
    sections = {
        "collector": {"database": os.path.join(wd, "pantau.db"),
                      "catalog_dir": hm.CATALOG_DIR, "log_level": "warn"},
        "broker": {"host": "127.0.0.1", "port": broker_port,
                   "client_id": f"bench-collector-{os.getpid()}"},
        "api": {"listen": "127.0.0.1", "port": api_port},
    }
    if store_url:
        sections["store"] = {"url": store_url, **(store_extra or {})}
    return hm.write_ini(os.path.join(wd, "collector.ini"), sections)


def start_reference(wd, broker, procs):
    """mosquitto_sub as the reference consumer; returns its output counter
    once its subscription is known to be active."""
    hm = h()
    out = os.path.join(wd, "reference.out")
    argv = [hm.MOSQUITTO_SUB, "-h", "127.0.0.1", "-p", str(broker.port), "-q", "1", "-c",
            "-i", f"bench-sub-{os.getpid()}", "-t", REF_TOPIC, "-t", READY_TOPIC,
            "-F", "@s.@N %l %t"]
    f = open(out, "wb")
    try:
        p = subprocess.Popen(argv, stdout=f, stderr=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL, cwd=wd)
    finally:
        f.close()
    procs.append(("mosquitto_sub", p))
    counter = LineCounter(out, "pantau/v1/", p.pid)

    def ready():
        if p.poll() is not None:
            raise BenchError("mosquitto_sub exited")
        broker.publish(READY_TOPIC, "ready", qos=1)
        counter.update()
        return counter.markers > 0
    hm.wait_for(ready, 15, "mosquitto_sub's subscription", interval=0.2)
    return counter


def stats(api):
    status, body = h().http_json(f"{api}/api/v1/stats", timeout=10)
    if status != 200 or not isinstance(body, dict):
        raise BenchError(f"GET /api/v1/stats: HTTP {status}")
    return body


class IngestSampler:
    """Polls the collector's stats and memory every POLL_S while the load runs."""

    def __init__(self, api, pid, total, base):
        self.api, self.pid, self.total, self.base = api, pid, total, base
        self.samples = []          # (t, stored)
        self.rss_at = {}           # percent -> KiB
        self.hwm = None
        self.last = dict(base)

    def stored(self):
        return self.last["stored"] - self.base["stored"]

    def handled(self):
        """Messages the collector has dealt with, one way or another."""
        return sum(self.last[k] - self.base[k] for k in ("stored", "duplicates", "rejected"))

    def sample(self):
        t = time.monotonic()
        self.last = stats(self.api)
        mem = proc_status(self.pid)
        self.hwm = mem.get("VmHWM", self.hwm)
        s = self.stored()
        self.samples.append((t, s))
        for pct in (25, 50, 100):
            if pct not in self.rss_at and s * 100 >= pct * self.total:
                self.rss_at[pct] = mem.get("VmRSS")
        return s

    def rate(self):
        """Batches/s from the first to the last increase of `stored`.

        The slope is taken between the first sample that saw an increase and
        the last sample before the final value: the sample that first shows
        the final value may come up to POLL_S after the last store, which
        would make the run look longer than it was."""
        if not self.samples:
            return None
        final = max(s for _, s in self.samples)
        ramp = [(t, s) for t, s in self.samples if 0 < s < final]
        if len(ramp) < 2:   # too short to sample: fall back to the end points
            ramp = [(t, s) for t, s in self.samples if s > 0][:1] + \
                   [next((t, s) for t, s in self.samples if s == final)]
        (t1, s1), (t2, s2) = ramp[0], ramp[-1]
        if t2 <= t1:
            return None
        return (s2 - s1) / (t2 - t1)


def wait_done(loadgen, sampler, counter, total):
    """Sample until the load generator has finished and both consumers have
    everything (or stopped making progress)."""
    started = last_progress = time.monotonic()
    seen = (-1, -1)
    while True:
        time.sleep(POLL_S)
        now = time.monotonic()
        if loadgen.poll() is not None and loadgen.returncode != 0:
            raise BenchError(f"pantau-loadgen exited with status {loadgen.returncode}")
        sampler.sample()
        counter.update()
        progress = (sampler.handled(), counter.count)
        if progress != seen:
            seen, last_progress = progress, now
        if loadgen.poll() is not None and sampler.handled() >= total and counter.count >= total:
            return True
        if now - last_progress > STALL_S or now - started > RUN_LIMIT_S:
            print(f"  stalled: collector handled {sampler.handled()}, "
                  f"mosquitto_sub received {counter.count} of {total}")
            return False


def run_ingest(args, wd, procs, store_url=None, store_extra=None, pg_data=None):
    hm = h()
    collector = hm.binary("pantau-collector")
    loadgen = hm.binary("pantau-loadgen")
    for b in (collector, loadgen):
        if not os.access(b, os.X_OK):
            raise BenchError(f"{b} is not built (run 'make')")
    broker = hm.Broker(wd, "max_connections -1\n", persistence=False,
                       overrides=broker_flow(args.broker_inflight))
    procs.append(("mosquitto", broker.proc))
    api_port = hm.free_port()
    api = f"http://127.0.0.1:{api_port}"
    col = hm.Proc("collector", [collector, "--config",
                                collector_ini(wd, broker.port, api_port, store_url,
                                                             store_extra)], wd)
    procs.append(("collector", col))
    hm.wait_for(lambda: col.alive() and hm.http_json(f"{api}/healthz", timeout=1)[0] == 200,
                20, "the collector's API")
    hm.wait_subscribed(broker, api)
    counter = start_reference(wd, broker, procs)
    base = stats(api)
    sampler = IngestSampler(api, col.pid, args.count, base)
    rss0 = proc_status(col.pid).get("VmRSS")

    argv = [loadgen, "--port", str(broker.port), "--agents", str(args.agents),
            "--connections", str(args.connections), "--count", str(args.count),
            "--rate", "0", "--inflight", str(args.inflight), "--seed", str(args.seed),
            "--catalog", hm.CATALOG_DIR, "--prefix", "sim"]
    cpu0 = {"collector": cpu_seconds(col.pid), "mosquitto": cpu_seconds(broker.proc.pid),
            "mosquitto_sub": cpu_seconds(counter.pid), "loadgen": children_cpu(),
            "machine": machine_busy(), "wall": time.monotonic(), "bench": self_cpu(),
            "postgresql": server_cpu(pg_data)}
    lg_out = open(os.path.join(wd, "loadgen.out"), "wb")
    lg_err = open(os.path.join(wd, "loadgen.log"), "wb")
    try:
        lg = subprocess.Popen(argv, stdout=lg_out, stderr=lg_err, stdin=subprocess.DEVNULL,
                              cwd=wd)
    finally:
        lg_out.close()
        lg_err.close()
    procs.append(("pantau-loadgen", lg))
    complete = wait_done(lg, sampler, counter, args.count)
    with open(os.path.join(wd, "loadgen.out")) as f:
        lg_json = f.read().strip()
    if not col.alive():
        raise BenchError("the collector died during the run:\n" + col.output()[-2000:])
    cpu = {"collector": cpu_seconds(col.pid), "mosquitto": cpu_seconds(broker.proc.pid),
           "mosquitto_sub": cpu_seconds(counter.pid), "loadgen": children_cpu(),
           "machine": machine_busy(), "wall": time.monotonic(), "bench": self_cpu(),
           "postgresql": server_cpu(pg_data)}
    cpu = {k: None if v is None or cpu0[k] is None else v - cpu0[k] for k, v in cpu.items()}
    ours = [cpu[k] for k in ("collector", "mosquitto", "mosquitto_sub", "loadgen", "bench")]
    ours += [cpu["postgresql"] or 0.0]
    cpu["other"] = None if None in ours else cpu["machine"] - sum(ours)
    final = proc_status(col.pid)
    sampler.rss_at.setdefault(100, final.get("VmRSS"))
    return {"complete": complete, "loadgen": lg_json, "ref_rate": counter.rate(),
            "ref_count": counter.count, "col_rate": sampler.rate(),
            "stored": sampler.stored(), "last": sampler.last, "base": base,
            "hwm": final.get("VmHWM", sampler.hwm), "rss0": rss0, "rss": sampler.rss_at,
            "cpu": cpu}


def machine_row(cpu):
    """Busy CPU time of the whole machine during the run and the CPU time
    there was (wall time x CPUs)."""
    avail = cpu["wall"] * (os.cpu_count() or 1)
    return f"{cpu['machine']:.1f} / {avail:.1f}"


def per_message(r):
    c, s = r["cpu"]["collector"], r["cpu"]["mosquitto_sub"]
    if c is None or s is None or not r["stored"] or not r["ref_count"]:
        return "-"
    return f"{c / r['stored'] * 1e6:.0f} us / {s / r['ref_count'] * 1e6:.0f} us"


def fmt_rate(r, unit):
    return "-" if r is None else f"{r:,.0f} {unit}"


def print_ingest(args, r):
    ratio = None
    if r["ref_rate"] and r["col_rate"] is not None:
        ratio = 100.0 * r["col_rate"] / r["ref_rate"]
    d = {k: r["last"].get(k, 0) - r["base"].get(k, 0) for k in ("duplicates", "rejected")}
    rss = r["rss"]
    rows = [
        ("reference rate (mosquitto_sub received)", fmt_rate(r["ref_rate"], "msg/s")),
        ("collector rate (batches stored)", fmt_rate(r["col_rate"], "batches/s")),
        ("ratio collector / reference",
         "-" if ratio is None else f"{ratio:.1f} %  (goal >= {GOAL_PCT} %)"),
        ("collector peak RSS (VmHWM)", mib(r["hwm"])),
        ("collector RSS before / 25 / 50 / 100 %",
         " / ".join(mib(x) for x in (r["rss0"], rss.get(25), rss.get(50), rss.get(100)))),
        ("received by mosquitto_sub", f"{r['ref_count']} of {args.count}"),
        ("CPU s: collector / broker / mosquitto_sub / loadgen",
         " / ".join("-" if r["cpu"][k] is None else f"{r['cpu'][k]:.1f}"
                    for k in ("collector", "mosquitto", "mosquitto_sub", "loadgen"))),
        ("CPU per message: collector / mosquitto_sub", per_message(r)),
        ("CPU s: bench script / anything else", " / ".join(
            "-" if r["cpu"][k] is None else f"{r['cpu'][k]:.1f}" for k in ("bench", "other"))),
        ("CPU s: machine busy / available", machine_row(r["cpu"])),
        ("stored / duplicates / rejected",
         f"{r['stored']} / {d['duplicates']} / {d['rejected']} of {args.count}"),
    ]
    width = max(len(a) for a, _ in rows)
    print(f"  loadgen: {r['loadgen'] or '(no output)'}")
    for a, b in rows:
        print(f"  {a:<{width}}  {b}")
    if not r["complete"]:
        print("  (incomplete run: the figures cover what arrived)")


def stop_all(procs):
    """Stop in reverse order of start: the load first, the broker last."""
    for name, p in reversed(procs):
        try:
            if hasattr(p, "stop"):
                p.stop(timeout=10)
            elif p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        except Exception as e:  # keep stopping the others
            print(f"  cannot stop {name}: {e}")


def bench_ingest(args):
    """Collector ingest rate and memory, with mosquitto_sub as the reference."""
    flow = broker_flow(args.broker_inflight)
    print(f"ingest: {args.count} batches from {args.agents} virtual agents over "
          f"{args.connections} connections (QoS 1, window {args.inflight}); broker "
          + ", ".join(f"{k} {v}" for k, v in flow.items()))
    wd = Workdir(args.build, "ingest", args.keep)
    procs, failed = [], True
    try:
        r = run_ingest(args, wd.path, procs)
        print_ingest(args, r)
        failed = not r["complete"]
        return not failed
    finally:
        stop_all(procs)
        wd.close(failed)


def bench_status_engine(args):
    """The status engine's cost and detection latency (tests/bench/status.py)."""
    from status import bench_status
    return bench_status(args)


def bench_retention(args):
    """Retention's delete rate and longest step (tests/bench/retention_bench.c)."""
    import json
    out = subprocess.run([os.path.join(args.build, "tests", "retention_bench")],
                         capture_output=True, text=True, timeout=1200)
    if out.returncode != 0:
        raise BenchError("retention_bench failed:\n" + out.stderr[-2000:])
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"retention: {r['batches']} batches x {r['results_per_batch']} results, the older "
          f"half deleted in {r['steps']} steps of 1000 batches:")
    print(f"  delete rate {r['prune_batches_per_s']:.0f} batches/s "
          f"({r['pruned_results']} results in {r['prune_s']:.1f} s), longest step "
          f"{r['longest_step_ms']:.1f} ms   reference: store {r['store_batches_per_s']:.0f} "
          f"batches/s")
    return True


def bench_lab(args):
    """The network lab table (tests/bench/lab_bench.py)."""
    import lab_bench
    return lab_bench.bench_lab(args)


def bench_outbox(args):
    """The agent outbox's write cost per batch (tests/bench/outbox.py)."""
    import outbox
    return outbox.bench_outbox(args, h(), Workdir)


def bench_backfill(args):
    """Backfill over a simulated 1 Mbit/s link (tests/bench/outbox.py)."""
    import outbox
    return outbox.bench_backfill(args, h(), Workdir, stop_all)


def bench_dashboard(args):
    """The dashboard's routes and page load (tests/bench/dashboard.py)."""
    import dashboard
    return dashboard.bench_dashboard(args, h(), Workdir, stop_all)


def bench_national(args):
    """The national summary's latency and the database's size per site and
    day, on SQLite and on PostgreSQL (tests/bench/national.py)."""
    import national
    return national.bench_national(args, h(), Workdir, stop_all)


def bench_flood(args):
    """Valid agents' delay under a flood of invalid messages, and bogus ids'
    memory (tests/bench/flood.py)."""
    import dashboard
    import flood
    return flood.bench_flood(args, h(), Workdir, dashboard.start_collector, cpu_seconds)


def bench_replay(args):
    """Replay after a broker crash (tests/bench/replay.py)."""
    import replay
    return replay.bench_replay(args, h(), Workdir, broker_flow(), collector_ini, proc_status)


def bench_passive(args):
    """The passive probe offline against tshark, and live (tests/bench/passive.py)."""
    import passive
    return passive.bench_passive(args, proc_status, cpu_seconds, mib)


# The stores of pgstore, in its columns: (name, label, [store] keys beside the url).
PG_STORES = (("sqlite", "SQLite", None),
             ("pg-each", "PG per row", {"pipeline": 0}),
             ("pg-batch", "PG batched", {"pipeline": 500}))


def bench_pgstore(args):
    """The same ingest load stored into SQLite and into PostgreSQL (issue 15),
    side by side: batches stored per second, each against mosquitto_sub.
    PostgreSQL twice: a round trip per statement ([store] pipeline = 0, as
    before the pipeline) and the batches of a loop turn in one pipeline."""
    import pgcluster
    if not pgcluster.available():
        raise BenchError("postgresql-15 is not installed (make deps)")
    print(f"pgstore: {args.count} batches from {args.agents} virtual agents, once per store")
    results, ok = {}, True
    stores = [st for st in PG_STORES if st[0] in os.environ.get(
        "PANTAU_BENCH_PGSTORES", ",".join(n for n, _, _ in PG_STORES)).split(",")]
    for name, _, extra in stores:
        wd = Workdir(args.build, f"pgstore-{name}", args.keep)
        procs, pg, failed = [], None, True
        try:
            if extra is not None:
                pg = pgcluster.PgCluster("bench")
                pg.start()
            results[name] = run_ingest(args, wd.path, procs, pg.url() if pg else None, extra,
                                       pg.data if pg else None)
            failed = not results[name]["complete"]
            ok = ok and not failed
        finally:
            stop_all(procs)
            if pg is not None:
                if args.keep or failed:
                    shutil.copy(pg.log, os.path.join(wd.path, "postgresql.log"))
                pg.remove()
            wd.close(failed)
    rows = [("",) + tuple(label for _, label, _ in stores)]
    for label, f in (("batches stored / s", lambda r: fmt_rate(r["col_rate"], "")),
                     ("mosquitto_sub msg / s", lambda r: fmt_rate(r["ref_rate"], "")),
                     ("ratio stored / delivered", lambda r: "-" if not r["ref_rate"]
                      or r["col_rate"] is None else f"{r['col_rate'] / r['ref_rate']:.2f}"),
                     ("CPU s: collector", lambda r: "-" if r["cpu"]["collector"] is None
                      else f"{r['cpu']['collector']:.1f}"),
                     ("CPU s: PostgreSQL", lambda r: "-" if r["cpu"]["postgresql"] is None
                      else f"{r['cpu']['postgresql']:.1f}"),
                     ("CPU s: machine busy / avail", lambda r: machine_row(r["cpu"])),
                     ("stored", lambda r: str(r["stored"]))):
        rows.append((label,) + tuple(f(results[name]) for name, _, _ in stores))
    for row in rows:
        print(f"  {row[0]:<26}" + "".join(f" {c:>14}" for c in row[1:]))
    print("  (goal for PostgreSQL: ratio >= 0.9; docs/bench.md)")
    return ok


BENCHES = [
    ("ingest", bench_ingest),
    ("status", bench_status_engine),
    ("retention", bench_retention),
    ("lab", bench_lab),
    ("outbox", bench_outbox),
    ("backfill", bench_backfill),
    ("dashboard", bench_dashboard),
    ("flood", bench_flood),
    ("replay", bench_replay),
    ("passive", bench_passive),
    ("pgstore", bench_pgstore),
    ("national", bench_national),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--only", choices=[name for name, _ in BENCHES])
    ap.add_argument("--repeat", type=int, default=1, help="run each benchmark N times")
    ap.add_argument("--keep", action="store_true", help="keep logs and data of every run")
    g = ap.add_argument_group("ingest")
    g.add_argument("--agents", type=int, default=5000)
    g.add_argument("--connections", type=int, default=50)
    g.add_argument("--count", type=int, default=200000)
    g.add_argument("--inflight", type=int, default=100, help="loadgen window per connection")
    g.add_argument("--broker-inflight", type=int,
                   help="mosquitto max_inflight_messages (default: as in "
                        "deploy/mosquitto/pantau.conf)")
    g.add_argument("--seed", type=int, default=1)
    g = ap.add_argument_group("lab")
    g.add_argument("--lab-minutes", type=float, default=10,
                   help="agent vs fping at the default schedule (env PANTAU_BENCH_LAB_S="
                        "SECONDS overrides, for a quick run)")
    g.add_argument("--lab-part", choices=["all", "resources"], default="all",
                   help="resources: only the agent's RSS and CPU at the default schedule")
    g.add_argument("--lab-tp-seconds", type=int, default=10,
                   help="duration of each throughput run (the probe's duration_s and iperf3 -t)")
    g = ap.add_argument_group("outbox and backfill")
    g.add_argument("--outbox-count", type=int, default=1000, help="batches appended")
    g.add_argument("--backfill-count", type=int, default=600, help="batches in the backlog")
    g = ap.add_argument_group("replay")
    g.add_argument("--replay-agents", type=int, default=15000)
    g.add_argument("--replay-silent-pct", type=int, default=10,
                   help="share of the agents that never answer a replay command")
    g.add_argument("--replay-interval", type=int, default=20,
                   help="seconds between two batches of an agent")
    g.add_argument("--replay-rate", type=float, default=50, help="[replay] rate")
    g = ap.add_argument_group("flood")
    g.add_argument("--flood-kinds", default="open,refused,own,own-result,exempt-result",
                   help="the flooded phases, of open, refused, own, own-result, exempt-result "
                        "(tests/bench/flood.py)")
    g.add_argument("--flood-bogus", type=int, default=100000,
                   help="bogus agent ids published after the floods (0: none)")
    g.add_argument("--flood-split", type=int, choices=[0, 1], default=1,
                   help="the collector's [broker] split_status (0: one connection, as before)")
    g.add_argument("--flood-nodelay", type=int, choices=[0, 1], default=1,
                   help="the broker's set_tcp_nodelay (1: deploy/mosquitto/pantau.conf's; "
                        "0: Nagle's algorithm, as before)")
    g = ap.add_argument_group("national")
    g.add_argument("--national-sites", default="15000,100000",
                   help="the site counts, comma-separated")
    g = ap.add_argument_group("dashboard")
    g.add_argument("--dashboard-sites", type=int, default=15000)
    args = ap.parse_args()
    args.build = os.path.abspath(os.path.join(ROOT, args.build))
    os.environ["PANTAU_BUILD"] = args.build
    os.environ["PANTAU_ROOT"] = ROOT
    v = versions()
    print(f"pantau bench {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}"
          f" on {v['cpus']} CPU(s), Linux {v['kernel']}, {v['mosquitto']}")
    ok = True
    for name, fn in BENCHES:
        if args.only and name != args.only:
            continue
        for i in range(args.repeat):
            if args.repeat > 1:
                print(f"-- {name} run {i + 1} of {args.repeat}")
            try:
                ok = fn(args) and ok
            except (BenchError, AssertionError, RuntimeError, OSError) as e:
                print(f"  {name}: could not run: {e}")
                ok = False
            sys.stdout.flush()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
