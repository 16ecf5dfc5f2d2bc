"""Benchmark of the national summary on each store (docs/bench.md, issue 15),
registered in run.py.

national  15,000 and 100,000 simulated sites (pantau-loadgen: births and two
          batches each) into SQLite and into PostgreSQL, one run each, side
          by side: response time of GET /api/v1/regions (the national
          summary, [api] cache_ms 0 so each request builds it), and the
          database's growth per batch, as bytes per site per day at one
          batch a minute
"""
import os
import shutil
import statistics
import subprocess
import time

REPEAT = 10
BATCHES_PER_SITE = 2
BATCHES_PER_DAY = 1440      # a batch a minute ([agent] interval = 60)
ROUTE = "/api/v1/regions"


def start_collector(hm, wd, broker, store_url, nsites, procs):
    sections = {
        "collector": {"database": os.path.join(wd, "pantau.db"), "catalog_dir": hm.CATALOG_DIR,
                      "log_level": "warn", "max_agents": max(50000, 2 * nsites)},
        "broker": {"host": "127.0.0.1", "port": broker.port,
                   "client_id": f"bench-national-{os.getpid()}"},
        "api": {"listen": "127.0.0.1", "port": hm.free_port(), "cache_ms": 0},
    }
    if store_url:
        sections["store"] = {"url": store_url}
    api = f"http://127.0.0.1:{sections['api']['port']}"
    ini = hm.write_ini(os.path.join(wd, "collector.ini"), sections)
    col = hm.Proc("collector", [hm.binary("pantau-collector"), "--config", ini], wd)
    procs.append(("collector", col))
    hm.wait_for(lambda: col.alive() and hm.http_json(f"{api}/healthz", timeout=1)[0] == 200,
                60, "the collector's API")
    hm.wait_subscribed(broker, api)
    return col, api


def rows_size(wd, pg):
    """Bytes of the tables that grow with every batch (batches, results and,
    on PostgreSQL, batch_keys: every day partition), their indexes with
    them: PostgreSQL's pg_total_relation_size, SQLite's dbstat pages."""
    if pg is not None:
        return int(pg.psql("SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c"
                           " WHERE c.relkind = 'r' AND (c.relname LIKE 'batches%'"
                           " OR c.relname LIKE 'results%')"))
    import sqlite3
    db = sqlite3.connect(f"file:{os.path.join(wd, 'pantau.db')}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute("SELECT sum(d.pgsize) FROM dbstat d JOIN sqlite_schema s"
                          " ON s.name = d.name WHERE s.tbl_name IN ('batches', 'results')"
                          ).fetchone()[0]
    finally:
        db.close()


def db_size(wd, pg):
    """The whole database: pg_database_size, or the SQLite file's pages."""
    if pg is not None:
        return int(pg.psql("SELECT pg_database_size(current_database())"))
    import sqlite3
    db = sqlite3.connect(f"file:{os.path.join(wd, 'pantau.db')}?mode=ro", uri=True, timeout=30)
    try:
        return (db.execute("PRAGMA page_count").fetchone()[0] *
                db.execute("PRAGMA page_size").fetchone()[0])
    finally:
        db.close()


def timed_get(url):
    import urllib.request
    t0 = time.monotonic()
    with urllib.request.urlopen(url, timeout=60) as r:
        r.read()
    return (time.monotonic() - t0) * 1000


def one_run(args, hm, wd, store, nsites, procs):
    """Load nsites into one store; its figures."""
    import pgcluster
    pg = None
    if store == "postgresql":
        pg = pgcluster.PgCluster("national")
        procs.append(("postgresql", pg))
        pg.start()
    broker = hm.Broker(wd, "max_connections -1\n", persistence=False)
    procs.append(("mosquitto", broker.proc))
    col, api = start_collector(hm, wd, broker, pg.url() if pg else None, nsites, procs)
    t0 = time.monotonic()
    lg = subprocess.Popen([hm.binary("pantau-loadgen"), "--port", str(broker.port), "--agents",
                           str(nsites), "--connections", "50", "--count",
                           str(BATCHES_PER_SITE * nsites), "--rate", "0", "--births", "--seed",
                           "1", "--catalog", hm.CATALOG_DIR, "--prefix", "sim"], cwd=wd,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(("pantau-loadgen", lg))
    total = BATCHES_PER_SITE * nsites
    while True:
        stored = hm.http_json(f"{api}/api/v1/stats", timeout=60)[1].get("stored", 0)
        if stored >= total:
            break
        if lg.poll() not in (None, 0) or time.monotonic() - t0 > 1200:
            raise RuntimeError(f"the load did not finish: {stored} of {total} stored")
        time.sleep(0.5)
    load_s = time.monotonic() - t0
    hm.wait_for(lambda: hm.http_json(f"{api}/api/v1/stats", timeout=60)[1]
                .get("status_stored", 0) >= nsites, 600, "every birth stored", interval=1)
    stats = hm.http_json(f"{api}/api/v1/stats", timeout=60)[1]
    time.sleep(2)   # past a commit (commit_ms 1000)
    if pg is not None:
        # as autovacuum does within a minute of the load (autovacuum_naptime):
        # fresh day partitions without statistics get a plan that reads all
        # of results for each site (docs/bench.md)
        pg.psql("ANALYZE")
    times = [timed_get(api + ROUTE) for _ in range(REPEAT)]
    per_batch = rows_size(wd, pg) / max(1, stats["stored"])
    if pg is not None:   # a key a batch, not partitioned
        per_batch += int(pg.psql("SELECT pg_total_relation_size('batch_keys')")) / max(
            1, stats["stored"])
    return {"median": statistics.median(times), "max": max(times), "load_s": load_s,
            "per_batch": per_batch, "per_site_day": per_batch * BATCHES_PER_DAY,
            "db_mb": db_size(wd, pg) / 1e6,
            "results": stats.get("results_stored", 0) / max(1, stats["stored"])}


def bench_national(args, hm, workdir_cls, stop_all):
    import pgcluster
    if not pgcluster.available():
        raise RuntimeError("postgresql-15 is not installed (make deps)")
    sizes = [int(x) for x in args.national_sites.split(",")]
    print(f"national: GET {ROUTE} at {', '.join(f'{n:,}' for n in sizes)} simulated sites "
          f"({BATCHES_PER_SITE} batches each), {REPEAT} times each, [api] cache_ms 0")
    results, ok = {}, True
    for n in sizes:
        for store in ("sqlite", "postgresql"):
            wd = workdir_cls(args.build, f"national-{store}-{n}", args.keep)
            procs, failed = [], True
            try:
                results[(store, n)] = one_run(args, hm, wd.path, store, n, procs)
                failed = False
            finally:
                stop_all([p for p in procs if p[0] != "postgresql"])
                for name, p in procs:
                    if name == "postgresql":
                        if args.keep:
                            shutil.copy(p.log, os.path.join(wd.path, "postgresql.log"))
                        p.remove()
                wd.close(failed)
            ok = ok and not failed
    cols = [(store, n) for n in sizes for store in ("sqlite", "postgresql")]
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    print("  " + f"{'':<34}" + "".join(f" {names[s] + ' ' + format(n, ','):>18}" for s, n in cols))
    for label, f in (("national summary median ms", lambda r: f"{r['median']:.0f}"),
                     ("national summary max ms", lambda r: f"{r['max']:.0f}"),
                     ("load: births + batches stored s", lambda r: f"{r['load_s']:.0f}"),
                     ("results per batch", lambda r: f"{r['results']:.1f}"),
                     ("database MB after the load", lambda r: f"{r['db_mb']:.0f}"),
                     ("batches + results bytes per batch", lambda r: f"{r['per_batch']:.0f}"),
                     ("MB per site per day (1/min)", lambda r: f"{r['per_site_day'] / 1e6:.2f}")):
        print("  " + f"{label:<34}" + "".join(f" {f(results[c]):>18}" for c in cols))
    return ok
