"""The replay benchmark (docs/bench.md, "Replay after a broker crash"), registered in run.py.

15,000 virtual agents publish every --replay-interval seconds, 10 % of them never
answering a replay command (a second pantau-loadgen without --serve-replay). The
collector is stopped (SIGSTOP) for one interval, so the broker queues a batch of
every agent for it, then the broker is SIGKILLed (persistence off: its queue is
lost) and started again, and the collector continued. Measured: the time from the
broker's restart until every answering agent has missing 0 (GET /api/v1/stats),
with the collector's [replay] defaults (rate 50/s, after 30 s, scans every 30 s).
The silent agents' gaps are still being asked for then; with the defaults they
are recorded lost about 30 minutes later, which the benchmark does not wait for.
"""
import os
import signal
import subprocess
import time

POLL_S = 1.0
LIMIT_S = 1800


def loadgen(hm, wd, port, prefix, agents, connections, interval, extra, procs):
    argv = [hm.binary("pantau-loadgen"), "--port", str(port), "--agents", str(agents),
            "--connections", str(connections), "--interval", str(interval), "--seed",
            str(len(prefix)), "--prefix", prefix, "--catalog", hm.CATALOG_DIR, *extra]
    p = hm.Proc(f"loadgen-{prefix}", argv, wd)
    procs.append((f"loadgen-{prefix}", p))
    return p


def delivery(hm, api):
    status, body = hm.http_json(f"{api}/api/v1/stats", timeout=10)
    if status != 200:
        raise RuntimeError(f"GET /api/v1/stats: HTTP {status}")
    per = {}
    for a in body["agents"]:
        p = a["agent"].split("-", 1)[0]
        d = per.setdefault(p, {"agents": 0, "missing": 0, "lost": 0, "stored": 0})
        d["agents"] += 1
        for k in ("missing", "lost", "stored"):
            d[k] += a[k]
    return per, body


def run(args, hm, wd, procs, flow, collector_ini, proc_status):
    n = args.replay_agents
    silent = n * args.replay_silent_pct // 100
    interval = args.replay_interval
    broker = hm.Broker(wd, "max_connections -1\n", persistence=False, overrides=flow)
    procs.append(("mosquitto", broker.proc))
    api_port = hm.free_port()
    api = f"http://127.0.0.1:{api_port}"
    ini = collector_ini(wd, broker.port, api_port)
    with open(ini, "a") as f:
        f.write(f"[replay]\nrate = {args.replay_rate}\n")
    col = hm.Proc("collector", [hm.binary("pantau-collector"), "--config", ini], wd)
    procs.append(("collector", col))
    hm.wait_for(lambda: col.alive() and hm.http_json(f"{api}/healthz", timeout=1)[0] == 200,
                20, "the collector's API")
    hm.wait_subscribed(broker, api)
    conns = max(1, n // 300)
    loadgen(hm, wd, broker.port, "ans", n - silent, conns, interval, ["--serve-replay"], procs)
    loadgen(hm, wd, broker.port, "mute", silent, max(1, conns // 10), interval, [], procs)
    hm.wait_for(lambda: sum(d["agents"] for d in delivery(hm, api)[0].values()) >= n,
                interval * 4 + 60, f"a batch of each of the {n} agents", interval=POLL_S)
    before, _ = delivery(hm, api)
    col.signal(signal.SIGSTOP)
    try:
        time.sleep(interval + 1)      # one interval: every agent publishes once meanwhile
        broker.proc.kill()
        broker.proc = hm.Proc("mosquitto", broker.proc.argv, wd)
        procs.append(("mosquitto", broker.proc))
        hm.wait_for(lambda: hm.port_open(broker.port), 10, "mosquitto to listen again")
    finally:
        col.signal(signal.SIGCONT)
    t0 = time.monotonic()
    peak = {"missing": 0, "gaps": 0}
    recovered = None
    while time.monotonic() - t0 < LIMIT_S:
        time.sleep(POLL_S)
        if not col.alive():
            raise RuntimeError("the collector died:\n" + col.output()[-2000:])
        per, stats = delivery(hm, api)
        ans = per.get("ans", {"missing": 0})
        peak["missing"] = max(peak["missing"], sum(d["missing"] for d in per.values()))
        peak["gaps"] = max(peak["gaps"], stats["replay"]["gaps"])
        if peak["missing"] > 0 and ans["missing"] == 0:
            recovered = time.monotonic() - t0
            break
    return {"n": n, "silent": silent, "interval": interval, "before": before, "after": per,
            "stats": stats, "peak": peak, "recovered": recovered,
            "hwm": proc_status(col.pid).get("VmHWM")}


def bench_replay(args, hm, workdir_cls, flow, collector_ini, proc_status):
    print(f"replay: {args.replay_agents} virtual agents every {args.replay_interval} s, "
          f"{args.replay_silent_pct} % never answering; the collector stopped for one "
          f"interval, the broker SIGKILLed (its queue lost) and restarted; [replay] rate "
          f"{args.replay_rate}/s, the other [replay] keys at their defaults")
    with workdir_cls(args.build, "replay", args.keep) as wd:
        r = run(args, hm, wd.path, wd.procs, flow, collector_ini, proc_status)
        st, ans, mute = r["stats"]["replay"], r["after"].get("ans", {}), r["after"].get("mute", {})
        if r["recovered"] is None:
            print(f"  not recovered within {LIMIT_S} s: answering agents still miss "
                  f"{ans.get('missing')} batches")
        else:
            print(f"  batches missing after the crash: {r['peak']['missing']} "
                  f"(gaps at most {r['peak']['gaps']})")
            print(f"  every answering agent at missing 0 after {r['recovered']:.0f} s "
                  f"({r['recovered'] / 60:.1f} min; goal: under 10 min)")
            print(f"  {st['commands']} replay commands sent; silent agents: "
                  f"{mute.get('missing', 0)} batches still asked for, {mute.get('lost', 0)} "
                  f"recorded lost so far; {st['gaps']} gaps of {st['agents']} agents open")
            print(f"  reference, the old fixed 64 commands per 30 s: "
                  f"{r['peak']['gaps'] / 64 * 30 / 60:.0f} min for the first ask of each gap")
            print(f"  collector peak RSS {r['hwm'] / 1024:.0f} MiB")
            wd.failed = False
        return not wd.failed
