"""Benchmark of floods (docs/bench.md, "flood"), registered in run.py.

flood  valid agents' receive delay (the collector's receive time minus the
       batch's own timestamp, both ms) without and then with a flood of
       invalid messages (FLOOD_RATE a second, another MQTT client, QoS 0, on a
       status or result topic; one phase per kind of FLOODS, --flood-kinds,
       with the broker's publish limit loaded), side by
       side in one run, next to the same delay seen by a mosquitto_sub on the
       result topics only (what the broker and the machine add); the log
       lines the flood caused; then the collector's RSS while --flood-bogus
       (100,000) distinct bogus agent ids arrive, with [collector] max_agents
       at its default (50,000); --flood-nodelay 0 runs the broker with
       Nagle's algorithm (set_tcp_nodelay false) instead of the deployment's
       set_tcp_nodelay true
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


def quantile(xs, q):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def delays(db, prefix):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        rows = con.execute("SELECT recv_ms - coalesce(agent_ts_ms, ts_ms) FROM batches "
                           "WHERE agent LIKE ?",
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


# The flood's variants (docs/bench.md, "flood"): who publishes, on which topic,
# what reaches the collector: all of it (True), nothing (False), or what the
# broker's publish limit lets through ("limited": pantau_limit.so at the
# deployment's 50/s, bursts of 1,000).
#   open     an anonymous client on a status topic: a broker without
#            authentication or ACL (the demo's and the tests'); the collector
#            gets every message (the limit knows no one without a login)
#   refused  the client logged in as agent "flooder" (its identity, as a
#            certificate's subject is under deploy/mosquitto/pantau.conf),
#            publishing on another agent's status topic: pantau.acl refuses
#            it at the broker
#   own      the same client on its own status topic, which pantau.acl lets
#            it write: the publish limit drops all but 50/s
#   own-result  the same on its own result topic, which shares the results'
#            connection at the collector even with [broker] split_status
#   exempt-result  the same from "unlimited", a client the limit exempts
#            (plugin_opt_exempt): what own-result costs without the limit
FLOODS = {
    "open": (None, "pantau/v1/32/3273/flooder/status", True),
    "refused": ("flooder", "pantau/v1/32/3273/victim/status", False),
    "own": ("flooder", "pantau/v1/32/3273/flooder/status", "limited"),
    "own-result": ("flooder", "pantau/v1/32/3273/flooder/result", "limited"),
    "exempt-result": ("unlimited", "pantau/v1/32/3273/unlimited/result", True),
}
# The bench's broker exempts "unlimited" beside the deployment's names.
PLUGIN_OPTS = {"exempt": "pantau-collector,pantau-bridge-*,unlimited"}
FLOODER_PASSWORD = "flood-pw"


def broker_conf(hm, wd):
    """mosquitto settings for the bench's broker: anonymous clients (the
    load, the collector, the reference subscriber) may do anything; a client
    logging in is bound by the agents' lines of deploy/mosquitto/pantau.acl."""
    passwd = os.path.join(wd, "passwd")
    for i, user in enumerate(("flooder", "unlimited")):
        subprocess.run(["mosquitto_passwd", "-b"] + (["-c"] if i == 0 else [])
                       + [passwd, user, FLOODER_PASSWORD],
                       check=True, capture_output=True, timeout=30)
    os.chmod(passwd, 0o644)
    acl = os.path.join(wd, "pantau.acl")
    with open(os.path.join(hm.ROOT, "deploy", "mosquitto", "pantau.acl")) as f:
        agents = f.read()
    with open(acl, "w") as f:
        # topic lines before the first user line are the anonymous clients'
        f.write("topic readwrite pantau/v1/#\ntopic readwrite bench/#\n" + agents)
    return f"max_connections -1\npassword_file {passwd}\nacl_file {acl}\n"


def flood(hm, broker, kind, seconds, sent):
    """FLOOD_RATE QoS 0 messages a second of bad JSON for seconds, as
    FLOODS[kind], from a client that connects again at once whenever the
    broker disconnects it (tests/e2e/mqttraw.py); sent[0] counts the
    messages written, sent[1] the reconnections."""
    import mqttraw
    user, topic, _ = FLOODS[kind]
    fl = mqttraw.Flooder(broker.port, user, FLOODER_PASSWORD if user else None)
    step = 0.05
    per_step = int(FLOOD_RATE * step)
    t0 = time.monotonic()
    n = offered = 0
    # one step's packets made once: the generator's own CPU (on the same
    # cores as the broker and the collector) is not what is measured
    data = b"".join(mqttraw.publish_packet(topic, b"{not json %d" % i) for i in range(per_step))
    while time.monotonic() - t0 < seconds:
        if fl.send(data):
            n += per_step
        offered += per_step
        ahead = t0 + offered / FLOOD_RATE - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)   # pacing the generator, not waiting for a condition
    fl.close()
    sent[0], sent[1] = n, fl.reconnects


def start_reference(hm, broker, wd, procs, topic, name):
    """mosquitto_sub on topic, each message as "UNIX_TIME PAYLOAD" in wd/name."""
    path = os.path.join(wd, name)
    sub = hm.start_sub_log(broker, path, [topic, "bench/ready"], "bench/ready")
    procs.append(("mosquitto_sub", sub))
    return path


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def bogus_ids(hm, broker, api, col, bogus):
    """RSS as bogus distinct agent ids publish a batch each."""
    stats = lambda: hm.http_json(f"{api}/api/v1/stats", timeout=30)[1]
    before = rss_kib(col.pid)
    known0 = stats()["sites_known"]
    marks = {}
    lg = subprocess.Popen([hm.binary("pantau-loadgen"), "--port", str(broker.port),
                           "--agents", str(bogus), "--connections", "50", "--count", str(bogus),
                           "--prefix", "bogus", "--seed", "7", "--catalog", hm.CATALOG_DIR],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def seen():
        s = stats()
        n = s["stored"] + s["rejected_by"]["too_many_agents"] - base
        for share in (25, 50, 75, 100):
            if share not in marks and n >= bogus * share // 100:
                marks[share] = (rss_kib(col.pid), s["sites_known"])
        return n >= bogus

    s0 = stats()
    base = s0["stored"] + s0["rejected_by"]["too_many_agents"]
    hm.wait_for(seen, 600, "the bogus ids' batches taken", interval=0.2)
    lg.communicate(timeout=120)
    return before, known0, marks, stats()["rejected_by"]["too_many_agents"]


def prefix_of(kind):
    """The valid agents' id prefix in kind's phase (none a prefix of another)."""
    return kind.replace("-", "")


def flooded_phase(hm, broker, kind, stats, col, cpu_seconds):
    """The valid load (prefix kind) during a flood of kind; the figures of the
    phase: {sent, rate, rejected, lines, cpu}."""
    lines0, rej0, cpu0 = col.output().count("\n"), stats()["rejected"], cpu_seconds(col.pid)
    stored0 = stats()["stored"]
    sent = [0, 0]
    fl = threading.Thread(target=flood, args=(hm, broker, kind, PHASE_S + 2, sent))
    fl.start()
    time.sleep(1)           # the flood at full rate before the valid load starts
    t_flood = time.monotonic()
    lg = valid_load(hm, broker, prefix_of(kind), 2)
    lg.communicate(timeout=PHASE_S + 60)
    fl.join()
    flood_s = time.monotonic() - t_flood + 1
    hm.wait_for(lambda: stats()["stored"] - stored0 >= VALID_RATE * PHASE_S * 0.95, 120,
                "the valid batches stored", interval=0.5)
    out = {"sent": sent[0], "rate": sent[0] / flood_s, "reconnects": sent[1],
           "cpu": cpu_seconds(col.pid) - cpu0,
           "lines": col.output().count("\n") - lines0}
    if FLOODS[kind][2]:
        # until the collector has taken what the broker kept of the flood
        # (QoS 0: it may drop some; the limit drops all but its rate), so
        # the next phase starts clean
        last = [-1]
        share = 0.5 if FLOODS[kind][2] is True else 0

        def settled():
            n = stats()["rejected"]
            done = n == last[0] and n - rej0 >= sent[0] * share
            last[0] = n
            return done
        hm.wait_for(settled, 120, "the flood's messages taken", interval=1.0)
    out["rejected"] = stats()["rejected"] - rej0
    return out


def phase_rows(hm, kind, db, ref, calm99, fig):
    d, r = delays(db, prefix_of(kind)), hm.sub_log_delays(ref, prefix_of(kind) + "-")
    p99 = quantile(d, 0.99)
    rows = [(f"{kind}: valid batches stored", f"{len(d)}"),
            (f"  receive delay p50 / p99, ms", f"{statistics.median(d):.0f} / {p99:.0f}"),
            (f"  mosquitto_sub on the result topics p50 / p99, ms",
             f"{quantile(r, 0.5):.0f} / {quantile(r, 0.99):.0f}")]
    if fig is None:
        return rows, p99
    rows += [(f"  p99 / calm p99", f"{p99 / calm99:.2f}  (goal <= 2)" if calm99 > 0 else "-"),
             (f"  flood sent (rate) / rejected by the collector",
              f"{fig['sent']:,} ({fig['rate']:,.0f}/s) / {fig['rejected']:,}"),
             (f"  flooder disconnected by the broker and back", f"{fig['reconnects']:,}"),
             (f"  collector CPU s / log lines in the phase",
              f"{fig['cpu']:.1f} / {fig['lines']}")]
    return rows, p99


def bench_flood(args, hm, Workdir, start_collector, cpu_seconds):
    kinds = [k for k in args.flood_kinds.split(",") if k]
    unknown = [k for k in kinds if k not in FLOODS]
    if unknown:
        raise SystemExit(f"flood: no flood kind {', '.join(unknown)}; the kinds are "
                         f"{', '.join(FLOODS)}")
    print(f"flood: {VALID_AGENTS} valid agents at {VALID_RATE} batches/s for {PHASE_S} s, "
          f"calm, then with {FLOOD_RATE:,} invalid messages/s from another client "
          f"({', '.join(kinds)}), [broker] split_status = {args.flood_split}, "
          f"set_tcp_nodelay {'true' if args.flood_nodelay else 'false'}; "
          f"then {args.flood_bogus:,} bogus agent ids")
    with Workdir(args.build, "flood", args.keep) as wd:
        procs = wd.procs
        nodelay = {} if args.flood_nodelay else {"set_tcp_nodelay": "false"}
        broker = hm.Broker(wd.path, broker_conf(hm, wd.path), persistence=False,
                           overrides=nodelay, plugin_opts=PLUGIN_OPTS)
        procs.append(("mosquitto", broker.proc))
        split = "true" if args.flood_split else "false"
        col, api = start_collector(hm, wd.path, broker, hm.free_port(), None, procs,
                                   broker_keys={"split_status": split})
        hm.wait_subscribed(broker, api)
        ref = start_reference(hm, broker, wd.path, procs, "pantau/v1/+/+/+/result", "results.txt")
        db = os.path.join(wd.path, "pantau.db")
        stats = lambda: hm.http_json(f"{api}/api/v1/stats", timeout=30)[1]

        lg = valid_load(hm, broker, "calm", 1)
        lg.communicate(timeout=PHASE_S + 60)
        hm.wait_for(lambda: stats()["stored"] >= VALID_RATE * PHASE_S * 0.95, 120,
                    "the calm batches stored", interval=0.5)
        figs = {k: flooded_phase(hm, broker, k, stats, col, cpu_seconds) for k in kinds}
        rows, calm99 = phase_rows(hm, "calm", db, ref, 0, None)
        for k in kinds:
            rows += phase_rows(hm, k, db, ref, calm99, figs[k])[0]
        if args.flood_bogus > 0:
            rows += bogus_rows(hm, broker, api, col, args.flood_bogus)
        width = max(len(a) for a, _ in rows)
        for a, b in rows:
            print(f"  {a:<{width}}  {b}")
        wd.failed = False
        return True


def bogus_rows(hm, broker, api, col, bogus):
    before, known0, marks, rej_ids = bogus_ids(hm, broker, api, col, bogus)
    rows = [("collector RSS before the bogus ids", f"{before / 1024:.1f} MiB ({known0} sites)")]
    for share in sorted(marks):
        rss, known = marks[share]
        rows.append((f"  after {share} % of {bogus:,} bogus ids",
                     f"{rss / 1024:.1f} MiB ({known:,} sites)"))
    rows.append(("bogus ids rejected as too_many_agents", f"{rej_ids:,}"))
    return rows
