"""The lab benchmark: the agent's figures next to ping, irtt, iperf3 and fping (docs/bench.md).

Every condition runs in a network lab (tests/lab/lab.py): the agent and the
reference tool in `site` on the same path at the same time, the targets in
`core`, the impairment from the delay line in `impair`. Printed, never
asserted. Then the agent runs at the default schedule for --lab-minutes
(default 10; PANTAU_BENCH_LAB_S=SECONDS overrides it for a quick run) next to
fping doing the same ICMP schedule, and their peak RSS and CPU are compared;
the agent's probe workers (its http probe) are reported apart (peak RSS, time
alive) and their CPU is counted in the agent's. --lab-part resources runs only
that part.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lab"))

RTT_MS = (0, 50, 300, 600)
LOSS_PCT = (1, 5, 20)
JITTER_MS = 10
RATES_MBIT = (5, 20, 50)
WEB_PORT = 8080


class Procs:
    """Processes started in the labs, stopped in reverse order."""

    def __init__(self, workdir):
        self.workdir, self.all = workdir, []

    def start(self, name, argv):
        import harness
        p = harness.Proc(name, argv, self.workdir)
        self.all.append(p)
        return p

    def stop(self):
        for p in reversed(self.all):
            try:
                p.stop(timeout=10)
            except Exception as e:  # keep stopping the others
                print(f"  cannot stop {p.name}: {e}")
        self.all = []


def fmt(v, unit="", nd=3):
    return "-" if v is None else f"{v:.{nd}f}{unit}"


def ratio(ours, ref):
    return "-" if ours is None or not ref else f"{ours / ref:.3f}"


def icmp(count, spacing_ms, **extra):
    import lab as L
    return {"core": {"type": "icmp", "target": L.CORE_ADDR, "count": count,
                     "spacing_ms": spacing_ms, **extra}}


def parallel_icmp(wd, conditions, count, spacing_ms, interval, ping_interval_s):
    """One lab per condition (settings dict); agent and ping start together in
    each. Returns [(settings, ping figures, agent result, delay line stats)]."""
    import lab as L
    from labsite import Site
    labs, out = [], []
    procs = Procs(wd)
    try:
        for i, settings in enumerate(conditions):
            lab = L.Lab(wd, **settings)
            labs.append(lab)
            lab.open()
            site = Site(lab, wd, f"c{i}", procs.start)
            out.append([settings, lab, site, None])
        started = time.time()
        for row in out:
            row[2].start_agent(icmp(count, spacing_ms), interval=interval)
            row[3] = row[1].popen("site", L.ping_argv(count, ping_interval_s),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        results = []
        for settings, lab, site, ping in out:
            text, _ = ping.communicate(timeout=120)
            batch = site.next_batch(started - 1, 60, f"the agent's result ({settings})")
            results.append((settings, L.parse_ping(text), batch["results"][0], lab.stats()))
        return results
    finally:
        procs.stop()
        for lab in labs:
            lab.close()


def rows_rtt(wd):
    rows = []
    late = []
    for settings, ping, r, dl in parallel_icmp(wd, [{"delay_ms": d / 2} for d in RTT_MS],
                                                100, 20, 10, 0.02):
        ours = r.get("rtt_ms", {}).get("p50")
        rows.append((f"RTT {settings['delay_ms'] * 2:g} ms", "ping median / icmp p50, ms",
                     fmt(ping["median"]), fmt(ours), ratio(ours, ping["median"])))
        late.append(f"{settings['delay_ms'] * 2:g} ms "
                    f"{max(dl[d]['late_us_mean'] for d in ('ab', 'ba')):.0f}/"
                    f"{max(dl[d]['late_us_max'] for d in ('ab', 'ba')):.0f}")
    note = "delay line, frames late against their due time, mean/max us: " + ", ".join(late)
    return rows, note


def rows_loss(wd):
    rows = []
    conds = [{"loss_pct": p, "seed": 2000 + i} for i, p in enumerate(LOSS_PCT)]
    for settings, ping, r, _ in parallel_icmp(wd, conds, 500, 10, 10, 0.01):
        p = settings["loss_pct"]
        expect = 100 * (1 - (1 - p / 100) ** 2)
        rows.append((f"loss {p} % each way (expect {expect:.2f} %)",
                     "ping / icmp loss, % of 500", fmt(ping["loss_pct"], nd=2),
                     fmt(r.get("loss_pct"), nd=2), ratio(r.get("loss_pct"), ping["loss_pct"])))
    return rows


def rows_jitter(wd, count=500, spacing_ms=20):
    """irtt's mean round-trip IPDV (its first `count` packets) beside the stamp
    and icmp probes' mean |IPDV|, all on the same path at the same time.
    reorder=1: every frame draws its own delay, so the three streams do not hold
    each other back in the delay line."""
    import lab as L
    from labsite import Site, start_reflector
    import harness
    procs = Procs(wd)
    with L.Lab(wd, delay_ms=25, jitter_ms=JITTER_MS, reorder=1) as lab:
        try:
            procs.start("irtt-server", lab.argv("core", L.irtt_server_argv()))
            start_reflector(lab, wd, procs.start, L.CORE_ADDR)
            site = Site(lab, wd, "jitter", procs.start)
            out_json = os.path.join(wd, "irtt.json")
            harness.wait_for(lambda: lab.run("site", L.irtt_client_argv(
                out_json, 0.2, 20)).returncode == 0, 15, "irtt server", interval=0.2)
            started = time.time()
            probes = icmp(count, spacing_ms)
            probes["stamp"] = {"type": "stamp", "target": L.CORE_ADDR, "count": count,
                               "spacing_ms": spacing_ms}
            site.start_agent(probes, interval=15)
            lab.run("site", L.irtt_client_argv(out_json, count * spacing_ms / 1000 + 0.3,
                                               spacing_ms), check=True, timeout=60)
            ref = L.parse_irtt(out_json, first=count)
            results = site.next_batch(started - 1, 60, "the agent's result")["results"]
        finally:
            procs.stop()
    by_probe = {r["probe"]: r.get("jitter_ms") for r in results}
    cond = f"jitter +-{JITTER_MS} ms each way"
    return [(cond, f"irtt RT IPDV / stamp mean |IPDV|, ms, {count} x {spacing_ms} ms",
             fmt(ref["ipdv_mean"]), fmt(by_probe.get("stamp")),
             ratio(by_probe.get("stamp"), ref["ipdv_mean"])),
            ("", "irtt RT IPDV / icmp mean |IPDV|, ms", fmt(ref["ipdv_mean"]),
             fmt(by_probe.get("icmp")), ratio(by_probe.get("icmp"), ref["ipdv_mean"]))]


def rows_throughput(wd, seconds, connections=4):
    """Three labs at once (tbf 5, 20, 50 Mbit/s): the throughput probe, then
    iperf3 -R, then iperf3, phase by phase (labsite.throughput_vs_iperf3)."""
    import lab as L
    from labsite import Site, listening, start_reflector, throughput_vs_iperf3
    import harness
    rows, labs = [], []
    procs = Procs(wd)
    try:
        rigs = []
        for mbit in RATES_MBIT:
            lab = L.Lab(wd, delay_ms=5)
            labs.append(lab)
            lab.open()
            lab.rate(mbit)
            srv = procs.start(f"iperf3-server-{mbit}", lab.argv("core", L.iperf3_server_argv()))
            srv.killed = True
            start_reflector(lab, wd, procs.start, L.CORE_ADDR)
            harness.wait_for(lambda: listening(lab, "core", 5201), 10, "iperf3 -s")
            rigs.append(Site(lab, wd, f"tp{mbit}", procs.start))
        runs = throughput_vs_iperf3(rigs, seconds, connections)
    finally:
        procs.stop()
        for lab in labs:
            lab.close()
    for mbit, run in zip(RATES_MBIT, runs):
        for name, ref in (("download", run["down"]), ("upload", run["up"])):
            ours = run["result"].get(name, {}).get("mbps")
            flag = "-R " if name == "download" else ""
            rows.append((f"tbf {mbit} Mbit/s, {name}",
                         f"iperf3 {flag}-P {connections} / throughput, {seconds:g} s, Mbit/s",
                         fmt(ref["mbit_s"], nd=2), fmt(ours, nd=2), ratio(ours, ref["mbit_s"])))
    return rows


# ---------------------------------------------------------------- resources

def default_schedule():
    """The probes of deploy/agent.ini.example, pointed at the lab's core."""
    import lab as L
    return {"gateway": {"type": "icmp", "target": L.CORE_ADDR, "count": 10,
                        "spacing_ms": 100},
            "tally": {"type": "http", "target": f"http://{L.CORE_ADDR}:{WEB_PORT}/"},
            "broker": {"type": "tcp", "target": f"{L.CORE_ADDR}:{WEB_PORT}"}}


def shared_objects(pid):
    """{path: resident KiB} of the shared objects a live process maps (smaps)."""
    out, cur = {}, None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if "-" in parts[0] and not parts[0].endswith(":"):
                cur = parts[5] if len(parts) > 5 and ".so" in parts[5] else None
            elif parts[0] == "Rss:" and cur is not None:
                out[cur] = out.get(cur, 0) + int(parts[1])
    return out


def proc_figures(pid):
    """(VmHWM KiB, RssAnon KiB, CPU seconds, CPU seconds of its reaped children)
    of a live process."""
    hwm, anon, cpu = None, None, None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
            elif line.startswith("RssAnon:"):
                anon = int(line.split()[1])
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    tck = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / tck
    children = (int(fields[13]) + int(fields[14])) / tck
    return hwm, anon, cpu, children


WORKER_LINE = re.compile(r"worker pid \d+ ran (\d+) ms, .* peak RSS (-?\d+) KiB, CPU (-?\d+) ms")


def worker_runs(agent_log):
    """[(ms alive, peak RSS KiB, CPU ms)] of each probe worker the agent ran, from
    its debug log (agent/probes/probeworker.c; the figures are the worker's getrusage)."""
    return [tuple(int(g) for g in m.groups()) for m in WORKER_LINE.finditer(agent_log)]


def run_fping_once(lab, count, spacing_ms):
    """One fping burst; returns (peak RSS KiB, CPU seconds). The peak is fping's
    own VmHWM, sampled while it runs (wait4's ru_maxrss would count the
    forking Python's memory), the CPU time comes from wait4."""
    import lab as L
    p = lab.popen("site", ["fping", "-q", "-c", count, "-p", spacing_ms, L.CORE_ADDR],
                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    hwm = 0
    while True:
        try:
            with open(f"/proc/{p.pid}/status") as f:
                st = dict(line.split(":", 1) for line in f if ":" in line)
            if st.get("Name", "").strip() == "fping" and "VmHWM" in st:
                hwm = max(hwm, int(st["VmHWM"].split()[0]))
        except OSError:
            pass
        pid, _, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            p.returncode = 0
            return hwm, ru.ru_utime + ru.ru_stime
        time.sleep(0.02)


def rows_resources(wd, seconds, interval=60):
    import lab as L
    from labsite import Site, listening
    import harness
    procs = Procs(wd)
    with L.Lab(wd) as lab:
        try:
            web = procs.start("web", lab.argv("core", [sys.executable, "-m", "http.server",
                                                       "--bind", L.CORE_ADDR, str(WEB_PORT)]))
            web.killed = True
            harness.wait_for(lambda: listening(lab, "core", WEB_PORT), 10, "web server")
            site = Site(lab, wd, "res", procs.start)
            # debug: the agent logs each probe worker's figures
            agent = site.start_agent(default_schedule(), interval=interval,
                                     agent_extra={"log_level": "debug"})
            t0 = time.monotonic()
            _, _, cpu0, kids0 = proc_figures(agent.pid)
            fping_rss, fping_cpu, runs, next_run = 0, 0.0, 0, t0
            while time.monotonic() - t0 < seconds:
                if not agent.alive():
                    raise RuntimeError("the agent died:\n" + agent.output()[-2000:])
                if time.monotonic() >= next_run:
                    rss, cpu = run_fping_once(lab, 10, 100)
                    fping_rss, fping_cpu, runs = max(fping_rss, rss), fping_cpu + cpu, runs + 1
                    next_run += interval
                time.sleep(min(1.0, max(0.0, next_run - time.monotonic())))
            wall = time.monotonic() - t0
            hwm, anon, cpu1, kids1 = proc_figures(agent.pid)
            libs = shared_objects(agent.pid)
            batches = len(site.batches())
            runs_w = worker_runs(agent.output())
        finally:
            procs.stop()
    agent_cpu, worker_cpu = cpu1 - cpu0, kids1 - kids0
    total_cpu = agent_cpu + worker_cpu
    worker_rss = max((r[1] for r in runs_w), default=0)
    alive_s = sum(r[0] for r in runs_w) / 1000
    return [
        (f"{wall / 60:.1f} min at interval {interval} s", "peak RSS, MiB (fping: per run)",
         fmt(fping_rss / 1024, nd=1), fmt(hwm / 1024, nd=1), ratio(hwm, fping_rss)),
        ("", "  of which private (RssAnon), MiB", "-", fmt(anon / 1024, nd=1), ""),
        ("", f"  mapped from {len(libs)} shared objects (relocated pages too), MiB", "-",
         fmt(sum(libs.values()) / 1024, nd=1), ""),
        ("", "  the largest: " + ", ".join(
            f"{os.path.basename(k).split('.so')[0]} {v / 1024:.1f}"
            for k, v in sorted(libs.items(), key=lambda kv: -kv[1])[:4]), "", "", ""),
        ("", f"probe worker (http): peak RSS, MiB, largest of {len(runs_w)} runs", "-",
         fmt(worker_rss / 1024, nd=1), ""),
        ("", "probe worker: alive per minute, s (mean run, ms)", "-",
         fmt(alive_s / (wall / 60), nd=2),
         f"{1000 * alive_s / len(runs_w):.0f} ms" if runs_w else ""),
        ("  (icmp 10 x 100 ms, http, tcp)", "CPU % of one core: agent + its workers",
         fmt(100 * fping_cpu / wall, nd=3), fmt(100 * total_cpu / wall, nd=3),
         ratio(total_cpu, fping_cpu)),
        ("", "  of which the probe workers (reaped children)", "-",
         fmt(100 * worker_cpu / wall, nd=3), ""),
        ("", "cycles: fping runs / agent batches", str(runs), str(batches), ""),
    ]


def print_table(rows):
    head = ("condition", "figure", "reference", "ours", "ours/ref")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(5)]
    for r in [head] + rows:
        print("  " + "  ".join(f"{str(c):<{w}}" for c, w in zip(r, widths)).rstrip())
    sys.stdout.flush()


def bench_lab(args):
    import lab as L
    ok, why = L.available()
    if not ok:
        print(f"lab: skipped: {why}")
        return True
    seconds = float(os.environ.get("PANTAU_BENCH_LAB_S") or args.lab_minutes * 60)
    print(f"lab: agent vs ping / irtt / iperf3 through the delay line; then "
          f"{seconds / 60:.1f} min at the default schedule vs fping")
    base = os.path.join(args.build, "bench-tmp")
    os.makedirs(base, exist_ok=True)
    wd = tempfile.mkdtemp(prefix="lab-", dir=base)
    rows, ok = [], False
    try:
        if args.lab_part == "all":
            rtt, note = rows_rtt(wd)
            rows += rtt
            rows += rows_loss(wd)
            rows += rows_jitter(wd)
            print_table(rows)
            print(f"  ({note})")
            tp = rows_throughput(wd, args.lab_tp_seconds)
            print()
            print_table(tp)
            print()
        print_table(rows_resources(wd, seconds))
        ok = True
    finally:
        if args.keep or not ok:
            print(f"  (logs kept in {wd})")
        else:
            shutil.rmtree(wd, ignore_errors=True)
    return ok
