"""Benchmark of the web dashboard (docs/bench.md), registered in run.py.

dashboard  15,000 simulated sites (pantau-loadgen: births and two batches
           each, coordinates given by a profile file): response time and size
           of the routes the dashboard polls, and the national page's load in
           headless Chromium until every site is on the map
"""
import json
import os
import random
import statistics
import subprocess
import time

ROUTES = ["/api/v1/overview", "/api/v1/regions", "/api/v1/sites", "/api/v1/alerts",
          "/api/v1/events?scope=site&limit=1000"]
REPEAT = 10


def start_collector(hm, wd, broker, api_port, profiles, procs):
    sections = {
        "collector": {"database": os.path.join(wd, "pantau.db"), "catalog_dir": hm.CATALOG_DIR,
                      "log_level": "warn"},
        "broker": {"host": "127.0.0.1", "port": broker.port,
                   "client_id": f"bench-collector-{os.getpid()}"},
        "api": {"listen": "127.0.0.1", "port": api_port,
                "web_dir": os.path.join(hm.CATALOG_DIR, "web")},
    }
    if profiles:
        sections["status"] = {"profiles": profiles}
    ini = hm.write_ini(os.path.join(wd, "collector.ini"), sections)
    col = hm.Proc("collector", [hm.binary("pantau-collector"), "--config", ini], wd)
    procs.append(("collector", col))
    api = f"http://127.0.0.1:{api_port}"
    hm.wait_for(lambda: col.alive() and hm.http_json(f"{api}/healthz", timeout=1)[0] == 200,
                60, "the collector's API")
    return col, api


def timed_get(url):
    import urllib.request
    t0 = time.monotonic()
    with urllib.request.urlopen(url, timeout=30) as r:
        body = r.read()
    return (time.monotonic() - t0) * 1000, len(body)


def load(args, hm, wd, procs):
    n = args.dashboard_sites
    # the production broker's flow control, so no QoS 1 message is dropped
    # from the collector's queue while the load runs
    broker = hm.Broker(wd, "max_connections -1\nmax_inflight_messages 100\n"
                       "max_queued_messages 1000000\nmax_queued_bytes 1073741824\n")
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
    col, api = start_collector(hm, wd, broker, api_port, profiles, procs)
    return api, len(sites)


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
        api, nsites = load(args, hm, wd.path, procs)
        print(f"  {'route':<40} {'median ms':>9} {'max ms':>8} {'bytes':>10}")
        for route in ROUTES + [None]:
            if route is None:
                worst = hm.http_json(f"{api}/api/v1/regions", timeout=30)[1]["regions"][0]
                route = f"/api/v1/regions/{worst['code']}"
            times, size = [], 0
            for _ in range(REPEAT):
                ms, size = timed_get(api + route)
                times.append(ms)
            print(f"  {route:<40} {statistics.median(times):>9.1f} {max(times):>8.1f} {size:>10}")
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
        failed = False
        return True
    finally:
        stop_all(procs)
        wd.close(failed)
