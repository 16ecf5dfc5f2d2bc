"""Benchmark of floods (docs/bench.md, "flood"), registered in run.py.

flood  valid agents' receive delay (the collector's receive time minus the
       batch's own timestamp, both ms) without and then with a flood of
       invalid messages (FLOOD_RATE a second, another MQTT client, QoS 0, on a
       status topic), side by side in one run, next to the same delay seen by
       two mosquitto_sub: one on the result topics only (what the broker and
       the machine add) and one on pantau/v1/# like the collector (what any
       subscriber of the flood gets); the log lines the flood caused; then the
       collector's RSS while 100,000 distinct bogus agent ids arrive, with
       [collector] max_agents at its default (50,000)
"""
import os
import sqlite3
import statistics
import subprocess
import threading
import time

FLOOD_RATE = 20000      # invalid messages per second
PHASE_S = 20            # seconds of each phase
VALID_AGENTS = 500
VALID_RATE = 250        # valid batches per second in each phase
BOGUS = 100000


def quantile(xs, q):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def delays(db, prefix):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        rows = con.execute("SELECT recv_ms - ts_ms FROM batches WHERE agent LIKE ?",
                           (prefix + "-%",)).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def valid_load(hm, broker, prefix, seed):
    return subprocess.Popen(
        [hm.binary("pantau-loadgen"), "--port", str(broker.port), "--agents", str(VALID_AGENTS),
         "--connections", "10", "--rate", str(VALID_RATE), "--duration", str(PHASE_S),
         "--prefix", prefix, "--seed", str(seed), "--catalog", hm.CATALOG_DIR],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def flood(hm, broker, seconds, sent):
    """FLOOD_RATE lines a second of bad JSON into mosquitto_pub -l (a
    message per line) for seconds; sent[0] counts them."""
    pub = subprocess.Popen([hm.MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", str(broker.port),
                            "-q", "0", "-t", "pantau/v1/32/3273/flooder/status", "-l"],
                           stdin=subprocess.PIPE)
    step = 0.05
    per_step = int(FLOOD_RATE * step)
    t0 = time.monotonic()
    n = 0
    while time.monotonic() - t0 < seconds:
        pub.stdin.write(b"".join(b"{not json %d\n" % (n + i) for i in range(per_step)))
        pub.stdin.flush()
        n += per_step
        ahead = t0 + n / FLOOD_RATE - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)   # pacing the generator, not waiting for a condition
    pub.stdin.close()
    pub.wait(60)
    sent[0] = n


def start_reference(hm, broker, wd, procs, topic, name):
    """mosquitto_sub on topic, each message as "UNIX_TIME PAYLOAD" in wd/name."""
    path = os.path.join(wd, name)
    out = open(path, "w")
    sub = subprocess.Popen([hm.MOSQUITTO_SUB, "-h", "127.0.0.1", "-p", str(broker.port),
                            "-q", "1", "-t", topic, "-t", "bench/ready",
                            "-F", "%U %p"], stdout=out, stderr=subprocess.DEVNULL)
    procs.append(("mosquitto_sub", sub))

    def subscribed():
        broker.publish("bench/ready", "ready")
        with open(path) as f:
            return " ready" in f.read()
    hm.wait_for(subscribed, 15, "mosquitto_sub's subscription", interval=0.2)
    return path


def reference_delays(path, prefix):
    """Receive time minus the batch's ts (ms) of prefix's batches at mosquitto_sub."""
    import datetime
    import json
    out = []
    with open(path) as f:
        for line in f:
            when, _, payload = line.partition(" ")
            try:
                b = json.loads(payload)
            except ValueError:
                continue
            if not b.get("agent", "").startswith(prefix + "-"):
                continue
            ts = datetime.datetime.strptime(b["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=datetime.timezone.utc).timestamp()
            out.append((float(when) - ts) * 1000)
    return out


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def bogus_ids(hm, broker, api, col):
    """RSS as BOGUS distinct agent ids publish a batch each."""
    stats = lambda: hm.http_json(f"{api}/api/v1/stats", timeout=30)[1]
    before = rss_kib(col.pid)
    known0 = stats()["sites_known"]
    marks = {}
    lg = subprocess.Popen([hm.binary("pantau-loadgen"), "--port", str(broker.port),
                           "--agents", str(BOGUS), "--connections", "50", "--count", str(BOGUS),
                           "--prefix", "bogus", "--seed", "7", "--catalog", hm.CATALOG_DIR],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def seen():
        s = stats()
        n = s["stored"] + s["rejected_by"]["too_many_agents"] - base
        for share in (25, 50, 75, 100):
            if share not in marks and n >= BOGUS * share // 100:
                marks[share] = (rss_kib(col.pid), s["sites_known"])
        return n >= BOGUS

    s0 = stats()
    base = s0["stored"] + s0["rejected_by"]["too_many_agents"]
    hm.wait_for(seen, 600, "the bogus ids' batches taken", interval=0.2)
    lg.communicate(timeout=120)
    return before, known0, marks, stats()["rejected_by"]["too_many_agents"]


def bench_flood(args, hm, Workdir, stop_all, start_collector, cpu_seconds):
    print(f"flood: {VALID_AGENTS} valid agents at {VALID_RATE} batches/s for {PHASE_S} s, "
          f"then again with {FLOOD_RATE:,} invalid messages/s from another client; then "
          f"{BOGUS:,} bogus agent ids")
    wd = Workdir(args.build, "flood", args.keep)
    procs, failed = [], True
    try:
        broker = hm.Broker(wd.path, "max_connections -1\n", persistence=False)
        procs.append(("mosquitto", broker.proc))
        col, api = start_collector(hm, wd.path, broker, hm.free_port(), None, procs)
        col_log = lambda: col.output().count("\n")
        hm.wait_subscribed(broker, api)
        ref = start_reference(hm, broker, wd.path, procs, "pantau/v1/+/+/+/result", "results.txt")
        ref_all = start_reference(hm, broker, wd.path, procs, "pantau/v1/#", "all.txt")
        db = os.path.join(wd.path, "pantau.db")
        stats = lambda: hm.http_json(f"{api}/api/v1/stats", timeout=30)[1]

        lg = valid_load(hm, broker, "calm", 1)
        lg.communicate(timeout=PHASE_S + 60)
        lines0, rej0, cpu0 = col_log(), stats()["rejected"], cpu_seconds(col.pid)
        sent = [0]
        fl = threading.Thread(target=flood, args=(hm, broker, PHASE_S + 2, sent))
        fl.start()
        time.sleep(1)           # the flood at full rate before the valid load starts
        t_flood = time.monotonic()
        lg = valid_load(hm, broker, "flooded", 2)
        lg.communicate(timeout=PHASE_S + 60)
        fl.join()
        flood_s = time.monotonic() - t_flood + 1
        hm.wait_for(lambda: stats()["stored"] >= 2 * VALID_RATE * PHASE_S * 0.95, 120,
                    "the valid batches stored", interval=0.5)
        rejected = stats()["rejected"] - rej0
        lines = col_log() - lines0
        cpu = cpu_seconds(col.pid) - cpu0
        hm.wait_for(lambda: stats()["rejected"] - rej0 >= sent[0] * 0.5, 60,
                    "the flood's messages taken", interval=0.5)
        calm, flooded = delays(db, "calm"), delays(db, "flooded")
        c99, f99 = quantile(calm, 0.99), quantile(flooded, 0.99)
        rcalm, rflood = reference_delays(ref, "calm"), reference_delays(ref, "flooded")
        r99c, r99f = quantile(rcalm, 0.99), quantile(rflood, 0.99)
        acalm, aflood = reference_delays(ref_all, "calm"), reference_delays(ref_all, "flooded")
        rows = [
            ("valid batches stored: calm / flooded", f"{len(calm)} / {len(flooded)}"),
            ("receive delay p50, ms: calm / flooded",
             f"{statistics.median(calm):.0f} / {statistics.median(flooded):.0f}"),
            ("receive delay p99, ms: calm / flooded", f"{c99:.0f} / {f99:.0f}"),
            ("p99 flooded / calm", f"{f99 / c99:.2f}  (goal <= 2)" if c99 > 0 else "-"),
            ("mosquitto_sub on the result topics p50 / p99, ms: calm",
             f"{quantile(rcalm, 0.5):.0f} / {r99c:.0f}"),
            ("  flooded", f"{quantile(rflood, 0.5):.0f} / {r99f:.0f}"),
            ("mosquitto_sub on pantau/v1/# (the flood too) p50 / p99, ms: calm",
             f"{quantile(acalm, 0.5):.0f} / {quantile(acalm, 0.99):.0f}"),
            ("  flooded", f"{quantile(aflood, 0.5):.0f} / {quantile(aflood, 0.99):.0f}"),
            ("invalid messages sent / rejected by the collector",
             f"{sent[0]:,} / {stats()['rejected'] - rej0:,} (QoS 0: the broker may drop some)"),
            ("flood rate offered", f"{sent[0] / flood_s:,.0f} msg/s"),
            ("collector CPU s during the flood phase", f"{cpu:.1f}"),
            ("collector log lines during the flood", f"{lines} (for {rejected:,} rejections)"),
        ]
        before, known0, marks, rej_ids = bogus_ids(hm, broker, api, col)
        rows += [("collector RSS before the bogus ids", f"{before / 1024:.1f} MiB "
                  f"({known0} sites)")]
        for share in sorted(marks):
            rss, known = marks[share]
            rows.append((f"  after {share} % of {BOGUS:,} bogus ids",
                         f"{rss / 1024:.1f} MiB ({known:,} sites)"))
        rows.append(("bogus ids rejected as too_many_agents", f"{rej_ids:,}"))
        width = max(len(a) for a, _ in rows)
        for a, b in rows:
            print(f"  {a:<{width}}  {b}")
        failed = False
        return True
    finally:
        stop_all(procs)
        wd.close(failed)
