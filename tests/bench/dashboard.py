"""Benchmark of the web dashboard (docs/bench.md), registered in run.py.

dashboard  15,000 simulated sites (pantau-loadgen: births and two batches
           each, coordinates given by a profile file): response time and size
           of the routes the dashboard polls, and the national page's load in
           headless Chromium until every site is on the map; one site also
           gets 7 days of history (a batch a minute) for the site page's
           1 h / 24 h / 7 d ranges
"""
import datetime
import json
import os
import random
import statistics
import subprocess
import time

ROUTES = ["/api/v1/overview", "/api/v1/regions", "/api/v1/sites", "/api/v1/alerts",
          "/api/v1/events?scope=site&limit=1000"]
REPEAT = 10
# The history of one site for the ranges: a batch every HISTORY_STEP_S over
# HISTORY_DAYS (icmp, tcp and http each; a throughput test every hour).
HISTORY_DAYS = 7
HISTORY_STEP_S = 60


def history_lines(agent, days, step_s):
    """One JSON batch per line, oldest first, for mosquitto_pub -l."""
    now = datetime.datetime.now(datetime.timezone.utc)
    n = days * 86400 // step_s
    rnd = random.Random(2)
    for i in range(n):
        ts = now - datetime.timedelta(seconds=(n - i) * step_s)
        p50 = 40 + rnd.random() * 10
        results = [
            {"probe": "icmp", "target": "203.0.113.10", "sent": 20, "recv": 20, "loss_pct": 0.0,
             "rtt_ms": {"min": p50 - 2, "p50": p50, "avg": p50 + 1, "p95": p50 + 8,
                        "max": p50 + 12}, "jitter_ms": 1.5, "pdv_ms": 4.0},
            {"probe": "tcp", "target": "203.0.113.10:443", "ok": True, "connect_ms": p50},
            {"probe": "http", "target": "https://tally.example/api/ping", "ok": True,
             "status": 200, "dns_ms": 2.0, "connect_ms": p50, "tls_ms": 2 * p50,
             "ttfb_ms": 3 * p50, "total_ms": 3 * p50 + 1}]
        if i % (3600 // step_s) == 0:
            results.append({"probe": "throughput", "target": "203.0.113.10:8080", "ok": True,
                            "download": {"mbps": 20 + rnd.random() * 5},
                            "upload": {"mbps": 5 + rnd.random()}})
        ms = ts.microsecond // 1000
        yield json.dumps({"v": 1, "agent": agent, "boot": 1000, "seq": i + 1,
                          "ts": ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms:03d}Z",
                          "results": results, "outbox": {"pending": 0, "dropped": 0}},
                         separators=(",", ":"))


def feed_history(hm, broker, api, site):
    """A week of one site's batches through the broker (mosquitto_pub -l:
    one message per line); returns how many."""
    code = site["regency"].replace(".", "")
    topic = f"pantau/v1/{code[:2]}/{code}/{site['agent']}/result"
    lines = list(history_lines(site["agent"], HISTORY_DAYS, HISTORY_STEP_S))
    before = hm.http_json(f"{api}/api/v1/stats")[1]["stored"]
    subprocess.run([hm.MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", str(broker.port), "-q", "1",
                    "-t", topic, "-l"], input="\n".join(lines) + "\n", text=True, check=True,
                   timeout=600)
    hm.wait_for(lambda: hm.http_json(f"{api}/api/v1/stats")[1]["stored"] >= before + len(lines),
                300, "the week of history stored", interval=0.5)
    return len(lines)


def start_collector(hm, wd, broker, api_port, profiles, procs, cache_ms=0, broker_keys=None):
    """cache_ms 0 (the table: what building a reply costs); None: the default.
    broker_keys: more [broker] keys."""
    sections = {
        "collector": {"database": os.path.join(wd, "pantau.db"), "catalog_dir": hm.CATALOG_DIR,
                      "log_level": "warn"},
        "broker": {"host": "127.0.0.1", "port": broker.port,
                   "client_id": f"bench-collector-{os.getpid()}", **(broker_keys or {})},
        "api": {"listen": "127.0.0.1", "port": api_port,
                "web_dir": os.path.join(hm.CATALOG_DIR, "web")},
    }
    if cache_ms is not None:
        sections["api"]["cache_ms"] = cache_ms
    if profiles:
        sections["status"] = {"profiles": profiles}
    ini = hm.write_ini(os.path.join(wd, "collector.ini"), sections)
    col = hm.Proc("collector", [hm.binary("pantau-collector"), "--config", ini], wd)
    procs.append(("collector", col))
    api = f"http://127.0.0.1:{api_port}"
    hm.wait_for(lambda: col.alive() and hm.http_json(f"{api}/healthz", timeout=1)[0] == 200,
                60, "the collector's API")
    return col, api


def timed_get_gz(url):
    """GET url as a browser does (gzip accepted); ms and the bytes sent."""
    import urllib.request
    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    t0 = time.monotonic()
    with urllib.request.urlopen(req, timeout=30) as r:
        body = r.read()
    return (time.monotonic() - t0) * 1000, len(body)


def wait_births(hm, api, n):
    """Wait until a (re)started collector has taken the broker's n retained
    births: on subscribing it gets them all at once (about 30 read bursts of
    512 messages at 15,000 sites), and a request timed during that flood
    waits for the bursts (20-35 ms each), not for its own reply."""
    hm.wait_for(lambda: hm.http_json(f"{api}/api/v1/stats", timeout=30)[1]
                .get("status_stored", 0) >= n, 120, f"the {n} retained births taken",
                interval=0.2)


def timed_get(url):
    import urllib.request
    t0 = time.monotonic()
    with urllib.request.urlopen(url, timeout=30) as r:
        body = r.read()
    return (time.monotonic() - t0) * 1000, len(body)


def load(args, hm, wd, procs):
    n = args.dashboard_sites
    # the production broker's queue settings (harness.Broker), so no QoS 1
    # message is dropped from the collector's queue while the load runs
    broker = hm.Broker(wd, "max_connections -1\n", persistence=False)
    procs.append(("mosquitto", broker.proc))
    api_port = hm.free_port()
    col, api = start_collector(hm, wd, broker, api_port, None, procs)
    hm.wait_subscribed(broker, api)
    lg = subprocess.run([hm.binary("pantau-loadgen"), "--port", str(broker.port), "--agents",
                         str(n), "--connections", "50", "--count", str(2 * n), "--rate", "0",
                         "--births", "--seed", "1", "--catalog", hm.CATALOG_DIR,
                         "--prefix", "sim"], cwd=wd, capture_output=True, text=True, timeout=600)
    if lg.returncode != 0:
        raise RuntimeError(f"pantau-loadgen failed: {lg.stderr[-500:]}")
    hm.wait_for(lambda: hm.http_json(f"{api}/api/v1/stats")[1].get("stored", 0) >= 2 * n, 120,
                "every batch stored", interval=0.5)
    sites = hm.http_json(f"{api}/api/v1/sites", timeout=30)[1]["sites"]
    history = feed_history(hm, broker, api, sites[0])
    # coordinates for the map: the loadgen's births have none; a profile
    # file gives each site a place inside the map's box
    rnd = random.Random(1)
    profiles = os.path.join(wd, "profiles.ini")
    with open(profiles, "w") as f:
        for s in sites:
            f.write(f"[site.{s['agent']}]\nlatitude = {rnd.uniform(-10, 5):.3f}\n"
                    f"longitude = {rnd.uniform(95, 141):.3f}\n")
    col.stop(timeout=30)
    procs.remove(("collector", col))
    t0 = time.monotonic()
    col, api = start_collector(hm, wd, broker, api_port, profiles, procs)
    print(f"  collector restart with a profiles file of {len(sites)} [site.*] sections: API "
          f"up after {time.monotonic() - t0:.2f} s")
    wait_births(hm, api, len(sites))
    return api, len(sites), sites[0]["agent"], history, (broker, api_port, profiles, col,
                                                         len(sites))


def cached_routes(hm, wd, procs, setup):
    """The national routes again from a collector with the default [api]
    cache_ms: the first request builds, the next ones (within 5 s) reuse."""
    broker, api_port, profiles, col, nsites = setup
    col.stop(timeout=30)
    procs.remove(("collector", col))
    _, api = start_collector(hm, wd, broker, api_port, profiles, procs, cache_ms=None)
    wait_births(hm, api, nsites)
    for route in ("/api/v1/regions", "/api/v1/sites"):
        first, _ = timed_get(api + route)
        hits = [timed_get(api + route)[0] for _ in range(REPEAT - 1)]
        print(f"  {route:<48} built {first:.1f} ms, then from the cache: median "
              f"{statistics.median(hits):.1f} ms, max {max(hits):.1f} ms")
    # as a browser asks: gzip (made once from the cached text, then kept)
    first, zsize = timed_get_gz(api + "/api/v1/sites")
    hits = [timed_get_gz(api + "/api/v1/sites")[0] for _ in range(REPEAT - 1)]
    print(f"  {'/api/v1/sites, Accept-Encoding: gzip':<48} {zsize} bytes; first "
          f"{first:.1f} ms, then median {statistics.median(hits):.1f} ms, max {max(hits):.1f} ms")


def page_load(api, npoints, wd):
    driver = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboard_load.mjs")
    r = subprocess.run(["node", driver, api + "/", str(npoints), wd], capture_output=True,
                       text=True, timeout=180)
    if r.returncode != 0:
        return None, r.stderr.strip().splitlines()[-1:] or ["node failed"]
    return json.loads(r.stdout), None


def bench_dashboard(args, hm, workdir_cls, stop_all):
    n = args.dashboard_sites
    print(f"dashboard: {n} simulated sites (pantau-loadgen, 2 batches each); each route "
          f"{REPEAT} times, sequentially, while nothing else runs")
    wd = workdir_cls(args.build, "dashboard", args.keep)
    procs, failed = [], True
    try:
        api, nsites, agent, history, setup = load(args, hm, wd.path, procs)
        print(f"  {agent} has {history} batches over {HISTORY_DAYS} days "
              f"(one every {HISTORY_STEP_S} s, 3-4 results each)")
        print(f"  {'route':<48} {'median ms':>9} {'max ms':>8} {'bytes':>10}")
        worst = hm.http_json(f"{api}/api/v1/regions", timeout=30)[1]["regions"][0]
        site_routes = [f"/api/v1/sites/{agent}" + (f"?range={r}" if r else "")
                       for r in (None, "24h", "7d")]
        for route in ROUTES + [f"/api/v1/regions/{worst['code']}"] + site_routes:
            times, size = [], 0
            for _ in range(REPEAT):
                ms, size = timed_get(api + route)
                times.append(ms)
            print(f"  {route:<48} {statistics.median(times):>9.1f} {max(times):>8.1f} {size:>10}")
        if os.access("/usr/bin/chromium", os.X_OK):
            res, err = page_load(api, nsites, wd.path)
            if res is None:
                print(f"  page load: could not run: {err}")
            else:
                print(f"  national page in headless Chromium, {res['points']} sites on the map: "
                      f"first load {res['load_ms']} ms, a redraw after a filter "
                      f"{res['redraw_ms']} ms, {res['dom_nodes']} DOM nodes")
        else:
            print("  page load: skipped (no /usr/bin/chromium; make deps)")
        print("  with [api] cache_ms at its default (5000 ms):")
        cached_routes(hm, wd.path, procs, setup)
        failed = False
        return True
    finally:
        stop_all(procs)
        wd.close(failed)
